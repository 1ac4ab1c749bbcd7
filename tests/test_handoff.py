"""The handoff context: goal, last turns, what was tried, summary; redacted."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import Escalator
from escalate.audit import Redactor
from escalate.core import RECENT_TURNS_KEPT, ConversationState
from escalate.handoff import HandoffContext
from escalate.models import Action, ReasonCode, Role
from escalate.testing import quiet_logger


@pytest.fixture
def esc() -> Escalator:
    return Escalator(logger=quiet_logger())


def play(esc: Escalator, turns, conversation: str = "c"):
    decision = None
    for role, text in turns:
        decision = esc.evaluate(conversation, {"role": role, "text": text})
    assert decision is not None
    return decision


class TestGoal:
    @pytest.mark.parametrize(
        ("turns", "goal"),
        [
            ([("user", "hi"), ("user", "where is my order?")], "where is my order?"),
            (
                [("user", "hello there"), ("user", "ok"), ("user", "I need a refund")],
                "I need a refund",
            ),
            ([("bot", "How can I help with your order today?"), ("user", "yes")], None),
            ([("user", "thanks"), ("user", "hi")], None),
        ],
    )
    def test_the_first_substantive_request_as_written(self, esc, turns, goal):
        decision = play(esc, turns)
        assert esc.handoff_context(decision).goal == goal

    def test_the_goal_is_kept_when_later_turns_say_more(self, esc):
        decision = play(
            esc,
            [
                ("user", "my parcel never arrived"),
                ("user", "this is ridiculous, I want a human now"),
            ],
        )
        context = esc.handoff_context(decision)
        assert context.goal == "my parcel never arrived"
        assert context.action is Action.HANDOFF

    def test_the_goal_is_redacted(self, esc):
        decision = play(esc, [("user", "please change my email to jane@example.com")])
        assert esc.handoff_context(decision).goal == "please change my email to [EMAIL]"


class TestLastTurns:
    def test_the_last_turns_oldest_first_redacted(self, esc):
        turns = [("user", f"question number {n} about invoice 48213977") for n in range(8)]
        turns.append(("bot", "Your invoice is on its way."))
        decision = play(esc, turns)
        last = esc.handoff_context(decision).last_turns
        assert len(last) == RECENT_TURNS_KEPT
        assert [t.turn_index for t in last] == list(range(9 - RECENT_TURNS_KEPT, 9))
        assert last[-1].role is Role.BOT
        assert all("48213977" not in t.text for t in last)

    def test_times_come_from_the_turns(self, esc):
        esc.evaluate("c", {"role": "user", "text": "hello", "ts": 1_700_000_000})
        decision = esc.evaluate(
            "c", {"role": "user", "text": "I want an agent", "ts": 1_700_000_600}
        )
        context = esc.handoff_context(decision)
        assert context.last_turns[0].ts is not None
        assert context.last_turns[0].ts.timestamp() == 1_700_000_000
        assert context.elapsed_seconds == 600
        assert "2 customer turns over 10 min" in context.summary


class TestTried:
    def test_a_security_dead_end_and_a_repeated_prompt(self, esc):
        decision = play(
            esc,
            [
                ("user", "I changed my phone and now I can't log in"),
                ("bot", "We've sent a 6-digit code to your phone. Please enter it here."),
                ("user", "I don't have that phone anymore!"),
                ("bot", "We've sent a 6-digit code to your phone. Please enter it here."),
                ("user", "the code never arrives, I lost the phone"),
            ],
        )
        context = esc.handoff_context(decision)
        assert ReasonCode.SECURITY_DEAD_END in [r.code for r in context.reasons]
        tried = " | ".join(context.tried)
        assert "security step (code) could not be completed" in tried
        assert "the bot repeated an answer: \"We've sent a 6-digit code" in tried

    def test_fallbacks_and_repeated_requests(self, esc):
        decision = play(
            esc,
            [
                ("user", "I need to cancel my subscription"),
                ("bot", "Sorry, I didn't understand that."),
                ("user", "cancel subscription"),
                ("bot", "Sorry, I didn't understand that."),
                ("user", "let me talk to a human"),
                ("user", "I said I want a human"),
            ],
        )
        tried = esc.handoff_context(decision).tried
        assert "the bot did not understand twice in a row" in tried
        assert "the customer asked for a person twice" in tried

    def test_a_declined_offer(self, esc):
        offered = play(esc, [("user", "I'm frustrated, it doesn't work")])
        assert offered.action is Action.OFFER_HUMAN
        esc.record_outcome("c", "offer_declined")
        decision = esc.evaluate("c", {"role": "user", "text": "fine, get me a human"})
        assert "the customer declined an offer of a person once before" in (
            esc.handoff_context(decision).tried
        )

    def test_nothing_tried_in_a_plain_request(self, esc):
        decision = play(esc, [("user", "I'd like to speak to a person please")])
        assert esc.handoff_context(decision).tried == ()


def test_summary_reads_as_a_note_for_the_agent(esc):
    decision = play(
        esc,
        [("user", "my card was charged twice"), ("user", "I want to talk to a human")],
    )
    summary = esc.handoff_context(decision).summary.splitlines()
    assert summary[0] == 'Customer\'s goal: "my card was charged twice"'
    assert summary[1].startswith("Why a person: the customer asked for a person (")
    assert summary[-1] == "2 customer turns"


def test_routed_decision_names_its_route(esc):
    policy = {
        "extends": "default",
        "name": "routed",
        "version": "1",
        "routes": {"care": {"message": "A colleague from care will take over."}},
        "rules": [
            {
                "id": "asks",
                "when": {"signal": "human_request", "at_least": 0.9},
                "action": "handoff",
                "reason": "human_requested",
                "route": "care",
                "priority": 1,
            }
        ],
    }
    routed = Escalator(policy, logger=quiet_logger())
    decision = play(routed, [("user", "I want to speak to a human")])
    context = routed.handoff_context(decision)
    assert context.route == "care"
    assert context.summary.endswith("; route: care")


def test_an_unknown_conversation_gives_an_empty_context(esc):
    decision = play(esc, [("user", "agent please")], conversation="gone")
    esc.record_outcome("gone", "ended")
    context = esc.handoff_context(decision)
    assert (context.goal, context.last_turns, context.tried) == (None, (), ())
    assert context.action is Action.HANDOFF


def test_the_context_is_frozen_and_serialises(esc):
    decision = play(esc, [("user", "hello, I need a human")])
    context = esc.handoff_context(decision)
    with pytest.raises(ValueError, match="frozen"):
        context.goal = "x"  # type: ignore[misc]
    assert HandoffContext.model_validate_json(context.model_dump_json()) == context


def test_a_custom_redactor(esc):
    decision = play(esc, [("user", "order ORD-123456 never came, get me a human")])
    redactor = Redactor(extra_patterns={"order": r"ORD-\d+"})
    assert esc.handoff_context(decision, redactor=redactor).goal == (
        "order [ORDER] never came, get me a human"
    )


def test_state_keeps_the_handoff_memory_and_reads_older_values():
    state = ConversationState("c")
    state.handoff.goal = "where is my order"
    restored = ConversationState.from_json(state.to_json())
    assert restored.handoff.goal == "where is my order"
    older = state.to_json().replace(b',"handoff":', b',"_gone":')
    assert ConversationState.from_json(older).handoff.goal is None


emails = st.builds(
    "{}@{}.com".format,
    st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8),
    st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(email=emails, code=st.integers(100_000, 999_999))
def test_no_secret_reaches_the_context(email, code):
    """Property: what the customer disclosed is not in anything the agent is handed."""
    esc = Escalator(logger=quiet_logger())
    decision = play(
        esc,
        [
            ("user", f"my login is {email} and the code {code} never arrives"),
            ("bot", f"Is {email} right? Enter the code."),
            ("user", f"yes {email}, {code} does not work, get me a human"),
        ],
    )
    dumped = esc.handoff_context(decision).model_dump_json()
    assert email not in dumped
    assert str(code) not in dumped
