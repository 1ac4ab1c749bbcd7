"""Score labelled cases through the engine and read each check's outcome."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from escalate.evaluation._cases import ExpectedAction, LabelledCase, LabelledCheck, Scope
from escalate.models import Action, Decision, Role
from escalate.typing import StateStore

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from escalate.engine import Escalator
    from escalate.policy import Policy
    from escalate.typing import Detector

__all__ = ["CheckResult", "ScoredCase", "check_result", "score_cases", "score_cases_in_parallel"]

_CHUNK = 250
"""Cases per task: large enough to amortise pickling, small enough to balance the workers."""


@dataclass(frozen=True, slots=True)
class ScoredCase:
    """A case and the decisions on its user turns, in order."""

    case: LabelledCase
    decisions: tuple[Decision, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """How one check came out: the decision it read and whether it was met."""

    case: LabelledCase
    check: LabelledCheck
    decision: Decision | None
    """``None`` when the conversation has no user turn to read."""
    passed: bool

    @property
    def action(self) -> Action:
        """The action of the decision read (``continue`` when there was none)."""
        return Action.CONTINUE if self.decision is None else self.decision.action


def score_cases(escalator: Escalator, cases: Iterable[LabelledCase]) -> Iterator[ScoredCase]:
    """Run every case as its own conversation and yield its user-turn decisions.

    Conversations are forgotten once scored, so memory stays flat however many cases run.
    """
    for number, case in enumerate(cases):
        conversation_id = f"eval-{number}"
        decisions = [escalator.evaluate(conversation_id, turn) for turn in case.turns]
        if isinstance(escalator.store, StateStore):  # evaluate() above needs a sync store
            escalator.store.delete(conversation_id)
        yield ScoredCase(case, tuple(d for d in decisions if d.role is Role.USER))


def score_cases_in_parallel(
    escalator: Escalator,
    cases: Sequence[LabelledCase],
    jobs: int,
    on_scored: Callable[[int], None] | None = None,
) -> list[ScoredCase]:
    """``score_cases`` across ``jobs`` worker processes, in order.

    Each worker builds its own engine with the same policy and detectors (which must pickle).
    ``on_scored(n)`` hears of each case (one process) or each chunk of cases (several).
    """
    told = on_scored or _nobody
    if jobs <= 1 or len(cases) <= _CHUNK:
        scored = []
        for item in score_cases(escalator, cases):
            scored.append(item)
            told(1)
        return scored
    chunks = [cases[start : start + _CHUNK] for start in range(0, len(cases), _CHUNK)]
    with ProcessPoolExecutor(
        max_workers=jobs,
        initializer=_start_worker,
        initargs=(escalator.policy, escalator.detectors),
    ) as pool:
        results = []
        for chunk in pool.map(_score_chunk, chunks):
            results.extend(chunk)
            told(len(chunk))
        return results


def _nobody(_: int) -> None:
    """No one listens to the progress."""


_worker: list[Escalator] = []


def _start_worker(policy: Policy, detectors: tuple[Detector, ...]) -> None:
    from escalate.engine import Escalator  # noqa: PLC0415 - in the worker process
    from escalate.events import quiet_logger  # noqa: PLC0415

    _worker.append(Escalator(policy, detectors=detectors, logger=quiet_logger()))


def _score_chunk(chunk: Sequence[LabelledCase]) -> list[ScoredCase]:
    return list(score_cases(_worker[0], chunk))


def check_result(scored: ScoredCase, check: LabelledCheck) -> CheckResult:
    """Read the decision ``check`` is about and judge it."""
    decisions = scored.decisions
    if check.scope is Scope.AT:
        chosen = [d for d in decisions if d.user_turn == check.user_turn][:1]
    elif check.scope is Scope.BY:
        window = [d for d in decisions if check.user_turn is None or d.user_turn <= check.user_turn]
        meeting = [d for d in window if check.expect.met_by(d.action)]
        chosen = meeting[:1] or _strongest(window)
    else:
        chosen = _strongest(decisions)
    decision = chosen[0] if chosen else None
    action = Action.CONTINUE if decision is None else decision.action
    passed = check.expect.met_by(action)
    if passed and check.reason is not None and check.expect is not ExpectedAction.CONTINUE:
        passed = decision is not None and check.reason in decision.reason_codes
    return CheckResult(scored.case, check, decision, passed)


def _strongest(decisions: Iterable[Decision]) -> list[Decision]:
    # The first decision at the highest rank: where the conversation first went that far.
    best: Decision | None = None
    for decision in decisions:
        if best is None or decision.action.rank > best.action.rank:
            best = decision
    return [] if best is None else [best]
