"""``--fail-under`` gates: thresholds a CI job holds the report to.

A gate reads ``SUBJECT:METRIC=VALUE`` (at least VALUE) or ``SUBJECT:METRIC<=VALUE``:

- ``reason=human_requested:f1=0.95`` (also ``precision``, ``recall``)
- ``routine_rate<=0.02``, ``escalation_recall=0.9``
- ``auc=0.8`` (the stress signal's ROC AUC), ``auc_gain=0.05`` (minus the baseline's)
- ``pass_rate=0.95`` (share of all checks met)

Examples:
    >>> parse_gate("reason=human_requested:f1=0.95")
    Gate(text='reason=human_requested:f1=0.95', subject='reason=human_requested', metric='f1', at_least=True, value=0.95)
"""  # noqa: E501 - a doctest line

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from escalate.exceptions import EscalateError
from escalate.models import ReasonCode

if TYPE_CHECKING:
    from escalate.evaluation._report import EvalReport

__all__ = ["Gate", "GateError", "parse_gate"]

_GATE = re.compile(
    r"^(?:(?P<subject>reason=[a-z_]+):)?(?P<metric>[a-z0-9_]+)(?P<op><=|=|>=)(?P<value>[-+0-9.eE]+)$"
)
_REPORT_METRICS = ("routine_rate", "escalation_recall", "auc", "auc_gain", "pass_rate")
_REASON_METRICS = ("precision", "recall", "f1")


class GateError(EscalateError, ValueError):
    """A gate that cannot be parsed, or that names a metric the report lacks."""


@dataclass(frozen=True, slots=True)
class Gate:
    """One threshold on one metric."""

    text: str
    subject: str
    metric: str
    at_least: bool
    value: float

    def measure(self, report: EvalReport) -> float:
        """The gated value in ``report``; ``GateError`` if the report has no such number."""
        if self.subject:
            code = self.subject.removeprefix("reason=")
            metrics = report.reason(code)
            if metrics is None:
                raise GateError(f"{self.text}: the data has no case expecting or getting {code}")
            return float(getattr(metrics, self.metric))
        if self.metric in {"auc", "auc_gain"}:
            graded = report.graded
            if graded is None:
                raise GateError(
                    f"{self.text}: the data has no graded (negative/non_negative) cases"
                )
            if self.metric == "auc":
                return graded.auc
            if graded.baseline_auc is None:
                raise GateError(f"{self.text}: no baseline AUC was computed")
            return graded.auc - graded.baseline_auc
        if self.metric == "pass_rate":
            return report.passed / report.checks if report.checks else 0.0
        rate = report.routine_rate if self.metric == "routine_rate" else report.escalation_recall
        return rate.rate

    def holds(self, report: EvalReport) -> bool:
        """Whether ``report`` meets the gate."""
        value = self.measure(report)
        return value >= self.value if self.at_least else value <= self.value


def parse_gate(text: str) -> Gate:
    """Parse one ``--fail-under`` value (see the module docstring)."""
    match = _GATE.match(text.strip().replace(" ", ""))
    if match is None:
        raise GateError(
            f"cannot read gate {text!r}: expected e.g. 'reason=human_requested:f1=0.95' "
            "or 'routine_rate<=0.02'"
        )
    subject = match["subject"] or ""
    metric = match["metric"]
    if subject:
        code = subject.removeprefix("reason=")
        if code not in {c.value for c in ReasonCode}:
            raise GateError(
                f"{text}: unknown reason {code!r}; expected one of "
                f"{', '.join(c.value for c in ReasonCode)}"
            )
        if metric not in _REASON_METRICS:
            raise GateError(f"{text}: expected one of {', '.join(_REASON_METRICS)}, got {metric!r}")
    elif metric not in _REPORT_METRICS:
        raise GateError(f"{text}: expected one of {', '.join(_REPORT_METRICS)}, got {metric!r}")
    try:
        value = float(match["value"])
    except ValueError:
        raise GateError(f"{text}: {match['value']!r} is not a number") from None
    # "metric=value" reads as "at least", except for rates where lower is better.
    at_least = match["op"] == ">=" or (match["op"] == "=" and metric != "routine_rate")
    return Gate(text, subject, metric, at_least, value)
