"""Where each value of a policy file was written, so an error can name the line and column.

Positions are kept per container (a dict or list from the parsed file) and key, so they follow
values through ``extends`` merges: a merged mapping takes each key's position from the file
that supplied the key.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from escalate.exceptions import PolicyProblem

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "Location",
    "SourceMap",
    "dotted_path",
    "parse_toml_positions",
    "yaml_problem",
    "yaml_with_positions",
]


def dotted_path(path: tuple[str | int, ...]) -> str:
    """``("rules", 2, "when")`` -> ``rules[2].when``; the empty path is ``(top level)``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class Location(NamedTuple):
    """A place in a file; ``line`` and ``column`` are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class _Entry(NamedTuple):
    key: Location
    value: Location


@dataclass
class SourceMap:
    """Positions of keys and values, by container and key."""

    _entries: dict[int, dict[Any, _Entry]] = field(default_factory=dict)
    _alive: list[Any] = field(default_factory=list)
    """The containers themselves: their ids are only unique while they live."""

    def record(self, container: Any, key: Any, key_at: Location, value_at: Location) -> None:
        """Remember where ``container[key]`` was written."""
        entries = self._entries.get(id(container))
        if entries is None:
            entries = self._entries[id(container)] = {}
            self._alive.append(container)
        entries[key] = _Entry(key_at, value_at)

    def copy_entry(self, target: Any, key: Any, source: Any, source_key: Any) -> None:
        """``target[key]`` came from ``source[source_key]``: give it that position."""
        entry = self._entries.get(id(source), {}).get(source_key)
        if entry is not None:
            self.record(target, key, entry.key, entry.value)

    def update(self, other: SourceMap) -> None:
        """Take in the positions of another file's map."""
        self._entries.update(other._entries)
        self._alive.extend(other._alive)

    def locate(
        self, data: Any, path: tuple[str | int, ...], *, key: bool = False
    ) -> Location | None:
        """The position of the value at ``path`` in ``data``, or of its nearest ancestor.

        With ``key=True``, the position of the last key itself (for an unknown key).
        """
        found: Location | None = None
        here = data
        last = len(path) - 1
        for depth, part in enumerate(path):
            entry = self._entries.get(id(here), {}).get(part)
            if entry is not None:  # TOML tables leave some parents unrecorded: look deeper
                found = entry.key if key and depth == last else entry.value
            try:
                here = here[part]
            except (KeyError, IndexError, TypeError):
                break
        return found


def yaml_problem(exc: yaml.YAMLError, file: str) -> PolicyProblem:
    """A YAML syntax error as a problem at the line and column the parser stopped."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return PolicyProblem(f"not valid YAML: {problem}", "", file, line, column)


_MERGE = "tag:yaml.org,2002:merge"


def too_long_number() -> str:
    """What is wrong with an integer too long for Python to convert."""
    return f"a number longer than {sys.get_int_max_str_digits()} digits"


class _LocatingLoader(yaml.SafeLoader):
    """A safe loader that records where each mapping value and list item was written."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.positions = SourceMap()

    def mark(self, node: yaml.Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def located_map(self, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
        # As SafeLoader does: yield the dict first so aliases can refer to it.
        data: dict[Any, Any] = {}
        yield data
        self.refuse_duplicates(node)
        data.update(self.construct_mapping(node))
        for key_node, value_node in node.value:
            key = self.construct_object(key_node)
            if isinstance(key, str | int):
                self.positions.record(data, key, self.mark(key_node), self.mark(value_node))

    def refuse_duplicates(self, node: yaml.MappingNode) -> None:
        """A key written twice is an error: YAML's loaders keep the last one silently."""
        first: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                continue  # '<<' merges may be overridden; other keys are not hashable
            key = self.construct_object(key_node)
            if key in first:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first[key].start_mark.line + 1})",
                    key_node.start_mark,
                )
            first[key] = key_node

    def located_int(self, node: yaml.ScalarNode) -> int:
        try:
            return int(self.construct_yaml_int(node))
        except ValueError:  # Python converts at most sys.get_int_max_str_digits() digits
            raise yaml.constructor.ConstructorError(
                None, None, too_long_number(), node.start_mark
            ) from None

    def located_seq(self, node: yaml.SequenceNode) -> Iterator[list[Any]]:
        data: list[Any] = []
        yield data
        data.extend(self.construct_sequence(node))
        for index, item_node in enumerate(node.value):
            self.positions.record(data, index, self.mark(item_node), self.mark(item_node))


_LocatingLoader.add_constructor("tag:yaml.org,2002:map", _LocatingLoader.located_map)
_LocatingLoader.add_constructor("tag:yaml.org,2002:seq", _LocatingLoader.located_seq)
_LocatingLoader.add_constructor("tag:yaml.org,2002:int", _LocatingLoader.located_int)


def yaml_with_positions(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML (or JSON) and record where every mapping value and list item was written."""
    # What yaml.load does, keeping the loader to read its positions afterwards.
    loader = _LocatingLoader(text, file)
    try:
        document = loader.get_single_data()
    finally:
        loader.dispose()
    return document, loader.positions


_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^(\s*)((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def parse_toml_positions(text: str, data: Any, file: str) -> SourceMap:
    """Positions of a TOML document's keys and tables (``tomllib`` does not keep them).

    A line scan: table headers, ``[[array]]`` headers and ``key = value`` lines. Values inside
    inline tables are located at their enclosing key.
    """
    positions = SourceMap()
    table: tuple[str | int, ...] = ()
    arrays: dict[tuple[str | int, ...], int] = {}
    """Elements seen so far of each array of tables, by its resolved path."""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header is not None:
            column = line.index(header.group(1)) + 1
            names = _split_key(header.group(2))
            table = _resolved(names[:-1], arrays)
            table = (*table, names[-1])
            if header.group(1) == "[[":
                arrays[table] = arrays.get(table, 0) + 1
                table = (*table, arrays[table] - 1)
            elif table in arrays:
                table = (*table, arrays[table] - 1)
            _record_path(positions, data, table, Location(file, number, column))
            continue
        key = _KEY.match(line)
        if key is not None:
            at = Location(file, number, len(key.group(1)) + 1)
            _record_path(positions, data, (*table, *_split_key(key.group(2))), at)
    return positions


def _resolved(names: list[str], arrays: dict[tuple[str | int, ...], int]) -> tuple[str | int, ...]:
    """A header's parent path, each array of tables resolved to its latest element so far."""
    path: tuple[str | int, ...] = ()
    for name in names:
        path = (*path, name)
        if path in arrays:
            path = (*path, arrays[path] - 1)
    return path


def _split_key(dotted: str) -> list[str]:
    parts = re.findall(r"""\s*("[^"]*"|'[^']*'|[^.]+)\s*(?:\.|$)""", dotted)
    return [part.strip().strip("\"'") for part in parts]


def _record_path(
    positions: SourceMap, data: Any, path: tuple[str | int, ...], at: Location
) -> None:
    here = data
    for part in path[:-1]:
        try:
            here = here[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(here, dict | list):
        positions.record(here, path[-1], at, at)
