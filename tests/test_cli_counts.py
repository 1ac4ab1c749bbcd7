"""What the commands print agrees with its counts: "1 conversation", not "1 conversations"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import escalate.policy
from escalate.cli import app

runner = CliRunner()
DEFAULT_POLICY = Path(escalate.policy.__file__).with_name("default.yaml")

NOUNS = "conversations|turns|cases|checks|records|rows|decisions"
ONE_PLURAL = re.compile(rf"(?<![\d.,/])\b1 ({NOUNS})\b")


def _words(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def one_of_each(tmp_path: Path) -> tuple[Path, Path]:
    transcript = tmp_path / "t.jsonl"
    transcript.write_text(
        json.dumps({"conversation_id": "a", "role": "user", "text": "I want a person"}) + "\n"
    )
    labelled = tmp_path / "l.jsonl"
    labelled.write_text(
        json.dumps({"id": "1", "text": "what time do you open", "expect": "continue"}) + "\n"
    )
    return transcript, labelled


def test_reports_on_one_of_each_say_it_in_the_singular(
    one_of_each: tuple[Path, Path], tmp_path: Path
) -> None:
    transcript, labelled = one_of_each
    shown: list[str] = []
    for args in (
        ["report", str(transcript)],
        ["report", str(transcript), "-f", "html", "-o", str(tmp_path / "r.html")],
        ["eval", str(labelled), "--baseline", "none"],
        ["eval", str(labelled), "-f", "html", "-o", str(tmp_path / "e.html"), "--baseline", "none"],
        ["tune", str(labelled), "-t", "routine_rate<=0.5", "-o", str(tmp_path / "p.yaml")],
        ["policy", "diff", str(DEFAULT_POLICY), str(DEFAULT_POLICY), str(transcript)],
    ):
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        shown.append(result.output)
    shown += [_words((tmp_path / name).read_text()) for name in ("r.html", "e.html")]
    found = [match.group(0) for text in shown for match in ONE_PLURAL.finditer(text)]
    assert not found, found
    text = "\n".join(shown)
    assert "1 conversation" in text
    assert "1 case" in text
    assert "1 check" in text
    assert "0 of 1 decision changes (0 conversations)" in text
