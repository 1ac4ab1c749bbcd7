from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from escalate.cli import app

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

runner = CliRunner()

ROWS = [
    {
        "id": "1",
        "text": "I want to speak to a human",
        "expect": "escalate",
        "reason": "human_requested",
    },
    {"id": "2", "text": "what are your opening hours?", "expect": "continue", "source": "faq"},
    {"id": "3", "text": "this is the worst service ever, I am furious", "expect": "negative"},
    {"id": "4", "text": "lovely crew, thanks!", "expect": "non_negative"},
]


def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    return path


def test_json_report_carries_every_metric(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(labelled(tmp_path)), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["checks"] == 2
    assert report["passed"] == 2
    assert report["routine_rate"]["rate"] == 0.0
    human = next(r for r in report["reasons"] if r["reason"] == "human_requested")
    assert (human["precision"], human["recall"], human["f1"]) == (1.0, 1.0, 1.0)
    assert report["graded"]["auc"] == 1.0
    assert report["graded"]["baseline_auc"] is not None


def test_table_report_shows_the_headline(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(labelled(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "Per reason" in result.stdout
    assert "human_requested" in result.stdout


def test_gates_pass_and_fail_with_exit_codes(tmp_path: Path) -> None:
    data = str(labelled(tmp_path))
    ok = runner.invoke(app, ["eval", data, "--fail-under", "reason=human_requested:f1=0.95"])
    assert ok.exit_code == 0, ok.output
    failed = runner.invoke(
        app, ["eval", data, "--fail-under", "routine_rate<=0.5", "--fail-under", "auc=1.01"]
    )
    assert failed.exit_code == 1
    assert "failed gates: auc=1.01" in failed.stderr


def test_report_goes_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["eval", str(labelled(tmp_path)), "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["cases"] == 4


def test_labelled_data_on_stdin_is_read_and_named(tmp_path: Path) -> None:
    data = labelled(tmp_path).read_text(encoding="utf-8")
    result = runner.invoke(app, ["eval", "-", "-f", "json"], input=data)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["cases"] == 4
    assert report["inputs"] == ["<stdin>"]
    bad = runner.invoke(app, ["eval", "-"], input='{"id": "1", "text": "hi", "expect": "x"}\n')
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: <stdin>:1: field 'expect'")


def test_scenarios_on_stdin_are_read_as_yaml(tmp_path: Path) -> None:
    scenarios = "cases:\n  - id: s1\n    turns: [[user, I want a human]]\n"
    scenarios += "    expect: {min_action: handoff, by_user_turn: 1}\n"
    result = runner.invoke(app, ["eval", "-", "-f", "json"], input=scenarios)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cases"] == 1


def test_the_old_out_option_still_works_with_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["eval", str(labelled(tmp_path)), "-f", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["cases"] == 4
    assert "warning: --out is deprecated" in result.stderr
    assert f"wrote {out}" in result.stderr


def test_bad_input_and_bad_gates_exit_2_and_say_where(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "hi", "expect": "escalte"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", str(bad)])
    assert result.exit_code == 2
    assert "bad.jsonl:1: field 'expect'" in result.stderr
    missing = runner.invoke(app, ["eval", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
    assert "cannot read" in missing.stderr
    gate = runner.invoke(app, ["eval", str(labelled(tmp_path)), "--fail-under", "f1"])
    assert gate.exit_code == 2
    assert "cannot read gate 'f1'" in gate.stderr


def test_html_report_is_written(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["eval", str(labelled(tmp_path)), "-f", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "human_requested" in page
    assert page.count("<svg") == 2


def test_the_table_needs_no_extra_on_graded_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As without escalate[eval]: importing scikit-learn fails.
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.metrics", None)
    result = runner.invoke(app, ["eval", str(labelled(tmp_path)), "--baseline", "none"])
    assert result.exit_code == 0, result.output
    assert "Per reason" in result.stdout
    assert "note: skipped: ROC AUC and precision-recall curves needs" in result.stdout
    as_json = runner.invoke(
        app, ["eval", str(labelled(tmp_path)), "-f", "json", "--baseline", "none"]
    )
    report = json.loads(as_json.stdout)
    assert report["graded"] is None
    wanted = (
        "skipped: ROC AUC and precision-recall curves needs the optional dependencies of"
        " escalate[eval]: pip install 'escalate[eval]'"
    )
    assert report["notes"] == [wanted]
