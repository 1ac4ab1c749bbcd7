"""Measured accuracy: score labelled data through the engine and report how the policy does.

Examples:
    >>> from escalate import Escalator
    >>> from escalate.evaluation import (
    ...     ExpectedAction, LabelledCase, LabelledCheck, Scope, run_evaluation)
    >>> from escalate.models import Role, Turn
    >>> from escalate.testing import quiet_logger
    >>> case = LabelledCase("c1", (Turn(role=Role.USER, text="let me talk to a human"),),
    ...                     (LabelledCheck(ExpectedAction.HANDOFF, Scope.AT, 1),))
    >>> report = run_evaluation(Escalator(logger=quiet_logger()), [case])
    >>> report.passed, report.checks
    (1, 1)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from escalate._deprecated import renamed
from escalate.evaluation._cases import (
    ExpectedAction,
    Grade,
    LabelledCase,
    LabelledCheck,
    Scope,
    load_cases,
)
from escalate.evaluation._gates import Gate, GateError, parse_gate
from escalate.evaluation._html import render_html
from escalate.evaluation._metrics import build_report
from escalate.evaluation._report import (
    CASES_AND_CHECKS,
    Breakdown,
    EvalReport,
    Example,
    ReasonMetrics,
)
from escalate.evaluation._run import (
    CheckResult,
    ScoredCase,
    check_result,
    score_cases,
    score_cases_in_parallel,
)
from escalate.evaluation._tune import (
    RecordedCase,
    Tuning,
    overrides_yaml,
    record_readings,
    report_for,
    tune,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from escalate.engine import Escalator

__all__ = [
    "CASES_AND_CHECKS",
    "Breakdown",
    "CheckResult",
    "EvalReport",
    "Example",
    "ExpectedAction",
    "Gate",
    "GateError",
    "Grade",
    "LabelledCase",
    "LabelledCheck",
    "ReasonMetrics",
    "RecordedCase",
    "Scope",
    "ScoredCase",
    "Tuning",
    "check_result",
    "load_cases",
    "overrides_yaml",
    "parse_gate",
    "record_readings",
    "render_html",
    "report_for",
    "run_evaluation",
    "score_cases",
    "score_cases_in_parallel",
    "tune",
]


def run_evaluation(
    escalator: Escalator,
    cases: Iterable[LabelledCase],
    *,
    inputs: Sequence[str] = (),
    baseline: Callable[[str], float] | None = None,
    jobs: int = 1,
    on_scored: Callable[[int], None] | None = None,
) -> EvalReport:
    """Score every case with ``escalator`` (in ``jobs`` processes) and build the report.

    ``on_scored(n)`` is told each time ``n`` more cases are scored (for a progress bar).
    """
    scored = score_cases_in_parallel(escalator, list(cases), jobs, on_scored)
    results = [check_result(s, check) for s in scored for check in s.case.checks]
    policy = escalator.policy.ref
    return build_report(
        results,
        scored,
        policy=f"{policy.name} {policy.version}",
        inputs=inputs,
        baseline=baseline,
    )


_RENAMED: Final = {"Case": "LabelledCase", "Check": "LabelledCheck", "Expect": "ExpectedAction"}
"""Old names (issue 20): a labelled case is not a policy test case (``policy_tests.Case``)."""


def __getattr__(name: str) -> object:
    return renamed(__name__, name, _RENAMED, globals())
