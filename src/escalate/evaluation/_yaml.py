"""YAML loading that remembers where each mapping started, for errors that name the line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from escalate.exceptions import TranscriptError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["load_with_lines"]


def load_with_lines(text: str, source: str) -> tuple[Any, dict[int, int]]:
    """Parse ``text``; also return ``id(mapping) -> 1-based line`` for every mapping in it."""
    lines: dict[int, int] = {}

    class _Loader(yaml.SafeLoader):
        def construct_located_map(self, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
            # Like SafeLoader's own: yield the (final) dict first so aliases can refer to it.
            data: dict[Any, Any] = {}
            lines[id(data)] = node.start_mark.line + 1
            yield data
            data.update(self.construct_mapping(node))

    _Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_located_map)

    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise TranscriptError(source, line, f"not valid YAML: {problem}") from None
    return document, lines
