"""A custom detector's typed memory is kept, checked and stored as a built-in detector's is.

The detector below is written against the public API only (``escalate``, ``escalate.signals``):
what a host writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from escalate import ConversationState, Escalator, Evidence, Role, Turn, load_policy
from escalate.signals import SignalReading, default_detectors, detector_memories
from escalate.state import RedisStore
from escalate.testing import quiet_logger
from redis_server import REDIS_SERVER, RedisServer


@dataclass(slots=True)
class RefundMemory:
    """What the refund detector remembers: how often, and the customer's last words on it."""

    requests: int = 0
    quotes: tuple[str, ...] = ()


class RefundRequests:
    """The customer keeps asking about a refund: the third time, offer a person."""

    name = "refund_requests"
    memory = RefundMemory

    def observe(self, turn, state):  # type: ignore[no-untyped-def]
        memory = state.peek(self.name, RefundMemory)
        if turn.role is Role.USER and "refund" in turn.text.tokens:
            memory = state.memory(self.name, RefundMemory)
            memory.requests += 1
            memory.quotes = (*memory.quotes, turn.text.raw)[-2:]
        if not memory.requests:
            return SignalReading(0.0)
        found = Evidence(kind="refund_request", text=memory.quotes[-1], turn_index=turn.index)
        return SignalReading(min(1.0, memory.requests / 3), (found,))


POLICY = load_policy(
    {
        "extends": "default",
        "name": "with-refunds",
        "signals": {"refund_requests": {"reason": "conversation_loop", "offer": 0.9}},
    }
)
ASKS = ["can I get a refund?", "ok and the refund for order 12?", "where is the refund"]


def _engine(**kwargs: object) -> Escalator:
    detectors = [*default_detectors(), RefundRequests()]
    return Escalator(POLICY, detectors=detectors, logger=quiet_logger(), **kwargs)  # type: ignore[arg-type]


def test_the_custom_memory_is_kept_typed_by_detector_name() -> None:
    esc = _engine()
    for text in ASKS[:2]:
        esc.evaluate("c", Turn(role="user", text=text))
    state = esc.state("c")
    assert state is not None
    assert state.memories["refund_requests"] == RefundMemory(2, tuple(ASKS[:2]))
    # Kept beside the built-in detectors' memories, in the same mapping.
    assert set(detector_memories()) & set(state.memories)


def test_the_custom_memory_survives_the_stored_form_as_a_built_in_one_does() -> None:
    esc = _engine()
    for text in ASKS[:2]:
        esc.evaluate("c", Turn(role="user", text=text))
    state = esc.state("c")
    assert state is not None
    restored = ConversationState.from_json(state.to_json())
    assert restored == state
    assert restored.memory("refund_requests", RefundMemory) == RefundMemory(2, tuple(ASKS[:2]))
    assert restored.memory("stress", detector_memories()["stress"]) == state.memories["stress"]


@pytest.mark.parametrize(
    ("name", "kind", "stored"),
    [
        ("refund_requests", RefundMemory, '{"requests": "several"}'),
        ("human_request", detector_memories()["human_request"], '{"requests": "several"}'),
    ],
)
def test_a_stored_memory_that_does_not_fit_is_checked_alike(
    name: str, kind: type, stored: str, caplog: pytest.LogCaptureFixture
) -> None:
    state = ConversationState.from_json(
        f'{{"conversation_id": "c", "memories": {{"{name}": {stored}}}}}'
    )
    with caplog.at_level(logging.WARNING, logger="escalate"):
        assert state.memory(name, kind) == kind()
    assert f"memories.{name}.requests" in caplog.text


def test_returning_to_the_bot_forgets_the_custom_memory_too() -> None:
    esc = _engine()
    esc.evaluate("c", Turn(role="user", text=ASKS[0]))
    esc.record_outcome("c", "returned_to_bot")
    state = esc.state("c")
    assert state is not None
    assert "refund_requests" not in state.memories


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_the_custom_memory_is_shared_through_redis_by_two_workers() -> None:
    server = RedisServer()
    server.start()
    try:
        first = _engine(store=RedisStore(url=server.url, prefix="custom:"))
        second = _engine(store=RedisStore(url=server.url, prefix="custom:"))
        first.evaluate("c", Turn(role="user", text=ASKS[0]))
        second.evaluate("c", Turn(role="user", text=ASKS[1]))
        decision = first.evaluate("c", Turn(role="user", text=ASKS[2]))
    finally:
        server.stop()
    assert decision.signals["refund_requests"] == 1.0
    assert decision.action == "offer_human"
    assert decision.reasons[0].evidence[0].text == ASKS[2]
