"""From signal levels to an action: the policy's decision, with no I/O and no clock.

``policy_step`` is the policy's whole turn, as the turn step, replays and tools call it: it
reads what the rules need (``rule_facts``), decides (``decide``) and writes back what the next
turn needs to know (``remember_verdict``: an offer is open, the customer declined, the
conversation was handed off). ``decide`` alone is a pure function that policy tests call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from escalate.core import (
    BOT_QUESTION,
    EVIDENCE_KEPT,
    HUMAN_OFFERED,
    OFFER_DECLINED,
    OPT_OUT,
    Action,
    EscalationMemory,
    Outcome,
    PolicyInputs,
    PolicyResult,
    Reason,
    ReasonCode,
    Role,
    Verdict,
    all_cues,
    reason,
)
from escalate.policy._compiled import CompiledRules, RuleFacts

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from pydantic import JsonValue

    from escalate.core import Evidence, SignalReading
    from escalate.policy._model import Policy

__all__ = [
    "Verdict",
    "all_cues",
    "apply_outcome",
    "decide",
    "policy_step",
    "record_decline",
    "remember_verdict",
    "rule_facts",
]


@dataclass(frozen=True, slots=True)
class _Candidate:
    signal: str | None
    """The signal whose rise can reopen a declined offer (``None``: a rule on other facts)."""
    stage: Action
    reason: Reason
    priority: int = 0
    route: str | None = None
    message: str | None = None


def policy_step(policy: Policy, inputs: PolicyInputs, memory: EscalationMemory) -> PolicyResult:
    """The policy's whole turn: read the rules' facts, decide, and update ``memory``."""
    readings, cues, role, user_turns = inputs.readings, inputs.cues, inputs.role, inputs.user_turns
    facts = rule_facts(
        policy,
        readings,
        memory,
        role=role,
        turn_index=inputs.turn_index,
        turns=inputs.turns,
        user_turns=user_turns,
        elapsed_seconds=inputs.elapsed_seconds,
        meta=inputs.meta,
        now=inputs.now,
        cues=cues,
    )
    verdict = decide(
        policy, readings, memory, role=role, user_turn=user_turns, cues=cues, facts=facts
    )
    remember_verdict(verdict, inputs.levels, cues, memory, role=role, user_turn=user_turns)
    return PolicyResult(verdict, facts)


def decide(
    policy: Policy,
    readings: Mapping[str, SignalReading],
    memory: EscalationMemory,
    *,
    role: Role,
    user_turn: int,
    cues: frozenset[str] | None = None,
    facts: RuleFacts | None = None,
) -> Verdict:
    """Decide the action for a turn from its signal readings.

    ``cues`` is the union of the readings' cues; pass it when already computed. ``facts``
    (from ``rule_facts``) feeds the policy's rules and route availability; without it, rules
    are not consulted.
    """
    candidates = _candidates(policy, readings, memory)
    if facts is not None:
        candidates.extend(_rule_candidates(policy.compiled_rules, readings, facts))
    if cues is None:
        cues = all_cues(readings)
    if role is Role.AGENT or (memory.handed_off and policy.sticky_handoff):
        return _already_handed_off(candidates, memory, role)
    if not candidates:
        return _CONTINUE
    # A chain of small steps, each holding back what it must: opt-out, cooldown, rank, route.
    notes: list[str] = []
    candidates, held = _honour_opt_out(policy, candidates, memory, cues, notes)
    candidates, cooled = _cool_down(policy, candidates, memory, cues, notes, user_turn=user_turn)
    return _route(policy, _ranked(candidates), _reasons(_ranked(held + cooled)), facts, notes)


def _honour_opt_out(
    policy: Policy,
    candidates: list[_Candidate],
    memory: EscalationMemory,
    cues: frozenset[str],
    notes: list[str],
) -> tuple[list[_Candidate], list[_Candidate]]:
    """Hold every candidate when the customer asked to stay with the bot: (kept, held).

    Not when the customer also asks for a person, nor when a candidate is a danger.
    """
    asked_for_human = any(c.reason.code is ReasonCode.HUMAN_REQUESTED for c in candidates)
    opted_out = memory.opted_out_user_turn is not None or OPT_OUT in cues
    honoured = opted_out and policy.opt_out.honour and not asked_for_human
    if honoured and not _any_danger(candidates, policy.opt_out.danger):
        notes.append("the customer asked to stay with the bot")
        return [], candidates
    return candidates, []


def _cool_down(
    policy: Policy,
    candidates: list[_Candidate],
    memory: EscalationMemory,
    cues: frozenset[str],
    notes: list[str],
    *,
    user_turn: int,
) -> tuple[list[_Candidate], list[_Candidate]]:
    """Hold offers after a declined one: (kept, held).

    Right after the decline every offer is held; during the cooldown, those whose level did not
    rise sharply. Handoffs always pass.
    """
    declined_now = OFFER_DECLINED in cues
    if not (declined_now or _in_cooldown(policy, memory, user_turn)):
        return candidates, []
    kept: list[_Candidate] = []
    held: list[_Candidate] = []
    for candidate in candidates:
        if candidate.stage is Action.OFFER_HUMAN and (
            declined_now or not _rose_sharply(policy, memory, candidate)
        ):
            held.append(candidate)
        else:
            kept.append(candidate)
    if held:
        notes.append("an offer was declined; not offering again yet")
    return kept, held


def _route(
    policy: Policy,
    ranked: list[_Candidate],
    suppressed: tuple[Reason, ...],
    facts: RuleFacts | None,
    notes: list[str],
) -> Verdict:
    """The verdict of the strongest candidate left, sent where the policy routes it."""
    if not ranked:
        return Verdict(Action.CONTINUE, (), suppressed, tuple(notes))
    action, route, message = _destination(policy, ranked[0], facts, notes)
    if action is Action.CONTINUE:  # a closed route's fallback may be to stay with the bot
        return Verdict(action, (), _reasons(ranked) + suppressed, tuple(notes), None, message)
    return Verdict(action, _reasons(ranked), suppressed, tuple(notes), route, message)


def rule_facts(
    policy: Policy,
    readings: Mapping[str, SignalReading],
    memory: EscalationMemory,
    *,
    role: Role,
    turn_index: int,
    turns: int,
    user_turns: int,
    elapsed_seconds: float | None,
    meta: Mapping[str, JsonValue],
    now: datetime,
    cues: frozenset[str],
) -> RuleFacts | None:
    """What the policy's rules read on this turn (``None`` if it has no rules or routes).

    Advances the policy's window counters and remembers the ``meta`` values its conditions
    read, in ``memory``: call it once per turn, before ``decide``.
    """
    compiled = policy.compiled_rules
    if not compiled.windows and memory.windows:
        memory.windows = {}  # a reloaded policy no longer reads them
    if not compiled.rules and not compiled.route_open:
        return None
    if compiled.meta_keys:
        fresh = {key: meta[key] for key in compiled.meta_keys if key in meta}
        if fresh:  # a new dict: the memory's empty one is shared
            memory.meta = {**memory.meta, **fresh}
        meta = {**memory.meta, **meta}
    kinds = cues
    if compiled.needs_evidence:
        kinds = cues | {
            evidence.kind
            for reading in readings.values()
            for evidence in reading.evidence
            if evidence.turn_index == turn_index
        }
    facts = RuleFacts(
        levels={name: reading.score for name, reading in readings.items()},
        kinds=kinds,
        role=role,
        turns=turns,
        user_turns=user_turns,
        elapsed_seconds=elapsed_seconds,
        meta=meta,
        now=now,
    )
    if compiled.windows:
        # Only the current policy's windows are kept: a reload drops counters it no longer reads.
        counters = {window.key: memory.windows.get(window.key, 0) for window in compiled.windows}
        compiled.update_windows(facts, counters)
        memory.windows = counters
    return facts


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
    if verdict.reasons and any(
        reason.code is ReasonCode.HUMAN_REQUESTED for reason in verdict.reasons
    ):
        memory.opted_out_user_turn = None
        memory.declined_user_turn = None
    if OPT_OUT in cues:
        memory.opted_out_user_turn = user_turn
    if OFFER_DECLINED in cues:
        # Measured against the levels the offer was made on, not the "no thanks" turn's.
        record_decline(memory, user_turn)
    # A level of 0 is kept as an absent key (``_rose_sharply`` reads absent as 0): most signals
    # are at 0 on most turns, and the memory is stored after every turn.
    memory.last_levels = {name: level for name, level in levels.items() if level}
    if verdict.action is Action.HANDOFF and not memory.handed_off:
        memory.handed_off = True
        memory.handoff_reasons = tuple(verdict.reasons[:EVIDENCE_KEPT])
        memory.handoff_route = verdict.route
    offering = verdict.action is Action.OFFER_HUMAN
    memory.open_offer = tuple(r.code.value for r in verdict.reasons) if offering else ()
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
    """The customer declined a human: hold offers back at the levels the offer was made on.

    A decline already recorded on this user turn (the customer typed "no thanks", then the host
    reported the outcome) keeps its levels: the "no thanks" turn's own are not the baseline.
    """
    if memory.declined_user_turn != user_turn:
        memory.declined_levels = dict(memory.last_levels)
        memory.declines += 1
    memory.declined_user_turn = user_turn
    memory.offer_pending = False
    memory.open_offer = ()


def apply_outcome(memory: EscalationMemory, outcome: Outcome, user_turn: int) -> EscalationMemory:
    """The escalation memory after the host reported ``outcome`` (a new one after a return).

    ``ended`` changes nothing here: the engine forgets the whole conversation.
    """
    if outcome is Outcome.OFFER_DECLINED:
        record_decline(memory, user_turn)
    elif outcome in {Outcome.OFFER_ACCEPTED, Outcome.HANDED_OFF}:
        memory.handed_off = True
        memory.last_action = Action.HANDOFF
        memory.offer_pending = False
    elif outcome is Outcome.RETURNED_TO_BOT:
        return EscalationMemory()
    return memory


def _candidates(
    policy: Policy, readings: Mapping[str, SignalReading], memory: EscalationMemory
) -> list[_Candidate]:
    found = []
    open_offer = memory.open_offer
    for signal in policy.compiled:
        reading = readings.get(signal.name)
        if reading is None:
            continue
        level = reading.score
        stage = signal.stage(level, offer_open=signal.reason.value in open_offer)
        if stage is Action.CONTINUE:
            continue
        found.append(
            _Candidate(
                signal.name,
                stage,
                reason(signal.reason, round(level, 4), reading.evidence, f"signals.{signal.name}"),
                route=signal.route,
                message=signal.message,
            )
        )
    return found


def _rule_candidates(
    compiled: CompiledRules, readings: Mapping[str, SignalReading], facts: RuleFacts
) -> list[_Candidate]:
    found = []
    for rule in compiled.matching(facts):
        evidence: tuple[Evidence, ...] = ()
        score = 1.0
        if rule.signals:
            backing = [readings[name] for name in rule.signals if name in readings]
            evidence = tuple(item for reading in backing for item in reading.evidence)
            score = max((reading.score for reading in backing), default=1.0)
        found.append(
            _Candidate(
                rule.signals[0] if rule.signals else None,
                rule.action,
                reason(rule.reason, round(score, 4), evidence, rule.id),
                rule.priority,
                rule.route,
                rule.message,
            )
        )
    return found


def _already_handed_off(
    candidates: list[_Candidate], memory: EscalationMemory, role: Role
) -> Verdict:
    reasons = _reasons(_ranked(candidates)) or tuple(memory.handoff_reasons)
    if role is Role.AGENT:
        return Verdict(Action.HANDOFF, reasons, notes=("a human agent is in the conversation",))
    return Verdict(
        Action.HANDOFF, reasons, notes=("handed off earlier",), route=memory.handoff_route
    )


def _rose_sharply(policy: Policy, memory: EscalationMemory, candidate: _Candidate) -> bool:
    if candidate.signal is None:
        return False
    at_decline = memory.declined_levels.get(candidate.signal, 0.0)
    return candidate.reason.score >= at_decline + policy.cooldown.sharp_rise


def _destination(
    policy: Policy, lead: _Candidate, facts: RuleFacts | None, notes: list[str]
) -> tuple[Action, str | None, str | None]:
    """The action, route and message, after checking the lead candidate's route is open."""
    action, route, message = lead.stage, lead.route, lead.message
    if route is not None and facts is not None:
        compiled = policy.compiled_rules
        if not compiled.route_available(route, facts):
            fallback = policy.routes[route].when_unavailable
            if fallback is None:
                notes.append(f"route {route!r} is unavailable now; no fallback is set")
            else:
                notes.append(f"route {route!r} is unavailable now; using its fallback")
                action, route, message = fallback.action, fallback.route, fallback.message
    if message is None and route is not None:
        message = policy.routes[route].message
    if message is None:
        message = policy.message_for(action)
    if message is not None:
        message = message.format(
            action=action.value, reason=lead.reason.code.value, route=route or ""
        )
    return action, route, message


def _in_cooldown(policy: Policy, memory: EscalationMemory, user_turn: int) -> bool:
    declined = memory.declined_user_turn
    return declined is not None and user_turn - declined < policy.cooldown.declined_offer_user_turns


def _any_danger(candidates: list[_Candidate], danger: tuple[str, ...]) -> bool:
    return any(evidence.kind in danger for c in candidates for evidence in c.reason.evidence)


def _ranked(candidates: list[_Candidate]) -> list[_Candidate]:
    """Strongest action first; then priority, then level; policy order breaks ties."""
    return sorted(candidates, key=lambda c: (-c.stage.rank, -c.priority, -c.reason.score))


def _reasons(candidates: list[_Candidate]) -> tuple[Reason, ...]:
    """One reason per code: the first (strongest) candidate's."""
    seen: set[ReasonCode] = set()
    reasons = []
    for candidate in candidates:
        if candidate.reason.code not in seen:
            seen.add(candidate.reason.code)
            reasons.append(candidate.reason)
    return tuple(reasons)
