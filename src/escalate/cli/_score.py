"""``escalate score``: run a transcript through the engine, one decision per user turn."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from escalate.engine import Escalator
from escalate.exceptions import TranscriptError
from escalate.models import Decision, Role
from escalate.transcript import TranscriptLine, read_transcript

__all__ = ["ScoreRun", "ScoredTurn", "score_lines", "score_row"]


@dataclass(frozen=True, slots=True)
class ScoredTurn:
    """A transcript line and the decision made on it."""

    line: TranscriptLine
    decision: Decision


@dataclass(slots=True)
class ScoreRun:
    """What a run skipped (with ``--on-error skip``)."""

    skipped: list[TranscriptError] = field(default_factory=list)


def score_lines(
    escalator: Escalator,
    lines: Iterable[str],
    source: str,
    run: ScoreRun,
    *,
    skip_errors: bool,
) -> Iterator[ScoredTurn]:
    """Evaluate every turn in order; raise the first ``TranscriptError`` unless skipping."""
    for item in read_transcript(lines, source):
        if isinstance(item, TranscriptError):
            if not skip_errors:
                raise item
            run.skipped.append(item)
            sys.stderr.write(f"skipped {item}\n")
            continue
        yield ScoredTurn(item, escalator.evaluate(item.conversation_id, item.turn))


def score_row(decision: Decision) -> dict[str, Any]:
    """The JSON object ``escalate score --format jsonl`` prints for a user turn."""
    return {
        "conversation_id": decision.conversation_id,
        "turn_index": decision.turn_index,
        "user_turn": decision.user_turn,
        "action": decision.action.value,
        "reasons": [reason.model_dump(mode="json") for reason in decision.reasons],
        "route": decision.route,
        "message": decision.message,
        "signals": decision.signals,
    }


def write_jsonl(scored: Iterable[ScoredTurn], out: TextIO) -> None:
    """Print one line per user turn, as they are decided (streaming)."""
    for item in scored:
        if item.decision.role is Role.USER:
            line = json.dumps(score_row(item.decision), ensure_ascii=False)
            # A lone surrogate (valid JSON: "\\ud800") cannot be written as UTF-8: escape it.
            out.write(_SURROGATE.sub(lambda match: f"\\u{ord(match[0]):04x}", line) + "\n")


_SURROGATE = re.compile("[\ud800-\udfff]")
