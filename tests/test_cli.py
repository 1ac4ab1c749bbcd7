from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalate.cli import app

runner = CliRunner()

TRANSCRIPT = [
    {"conversation_id": "a", "role": "user", "text": "where is my order?"},
    {"conversation_id": "b", "role": "user", "text": "I want to speak to a person"},
    {"conversation_id": "a", "role": "bot", "text": "It arrives on Thursday."},
    {"conversation_id": "a", "role": "user", "text": "great, thanks", "source": "test"},
]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_score_prints_one_line_per_user_turn(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(write_jsonl(tmp_path / "t.jsonl", TRANSCRIPT))])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["conversation_id"], r["turn_index"], r["user_turn"]) for r in rows] == [
        ("a", 0, 1),
        ("b", 0, 1),
        ("a", 2, 2),
    ]
    assert set(rows[0]) == {
        "conversation_id",
        "turn_index",
        "user_turn",
        "action",
        "reasons",
        "route",
        "message",
        "signals",
    }
    assert rows[1]["action"] == "handoff"
    assert rows[1]["message"] == "I'm connecting you with a colleague now."
    assert rows[1]["reasons"][0]["rule"] == "signals.human_request"
    assert rows[1]["reasons"][0]["code"] == "human_requested"
    assert rows[1]["reasons"][0]["evidence"][0]["text"] == "speak to a person"
    assert 0.0 <= rows[0]["signals"]["stress"] <= 1.0


def test_score_reads_standard_input() -> None:
    text = "".join(json.dumps(row) + "\n" for row in TRANSCRIPT)
    result = runner.invoke(app, ["score", "-"], input=text)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize("output_format", ["jsonl", "table"])
def test_score_writes_to_the_output_file_as_to_stdout(tmp_path: Path, output_format: str) -> None:
    transcript = str(write_jsonl(tmp_path / "t.jsonl", TRANSCRIPT))
    out = tmp_path / "out.txt"
    to_file = runner.invoke(app, ["score", transcript, "-f", output_format, "-o", str(out)])
    assert to_file.exit_code == 0, to_file.output
    assert to_file.stdout == ""
    assert f"wrote {out}" in to_file.stderr
    to_stdout = runner.invoke(app, ["score", transcript, "-f", output_format, "-o", "-"])
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    assert "wrote" not in to_stdout.stderr


def test_score_says_when_the_output_cannot_be_written(tmp_path: Path) -> None:
    transcript = str(write_jsonl(tmp_path / "t.jsonl", TRANSCRIPT))
    result = runner.invoke(app, ["score", transcript, "-o", str(tmp_path / "no" / "out.jsonl")])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
    assert "No such file or directory" in result.stderr


def test_score_table_renders_a_timeline(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["score", str(write_jsonl(tmp_path / "t.jsonl", TRANSCRIPT)), "--format", "table"]
    )
    assert result.exit_code == 0
    assert "handoff" in result.stdout
    assert "human_requested" in result.stdout
    assert "It arrives on Thursday." in result.stdout


def test_a_bad_line_stops_with_its_number_and_field(tmp_path: Path) -> None:
    rows = [TRANSCRIPT[0], {"conversation_id": "a", "role": "customer", "text": "hi"}]
    result = runner.invoke(app, ["score", str(write_jsonl(tmp_path / "t.jsonl", rows))])
    assert result.exit_code == 2
    assert (
        "t.jsonl:2: field 'role': expected one of user, bot, agent, system, got 'customer'"
        in result.stderr
    )


def test_on_error_skip_reports_and_goes_on(tmp_path: Path) -> None:
    rows = [
        TRANSCRIPT[0],
        {"conversation_id": "a", "role": "customer", "text": "hi"},
        TRANSCRIPT[1],
    ]
    result = runner.invoke(
        app, ["score", str(write_jsonl(tmp_path / "t.jsonl", rows)), "--on-error", "skip"]
    )
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2
    assert "skipped" in result.stderr
    assert ":2: field 'role'" in result.stderr
    assert "skipped 1 bad line(s)" in result.stderr


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_a_policy_file_is_used(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "name: mine\nversion: '7'\nsignals:\n"
        "  human_request: {reason: human_requested, offer: 0.5}\n"
    )
    transcript = write_jsonl(tmp_path / "t.jsonl", [TRANSCRIPT[1]])
    result = runner.invoke(app, ["score", str(transcript), "--policy", str(policy)])
    assert result.exit_code == 0
    # This policy only offers: an explicit request no longer hands off.
    assert json.loads(result.stdout)["action"] == "offer_human"


def test_a_broken_policy_exits_2_with_the_problem(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("name: mine\nversion: '7'\nsignals: {}\nfail_safe: panic\n")
    result = runner.invoke(app, ["score", "-", "--policy", str(policy)], input="")
    assert result.exit_code == 2
    assert "fail_safe" in result.stderr


def test_events_are_written_as_json_lines(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    transcript = write_jsonl(tmp_path / "t.jsonl", TRANSCRIPT)
    result = runner.invoke(app, ["score", str(transcript), "--events", str(events)])
    assert result.exit_code == 0
    logged = [json.loads(line) for line in events.read_text().splitlines()]
    # One event per turn, bot turns included, and nothing on standard output but results.
    assert [entry["event"] for entry in logged] == ["escalate.decision"] * 4
    assert logged[1]["action"] == "handoff"


def test_demo_runs_the_bundled_conversations() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0
    for expected in (
        "handoff",
        "offer_human",
        "human_requested",
        "conversation_loop",
        "security_dead_end",
    ):
        assert expected in result.stdout


def test_demo_ends_with_a_sentence_that_explains_the_columns() -> None:
    result = runner.invoke(app, ["demo"], env={"COLUMNS": "200"})
    assert result.stdout.rstrip().endswith(
        "Each row is one turn: 'action' is what the bot should do next, and 'why' gives the "
        "reasons for it, each with the words that triggered it."
    )


def test_demo_quotes_the_strongest_evidence_first() -> None:
    result = runner.invoke(app, ["demo"], env={"COLUMNS": "200"})
    (row,) = [line for line in result.stdout.splitlines() if "Third missed delivery" in line]
    # A complaint word ("missed", 0.12) comes first in the text; frustration (0.45) is stronger.
    assert "emotional_stress 0." in row
    assert '"NOBODY tells"' in row


def test_demo_as_json_lines() -> None:
    result = runner.invoke(app, ["demo", "--format", "jsonl"])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    actions = {row["conversation_id"]: row["action"] for row in rows}
    assert actions["order-where-is-it"] == "continue"
    assert actions["asks-for-a-person"] == "handoff"


def test_version_flag() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("escalate ")


@pytest.mark.parametrize("entry", [["escalate"], [sys.executable, "-m", "escalate"]])
def test_the_installed_command_works_end_to_end(entry: list[str], tmp_path: Path) -> None:
    transcript = write_jsonl(tmp_path / "t.jsonl", TRANSCRIPT)
    command = entry if entry[0] != "escalate" else [str(Path(sys.executable).with_name("escalate"))]
    done = subprocess.run(
        [*command, "score", str(transcript)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3
    assert done.stderr == ""


def _colours(text: str) -> set[str]:
    """The colour parameters of the ANSI SGR sequences in ``text`` (bold and italic are not)."""
    params = {p for seq in re.findall(r"\x1b\[([0-9;]*)m", text) for p in seq.split(";")}
    return {p for p in params if p.startswith(("3", "4", "9")) and p not in {"3", "4"}}


def _table(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    transcript = write_jsonl(tmp_path / "t.jsonl", TRANSCRIPT)
    return subprocess.run(
        [sys.executable, "-m", "escalate", *args, "score", "-f", "table", str(transcript)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env,
    )


class TestColour:
    def test_a_forced_terminal_gets_colour(self, tmp_path: Path) -> None:
        assert _colours(_table(tmp_path, FORCE_COLOR="1").stdout)

    def test_no_color_is_honoured(self, tmp_path: Path) -> None:
        assert not _colours(_table(tmp_path, FORCE_COLOR="1", NO_COLOR="1").stdout)

    def test_the_no_color_flag(self, tmp_path: Path) -> None:
        assert not _colours(_table(tmp_path, "--no-color", FORCE_COLOR="1").stdout)


@pytest.mark.parametrize("output", ["jsonl", "table"])
def test_a_closed_pipe_ends_quietly_with_success(tmp_path: Path, output: str) -> None:
    lines = [
        {"conversation_id": f"c-{n}", "role": "user", "text": "where is my order?"}
        for n in range(2000)
    ]
    transcript = write_jsonl(tmp_path / "many.jsonl", lines)
    pipeline = (
        f'"{sys.executable}" -m escalate score -f {output} "{transcript}" | head -1 >/dev/null;'
        ' echo "${PIPESTATUS[0]}" >&2'
    )
    done = subprocess.run(
        ["bash", "-c", pipeline],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stderr == "0\n"  # escalate's exit status, and nothing else on stderr
