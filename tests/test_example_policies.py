"""The example policies load cleanly and every case in their case files passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from escalate import Escalator, load_policy
from escalate.cli import app
from escalate.models import Action
from escalate.policy_tests import load_case_file, run_case
from escalate.signals import evidence_kinds
from escalate.testing import quiet_logger

FOLDER = Path(__file__).parents[1] / "examples" / "policies"
NAMES = ["bank", "shop", "telecom"]


def _actions(expect: Any) -> set[Action]:
    action = getattr(expect, "action", None)
    return {action} if isinstance(action, Action) else set()


@pytest.mark.parametrize("name", NAMES)
def test_the_policy_is_valid_with_every_name_checked(name: str) -> None:
    policy = load_policy(FOLDER / f"{name}.yaml", evidence_kinds=evidence_kinds())
    assert policy.name == name
    assert policy.rules


@pytest.mark.parametrize("name", NAMES)
def test_every_case_passes(name: str) -> None:
    loaded = load_case_file(FOLDER / f"{name}.escalate.yaml")
    assert loaded.policy == FOLDER / f"{name}.yaml"
    esc = Escalator(loaded.policy, logger=quiet_logger())
    for case in loaded.cases:
        result = run_case(esc, case)
        assert result.passed, result.report()


@pytest.mark.parametrize("name", NAMES)
def test_the_cases_cover_both_sides(name: str) -> None:
    loaded = load_case_file(FOLDER / f"{name}.escalate.yaml")
    assert len(loaded.cases) >= 8
    expected = {
        action
        for case in loaded.cases
        for step in case.case.turns
        for action in _actions(step.expect)
    }
    assert {Action.CONTINUE, Action.HANDOFF} <= expected


def test_a_changed_threshold_breaks_a_case(tmp_path: Path) -> None:
    data = yaml.safe_load((FOLDER / "bank.yaml").read_text())
    for rule in data["rules"]:
        if rule["id"] == "security-dead-end":
            rule["when"]["at_least"] = 0.99
    data["signals"]["security_dead_end"] = {"offer": 0.99, "handoff": 0.99}
    loaded = load_case_file(FOLDER / "bank.escalate.yaml")
    esc = Escalator(data, logger=quiet_logger())
    failed = [case.case.name for case in loaded.cases if not run_case(esc, case).passed]
    assert "a code that never arrives goes to the security team in office hours" in failed


def test_the_cli_runs_all_three(tmp_path: Path) -> None:
    for name in NAMES:
        result = CliRunner().invoke(
            app,
            [
                "test",
                str(FOLDER / f"{name}.yaml"),
                str(FOLDER / f"{name}.escalate.yaml"),
                "--junit-xml",
                str(tmp_path / f"{name}.xml"),
            ],
        )
        assert result.exit_code == 0, result.output
        assert (tmp_path / f"{name}.xml").exists()
