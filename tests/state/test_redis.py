"""The Redis store against a real redis-server, started by these tests on a free port."""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
import time
from typing import TYPE_CHECKING

import pytest
import redis

from escalate import Escalator
from escalate.exceptions import InvalidInputError
from escalate.models import Action, ReasonCode
from escalate.state import (
    SCHEMA_VERSION,
    AsyncRedisStore,
    ConversationState,
    RedisStore,
    StoreUnavailableError,
)
from escalate.testing import quiet_logger
from redis_server import (
    REDIS_SERVER,
    AsyncCountingConnection,
    CountingConnection,
    RedisServer,
    async_counting_client,
    counting_client,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    running = RedisServer()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def store(server: RedisServer, request: pytest.FixtureRequest) -> RedisStore:
    # A prefix per test: tests share the server but never each other's keys.
    return RedisStore(url=server.url, prefix=f"t:{request.node.name}:")


def engine(store) -> Escalator:
    return Escalator(store=store, logger=quiet_logger())


def test_update_get_delete_round_trip(store):
    assert store.get("c") is None
    assert store.update("c", lambda state: setattr(state, "turns", 3) or state.turns) == 3
    state = store.get("c")
    assert state is not None
    assert (state.turns, state.schema_version, state.conversation_id) == (3, SCHEMA_VERSION, "c")
    store.delete("c")
    assert store.get("c") is None


def test_the_value_is_compact_json_with_its_schema_and_a_ttl(store, server):
    engine(store).evaluate("c", {"role": "user", "text": "where is my order?"})
    raw = redis.Redis.from_url(server.url)
    key = store.key("c")
    value = raw.get(key)
    assert json.loads(value)["schema_version"] == SCHEMA_VERSION
    assert len(value) < 4096
    assert 0 < raw.pttl(key) <= 24 * 3600 * 1000


def test_a_conversation_continues_across_engines(store):
    first, second = engine(store), engine(store)
    first.evaluate("c", {"role": "bot", "text": "Sorry, I didn't understand that."})
    first.evaluate("c", {"role": "user", "text": "cancel my plan"})
    second.evaluate("c", {"role": "bot", "text": "Sorry, I didn't understand that."})
    decision = second.evaluate("c", {"role": "user", "text": "cancel plan"})
    assert decision.turn_index == 3
    assert store.get("c").loop.fallback_streak == 2


def _talk_in_another_process(url: str, prefix: str) -> int:
    esc = Escalator(store=RedisStore(url=url, prefix=prefix), logger=quiet_logger())
    return esc.evaluate("shared", {"role": "user", "text": "I said I want a human"}).turn_index


def test_two_processes_see_one_conversation(store, server):
    engine(store).evaluate("shared", {"role": "user", "text": "I want a human"})
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        index = pool.apply(_talk_in_another_process, (server.url, store.prefix))
    assert index == 1
    state = store.get("shared")
    assert state.turns == 2
    assert state.human.requests == 2


def round_trips(esc: Escalator, conversation_id: str, text: str) -> int:
    before = CountingConnection.sent
    esc.evaluate(conversation_id, {"role": "user", "text": text})
    return CountingConnection.sent - before


def test_a_turn_takes_one_round_trip_once_a_worker_is_the_only_writer(server, request):
    store = RedisStore(counting_client(server.url), prefix=f"t:{request.node.name}:")
    esc = engine(store)
    esc.evaluate("warm", {"role": "user", "text": "hello"})  # loads the script
    assert round_trips(esc, "c", "where is my order?") == 2  # GET, compare-and-set
    assert round_trips(esc, "c", "it never came") == 2  # GET finds its own write: confirmed
    assert round_trips(esc, "c", "I want to talk to a person") == 1  # compare-and-set only
    assert round_trips(esc, "c", "hello?") == 1
    assert store.get("c").turns == 4


def test_workers_taking_turns_read_first_and_never_decide_twice(server, request):
    prefix = f"t:{request.node.name}:"
    one = engine(RedisStore(counting_client(server.url), prefix=prefix))
    other = engine(RedisStore(url=server.url, prefix=prefix))
    one.evaluate("warm", {"role": "user", "text": "hello"})
    runs = count_runs(one)
    for text in ("where is my order?", "it never came", "when?", "hello?"):
        assert round_trips(one, "c", text) == 2
        other.evaluate("c", {"role": "bot", "text": f"About {text}: let me check."})
    assert runs == [1, 1, 1, 1]  # the engine ran once per turn
    state = one.store.get("c")  # type: ignore[union-attr]
    assert (state.turns, state.user_turns) == (8, 4)


def test_a_confirmed_copy_gone_stale_is_decided_again_on_the_new_value(server, request):
    prefix = f"t:{request.node.name}:"
    one = engine(RedisStore(counting_client(server.url), prefix=prefix))
    other = engine(RedisStore(url=server.url, prefix=prefix))
    one.evaluate("warm", {"role": "user", "text": "hello"})
    one.evaluate("c", {"role": "user", "text": "where is my order?"})
    one.evaluate("c", {"role": "user", "text": "it never came"})  # confirmed
    other.evaluate("c", {"role": "bot", "text": "Let me check."})  # one's copy is stale
    runs = count_runs(one)
    assert round_trips(one, "c", "when?") == 2  # refused, with the new value; written
    assert runs == [2]  # decided again on the other worker's turn
    assert round_trips(one, "c", "hello?") == 2  # not confirmed any more: read first
    state = one.store.get("c")  # type: ignore[union-attr]
    assert (state.turns, state.user_turns) == (5, 4)


def count_runs(esc: Escalator) -> list[int]:
    """How many times the engine ran for each ``evaluate`` from now on."""
    runs: list[int] = []
    decide, evaluate = esc._decide_turn, esc.evaluate

    def counted_decide(*args, **kwargs):
        runs[-1] += 1
        return decide(*args, **kwargs)

    def counted_evaluate(*args, **kwargs):
        runs.append(0)
        return evaluate(*args, **kwargs)

    esc._decide_turn = counted_decide  # type: ignore[method-assign]
    esc.evaluate = counted_evaluate  # type: ignore[method-assign]
    return runs


def test_a_write_made_between_the_read_and_the_write_is_not_lost(store, server):
    raw = redis.Redis.from_url(server.url)
    store.update("c", lambda state: setattr(state, "turns", 1))
    runs = []

    def bump_with_a_rival(state: ConversationState) -> None:
        runs.append(state.turns)
        if len(runs) == 1:  # another worker writes while this one is deciding
            rival = ConversationState.from_json(raw.get(store.key("c")))
            rival.turns = 10
            raw.set(store.key("c"), rival.to_json())
        state.turns += 1

    store.update("c", bump_with_a_rival)
    assert runs == [1, 10]  # refused once, then decided again on the rival's state
    assert store.get("c").turns == 11


def test_a_turn_that_fails_half_way_leaves_no_trace_in_the_next(store):
    for _ in range(3):  # the copy is confirmed: the next turn starts from it, unread
        store.update("c", lambda state: setattr(state, "turns", state.turns + 1))

    def fail_half_way(state: ConversationState) -> None:
        state.turns = 99
        raise RuntimeError("engine bug")

    with pytest.raises(RuntimeError, match="engine bug"):
        store.update("c", fail_half_way)
    assert store.update("c", lambda state: state.turns) == 3  # not 99
    assert store.get("c").turns == 3


def test_the_write_keeps_a_ttl_or_none(server, request):
    raw = redis.Redis.from_url(server.url)
    forever = RedisStore(url=server.url, prefix=f"t:{request.node.name}:", ttl_seconds=None)
    forever.update("c", lambda state: None)
    assert raw.pttl(forever.key("c")) == -1  # no expiry
    short = RedisStore(url=server.url, prefix=f"t:{request.node.name}:", ttl_seconds=60)
    short.update("c", lambda state: None)
    assert 0 < raw.pttl(short.key("c")) <= 60_000


def test_the_script_is_loaded_again_after_redis_forgets_it(store, server):
    store.update("c", lambda state: None)
    redis.Redis.from_url(server.url).script_flush()
    store.update("c", lambda state: setattr(state, "turns", 7))
    assert store.get("c").turns == 7


def test_no_lost_updates_under_concurrent_threads(store):
    def bump() -> None:
        for _ in range(50):
            store.update("hot", lambda state: setattr(state, "turns", state.turns + 1))

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("hot").turns == 400


def _bump_in_a_process(url: str, prefix: str, times: int) -> None:
    store = RedisStore(url=url, prefix=prefix, max_retries=1000)
    for _ in range(times):
        store.update("hot", lambda state: setattr(state, "turns", state.turns + 1))


def test_no_lost_updates_under_concurrent_processes(store, server):
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_bump_in_a_process, args=(server.url, store.prefix, 40))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    assert store.get("hot").turns == 160


def test_concurrent_engines_count_every_turn(store):
    engines = [engine(store) for _ in range(4)]

    def talk(esc: Escalator) -> None:
        for n in range(25):
            esc.evaluate("busy", {"role": "user" if n % 2 else "bot", "text": f"message {n}"})

    threads = [threading.Thread(target=talk, args=(esc,)) for esc in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("busy").turns == 100


def test_ttl_expiry(server, request):
    store = RedisStore(url=server.url, prefix=f"t:{request.node.name}:", ttl_seconds=0.3)
    store.update("short", lambda state: setattr(state, "turns", 5))
    assert store.get("short").turns == 5
    time.sleep(0.5)
    assert store.get("short") is None


def test_an_old_schema_is_migrated_and_garbage_is_reset(store, server, caplog):
    raw = redis.Redis.from_url(server.url)
    old = json.loads(ConversationState("o").to_json())
    old["schema_version"] = 0
    old["user_turns"] = 4
    del old["handoff"]  # a field this version added
    raw.set(store.key("o"), json.dumps(old))
    migrated = store.get("o")
    assert (migrated.user_turns, migrated.schema_version) == (4, SCHEMA_VERSION)
    raw.set(store.key("g"), b"\x00 not json")
    with caplog.at_level(logging.WARNING, logger="escalate.state.redis"):
        decision = engine(store).evaluate("g", {"role": "user", "text": "hello"})
    assert decision.turn_index == 0  # started afresh, did not crash
    assert "could not be read" in caplog.text


def test_outage_falls_back_locally_then_resumes(caplog, request):
    server = RedisServer()
    server.start()
    try:
        store = RedisStore(url=server.url, prefix=f"t:{request.node.name}:")
        esc = engine(store)
        esc.evaluate("o", {"role": "user", "text": "hello"})
        server.stop()
        with caplog.at_level(logging.WARNING, logger="escalate.state.redis"):
            started = time.monotonic()
            decision = esc.evaluate("o", {"role": "user", "text": "I want a human"})
            assert time.monotonic() - started < 5  # bounded by the client's timeouts
        assert decision.action is Action.HANDOFF  # the bot keeps working
        assert "Redis is unavailable" in caplog.text
        server.start()  # same port, empty: work resumes on Redis
        esc.evaluate("p", {"role": "user", "text": "where is my order?"})
        assert store.get("p").turns == 1
    finally:
        server.stop()


def test_outage_with_fail_gives_the_fail_safe_decision(request):
    server = RedisServer()
    server.start()
    store = RedisStore(url=server.url, prefix=f"t:{request.node.name}:", on_unavailable="fail")
    server.stop()
    with pytest.raises(StoreUnavailableError, match="Redis is unavailable"):
        store.update("x", lambda state: None)
    decision = engine(store).evaluate("x", {"role": "user", "text": "hello"})
    assert decision.reason_codes == (ReasonCode.ENGINE_ERROR,)


def test_the_last_decision_is_kept_beside_the_state_and_deleted_with_it(store, server):
    esc = engine(store)
    decision = esc.evaluate("c", {"role": "user", "text": "I want a person"})
    assert store.last_decision("c") is None  # only kept when asked (the HTTP service does)
    store.keep_decision(decision)
    assert store.last_decision("c") == decision
    assert 0 < redis.Redis.from_url(server.url).pttl(store.decision_key("c")) <= 24 * 3600 * 1000
    esc.record_outcome("c", "ended")
    assert store.last_decision("c") is None


def test_a_client_that_decodes_responses_works_the_same(server, request):
    client = redis.Redis.from_url(server.url, decode_responses=True)
    store = RedisStore(client, prefix=f"t:{request.node.name}:")
    esc = engine(store)
    for text in ("where is my order?", "it never came", "I want to talk to a person"):
        decision = esc.evaluate("c", {"role": "user", "text": text})
    assert (decision.turn_index, decision.action) == (2, Action.HANDOFF)
    other = engine(RedisStore(client, prefix=store.prefix))
    assert other.evaluate("c", {"role": "user", "text": "hello?"}).turn_index == 3


def test_bad_settings():
    with pytest.raises(InvalidInputError, match="max_retries"):
        RedisStore(url="redis://127.0.0.1:1/0", max_retries=0)
    with pytest.raises(InvalidInputError, match="on_unavailable"):
        RedisStore(url="redis://127.0.0.1:1/0", on_unavailable="panic")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="ttl_seconds"):
        RedisStore(url="redis://127.0.0.1:1/0", ttl_seconds=0)
    with pytest.raises(InvalidInputError, match="overlap"):
        RedisStore(url="redis://127.0.0.1:1/0", prefix="app:", decision_prefix="app:last:")
    with pytest.raises(InvalidInputError, match="local_copies"):
        RedisStore(url="redis://127.0.0.1:1/0", local_copies=-1)


class TestAsync:
    @pytest.mark.anyio
    async def test_aevaluate_on_the_async_store(self, server, request):
        store = AsyncRedisStore(url=server.url, prefix=f"t:{request.node.name}:")
        esc = engine(store)
        await esc.aevaluate("a", {"role": "user", "text": "my parcel never came"})
        decision = await esc.aevaluate("a", {"role": "user", "text": "get me a human"})
        assert (decision.turn_index, decision.action) == (1, Action.HANDOFF)
        state = await store.aget("a")
        assert state is not None
        assert state.turns == 2
        await esc.arecord_outcome("a", "ended")
        assert await store.aget("a") is None
        await store.client.aclose()

    @pytest.mark.anyio
    async def test_concurrent_tasks_lose_no_update(self, server, request):
        import anyio

        store = AsyncRedisStore(url=server.url, prefix=f"t:{request.node.name}:")

        async def bump() -> None:
            for _ in range(20):
                await store.aupdate("hot", lambda state: setattr(state, "turns", state.turns + 1))

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(bump)
        state = await store.aget("hot")
        assert state is not None
        assert state.turns == 100
        await store.client.aclose()

    @pytest.mark.anyio
    async def test_the_same_round_trips(self, server, request):
        store = AsyncRedisStore(async_counting_client(server.url), prefix=f"t:{request.node.name}:")
        esc = engine(store)
        await esc.aevaluate("warm", {"role": "user", "text": "hello"})  # loads the script
        sent = []
        for text in ("where is my order?", "it never came", "I want to talk to a person"):
            before = AsyncCountingConnection.sent
            await esc.aevaluate("c", {"role": "user", "text": text})
            sent.append(AsyncCountingConnection.sent - before)
        assert sent == [2, 2, 1]  # read; read and confirmed; the confirmed copy alone
        await store.aclose()

    def test_the_async_store_is_only_an_async_store(self, server):
        from escalate.typing import AsyncStateStore, StateStore

        store = AsyncRedisStore(url=server.url)
        assert isinstance(store, AsyncStateStore)
        assert not isinstance(store, StateStore)
        assert not hasattr(store, "update")

    def test_sync_calls_on_an_async_store_say_which_to_use(self, server):
        esc = engine(AsyncRedisStore(url=server.url))
        with pytest.raises(TypeError, match="call aevaluate, not evaluate"):
            esc.evaluate("x", {"role": "user", "text": "hello"})
        with pytest.raises(TypeError, match="call arecord_outcome"):
            esc.record_outcome("x", "ended")
        with pytest.raises(TypeError, match="call astate"):
            esc.state("x")
