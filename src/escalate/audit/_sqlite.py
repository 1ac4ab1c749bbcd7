"""An SQLite audit database (WAL mode) holding the same hash chain as a JSON Lines file.

Each row keeps the record exactly as a JSON Lines sink would write it, so one verifier serves
both; ``seq``, ``kind`` and ``conversation_id`` are columns too, for queries. The chain's head is
read inside each write transaction (``BEGIN IMMEDIATE``), so several processes can share one
database and still build one unbroken chain.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from escalate.audit._chain import Chain, ChainHead
from escalate.exceptions import AuditError

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator, Sequence

    from escalate.audit._records import RecordBody

__all__ = ["SqliteSink", "read_sqlite"]

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS audit_records (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    conversation_id TEXT,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_by_conversation
    ON audit_records (conversation_id, seq);
"""
_BUSY_TIMEOUT_SECONDS: Final = 30.0


class SqliteSink:
    """Appends hash-chained records to an SQLite database.

    Args:
        path: the database file; created with its table if missing.
        fsync: ``synchronous=FULL``: every commit reaches the disk (survives a power cut).
            The default, ``NORMAL`` in WAL mode, survives a crash of the process.
        key: chain with HMAC-SHA256 under this key (see ``JsonlSink``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fsync: bool = False,
        key: bytes | str | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._key = key.encode() if isinstance(key, str) else key
        # The writer thread is the only user; autocommit off so BEGIN IMMEDIATE is explicit.
        self._db = sqlite3.connect(
            self.path,
            timeout=_BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        self._header_record: dict[str, Any] | None = None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self._db.executescript(_SCHEMA)
            self._head = self._read_head()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise AuditError(f"{self.path}: not a usable audit database ({error})") from None
        if self._head is not None:
            self._check_algorithm()

    @property
    def head(self) -> ChainHead | None:
        """The last record this sink saw written (``None`` before the first)."""
        return self._head

    def append(self, records: Sequence[RecordBody]) -> None:
        """Link ``records`` into the chain and write them in one transaction."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")  # from here no other writer can move the head
        try:
            head = self._read_head()
            chain = Chain(head, key=self._key)
            rows: list[tuple[int, str, str | None, str]] = []
            if not chain.started:
                rows.append((0, "header", None, chain.header(0)[:-1].decode()))
            for record in records:
                line = chain.link(record.fields)
                rows.append(
                    (chain.head.seq, record.kind, record.conversation_id, line[:-1].decode())
                )
            db.executemany(
                "INSERT INTO audit_records (seq, kind, conversation_id, record)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._head = chain.head

    def close(self) -> None:
        """Close the database (idempotent)."""
        self._db.close()

    def __enter__(self) -> SqliteSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read_head(self) -> ChainHead | None:
        # Read in every write transaction: another process may have moved it.
        last = self._db.execute(
            "SELECT record FROM audit_records ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if last is None:
            return None
        record = json.loads(last[0])
        return ChainHead(self._header()["chain"], record["seq"], record["hash"])

    def _header(self) -> dict[str, Any]:
        """The chain's header (read once: it never changes)."""
        if self._header_record is None:
            first = self._db.execute(
                "SELECT record FROM audit_records ORDER BY seq LIMIT 1"
            ).fetchone()
            self._header_record = json.loads(first[0])
        return self._header_record

    def _check_algorithm(self) -> None:
        algorithm = self._header().get("algorithm")
        expected = Chain(key=self._key).algorithm
        if algorithm != expected:
            self._db.close()
            raise AuditError(
                f"{self.path}: the chain uses {algorithm!r} but this sink was opened with"
                f" {expected!r} (pass the same key, or none)"
            )


def read_sqlite(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(row number, record line)`` pairs of an audit database, in stored order."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise AuditError(f"{path}: cannot open the audit database ({error})") from None
    try:
        rows = db.execute("SELECT record FROM audit_records ORDER BY seq")
        for number, (record,) in enumerate(rows, start=1):
            yield number, record.encode()
    except sqlite3.DatabaseError as error:
        raise AuditError(f"{path}: not an escalate audit database ({error})") from None
    finally:
        db.close()
