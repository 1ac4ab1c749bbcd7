"""The JSON Lines and SQLite sinks: chain, rotation, resume, locking, keyed chains."""

from __future__ import annotations

import json
import os
import threading
from itertools import pairwise
from typing import TYPE_CHECKING

import pytest

from escalate.audit import FORMAT, JsonlSink, SqliteSink, read_trail, verify

# Internals, tested directly: the chain's hashing and the name a rotated segment gets.
from escalate.audit._chain import GENESIS, digest, seal, unseal
from escalate.audit._jsonl import segment_path
from escalate.exceptions import AuditError

if TYPE_CHECKING:
    from pathlib import Path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class TestJsonlChain:
    def test_header_names_the_chain_and_records_link(self, tmp_path, bodies):
        path = tmp_path / "audit.jsonl"
        with JsonlSink(path) as sink:
            sink.append(bodies(3))
        header, *records = lines(path)
        assert header["kind"] == "header"
        assert header["format"] == FORMAT
        assert header["seq"] == 0
        assert header["prev"] == GENESIS
        assert [r["seq"] for r in records] == [1, 2, 3]
        previous = header
        for record in records:
            assert record["prev"] == previous["hash"]
            previous = record
        for line in path.read_bytes().splitlines():
            stored, body = unseal(line)
            assert digest(body) == stored
            assert body.startswith(b'{"seq":')

    def test_the_hash_covers_the_bytes_after_it(self):
        line = seal(b'{"seq":1,"prev":"00","text":"\xc3\xa9"}')
        stored, _ = unseal(line.rstrip(b"\n"))
        assert line.startswith(b'{"hash":"' + stored.encode() + b'","seq":1')
        assert json.loads(line)["text"] == "é"
        assert seal(b'{"seq":1,"prev":"00","text":"e"}') != line
        assert seal(b'{"seq":1, "prev":"00","text":"\xc3\xa9"}') != line  # even a space
        assert unseal(b'{"seq":1}') is None

    def test_reopening_continues_the_chain(self, tmp_path, bodies):
        path = tmp_path / "audit.jsonl"
        with JsonlSink(path) as sink:
            sink.append(bodies(2))
        with JsonlSink(path) as sink:
            sink.append(bodies(2, start=2))
            assert sink.head.seq == 4
        records = lines(path)
        assert [r["seq"] for r in records] == [0, 1, 2, 3, 4]
        assert sum(r["kind"] == "header" for r in records) == 1
        assert verify([path]).ok

    def test_a_second_writer_on_the_same_file_is_refused(self, tmp_path):
        path = tmp_path / "audit.jsonl"
        with JsonlSink(path), pytest.raises(AuditError, match="another process"):
            JsonlSink(path)
        JsonlSink(path).close()  # the lock is released on close

    def test_closed_sink_refuses_appends(self, tmp_path, bodies):
        sink = JsonlSink(tmp_path / "audit.jsonl")
        sink.close()
        sink.close()  # idempotent
        with pytest.raises(AuditError, match="closed"):
            sink.append(bodies(1))

    def test_a_failed_write_leaves_no_partial_record(self, tmp_path, bodies, monkeypatch):
        path = tmp_path / "audit.jsonl"
        sink = JsonlSink(path)
        sink.append(bodies(1))
        size, head = path.stat().st_size, sink.head
        real_write = os.write
        calls = {"n": 0}

        def half_then_fail(fd, data):
            calls["n"] += 1
            if calls["n"] == 1:
                return real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "write", half_then_fail)
        with pytest.raises(OSError, match="No space"):
            sink.append(bodies(3, start=1))
        monkeypatch.undo()
        assert path.stat().st_size == size
        assert sink.head == head
        sink.append(bodies(1, start=9))
        sink.close()
        assert verify([path]).ok

    def test_keyed_chain_needs_the_same_key(self, tmp_path, bodies):
        path = tmp_path / "audit.jsonl"
        with JsonlSink(path, key="s3cret") as sink:
            sink.append(bodies(2))
        assert lines(path)[0]["algorithm"] == "hmac-sha256"
        with pytest.raises(AuditError, match="same key"):
            JsonlSink(path)
        assert verify([path], key="s3cret").ok
        wrong = verify([path], key="other")
        assert wrong.first_problem is not None
        assert wrong.first_problem.kind == "modified"
        unkeyed = verify([path])
        assert unkeyed.first_problem is not None
        assert unkeyed.first_problem.kind == "unreadable"

    @pytest.mark.parametrize("bad", [{"rotate_bytes": 0}, {"rotate_seconds": 0}])
    def test_bad_rotation_settings(self, tmp_path, bad):
        with pytest.raises(ValueError, match="must be positive"):
            JsonlSink(tmp_path / "a.jsonl", **bad)


def rotated(directory: Path, bodies, *, records: int, rotate_bytes: int) -> tuple[list, Path]:
    """A trail written one record at a time: its rotated segments, in order, and the active file."""
    path = directory / "audit.jsonl"
    with JsonlSink(path, rotate_bytes=rotate_bytes) as sink:
        for n in range(records):
            sink.append(bodies(1, start=n))
    segments = sorted(directory.glob("audit.*.jsonl"))
    assert len(segments) >= 3
    return segments, path


class TestRotation:
    def test_size_rotation_continues_the_chain_across_files(self, tmp_path, bodies):
        segments, path = rotated(tmp_path, bodies, records=12, rotate_bytes=400)
        files = [*segments, path]
        headers = [lines(file)[0] for file in files]
        assert [h["segment"] for h in headers] == list(range(len(files)))
        assert len({h["chain"] for h in headers}) == 1
        for earlier, later in pairwise(files):
            assert lines(later)[0]["prev"] == lines(earlier)[-1]["hash"]
        report = verify(reversed(files))  # given in any order
        assert report.ok, report.problems
        assert report.records == 12 + len(files)
        decisions = [r for r in read_trail(files) if r.kind == "decision"]
        assert [r.data["n"] for r in decisions] == list(range(12))

    def test_time_rotation(self, tmp_path, bodies, monkeypatch):
        clock = {"now": 1_000_000.0}
        monkeypatch.setattr("escalate.audit._jsonl.time.time", lambda: clock["now"])
        path = tmp_path / "audit.jsonl"
        with JsonlSink(path, rotate_seconds=60) as sink:
            sink.append(bodies(1))
            clock["now"] += 30
            sink.append(bodies(1, start=1))
            assert sink.segment == 0
            clock["now"] += 31
            sink.append(bodies(1, start=2))
            assert sink.segment == 1
        assert segment_path(path, 0).exists()
        assert verify([segment_path(path, 0), path]).ok

    def test_a_missing_segment_is_reported(self, tmp_path, bodies):
        segments, path = rotated(tmp_path, bodies, records=10, rotate_bytes=300)
        report = verify([segments[0], *segments[2:], path])
        assert report.first_problem is not None
        assert report.first_problem.kind == "deleted"
        assert "segment 1" in report.first_problem.message

    def test_later_segments_alone_verify_with_a_note(self, tmp_path, bodies):
        segments, path = rotated(tmp_path, bodies, records=10, rotate_bytes=300)
        report = verify([*segments[1:], path])
        assert report.ok
        assert any("earlier files were not given" in note for note in report.notes)

    def test_restart_after_a_crash_between_rename_and_new_file(self, tmp_path, bodies):
        path = tmp_path / "audit.jsonl"
        with JsonlSink(path) as sink:
            sink.append(bodies(2))
        path.rename(segment_path(path, 0))  # as if the process died mid-rotation
        with JsonlSink(path) as sink:
            sink.append(bodies(1, start=2))
            assert sink.segment == 1
        assert verify([segment_path(path, 0), path]).ok


class TestTornTail:
    def test_restart_keeps_the_torn_file_and_continues(self, tmp_path, bodies):
        path = tmp_path / "audit.jsonl"
        with JsonlSink(path) as sink:
            sink.append(bodies(3))
        with path.open("ab") as file:
            file.write(b'{"kind":"decision","seq":4,"pr')
        torn_bytes = path.read_bytes()
        alone = verify([path])
        assert alone.first_problem is not None
        assert alone.first_problem.kind == "torn"
        assert alone.records == 4
        with JsonlSink(path) as sink:
            sink.append(bodies(2, start=3))
        kept = segment_path(path, 0)
        assert kept.read_bytes() == torn_bytes  # evidence left as it was
        header = lines(path)[0]
        assert header["recovered"] == {"file": kept.name, "torn_bytes": 30}
        report = verify([kept, path])
        assert report.ok, report.problems
        assert any("torn" in note for note in report.notes)

    def test_an_unreadable_last_line_refuses_to_continue(self, tmp_path, bodies):
        path = tmp_path / "audit.jsonl"
        with JsonlSink(path) as sink:
            sink.append(bodies(1))
        with path.open("ab") as file:
            file.write(b"garbage\n")
        with pytest.raises(AuditError, match="audit verify"):
            JsonlSink(path)

    def test_a_file_that_is_not_a_trail_is_refused(self, tmp_path):
        path = tmp_path / "audit.jsonl"
        path.write_text('{"seq": 0, "hash": "x", "kind": "decision"}\n')
        with pytest.raises(AuditError, match="not an escalate audit header"):
            JsonlSink(path)


class TestSqlite:
    def test_same_chain_as_jsonl(self, tmp_path, bodies):
        path = tmp_path / "audit.db"
        with SqliteSink(path) as sink:
            sink.append(bodies(3))
            assert sink.head is not None
            assert sink.head.seq == 3
        records = list(read_trail([path]))
        assert [r.kind for r in records] == ["header", "decision", "decision", "decision"]
        assert records[1].data["prev"] == records[0].data["hash"]
        assert verify([path]).ok

    def test_reopen_and_wal_mode(self, tmp_path, bodies):
        import sqlite3

        path = tmp_path / "audit.db"
        with SqliteSink(path) as sink:
            sink.append(bodies(1))
        with SqliteSink(path, fsync=True) as sink:
            sink.append(bodies(1, start=1))
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM audit_records").fetchone()[0] == 3
        db.close()
        assert verify([path]).ok

    def test_two_sinks_on_one_database_build_one_chain(self, tmp_path, bodies):
        path = tmp_path / "audit.db"
        sinks = [SqliteSink(path), SqliteSink(path)]

        def write(sink: SqliteSink, start: int) -> None:
            for n in range(start, start + 40):
                sink.append(bodies(1, start=n))

        threads = [
            threading.Thread(target=write, args=(sink, i * 100)) for i, sink in enumerate(sinks)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for sink in sinks:
            sink.close()
        report = verify([path])
        assert report.ok, report.problems
        assert report.records == 81

    def test_not_a_database(self, tmp_path):
        path = tmp_path / "audit.db"
        path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
        with pytest.raises(AuditError, match="not a usable audit database"):
            SqliteSink(path)

    def test_keyed(self, tmp_path, bodies):
        path = tmp_path / "audit.db"
        with SqliteSink(path, key=b"k") as sink:
            sink.append(bodies(2))
        with pytest.raises(AuditError, match="same key"):
            SqliteSink(path)
        assert verify([path], key=b"k").ok


class TestInterruptedWrites:
    def test_a_complete_last_record_without_its_newline_is_kept(self, tmp_path, bodies):
        path = tmp_path / "audit.jsonl"
        with JsonlSink(path) as sink:
            sink.append(bodies(3))
        path.write_bytes(path.read_bytes()[:-1])
        with JsonlSink(path) as sink:
            sink.append(bodies(1, start=3))
            assert sink.segment == 0  # no recovery needed: nothing was lost
        assert [r["seq"] for r in lines(path)] == [0, 1, 2, 3, 4]
        assert verify([path]).ok

    def test_a_torn_first_header_is_moved_aside(self, tmp_path, bodies, caplog):
        path = tmp_path / "audit.jsonl"
        path.write_bytes(b'{"kind":"header","form')
        with JsonlSink(path) as sink:
            sink.append(bodies(1))
        assert path.with_name("audit.jsonl.torn").read_bytes() == b'{"kind":"header","form'
        assert "torn header" in caplog.text
        assert verify([path]).ok

    def test_an_empty_file_starts_a_chain(self, tmp_path, bodies):
        path = tmp_path / "audit.jsonl"
        path.touch()
        with JsonlSink(path) as sink:
            sink.append(bodies(1))
        assert verify([path]).ok
        assert not path.with_name("audit.jsonl.torn").exists()
