"""From check results to the numbers a team reads: rates, P/R/F1, confusion, AUC.

Counting is plain Python; the ranking metrics (ROC AUC, precision-recall curve) come from
scikit-learn (``escalate[eval]``), imported when first needed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from escalate.evaluation._cases import ExpectedAction, Grade
from escalate.evaluation._report import (
    Breakdown,
    ConfusionCell,
    CurvePoint,
    EvalReport,
    Example,
    GradedMetrics,
    RateMetric,
    ReasonMetrics,
)
from escalate.exceptions import MissingDependencyError
from escalate.models import Action, ReasonCode

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from escalate.evaluation._run import CheckResult, ScoredCase

__all__ = ["build_report"]

WORST_EXAMPLES = 10
_CURVE_POINTS = 50


def build_report(
    results: Sequence[CheckResult],
    scored: Sequence[ScoredCase],
    *,
    policy: str,
    inputs: Sequence[str],
    baseline: Callable[[str], float] | None = None,
    graded: bool = True,
) -> EvalReport:
    """Summarise ``results`` (one per check) and the graded cases among ``scored``.

    ``graded=False`` skips the ranking metrics (they do not depend on the policy).

    ``baseline`` maps a text to a stress-like score (higher = more stressed) whose ROC AUC is
    reported beside the stress signal's, e.g. bare VADER.
    """
    routine = [r for r in results if r.check.expect is ExpectedAction.CONTINUE]
    escalations = [r for r in results if r.check.expect.wants_escalation]
    return EvalReport(
        policy=policy,
        inputs=list(inputs),
        cases=len(scored),
        checks=len(results),
        passed=sum(r.passed for r in results),
        routine_rate=_rate("routine turns and conversations escalated", routine, _escalated),
        escalation_recall=_rate("expected escalations made", escalations, _escalated),
        reasons=_reason_metrics(results),
        confusion=_confusion(results),
        by_source=_breakdown(results, lambda r: r.case.source or "-"),
        by_label=_breakdown(results, lambda r: r.case.label or "-"),
        false_escalations=_worst(
            [r for r in routine if _escalated(r)], key=_top_level, kind="false escalation"
        ),
        missed_escalations=_worst(
            [r for r in escalations if not _escalated(r)],
            key=lambda r: -_top_level(r),
            kind="missed escalation",
        ),
        wrong_reasons=_worst(
            [r for r in escalations if _escalated(r) and not r.passed],
            key=_top_level,
            kind="wrong reason",
        ),
        **_graded_or_note(scored, baseline) if graded else {"graded": None},
    )


def _graded_or_note(
    scored: Sequence[ScoredCase], baseline: Callable[[str], float] | None
) -> dict[str, Any]:
    """The ranking metrics, or, without scikit-learn, a note saying what they need.

    The rest of the report needs nothing optional: a plain ``escalate eval`` on graded data
    must not fail for the one table that does.
    """
    try:
        return {"graded": _graded(scored, baseline)}
    except MissingDependencyError as error:
        return {"graded": None, "notes": [f"skipped: {error}"]}


def _escalated(result: CheckResult) -> bool:
    return result.action is not Action.CONTINUE


def _rate(
    name: str, results: Sequence[CheckResult], hit: Callable[[CheckResult], bool]
) -> RateMetric:
    count = sum(map(hit, results))
    return RateMetric(name=name, count=count, total=len(results))


def _reason_metrics(results: Sequence[CheckResult]) -> list[ReasonMetrics]:
    """Per reason code: true positives among checks expecting it, false ones among routine checks.

    An escalation often has several reasons (a security dead end is stressful too), so a reason
    beside the expected one is not an error; a reason on a turn that should not escalate is.
    """
    metrics = []
    for code in ReasonCode:
        if code is ReasonCode.ENGINE_ERROR:
            continue
        tp = fp = fn = 0
        for result in results:
            predicted = _escalated(result) and code in _codes(result)
            if result.check.reason is code:
                tp += predicted
                fn += not predicted
            elif result.check.expect is ExpectedAction.CONTINUE:
                fp += predicted
        if tp or fp or fn:
            metrics.append(ReasonMetrics(reason=code, tp=tp, fp=fp, fn=fn))
    return metrics


def _codes(result: CheckResult) -> tuple[ReasonCode, ...]:
    return () if result.decision is None else result.decision.reason_codes


def _confusion(results: Sequence[CheckResult]) -> list[ConfusionCell]:
    counts = Counter((r.check.expect.value, r.action.value) for r in results)
    return [
        ConfusionCell(expected=expected, got=got, count=count)
        for (expected, got), count in sorted(counts.items())
    ]


def _breakdown(
    results: Sequence[CheckResult], group: Callable[[CheckResult], str]
) -> list[Breakdown]:
    groups: defaultdict[str, list[CheckResult]] = defaultdict(list)
    for result in results:
        groups[group(result)].append(result)
    rows = [
        Breakdown(
            group=name,
            checks=len(members),
            passed=sum(r.passed for r in members),
            escalated=sum(map(_escalated, members)),
            expected_escalations=sum(r.check.expect.wants_escalation for r in members),
        )
        for name, members in groups.items()
    ]
    return sorted(rows, key=lambda row: (row.passed - row.checks, row.group))


def _top_level(result: CheckResult) -> float:
    if result.decision is None:
        return 0.0
    levels = result.decision.signals
    wanted = result.check.reason
    if wanted is not None:
        for reason in result.decision.reasons + result.decision.suppressed:
            if reason.code is wanted:
                return reason.score
    return max(levels.values(), default=0.0)


def _worst(
    results: Sequence[CheckResult], *, key: Callable[[CheckResult], float], kind: str
) -> list[Example]:
    ranked = sorted(results, key=key, reverse=True)[:WORST_EXAMPLES]
    return [_example(result, kind) for result in ranked]


def _example(result: CheckResult, kind: str) -> Example:
    decision = result.decision
    evidence = [
        {
            "reason": reason.code.value,
            "kind": e.kind,
            "text": e.text,
            "turn_index": e.turn_index,
            "span": e.span,
        }
        for reason in (decision.reasons if decision else ())
        for e in reason.evidence
    ]
    return Example(
        kind=kind,
        case=result.case.id,
        origin=result.case.origin,
        source=result.case.source,
        label=result.case.label,
        text=_quoted_turn(result)[:300],
        turn_index=None if decision is None else decision.turn_index,
        expected=result.check.expect.value,
        expected_reason=None if result.check.reason is None else result.check.reason.value,
        got=result.action.value,
        got_reasons=[code.value for code in _codes(result)],
        signals=dict(decision.signals) if decision else {},
        evidence=evidence[:6],
    )


def _quoted_turn(result: CheckResult) -> str:
    """The text of the turn the decision was made on (the case's own text without one)."""
    decision = result.decision
    turns = result.case.turns
    if decision is not None and 0 <= decision.turn_index < len(turns):
        return turns[decision.turn_index].text
    return result.case.text


def _graded(
    scored: Sequence[ScoredCase], baseline: Callable[[str], float] | None
) -> GradedMetrics | None:
    graded = [s for s in scored if s.case.grade is not None and s.decisions]
    labels = [s.case.grade is Grade.NEGATIVE for s in graded]
    if len(set(labels)) < 2:  # noqa: PLR2004 - AUC needs both classes
        return None
    metrics = _sklearn_metrics()
    stress = [s.decisions[0].signals.get("stress", 0.0) for s in graded]
    precision, recall, thresholds = metrics.precision_recall_curve(labels, stress)
    step = max(1, len(thresholds) // _CURVE_POINTS)
    curve = [
        CurvePoint(threshold=float(t), precision=float(p), recall=float(r))
        for p, r, t in list(zip(precision, recall, thresholds, strict=False))[::step]
    ]
    baseline_auc = None
    if baseline is not None:
        baseline_auc = float(metrics.roc_auc_score(labels, [baseline(s.case.text) for s in graded]))
    return GradedMetrics(
        signal="stress",
        positives=sum(labels),
        negatives=len(labels) - sum(labels),
        auc=float(metrics.roc_auc_score(labels, stress)),
        average_precision=float(metrics.average_precision_score(labels, stress)),
        baseline_auc=baseline_auc,
        curve=curve,
    )


def _sklearn_metrics() -> Any:
    try:
        from sklearn import metrics  # noqa: PLC0415 - optional, escalate[eval]
    except ImportError:
        raise MissingDependencyError("ROC AUC and precision-recall curves", "eval") from None
    return metrics
