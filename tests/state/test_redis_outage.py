"""A Redis outage in the middle of conversations served by two workers (a real redis-server,
stopped and restarted by these tests): no handoff forgotten, no turn numbers restarted."""

from __future__ import annotations

import logging
import multiprocessing
from typing import TYPE_CHECKING

import pytest

from escalate import Escalator
from escalate.models import Action, ReasonCode
from escalate.state import RedisStore, StateUnavailableError
from escalate.testing import quiet_logger
from redis_server import REDIS_SERVER, RedisServer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from escalate.models import Decision

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)"
)

USER = "user"
BOT = "bot"


@pytest.fixture
def server() -> Iterator[RedisServer]:
    running = RedisServer()
    running.start()
    yield running
    running.stop()


def worker(server: RedisServer, **settings: object) -> Escalator:
    """One worker: its own store (so its own copies) on the shared Redis."""
    return Escalator(
        store=RedisStore(url=server.url, prefix="outage:", **settings),  # type: ignore[arg-type]
        logger=quiet_logger(),
    )


def say(esc: Escalator, conversation_id: str, role: str, text: str) -> Decision:
    return esc.evaluate(conversation_id, {"role": role, "text": text})


def hand_off_across_two_workers(a: Escalator, b: Escalator) -> None:
    """Conversation "h": four turns, alternately on each worker, handed off on turn 2."""
    say(a, "h", USER, "my parcel never arrived")
    say(b, "h", BOT, "Sorry to hear that. Let me check.")
    assert say(a, "h", USER, "I want to talk to a person now").action is Action.HANDOFF
    say(b, "h", BOT, "Connecting you to an agent.")


def test_a_handoff_holds_and_turn_numbers_go_on_through_an_outage(server):
    a, b = worker(server), worker(server)
    hand_off_across_two_workers(a, b)
    server.stop()
    during = [
        say(a, "h", USER, "hello? is anyone there"),
        say(b, "h", USER, "still waiting for the agent"),
        say(a, "h", BOT, "An agent will be with you shortly."),
    ]
    assert [d.action for d in during] == [Action.HANDOFF] * 3  # never back to the bot
    # Each worker goes on from its own copy (a's from turn 2, b's from turn 3): no restart at 0,
    # though a number can repeat across workers (docs/how-to/redis.md says why).
    assert [d.turn_index for d in during] == [3, 4, 4]
    for decision in during:
        assert any("Redis was unavailable" in note for note in decision.notes)


def test_a_conversation_a_worker_has_no_copy_of_gets_the_fail_safe_decision(server):
    a, b = worker(server), worker(server)
    say(a, "u", USER, "where is my order?")
    server.stop()
    unseen = say(b, "u", USER, "it is late")
    assert unseen.action is Action.OFFER_HUMAN  # the bundled policy's fail_safe
    assert unseen.reason_codes == (ReasonCode.ENGINE_ERROR,)
    assert unseen.turn_index == -1  # unknown, not a made-up 0
    assert "StateUnavailableError" in unseen.reasons[0].evidence[0].text
    seen = say(a, "u", USER, "it is late")
    assert (seen.turn_index, seen.reason_codes) == (1, ())  # the worker that has a copy goes on
    with pytest.raises(StateUnavailableError, match="no copy of 'u'"):
        b.store.update("u", lambda state: None)  # type: ignore[union-attr]


def test_turns_decided_during_the_outage_are_written_back_when_redis_returns(server):
    a, b = worker(server), worker(server)
    hand_off_across_two_workers(a, b)
    server.stop()
    say(a, "h", USER, "hello?")  # a's copy: 4 turns
    say(a, "h", USER, "anyone?")  # 5
    server.start()  # same port, and empty: what Redis held is gone
    back = say(a, "h", USER, "thanks for coming back")
    assert (back.turn_index, back.action) == (5, Action.HANDOFF)
    assert not any("Redis was unavailable" in note for note in back.notes)
    later = say(b, "h", USER, "ok")  # b reads what a wrote back
    assert (later.turn_index, later.action) == (6, Action.HANDOFF)
    state = b.store.get("h")  # type: ignore[union-attr]
    assert state is not None
    assert (state.turns, state.escalation.handed_off) == (7, True)


def test_redis_answers_for_conversations_not_decided_during_the_outage(server):
    # Redis is the truth whenever it answers: a worker's copy is never resurrected over it,
    # so a conversation ended on another worker (its key deleted) starts afresh here. The
    # price: a Redis that restarts without persistence loses these conversations.
    a, b = worker(server), worker(server)
    hand_off_across_two_workers(a, b)
    b.record_outcome("h", "ended")
    assert say(a, "h", USER, "hi, new question").turn_index == 0


def test_a_handoff_only_redis_knew_of_holds_when_an_outage_copy_is_written_back(server):
    a, b = worker(server), worker(server)
    say(a, "k", USER, "my parcel never arrived")
    say(a, "k", BOT, "Let me check.")
    server.stop()
    say(a, "k", USER, "ok")  # a's outage copy: 3 turns, not handed off
    say(a, "k", USER, "still nothing")  # 4 turns
    server.start()
    say(b, "k", USER, "hello")  # Redis came back empty: b has no copy, so starts it afresh
    say(b, "k", USER, "I want to talk to a person now")  # handed off, 2 turns in Redis
    assert b.store.get("k").escalation.handed_off  # type: ignore[union-attr]
    merged = say(a, "k", USER, "are you there?")
    assert merged.turn_index == 4  # a's copy had more turns: the counters never go back
    assert merged.action is Action.HANDOFF  # and the handoff b recorded holds


def test_with_fail_every_turn_in_an_outage_gets_the_fail_safe_decision(server):
    a = worker(server, on_unavailable="fail")
    say(a, "f", USER, "I want to talk to a person now")
    server.stop()
    decision = say(a, "f", USER, "hello?")
    assert decision.reason_codes == (ReasonCode.ENGINE_ERROR,)
    assert decision.turn_index == -1


def test_without_local_copies_an_outage_gives_the_fail_safe_decision(server):
    a = worker(server, local_copies=0)
    say(a, "n", USER, "I want to talk to a person now")
    server.stop()
    assert say(a, "n", USER, "hello?").reason_codes == (ReasonCode.ENGINE_ERROR,)


def test_local_copies_are_bounded(server):
    a = worker(server, local_copies=2)
    for name in ("x", "y", "z"):
        say(a, name, USER, "hello")
    assert len(a.store.copies) == 2  # type: ignore[union-attr]
    server.stop()
    assert say(a, "x", USER, "hello").turn_index == -1  # the oldest copy went first
    assert say(a, "z", USER, "hello").turn_index == 1


def test_the_outage_is_logged_once_not_per_turn(server, caplog):
    a = worker(server)
    say(a, "l", USER, "hello")
    server.stop()
    with caplog.at_level(logging.WARNING, logger="escalate.state.redis"):
        for _ in range(3):
            say(a, "l", USER, "hello?")
    assert caplog.text.count("Redis is unavailable") == 1


def test_two_worker_processes_keep_a_handoff_through_an_outage(server):
    context = multiprocessing.get_context("spawn")
    before = RedisStore(url=server.url, prefix="outage:")
    esc = Escalator(store=before, logger=quiet_logger())
    esc.evaluate("p", {"role": USER, "text": "I want to talk to a person now"})
    # A worker process that served the conversation before the outage and after it began.
    commands: multiprocessing.Queue = context.Queue()
    results: multiprocessing.Queue = context.Queue()
    process = context.Process(target=_served_by_a_process, args=(server.url, commands, results))
    process.start()
    try:
        commands.put((BOT, "Connecting you to an agent."))
        assert results.get(timeout=60) == (1, "handoff", False)
        server.stop()
        commands.put((USER, "hello?"))
        assert results.get(timeout=60) == (2, "handoff", True)
        unseen = esc.evaluate("q", {"role": USER, "text": "hello"})  # this worker: no copy
        assert unseen.turn_index == -1
        mine = esc.evaluate("p", {"role": USER, "text": "anyone?"})  # this worker's copy
        assert (mine.turn_index, mine.action) == (1, Action.HANDOFF)
    finally:
        commands.put(None)
        process.join(60)
    assert process.exitcode == 0


def _served_by_a_process(
    url: str, commands: multiprocessing.Queue, results: multiprocessing.Queue
) -> None:
    esc = Escalator(store=RedisStore(url=url, prefix="outage:"), logger=quiet_logger())
    while (command := commands.get()) is not None:
        role, text = command
        decision = esc.evaluate("p", {"role": role, "text": text})
        noted = any("Redis was unavailable" in note for note in decision.notes)
        results.put((decision.turn_index, decision.action.value, noted))


@pytest.mark.anyio
async def test_the_async_store_keeps_the_same_promises(server):
    from escalate.state import AsyncRedisStore

    a = Escalator(store=AsyncRedisStore(url=server.url, prefix="outage:"), logger=quiet_logger())
    await a.aevaluate("s", {"role": USER, "text": "I want to talk to a person now"})
    server.stop()
    kept = await a.aevaluate("s", {"role": USER, "text": "hello?"})
    assert (kept.turn_index, kept.action) == (1, Action.HANDOFF)
    assert any("Redis was unavailable" in note for note in kept.notes)
    unseen = await a.aevaluate("t", {"role": USER, "text": "hello?"})
    assert unseen.turn_index == -1
    server.start()
    back = await a.aevaluate("s", {"role": USER, "text": "thanks"})
    assert (back.turn_index, back.action) == (2, Action.HANDOFF)
    await a.store.aclose()  # type: ignore[union-attr]
