"""Tampering of every kind is found, named, and placed; an intact trail verifies."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.audit import ChainHead, JsonlSink, SqliteSink, verify
from escalate.audit._chain import seal_record  # internal: forges records that verify


@pytest.fixture
def trail(tmp_path, bodies):
    """A JSON Lines trail: a header and 8 records (lines 1..9)."""
    path = tmp_path / "audit.jsonl"
    with JsonlSink(path) as sink:
        sink.append(bodies(8))
    return path


def rewrite(path, change):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(lines)))


def first(report):
    assert not report.ok
    problem = report.first_problem
    assert problem is not None
    return problem


def test_intact(trail):
    report = verify([trail])
    assert report.ok
    assert report.records == 9
    assert report.last is not None
    assert report.last.seq == 8


def test_modified_field(trail):
    def change(lines):
        record = json.loads(lines[4])
        record["turn_index"] = 99
        lines[4] = json.dumps(record) + "\n"
        return lines

    rewrite(trail, change)
    problem = first(verify([trail]))
    assert (problem.kind, problem.line, problem.seq) == ("modified", 5, 4)


def test_modified_with_recomputed_hash_breaks_the_next_link(trail):
    def change(lines):
        record = json.loads(lines[4])
        record["n"] = 99
        lines[4] = seal_record(record).decode()
        return lines

    rewrite(trail, change)
    problem = first(verify([trail]))
    assert problem.kind == "modified"
    assert problem.line == 6
    assert "record 4 was changed" in problem.message


def test_deleted(trail):
    rewrite(trail, lambda lines: lines[:3] + lines[4:])
    problem = first(verify([trail]))
    assert (problem.kind, problem.line) == ("deleted", 4)
    assert "3 are missing" in problem.message


def test_deleted_range(trail):
    rewrite(trail, lambda lines: lines[:3] + lines[6:])
    problem = first(verify([trail]))
    assert problem.kind == "deleted"
    assert "3 to 5" in problem.message


def test_reordered(trail):
    def swap(lines):
        lines[3], lines[4] = lines[4], lines[3]
        return lines

    rewrite(trail, swap)
    problem = first(verify([trail]))
    assert (problem.kind, problem.line) == ("reordered", 4)


def test_inserted_copy(trail):
    rewrite(trail, lambda lines: [*lines[:6], lines[2], *lines[6:]])
    problem = first(verify([trail]))
    assert problem.kind == "inserted"
    assert "claim seq 2" in problem.message


def test_inserted_forgery_that_links_correctly(trail):
    """A forged record with a valid hash and link, claiming the next record's place."""

    def insert(lines):
        before = json.loads(lines[3])
        forged = {"kind": "decision", "conversation_id": "c-1", "n": 666}
        forged |= {"seq": before["seq"] + 1, "prev": before["hash"]}
        return [*lines[:4], seal_record(forged).decode(), *lines[4:]]

    rewrite(trail, insert)
    problem = first(verify([trail]))
    assert problem.kind == "inserted"
    assert problem.line == 5


def test_corrupt_line_in_the_middle(trail):
    rewrite(trail, lambda lines: [*lines[:3], "not json\n", *lines[3:]])
    problem = first(verify([trail]))
    assert (problem.kind, problem.line) == ("corrupt", 4)


def test_torn_last_line(trail):
    with trail.open("a") as file:
        file.write('{"kind": "decision", "se')
    report = verify([trail])
    problem = first(report)
    assert (problem.kind, problem.line) == ("torn", 10)
    assert report.records == 9
    assert "9 records before it verify" in problem.message


def test_truncation_is_caught_with_a_published_head(trail):
    head = verify([trail]).last
    assert head is not None
    rewrite(trail, lambda lines: lines[:-2])
    assert verify([trail]).ok  # without the head, a cut tail looks like a shorter trail
    problem = first(verify([trail], head=head))
    assert problem.kind == "truncated"
    assert "record 8" in problem.message


def test_head_still_present_after_growth(tmp_path, bodies):
    path = tmp_path / "audit.jsonl"
    with JsonlSink(path) as sink:
        sink.append(bodies(2))
        head = sink.head
        sink.append(bodies(2, start=2))
    assert verify([path], head=head).ok
    forged = ChainHead(head.chain, head.seq, "0" * 64)
    assert first(verify([path], head=forged)).kind == "modified"


def test_not_a_trail(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"hello": 1}\n')
    assert first(verify([path])).kind == "unreadable"


def test_unknown_format(tmp_path, trail):
    rewrite(trail, lambda lines: [lines[0].replace("escalate-audit/1", "other/9"), *lines[1:]])
    assert first(verify([trail])).kind == "unreadable"


class TestSqliteTampering:
    @pytest.fixture
    def db(self, tmp_path, bodies):
        path = tmp_path / "audit.db"
        with SqliteSink(path) as sink:
            sink.append(bodies(6))
        return path

    def run(self, db, sql, *args):
        connection = sqlite3.connect(db)
        connection.execute(sql, args)
        connection.commit()
        connection.close()

    def text(self, db, seq):
        connection = sqlite3.connect(db)
        (text,) = connection.execute(
            "SELECT record FROM audit_records WHERE seq = ?", (seq,)
        ).fetchone()
        connection.close()
        return text

    def record(self, db, seq):
        return json.loads(self.text(db, seq))

    def test_updated_row(self, db):
        record = self.record(db, 3)
        record["n"] = 42
        self.run(db, "UPDATE audit_records SET record = ? WHERE seq = 3", json.dumps(record))
        problem = first(verify([db]))
        assert (problem.kind, problem.seq) == ("modified", 3)

    def test_deleted_row(self, db):
        self.run(db, "DELETE FROM audit_records WHERE seq = 2")
        assert first(verify([db])).kind == "deleted"

    def test_swapped_rows(self, db):
        two, three = self.text(db, 2), self.text(db, 3)
        self.run(db, "UPDATE audit_records SET record = ? WHERE seq = 2", three)
        self.run(db, "UPDATE audit_records SET record = ? WHERE seq = 3", two)
        assert first(verify([db])).kind == "reordered"


# ``bodies`` is a pure factory: sharing it between examples is safe.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_edit_to_a_record_is_detected(tmp_path_factory, bodies, data):
    """Property: changing any one character of any record's line is always reported."""
    path = tmp_path_factory.mktemp("prop") / "audit.jsonl"
    with JsonlSink(path) as sink:
        sink.append(bodies(4))
    raw = bytearray(path.read_bytes())
    position = data.draw(st.integers(0, len(raw) - 1))
    replacement = data.draw(st.integers(32, 126).filter(lambda b: b != raw[position]))
    if raw[position] == ord("\n"):
        replacement = ord("x")
    raw[position] = replacement
    path.write_bytes(bytes(raw))
    assert not verify([path]).ok
