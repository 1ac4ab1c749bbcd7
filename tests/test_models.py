from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from escalate import Action, Decision, Escalator, InvalidInputError, Turn
from escalate.testing import run_conversation


class TestTurn:
    def test_accepts_every_role(self) -> None:
        for role in ("user", "bot", "agent", "system"):
            assert Turn(role=role, text="hi").role.value == role

    @pytest.mark.parametrize("role", ["usr", "customer", "", "USER"])
    def test_rejects_unknown_roles_naming_the_allowed_ones(self, role: str) -> None:
        with pytest.raises(InvalidInputError) as raised:
            Turn(role=role, text="hi")
        assert str(raised.value) == (
            f"invalid turn: role: {role!r} is not a role; "
            "expected one of 'user', 'bot', 'agent', 'system'"
        )
        assert raised.value.__cause__ is None  # no pydantic error (and its link) chained
        assert raised.value.__suppress_context__

    @pytest.mark.parametrize("text", [42, None, b"bytes", ["a"]])
    def test_rejects_text_that_is_not_a_string(self, text: object) -> None:
        with pytest.raises(InvalidInputError, match=r"^invalid turn: text: Input should be"):
            Turn(role="user", text=text)

    def test_rejects_unknown_fields(self) -> None:
        with pytest.raises(InvalidInputError, match="speaker"):
            Turn(role="user", text="hi", speaker="me")  # type: ignore[call-arg]

    def test_every_problem_is_named(self) -> None:
        with pytest.raises(InvalidInputError, match=r"role: .*; text: "):
            Turn(role="customer", text=42)

    def test_invalid_input_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="role"):
            Turn(role="customer", text="hi")

    def test_model_validate_keeps_pydantic_semantics(self) -> None:
        # Validation from data (model_validate, FastAPI bodies) does not run Turn.__init__.
        with pytest.raises(ValidationError, match="role") as raised:
            Turn.model_validate({"role": "customer", "text": "hi"})
        assert [error["type"] for error in raised.value.errors()] == ["enum"]

    def test_timestamps_may_be_iso_8601_or_unix_seconds(self) -> None:
        iso = Turn(role="user", text="hi", ts="2026-11-25T10:00:00Z")
        unix = Turn(role="user", text="hi", ts=1795600800)
        assert iso.ts == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
        assert unix.ts is not None
        assert unix.ts.year == 2026

    def test_meta_holds_free_json(self) -> None:
        turn = Turn(role="user", text="hi", meta={"channel": "web", "tier": 2, "tags": ["vip"]})
        assert turn.meta["tags"] == ["vip"]

    def test_is_immutable(self) -> None:
        turn = Turn(role="user", text="hi")
        with pytest.raises(ValidationError):
            turn.text = "changed"  # type: ignore[misc]


def test_actions_are_ordered_by_escalation() -> None:
    assert Action.CONTINUE.rank < Action.OFFER_HUMAN.rank < Action.HANDOFF.rank


def test_a_decision_round_trips_through_json(esc: Escalator) -> None:
    (decision,) = run_conversation(esc, [("user", "I want to talk to a person right now")])
    restored = Decision.model_validate_json(decision.model_dump_json())
    assert restored == decision
    assert restored.reasons[0].evidence[0].span is not None


def test_a_decision_describes_itself(esc: Escalator) -> None:
    (decision,) = run_conversation(esc, [("user", "agent please")], conversation_id="c-9")
    assert decision.conversation_id == "c-9"
    assert decision.turn_index == 0
    assert decision.user_turn == 1
    assert decision.escalated
    assert decision.reason_codes[0].value == "human_requested"
    assert decision.policy.name == "default"
    assert len(decision.policy.hash) == 64
    assert len(decision.decision_id) == 32
    assert decision.created_at.tzinfo is not None
    assert decision.latency_ms >= 0
    assert set(decision.signals) == {
        "human_request",
        "stress",
        "loop",
        "security_dead_end",
        "sensitive_topic",
        "effort",
        "dissatisfaction",
        "friction",
        "doubt",
        "cynicism",
        "irritation",
        "hesitation",
        "relief",
        "appreciation",
    }


def test_decision_ids_are_unique_and_sort_by_creation(esc: Escalator) -> None:
    decisions = run_conversation(esc, [("user", f"question {i}") for i in range(50)])
    ids = [d.decision_id for d in decisions]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
