"""Policy rules end to end: conditions, windows, routes, messages and how they meet the
cooldown, the opt-out and stickiness."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from escalate import Escalator, Turn
from escalate.models import Action, ReasonCode
from escalate.testing import quiet_logger, run_conversation

FALLBACK = "Sorry, I didn't understand that. Could you rephrase?"
CALM = "Where can I see my invoices?"


def policy(*rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "extends": "default",
        "name": "rules-test",
        "version": "1",
        "rules": list(rules),
        **extra,
    }


def escalator(*rules: dict[str, Any], **extra: Any) -> Escalator:
    return Escalator(policy(*rules, **extra), logger=quiet_logger())


SECURITY_RULE = {
    "id": "security-team",
    "when": {"signal": "security_dead_end", "at_least": 0.5},
    "action": "handoff",
    "reason": "security_dead_end",
    "route": "security",
    "priority": 10,
}
ROUTES = {
    "security": {
        "message": "Connecting you with our {route} team to verify your identity.",
        "hours": "office",
        "when_unavailable": {
            "action": "offer_human",
            "route": "callback",
            "message": "Our security team is closed; shall we call you back?",
        },
    },
    "callback": {},
}
OFFICE = {"office": {"timezone": "Europe/London", "weekly": {"mon-fri": ["08:00-20:00"]}}}
NO_CODE = "I never received the verification code"
WEDNESDAY_NOON = "2026-11-25T12:00:00+00:00"
SATURDAY_NOON = "2026-11-28T12:00:00+00:00"


class TestRoutesAndMessages:
    def test_a_rule_routes_the_decision_and_carries_its_message(self) -> None:
        esc = escalator(SECURITY_RULE, routes=ROUTES, hours=OFFICE)
        decision = esc.evaluate("c", Turn(role="user", text=NO_CODE, ts=WEDNESDAY_NOON))
        assert decision.action is Action.HANDOFF
        assert decision.route == "security"
        assert decision.message == "Connecting you with our security team to verify your identity."
        assert decision.reasons[0].rule == "security-team"

    def test_a_closed_route_uses_its_fallback(self) -> None:
        esc = escalator(SECURITY_RULE, routes=ROUTES, hours=OFFICE)
        decision = esc.evaluate("c", Turn(role="user", text=NO_CODE, ts=SATURDAY_NOON))
        assert decision.action is Action.OFFER_HUMAN
        assert decision.route == "callback"
        assert decision.message == "Our security team is closed; shall we call you back?"
        assert any("'security' is unavailable" in note for note in decision.notes)

    @pytest.mark.parametrize(
        ("staffed", "route"),
        [(False, "callback"), ({"security": False}, "callback"), ({"sales": False}, "security")],
    )
    def test_the_host_says_whether_agents_are_available(self, staffed: Any, route: str) -> None:
        esc = escalator(SECURITY_RULE, routes=ROUTES, hours=OFFICE)
        turn = Turn(
            role="user", text=NO_CODE, ts=WEDNESDAY_NOON, meta={"agents_available": staffed}
        )
        assert esc.evaluate("c", turn).route == route

    def test_a_fallback_to_continue_keeps_the_reasons_as_suppressed(self) -> None:
        routes = {
            "security": {
                "hours": "office",
                "when_unavailable": {"action": "continue", "message": "We are closed."},
            }
        }
        esc = escalator(SECURITY_RULE, routes=routes, hours=OFFICE)
        # The lead candidate's route decides: its fallback replaces the whole decision.
        quiet = esc.evaluate("d", Turn(role="user", text=NO_CODE, ts=SATURDAY_NOON))
        assert quiet.action is Action.CONTINUE
        assert quiet.reasons == ()
        assert ReasonCode.SECURITY_DEAD_END in {reason.code for reason in quiet.suppressed}
        assert quiet.message == "We are closed."

    def test_policy_messages_fill_in_when_rule_and_route_have_none(self) -> None:
        esc = escalator(messages={"handoff": "A colleague will take over ({reason})."})
        decision = esc.evaluate("c", Turn(role="user", text="let me talk to a real person"))
        assert decision.message == "A colleague will take over (human_requested)."
        assert esc.evaluate("d", Turn(role="user", text=CALM)).message is None

    def test_priority_chooses_the_route_among_equal_actions(self) -> None:
        low = {
            "id": "general",
            "when": {"signal": "human_request", "at_least": 0.8},
            "action": "handoff",
            "reason": "human_requested",
            "route": "general",
        }
        high = {**SECURITY_RULE, "when": {"signal": "human_request", "at_least": 0.8}}
        esc = escalator(low, high, routes={"general": {}, "security": {}})
        assert esc.evaluate("c", Turn(role="user", text="agent please")).route == "security"

    def test_a_handed_off_conversation_keeps_its_route(self) -> None:
        esc = escalator(SECURITY_RULE, routes={"security": {}, "callback": {}})
        decisions = run_conversation(
            esc, [("user", NO_CODE), ("bot", "One moment."), ("user", "thanks")]
        )
        assert [d.route for d in decisions] == ["security"] * 3
        assert [d.action for d in decisions] == [Action.HANDOFF] * 3


class TestConditions:
    def test_meta_is_remembered_across_turns(self) -> None:
        gold = {
            "id": "gold-upset",
            "when": {
                "all": [{"meta": "tier", "equals": "gold"}, {"signal": "stress", "at_least": 0.3}]
            },
            "action": "offer_human",
            "reason": "emotional_stress",
        }
        esc = escalator(gold)
        first = esc.evaluate("c", Turn(role="user", text=CALM, meta={"tier": "gold"}))
        later = esc.evaluate("c", Turn(role="user", text="this is annoying"))
        assert first.action is Action.CONTINUE
        assert later.action is Action.OFFER_HUMAN
        assert later.reasons[0].rule == "gold-upset"
        other = esc.evaluate(
            "d", Turn(role="user", text="this is annoying", meta={"tier": "basic"})
        )
        assert other.action is Action.CONTINUE

    def test_a_signal_held_over_consecutive_user_turns(self) -> None:
        sustained = {
            "id": "sustained-annoyance",
            "when": {"signal": "stress", "at_least": 0.3, "for_user_turns": 2},
            "action": "offer_human",
            "reason": "emotional_stress",
        }
        esc = escalator(sustained)
        annoyed = "this is annoying"
        broken = run_conversation(
            esc, [("user", annoyed), ("bot", "Sorry."), ("user", CALM), ("user", annoyed)]
        )
        assert all(d.action is Action.CONTINUE for d in broken)
        held = run_conversation(
            esc, [("user", annoyed), ("bot", "Sorry about that."), ("user", annoyed)]
        )
        assert [d.action for d in held] == [Action.CONTINUE, Action.CONTINUE, Action.OFFER_HUMAN]

    def test_evidence_counted_within_a_window_of_turns(self) -> None:
        fallbacks = {
            "id": "three-fallbacks",
            "when": {"evidence": "bot_fallback", "at_least": 2, "within_turns": 4},
            "action": "handoff",
            "reason": "conversation_loop",
        }
        esc = escalator(fallbacks, signals={"loop": {"offer": 0.99, "handoff": 1.0}})
        turns = [("user", "blorp"), ("bot", FALLBACK), ("user", "the thing"), ("bot", FALLBACK)]
        decisions = run_conversation(esc, turns)
        assert [d.action for d in decisions] == [Action.CONTINUE] * 3 + [Action.HANDOFF]
        assert decisions[-1].reasons[0].rule == "three-fallbacks"
        spread = [("bot", FALLBACK), ("user", "a"), ("bot", "ok"), ("user", "b"), ("bot", FALLBACK)]
        assert run_conversation(esc, spread)[-1].action is Action.CONTINUE

    def test_conversation_facts_and_roles(self) -> None:
        long_chat = {
            "id": "long-chat",
            "when": {"all": [{"fact": "user_turns", "at_least": 3}, {"role": "user"}]},
            "action": "offer_human",
            "reason": "high_effort",
        }
        esc = escalator(long_chat)
        decisions = run_conversation(
            esc,
            [("user", CALM), ("bot", "Here."), ("user", CALM), ("user", CALM), ("bot", "Here.")],
        )
        assert [d.action.value for d in decisions] == ["continue"] * 3 + [
            "offer_human",
            "offer_human",
        ]

    def test_elapsed_time_needs_timestamps(self) -> None:
        slow = {
            "id": "slow",
            "when": {"fact": "elapsed_seconds", "above": 600},
            "action": "offer_human",
            "reason": "high_effort",
        }
        esc = escalator(slow)
        assert esc.evaluate("c", Turn(role="user", text=CALM)).action is Action.CONTINUE
        esc.evaluate("d", Turn(role="user", text=CALM, ts="2026-11-25T10:00:00Z"))
        later = esc.evaluate("d", Turn(role="user", text=CALM, ts="2026-11-25T10:11:00Z"))
        assert later.action is Action.OFFER_HUMAN

    def test_not_and_any(self) -> None:
        rule = {
            "id": "not-web",
            "when": {
                "all": [
                    {"not": {"meta": "channel", "in": ["web", "app"]}},
                    {
                        "any": [
                            {"signal": "stress", "at_least": 0.3},
                            {"signal": "loop", "at_least": 0.5},
                        ]
                    },
                ]
            },
            "action": "offer_human",
            "reason": "emotional_stress",
        }
        esc = escalator(rule)
        annoyed = "this is annoying"
        assert (
            esc.evaluate("a", Turn(role="user", text=annoyed, meta={"channel": "web"})).action
            is Action.CONTINUE
        )
        assert (
            esc.evaluate("b", Turn(role="user", text=annoyed, meta={"channel": "voice"})).action
            is Action.OFFER_HUMAN
        )

    def test_a_disabled_rule_never_fires(self) -> None:
        esc = escalator({**SECURITY_RULE, "enabled": False, "route": None})
        assert (
            esc.evaluate("c", Turn(role="user", text=NO_CODE)).reasons[0].rule
            == "signals.security_dead_end"
        )


class TestRulesMeetTheCustomer:
    OFFER: ClassVar[dict[str, Any]] = {
        "id": "gentle",
        "when": {"signal": "stress", "at_least": 0.25},
        "action": "offer_human",
        "reason": "emotional_stress",
    }

    def test_a_declined_offer_holds_rule_offers_back(self) -> None:
        esc = escalator(self.OFFER)
        decisions = run_conversation(
            esc,
            [
                ("user", "this is annoying"),
                ("bot", "Would you like to talk to a person?"),
                ("user", "no thanks"),
                ("user", "still annoying though"),
            ],
        )
        assert decisions[0].action is Action.OFFER_HUMAN
        assert decisions[-1].action is Action.CONTINUE
        assert decisions[-1].suppressed[0].rule == "gentle"

    def test_an_opt_out_holds_rule_escalations_back(self) -> None:
        esc = escalator(self.OFFER)
        decision = esc.evaluate(
            "c", Turn(role="user", text="this is annoying but please don't transfer me")
        )
        assert decision.action is Action.CONTINUE
        assert [reason.rule for reason in decision.suppressed] == ["gentle"]

    def test_reload_drops_counters_the_new_policy_does_not_read(self) -> None:
        windowed = {
            "id": "w",
            "when": {"signal": "stress", "at_least": 0.3, "for_user_turns": 3},
            "action": "offer_human",
            "reason": "emotional_stress",
        }
        esc = escalator(windowed)
        esc.evaluate("c", Turn(role="user", text="this is annoying"))
        state = esc.state("c")
        assert state is not None
        assert list(state.escalation.windows.values()) == [1]
        esc.reload_policy(policy())
        esc.evaluate("c", Turn(role="user", text="this is annoying"))
        state = esc.state("c")
        assert state is not None
        assert state.escalation.windows == {}


def test_a_decline_typed_and_then_reported_keeps_the_offer_levels() -> None:
    """The host reporting offer_declined after a typed "no thanks" must not reset the baseline."""
    esc = escalator(TestRulesMeetTheCustomer.OFFER)
    conversation = "typed-then-reported"
    for role, text in [
        ("user", "this is annoying, the app logged me out again"),
        ("bot", "Would you like to talk to a person?"),
        ("user", "no thanks, I'd rather sort it out here"),
    ]:
        esc.evaluate(conversation, Turn(role=role, text=text))
    esc.record_outcome(conversation, "offer_declined")
    later = esc.evaluate(
        conversation,
        Turn(role="user", text="it's still annoying, it logs me out every time I switch apps"),
    )
    assert later.action is Action.CONTINUE
    assert later.suppressed
