"""From one decided turn to rows of the insight tables (``TurnTables``).

Two producers feed it: turns scored here or on a Spark executor (a ``Decision`` and the
detectors' readings) and audit records (the same facts as JSON). Both are reduced to a
``DecidedTurn`` first, so everything the report counts is derived in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from escalate.insights._normalise import bot_message
from escalate.insights._tables import SIGNAL_COLUMNS, TurnTables

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from escalate.audit import Redactor
    from escalate.core import ScoredTurn
    from escalate.models import Decision, Turn

__all__ = [
    "REQUEST_KINDS",
    "DecidedTurn",
    "TableBuilder",
    "from_decision",
    "from_record",
    "iso_seconds",
]

REQUEST_KINDS: Final = frozenset(
    {"direct_request", "short_request", "repeated_request", "offer_accepted"}
)
"""``human_request`` evidence that is the customer asking for a person (not "are you a bot?")."""
_DEAD_END_SIGNAL: Final = "security_dead_end"
_TEXT_KEPT: Final = 300
"""Characters of a turn's text kept for examples in the report."""


class DecidedTurn(NamedTuple):
    """What the insight tables need of one decided turn, whatever recorded it."""

    conversation_id: str
    turn_index: int
    user_turn: int
    role: str
    ts: float | None
    text: str | None
    meta: Mapping[str, Any]
    action: str
    previous_action: str
    reasons: tuple[str, ...]
    signals: Mapping[str, float]
    evidence: tuple[tuple[str, str], ...]
    """(signal, kind) of the evidence found on this very turn."""
    cues: frozenset[str]


def from_decision(decision: Decision, turn: Turn, scored: ScoredTurn | None) -> DecidedTurn:
    """A turn decided here (``Escalator.evaluate_scored``)."""
    index = decision.turn_index
    evidence: list[tuple[str, str]] = []
    cues: set[str] = set()
    if scored is not None:
        for name, reading in scored.readings.items():
            cues.update(reading.cues)
            evidence.extend(
                (name, item.kind) for item in reading.evidence if item.turn_index == index
            )
    return DecidedTurn(
        decision.conversation_id,
        index,
        decision.user_turn,
        decision.role.value,
        None if turn.ts is None else turn.ts.timestamp(),
        turn.text,
        turn.meta,
        decision.action.value,
        decision.previous_action.value,
        decision.reason_codes,
        decision.signals,
        tuple(evidence),
        frozenset(cues),
    )


def from_record(record: Mapping[str, Any], conversation_id: str | None = None) -> DecidedTurn:
    """A decision record of an audit trail (``conversation_id`` overrides the recorded one)."""
    decision = record["decision"]
    turn = record.get("turn") or {}
    index = int(decision["turn_index"])
    evidence: list[tuple[str, str]] = []
    cues: set[str] = set()
    readings = (record.get("inputs") or {}).get("readings") or {}
    for name, reading in readings.items():
        cues.update(reading.get("cues") or ())
        evidence.extend((name, kind) for kind, at in reading.get("evidence") or () if at == index)
    ts = iso_seconds(turn.get("ts"))
    return DecidedTurn(
        conversation_id or str(decision["conversation_id"]),
        index,
        int(decision["user_turn"]),
        str(decision["role"]),
        iso_seconds(record.get("at")) if ts is None else ts,
        turn.get("text"),
        turn.get("meta") or {},
        str(decision["action"]),
        str(decision["previous_action"]),
        tuple(str(reason["code"]) for reason in decision.get("reasons") or ()),
        decision.get("signals") or {},
        tuple(evidence),
        frozenset(cues),
    )


def iso_seconds(value: object) -> float | None:
    """An ISO-8601 string as Unix seconds (``None`` when it is not one)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


class TableBuilder:
    """Fills ``TurnTables`` turn by turn; conversations may be interleaved.

    Args:
        redactor: redacts texts before they are kept (``None``: they already are, as in an
            audit trail).
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.tables = TurnTables()
        self._redactor = redactor
        self._meta_seen: dict[str, set[str]] = {}

    def add(self, turn: DecidedTurn) -> None:
        """Add one decided turn's rows."""
        conversation_id = turn.conversation_id
        kinds = {kind for signal, kind in turn.evidence}
        text = None if turn.text is None else self._kept(turn.text)
        row: dict[str, Any] = {
            "conversation_id": conversation_id,
            "turn_index": turn.turn_index,
            "user_turn": turn.user_turn,
            "role": turn.role,
            "ts": turn.ts,
            "text": text,
            "bot_message": bot_message(text) if text is not None and turn.role == "bot" else None,
            "action": turn.action,
            "previous_action": turn.previous_action,
            "primary_reason": turn.reasons[0] if turn.reasons else None,
            "requested_human": not REQUEST_KINDS.isdisjoint(kinds),
            "dead_end": any(signal == _DEAD_END_SIGNAL for signal, _ in turn.evidence),
            "declined_offer": "offer_declined" in turn.cues,
            "resolved": "resolved" in kinds,
        }
        for name in SIGNAL_COLUMNS:
            row[name] = turn.signals.get(name)
        tables = self.tables
        tables.add("turns", row)
        for ordinal, code in enumerate(turn.reasons):
            tables.add(
                "reasons",
                {"conversation_id": conversation_id, "turn_index": turn.turn_index,
                 "ordinal": ordinal, "code": code},
            )  # fmt: skip
        for signal, kind in dict.fromkeys(turn.evidence):
            tables.add(
                "evidence",
                {"conversation_id": conversation_id, "turn_index": turn.turn_index,
                 "detector": signal, "kind": kind},
            )  # fmt: skip
        if turn.meta:
            self._add_meta(conversation_id, turn.meta)

    def add_outcome(
        self, conversation_id: str, outcome: str, user_turns: int | None, ts: float | None
    ) -> None:
        """Add an outcome the host reported."""
        self.tables.add(
            "outcomes",
            {"conversation_id": conversation_id, "outcome": outcome, "user_turns": user_turns,
             "ts": ts},
        )  # fmt: skip

    def add_all(self, turns: Iterable[DecidedTurn]) -> None:
        """``add`` every turn."""
        for turn in turns:
            self.add(turn)

    def _kept(self, text: str) -> str:
        # Redacted whole, then cut: an address or number across the cut would not be
        # recognised in part, and would be kept.
        if self._redactor is not None:
            text = self._redactor.redact(text)
        return text[:_TEXT_KEPT]

    def _add_meta(self, conversation_id: str, meta: Mapping[str, Any]) -> None:
        seen = self._meta_seen.setdefault(conversation_id, set())
        for key, value in meta.items():
            if key in seen or value is None or isinstance(value, (dict, list)):
                continue
            seen.add(key)
            self.tables.add(
                "meta",
                {"conversation_id": conversation_id, "key": str(key), "value": _meta_value(value)},
            )


def _meta_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)[:100]
