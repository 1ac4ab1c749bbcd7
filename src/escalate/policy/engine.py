"""From signal levels to an action: the policy's decision, with no I/O and no clock.

``decide`` reads the levels and the conversation's escalation memory and returns a ``Verdict``;
``remember_verdict`` then writes back what the next turn needs to know (an offer is open, the
customer declined, the conversation was handed off). Keeping the two apart keeps ``decide``
a pure function that policy tests and replays can call directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from escalate.models import Action, Reason, ReasonCode, Role
from escalate.signals.human_request import BOT_QUESTION, HUMAN_OFFERED, OFFER_DECLINED, OPT_OUT
from escalate.state.conversation import EVIDENCE_KEPT, EscalationMemory

if TYPE_CHECKING:
    from collections.abc import Mapping

    from escalate.policy.model import Policy
    from escalate.signals.base import SignalReading

__all__ = ["Verdict", "all_cues", "decide", "record_decline", "remember_verdict"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The policy's answer for one turn."""

    action: Action
    reasons: tuple[Reason, ...] = ()
    suppressed: tuple[Reason, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Candidate:
    signal: str
    stage: Action
    reason: Reason


def decide(
    policy: Policy,
    readings: Mapping[str, SignalReading],
    memory: EscalationMemory,
    *,
    role: Role,
    user_turn: int,
    cues: frozenset[str] | None = None,
) -> Verdict:
    """Decide the action for a turn from its signal readings.

    ``cues`` is the union of the readings' cues; pass it when already computed.
    """
    candidates = _candidates(policy, readings, memory)
    if cues is None:
        cues = all_cues(readings)
    if role is Role.AGENT or (memory.handed_off and policy.sticky_handoff):
        reasons = _ranked(candidates) or tuple(memory.handoff_reasons)
        note = (
            "a human agent is in the conversation" if role is Role.AGENT else "handed off earlier"
        )
        return Verdict(Action.HANDOFF, reasons, notes=(note,))
    if not candidates:
        return _CONTINUE
    asked_for_human = any(c.reason.code is ReasonCode.HUMAN_REQUESTED for c in candidates)
    notes: list[str] = []
    held: list[_Candidate] = []
    opted_out = memory.opted_out_user_turn is not None or OPT_OUT in cues
    honoured = opted_out and policy.opt_out.honour and not asked_for_human
    if honoured and not _any_danger(candidates, policy.opt_out.danger):
        notes.append("the customer asked to stay with the bot")
        held, candidates = candidates, []
    declined_now = OFFER_DECLINED in cues
    if declined_now or _in_cooldown(policy, memory, user_turn):
        kept = []
        for candidate in candidates:
            at_decline = memory.declined_levels.get(candidate.signal, 0.0)
            rose_sharply = candidate.reason.score >= at_decline + policy.cooldown.sharp_rise
            if candidate.stage is Action.OFFER_HUMAN and (declined_now or not rose_sharply):
                held.append(candidate)
            else:
                kept.append(candidate)
        if len(kept) < len(candidates):
            notes.append("an offer was declined; not offering again yet")
        candidates = kept
    action = max((c.stage for c in candidates), key=lambda a: a.rank, default=Action.CONTINUE)
    return Verdict(action, _ranked(candidates), _ranked(held), tuple(notes))


def all_cues(readings: Mapping[str, SignalReading]) -> frozenset[str]:
    """Every cue any detector raised on the turn."""
    cues: frozenset[str] = frozenset()
    for reading in readings.values():
        if reading.cues:
            cues = cues | reading.cues
    return cues


def remember_verdict(
    verdict: Verdict,
    levels: Mapping[str, float],
    cues: frozenset[str],
    memory: EscalationMemory,
    *,
    role: Role,
    user_turn: int,
) -> None:
    """Update the escalation memory after a decision (``levels``: every signal's level)."""
    previous = memory.last_action
    memory.last_levels = dict(levels)
    if verdict.reasons and any(
        reason.code is ReasonCode.HUMAN_REQUESTED for reason in verdict.reasons
    ):
        memory.opted_out_user_turn = None
        memory.declined_user_turn = None
    if OPT_OUT in cues:
        memory.opted_out_user_turn = user_turn
    if OFFER_DECLINED in cues:
        record_decline(memory, user_turn)
    if verdict.action is Action.HANDOFF and not memory.handed_off:
        memory.handed_off = True
        memory.handoff_reasons = list(verdict.reasons[:EVIDENCE_KEPT])
    offering = verdict.action is Action.OFFER_HUMAN
    memory.open_offer = [r.code.value for r in verdict.reasons] if offering else []
    newly_offered = offering and previous is not Action.OFFER_HUMAN
    if role is Role.USER:
        memory.offer_pending = newly_offered
    elif HUMAN_OFFERED in cues or newly_offered:
        memory.offer_pending = True
    elif BOT_QUESTION in cues:
        # The bot asked something else since: a "yes" now answers that question.
        memory.offer_pending = False
    memory.last_action = verdict.action


_CONTINUE = Verdict(Action.CONTINUE)


def record_decline(memory: EscalationMemory, user_turn: int) -> None:
    """The customer declined a human: hold offers back at today's levels."""
    memory.declined_user_turn = user_turn
    memory.declined_levels = dict(memory.last_levels)
    memory.offer_pending = False
    memory.open_offer = []


def _candidates(
    policy: Policy, readings: Mapping[str, SignalReading], memory: EscalationMemory
) -> list[_Candidate]:
    found = []
    open_offer = memory.open_offer
    for name, reason, offer, handoff, release in policy.compiled:
        reading = readings.get(name)
        if reading is None:
            continue
        level = reading.score
        if handoff is not None and level >= handoff:
            stage = Action.HANDOFF
        elif offer is not None and (
            level >= offer or (level >= release and reason.value in open_offer)
        ):
            stage = Action.OFFER_HUMAN
        else:
            continue
        found.append(
            _Candidate(
                name,
                stage,
                Reason.model_construct(
                    code=reason, score=round(level, 4), evidence=reading.evidence
                ),
            )
        )
    return found


def _in_cooldown(policy: Policy, memory: EscalationMemory, user_turn: int) -> bool:
    declined = memory.declined_user_turn
    return declined is not None and user_turn - declined < policy.cooldown.declined_offer_user_turns


def _any_danger(candidates: list[_Candidate], danger: tuple[str, ...]) -> bool:
    return any(evidence.kind in danger for c in candidates for evidence in c.reason.evidence)


def _ranked(candidates: list[_Candidate]) -> tuple[Reason, ...]:
    ordered = sorted(candidates, key=lambda c: (-c.stage.rank, -c.reason.score))
    return tuple(c.reason for c in ordered)
