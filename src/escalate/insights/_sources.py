"""Where the insight tables come from: audit trails, or raw transcripts scored on the fly.

``escalate report`` tells them apart by their first bytes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from escalate.audit import is_sqlite, read_trail
from escalate.exceptions import TranscriptError
from escalate.insights._rows import TableBuilder, from_decision, from_record, iso_seconds
from escalate.insights._tables import TurnTables
from escalate.transcript import open_transcript, parse_line, read_transcript

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from escalate.audit import Redactor
    from escalate.engine import Escalator

__all__ = [
    "InputKind",
    "Loaded",
    "input_kind",
    "load_inputs",
    "score_transcript_lines",
    "tables_from_audit",
    "tables_from_transcripts",
]

_AUDIT_HEADER = b'"kind":"header"'
_NOTICES = ("dropped", "write_failed", "error")


class InputKind(StrEnum):
    """What an input file holds."""

    AUDIT = "audit"
    TRANSCRIPT = "transcript"


def input_kind(path: Path) -> InputKind:
    """An audit trail (SQLite, or JSON Lines opening with a chain header) or a transcript."""
    if is_sqlite(path):
        return InputKind.AUDIT
    with path.open("rb") as file:
        first = file.readline(65_536)
    return InputKind.AUDIT if _AUDIT_HEADER in first else InputKind.TRANSCRIPT


@dataclass(slots=True)
class Loaded:
    """The tables, and what was met on the way."""

    tables: TurnTables
    notices: Counter[str] = field(default_factory=Counter)
    """Audit notices (records dropped or failed) and transcript lines skipped."""
    skipped: list[TranscriptError] = field(default_factory=list)


def tables_from_audit(paths: Iterable[Path], builder: TableBuilder | None = None) -> Loaded:
    """Read decision and outcome records of audit trails (segments in chain order).

    A conversation id used again after its conversation ended starts a new conversation,
    reported as ``<id>~2``, ``<id>~3``...
    """
    builder = builder or TableBuilder()
    notices: Counter[str] = Counter()
    current: dict[str, str] = {}  # recorded id -> reported id
    last_turn: dict[str, int] = {}
    restarts: Counter[str] = Counter()
    ended: set[str] = set()
    for record in read_trail(paths):
        kind = record.kind
        data = record.data
        if kind == "decision":
            recorded = str(data["decision"]["conversation_id"])
            index = int(data["decision"]["turn_index"])
            if index < 0:  # a fail-safe decision outside any conversation's turns
                notices["engine_error"] += 1
                continue
            if recorded in last_turn and (recorded in ended or index <= last_turn[recorded]):
                restarts[recorded] += 1
                current[recorded] = f"{recorded}~{restarts[recorded] + 1}"
            ended.discard(recorded)
            last_turn[recorded] = index
            builder.add(from_record(data, current.get(recorded, recorded)))
        elif kind == "outcome":
            recorded = str(data["conversation_id"])
            builder.add_outcome(
                current.get(recorded, recorded),
                str(data["outcome"]),
                data.get("user_turns"),
                iso_seconds(data.get("at")),
            )
            if data["outcome"] == "ended":
                ended.add(recorded)  # its next turn starts a new conversation
        elif kind in _NOTICES:
            notices[kind] += int(data.get("count", 1)) if kind == "dropped" else 1
    return Loaded(builder.tables, notices)


def tables_from_transcripts(
    paths: Iterable[Path],
    escalator: Escalator,
    redactor: Redactor,
    *,
    skip_errors: bool = False,
    on_read: Callable[[int], None] | None = None,
) -> Loaded:
    """Score every turn of JSON Lines transcripts (conversations may be interleaved).

    ``on_read(n)`` hears of every ``n`` bytes read (for a progress bar).
    """
    builder = TableBuilder(redactor)
    loaded = Loaded(builder.tables)
    for path in paths:
        with open_transcript(path, on_read) as file:
            for item in read_transcript(file, str(path)):
                if isinstance(item, TranscriptError):
                    if not skip_errors:
                        raise item
                    loaded.skipped.append(item)
                    loaded.notices["skipped_lines"] += 1
                    continue
                decision, scored = escalator.evaluate_scored(item.conversation_id, item.turn)
                builder.add(from_decision(decision, item.turn, scored))
    return loaded


def score_transcript_lines(
    lines: Iterable[tuple[int, str]], escalator: Escalator, redactor: Redactor, source: str
) -> tuple[TurnTables, list[TranscriptError]]:
    """Score one conversation's numbered lines, in order (a Spark group), then forget it."""
    builder = TableBuilder(redactor)
    errors: list[TranscriptError] = []
    seen: set[str] = set()
    for number, raw in lines:
        try:
            item = parse_line(raw, number, source)
        except TranscriptError as error:
            errors.append(error)
            continue
        seen.add(item.conversation_id)
        decision, scored = escalator.evaluate_scored(item.conversation_id, item.turn)
        builder.add(from_decision(decision, item.turn, scored))
    for conversation_id in seen:
        escalator.record_outcome(conversation_id, "ended")
    return builder.tables, errors


def load_inputs(
    paths: Iterable[Path],
    escalator: Callable[[], Escalator],
    redactor: Redactor,
    *,
    skip_errors: bool = False,
    on_read: Callable[[int], None] | None = None,
) -> Loaded:
    """Audit trails read and transcripts scored (by ``escalator()``, made only if needed).

    ``on_read(n)`` hears of every ``n`` bytes of transcript read.
    """
    paths = list(paths)
    trails = [path for path in paths if input_kind(path) is InputKind.AUDIT]
    transcripts = [path for path in paths if path not in trails]
    loaded = tables_from_audit(trails) if trails else Loaded(TurnTables())
    if transcripts:
        scored = tables_from_transcripts(
            transcripts, escalator(), redactor, skip_errors=skip_errors, on_read=on_read
        )
        loaded.tables.extend(scored.tables)
        loaded.notices.update(scored.notices)
        loaded.skipped.extend(scored.skipped)
    return loaded
