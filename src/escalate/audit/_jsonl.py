"""An append-only JSON Lines audit file with a hash chain, rotation and crash recovery.

The active file is ``path``. Rotation renames it to ``<stem>.<segment><suffix>``
(``audit.000003.jsonl``) and opens a new ``path`` whose header continues the chain, so the
segments verify as one trail. A process that starts on a file whose last line was cut short by
a crash keeps that file as a segment, untouched, and continues the chain from its last complete
record in a new file whose header names the torn bytes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.audit._chain import Chain, ChainHead
from escalate.exceptions import AuditError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from escalate.audit._records import RecordBody

__all__ = ["JsonlSink", "segment_path"]

_log = logging.getLogger("escalate.audit")
_TAIL_CHUNK = 64 * 1024


class JsonlSink:
    """Appends hash-chained records to a JSON Lines file.

    One process writes one file: the sink holds an exclusive lock on ``<file>.lock`` next to
    the real file (symlinks resolved) while it is open, and a second sink on the same file,
    by any path, fails with ``AuditError`` (give each worker its
    own file, or use ``SqliteSink``, which many processes can share).

    Args:
        path: the active file; created with its directory if missing, continued if present.
        rotate_bytes: start a new segment once the active file reaches this size.
        rotate_seconds: start a new segment once the active file is this old.
        fsync: ``os.fsync`` after every write, so records survive a power cut, not only a
            crash of the process (benchmarks/README.md measures the cost).
        key: chain with HMAC-SHA256 under this key: without the key, nobody can rewrite the
            trail and recompute a chain that verifies.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        rotate_bytes: int | None = None,
        rotate_seconds: float | None = None,
        fsync: bool = False,
        key: bytes | str | None = None,
    ) -> None:
        if rotate_bytes is not None and rotate_bytes < 1:
            raise ValueError(f"rotate_bytes must be positive, got {rotate_bytes}")
        if rotate_seconds is not None and rotate_seconds <= 0:
            raise ValueError(f"rotate_seconds must be positive, got {rotate_seconds}")
        self.path = Path(path)
        self.rotate_bytes = rotate_bytes
        self.rotate_seconds = rotate_seconds
        self.fsync = fsync
        self._key = key.encode() if isinstance(key, str) else key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Keyed on the real file: a symlink to the trail, or a path through a symlinked
        # directory, must meet the same lock, or two writers would interleave and break the
        # chain for good.
        real = self.path.resolve()
        self._lock_fd = _lock(real.with_name(real.name + ".lock"), self.path)
        self._fd = -1
        try:
            self._open()
        except BaseException:
            os.close(self._lock_fd)
            raise

    @property
    def head(self) -> ChainHead:
        """The last record written."""
        return self._chain.head

    @property
    def segment(self) -> int:
        """The active file's segment number (0 for the chain's first file)."""
        return self._segment

    def append(self, records: Sequence[RecordBody]) -> None:
        """Link ``records`` into the chain and write them, all or none."""
        if self._fd < 0:
            raise AuditError(f"the audit file {self.path} is closed")
        if self._due_for_rotation():
            self._rotate()
        before = self._chain.head
        data = b"".join(self._chain.link(record.fields) for record in records)
        try:
            self._write(data)
        except BaseException:
            self._chain.rollback(before)
            raise

    def close(self) -> None:
        """Close the file and release the lock (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            os.close(self._lock_fd)

    def __enter__(self) -> JsonlSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open(self) -> None:
        self._chain = Chain(key=self._key)
        if _only_a_torn_line(self.path):
            # Killed while writing the very first header: nothing was recorded yet.
            aside = self.path.with_name(self.path.name + ".torn")
            _log.warning(
                "escalate audit: %s holds only a torn header; moved to %s", self.path, aside
            )
            self.path.replace(aside)
        if self.path.exists() and self.path.stat().st_size > 0:
            header, last, torn = _scan(self.path)
            self._check_algorithm(header)
            head = ChainHead(header["chain"], last["seq"], last["hash"])
            self._chain = Chain(head, key=self._key)
            self._segment = int(header["segment"])
            if torn:
                # Keep the damaged file as it is (evidence) and continue in a fresh one.
                self._rotate(recovered={"file": self._retire().name, "torn_bytes": torn})
                return
            self._open_fd()
            self._started = _header_time(header)
            return
        previous = _latest_segment(self.path)
        if previous is None:
            self._segment = -1
            self._start_segment()
            return
        header, last, torn = _scan(previous)
        self._check_algorithm(header)
        self._chain = Chain(ChainHead(header["chain"], last["seq"], last["hash"]), key=self._key)
        self._segment = int(header["segment"])
        extra = {"recovered": {"file": previous.name, "torn_bytes": torn}} if torn else {}
        self._start_segment(**extra)

    def _check_algorithm(self, header: dict[str, Any]) -> None:
        if header.get("algorithm") != self._chain.algorithm:
            raise AuditError(
                f"{self.path}: the chain uses {header.get('algorithm')!r} but this sink was"
                f" opened with {self._chain.algorithm!r} (pass the same key, or none)"
            )

    def _due_for_rotation(self) -> bool:
        if self.rotate_bytes is not None and self._size >= self.rotate_bytes:
            return True
        return self.rotate_seconds is not None and time.time() - self._started >= (
            self.rotate_seconds
        )

    def _rotate(self, **extra: Any) -> None:
        if self._fd >= 0:
            self._retire()
        self._start_segment(**extra)

    def _retire(self) -> Path:
        """Close the active file and rename it to its segment name."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        retired = segment_path(self.path, self._segment)
        self.path.rename(retired)
        return retired

    def _start_segment(self, **extra: Any) -> None:
        self._segment += 1
        self._open_fd()
        self._started = time.time()
        self._write(self._chain.header(self._segment, **extra))

    def _open_fd(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._size = os.fstat(self._fd).st_size

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        size = self._size
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            if self.fsync:
                os.fsync(self._fd)
        except OSError:
            # A disk that filled up mid-batch must not leave half a record behind.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, size)
            raise
        self._size = size + len(data)


def segment_path(path: Path, segment: int) -> Path:
    """The name a rotated segment gets: ``audit.jsonl`` -> ``audit.000003.jsonl``."""
    return path.with_name(f"{path.stem}.{segment:06d}{path.suffix}")


def _latest_segment(path: Path) -> Path | None:
    numbered = []
    for candidate in path.parent.glob(f"{path.stem}.*{path.suffix}"):
        number = candidate.name[len(path.stem) + 1 : len(candidate.name) - len(path.suffix)]
        if number.isdigit():
            numbered.append((int(number), candidate))
    return max(numbered)[1] if numbered else None


def _scan(path: Path) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The header, the last complete record, and how many bytes of a torn last line follow."""
    with path.open("rb") as file:
        header = _parse(path, file.readline(), "the first line")
        if header.get("kind") != "header":
            raise AuditError(f"{path}: the first line is not an escalate audit header")
        file.seek(0, os.SEEK_END)
        end = file.tell()
        tail = b""
        position = end
        # Read backwards until the buffer holds the last complete line.
        while position > 0 and tail.count(b"\n") < 2:  # noqa: PLR2004 - one line, both ends
            step = min(_TAIL_CHUNK, position)
            position -= step
            file.seek(position)
            tail = file.read(step) + tail
    complete, _, torn = tail.rpartition(b"\n")
    if torn and _record_or_none(torn) is not None:
        # The whole record reached the disk, only its newline did not: it is not torn.
        with path.open("ab") as file:
            file.write(b"\n")
        return header, _parse(path, torn, "the last line"), 0
    last_line = complete.rpartition(b"\n")[2]
    last = _parse(path, last_line, "the last complete line")
    return header, last, len(torn)


def _only_a_torn_line(path: Path) -> bool:
    if not path.exists():
        return False
    with path.open("rb") as file:
        start = file.read(_TAIL_CHUNK)
    return bool(start) and b"\n" not in start


def _record_or_none(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and {"seq", "hash"} <= record.keys() else None


def _parse(path: Path, line: bytes, where: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError as error:
        raise AuditError(
            f"{path}: {where} is not a JSON record ({error}); run `escalate audit verify {path}`"
        ) from None
    if not isinstance(record, dict) or not {"seq", "hash"} <= record.keys():
        raise AuditError(f"{path}: {where} is not an escalate audit record")
    return record


def _header_time(header: dict[str, Any]) -> float:
    from datetime import datetime  # noqa: PLC0415

    try:
        return datetime.fromisoformat(header["at"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return time.time()


def _lock(path: Path, trail: Path) -> int:
    """Hold an exclusive lock on ``path`` for as long as the returned descriptor is open."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        import fcntl  # noqa: PLC0415 - POSIX only; elsewhere the lock is not taken

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:
        pass
    except OSError:
        os.close(fd)
        real = path.with_suffix("")
        where = str(trail) if trail == real else f"{trail} (the file {real})"
        raise AuditError(
            f"{where} is being written by another process or sink; give each its own audit"
            " file, or use SqliteSink"
        ) from None
    return fd
