"""``escalate score`` on input nobody should send: exit 2 naming the line, never a traceback.

Also what reaches the reader's terminal: conversation ids and turns are shown without their
control characters, lone surrogates and beyond a few hundred characters.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from escalate.cli import app
from escalate.cli._terminal import printable

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
LINE = '{"conversation_id": "a", "role": "user", "text": "I want a person"}\n'


def score(tmp_path: Path, data: bytes, *args: str) -> tuple[int, str, str]:
    """Run the installed command on a file holding ``data`` (real stdout encoding and all)."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(data)
    run = subprocess.run(
        [sys.executable, "-m", "escalate", "score", str(path), *args],
        capture_output=True,
        timeout=120,
        check=False,
        env={"PYTHONIOENCODING": "utf-8", "NO_COLOR": "1", "COLUMNS": "120", "PATH": ""},
    )
    return run.returncode, run.stdout.decode(), run.stderr.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\xff\xfe garbage\n", "t.jsonl:1: not UTF-8: byte 0xff at column 3"),
        (
            LINE.encode()
            + '{"conversation_id": "a", "role": "user", "text": "café"}\n'.encode("latin-1"),
            "t.jsonl:2: not UTF-8: byte 0xe9 at column 54",
        ),
        (b"[" * 100_000 + b"]" * 100_000 + b"\n", "t.jsonl:1: not valid JSON: nested too deeply"),
        (
            b'{"conversation_id": "a", "role": "user", "text": "x", "n": ' + b"9" * 5000 + b"}",
            "t.jsonl:1: not valid JSON: a number longer than 4300 digits",
        ),
    ],
    ids=["binary", "latin-1", "deep", "huge-number"],
)
def test_bad_bytes_exit_2_naming_the_line(tmp_path: Path, data: bytes, message: str) -> None:
    code, _, stderr = score(tmp_path, data)
    assert code == 2, stderr
    assert stderr.strip() == f"error: {tmp_path / message}"


def test_a_bad_line_can_be_skipped(tmp_path: Path) -> None:
    code, stdout, stderr = score(
        tmp_path, LINE.encode() + b"\xff\n" + LINE.encode(), "--on-error", "skip"
    )
    assert code == 0, stderr
    assert len(stdout.splitlines()) == 2
    assert "t.jsonl:2: not UTF-8: byte 0xff at column 1" in stderr


def test_stdin_with_bad_bytes_is_a_clear_error() -> None:
    result = runner.invoke(app, ["score", "-"], input=LINE.encode() + b"\xc3(\n")
    assert result.exit_code == 2
    assert result.stderr == "error: <stdin>:2: not UTF-8: byte 0xc3 at column 1\n"


@pytest.mark.parametrize("output_format", ["table", "jsonl"])
def test_a_lone_surrogate_prints_in_both_formats(tmp_path: Path, output_format: str) -> None:
    line = '{"conversation_id": "a\\udc00", "role": "user", "text": "I want a person \\ud800"}\n'
    code, stdout, stderr = score(tmp_path, line.encode(), "-f", output_format)
    assert code == 0, stderr
    if output_format == "jsonl":
        assert json.loads(stdout)["conversation_id"] == "a\udc00"  # escaped, as it came in
        assert json.loads(stdout)["action"] == "handoff"
    else:
        assert "I want a person \ufffd" in stdout
        assert "handoff" in stdout


def test_control_characters_in_ids_and_texts_are_not_sent_to_the_terminal(
    tmp_path: Path,
) -> None:
    line = {"conversation_id": "evil\x1b[2J\x1b[31m", "role": "user", "text": "hi\x07\x9b31m"}
    code, stdout, stderr = score(tmp_path, json.dumps(line).encode(), "-f", "table")
    assert code == 0, stderr
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", stdout)
    assert "evil\\x1b[2J\\x1b[31m" in stdout
    assert "hi\\x07\\x9b31m" in stdout


def test_the_table_cuts_long_texts(tmp_path: Path) -> None:
    text = "word " * 200_000
    line = json.dumps({"conversation_id": "a", "role": "user", "text": text})
    code, stdout, stderr = score(tmp_path, line.encode(), "-f", "table")
    assert code == 0, stderr
    assert len(stdout) < 20_000
    # The cell wraps at spaces: the count stays one word.
    assert f"(+{len(text) - 400:,}" in stdout
    assert "characters)" in stdout


class TestPrintable:
    def test_printable_text_is_kept(self) -> None:
        assert printable("Ünïcödé, tabs\tand\nnewlines 😡") == "Ünïcödé, tabs\tand\nnewlines 😡"

    def test_controls_and_surrogates_are_made_visible(self) -> None:
        assert printable("a\x1b[31m\x00\x7f\x85\ud800b") == "a\\x1b[31m\\x00\\x7f\\x85\ufffdb"

    def test_long_text_is_cut_saying_how_much(self) -> None:
        assert printable("abcdefgh", 3) == "abc… (+5 characters)"
        assert printable("abc", 3) == "abc"


def test_audit_show_prints_an_evil_id_and_text_safely(tmp_path: Path) -> None:
    evil = "c\x1b]0;pwned\x07\x1b[31m"
    transcript = tmp_path / "t.jsonl"
    line = {"conversation_id": evil, "role": "user", "text": "I want a person\x1b[2J"}
    transcript.write_text(json.dumps(line) + "\n", encoding="utf-8")
    trail = tmp_path / "audit.jsonl"
    assert runner.invoke(app, ["score", str(transcript), "--audit", str(trail)]).exit_code == 0
    shown = runner.invoke(app, ["audit", "show", str(trail), "--conversation", evil])
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.stdout
    assert "c\\x1b]0;pwned\\x07\\x1b[31m" in shown.stdout
    assert "person\\x1b[2J" in re.sub(r"[\s│]", "", shown.stdout)  # the cell wraps
