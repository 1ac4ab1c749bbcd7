from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
import structlog

from escalate import (
    Action,
    ConversationState,
    Escalator,
    InMemoryStore,
    InvalidInputError,
    Outcome,
    PolicyError,
    ReasonCode,
    Turn,
)
from escalate.events import ENGINE_ERROR_EVENT
from escalate.policy import default_policy
from escalate.signals import SignalReading, TurnContext, default_detectors
from escalate.testing import (
    capture_decisions,
    capture_events,
    quiet_logger,
    run_conversation,
    user_decisions,
)

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

ANNOYED = "ugh, the checkout keeps failing, I'm so frustrated"


class TestEvaluate:
    def test_a_calm_question_continues(self, esc: Escalator) -> None:
        (decision,) = run_conversation(esc, [("user", "what time do you open on sunday?")])
        assert decision.action is Action.CONTINUE
        assert decision.reasons == ()

    def test_an_explicit_request_hands_off_at_once(self, esc: Escalator) -> None:
        (decision,) = run_conversation(esc, [("user", "can I talk to a real person please")])
        assert decision.action is Action.HANDOFF
        assert decision.reason_codes == (ReasonCode.HUMAN_REQUESTED,)
        assert decision.reasons[0].evidence[0].text == "talk to a real person"

    def test_turn_indexes_count_every_role_and_user_turns_only_users(self, esc: Escalator) -> None:
        decisions = run_conversation(
            esc, [("user", "hi"), ("bot", "Hello!"), ("system", "note"), ("user", "ok")]
        )
        assert [d.turn_index for d in decisions] == [0, 1, 2, 3]
        assert [d.user_turn for d in decisions] == [1, 1, 1, 2]

    def test_accepts_a_mapping_as_turn(self, esc: Escalator) -> None:
        decision = esc.evaluate("c", {"role": "user", "text": "hello", "meta": {"channel": "web"}})
        assert decision.action is Action.CONTINUE

    def test_previous_action_shows_changes(self, esc: Escalator) -> None:
        decisions = run_conversation(esc, [("user", "hello"), ("user", "operator")])
        assert decisions[1].previous_action is Action.CONTINUE
        assert decisions[1].action is Action.HANDOFF

    def test_a_handoff_stays_handed_off(self, esc: Escalator) -> None:
        decisions = run_conversation(esc, [("user", "human please"), ("user", "thanks, all good")])
        assert [d.action for d in decisions] == [Action.HANDOFF, Action.HANDOFF]
        assert decisions[1].reason_codes == (ReasonCode.HUMAN_REQUESTED,)
        assert "handed off earlier" in decisions[1].notes

    def test_an_agent_turn_means_a_human_is_in(self, esc: Escalator) -> None:
        decisions = run_conversation(
            esc, [("user", "hello"), ("agent", "Hi, I'm Sam from support")]
        )
        assert decisions[1].action is Action.HANDOFF

    def test_long_text_is_cut_and_the_decision_says_so(self, esc: Escalator) -> None:
        limit = esc.policy.max_text_chars
        text = "word " * limit + "talk to a human"
        (decision,) = run_conversation(esc, [("user", text)])
        assert decision.truncated
        assert any(str(limit) in note for note in decision.notes)
        # The request sat beyond the cut, so it was not read.
        assert decision.signals["human_request"] == 0.0

    def test_a_megabyte_of_text_is_handled(self, esc: Escalator) -> None:
        (decision,) = run_conversation(esc, [("user", "é😡" * 500_000)])
        assert decision.truncated
        assert decision.reason_codes != (ReasonCode.ENGINE_ERROR,)


class TestInvalidInput:
    @pytest.mark.parametrize("conversation_id", ["", None, 42, "x" * 513])
    def test_rejects_bad_conversation_ids(self, esc: Escalator, conversation_id: Any) -> None:
        with pytest.raises(InvalidInputError, match="conversation_id"):
            esc.evaluate(conversation_id, Turn(role="user", text="hi"))

    def test_names_the_bad_field_of_a_mapping(self, esc: Escalator) -> None:
        with pytest.raises(InvalidInputError, match=r"role: Input should be 'user'"):
            esc.evaluate("c", {"role": "usr", "text": "hi"})

    def test_rejects_non_string_text(self, esc: Escalator) -> None:
        with pytest.raises(InvalidInputError, match="text"):
            esc.evaluate("c", {"role": "user", "text": 12})

    def test_rejects_something_that_is_no_turn(self, esc: Escalator) -> None:
        with pytest.raises(InvalidInputError, match="got str"):
            esc.evaluate("c", "hello")  # type: ignore[arg-type]

    def test_rejects_unknown_outcomes(self, esc: Escalator) -> None:
        with pytest.raises(InvalidInputError, match="offer_declined"):
            esc.record_outcome("c", "accepted-ish")


class _Exploding:
    name = "exploding"

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        raise RuntimeError("boom")


class _OutOfRange:
    name = "out_of_range"

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        return SignalReading(2.0)


class _BrokenStore(InMemoryStore):
    def update(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        raise ConnectionError("store unreachable")


class TestFailSafe:
    @pytest.mark.parametrize(
        "detector", [_Exploding(), _OutOfRange()], ids=["raises", "out-of-range"]
    )
    def test_a_failing_detector_gives_the_fail_safe_decision(self, detector: Any) -> None:
        esc = Escalator(detectors=[*default_detectors(), detector])
        with capture_events() as logs:
            decisions = run_conversation(esc, [("user", "hello"), ("user", "hello again")])
        errors = [log for log in logs if log["event"] == ENGINE_ERROR_EVENT]
        assert len(errors) == 2
        assert errors[0]["log_level"] == "error"
        for decision in decisions:
            assert decision.action is Action.OFFER_HUMAN
            assert decision.reason_codes == (ReasonCode.ENGINE_ERROR,)
        # The turn is still counted: the conversation keeps its place.
        assert [d.turn_index for d in decisions] == [0, 1]
        assert decisions[0].reasons[0].evidence[0].kind == "exception"

    def test_the_error_is_logged_with_its_traceback(self) -> None:
        with capture_events() as logs:
            esc = Escalator(detectors=[_Exploding()], policy=_policy_without_signals())
            esc.evaluate("c", Turn(role="user", text="hi"))
        errors = [entry for entry in logs if entry["event"] == "escalate.engine_error"]
        assert errors
        assert errors[0]["log_level"] == "error"
        assert isinstance(errors[0]["exc_info"], RuntimeError)

    def test_a_store_failure_gives_the_fail_safe_decision(self) -> None:
        esc = Escalator(store=_BrokenStore(), logger=quiet_logger())
        decision = esc.evaluate("c", Turn(role="user", text="hello"))
        assert decision.action is Action.OFFER_HUMAN
        assert decision.reason_codes == (ReasonCode.ENGINE_ERROR,)
        assert decision.turn_index == -1

    def test_the_fail_safe_action_comes_from_the_policy(self) -> None:
        policy = default_policy().model_copy(update={"fail_safe": Action.HANDOFF})
        esc = Escalator(policy=policy, store=_BrokenStore(), logger=quiet_logger())
        assert esc.evaluate("c", Turn(role="user", text="hi")).action is Action.HANDOFF

    def test_a_continue_fail_safe_keeps_the_error_as_suppressed(self) -> None:
        policy = default_policy().model_copy(update={"fail_safe": Action.CONTINUE})
        esc = Escalator(policy=policy, store=_BrokenStore(), logger=quiet_logger())
        decision = esc.evaluate("c", Turn(role="user", text="hi"))
        assert decision.action is Action.CONTINUE
        assert decision.suppressed[0].code is ReasonCode.ENGINE_ERROR

    def test_a_broken_log_pipeline_does_not_break_the_bot(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        def explode(*_: Any) -> Any:
            raise OSError("disk full")

        logger = structlog.wrap_logger(structlog.PrintLogger(), processors=[explode])
        esc = Escalator(logger=logger)
        with caplog.at_level(logging.ERROR, logger="escalate"):
            decision = esc.evaluate("c", Turn(role="user", text="operator"))
        assert decision.action is Action.HANDOFF
        assert "could not emit escalate.decision" in caplog.text


def _policy_without_signals() -> Any:
    return default_policy().model_copy(update={"signals": {}})


class TestOutcomes:
    def test_a_declined_offer_pauses_offers(self, esc: Escalator) -> None:
        first = run_conversation(esc, [("user", ANNOYED)], conversation_id="c")[0]
        assert first.action is Action.OFFER_HUMAN
        esc.record_outcome("c", Outcome.OFFER_DECLINED)
        (after,) = run_conversation(
            esc, [("user", "it is still not working, really annoying")], "c"
        )
        assert after.action is Action.CONTINUE
        assert after.suppressed
        assert any("declined" in note for note in after.notes)

    def test_an_accepted_offer_hands_off(self, esc: Escalator) -> None:
        run_conversation(esc, [("user", "hello")], conversation_id="c")
        esc.record_outcome("c", "offer_accepted")
        (decision,) = run_conversation(esc, [("user", "thanks")], conversation_id="c")
        assert decision.action is Action.HANDOFF

    def test_returned_to_bot_starts_afresh_but_keeps_counting(self, esc: Escalator) -> None:
        run_conversation(esc, [("user", "operator")], conversation_id="c")
        esc.record_outcome("c", "returned_to_bot", note="solved by Sam")
        (decision,) = run_conversation(esc, [("user", "one more question about my order")], "c")
        assert decision.action is Action.CONTINUE
        assert decision.turn_index == 1

    def test_ended_forgets_the_conversation(self, esc: Escalator) -> None:
        run_conversation(esc, [("user", "operator")], conversation_id="c")
        assert esc.state("c") is not None
        esc.record_outcome("c", Outcome.ENDED)
        assert esc.state("c") is None

    def test_outcomes_are_logged(self) -> None:
        with capture_events() as logs:
            Escalator().record_outcome("c", "handed_off", note="queue: billing")
        assert logs == [
            {
                "event": "escalate.outcome",
                "conversation_id": "c",
                "outcome": "handed_off",
                "note": "queue: billing",
                "log_level": "info",
            }
        ]


class TestPolicy:
    def test_unknown_signal_names_get_a_suggestion(self) -> None:
        policy = {
            "name": "p",
            "version": "1",
            "signals": {"security_deadend": {"reason": "security_dead_end", "handoff": 0.7}},
        }
        with pytest.raises(PolicyError, match="did you mean 'security_dead_end'"):
            Escalator(policy=policy)

    def test_reload_swaps_the_policy(self, esc: Escalator) -> None:
        strict = default_policy().model_copy(update={"name": "strict", "version": "2"})
        assert esc.reload_policy(strict) == strict
        (decision,) = run_conversation(esc, [("user", "hello")])
        assert (decision.policy.name, decision.policy.version) == ("strict", "2")

    def test_a_broken_policy_is_rejected_and_the_old_one_stays(self, esc: Escalator) -> None:
        before = esc.policy
        with pytest.raises(PolicyError):
            esc.reload_policy({"name": "broken", "version": "1", "signals": {"nope": {}}})
        assert esc.policy is before

    def test_two_detectors_may_not_share_a_signal(self) -> None:
        with pytest.raises(ValueError, match="stress"):
            Escalator(detectors=[*default_detectors(), default_detectors()[1]])


class _Vip:
    """A custom detector: customers marked VIP in the turn's meta go to a human early."""

    name = "vip"

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        vip = turn.meta.get("tier") == "vip"
        state.extra["vip_turns"] = int(state.extra.get("vip_turns", 0)) + vip  # type: ignore[call-overload]
        return SignalReading(0.9 if vip else 0.0)


def test_custom_detectors_plug_in_with_their_own_policy_entry() -> None:
    policy = default_policy().model_dump()
    policy["signals"]["vip"] = {"reason": "sensitive_topic", "handoff": 0.8}
    esc = Escalator(policy=policy, detectors=[*default_detectors(), _Vip()], logger=quiet_logger())
    plain = esc.evaluate("a", Turn(role="user", text="hello"))
    vip = esc.evaluate("b", Turn(role="user", text="hello", meta={"tier": "vip"}))
    assert plain.action is Action.CONTINUE
    assert vip.action is Action.HANDOFF
    assert vip.signals["vip"] == 0.9
    state = esc.state("b")
    assert state is not None
    assert state.extra["vip_turns"] == 1


class TestEvents:
    def test_every_decision_is_one_event(self) -> None:
        esc = Escalator()
        with capture_decisions() as events:
            decision = esc.evaluate("c", Turn(role="user", text="operator"))
        (event,) = events
        assert event["decision_id"] == decision.decision_id
        assert event["action"] == "handoff"
        assert event["reasons"][0]["code"] == "human_requested"
        assert event["reasons"][0]["evidence"][0]["text"] == "operator"
        assert event["policy"]["hash"] == decision.policy.hash
        assert event["signals"]["human_request"] == pytest.approx(0.9)
        assert event["library_version"]
        assert event["log_level"] == "info"

    def test_events_are_skipped_when_info_is_filtered_out(self) -> None:
        calls: list[str] = []

        def record(_: Any, __: str, event: dict[str, Any]) -> Any:
            calls.append(event["event"])
            raise structlog.DropEvent

        logger = structlog.wrap_logger(
            structlog.PrintLogger(),
            processors=[record],
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        )
        Escalator(logger=logger).evaluate("c", Turn(role="user", text="hello"))
        assert calls == []


class TestAsync:
    @pytest.mark.anyio
    async def test_async_twin_decides_exactly_like_the_sync_one(self) -> None:
        turns = [
            ("user", "my order never arrived"),
            ("bot", "Your order is on its way!"),
            ("user", "it's been on its way for three weeks"),
            ("bot", "Your order is on its way!"),
            ("user", "wow, thanks for nothing"),
        ]
        sync = Escalator(logger=quiet_logger())
        asynchronous = Escalator(logger=quiet_logger())
        expected = run_conversation(sync, turns, conversation_id="c")
        got = [await asynchronous.aevaluate("c", Turn(role=r, text=t)) for r, t in turns]
        assert [(d.action, d.reason_codes, d.signals) for d in got] == [
            (d.action, d.reason_codes, d.signals) for d in expected
        ]

    @pytest.mark.anyio
    async def test_async_outcomes(self) -> None:
        esc = Escalator(logger=quiet_logger())
        await esc.aevaluate("c", Turn(role="user", text="hello"))
        await esc.arecord_outcome("c", "handed_off")
        decision = await esc.aevaluate("c", Turn(role="user", text="hi again"))
        assert decision.action is Action.HANDOFF
        await esc.arecord_outcome("c", "ended")
        assert esc.state("c") is None

    @pytest.mark.anyio
    async def test_async_input_errors_are_raised(self) -> None:
        with pytest.raises(InvalidInputError):
            await Escalator().aevaluate("", Turn(role="user", text="hi"))


def test_user_decisions_filters_by_role(esc: Escalator) -> None:
    decisions = run_conversation(esc, [("user", "a"), ("bot", "b"), ("user", "c")])
    assert [d.turn_index for d in user_decisions(decisions)] == [0, 2]


def test_a_policy_copied_with_invalid_updates_is_rejected(esc: Escalator) -> None:
    broken = default_policy().model_copy(update={"max_text_chars": -1})
    with pytest.raises(PolicyError, match="max_text_chars"):
        esc.reload_policy(broken)
