"""The turn step: pure, deterministic, replayable; the Escalator is a shell around it."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Escalator
from escalate.core import (
    Action,
    ConversationState,
    Decision,
    DetectorSet,
    ReasonCode,
    Role,
    SignalReading,
    Turn,
    TurnView,
    step,
)
from escalate.policy import default_policy
from escalate.signals import detector_set
from escalate.testing import quiet_logger

T0 = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
CONVERSATION = [
    Turn(role=Role.USER, text="my card was charged twice for one order"),
    Turn(role=Role.BOT, text="Sorry to hear that. Could you give me the order number?"),
    Turn(role=Role.USER, text="I gave it already, it's 55-1234. this is so frustrating!!!"),
    Turn(role=Role.BOT, text="Sorry to hear that. Could you give me the order number?"),
    Turn(role=Role.USER, text="let me speak to a real person"),
]


def _comparable(decision: Decision) -> dict[str, object]:
    # latency_ms is a measurement of the run, not part of the decision.
    return decision.model_dump(mode="json", exclude={"latency_ms"})


def _recording_escalator() -> Escalator:
    ticks = itertools.count()
    ids = itertools.count()
    return Escalator(
        logger=quiet_logger(),
        clock=lambda: T0 + timedelta(seconds=next(ticks)),
        new_id=lambda: f"decision-{next(ids):04d}",
    )


def test_the_escalator_stamps_decisions_with_the_injected_clock_and_ids() -> None:
    esc = _recording_escalator()
    first = esc.evaluate("c", CONVERSATION[0])
    second = esc.evaluate("c", CONVERSATION[1])
    assert (first.created_at, first.decision_id) == (T0, "decision-0000")
    assert (second.created_at, second.decision_id) == (T0 + timedelta(seconds=1), "decision-0001")


def test_replaying_recorded_turns_through_step_reproduces_every_decision() -> None:
    esc = _recording_escalator()
    recorded = [esc.evaluate("c", turn) for turn in CONVERSATION]
    assert recorded[-1].action is Action.HANDOFF  # the conversation exercises the policy

    policy, detectors = default_policy(), detector_set()
    state = ConversationState("c")
    for turn, decision in zip(CONVERSATION, recorded, strict=True):
        result = step(
            policy,
            detectors,
            state,
            turn,
            now=decision.created_at,
            decision_id=decision.decision_id,
        )
        assert result.error is None
        assert _comparable(result.decision) == _comparable(decision)
        state = result.state


texts = st.text(
    alphabet=st.sampled_from(list("abcdefghij kmnoprstuvwy!?'HELP")), min_size=0, max_size=60
)
turns = st.lists(st.tuples(st.sampled_from([Role.USER, Role.BOT]), texts), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None)
@given(turns, st.sampled_from(["a person please", "agent", "this is useless", ""]))
def test_the_same_state_and_turn_give_the_same_decision_and_state(
    earlier: list[tuple[Role, str]], last: str
) -> None:
    policy, detectors = default_policy(), detector_set()
    state = ConversationState("p")
    for index, (role, text) in enumerate(earlier):
        step(policy, detectors, state, Turn(role=role, text=text), now=T0, decision_id=str(index))
    twin = copy.deepcopy(state)
    turn = Turn(role=Role.USER, text=last)
    one = step(policy, detectors, state, turn, now=T0, decision_id="x")
    two = step(policy, detectors, twin, turn, now=T0, decision_id="x")
    assert _comparable(one.decision) == _comparable(two.decision)
    assert one.state.to_json() == two.state.to_json()


class _Broken:
    name = "broken"

    def observe(self, turn: TurnView, state: ConversationState) -> SignalReading:
        raise RuntimeError("boom")


def test_a_failing_detector_gives_the_fail_safe_decision_and_the_error() -> None:
    detectors = DetectorSet((_Broken(),), detector_set().analyser)
    state = ConversationState("f")
    result = step(
        default_policy(), detectors, state, Turn(role=Role.USER, text="hi"), now=T0, decision_id="d"
    )
    assert isinstance(result.error, RuntimeError)
    assert result.scored is None
    assert result.decision.action is default_policy().fail_safe
    assert result.decision.reasons[0].code is ReasonCode.ENGINE_ERROR
    assert (result.decision.created_at, result.decision.decision_id) == (T0, "d")
    assert state.turns == 1  # the turn still counts: the next one is not mistaken for it


class _Watcher:
    """A custom detector written against the public view only."""

    name = "watcher"

    def __init__(self) -> None:
        self.pending: list[bool] = []

    def observe(self, turn: TurnView, state: ConversationState) -> SignalReading:
        self.pending.append(turn.offer_pending)
        return SignalReading(0.0)


def test_detectors_read_an_open_offer_from_the_view_not_the_policy_memory() -> None:
    watcher = _Watcher()
    esc = Escalator(logger=quiet_logger(), detectors=[*detector_set().detectors, watcher])
    esc.evaluate("o", {"role": "user", "text": "hello"})
    esc.evaluate("o", {"role": "bot", "text": "Would you like to talk to one of our agents?"})
    esc.evaluate("o", {"role": "user", "text": "hmm"})
    assert watcher.pending == [False, False, True]


def test_two_detectors_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="same signal: broken"):
        DetectorSet((_Broken(), _Broken()), detector_set().analyser)
