"""The sync and async entry points of ``Escalator`` are one method each, differing only in I/O."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from escalate import Escalator, Turn
from escalate.state import InMemoryStore
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from escalate.core import ConversationState, Decision

T = TypeVar("T")
T0 = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
TURNS = [
    Turn(role="user", text="my order never arrived"),
    Turn(role="bot", text="Your order is on its way!"),
    Turn(role="user", text="I want to talk to a person"),
]


class _Calls:
    """Records what a store was asked, in order; optionally fails one kind of call."""

    def __init__(self, fail: str | None = None) -> None:
        self.inner = InMemoryStore()
        self.calls: list[tuple[str, str]] = []
        self.fail = fail

    def _note(self, kind: str, conversation_id: str) -> None:
        self.calls.append((kind, conversation_id))
        if kind == self.fail:
            raise ConnectionError(f"{kind} is down")


class SyncStore(_Calls):
    def update(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        self._note("update", conversation_id)
        return self.inner.update(conversation_id, apply)

    def get(self, conversation_id: str) -> ConversationState | None:
        self._note("get", conversation_id)
        return self.inner.get(conversation_id)

    def delete(self, conversation_id: str) -> None:
        self._note("delete", conversation_id)
        self.inner.delete(conversation_id)


class AsyncStore(_Calls):
    async def aupdate(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        self._note("update", conversation_id)
        return self.inner.update(conversation_id, apply)

    async def aget(self, conversation_id: str) -> ConversationState | None:
        self._note("get", conversation_id)
        return self.inner.get(conversation_id)

    async def adelete(self, conversation_id: str) -> None:
        self._note("delete", conversation_id)
        self.inner.delete(conversation_id)


def _escalator(store: Any) -> Escalator:
    ticks, ids = itertools.count(), itertools.count()
    return Escalator(
        store=store,
        logger=quiet_logger(),
        clock=lambda: T0 + timedelta(seconds=next(ticks)),
        new_id=lambda: f"d-{next(ids)}",
    )


def _same(decision: Decision) -> dict[str, object]:
    return decision.model_dump(mode="json", exclude={"latency_ms"})


def _sync_session(esc: Escalator) -> list[Decision]:
    decisions = [esc.evaluate("c", turn) for turn in TURNS]
    esc.handoff_context(decisions[-1])
    esc.record_outcome("c", "returned_to_bot")
    decisions.append(esc.evaluate("c", TURNS[0]))
    esc.state("c")
    esc.record_outcome("c", "ended")
    return decisions


async def _async_session(esc: Escalator) -> list[Decision]:
    decisions = [await esc.aevaluate("c", turn) for turn in TURNS]
    await esc.ahandoff_context(decisions[-1])
    await esc.arecord_outcome("c", "returned_to_bot")
    decisions.append(await esc.aevaluate("c", TURNS[0]))
    await esc.astate("c")
    await esc.arecord_outcome("c", "ended")
    return decisions


@pytest.mark.anyio
@pytest.mark.parametrize("store_type", [SyncStore, AsyncStore])
async def test_the_async_twins_decide_and_call_the_store_exactly_like_the_sync_ones(
    store_type: type[_Calls],
) -> None:
    sync_store, async_store = SyncStore(), store_type()
    expected = _sync_session(_escalator(sync_store))
    got = await _async_session(_escalator(async_store))
    assert [_same(d) for d in got] == [_same(d) for d in expected]
    assert async_store.calls == sync_store.calls
    assert ("delete", "c") in sync_store.calls  # the session reached every kind of call


@pytest.mark.anyio
async def test_a_failing_store_gives_the_same_fail_safe_decision_in_both_twins() -> None:
    sync = _escalator(SyncStore(fail="update")).evaluate("c", TURNS[0])
    asynchronous = await _escalator(AsyncStore(fail="update")).aevaluate("c", TURNS[0])
    assert _same(asynchronous) == _same(sync)
    assert [reason.code.value for reason in sync.reasons] == ["engine_error"]


@pytest.mark.anyio
async def test_a_store_failure_on_an_outcome_reaches_the_caller_in_both_twins() -> None:
    with pytest.raises(ConnectionError, match="delete is down"):
        _escalator(SyncStore(fail="delete")).record_outcome("c", "ended")
    with pytest.raises(ConnectionError, match="delete is down"):
        await _escalator(AsyncStore(fail="delete")).arecord_outcome("c", "ended")


def test_the_sync_methods_refuse_an_asynchronous_store_before_touching_it() -> None:
    store = AsyncStore()
    with pytest.raises(TypeError, match="call aevaluate, not evaluate"):
        _escalator(store).evaluate("c", TURNS[0])
    assert store.calls == []
