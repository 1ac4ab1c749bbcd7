"""A writer killed with SIGKILL: the trail verifies up to its last record, and the next writer
continues the chain.

One child process is started (and killed) for the whole module; each test works on a copy of
the file it left, except the one that reopens it in place (and so also shows that the dead
writer's lock does not block the next one).

A SIGKILL lands between two ``write`` calls almost always, so a torn last line is rare; the
tests that need one append half a record to the file, as a kill in the middle of a write would
leave it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink, read_trail, verify
from escalate.audit._jsonl import segment_path  # internal: a rotated segment's name
from escalate.cli import app
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from escalate.audit import VerifyReport

pytestmark = pytest.mark.slow  # a child process that imports escalate: a few seconds

READY_AFTER = 200
"""Turns the child evaluates (and flushes) before it tells the parent it is writing."""

WRITER = textwrap.dedent(
    f"""
    import sys

    from escalate import Escalator
    from escalate.audit import AuditTrail, JsonlSink
    from escalate.testing import quiet_logger

    TEXTS = [
        "where is my order?",
        "I want to speak to a person",
        "this is ridiculous, third time I ask!!!",
        "I lost my phone, my code is 482913 and it fails",
    ]
    trail = AuditTrail(JsonlSink(sys.argv[1]), batch_size=1)
    escalator = Escalator(audit=trail, logger=quiet_logger())
    turn = 0
    while True:
        escalator.evaluate(f"c-{{turn // 4}}", {{"role": "user", "text": TEXTS[turn % 4]}})
        turn += 1
        if turn == {READY_AFTER}:
            trail.flush()  # on disk, not only queued
            print("ready", flush=True)
    """
)


@dataclass(frozen=True)
class Killed:
    """What the killed writer left."""

    path: Path
    """Its file, where it left it (the lock file beside it)."""
    data: bytes
    """The file's bytes right after the kill."""


def wait_for_line(
    process: subprocess.Popen[bytes], expected: bytes, timeout: float, stderr: Path
) -> None:
    """Wait for the child to print ``expected``; fail with its stderr if it does not."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([process.stdout], [], [], left)
        if readable:
            line = process.stdout.readline()
            assert line, f"the writer exited ({process.wait()}): {stderr.read_text()}"
            if line.strip() == expected:
                return
    pytest.fail(f"the writer did not print {expected!r} within {timeout}s: {stderr.read_text()}")


def wait_for_growth(path: Path, size: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while path.stat().st_size <= size:
        assert time.monotonic() < deadline, "the writer stopped writing"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> Killed:
    directory = tmp_path_factory.mktemp("killed")
    path = directory / "audit.jsonl"
    script = directory / "writer.py"
    script.write_text(WRITER)
    stderr = directory / "stderr.txt"
    with stderr.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, str(script), str(path)],
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=directory,
        )
        try:
            wait_for_line(process, b"ready", timeout=60, stderr=stderr)
            # Kill it while it is still writing: after more records than the flushed ones.
            size = path.stat().st_size
            wait_for_growth(path, size, timeout=10)
            time.sleep(0.1)
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(timeout=10) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            assert process.stdout is not None
            process.stdout.close()
    return Killed(path, path.read_bytes())


def copy_of(killed: Killed, directory: Path) -> Path:
    path = directory / "audit.jsonl"
    path.write_bytes(killed.data)
    return path


def complete_lines(data: bytes) -> list[bytes]:
    """The lines that end with a newline (a torn tail left out)."""
    return data.split(b"\n")[:-1]


def half_a_record(data: bytes) -> bytes:
    """The first half of a record line, without its newline: what a kill mid-write leaves."""
    last = complete_lines(data)[-1]
    return last[: len(last) // 2]


def with_torn_tail(path: Path) -> tuple[bytes, int]:
    """Append half a record; the bytes torn off and how many complete lines come before."""
    data = path.read_bytes()
    torn = half_a_record(data)
    if not data.endswith(b"\n"):  # the kill itself tore the line: it grows into one torn tail
        torn = data[data.rfind(b"\n") + 1 :] + torn
    with path.open("ab") as file:
        file.write(half_a_record(data))
    return torn, len(complete_lines(path.read_bytes()))


def append_turns(path: Path, count: int) -> None:
    with AuditTrail(JsonlSink(path), batch_size=1) as trail:
        escalator = Escalator(audit=trail, logger=quiet_logger())
        for turn in range(count):
            escalator.evaluate("after-restart", {"role": "user", "text": f"hello again {turn}"})


def only_problem_is_a_torn_last_line(report: VerifyReport, path: Path, lines: int) -> bool:
    return [(p.kind, p.source, p.line) for p in report.problems] == [("torn", path, lines)]


def test_the_killed_writers_trail_verifies_up_to_its_last_record(
    killed: Killed, tmp_path: Path
) -> None:
    path = copy_of(killed, tmp_path)
    lines = killed.data.count(b"\n")
    report = verify([path])
    if not killed.data.endswith(b"\n"):  # rare: the kill landed inside a write
        assert only_problem_is_a_torn_last_line(report, path, lines + 1), report.problems
    else:
        assert report.ok, report.problems
    # Every complete line verifies: the header, the flushed turns and those written after.
    assert report.records == lines
    assert report.records > 1 + READY_AFTER
    assert report.last is not None
    assert report.last.seq == lines - 1
    assert report.last.hash == json.loads(complete_lines(killed.data)[-1])["hash"]
    decisions = [record for record in read_trail([path]) if record.kind == "decision"]
    assert len(decisions) == lines - 1
    assert b"482913" not in killed.data


def test_a_record_cut_short_by_the_kill_is_reported_as_torn(killed: Killed, tmp_path: Path) -> None:
    path = copy_of(killed, tmp_path)
    torn, lines = with_torn_tail(path)
    report = verify([path])
    assert not report.ok
    assert only_problem_is_a_torn_last_line(report, path, lines + 1), report.problems
    assert f"({len(torn)} bytes without a newline)" in report.problems[0].message
    assert report.records == lines
    assert report.records > 1 + READY_AFTER
    assert report.last is not None
    assert report.last.seq == lines - 1
    assert report.notes == []


def test_the_cli_exits_1_on_a_torn_record(killed: Killed, tmp_path: Path) -> None:
    path = copy_of(killed, tmp_path)
    _, lines = with_torn_tail(path)
    result = CliRunner().invoke(app, ["audit", "verify", str(path)])
    assert result.exit_code == 1, result.output
    assert f"first bad record: {path}:{lines + 1}: torn: " in result.stderr
    assert f"{lines} records verify" in result.stderr


def test_reopening_keeps_the_torn_file_and_continues_the_chain(killed: Killed) -> None:
    # In place: the dead writer's lock file is still there, and must not block this one.
    path = killed.path
    torn, lines = with_torn_tail(path)
    evidence = path.read_bytes()
    last = json.loads(complete_lines(evidence)[-1])

    append_turns(path, 3)

    segment = segment_path(path, 0)
    assert segment.read_bytes() == evidence  # kept exactly as the crash left it
    header, *added = (json.loads(line) for line in path.read_bytes().splitlines())
    assert header["kind"] == "header"
    assert header["segment"] == 1
    assert header["recovered"] == {"file": segment.name, "torn_bytes": len(torn)}
    assert (header["seq"], header["prev"]) == (last["seq"] + 1, last["hash"])
    assert [record["seq"] for record in added] == [last["seq"] + 2 + n for n in range(3)]
    assert [record["conversation_id"] for record in added] == ["after-restart"] * 3

    for files in ([segment, path], [path, segment]):  # segments in any order
        report = verify(files)
        assert report.ok, report.problems
        assert len(report.chains) == 1
        assert report.records == lines + 1 + 3
        assert report.last is not None
        assert report.last.seq == added[-1]["seq"]
        [note] = report.notes
        assert f"{segment}:{lines + 1}: a torn last record ({len(torn)} bytes" in note

    result = CliRunner().invoke(app, ["audit", "verify", str(segment), str(path)])
    assert result.exit_code == 0, result.output
    assert "note: " in result.stdout
    assert "torn" in result.stdout
    assert f"ok: {lines + 4} records in 1 chain(s) verify" in result.stdout


def test_without_the_new_file_the_torn_segment_still_fails(killed: Killed, tmp_path: Path) -> None:
    # The note needs the next file's header: the torn segment alone is not excused.
    path = copy_of(killed, tmp_path)
    _, lines = with_torn_tail(path)
    append_turns(path, 1)
    segment = segment_path(path, 0)
    assert path.exists()
    report = verify([segment])
    assert only_problem_is_a_torn_last_line(report, segment, lines + 1), report.problems


def test_reopening_after_the_kill_alone_continues_the_chain(killed: Killed, tmp_path: Path) -> None:
    path = copy_of(killed, tmp_path)
    lines = killed.data.count(b"\n")
    append_turns(path, 5)
    files = sorted(tmp_path.glob("audit*.jsonl"))
    report = verify(files)
    assert report.ok, report.problems
    assert len(report.chains) == 1
    torn = not killed.data.endswith(b"\n")
    # A torn tail moves to a segment and the new file starts with its own header.
    assert len(files) == (2 if torn else 1)
    assert report.records == lines + 5 + (1 if torn else 0)
    records = list(read_trail(files))
    assert [record.seq for record in records] == list(range(len(records)))
    assert [r.conversation_id for r in records[-5:]] == ["after-restart"] * 5
