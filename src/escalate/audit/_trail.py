"""``AuditTrail``: records every decision off the bot's turn, and never loses one silently.

The engine queues an entry (a few references) and returns; one writer thread redacts, builds
and chains the records and hands them to the sink in batches. The thread serves sync and async
hosts alike: files and SQLite have no asynchronous API, so an asyncio task would have to hand
every write to a thread anyway. Async callers wait for queue space without blocking the loop.

When the queue is full, ``when_full`` decides: ``"block"`` (the turn waits: nothing is lost)
or ``"drop"`` (the entry is counted, an error is logged, and a ``dropped`` record in the trail
itself says how many are missing). A sink that fails is retried; records it still cannot take
are counted, logged and noted in the trail as ``write_failed``: at once if the notice alone
fits (a nearly full disk), or with the next write that succeeds. ``escalate audit verify``
reports a trail with such notices as incomplete.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from escalate.audit._chain import dumps, now_iso
from escalate.audit._records import OutcomeEntry, RecordBody, RecordBuilder, TextMode, TurnEntry
from escalate.audit._redact import Redactor

if TYPE_CHECKING:
    from escalate.core import ScoredTurn
    from escalate.models import Decision, Outcome, Turn
    from escalate.typing import AuditSink

__all__ = ["AuditStats", "AuditTrail"]

_log = logging.getLogger("escalate.audit")

WRITE_ATTEMPTS: Final = 3
"""Tries per batch before its records count as failed."""
_RETRY_PAUSE_SECONDS: Final = (0.05, 0.25)
_DROP_LOG_INTERVAL_SECONDS: Final = 1.0
_YIELD_EVERY_SECONDS: Final = 0.001
_STOP: Final = object()

Entry = TurnEntry | OutcomeEntry


@dataclass(frozen=True, slots=True)
class AuditStats:
    """What the trail has done so far."""

    written: int
    """Entries written to the sink."""
    dropped: int
    """Entries dropped because the queue was full (``when_full="drop"``) or the trail closed."""
    failed: int
    """Entries the sink refused even after retries."""
    queued: int
    """Entries waiting to be written."""


class AuditTrail:
    """Writes an audit record for every decision and reported outcome.

    Args:
        sink: where records go: ``JsonlSink``, ``SqliteSink`` or your own ``AuditSink``.
        redactor: what to redact from text before it is written (default: ``Redactor()``,
            every built-in kind, typed placeholders).
        text: ``"redacted"`` keeps the redacted text; ``"none"`` keeps no text at all.
        max_queue: entries waiting to be written before ``when_full`` applies.
        when_full: ``"block"`` waits for room; ``"drop"`` drops, counts and logs.
        batch_size: most entries handed to the sink in one write.
        linger_seconds: how long the writer waits after the first queued entry for more to
            write with it. Records reach the sink at most this much later; ``flush()`` and
            ``close()`` wait for them.

    Use it as a context manager, or call ``close()``: both write everything queued. It also
    closes at interpreter exit.

    Examples:
        >>> import tempfile, pathlib
        >>> from escalate import Escalator
        >>> from escalate.audit import AuditTrail, JsonlSink
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl"
        >>> with AuditTrail(JsonlSink(path)) as trail:
        ...     esc = Escalator(audit=trail)
        ...     esc.evaluate("c-1", {"role": "user", "text": "I want a human"}).action.value
        'handoff'
        >>> trail.stats.written
        1
    """

    def __init__(
        self,
        sink: AuditSink,
        *,
        redactor: Redactor | None = None,
        text: TextMode | Literal["redacted", "none"] = TextMode.REDACTED,
        max_queue: int = 10_000,
        when_full: Literal["block", "drop"] = "block",
        batch_size: int = 256,
        linger_seconds: float = 0.02,
    ) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if not 0 <= linger_seconds <= 1:
            raise ValueError(f"linger_seconds must be within 0..1, got {linger_seconds}")
        if when_full not in {"block", "drop"}:
            raise ValueError(f"when_full must be 'block' or 'drop', got {when_full!r}")
        self.sink = sink
        self.redactor = Redactor() if redactor is None else redactor
        self._builder = RecordBuilder(self.redactor, TextMode(text))
        self.when_full = when_full
        self.batch_size = batch_size
        self.linger_seconds = linger_seconds
        self._queue: queue.Queue[Entry | object] = queue.Queue(max_queue)
        self._counts = {"written": 0, "dropped": 0, "failed": 0}
        self._unreported = {"dropped": 0, "write_failed": 0}
        self._counts_lock = threading.Lock()
        self._last_drop_log = 0.0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="escalate-audit", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    @property
    def stats(self) -> AuditStats:
        """Counts of written, dropped, failed and queued entries."""
        with self._counts_lock:
            return AuditStats(queued=self._queue.qsize(), **self._counts)

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def record_decision(self, decision: Decision, turn: Turn, scored: ScoredTurn | None) -> None:
        """Queue the record of a decided turn (``Escalator`` calls this on every turn)."""
        self._submit(TurnEntry(decision, turn, scored))

    async def arecord_decision(
        self, decision: Decision, turn: Turn, scored: ScoredTurn | None
    ) -> None:
        """Async twin of ``record_decision``: waits for room without blocking the loop."""
        await self._asubmit(TurnEntry(decision, turn, scored))

    def record_outcome(
        self, conversation_id: str, outcome: Outcome, note: str | None, user_turns: int | None
    ) -> None:
        """Queue the record of an outcome the host reported."""
        self._submit(OutcomeEntry(conversation_id, outcome, note, user_turns, now_iso()))

    def _submit(self, entry: Entry) -> None:
        if self._closed:
            self._drop(entry, "the audit trail is closed")
            return
        if self.when_full == "block":
            self._queue.put(entry)
            return
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self._drop(entry, "the audit queue is full")

    async def _asubmit(self, entry: Entry) -> None:
        if self._closed or self.when_full == "drop":
            self._submit(entry)
            return
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            await asyncio.to_thread(self._queue.put, entry)

    def flush(self) -> None:
        """Wait until everything queued so far is written (or counted as failed)."""
        if self._thread.is_alive():
            self._queue.join()

    def close(self, timeout: float | None = 30.0) -> None:
        """Write what is queued, stop the writer and close the sink (idempotent)."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        with contextlib.suppress(queue.Full):  # a stuck writer is reported below
            self._queue.put(_STOP, timeout=timeout)
        self._thread.join(timeout)
        if self._thread.is_alive():
            _log.error(
                "escalate audit: %d records still queued after %.0fs; closing anyway",
                self._queue.qsize(),
                timeout or 0,
            )
        with contextlib.suppress(Exception):
            self.sink.close()
        with self._counts_lock:
            unnoted = sum(self._unreported.values())
        if unnoted:
            _log.error(
                "escalate audit: %d missing records could not even be noted in the trail;"
                " `escalate audit verify` cannot see this gap",
                unnoted,
            )
        stats = self.stats
        if stats.dropped or stats.failed:
            _log.error(
                "escalate audit closed with %d dropped and %d failed records (%d written)",
                stats.dropped,
                stats.failed,
                stats.written,
            )

    async def aclose(self) -> None:
        """Async twin of ``close``."""
        await asyncio.to_thread(self.close)

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> AuditTrail:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _drop(self, entry: Entry, why: str) -> None:
        with self._counts_lock:
            self._counts["dropped"] += 1
            self._unreported["dropped"] += 1
            total = self._counts["dropped"]
            now = time.monotonic()
            loud = now - self._last_drop_log >= _DROP_LOG_INTERVAL_SECONDS
            if loud:
                self._last_drop_log = now
        if loud:  # at most once a second: a flood of errors would hurt the host more
            _log.error(
                "escalate audit dropped a record of %s (%s); %d dropped so far",
                _conversation(entry),
                why,
                total,
            )

    def _run(self) -> None:
        stop = False
        while not stop:
            batch: list[Entry] = []
            item = self._queue.get()
            taken = 1
            if item is not _STOP and self.linger_seconds:
                # Let the turns run undisturbed for a moment and write what they queued in one
                # batch: one wake-up, one write and one fsync for many records, not one per turn.
                time.sleep(self.linger_seconds)
            while True:
                if item is _STOP:
                    stop = True
                else:
                    batch.append(item)  # type: ignore[arg-type]  # the queue holds entries
                if stop or len(batch) >= self.batch_size:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
            try:
                if batch or any(self._unreported.values()):
                    self._write(batch)
            except Exception:  # noqa: BLE001 - the writer must outlive a bug, or turns would hang
                _log.exception("escalate audit lost a batch of %d records to a bug", len(batch))
                with self._counts_lock:
                    self._counts["failed"] += len(batch)
                    self._unreported["write_failed"] += len(batch)
            finally:
                for _ in range(taken):
                    self._queue.task_done()

    def _write(self, batch: list[Entry]) -> None:
        lost = self._take_unreported()
        records = _notices(lost)
        yielded = time.perf_counter()
        for entry in batch:
            try:
                records.append(self._builder.body(entry))
            except Exception as error:  # noqa: BLE001 - record that it failed, not nothing
                _log.exception("escalate audit could not build a record")
                records.append(self._unbuildable(entry, error))
            # Let the bot's threads run now and then: without this, a batch holds the GIL for
            # a whole switch interval (5 ms) and shows in the turns' p99. sleep(0) costs a
            # system call, so not after every record.
            if time.perf_counter() - yielded > _YIELD_EVERY_SECONDS:
                time.sleep(0)
                yielded = time.perf_counter()
        for attempt in range(WRITE_ATTEMPTS):
            try:
                self.sink.append(records)
            except Exception:  # noqa: BLE001 - any sink failure: retry, then count and log
                if attempt + 1 < WRITE_ATTEMPTS:
                    time.sleep(_RETRY_PAUSE_SECONDS[attempt])
                    continue
                _log.exception(
                    "escalate audit could not write %d records after %d attempts",
                    len(batch),
                    WRITE_ATTEMPTS,
                )
                with self._counts_lock:
                    self._counts["failed"] += len(batch)
                    self._unreported["write_failed"] += len(batch)
                    for kind, count in lost.items():  # still to be noted in the trail
                        self._unreported[kind] += count
                self._note_losses()
                return
            with self._counts_lock:
                self._counts["written"] += len(batch)
            return

    def _note_losses(self) -> None:
        """Try to write the notices alone: a nearly full disk has room for them, not a batch.

        Otherwise the gap would be noted only once a whole batch fits again, and never if the
        disk stays full until the process ends.
        """
        lost = self._take_unreported()
        if not lost:
            return
        try:
            self.sink.append(_notices(lost))
        except Exception:  # noqa: BLE001 - counted already; noted with the next write
            with self._counts_lock:
                for kind, count in lost.items():
                    self._unreported[kind] += count

    def _unbuildable(self, entry: Entry, error: Exception) -> RecordBody:
        """Stands in for a record that could not be built: the loss is on the trail."""
        conversation = _conversation(entry)
        fields = {
            "kind": "error",
            "at": now_iso(),
            "conversation_id": conversation,
            # Redacted whole, then cut: an address across the cut would be kept in part.
            "error": self.redactor.redact(f"{type(error).__name__}: {error}")[:200],
        }
        return RecordBody("error", conversation, dumps(fields))

    def _take_unreported(self) -> dict[str, int]:
        """How many entries were lost since the last write, by notice kind (and reset)."""
        with self._counts_lock:
            lost = {kind: count for kind, count in self._unreported.items() if count}
            for kind in lost:
                self._unreported[kind] = 0
        return lost


def _notices(lost: dict[str, int]) -> list[RecordBody]:
    """One record per kind of loss, saying how many records are missing from the trail."""
    return [
        RecordBody(kind, None, dumps({"kind": kind, "at": now_iso(), "count": count}))
        for kind, count in lost.items()
    ]


def _conversation(entry: Entry) -> str:
    if isinstance(entry, OutcomeEntry):
        return entry.conversation_id
    return entry.decision.conversation_id
