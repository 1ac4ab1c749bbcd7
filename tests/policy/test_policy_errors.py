"""Policy errors point at the file, line and column, name the field and suggest the fix."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from escalate import Escalator, PolicyError, load_policy
from escalate.signals import detector_set, evidence_kinds

if TYPE_CHECKING:
    from pathlib import Path

    from escalate.exceptions import PolicyProblem

SIGNALS = list(detector_set().names)


def problems_of(tmp_path: Path, text: str, name: str = "policy.yaml") -> list[PolicyProblem]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    with pytest.raises(PolicyError) as caught:
        load_policy(path, signals=SIGNALS, evidence_kinds=evidence_kinds())
    return list(caught.value.problems)


def where(problem: PolicyProblem) -> tuple[int | None, int | None]:
    return problem.line, problem.column


RULE_FILE = """
extends: default
name: shop
version: "1"
rules:
  - id: fine
    when: {signal: stress, at_least: 0.7}
    action: handoff
    reason: emotional_stress
  - id: typo
    when:
      all:
        - signal: security_deadend
          at_least: 0.5
    action: handoff
    reason: security_dead_end
"""


class TestLinesAndSuggestions:
    def test_an_unknown_signal_in_a_condition(self, tmp_path: Path) -> None:
        (problem,) = problems_of(tmp_path, RULE_FILE)
        assert problem.path == "rules[1].when.all[0].signal"
        assert where(problem) == (12, 19)
        assert (
            "unknown signal 'security_deadend'; did you mean 'security_dead_end'?"
            in problem.message
        )
        assert str(problem).startswith(
            f"{tmp_path / 'policy.yaml'}:12:19: rules[1].when.all[0].signal:"
        )

    def test_a_misspelt_field_in_a_rule(self, tmp_path: Path) -> None:
        text = RULE_FILE.replace("security_deadend", "stress").replace(
            "    reason: emotional_stress", "    reasn: emotional_stress"
        )
        problems = problems_of(tmp_path, text)
        unknown = next(p for p in problems if p.path == "rules[0].reasn")
        assert unknown.message == "unknown field; did you mean 'reason'?"
        assert where(unknown) == (8, 5)
        missing = next(p for p in problems if p.path == "rules[0].reason")
        assert missing.message == "required field is missing"
        assert missing.line == 5  # the rule itself

    def test_a_misspelt_action_lists_and_suggests(self, tmp_path: Path) -> None:
        text = RULE_FILE.replace("security_deadend", "stress").replace(
            "action: handoff\n    reason: emotional", "action: handof\n    reason: emotional"
        )
        (problem,) = problems_of(tmp_path, text)
        assert problem.path == "rules[0].action"
        assert "did you mean 'handoff'?" in problem.message
        assert where(problem) == (7, 13)

    def test_a_condition_key_typo(self, tmp_path: Path) -> None:
        text = RULE_FILE.replace("- signal: security_deadend", "- signall: stress")
        (problem,) = problems_of(tmp_path, text)
        assert problem.path == "rules[1].when.all[0]"
        assert "a condition needs exactly one of the keys signal, evidence" in problem.message
        assert "did you mean 'signal'?" in problem.message
        assert problem.line == 12

    def test_two_subjects_in_one_condition(self, tmp_path: Path) -> None:
        text = RULE_FILE.replace("at_least: 0.5", "at_least: 0.5\n          meta: tier").replace(
            "security_deadend", "stress"
        )
        (problem,) = problems_of(tmp_path, text)
        assert "exactly one of the keys" in problem.message

    def test_an_unknown_route_and_calendar(self, tmp_path: Path) -> None:
        text = """
        extends: default
        name: bank
        version: "1"
        routes:
          security: {hours: offise}
        hours:
          office: {timezone: Europe/London, weekly: {mon-fri: ["08:00-18:00"]}}
        rules:
          - id: r
            when: {signal: stress, at_least: 0.7}
            action: handoff
            reason: emotional_stress
            route: securty
        """
        problems = {p.path: p for p in problems_of(tmp_path, text)}
        assert (
            "unknown route 'securty'; did you mean 'security'? (defined: security)"
            in problems["rules[0].route"].message
        )
        assert problems["rules[0].route"].line == 13
        assert (
            "unknown calendar 'offise'; did you mean 'office'?"
            in problems["routes.security.hours"].message
        )
        assert problems["routes.security.hours"].line == 5

    def test_duplicate_rule_ids(self, tmp_path: Path) -> None:
        text = RULE_FILE.replace("id: typo", "id: fine").replace("security_deadend", "stress")
        (problem,) = problems_of(tmp_path, text)
        assert problem.path == "rules[1].id"
        assert problem.message == "duplicate rule id 'fine' (also rules[0])"
        assert problem.line == 9

    def test_an_unknown_evidence_kind(self, tmp_path: Path) -> None:
        text = RULE_FILE.replace(
            "- signal: security_deadend\n          at_least: 0.5", "- evidence: bot_fallbak"
        )
        (problem,) = problems_of(tmp_path, text)
        assert (
            "unknown evidence kind 'bot_fallbak'; did you mean 'bot_fallback'?" in problem.message
        )
        assert problem.line == 12

    def test_a_bad_message_placeholder(self, tmp_path: Path) -> None:
        text = RULE_FILE.replace("security_deadend", "stress").replace(
            "    reason: emotional_stress",
            "    reason: emotional_stress\n    message: 'Hello {name}'",
        )
        (problem,) = problems_of(tmp_path, text)
        assert problem.path == "rules[0].message"
        assert "unknown placeholder {name}" in problem.message
        assert problem.line == 9

    def test_bad_values_in_toml_point_at_the_line(self, tmp_path: Path) -> None:
        text = """
        extends = "default"
        name = "shop"
        version = "1"

        [[rules]]
        id = "a"
        action = "handoff"
        reason = "emotional_stress"
        when = { signal = "stress", at_least = 0.7 }

        [[rules]]
        id = "b"
        action = "handoff"
        reason = "emotionl_stress"
        [rules.when]
        signal = "stres"
        at_least = 0.5
        """
        problems = {p.path: p for p in problems_of(tmp_path, text, "policy.toml")}
        assert problems["rules[1].reason"].line == 14
        assert "did you mean 'emotional_stress'?" in problems["rules[1].reason"].message


class TestExtendsKeepsPositions:
    def test_an_error_in_the_base_names_the_base_file(self, tmp_path: Path) -> None:
        (tmp_path / "base.yaml").write_text(textwrap.dedent(RULE_FILE).lstrip())
        (problem,) = problems_of(
            tmp_path, 'extends: base.yaml\nname: child\nversion: "2"\n', "child.yaml"
        )
        assert problem.file == str((tmp_path / "base.yaml").resolve())
        assert problem.line == 12

    def test_an_extending_policy_replaces_rules_by_id(self, tmp_path: Path) -> None:
        (tmp_path / "base.yaml").write_text(
            textwrap.dedent(RULE_FILE.replace("security_deadend", "security_dead_end")).lstrip()
        )
        child = tmp_path / "child.yaml"
        child.write_text(
            textwrap.dedent(
                """
                extends: base.yaml
                name: child
                version: "2"
                rules:
                  - id: fine
                    enabled: false
                  - id: extra
                    when: {signal: loop, at_least: 0.5}
                    action: offer_human
                    reason: conversation_loop
                """
            )
        )
        policy = load_policy(child)
        assert [(rule.id, rule.enabled) for rule in policy.rules] == [
            ("fine", False),
            ("typo", True),
            ("extra", True),
        ]
        assert policy.rules[0].action == "handoff"  # the fields not overridden are kept

    def test_a_typo_in_the_child_points_at_the_child(self, tmp_path: Path) -> None:
        (tmp_path / "base.yaml").write_text(
            textwrap.dedent(RULE_FILE.replace("security_deadend", "security_dead_end")).lstrip()
        )
        (problem,) = problems_of(
            tmp_path,
            "extends: base.yaml\nname: child\nversion: '2'\nrules:\n  - id: fine\n    priorty: 3\n",
            "child.yaml",
        )
        assert problem.path == "rules[0].priorty"
        assert "did you mean 'priority'?" in problem.message
        assert (problem.file, problem.line) == (str(tmp_path / "child.yaml"), 6)


class TestEscalatorChecks:
    def test_the_escalator_rejects_an_unknown_signal_in_a_rule(self) -> None:
        rule = {
            "id": "r",
            "when": {"signal": "stres", "at_least": 0.5},
            "action": "handoff",
            "reason": "emotional_stress",
        }
        with pytest.raises(PolicyError, match="did you mean 'stress'"):
            Escalator({"extends": "default", "rules": [rule]})

    def test_a_broken_reload_keeps_the_old_policy(self) -> None:
        esc = Escalator()
        rule = {
            "id": "r",
            "when": {"signal": "stress"},
            "action": "handoff",
            "reason": "emotional_stress",
        }
        with pytest.raises(PolicyError, match="give a bound"):
            esc.reload_policy({"extends": "default", "rules": [rule]})
        assert esc.policy.name == "default"

    def test_a_policy_built_in_python_checks_its_references(self) -> None:
        from pydantic import ValidationError

        from escalate import Policy

        rule = {
            "id": "r",
            "when": {"signal": "stress", "at_least": 0.5},
            "action": "handoff",
            "reason": "emotional_stress",
            "route": "nowhere",
        }
        with pytest.raises(ValidationError, match=r"rules\[0\].route: unknown route 'nowhere'"):
            Policy(name="p", version="1", signals={}, rules=[rule])  # type: ignore[list-item]


class TestFirstHour:
    """The mistakes of a first policy: a wrong path, a misspelt signal, a partial policy."""

    def test_a_missing_file_is_not_found_not_invalid(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyError) as caught:
            load_policy(tmp_path / "nope.yaml")
        message = str(caught.value)
        assert message == f"policy {tmp_path / 'nope.yaml'} not found: no such file"
        assert caught.value.problems[0].message == "no such file"

    def test_a_relative_path_says_where_it_was_looked_for(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        with pytest.raises(PolicyError, match=r"^policy my\.yaml not found: no such file in "):
            load_policy("my.yaml")

    def test_a_misspelt_signal_is_reported_first(self) -> None:
        with pytest.raises(PolicyError) as caught:
            load_policy({"signals": {"stres": {"offer": 0.4}}}, signals=SIGNALS)
        problems = caught.value.problems
        assert problems[0].path == "signals.stres"
        assert "unknown signal 'stres'; did you mean 'stress'?" in problems[0].message
        # Nothing else about the misspelt entry: its fields are the right signal's fields.
        assert not [p for p in problems[1:] if p.path.startswith("signals.stres")]

    def test_a_partial_policy_hints_at_extends_default(self) -> None:
        with pytest.raises(PolicyError) as caught:
            load_policy({"signals": {"stress": {"offer": 0.5}}})
        assert caught.value.hint is not None
        assert "extends: default" in caught.value.hint
        assert str(caught.value).endswith(f"\n  hint: {caught.value.hint}")
        # ... and the hint is right: with it, the policy loads.
        assert load_policy({"extends": "default", "signals": {"stress": {"offer": 0.5}}})

    def test_no_hint_when_the_policy_extends_one(self) -> None:
        with pytest.raises(PolicyError) as caught:
            load_policy({"extends": "default", "signals": {"stress": {"offer": "high"}}})
        assert caught.value.hint is None


def test_a_misspelt_signal_in_a_file_points_at_its_line(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """
        name: mine
        version: "1"
        signals:
          stres: {offer: 0.5}
        """,
    )
    assert problems[0].message.startswith("unknown signal 'stres'; did you mean 'stress'?")
    assert where(problems[0]) == (4, 3)
