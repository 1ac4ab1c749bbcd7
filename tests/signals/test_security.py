from __future__ import annotations

import pytest

from escalate import Action, Escalator, ReasonCode
from escalate.testing import run_conversation, user_decisions


def test_a_lost_authenticator_is_a_dead_end_at_once(esc: Escalator) -> None:
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "I can't sign in, it asks for a code from Google Authenticator"),
                ("bot", "Please open your authenticator app and enter the 6-digit code."),
                ("user", "I dropped my phone in the sea, the authenticator was on it"),
            ],
        )
    )
    assert decisions[0].action is Action.OFFER_HUMAN
    assert decisions[1].action is Action.HANDOFF
    assert decisions[1].reason_codes[0] is ReasonCode.SECURITY_DEAD_END
    assert decisions[1].reasons[0].evidence[0].kind == "lost_access"


def test_a_code_that_never_arrives_twice_is_a_dead_end(esc: Escalator) -> None:
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "I'm trying to confirm my new email address"),
                (
                    "bot",
                    "We've emailed you a confirmation link. Please click it within 10 minutes.",
                ),
                ("user", "nothing arrived, I checked spam too"),
                (
                    "bot",
                    "We've emailed you a confirmation link. Please click it within 10 minutes.",
                ),
                ("user", "still nothing"),
            ],
        )
    )
    assert decisions[1].action is Action.OFFER_HUMAN
    assert decisions[2].action is Action.HANDOFF
    assert decisions[2].reason_codes[0] is ReasonCode.SECURITY_DEAD_END
    kinds = {e.kind for e in decisions[2].reasons[0].evidence}
    assert kinds & {"step_failed", "step_repeated"}


def test_answers_the_customer_cannot_give_become_a_dead_end(esc: Escalator) -> None:
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "I'm locked out of my account"),
                ("bot", "To verify it's you, what is your memorable word?"),
                ("user", "I honestly can't remember it"),
                ("bot", "To verify it's you, what is your memorable word?"),
                ("user", "no idea, sorry"),
            ],
        )
    )
    assert decisions[-1].action is Action.HANDOFF


@pytest.mark.parametrize(
    "text",
    [
        "I can't verify my identity, the app keeps rejecting my passport",
        "my ID was rejected three times",
        "the app doesn't recognise me even though my details are right",
        "I don't have any photo ID to prove who I am",
        # The check against the customer, worded freely, in either order.
        "the app won't accept my ID",
        "it rejected my documents without any reason",
        "I keep failing the ID check",
        "can't get past the ID verification",
        "the system doesn't recognise my driving licence",
        "my proof of address was refused",
        "verification keeps timing out",
        "I have tried to verify several times and it never works",
        "I don't have any of the documents you accept for verification",
    ],
)
def test_failing_identity_checks_escalate_on_first_mention(esc: Escalator, text: str) -> None:
    (decision,) = run_conversation(esc, [("user", text)])
    assert decision.escalated
    assert ReasonCode.SECURITY_DEAD_END in decision.reason_codes


@pytest.mark.parametrize(
    "text",
    [
        "someone logged into my account from another country and changed my password",
        "I think I've been hacked, my email was changed without me",
        "I got a password reset email I never requested",
    ],
)
def test_account_takeover_is_an_immediate_handoff(esc: Escalator, text: str) -> None:
    (decision,) = run_conversation(esc, [("user", text)])
    assert decision.action is Action.HANDOFF
    assert decision.reasons[0].evidence[0].kind == "account_takeover"


@pytest.mark.parametrize(
    "turns",
    [
        [
            ("user", "how do I set up two-factor authentication?"),
            ("bot", "Go to Settings > Security."),
        ],
        [
            ("user", "I'd like to change my phone number"),
            ("bot", "We sent a code to your current number. Please enter it."),
            ("user", "it's 482913"),
            ("bot", "Thanks, your phone number has been updated."),
        ],
        [
            ("user", "the link expired"),
            ("bot", "I've sent a new sign-in link."),
            ("user", "got it, that worked"),
        ],
        [("user", "what documents do I need to verify my identity?")],
        [("user", "I forgot my password, how do I reset it?")],
    ],
    ids=["2fa-setup", "code-pasted", "link-resent", "which-documents", "forgot-password"],
)
def test_routine_security_steps_continue(esc: Escalator, turns: list[tuple[str, str]]) -> None:
    decisions = run_conversation(esc, turns)
    assert decisions[-1].action is Action.CONTINUE
    assert all(d.action is not Action.HANDOFF for d in decisions)


def test_every_way_tried_during_a_step_is_a_dead_end(esc: Escalator) -> None:
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "I need to reset my password"),
                ("bot", "I've sent a reset link to your email. Please click it to continue."),
                ("user", "I have already tried all of them, the link just loops back here"),
            ],
        )
    )
    assert decisions[0].action is Action.CONTINUE
    assert decisions[1].action is not Action.CONTINUE
    assert ReasonCode.SECURITY_DEAD_END in decisions[1].reason_codes
    # With no security step open, trying everything on a menu is no dead end.
    (menu,) = run_conversation(esc, [("user", "I've tried everything on the menu, what's new?")])
    assert menu.action is Action.CONTINUE


@pytest.mark.parametrize(
    "text",
    [
        "the promo code expired yesterday, can you extend it?",
        "my discount code is invalid at checkout",
        "I typed my PIN wrong three times and now it's blocked",
    ],
)
def test_codes_that_guard_nothing_are_no_security_step(esc: Escalator, text: str) -> None:
    (decision,) = run_conversation(esc, [("user", text)])
    assert ReasonCode.SECURITY_DEAD_END not in decision.reason_codes


def test_a_link_that_leads_nowhere_fails_the_step(esc: Escalator) -> None:
    link = "Please open the confirmation link we emailed you."
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "I need to confirm my new email"),
                ("bot", link),
                ("user", "the link opens an empty page"),
                ("bot", link),
                ("user", "still a white screen"),
            ],
        )
    )
    assert decisions[1].action is Action.OFFER_HUMAN
    assert decisions[2].action is Action.HANDOFF
    assert decisions[2].reason_codes[0] is ReasonCode.SECURITY_DEAD_END
