from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate import Escalator, ReasonCode
from escalate.evaluation import (
    ExpectedAction,
    GateError,
    LabelledCase,
    LabelledCheck,
    Scope,
    parse_gate,
    run_evaluation,
)
from escalate.exceptions import EscalateError
from escalate.models import Role, Turn


def test_reason_gates_read_at_least() -> None:
    gate = parse_gate("reason=human_requested:f1=0.95")
    assert (gate.subject, gate.metric, gate.at_least, gate.value) == (
        "reason=human_requested", "f1", True, 0.95,
    )  # fmt: skip


def test_rate_gates_read_at_most_unless_told_otherwise() -> None:
    assert parse_gate("routine_rate=0.02").at_least is False
    assert parse_gate("routine_rate<=0.02").at_least is False
    assert parse_gate("escalation_recall>=0.9").at_least is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("f1", "cannot read gate"),
        ("reason=human_request:f1=0.9", "unknown reason 'human_request'"),
        ("reason=human_requested:auc=0.9", "expected one of precision"),
        ("accuracy=0.9", "expected one of routine_rate"),
        ("auc=1.2.3", "is not a number"),
    ],
)
def test_bad_gates_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(GateError, match=message):
        parse_gate(text)


def test_a_bad_gate_is_an_escalate_error_and_still_a_value_error() -> None:
    with pytest.raises(GateError) as raised:
        parse_gate("f1")
    assert isinstance(raised.value, EscalateError)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value) == (
        "cannot read gate 'f1': expected e.g. 'reason=human_requested:f1=0.95'"
        " or 'routine_rate<=0.02'"
    )


@given(st.floats(min_value=0, max_value=1), st.sampled_from(["precision", "recall", "f1"]))
def test_any_well_formed_reason_gate_round_trips(value: float, metric: str) -> None:
    gate = parse_gate(f"reason=security_dead_end:{metric}={value!r}")
    assert gate.value == value
    assert gate.metric == metric


def test_gates_hold_or_fail_on_a_report(esc: Escalator) -> None:
    case = LabelledCase(
        "c",
        (Turn(role=Role.USER, text="human please"),),
        (LabelledCheck(ExpectedAction.ESCALATE, Scope.AT, 1, ReasonCode.HUMAN_REQUESTED),),
    )
    report = run_evaluation(esc, [case])
    assert parse_gate("reason=human_requested:recall=1").holds(report)
    assert not parse_gate("routine_rate<=-1").holds(report)
    with pytest.raises(GateError, match="no case expecting or getting sensitive_topic"):
        parse_gate("reason=sensitive_topic:f1=0.5").holds(report)
    with pytest.raises(GateError, match="no graded"):
        parse_gate("auc=0.5").holds(report)
