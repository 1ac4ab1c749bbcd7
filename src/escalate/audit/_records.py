"""What the engine hands the audit trail, and the JSON record each becomes.

The engine's side is cheap: it queues a ``TurnEntry`` (references to frozen data it already
built) and goes on. The writer thread turns it into a record: redaction, the rule trace and
serialisation all happen there, off the bot's turn.

A decision record carries what replay needs (``inputs``): every detector's reading (score,
cues, the kind and turn of each piece of evidence) and the facts the policy's rules read. The
policy decides from those alone, so a replay under another policy needs no text and is exact.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from escalate.audit._chain import dumps
from escalate.audit._redact import redact_decision
from escalate.events import library_version
from escalate.policy import scored_by

if TYPE_CHECKING:
    from escalate.audit._redact import Redactor
    from escalate.core import ScoredTurn
    from escalate.models import Decision, Outcome, Turn

__all__ = ["OutcomeEntry", "RecordBody", "RecordBuilder", "TextMode", "TurnEntry"]

_QUOTES_REMEMBERED: Final = 4096


class TextMode(StrEnum):
    """How much of the conversation's text an audit record keeps."""

    REDACTED = "redacted"
    """The turn's text and evidence quotes, with secrets replaced (the default)."""
    NONE = "none"
    """No text at all: signals, evidence kinds and spans only. Replay still works."""


class RecordBody(NamedTuple):
    """A record as a sink receives it: the chain adds ``seq``, ``prev`` and ``hash``."""

    kind: str
    """``decision``, ``outcome``, or a notice: ``dropped``, ``write_failed``, ``error``."""
    conversation_id: str | None
    fields: bytes
    """The record's fields: a JSON object, UTF-8."""


class TurnEntry(NamedTuple):
    """One decided turn, as queued by the engine (nothing in it changes after the turn)."""

    decision: Decision
    turn: Turn
    scored: ScoredTurn | None
    """``None`` when the engine failed on the turn (a fail-safe decision)."""


class OutcomeEntry(NamedTuple):
    """An outcome the host reported (``record_outcome``)."""

    conversation_id: str
    outcome: Outcome
    note: str | None
    user_turns: int | None
    """The conversation's user turns when it was reported (``None``: it was unknown)."""
    at: str
    """When it was reported (ISO 8601, UTC)."""


class RecordBuilder:
    """Turns entries into record bodies (before the chain adds ``seq``, ``prev``, ``hash``)."""

    def __init__(self, redactor: Redactor, text: TextMode = TextMode.REDACTED) -> None:
        self.redactor = redactor
        self.text = TextMode(text)
        # Evidence is carried from turn to turn and quoted by reasons and readings alike: the
        # same quotes come back record after record, so their redaction is remembered.
        self._redacted: dict[str, str] = {}

    def body(self, entry: TurnEntry | OutcomeEntry) -> RecordBody:
        """The record for ``entry``."""
        if isinstance(entry, OutcomeEntry):
            return self.outcome(entry)
        return self.decision(entry)

    def outcome(self, entry: OutcomeEntry) -> RecordBody:
        """The record of a reported outcome."""
        fields = {
            "kind": "outcome",
            "at": entry.at,
            "conversation_id": entry.conversation_id,
            "outcome": entry.outcome.value,
            "note": self._text(entry.note),
            "user_turns": entry.user_turns,
        }
        return RecordBody("outcome", entry.conversation_id, dumps(fields))

    def decision(self, entry: TurnEntry) -> RecordBody:
        """The record of a decided turn."""
        decision = entry.decision
        turn = entry.turn
        scored = entry.scored
        inputs = None
        if scored is not None:
            inputs = {
                "readings": {
                    name: {
                        "score": reading.score,
                        "cues": sorted(reading.cues),
                        # The policy reads which kinds turned up on which turns, never quotes
                        # or how often: one pair each keeps replay exact and the record small.
                        "evidence": [
                            list(pair)
                            for pair in dict.fromkeys(
                                (item.kind, item.turn_index) for item in reading.evidence
                            )
                        ],
                    }
                    for name, reading in scored.readings.items()
                },
                "turns": scored.turns,
                "user_turns": scored.user_turns,
                "elapsed_seconds": scored.elapsed_seconds,
                "now": scored.now.isoformat(),
            }
        fields = dumps(
            {
                "kind": "decision",
                "at": decision.created_at.isoformat(),
                # Per record: a file continued after an upgrade holds two versions' records.
                "library_version": library_version(),
                "conversation_id": decision.conversation_id,
                "turn_index": decision.turn_index,
                "turn": {
                    "role": turn.role.value,
                    "text": self._text(turn.text),
                    "ts": None if turn.ts is None else turn.ts.isoformat(),
                    "meta": self.redactor.redact_value(dict(turn.meta)) if turn.meta else {},
                },
                "inputs": inputs,
                "trace": None if scored is None else _trace(scored),
            }
        )
        # pydantic writes the decision's JSON in Rust: splice it in rather than re-encode it.
        decision_json = (
            redact_decision(decision, self.redactor, self._quote).model_dump_json().encode()
        )
        return RecordBody(
            "decision",
            decision.conversation_id,
            b'{"decision":' + decision_json + b"," + fields[1:],
        )

    def _text(self, text: str | None) -> str | None:
        if text is None or self.text is TextMode.NONE:
            return None
        return self.redactor.redact(text)

    def _quote(self, text: str) -> str:
        if self.text is TextMode.NONE:
            return ""
        redacted = self._redacted.get(text)
        if redacted is None:
            if len(self._redacted) >= _QUOTES_REMEMBERED:
                self._redacted.clear()
            redacted = self._redacted[text] = self.redactor.redact(text)
        return redacted


def _trace(scored: ScoredTurn) -> dict[str, Any]:
    """Every threshold and rule the policy weighed, compactly (``escalate policy explain``).

    The same facts as ``escalate.policy.trace_turn``, written straight to JSON values: this runs
    for every record.
    """
    readings = scored.readings
    policy, facts = scored_by(scored)
    signals = []
    for signal in policy.compiled:
        reading = readings.get(signal.name)
        if reading is not None:
            signals.append(
                {
                    "name": signal.name,
                    "level": round(reading.score, 4),
                    "offer": signal.offer,
                    "handoff": signal.handoff,
                    "reached": signal.stage(reading.score).value,
                }
            )
    rules = []
    if facts is not None:
        for rule in policy.compiled_rules.rules:
            check = rule.predicate.explain(facts)
            rules.append(
                {
                    "id": rule.id,
                    "action": rule.action.value,
                    "reason": rule.reason.value,
                    "matched": check.holds,
                    # null: no numeric scale to be near on (a role, a meta value)
                    "distance": _distance(check.distance),
                }
            )
    return {"signals": signals, "rules": rules}


def _distance(distance: float) -> float | None:
    return None if math.isinf(distance) else round(distance, 4)
