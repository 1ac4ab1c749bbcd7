"""Re-deciding recorded turns under another policy, to see what it would change.

Each decision record keeps every detector's reading and the facts the rules read; the policy
decides from those alone. Replay feeds them, conversation by conversation and with the outcomes
the host reported, through the new policy: no text is needed and nothing is written.

Replay is exact for policy changes (thresholds, rules, routes, hours, cooldowns). Changes to the
detectors themselves (a new library version, another lexicon) need the text: re-score the
transcripts with ``escalate policy diff`` instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from escalate.audit._read import AuditRecord, read_trail
from escalate.core import (
    Action,
    EscalationMemory,
    Evidence,
    Outcome,
    PolicyInputs,
    PolicyRef,
    Role,
    SignalReading,
    all_cues,
)
from escalate.policy import apply_outcome, load_policy, policy_step

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable

    from escalate.policy import Policy, PolicySource

__all__ = ["ReplayReport", "TurnChange", "replay"]


@dataclass(frozen=True, slots=True)
class TurnChange:
    """A recorded turn the new policy decides differently."""

    conversation_id: str
    turn_index: int
    before: Action
    after: Action
    reasons_before: tuple[str, ...]
    reasons_after: tuple[str, ...]
    route_before: str | None
    route_after: str | None
    text: str | None
    """The turn's recorded (redacted) text, when the trail keeps text."""
    where: str
    """``file:line`` of the record."""


@dataclass(slots=True)
class ReplayReport:
    """What replaying a trail under another policy found."""

    policy: PolicyRef
    turns: int = 0
    """Recorded decisions replayed."""
    conversations: int = 0
    skipped: int = 0
    """Fail-safe decisions, which have no readings to replay."""
    partial: list[str] = field(default_factory=list)
    """Conversations whose first turns are not in the trail: their early state is unknown."""
    changes: list[TurnChange] = field(default_factory=list)
    by_action: Counter[tuple[Action, Action]] = field(default_factory=Counter)
    """Every replayed turn by (recorded action, new action)."""
    reasons_gained: Counter[str] = field(default_factory=Counter)
    reasons_lost: Counter[str] = field(default_factory=Counter)
    same_policy_drift: int = 0
    """Changed turns that were recorded under this very policy (should be 0: see ``partial``)."""

    @property
    def changed(self) -> int:
        """How many turns the new policy decides differently."""
        return len(self.changes)

    def as_json(self, examples: int = 10) -> dict[str, Any]:
        """A JSON summary (``escalate replay --format json``)."""
        return {
            "policy": self.policy.model_dump(mode="json"),
            "turns": self.turns,
            "conversations": self.conversations,
            "changed": self.changed,
            "skipped": self.skipped,
            "partial_conversations": len(self.partial),
            "same_policy_drift": self.same_policy_drift,
            "by_action": [
                {"before": before.value, "after": after.value, "turns": count}
                for (before, after), count in sorted(self.by_action.items())
            ],
            "reasons_gained": dict(self.reasons_gained.most_common()),
            "reasons_lost": dict(self.reasons_lost.most_common()),
            "examples": [
                {
                    "conversation_id": change.conversation_id,
                    "turn_index": change.turn_index,
                    "before": change.before.value,
                    "after": change.after.value,
                    "reasons_before": list(change.reasons_before),
                    "reasons_after": list(change.reasons_after),
                    "route_before": change.route_before,
                    "route_after": change.route_after,
                    "text": change.text,
                    "where": change.where,
                }
                for change in self.changes[:examples]
            ],
        }


def replay(
    paths: Iterable[str | os.PathLike[str]],
    policy: PolicySource | None,
    *,
    signals: Iterable[str] | None = None,
    on_replayed: Callable[[int, int], None] | None = None,
) -> ReplayReport:
    """Decide every recorded turn of the trails in ``paths`` again under ``policy``.

    ``policy``: a ``Policy``, a dict or a file, as for ``Escalator``; ``None`` is the default.

    ``signals``: the signal names the policy may use (default: those the trail recorded).

    ``on_replayed``: told ``(conversations done, conversations in all)`` after each one.
    Raises ``AuditError`` for an unreadable trail and ``PolicyError`` for a bad policy.
    """
    conversations: dict[str, list[AuditRecord]] = {}
    chains: dict[str, set[str]] = {}
    seen_signals: set[str] = set()
    for record in read_trail(paths):
        conversation = record.conversation_id
        if conversation is None or record.kind not in {"decision", "outcome"}:
            continue
        conversations.setdefault(conversation, []).append(record)
        chains.setdefault(conversation, set()).add(str(record.source))
        inputs = record.data.get("inputs") or {}
        seen_signals.update(inputs.get("readings", {}))
    if signals is None and seen_signals:
        signals = seen_signals
    loaded = load_policy(policy, signals=None if signals is None else sorted(signals))
    report = ReplayReport(loaded.ref)
    for conversation, records in conversations.items():
        if len(chains[conversation]) > 1:  # several writers' files: merge by event time
            records.sort(key=_event_time)
        _replay_conversation(loaded, conversation, records, report)
        if on_replayed is not None:
            on_replayed(report.conversations, len(conversations))
    return report


def _replay_conversation(
    policy: Policy, conversation: str, records: list[AuditRecord], report: ReplayReport
) -> None:
    report.conversations += 1
    memory = EscalationMemory()
    user_turns = 0
    first = True
    last_index = -1
    for record in records:
        data = record.data
        if record.kind == "outcome":
            outcome = Outcome(data["outcome"])
            if outcome is Outcome.ENDED:
                memory = EscalationMemory()
            else:
                memory = apply_outcome(memory, outcome, data.get("user_turns") or user_turns)
            continue
        inputs = data.get("inputs")
        if inputs is None:
            report.skipped += 1
            continue
        index = data["turn_index"]
        if index <= last_index:
            # The engine started this id afresh (ended, or expired from the store): so do we.
            memory = EscalationMemory()
        elif first and index != 0:
            report.partial.append(conversation)
        first = False
        last_index = index
        user_turns = inputs["user_turns"]
        _replay_turn(policy, record, inputs, memory, report)


def _replay_turn(
    policy: Policy,
    record: AuditRecord,
    inputs: dict[str, Any],
    memory: EscalationMemory,
    report: ReplayReport,
) -> None:
    data = record.data
    recorded = data["decision"]
    role = Role(data["turn"]["role"])
    readings = {
        name: SignalReading(
            reading["score"],
            tuple(_evidence(item) for item in reading["evidence"]),
            frozenset(reading["cues"]),
        )
        for name, reading in inputs["readings"].items()
    }
    turn_inputs = PolicyInputs(
        readings=readings,
        levels={name: round(reading.score, 4) for name, reading in readings.items()},
        cues=all_cues(readings),
        role=role,
        turn_index=data["turn_index"],
        turns=inputs["turns"],
        user_turns=inputs["user_turns"],
        elapsed_seconds=inputs["elapsed_seconds"],
        meta=data["turn"]["meta"],
        now=datetime.fromisoformat(inputs["now"]),
    )
    verdict = policy_step(policy, turn_inputs, memory).verdict
    report.turns += 1
    before = Action(recorded["action"])
    report.by_action[before, verdict.action] += 1
    reasons_before = tuple(reason["code"] for reason in recorded["reasons"])
    reasons_after = tuple(reason.code.value for reason in verdict.reasons)
    if (before, reasons_before, recorded.get("route")) == (
        verdict.action,
        reasons_after,
        verdict.route,
    ):
        return
    report.reasons_gained.update(set(reasons_after) - set(reasons_before))
    report.reasons_lost.update(set(reasons_before) - set(reasons_after))
    if recorded["policy"]["hash"] == policy.content_hash:
        report.same_policy_drift += 1
    report.changes.append(
        TurnChange(
            conversation_id=str(data["conversation_id"]),
            turn_index=data["turn_index"],
            before=before,
            after=verdict.action,
            reasons_before=reasons_before,
            reasons_after=reasons_after,
            route_before=recorded.get("route"),
            route_after=verdict.route,
            text=data["turn"].get("text"),
            where=f"{record.source}:{record.line}",
        )
    )


def _event_time(record: AuditRecord) -> datetime:
    return datetime.fromisoformat(str(record.data["at"]))


def _evidence(item: list[Any]) -> Evidence:
    kind, turn_index = item
    return Evidence.model_construct(kind=kind, text="", turn_index=turn_index, span=None)
