"""The background writer: never blocks a turn for long, never loses a record silently."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import time
from typing import Any

import anyio
import pytest

from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink, SqliteSink, read_trail, verify
from escalate.models import Outcome


class MemorySink:
    """Collects bodies; can be made slow or failing (a sink is a protocol: anything works)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.failures = 0
        self.closed = False

    def append(self, bodies):
        self.gate.wait(10)
        if self.failures:
            self.failures -= 1
            raise OSError("disk on fire")
        self.bodies.extend(json.loads(record.fields) for record in bodies)

    def close(self):
        self.closed = True


def turn(text: str = "hello there") -> dict[str, str]:
    return {"role": "user", "text": text}


def test_records_every_decision_and_outcome(tmp_path):
    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path)) as trail:
        esc = Escalator(audit=trail)
        esc.evaluate("a", turn("my package never came"))
        esc.evaluate("a", {"role": "bot", "text": "Sorry, I didn't get that."})
        esc.evaluate("b", turn("I want to speak to a human"))
        esc.record_outcome("b", "handed_off", note="agent 7")
        esc.record_outcome("a", Outcome.ENDED)
    assert trail.closed
    assert trail.stats.written == 5
    kinds = [(r.kind, r.conversation_id) for r in read_trail([path])]
    assert kinds == [
        ("header", None),
        ("decision", "a"),
        ("decision", "a"),
        ("decision", "b"),
        ("outcome", "b"),
        ("outcome", "a"),
    ]
    assert verify([path]).ok


def test_drop_mode_counts_logs_and_notes_the_gap_in_the_trail(caplog):
    sink = MemorySink()
    sink.gate.clear()  # the writer is stuck: the queue fills up
    trail = AuditTrail(sink, max_queue=2, when_full="drop", batch_size=1)
    esc = Escalator(audit=trail)
    with caplog.at_level(logging.ERROR, logger="escalate.audit"):
        for _ in range(8):
            esc.evaluate("c", turn())
    assert trail.stats.dropped >= 5
    assert "dropped a record of c" in caplog.text
    sink.gate.set()
    trail.close()
    stats = trail.stats
    assert stats.written + stats.dropped == 8
    notices = [b for b in sink.bodies if b["kind"] == "dropped"]
    assert sum(n["count"] for n in notices) == stats.dropped
    assert "closed with" in caplog.text


def test_block_mode_waits_and_loses_nothing():
    sink = MemorySink()
    sink.gate.clear()
    trail = AuditTrail(sink, max_queue=1, when_full="block", batch_size=1)
    esc = Escalator(audit=trail)
    done = threading.Event()

    def talk() -> None:
        for _ in range(5):
            esc.evaluate("c", turn())
        done.set()

    worker = threading.Thread(target=talk)
    worker.start()
    assert not done.wait(0.3)  # blocked on the full queue
    sink.gate.set()
    worker.join(10)
    assert done.is_set()
    trail.close()
    assert trail.stats.written == 5
    assert trail.stats.dropped == 0


def test_a_failing_sink_is_retried():
    sink = MemorySink()
    sink.failures = 2  # fewer than the attempts
    with AuditTrail(sink) as trail:
        Escalator(audit=trail).evaluate("c", turn())
    assert trail.stats.written == 1
    assert trail.stats.failed == 0


def test_a_sink_that_keeps_failing_is_counted_logged_and_noted(caplog):
    sink = MemorySink()
    sink.failures = 3
    trail = AuditTrail(sink)
    esc = Escalator(audit=trail)
    with caplog.at_level(logging.ERROR, logger="escalate.audit"):
        esc.evaluate("c", turn())
        trail.flush()
        esc.evaluate("c", turn())
        trail.close()
    assert trail.stats.failed == 1
    assert trail.stats.written == 1
    assert "could not write 1 records" in caplog.text
    assert [b["kind"] for b in sink.bodies] == ["write_failed", "decision"]
    assert sink.bodies[0]["count"] == 1


def test_after_close_records_are_counted_as_dropped(caplog):
    sink = MemorySink()
    trail = AuditTrail(sink)
    esc = Escalator(audit=trail)
    trail.close()
    trail.close()  # idempotent
    assert sink.closed
    with caplog.at_level(logging.ERROR, logger="escalate.audit"):
        decision = esc.evaluate("c", turn("I want a human"))
    assert decision.action.value == "handoff"  # the bot is never broken by its audit trail
    assert trail.stats.dropped == 1
    assert "closed" in caplog.text


def test_a_record_that_cannot_be_built_leaves_an_error_record(monkeypatch):
    sink = MemorySink()
    trail = AuditTrail(sink)

    def broken(self, entry):
        raise RuntimeError("boom for alice@example.com")

    monkeypatch.setattr("escalate.audit._records.RecordBuilder.decision", broken)
    with trail:
        Escalator(audit=trail).evaluate("c", turn())
    (record,) = sink.bodies
    assert record["kind"] == "error"
    assert record["conversation_id"] == "c"
    assert "alice@example.com" not in record["error"]


def test_an_error_record_is_redacted_before_it_is_cut(monkeypatch):
    sink = MemorySink()
    trail = AuditTrail(sink)

    def broken(self, entry):
        raise RuntimeError("x" * 180 + " alice@example.com")  # the address spans the cut

    monkeypatch.setattr("escalate.audit._records.RecordBuilder.decision", broken)
    with trail:
        Escalator(audit=trail).evaluate("c", turn())
    (record,) = sink.bodies
    assert "alice" not in record["error"]
    assert len(record["error"]) == 200


def test_concurrent_threads_share_one_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path), batch_size=16) as trail:
        esc = Escalator(audit=trail)

        def talk(n: int) -> None:
            for i in range(25):
                esc.evaluate(f"conv-{n}", turn(f"message {i} from {n}"))

        threads = [threading.Thread(target=talk, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    report = verify([path])
    assert report.ok
    assert report.records == 1 + 200
    per_conversation: dict[str, list[int]] = {}
    for record in read_trail([path]):
        if record.kind == "decision":
            per_conversation.setdefault(record.conversation_id, []).append(
                record.data["turn_index"]
            )
    assert all(indexes == list(range(25)) for indexes in per_conversation.values())
    assert len(per_conversation) == 8


@pytest.mark.anyio
async def test_concurrent_tasks(tmp_path):
    path = tmp_path / "audit.db"
    async with AuditTrail(SqliteSink(path), max_queue=4) as trail:
        esc = Escalator(audit=trail)

        async def talk(n: int) -> None:
            for i in range(20):
                await esc.aevaluate(f"conv-{n}", turn(f"message {i}"))
            await esc.arecord_outcome(f"conv-{n}", "ended")

        async with anyio.create_task_group() as group:
            for n in range(10):
                group.start_soon(talk, n)
    report = verify([path])
    assert report.ok
    assert report.records == 1 + 10 * 21


@pytest.mark.anyio
async def test_async_submit_waits_without_blocking_the_loop():
    sink = MemorySink()
    sink.gate.clear()
    trail = AuditTrail(sink, max_queue=1, batch_size=1)
    esc = Escalator(audit=trail)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    tick_task = asyncio.create_task(ticker())
    talk = asyncio.gather(*(esc.aevaluate("c", turn()) for _ in range(4)))
    await asyncio.sleep(0.2)
    assert not talk.done()
    assert ticks >= 5  # the loop kept running while the turns waited for room
    sink.gate.set()
    await asyncio.wait_for(talk, 10)
    tick_task.cancel()
    await trail.aclose()
    assert trail.stats.written == 4


def test_flushes_at_interpreter_exit(tmp_path):
    path = tmp_path / "audit.jsonl"
    script = f"""
from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink
trail = AuditTrail(JsonlSink({str(path)!r}))
esc = Escalator(audit=trail)
for i in range(50):
    esc.evaluate("c", {{"role": "user", "text": "message %d" % i}})
# no close(): the atexit hook must write everything queued
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    report = verify([path])
    assert report.ok
    assert report.records == 51


def test_rejects_bad_settings():
    sink = MemorySink()
    with pytest.raises(ValueError, match="max_queue"):
        AuditTrail(sink, max_queue=0)
    with pytest.raises(ValueError, match="batch_size"):
        AuditTrail(sink, batch_size=0)
    with pytest.raises(ValueError, match="when_full"):
        AuditTrail(sink, when_full="panic")  # type: ignore[arg-type]


def test_the_turn_does_not_wait_for_the_disk():
    sink = MemorySink()
    sink.gate.clear()  # the sink hangs
    trail = AuditTrail(sink)
    esc = Escalator(audit=trail)
    started = time.perf_counter()
    for _ in range(20):
        esc.evaluate("c", turn())
    assert time.perf_counter() - started < 5  # a hung write holds the writer for 10 s
    assert trail.stats.written == 0
    sink.gate.set()
    trail.close()
    assert json.dumps(sink.bodies[0])  # records are JSON values


def test_the_writer_survives_a_bug_and_says_so(monkeypatch, caplog):
    sink = MemorySink()
    trail = AuditTrail(sink)
    esc = Escalator(audit=trail)
    calls = {"n": 0}
    real = AuditTrail._take_unreported

    def broken_once(self):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("writer bug")
        return real(self)

    monkeypatch.setattr(AuditTrail, "_take_unreported", broken_once)
    with caplog.at_level(logging.ERROR, logger="escalate.audit"):
        esc.evaluate("c", turn())
        trail.flush()
        esc.evaluate("c", turn())
        trail.close()
    assert "lost a batch of 1 records to a bug" in caplog.text
    assert trail.stats.failed == 1
    assert trail.stats.written == 1
    assert [b["kind"] for b in sink.bodies] == ["write_failed", "decision"]
