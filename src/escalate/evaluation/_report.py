"""The evaluation report: a pydantic model, so ``--format json`` is its exact JSON form."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from escalate.models import ReasonCode

__all__ = [
    "Breakdown",
    "ConfusionCell",
    "CurvePoint",
    "EvalReport",
    "Example",
    "GradedMetrics",
    "RateMetric",
    "ReasonMetrics",
]

_FROZEN = ConfigDict(frozen=True)


CASES_AND_CHECKS = (
    "A case is one labelled utterance, conversation or scenario; a check is one expectation"
    " about its decisions (an utterance's expected action, each labelled turn of a"
    " conversation, a routine conversation that must never escalate). Utterances graded only"
    " negative / non_negative have no check: they feed the stress ROC AUC."
)
"""What "N cases, M checks" counts, for the reports."""


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


class RateMetric(BaseModel):
    """A share of checks, e.g. routine turns that escalated."""

    model_config = _FROZEN

    name: str
    count: int
    total: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float:
        """``count / total`` (0 when there is nothing to count)."""
        return _ratio(self.count, self.total)


class ReasonMetrics(BaseModel):
    """Precision, recall and F1 of one reason code."""

    model_config = _FROZEN

    reason: ReasonCode
    tp: int
    fp: int
    fn: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float:
        """Of the decisions carrying the reason, the share that should."""
        return _ratio(self.tp, self.tp + self.fp)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float:
        """Of the checks expecting the reason, the share that got it."""
        return _ratio(self.tp, self.tp + self.fn)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def shown(self) -> tuple[str, str, str]:
        """Precision, recall and F1 to three places, ``n/a`` where there is nothing to measure.

        Data with no check expecting the reason (no stress positives) cannot measure it: every
        decision carrying it is then a false alarm, and 0.000 would read as a failing detector.
        """
        if not self.tp + self.fn:
            return "n/a", "n/a", "n/a"
        precision = f"{self.precision:.3f}" if self.tp + self.fp else "n/a"
        return precision, f"{self.recall:.3f}", f"{self.f1:.3f}"


class ConfusionCell(BaseModel):
    """How many checks expected ``expected`` and got ``got``."""

    model_config = _FROZEN

    expected: str
    got: str
    count: int


class Breakdown(BaseModel):
    """Results for one source or label."""

    model_config = _FROZEN

    group: str
    checks: int
    passed: int
    escalated: int
    expected_escalations: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def escalation_rate(self) -> float:
        """Share of the group's checks whose decision escalated."""
        return _ratio(self.escalated, self.checks)


class Example(BaseModel):
    """One error, with what the engine saw."""

    model_config = _FROZEN

    kind: str
    case: str
    origin: str
    source: str
    label: str
    text: str
    """The turn the decision was made on (cut to 300 characters)."""
    turn_index: int | None
    """Which turn ``text`` is; evidence from that turn has spans into it."""
    expected: str
    expected_reason: str | None
    got: str
    got_reasons: list[str]
    signals: dict[str, float]
    evidence: list[dict[str, Any]]


class CurvePoint(BaseModel):
    """One point of a precision-recall curve."""

    model_config = _FROZEN

    threshold: float
    precision: float
    recall: float


class GradedMetrics(BaseModel):
    """How well a graded signal ranks labelled cases (negative tweets above the others)."""

    model_config = _FROZEN

    signal: str
    positives: int
    negatives: int
    auc: float
    average_precision: float
    baseline_auc: float | None
    """ROC AUC of the baseline (bare VADER) on the same texts, when computed."""
    curve: list[CurvePoint]


class EvalReport(BaseModel):
    """Everything ``escalate eval`` reports."""

    model_config = _FROZEN

    policy: str
    inputs: list[str]
    cases: int
    checks: int
    passed: int
    routine_rate: RateMetric
    escalation_recall: RateMetric
    reasons: list[ReasonMetrics]
    confusion: list[ConfusionCell]
    by_source: list[Breakdown]
    by_label: list[Breakdown]
    false_escalations: list[Example]
    missed_escalations: list[Example]
    wrong_reasons: list[Example]
    graded: GradedMetrics | None
    notes: list[str] = []
    """What the report left out and why (ROC AUC without scikit-learn installed)."""

    def reason(self, code: ReasonCode | str) -> ReasonMetrics | None:
        """The metrics of one reason code, if the data had any."""
        return next((m for m in self.reasons if m.reason == code), None)
