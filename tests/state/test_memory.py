from __future__ import annotations

import threading

import anyio
import pytest

from escalate import ConversationState, Escalator, InMemoryStore, Turn
from escalate.exceptions import InvalidInputError
from escalate.testing import quiet_logger


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def count(state: ConversationState) -> int:
    state.turns += 1
    return state.turns


def test_new_conversations_start_empty() -> None:
    store = InMemoryStore()
    assert store.update("c", lambda state: (state.conversation_id, state.turns)) == ("c", 0)


def test_state_persists_between_updates() -> None:
    store = InMemoryStore()
    assert [store.update("c", count) for _ in range(3)] == [1, 2, 3]


def test_least_recently_used_conversations_are_dropped_first() -> None:
    store = InMemoryStore(max_conversations=2)
    store.update("a", count)
    store.update("b", count)
    store.update("a", count)  # "b" is now the least recently used
    store.update("c", count)
    assert "a" in store
    assert "b" not in store
    assert "c" in store
    assert len(store) == 2


def test_idle_conversations_expire() -> None:
    clock = FakeClock()
    store = InMemoryStore(ttl_seconds=60, clock=clock)
    store.update("old", count)
    clock.now = 30
    store.update("fresh", count)
    clock.now = 61
    assert store.get("old") is None
    assert store.get("fresh") is not None
    assert store.update("old", count) == 1  # starts afresh


def test_expired_conversations_are_swept_on_writes() -> None:
    clock = FakeClock()
    store = InMemoryStore(ttl_seconds=10, clock=clock)
    for name in "abc":
        store.update(name, count)
    clock.now = 100
    store.update("d", count)
    assert len(store) == 1


def test_get_returns_a_copy() -> None:
    store = InMemoryStore()
    store.update("c", count)
    copy = store.get("c")
    assert copy is not None
    copy.turns = 99
    assert store.update("c", count) == 2


def test_delete_forgets_and_tolerates_unknown_ids() -> None:
    store = InMemoryStore()
    store.update("c", count)
    store.delete("c")
    store.delete("never-seen")
    assert store.get("c") is None


@pytest.mark.parametrize(
    "kwargs", [{"max_conversations": 0}, {"ttl_seconds": 0}, {"ttl_seconds": -5}]
)
def test_rejects_nonsense_bounds(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidInputError, match=next(iter(kwargs))):
        InMemoryStore(**kwargs)  # type: ignore[arg-type]


def test_threads_updating_one_conversation_lose_no_update() -> None:
    store = InMemoryStore()
    per_thread, threads = 500, 8

    def work() -> None:
        for _ in range(per_thread):
            store.update("shared", count)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    state = store.get("shared")
    assert state is not None
    assert state.turns == per_thread * threads


def test_threads_evaluating_one_conversation_keep_every_turn() -> None:
    esc = Escalator(store=InMemoryStore(), logger=quiet_logger())
    indexes: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(50):
            decision = esc.evaluate("shared", Turn(role="user", text="where is my parcel?"))
            with lock:
                indexes.append(decision.turn_index)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(indexes) == list(range(200))


@pytest.mark.anyio
async def test_tasks_evaluating_one_conversation_keep_every_turn() -> None:
    esc = Escalator(store=InMemoryStore(), logger=quiet_logger())
    indexes: list[int] = []

    async def work() -> None:
        for _ in range(25):
            decision = await esc.aevaluate("shared", Turn(role="user", text="hello"))
            indexes.append(decision.turn_index)
            await anyio.sleep(0)

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(work)
    assert sorted(indexes) == list(range(100))


@pytest.mark.anyio
async def test_async_methods_mirror_the_sync_ones() -> None:
    store = InMemoryStore()
    assert await store.aupdate("c", count) == 1
    state = await store.aget("c")
    assert state is not None
    assert state.turns == 1
    await store.adelete("c")
    assert await store.aget("c") is None


class TestLastDecisions:
    def test_kept_with_the_conversation_and_forgotten_with_it(self) -> None:
        store = InMemoryStore(max_conversations=1)
        esc = Escalator(store=store, logger=quiet_logger())
        decision = esc.evaluate("a", Turn(role="user", text="I want a person"))
        store.keep_decision(decision)
        assert store.last_decision("a") == decision
        esc.evaluate("b", Turn(role="user", text="hello"))  # evicts "a"
        assert store.last_decision("a") is None
        assert "a" not in store._decisions  # memory freed, not just hidden

    def test_not_kept_for_an_unknown_conversation_and_gone_after_delete(self) -> None:
        store = InMemoryStore()
        esc = Escalator(store=store, logger=quiet_logger())
        decision = esc.evaluate("a", Turn(role="user", text="hello"))
        store.delete("a")
        store.keep_decision(decision)
        assert store.last_decision("a") is None

    def test_expires_with_its_conversation(self) -> None:
        clock = FakeClock()
        store = InMemoryStore(ttl_seconds=10, clock=clock)
        esc = Escalator(store=store, logger=quiet_logger())
        store.keep_decision(esc.evaluate("a", Turn(role="user", text="hello")))
        clock.now = 11
        assert anyio.run(store.alast_decision, "a") is None
