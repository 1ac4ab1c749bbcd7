"""``escalate score --jobs N``: the same output as one process, conversations kept whole."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from escalate.cli import app
from escalate.cli._parallel import _split

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()

# Interleaved conversations whose decisions depend on their earlier turns (user turn counts,
# a repeated request, a loop): scored in pieces, they would come out differently.
TRANSCRIPT = [
    {"conversation_id": "a", "role": "user", "text": "where is my order?"},
    {"conversation_id": "b", "role": "user", "text": "my card was declined"},
    {"conversation_id": "a", "role": "bot", "text": "Sorry, I didn't get that."},
    {"conversation_id": "c", "role": "user", "text": "I want to speak to a person"},
    {"conversation_id": "b", "role": "bot", "text": "Please try again later."},
    {"conversation_id": "a", "role": "user", "text": "where is my order??"},
    {"conversation_id": "a", "role": "bot", "text": "Sorry, I didn't get that."},
    {"conversation_id": "b", "role": "user", "text": "this is ridiculous, it keeps failing"},
    {"conversation_id": "a", "role": "user", "text": "WHERE IS MY ORDER"},
    {"conversation_id": "c", "role": "bot", "text": "Connecting you now."},
    {"conversation_id": "b", "role": "user", "text": "third time I'm asking, useless"},
]


def write(path: Path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def score(*arguments: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["score", *arguments])
    return result.exit_code, result.stdout, result.stderr


def test_two_jobs_print_what_one_prints(tmp_path: Path) -> None:
    file = write(tmp_path / "t.jsonl", [json.dumps(row) for row in TRANSCRIPT])
    single = score(file)
    assert single[0] == 0
    assert len(single[1].splitlines()) == 7
    assert score(file, "--jobs", "2") == single
    assert score(file, "--jobs", "3") == single


def test_the_timeline_is_the_same_with_jobs(tmp_path: Path) -> None:
    file = write(tmp_path / "t.jsonl", [json.dumps(row) for row in TRANSCRIPT])
    assert score(file, "-f", "table", "-j", "2") == score(file, "-f", "table")


def test_a_bad_line_stops_both_at_the_same_place(tmp_path: Path) -> None:
    rows = [json.dumps(row) for row in TRANSCRIPT]
    rows[5] = json.dumps({"conversation_id": "a", "role": "robot", "text": "hi"})
    rows.insert(8, "not json")
    file = write(tmp_path / "t.jsonl", rows)
    single = score(file)
    assert single[0] == 2
    assert "field 'role'" in single[2]
    assert score(file, "--jobs", "2") == single


def test_skipped_lines_are_reported_alike(tmp_path: Path) -> None:
    rows = [json.dumps(row) for row in TRANSCRIPT]
    rows[2] = json.dumps({"conversation_id": "a", "role": "bot"})
    rows.insert(4, json.dumps({"role": "user", "text": "no conversation"}))
    file = write(tmp_path / "t.jsonl", rows)
    single = score(file, "--on-error", "skip")
    assert single[0] == 0
    assert "skipped 2 bad line(s)" in single[2]
    assert score(file, "--on-error", "skip", "--jobs", "2") == single


def test_events_and_audit_need_one_process(tmp_path: Path) -> None:
    file = write(tmp_path / "t.jsonl", [json.dumps(row) for row in TRANSCRIPT])
    code, _, stderr = score(file, "--jobs", "2", "--events", str(tmp_path / "events.jsonl"))
    assert code == 2
    assert "leave out --jobs" in stderr


conversation_ids = st.lists(st.sampled_from("abcdefg"), max_size=40)


@given(conversation_ids, st.integers(1, 4))
def test_each_conversation_goes_whole_to_one_worker_in_file_order(
    ids: list[str], jobs: int
) -> None:
    lines = [json.dumps({"conversation_id": c, "role": "user", "text": "x"}) for c in ids]
    parts, early = _split(lines, "t", jobs)
    assert not early
    assert len(parts) <= jobs
    numbers = [number for part in parts for number, _ in part]
    assert sorted(numbers) == list(range(1, len(ids) + 1))
    for part in parts:
        assert [number for number, _ in part] == sorted(number for number, _ in part)
    owners = {ids[number - 1]: index for index, part in enumerate(parts) for number, _ in part}
    for index, part in enumerate(parts):
        assert all(owners[ids[number - 1]] == index for number, _ in part)
