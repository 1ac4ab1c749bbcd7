from __future__ import annotations

import json
from typing import TYPE_CHECKING

import yaml
from typer.testing import CliRunner

from escalate import Action, Escalator, ReasonCode, Turn, load_policy
from escalate.cli import app
from escalate.evaluation import (
    ExpectedAction,
    LabelledCase,
    LabelledCheck,
    Scope,
    parse_gate,
    record_readings,
    report_for,
    tune,
)
from escalate.models import Role

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
MILD = "I'm getting a bit frustrated with this"


def utterance(text: str, expect: ExpectedAction, reason: ReasonCode | None = None) -> LabelledCase:
    return LabelledCase(
        text,
        (Turn(role=Role.USER, text=text),),
        (LabelledCheck(expect, Scope.AT, 1, reason),),
        text=text,
    )


CASES = [
    utterance(MILD, ExpectedAction.ESCALATE, ReasonCode.EMOTIONAL_STRESS),
    utterance("what time do you open?", ExpectedAction.CONTINUE),
    utterance("thanks, that's all", ExpectedAction.CONTINUE),
]


def test_replaying_recorded_readings_matches_a_real_run(esc: Escalator) -> None:
    recorded = record_readings(esc, CASES)
    replayed = report_for(esc.policy, recorded)
    assert (replayed.passed, replayed.checks) == (2, 3)
    assert replayed.missed_escalations[0].text == MILD


def test_the_stress_threshold_moves_down_just_enough(esc: Escalator) -> None:
    level = esc.evaluate("probe", Turn(role="user", text=MILD)).signals["stress"]
    tuning = tune(esc.policy, record_readings(esc, CASES), [parse_gate("routine_rate<=0")])
    assert set(tuning.overrides) == {"stress"}
    chosen = tuning.overrides["stress"]["offer"]
    # the highest grid value that still catches the mild complaint
    assert chosen <= level < chosen + 0.05
    assert tuning.overrides["stress"]["release"] == round(chosen - 0.1, 2)
    decision = Escalator(tuning.suggested).evaluate("x", Turn(role="user", text=MILD))
    assert decision.action is Action.OFFER_HUMAN


def test_a_target_nothing_can_meet_changes_nothing(esc: Escalator) -> None:
    tuning = tune(esc.policy, record_readings(esc, CASES), [parse_gate("pass_rate=1.01")])
    assert tuning.overrides == {}
    assert tuning.suggested == esc.policy


def test_cli_writes_a_policy_that_extends_the_current_one(tmp_path: Path) -> None:
    data = tmp_path / "labelled.jsonl"
    rows = [
        {"id": "1", "text": MILD, "expect": "escalate", "reason": "emotional_stress"},
        {"id": "2", "text": "what time do you open?", "expect": "continue"},
    ]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "tuned.yaml"
    result = runner.invoke(
        app, ["tune", str(data), "--target", "routine_rate<=0", "-o", str(out), "-j", "1"]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# escalate tune:")
    body = yaml.safe_load(text)
    assert body["extends"] == "default"
    assert set(body["signals"]) == {"stress"}
    tuned = load_policy(out)
    assert tuned.name == "default-tuned"
    assert tuned.signals["stress"].offer == body["signals"]["stress"]["offer"]


def test_cli_rejects_targets_tuning_cannot_move(tmp_path: Path) -> None:
    data = tmp_path / "labelled.jsonl"
    data.write_text('{"id": "1", "text": "hi", "expect": "continue"}\n', encoding="utf-8")
    result = runner.invoke(app, ["tune", str(data), "--target", "auc=0.9"])
    assert result.exit_code == 2
    assert "tune cannot move them" in result.stderr
