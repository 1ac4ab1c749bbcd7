"""The example policies in examples/policies load cleanly, and every case in their files passes.

The case files are the policies' specification: a support lead who copies a policy changes a
threshold and runs the cases. The last tests show the cases guard the policies, by changing one
threshold in each and watching a case break.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from escalate import Escalator, load_policy
from escalate.models import Action, Outcome
from escalate.policy_tests import load_case_file, run_case
from escalate.signals import evidence_kinds
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from escalate.policy import Policy
    from escalate.policy_tests import Expectation, LoadedFile

FOLDER = Path(__file__).parents[1] / "examples" / "policies"
NAMES = ("bank", "shop", "telecom")


def _policy(source: Path | dict[str, Any]) -> Policy:
    return load_policy(source, evidence_kinds=evidence_kinds())


def _case_file(name: str) -> LoadedFile:
    return load_case_file(FOLDER / f"{name}.escalate.yaml")


def _failed_cases(policy: Policy, loaded: LoadedFile) -> dict[str, str]:
    """Case name -> failure report, for every case that does not pass under ``policy``."""
    escalator = Escalator(policy, logger=quiet_logger())
    results = [run_case(escalator, case) for case in loaded.cases]
    return {result.name: result.report() for result in results if not result.passed}


def _expectations(loaded: LoadedFile) -> list[Expectation]:
    return [
        step.expect for case in loaded.cases for step in case.case.turns if step.expect is not None
    ]


@pytest.mark.parametrize("name", NAMES)
def test_the_policy_loads_with_every_name_checked(name: str) -> None:
    policy = _policy(FOLDER / f"{name}.yaml")
    assert policy.name == name
    assert policy.rules
    assert policy.routes
    assert policy.hours


@pytest.mark.parametrize("name", NAMES)
def test_the_case_file_names_the_policy_it_tests(name: str) -> None:
    loaded = _case_file(name)
    assert loaded.policy is not None
    assert loaded.policy.resolve() == (FOLDER / f"{name}.yaml").resolve()


@pytest.mark.parametrize("name", NAMES)
def test_every_case_passes(name: str) -> None:
    loaded = _case_file(name)
    assert loaded.policy is not None
    failed = _failed_cases(_policy(loaded.policy), loaded)
    assert not failed, "\n\n".join(failed.values())  # each report: turn, expected, got, trace


@pytest.mark.parametrize("name", NAMES)
def test_the_cases_cover_both_sides(name: str) -> None:
    loaded = _case_file(name)
    assert len(loaded.cases) >= 8
    actions = {expect.action for expect in _expectations(loaded)}
    assert Action.CONTINUE in actions
    assert Action.HANDOFF in actions


@pytest.mark.parametrize("name", NAMES)
def test_the_cases_cover_declines_hours_and_meta(name: str) -> None:
    loaded = _case_file(name)
    steps = [step for case in loaded.cases for step in case.case.turns]
    assert any(step.outcome is Outcome.OFFER_DECLINED for step in steps)
    assert any(step.ts is not None and step.ts.utcoffset() is not None for step in steps)
    assert any(
        case.case.meta or any(step.meta for step in case.case.turns) for case in loaded.cases
    )
    expects = _expectations(loaded)
    assert any(expect.route is not None for expect in expects)
    assert any(expect.rule is not None for expect in expects)
    assert any(expect.not_reason is not None for expect in expects)


@pytest.mark.parametrize(
    ("name", "rule_id", "at_least", "breaks"),
    [
        (
            "bank",
            "security-dead-end",
            0.99,
            "a code that never arrives goes to the security team in office hours",
        ),
        ("shop", "fallbacks", 4, "three fallbacks within eight turns hand off to the care team"),
        (
            "telecom",
            "voice-stress",
            0.99,
            "a frustrated voice caller about the outage gets a person at once",
        ),
    ],
)
def test_changing_one_threshold_breaks_a_case(
    name: str, rule_id: str, at_least: float, breaks: str
) -> None:
    data = yaml.safe_load((FOLDER / f"{name}.yaml").read_text(encoding="utf-8"))
    loaded = _case_file(name)
    assert _failed_cases(_policy(data), loaded) == {}  # the policy read as data passes as is

    [rule] = [rule for rule in data["rules"] if rule["id"] == rule_id]
    condition = rule["when"]
    if "all" in condition:  # the threshold sits in the rule's signal condition
        [condition] = [part for part in condition["all"] if "signal" in part]
    condition["at_least"] = at_least

    failed = _failed_cases(_policy(data), loaded)
    assert breaks in failed
    assert "expected" in failed[breaks]


@pytest.mark.parametrize("name", NAMES)
def test_the_documented_commands_pass(name: str, tmp_path: Path) -> None:
    """What examples/policies/README.md tells a support lead to run."""
    from typer.testing import CliRunner

    from escalate.cli import app

    runner = CliRunner()
    validated = runner.invoke(app, ["policy", "validate", str(FOLDER / f"{name}.yaml")])
    assert validated.exit_code == 0, validated.output
    junit = tmp_path / "junit.xml"
    tested = runner.invoke(
        app,
        [
            "test",
            str(FOLDER / f"{name}.yaml"),
            str(FOLDER / f"{name}.escalate.yaml"),
            "--junit-xml",
            str(junit),
        ],
    )
    assert tested.exit_code == 0, tested.output
    assert 'failures="0"' in junit.read_text()
