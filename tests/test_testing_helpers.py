"""The helpers policy owners use in their own Python tests."""

from __future__ import annotations

import pytest

from escalate import Escalator
from escalate.testing import (
    assert_action,
    assert_handoff,
    assert_no_escalation,
    assert_offer,
    conversation,
    quiet_logger,
)

POLICY = {
    "extends": "default",
    "name": "helpers",
    "version": "1",
    "routes": {"security": {}},
    "rules": [
        {
            "id": "security-team",
            "when": {"signal": "security_dead_end", "at_least": 0.5},
            "action": "handoff",
            "reason": "security_dead_end",
            "route": "security",
        }
    ],
}


@pytest.fixture(scope="module")
def esc() -> Escalator:
    return Escalator(POLICY, logger=quiet_logger())


def test_the_builder_keeps_every_decision_in_order(esc: Escalator) -> None:
    chat = conversation(esc).user("hi").bot("Hello! How can I help?").user("where is my parcel?")
    assert [d.turn_index for d in chat.decisions] == [0, 1, 2]
    assert chat.last is chat.decisions[-1]
    assert len({d.conversation_id for d in chat.decisions}) == 1


def test_each_builder_is_a_fresh_conversation(esc: Escalator) -> None:
    first = conversation(esc).user("I want a human")
    second = conversation(esc).user("where is my parcel?")
    assert first.conversation_id != second.conversation_id
    assert_no_escalation(second)


def test_builder_meta_goes_with_every_turn_and_turn_meta_wins() -> None:
    gold = {
        **POLICY,
        "rules": [
            {
                "id": "gold",
                "when": {"meta": "tier", "equals": "gold"},
                "action": "offer_human",
                "reason": "high_effort",
            }
        ],
    }
    esc = Escalator(gold, logger=quiet_logger())
    chat = conversation(esc, meta={"tier": "gold"}).user("hello")
    assert_offer(chat, rule="gold")
    assert_no_escalation(conversation(esc, meta={"tier": "gold"}).user("hi", meta={"tier": "x"}))


def test_assert_handoff_checks_reason_route_and_rule(esc: Escalator) -> None:
    chat = conversation(esc).user("I never received the verification code")
    decision = assert_handoff(
        chat, reason="security_dead_end", route="security", rule="security-team"
    )
    assert decision is chat.last


def test_a_failed_assertion_describes_the_decision(esc: Escalator) -> None:
    chat = conversation(esc).user("I never received the verification code")
    with pytest.raises(AssertionError) as caught:
        assert_offer(chat, reason="emotional_stress", route="billing")
    message = str(caught.value)
    assert "action: expected offer_human, got handoff" in message
    assert "reason: expected emotional_stress among the reasons" in message
    assert "route: expected billing, got security" in message
    assert "security_dead_end 0.60 via security-team" in message


def test_assert_no_escalation_names_every_escalated_turn(esc: Escalator) -> None:
    chat = conversation(esc).user("where is my parcel?").user("let me talk to a person")
    with pytest.raises(
        AssertionError, match=r"1 decision\(s\) escalated:\nturn 1 \(user\): handoff"
    ):
        assert_no_escalation(chat)
    assert_no_escalation(chat.decisions[:1])


def test_outcomes_are_reported_through_the_builder(esc: Escalator) -> None:
    chat = conversation(esc).user("this is so frustrating, it keeps failing")
    assert_offer(chat)
    chat.outcome("offer_declined").user("still failing, so frustrating")
    assert_action(chat, "continue")


def test_assertions_need_a_decision(esc: Escalator) -> None:
    with pytest.raises(AssertionError, match="no turns yet"):
        _ = conversation(esc).last
    with pytest.raises(AssertionError, match="no decisions"):
        assert_handoff([])
