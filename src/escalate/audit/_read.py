"""Reading audit trails back: JSON Lines files (rotated segments too) and SQLite databases.

``read_lines`` gives the raw lines, for the verifier; ``read_trail`` gives parsed records in
chain order, for ``show``, ``replay`` and ``export``: segments are put in order by their
headers, whatever their names, and a torn last line (a crash mid-write) is skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.audit._sqlite import read_sqlite
from escalate.exceptions import AuditError

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Iterator

__all__ = [
    "AuditRecord",
    "RawLine",
    "chain_order",
    "is_headed",
    "is_sqlite",
    "ordered_sources",
    "parse",
    "read_lines",
    "read_trail",
]

_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class RawLine:
    """One stored record, unparsed: where it is and its bytes."""

    source: Path
    number: int
    """1-based line number (JSON Lines) or row number (SQLite)."""
    data: bytes
    complete: bool
    """False for a last line without its newline: the writer stopped mid-record."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One parsed record and where it was read."""

    data: dict[str, Any]
    source: Path
    line: int

    @property
    def kind(self) -> str:
        """``header``, ``decision``, ``outcome``, ``dropped``, ``write_failed`` or ``error``."""
        return str(self.data.get("kind"))

    @property
    def seq(self) -> int:
        """Position in the chain."""
        return int(self.data["seq"])

    @property
    def conversation_id(self) -> str | None:
        """The conversation it belongs to (``None`` for headers and notices)."""
        value = self.data.get("conversation_id")
        return None if value is None else str(value)


def is_sqlite(path: Path) -> bool:
    """Whether ``path`` is an SQLite database (by its first bytes, not its name)."""
    with path.open("rb") as file:
        return file.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC


def read_lines(path: str | os.PathLike[str]) -> Iterator[RawLine]:
    """The stored records of one file or database, in stored order."""
    source = Path(path)
    try:
        sqlite = is_sqlite(source)
    except OSError as error:
        raise AuditError(f"{source}: cannot read ({error.strerror or error})") from None
    if sqlite:
        for number, data in read_sqlite(source):
            yield RawLine(source, number, data, complete=True)
        return
    with source.open("rb") as file:
        for number, line in enumerate(file, start=1):
            complete = line.endswith(b"\n")
            yield RawLine(source, number, line.rstrip(b"\n"), complete)


def parse(line: RawLine) -> dict[str, Any] | None:
    """The record on ``line``, or ``None`` if it is not a JSON object with a ``seq``."""
    try:
        record = json.loads(line.data)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
        return None
    return record


def read_trail(paths: Iterable[str | os.PathLike[str]]) -> Iterator[AuditRecord]:
    """Every record of the given files, segments in chain order; ``AuditError`` if unreadable.

    A torn last line is skipped; ``escalate audit verify`` reports it.
    """
    for lines in ordered_sources(paths):
        for line in lines:
            record = parse(line)
            if record is None:
                if not line.complete:
                    continue
                raise AuditError(
                    f"{line.source}:{line.number}: not an audit record;"
                    f" run `escalate audit verify {line.source}`"
                )
            yield AuditRecord(record, line.source, line.number)


def ordered_sources(paths: Iterable[str | os.PathLike[str]]) -> list[list[RawLine]]:
    """Each source's lines, sources ordered by chain then segment (from their headers)."""
    loaded = []
    for path in paths:
        lines = list(read_lines(path))
        if not is_headed(lines):
            raise AuditError(f"{path}: does not start with an escalate audit header")
        loaded.append(lines)
    return chain_order(loaded)


def is_headed(lines: list[RawLine]) -> bool:
    """Whether a source's first line is an audit header."""
    header = parse(lines[0]) if lines else None
    return header is not None and header.get("kind") == "header"


def chain_order(sources: list[list[RawLine]]) -> list[list[RawLine]]:
    """Headed sources ordered by chain then segment (from their headers)."""

    def key(lines: list[RawLine]) -> tuple[str, int]:
        header = parse(lines[0]) or {}
        return str(header.get("chain")), int(header.get("segment", 0))

    return sorted(sources, key=key)
