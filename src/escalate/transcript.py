"""Read transcripts: JSON Lines, one turn a line, conversations possibly interleaved.

Each line is an object with ``conversation_id`` (string), ``role`` (user, bot, agent or
system), ``text`` (string) and optionally ``ts`` (ISO-8601 or Unix seconds) and ``meta`` (an
object). Other keys (labels, sources) are allowed and ignored.
"""

from __future__ import annotations

import io
import json
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from pydantic import ValidationError

from escalate.exceptions import TranscriptError
from escalate.models import Role, Turn

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

__all__ = [
    "TranscriptLine",
    "json_object",
    "open_transcript",
    "parse_line",
    "read_transcript",
    "text_lines",
]

_TURN_FIELDS = frozenset({"role", "text", "ts", "meta"})
_ROLES = ", ".join(role.value for role in Role)
_ROLE_VALUES = frozenset(role.value for role in Role)
# What surrogateescape decoding puts in place of a byte that is not UTF-8: U+DC80..U+DCFF.
_UNDECODED = re.compile("[\udc80-\udcff]")


def open_transcript(path: Path, on_read: Callable[[int], None] | None = None) -> TextIO:
    """Open a transcript for ``read_transcript``: a byte that is not UTF-8 fails its line only.

    The file is decoded with ``surrogateescape``, so reading never raises
    ``UnicodeDecodeError``; the line holding such a byte is reported by ``parse_line``.
    ``on_read(n)`` hears of every ``n`` bytes read (for a progress bar).
    """
    if on_read is None:
        return path.open(encoding="utf-8", errors="surrogateescape")
    raw = _CountedReader(path.open("rb", buffering=0), on_read)
    return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", errors="surrogateescape")


class _CountedReader(io.RawIOBase):
    """A binary file that reports how many bytes each read returned."""

    def __init__(self, file: io.FileIO, on_read: Callable[[int], None]) -> None:
        self._file = file
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer)
        if count:
            self._on_read(count)
        return count or 0

    def close(self) -> None:
        self._file.close()
        super().close()


def text_lines(stream: BinaryIO | None = None) -> TextIO:
    """Standard input (or ``stream``) as ``open_transcript`` reads a file."""
    binary = stream if stream is not None else sys.stdin.buffer
    return io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape")


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One valid line: where it came from and the turn it holds."""

    line: int
    conversation_id: str
    turn: Turn
    extra: dict[str, Any]
    """Keys of the line beyond the turn's own (labels, sources)."""


def read_transcript(
    lines: Iterable[str], source: str = "<stdin>"
) -> Iterator[TranscriptLine | TranscriptError]:
    """Parse lines lazily; a bad line yields a ``TranscriptError`` instead of stopping.

    Blank lines are skipped. The caller decides whether an error is fatal.
    """
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            yield parse_line(raw, number, source)
        except TranscriptError as error:
            yield error


def json_object(raw: str, number: int, source: str) -> dict[str, Any]:
    """Parse one JSON Lines line that must hold an object; errors name the line."""
    undecoded = _UNDECODED.search(raw)
    if undecoded is not None:
        byte = ord(undecoded[0]) - 0xDC00
        raise TranscriptError(
            source, number, f"not UTF-8: byte 0x{byte:02x} at column {undecoded.start() + 1}"
        )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TranscriptError(
            source, number, f"not valid JSON: {exc.msg} at column {exc.colno}"
        ) from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise TranscriptError(source, number, "not valid JSON: nested too deeply") from None
    except ValueError:  # an integer longer than Python converts
        limit = sys.get_int_max_str_digits()
        raise TranscriptError(
            source, number, f"not valid JSON: a number longer than {limit} digits"
        ) from None
    if not isinstance(data, dict):
        raise TranscriptError(source, number, f"expected a JSON object, got {type(data).__name__}")
    return data


def parse_line(raw: str, number: int, source: str) -> TranscriptLine:
    """Parse one line; ``TranscriptError`` names the line and field that are wrong."""
    data = json_object(raw, number, source)
    conversation_id = data.get("conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id:
        got = "nothing" if conversation_id is None else repr(conversation_id)
        raise TranscriptError(
            source, number, f"expected a non-empty string, got {got}", "conversation_id"
        )
    role = data.get("role")
    if not isinstance(role, str) or role not in _ROLE_VALUES:  # a list is not even hashable
        got = "nothing" if role is None else repr(role)
        raise TranscriptError(source, number, f"expected one of {_ROLES}, got {got}", "role")
    try:
        turn = Turn.model_validate({key: data[key] for key in _TURN_FIELDS if key in data})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise TranscriptError(
            source, number, f"{error['msg']} (got {error.get('input')!r})", field
        ) from None
    extra = {
        key: value
        for key, value in data.items()
        if key not in _TURN_FIELDS and key != "conversation_id"
    }
    return TranscriptLine(number, conversation_id, turn, extra)
