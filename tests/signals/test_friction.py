"""Unnecessary friction: a cancellation answered again and again with offers to stay."""

from __future__ import annotations

from escalate import Action, Escalator, ReasonCode
from escalate.testing import run_conversation, user_decisions

CANCEL = [
    ("user", "please close my gym membership"),
    ("bot", "Before you leave, we can give you two months free!"),
    ("user", "no thanks, just close it"),
    ("bot", "How about switching to our cheaper off-peak plan instead?"),
]


def test_the_second_retention_answer_offers_a_person(esc: Escalator) -> None:
    decisions = user_decisions(run_conversation(esc, [*CANCEL, ("user", "close it. now.")]))
    assert [d.action for d in decisions[:2]] == [Action.CONTINUE, Action.CONTINUE]
    last = decisions[-1]
    assert last.action is Action.OFFER_HUMAN
    assert ReasonCode.UNNECESSARY_FRICTION in last.reason_codes
    kinds = {e.kind for r in last.reasons for e in r.evidence}
    assert {"retention_offer", "repeated_cancel_request"} <= kinds


def test_a_confirmed_cancellation_ends_the_friction(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            *CANCEL,
            ("user", "close it"),
            ("bot", "Done: your membership has been cancelled."),
            ("user", "ok"),
        ],
    )
    assert decisions[-1].signals["friction"] == 0.0


def test_offers_without_a_cancellation_request_are_no_friction(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "what plans do you have"),
            ("bot", "Our loyalty deal gives 20% off the annual plan."),
            ("user", "and the monthly one?"),
            ("bot", "A special offer: the first month is free."),
            ("user", "ok"),
        ],
    )
    assert all(d.signals["friction"] == 0.0 for d in decisions)
