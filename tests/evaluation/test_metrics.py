"""Metrics on hand-made cases whose answers are known exactly."""

from __future__ import annotations

import pytest

from escalate import Escalator, ReasonCode
from escalate.evaluation import (
    ExpectedAction,
    Grade,
    LabelledCase,
    LabelledCheck,
    Scope,
    run_evaluation,
)
from escalate.models import Role, Turn


def utterance(
    text: str, expect: ExpectedAction | None, reason: ReasonCode | None = None, **kw: str
) -> LabelledCase:
    checks = () if expect is None else (LabelledCheck(expect, Scope.AT, 1, reason),)
    return LabelledCase(text, (Turn(role=Role.USER, text=text),), checks, text=text, **kw)  # type: ignore[arg-type]


CASES = [
    # three requests for a person (one the engine cannot know is one), two routine turns, one of
    # which reads as a request: tp 2, fn 1, fp 1 for human_requested.
    utterance("I want to talk to a person", ExpectedAction.ESCALATE, ReasonCode.HUMAN_REQUESTED),
    utterance("get me an agent", ExpectedAction.ESCALATE, ReasonCode.HUMAN_REQUESTED),
    utterance("hmm", ExpectedAction.ESCALATE, ReasonCode.HUMAN_REQUESTED, source="odd"),
    utterance("what time do you open?", ExpectedAction.CONTINUE, source="routine"),
    utterance("can I speak to someone about my order", ExpectedAction.CONTINUE, source="routine"),
]


def test_precision_recall_and_f1_per_reason(esc: Escalator) -> None:
    report = run_evaluation(esc, CASES)
    metrics = report.reason(ReasonCode.HUMAN_REQUESTED)
    assert metrics is not None
    assert (metrics.tp, metrics.fp, metrics.fn) == (2, 1, 1)
    assert metrics.precision == pytest.approx(2 / 3)
    assert metrics.recall == pytest.approx(2 / 3)
    assert metrics.f1 == pytest.approx(2 / 3)
    assert report.routine_rate.rate == pytest.approx(1 / 2)
    assert report.escalation_recall.count == 2
    assert report.passed == 3


def test_confusion_breakdowns_and_worst_examples(esc: Escalator) -> None:
    report = run_evaluation(esc, CASES)
    cells = {(c.expected, c.got): c.count for c in report.confusion}
    assert cells == {("escalate", "handoff"): 2, ("escalate", "continue"): 1,
                     ("continue", "continue"): 1, ("continue", "handoff"): 1}  # fmt: skip
    routine = next(row for row in report.by_source if row.group == "routine")
    assert (routine.checks, routine.passed, routine.escalated) == (2, 1, 1)
    assert [e.text for e in report.false_escalations] == ["can I speak to someone about my order"]
    assert report.false_escalations[0].evidence[0]["reason"] == "human_requested"
    assert [e.text for e in report.missed_escalations] == ["hmm"]


def test_roc_auc_of_the_stress_signal_against_a_baseline(esc: Escalator) -> None:
    graded = [
        utterance("THIS IS RIDICULOUS, third time I'm asking!!!", None),
        utterance("you people are useless and I am furious", None),
        utterance("thank you so much, great service", None),
        utterance("what time do you open?", None),
    ]
    grades = [Grade.NEGATIVE, Grade.NEGATIVE, Grade.NON_NEGATIVE, Grade.NON_NEGATIVE]
    cases = [
        LabelledCase(c.id, c.turns, c.checks, grade, text=c.text)
        for c, grade in zip(graded, grades, strict=True)
    ]
    # A baseline that ranks exactly backwards has AUC 0; the stress signal ranks these perfectly.
    backwards = {c.text: float(i) for i, c in enumerate(cases)}
    report = run_evaluation(esc, cases, baseline=backwards.__getitem__)
    assert report.graded is not None
    assert (report.graded.positives, report.graded.negatives) == (2, 2)
    assert report.graded.auc == 1.0
    assert report.graded.baseline_auc == 0.0
    assert report.graded.average_precision == 1.0


def test_scenario_checks_read_the_right_decision(esc: Escalator) -> None:
    turns = (
        Turn(role=Role.USER, text="where is my parcel"),
        Turn(role=Role.BOT, text="It arrives tomorrow."),
        Turn(role=Role.USER, text="let me talk to a human"),
    )
    by_first = LabelledCase("late", turns, (LabelledCheck(ExpectedAction.HANDOFF, Scope.BY, 1),))
    by_second = LabelledCase(
        "on-time", turns, (LabelledCheck(ExpectedAction.HANDOFF, Scope.BY, 2),)
    )
    never = LabelledCase(
        "never", turns, (LabelledCheck(ExpectedAction.AT_MOST_OFFER_HUMAN, Scope.WHOLE),)
    )
    report = run_evaluation(esc, [by_first, by_second, never])
    assert report.passed == 1
    assert {e.case for e in report.missed_escalations} == {"late"}
