"""The turn step: one turn through the detectors and the policy, with no I/O.

In the manner of h11's state machines, the step is given everything it needs (the state, the
turn, the time and the decision's id) and returns the decision and the new state; the
``Escalator`` around it loads and saves the state, emits events and records the audit trail.
Given the same inputs it returns the same decision, so a recorded turn replays exactly (only
``latency_ms``, a measurement, differs).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

from escalate.core._bounds import bounded_reasons
from escalate.core._models import Action, Decision, Evidence, Reason, ReasonCode, Role, trusted
from escalate.core._notes import note_turn
from escalate.core._policy import PolicyInputs, PolicyStep
from escalate.core._reading import SignalReading, all_cues
from escalate.core._state import ConversationState
from escalate.core._view import TurnView

if TYPE_CHECKING:
    from escalate.core._detector import Detector, DetectorSet
    from escalate.core._models import Turn

__all__ = ["ScoredTurn", "StepResult", "fail_safe_decision", "step"]

ERROR_TEXT_KEPT = 200
"""Characters of an exception's message quoted in the fail-safe decision's evidence."""


@dataclass(frozen=True, slots=True)
class ScoredTurn:
    """What the detectors and the policy's rules saw on a turn: enough to decide it again."""

    policy: PolicyStep
    readings: Mapping[str, SignalReading]
    facts: object | None
    """What the rules read (the policy's own type; ``None`` without rules or routes)."""
    turns: int
    user_turns: int
    elapsed_seconds: float | None
    now: datetime
    """The turn's time, or the clock's when the host gave none."""


@dataclass(frozen=True, slots=True)
class StepResult:
    """What a turn step returns."""

    decision: Decision
    state: ConversationState
    """The conversation's state after the turn (the one given, updated in place)."""
    scored: ScoredTurn | None
    """The readings and facts behind the decision; ``None`` when the step failed."""
    error: Exception | None = None
    """What made the step fail (the decision is then the policy's fail-safe one)."""


def step(
    policy: PolicyStep,
    detectors: DetectorSet,
    state: ConversationState,
    turn: Turn,
    *,
    now: datetime,
    decision_id: str,
    started: float | None = None,
) -> StepResult:
    """Score ``turn`` in its conversation and decide, updating ``state``.

    Never raises for a failing detector or policy: the result then carries the policy's
    fail-safe decision and the error. ``now`` stamps the decision (and stands for the turn's
    time when it has none); ``started`` (a ``time.perf_counter()`` reading) measures
    ``latency_ms``, 0 without it.
    """
    index = state.turns
    state.turns += 1
    if turn.role is Role.USER:
        state.user_turns += 1
    ts = None if turn.ts is None else turn.ts.timestamp()
    if ts is not None:
        state.first_ts = ts if state.first_ts is None else state.first_ts
        state.last_ts = ts
    text = turn.text
    truncated = len(text) > policy.max_text_chars
    if truncated:
        text = text[: policy.max_text_chars]
    analysed = detectors.analyser.analyse(text)
    note_turn(state.handoff, turn.role, text, index, ts, analysed.tokens)
    memory = state.escalation
    view = TurnView(
        index, state.user_turns, turn.role, analysed, ts, turn.meta, memory.offer_pending
    )
    previous = memory.last_action
    readings = view.readings
    when = now if turn.ts is None else turn.ts
    try:
        levels: dict[str, float] = {}
        for detector in detectors.detectors:
            reading = detector.observe(view, state)
            score = reading.score
            if not 0.0 <= score <= 1.0:
                _out_of_range(detector, score)
            readings[detector.name] = reading
            levels[detector.name] = round(score, 4)
        inputs = PolicyInputs(
            readings=readings,
            levels=levels,
            cues=all_cues(readings),
            role=turn.role,
            turn_index=index,
            turns=state.turns,
            user_turns=state.user_turns,
            elapsed_seconds=elapsed_seconds(state),
            meta=turn.meta,
            now=when,
        )
        result = policy.decide_turn(inputs, memory)
    except Exception as exc:  # noqa: BLE001 - an engine bug must not break the host bot
        failed = fail_safe_decision(
            policy,
            state.conversation_id,
            turn.role,
            exc,
            (index, state.user_turns, previous),
            now=now,
            decision_id=decision_id,
            latency_ms=_latency(started),
        )
        return StepResult(failed, state, None, exc)
    verdict = result.verdict
    notes = verdict.notes
    if truncated:
        notes = (*notes, f"text cut to the policy's max_text_chars ({policy.max_text_chars})")
    # Every field, in declaration order (see ``trusted``).
    decision = trusted(
        Decision,
        {
            "decision_id": decision_id,
            "conversation_id": state.conversation_id,
            "turn_index": index,
            "user_turn": state.user_turns,
            "role": turn.role,
            "action": verdict.action,
            "previous_action": previous,
            "reasons": bounded_reasons(verdict.reasons),
            "suppressed": bounded_reasons(verdict.suppressed),
            "signals": levels,
            "route": verdict.route,
            "message": verdict.message,
            "policy": policy.ref,
            "created_at": now,
            "latency_ms": _latency(started),
            "truncated": truncated,
            "notes": notes,
        },
    )
    scored = ScoredTurn(
        policy,
        readings,
        result.facts,
        state.turns,
        state.user_turns,
        inputs.elapsed_seconds,
        when,
    )
    return StepResult(decision, state, scored)


def fail_safe_decision(
    policy: PolicyStep,
    conversation_id: str,
    role: Role,
    exc: BaseException,
    position: tuple[int, int, Action] | None,
    *,
    now: datetime,
    decision_id: str,
    latency_ms: float = 0.0,
) -> Decision:
    """The policy's fail-safe decision for a turn the engine could not score.

    ``position``: the turn's index, user turn and the previous action, when known.
    """
    index, user_turn, previous = position if position is not None else (-1, -1, Action.CONTINUE)
    reason = Reason(
        code=ReasonCode.ENGINE_ERROR,
        score=1.0,
        evidence=(
            Evidence(
                kind="exception",
                text=f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_KEPT],
                turn_index=index,
            ),
        ),
    )
    acting = policy.fail_safe is not Action.CONTINUE
    return Decision(
        decision_id=decision_id,
        conversation_id=conversation_id,
        turn_index=index,
        user_turn=user_turn,
        role=role,
        action=policy.fail_safe,
        previous_action=previous,
        reasons=(reason,) if acting else (),
        suppressed=() if acting else (reason,),
        signals={},
        message=policy.message_for(policy.fail_safe),
        policy=policy.ref,
        created_at=now,
        latency_ms=latency_ms,
        notes=("the engine failed on this turn; this is the policy's fail-safe decision",),
    )


def elapsed_seconds(state: ConversationState) -> float | None:
    """Seconds from the conversation's first timed turn to its last."""
    if state.first_ts is None or state.last_ts is None:
        return None
    return state.last_ts - state.first_ts


def _latency(started: float | None) -> float:
    if started is None:
        return 0.0
    return round((time.perf_counter() - started) * 1000, 3)


def _out_of_range(detector: Detector, score: float) -> NoReturn:
    raise ValueError(f"detector {detector.name!r} scored {score!r}, outside 0..1")
