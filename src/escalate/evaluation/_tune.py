"""``escalate tune``: move the policy's thresholds to meet targets on labelled data.

No model is trained: only the thresholds the policy already exposes move. The data is scored
once, with every detector's reading recorded per turn; each candidate policy then re-decides the
recorded readings with the policy's step alone (``policy_step``, pure), which takes milliseconds
instead of a full scoring run. One detail is not replayed: whether the customer's "yes" answers
an open offer depends on the offers the candidate would have made; the recorded run's answer is
kept. The suggestion is therefore checked at the end with a full scoring run.

For each signal, the lowest threshold at which it escalates (``offer``, or ``handoff`` when the
signal has no offer) is swept; among the values meeting every target, the one meeting the most
checks is kept (ties: the one closest to the current value). The chosen values are combined into
one policy that ``extends`` the current one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from escalate.core import (
    Decision,
    EscalationMemory,
    PolicyInputs,
    Role,
    SignalReading,
    all_cues,
)
from escalate.evaluation._cases import LabelledCase
from escalate.evaluation._metrics import build_report
from escalate.evaluation._run import ScoredCase, check_result
from escalate.policy import Policy, load_policy, policy_step
from escalate.typing import StateStore

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from escalate.engine import Escalator
    from escalate.evaluation._gates import Gate
    from escalate.evaluation._report import EvalReport

__all__ = [
    "Candidate",
    "RecordedCase",
    "Tuning",
    "overrides_yaml",
    "record_readings",
    "replay",
    "report_for",
    "tune",
]

GRID = tuple(round(0.25 + 0.05 * step, 2) for step in range(15))
"""Threshold values tried: 0.25 to 0.95."""
_RELEASE_GAP = 0.1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _RecordedTurn:
    role: Role
    user_turn: int
    turn_index: int
    readings: Mapping[str, SignalReading]
    turns: int
    elapsed_seconds: float | None
    meta: Mapping[str, JsonValue]
    now: datetime


@dataclass(frozen=True, slots=True)
class RecordedCase:
    """A case and what every detector read on each of its turns."""

    case: LabelledCase
    turns: tuple[_RecordedTurn, ...]


def record_readings(
    escalator: Escalator,
    cases: Sequence[LabelledCase],
    *,
    on_recorded: Callable[[int], None] | None = None,
) -> list[RecordedCase]:
    """Score every case once and keep every detector's reading on every turn.

    ``on_recorded(n)`` is told each time ``n`` more cases are recorded (for a progress bar).
    """
    from escalate.engine import Escalator  # noqa: PLC0415 - avoids an import cycle at load time

    recording = Escalator(escalator.policy, detectors=escalator.detectors, logger=_quiet())
    recorded = []
    for number, case in enumerate(cases):
        conversation_id = f"tune-{number}"
        turns = []
        for turn in case.turns:
            decision, scored = recording.evaluate_scored(conversation_id, turn)
            if scored is None:  # the engine failed on the turn: nothing was read
                readings: Mapping[str, SignalReading] = {}
                counts, elapsed, now = decision.turn_index + 1, None, decision.created_at
            else:
                readings, counts = scored.readings, scored.turns
                elapsed, now = scored.elapsed_seconds, scored.now
            turns.append(
                _RecordedTurn(
                    turn.role,
                    decision.user_turn,
                    decision.turn_index,
                    readings,
                    counts,
                    elapsed,
                    turn.meta,
                    now,
                )
            )
        if isinstance(recording.store, StateStore):  # evaluate() above needs a sync store
            recording.store.delete(conversation_id)
        recorded.append(RecordedCase(case, tuple(turns)))
        if on_recorded is not None:
            on_recorded(1)
    return recorded


def _quiet() -> Any:
    from escalate.events import quiet_logger  # noqa: PLC0415

    return quiet_logger()


def replay(policy: Policy, recorded: Sequence[RecordedCase]) -> list[ScoredCase]:
    """The user-turn decisions ``policy`` makes on the recorded readings."""
    scored = []
    for item in recorded:
        memory = EscalationMemory()
        decisions = []
        for turn in item.turns:
            levels = {name: round(r.score, 4) for name, r in turn.readings.items()}
            inputs = PolicyInputs(
                readings=turn.readings,
                levels=levels,
                cues=all_cues(turn.readings),
                role=turn.role,
                turn_index=turn.turn_index,
                turns=turn.turns,
                user_turns=turn.user_turn,
                elapsed_seconds=turn.elapsed_seconds,
                meta=turn.meta,
                now=turn.now,
            )
            verdict = policy_step(policy, inputs, memory).verdict
            if turn.role is Role.USER:
                decisions.append(_decision(turn, verdict.action, verdict.reasons, levels, policy))
        scored.append(ScoredCase(item.case, tuple(decisions)))
    return scored


def _decision(
    turn: _RecordedTurn, action: Any, reasons: Any, levels: dict[str, float], policy: Policy
) -> Decision:
    # Only what the checks and the report read; replayed decisions are never emitted.
    return Decision.model_construct(
        decision_id="replay",
        conversation_id="replay",
        turn_index=turn.turn_index,
        user_turn=turn.user_turn,
        role=turn.role,
        action=action,
        previous_action=action,
        reasons=reasons,
        suppressed=(),
        signals=levels,
        policy=policy.ref,
        created_at=_EPOCH,
        latency_ms=0.0,
        truncated=False,
        notes=(),
    )


def report_for(policy: Policy, recorded: Sequence[RecordedCase]) -> EvalReport:
    """The evaluation report of ``policy`` on the recorded readings."""
    scored = replay(policy, recorded)
    results = [check_result(s, check) for s in scored for check in s.case.checks]
    ref = policy.ref
    name = f"{ref.name} {ref.version}"
    return build_report(results, scored, policy=name, inputs=[], graded=False)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One threshold value tried for one signal, and how the policy did with it."""

    signal: str
    field: str
    value: float
    current: bool
    meets_targets: bool
    passed: int
    checks: int
    routine_rate: float
    escalation_recall: float


@dataclass(frozen=True, slots=True)
class Tuning:
    """The sweep's results and the suggested overrides."""

    candidates: list[Candidate]
    overrides: dict[str, dict[str, float]]
    """Per signal, the fields to change (empty when nothing needs to)."""
    suggested: Policy


def _with(policy: Policy, signal: str, field_name: str, value: float) -> Policy | None:
    entry = policy.signals[signal].model_dump(mode="json", exclude_none=True)
    entry[field_name] = value
    if field_name == "offer":
        entry["release"] = round(max(0.0, value - _RELEASE_GAP), 2)
        if entry.get("handoff") is not None and entry["handoff"] < value:
            return None  # an offer above the handoff level is no policy
    data = policy.model_dump(mode="json")
    data["signals"][signal] = entry
    return load_policy(data)


def _swept_field(policy: Policy, signal: str) -> str:
    return "offer" if policy.signals[signal].offer is not None else "handoff"


def tune(policy: Policy, recorded: Sequence[RecordedCase], targets: Sequence[Gate]) -> Tuning:
    """Sweep each signal's escalation threshold in turn and keep the best value meeting targets.

    Signals are tuned one after the other on top of the values already chosen, so the combined
    policy meets the targets whenever its last step did. "Best" means: the most expected
    escalations made, then the most checks met, then the value closest to the current one.
    """
    candidates: list[Candidate] = []
    overrides: dict[str, dict[str, float]] = {}
    tuned = policy
    for signal in policy.signals:
        field_name = _swept_field(tuned, signal)
        current = getattr(tuned.signals[signal], field_name)
        tried: list[tuple[Candidate, Policy]] = []
        for value in sorted({*GRID, current}):
            variant = tuned if value == current else _with(tuned, signal, field_name, value)
            if variant is None:
                continue
            report = report_for(variant, recorded)
            candidate = Candidate(
                signal=signal,
                field=field_name,
                value=value,
                current=value == current,
                meets_targets=all(gate.holds(report) for gate in targets),
                passed=report.passed,
                checks=report.checks,
                routine_rate=report.routine_rate.rate,
                escalation_recall=report.escalation_recall.rate,
            )
            tried.append((candidate, variant))
            candidates.append(candidate)
        meeting = [(c, p) for c, p in tried if c.meets_targets]
        if not meeting:
            continue
        best, best_policy = max(
            meeting,
            key=lambda pair: (
                pair[0].escalation_recall,
                pair[0].passed,
                -abs(pair[0].value - current),
            ),
        )
        if not best.current:
            tuned = best_policy
            changed = tuned.signals[signal]
            overrides[signal] = {field_name: best.value}
            if changed.release is not None:
                overrides[signal]["release"] = changed.release
    return Tuning(candidates, overrides, tuned)


def overrides_yaml(base: str, policy: Policy, tuning: Tuning, table: str, *, version: str) -> str:
    """A policy file that ``extends`` ``base`` with the suggested thresholds."""
    import yaml  # noqa: PLC0415

    body: dict[str, Any] = {
        "extends": base,
        "name": f"{policy.name}-tuned",
        "version": version,
        "description": f"Thresholds tuned by `escalate tune` from {policy.name} {policy.version}.",
    }
    if tuning.overrides:
        body["signals"] = tuning.overrides
    header = "".join(f"# {line}\n".replace("# \n", "#\n") for line in table.splitlines())
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
