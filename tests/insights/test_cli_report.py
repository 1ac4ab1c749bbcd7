"""``escalate report`` end to end."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from escalate.cli import app
from escalate.insights import InsightsSummary

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def report(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, ["report", *(str(arg) for arg in args)])
    return result.exit_code, result.stdout, result.stderr


def test_json_holds_the_whole_summary_of_a_transcript(
    tmp_path: Path, transcript: Path, summary: InsightsSummary
) -> None:
    out = tmp_path / "summary.json"
    code, stdout, stderr = report(transcript, "-f", "json", "-o", out, "--max-meta-values", 5)
    assert code == 0, stderr
    written = InsightsSummary.model_validate_json(out.read_text(encoding="utf-8"))
    assert written.model_dump(exclude={"sources"}) == summary.model_dump(exclude={"sources"})
    assert written.sources == (str(transcript),)
    assert stdout == ""  # the summary went to the file
    assert "12 conversations, 54 turns, 9 escalated, 7 handed off" in stderr


def test_an_audit_trail_reports_like_its_transcript(tmp_path: Path, transcript: Path) -> None:
    trail = tmp_path / "audit.jsonl"
    code, _, stderr = report_score(transcript, trail)
    assert code == 0, stderr
    from_trail, from_transcript = tmp_path / "a.json", tmp_path / "t.json"
    assert report(trail, "-f", "json", "-o", from_trail)[0] == 0
    assert report(transcript, "-f", "json", "-o", from_transcript)[0] == 0
    a = json.loads(from_trail.read_text(encoding="utf-8"))
    t = json.loads(from_transcript.read_text(encoding="utf-8"))
    assert {k: v for k, v in a.items() if k != "sources"} == {
        k: v for k, v in t.items() if k != "sources"
    }


def report_score(transcript: Path, trail: Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["score", str(transcript), "--audit", str(trail)])
    return result.exit_code, result.stdout, result.stderr


def test_bucket_and_top_options_reach_the_summary(tmp_path: Path, transcript: Path) -> None:
    out = tmp_path / "s.json"
    assert report(transcript, "-f", "json", "-o", out, "--bucket", "week", "--top", 1)[0] == 0
    summary = InsightsSummary.model_validate_json(out.read_text(encoding="utf-8"))
    assert summary.overview.bucket_seconds == 7 * 86_400
    assert len(summary.preceding_escalations) == 1


def test_a_bad_line_fails_with_its_place_or_is_skipped(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"conversation_id": "a", "role": "user", "text": "hi"}\nnot json\n', encoding="utf-8"
    )
    code, _, stderr = report(bad, "-f", "json", "-o", tmp_path / "s.json")
    assert code == 2
    assert "bad.jsonl:2" in stderr
    assert "not valid JSON" in stderr
    code, _, stderr = report(bad, "-f", "json", "-o", tmp_path / "s.json", "--on-error", "skip")
    assert code == 0, stderr
    assert "skipped 1 bad line(s)" in stderr


def test_counts_of_one_are_singular(tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text('{"conversation_id": "a", "role": "user", "text": "hi"}\n', encoding="utf-8")
    code, _, stderr = report(one, "-f", "json", "-o", tmp_path / "s.json")
    assert code == 0, stderr
    assert "1 conversation, 1 turn, 0 escalated, 0 handed off" in stderr


def test_a_missing_input_and_an_unwritable_output_are_clear_errors(tmp_path: Path) -> None:
    code, _, stderr = report(tmp_path / "nowhere.jsonl")
    assert code == 2
    assert "nowhere.jsonl" in stderr
    transcript = tmp_path / "t.jsonl"
    transcript.write_text('{"conversation_id": "a", "role": "user", "text": "hi"}\n')
    code, _, stderr = report(transcript, "-f", "json", "-o", tmp_path)  # a directory
    assert code == 2
    assert f"cannot write {tmp_path}: Is a directory" in stderr


def test_a_broken_audit_trail_names_the_bad_record(tmp_path: Path, transcript: Path) -> None:
    trail = tmp_path / "audit.jsonl"
    assert report_score(transcript, trail)[0] == 0
    lines = trail.read_bytes().splitlines(keepends=True)
    lines[3] = b"garbage\n"
    trail.write_bytes(b"".join(lines))
    code, _, stderr = report(trail, "-f", "json", "-o", tmp_path / "s.json")
    assert code == 2
    assert f"{trail}:4: not an audit record" in stderr


def test_stdin_is_read_as_a_file_and_named_as_stdin(transcript: Path) -> None:
    result = runner.invoke(
        app, ["report", "-", "-f", "json"], input=transcript.read_text(encoding="utf-8")
    )
    assert result.exit_code == 0, result.stderr
    summary = InsightsSummary.model_validate_json(result.stdout)
    assert summary.sources == ("<stdin>",)
    assert summary.overview.conversations == 12


def test_a_bad_line_on_stdin_is_named_as_stdin() -> None:
    result = runner.invoke(app, ["report", "-"], input='{"conversation_id": "a"}\nnot json\n')
    assert result.exit_code == 2
    assert result.stderr.startswith("error: <stdin>:1:")
    assert "escalate-" not in result.stderr  # not the temporary copy's path


def test_markdown_is_the_default_and_html_can_go_to_stdout(transcript: Path) -> None:
    code, stdout, _ = report(transcript)
    assert code == 0
    assert stdout.startswith("# Escalation insights")
    code, stdout, _ = report(transcript, "--format", "html", "-o", "-")
    assert code == 0
    assert stdout.lstrip().lower().startswith("<!doctype html>")


def test_a_bad_format_names_the_choices(transcript: Path) -> None:
    code, _, stderr = report(transcript, "--format", "pdf")
    assert code == 2
    assert "'pdf' is not one of 'markdown', 'html', 'json'" in stderr


def test_the_old_output_options_still_work_with_a_warning(tmp_path: Path, transcript: Path) -> None:
    page, data = tmp_path / "r.html", tmp_path / "s.json"
    code, stdout, stderr = report(transcript, "--html", page, "--json", data)
    assert code == 0, stderr
    assert stdout == ""  # as before: no Markdown unless asked for
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")
    InsightsSummary.model_validate_json(data.read_text(encoding="utf-8"))
    assert "warning: --html FILE is deprecated" in stderr
    assert "use --format json --output FILE" in stderr
    code, stdout, stderr = report(transcript, "--markdown")
    assert stdout.startswith("# Escalation insights")
    assert "warning: --markdown is deprecated" in stderr
