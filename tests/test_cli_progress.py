"""Progress bars: on a terminal's standard error only; pipes and files get the result alone."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink, replay
from escalate.cli._progress import progress_bar
from escalate.evaluation import (
    ExpectedAction,
    LabelledCase,
    LabelledCheck,
    Scope,
    record_readings,
    run_evaluation,
)
from escalate.models import Role, Turn
from escalate.testing import quiet_logger
from escalate.transcript import open_transcript, read_transcript

if TYPE_CHECKING:
    from pathlib import Path


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_a_pipe_gets_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar("scoring cases", 10) as advance:
        advance(10)
    assert "scoring cases" in terminal.getvalue()
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with progress_bar("scoring cases", 10) as advance:
        advance(10)
    assert pipe.getvalue() == ""


def test_small_inputs_get_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar("reading", 10, minimum=100) as advance:
        advance(10)
    assert terminal.getvalue() == ""


def _cases(count: int) -> list[LabelledCase]:
    return [
        LabelledCase(
            f"c{n}",
            (Turn(role=Role.USER, text=f"question {n}"),),
            (LabelledCheck(ExpectedAction.CONTINUE, Scope.AT, 1),),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_scored_case_is_counted_once(jobs: int) -> None:
    told: list[int] = []
    cases = _cases(600)  # more than two chunks of 250: two processes really split them
    report = run_evaluation(
        Escalator(logger=quiet_logger()), cases, jobs=jobs, on_scored=told.append
    )
    assert sum(told) == len(cases) == report.cases
    assert len(told) > 1  # it advances during the run, not once at the end


def test_every_byte_of_a_transcript_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    rows = [{"conversation_id": "a", "role": "user", "text": f"héllo {n}"} for n in range(2000)]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    read: list[int] = []
    with open_transcript(path, read.append) as file:
        lines = list(read_transcript(file, str(path)))
    assert len(lines) == 2000
    assert sum(read) == path.stat().st_size


def _on_a_terminal(command: list[str]) -> tuple[int, bytes]:
    """Run ``command`` with its stderr on a pseudo-terminal; its exit code and what it showed."""
    leader, follower = pty.openpty()
    try:
        run = subprocess.run(
            [sys.executable, "-m", "escalate", *command],
            stderr=follower, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            timeout=300, check=False, env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
        )  # fmt: skip
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    return run.returncode, shown


@pytest.mark.slow
def test_eval_on_a_terminal_shows_progress_on_stderr_only(tmp_path: Path) -> None:
    data = tmp_path / "labelled.jsonl"
    rows = [
        {"id": str(n), "text": f"what time do you open {n}", "expect": "continue"}
        for n in range(600)
    ]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "report.json"
    code, shown = _on_a_terminal(
        ["eval", str(data), "-f", "json", "-o", str(out), "-j", "1", "--baseline", "none"]
    )
    assert code == 0, shown.decode(errors="replace")
    assert b"scoring cases" in shown
    assert json.loads(out.read_text())["cases"] == 600
    assert "\x1b" not in out.read_text()  # the result has no escape codes


@pytest.mark.slow
def test_score_on_a_terminal_shows_progress_for_a_large_file(tmp_path: Path) -> None:
    data = tmp_path / "t.jsonl"
    text = "my parcel never arrived " * 170  # about 4 KB a turn: 1.2 MB in 300 turns
    rows = [{"conversation_id": f"c{n}", "role": "user", "text": text} for n in range(300)]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert data.stat().st_size > 1_000_000
    out = tmp_path / "decisions.jsonl"
    code, shown = _on_a_terminal(["score", str(data), "-o", str(out)])
    assert code == 0, shown.decode(errors="replace")
    assert b"scoring" in shown
    assert len(out.read_text().splitlines()) == 300
    assert "\x1b" not in out.read_text()


def test_recording_readings_counts_every_case_once() -> None:
    told: list[int] = []
    cases = _cases(30)
    recorded = record_readings(Escalator(logger=quiet_logger()), cases, on_recorded=told.append)
    assert sum(told) == len(recorded) == len(cases)
    assert len(told) > 1  # it advances during the run, not once at the end


@pytest.mark.slow
def test_tune_on_a_terminal_shows_progress_on_stderr_only(tmp_path: Path) -> None:
    data = tmp_path / "labelled.jsonl"
    rows = [
        {"id": str(n), "text": f"what time do you open {n}", "expect": "continue"}
        for n in range(600)
    ]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "tuned.yaml"
    code, shown = _on_a_terminal(
        ["tune", str(data), "-t", "routine_rate<=0.5", "-o", str(out), "-j", "1"]
    )
    assert code == 0, shown.decode(errors="replace")
    assert b"recording readings" in shown
    assert b"checking the suggestion" in shown
    assert "extends:" in out.read_text()
    assert "\x1b" not in out.read_text()  # the result has no escape codes


def test_replay_tells_how_many_conversations_are_done(tmp_path: Path) -> None:
    trail = tmp_path / "trail.jsonl"
    esc = Escalator(audit=AuditTrail(JsonlSink(trail)), logger=quiet_logger())
    for n in range(3):
        esc.evaluate(f"c{n}", {"role": "user", "text": "where is my parcel?"})
    esc.audit.close()  # type: ignore[union-attr]
    told: list[tuple[int, int]] = []
    replay([trail], None, on_replayed=lambda done, total: told.append((done, total)))
    assert told == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.slow
def test_replay_on_a_terminal_shows_progress_on_stderr_only(tmp_path: Path) -> None:
    trail = tmp_path / "trail.jsonl"
    esc = Escalator(audit=AuditTrail(JsonlSink(trail)), logger=quiet_logger())
    for n in range(600):
        esc.evaluate(f"c{n}", {"role": "user", "text": f"what time do you open {n}"})
    esc.audit.close()  # type: ignore[union-attr]
    policy = tmp_path / "stricter.yaml"
    policy.write_text("extends: default\nsignals:\n  stress:\n    offer: 0.3\n    release: 0.25\n")
    code, shown = _on_a_terminal(["replay", str(trail), "--policy", str(policy)])
    assert code == 0, shown.decode(errors="replace")
    assert b"replaying conversations" in shown
