"""Every record the trail could not write is noted in it, and verify says the trail is short."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink, verify
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from escalate.audit import RecordBody

NOTICE_BYTES = 200


class NearlyFullDisk:
    """A JSON Lines sink on a disk that, while ``full``, has room for a notice, not a record."""

    def __init__(self, path: Path) -> None:
        self.inner = JsonlSink(path)
        self.full = False
        self.completely = False

    def append(self, records: Sequence[RecordBody]) -> None:
        size = sum(len(record.fields) for record in records)
        if self.full and (self.completely or size > NOTICE_BYTES):
            raise OSError(errno.ENOSPC, "No space left on device")
        self.inner.append(records)

    def close(self) -> None:
        self.inner.close()


def _decide(escalator: Escalator, count: int, trail: AuditTrail) -> None:
    for index in range(count):
        escalator.evaluate(f"c{index}", {"role": "user", "text": "hello there"})
    trail.flush()


def _notes(path: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [record for record in records if record["kind"] == "write_failed"]


def test_a_gap_is_noted_at_once_when_the_notice_fits(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    sink = NearlyFullDisk(path)
    trail = AuditTrail(sink, linger_seconds=0)
    escalator = Escalator(logger=quiet_logger(), audit=trail)
    sink.full = True
    _decide(escalator, 3, trail)
    # Still full, and the trail already says what it lost (not only once a batch fits again).
    assert sum(note["count"] for note in _notes(path)) == trail.stats.failed == 3
    trail.close()


def test_every_gap_is_noted_not_only_the_first(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    sink = NearlyFullDisk(path)
    with AuditTrail(sink, linger_seconds=0) as trail:
        escalator = Escalator(logger=quiet_logger(), audit=trail)
        for full, count in ((True, 4), (False, 2), (True, 5), (False, 1), (True, 3)):
            sink.full = full
            sink.completely = count == 5  # this time not even a notice fits until space returns
            _decide(escalator, count, trail)
        sink.full = False
    notes = _notes(path)
    assert len(notes) >= 3
    assert sum(note["count"] for note in notes) == trail.stats.failed == 12
    assert trail.stats.written == 3
    report = verify([path])
    assert report.ok
    assert report.missing == {"write_failed": 12}
    assert not report.complete


def _verify_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "escalate", "audit", "verify", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_verify_exits_3_for_a_trail_that_says_records_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    sink = NearlyFullDisk(path)
    with AuditTrail(sink, linger_seconds=0) as trail:
        escalator = Escalator(logger=quiet_logger(), audit=trail)
        _decide(escalator, 2, trail)
        sink.full = True
        _decide(escalator, 3, trail)
    result = _verify_cli(str(path))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "INCOMPLETE" in result.stderr
    assert "3 write_failed" in result.stderr


def test_verify_exits_0_for_a_complete_trail(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path)) as trail:
        _decide(Escalator(logger=quiet_logger(), audit=trail), 2, trail)
    result = _verify_cli(str(path))
    assert result.returncode == 0, result.stderr
    assert verify([path]).complete


def test_a_trail_whose_header_was_deleted_is_tampered_not_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path)) as trail:
        _decide(Escalator(logger=quiet_logger(), audit=trail), 3, trail)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[1:]))
    report = verify([path])
    assert [problem.kind for problem in report.problems] == ["deleted"]
    assert "header is missing" in report.problems[0].message
    result = _verify_cli(str(path))
    assert result.returncode == 1, result.stderr
    assert "deleted" in result.stderr


def test_a_file_with_no_record_at_all_is_still_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"hello": "world"}\n', encoding="utf-8")
    assert _verify_cli(str(path)).returncode == 2


def test_verify_lists_a_limited_number_of_problems(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path), linger_seconds=0) as trail:
        _decide(Escalator(logger=quiet_logger(), audit=trail), 60, trail)
    lines = path.read_bytes().splitlines(keepends=True)
    # Change a field in every record after the header: 60 records no longer match their hash.
    path.write_bytes(lines[0] + b"".join(line.replace(b"hello", b"HELLO") for line in lines[1:]))
    result = _verify_cli(str(path))
    assert result.returncode == 1
    assert result.stderr.count("  also: ") == 19
    assert "... and 40 more" in result.stderr
    assert "60 problem(s)" in result.stderr
    wider = _verify_cli(str(path), "--max-problems", "100")
    assert wider.stderr.count("  also: ") == 59
