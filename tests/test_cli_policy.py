"""``escalate policy ...`` and ``escalate test``: the commands a policy owner runs."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from escalate.cli import app

runner = CliRunner()

POLICY = """
extends: default
name: bank
version: "2"
routes:
  security: {message: "Connecting you with our {route} team."}
rules:
  - id: security-team
    when: {signal: security_dead_end, at_least: 0.55}
    action: handoff
    reason: security_dead_end
    route: security
  - id: gold-bot-question
    when:
      all:
        - {signal: human_request, at_least: 0.5}
        - {meta: tier, equals: gold}
    action: handoff
    reason: human_requested
"""

TRANSCRIPT = [
    {"conversation_id": "a", "role": "user", "text": "I never received the verification code"},
    {"conversation_id": "a", "role": "bot", "text": "Please enter the code we sent you."},
    {"conversation_id": "b", "role": "user", "text": "are you a bot?", "meta": {"tier": "gold"}},
    {"conversation_id": "c", "role": "user", "text": "where can I see my invoices?"},
]

CASES = """
policy: bank.yaml
cases:
  - name: a code that never arrives goes to the security team
    turns:
      - user: I never received the verification code
        expect: {action: handoff, reason: security_dead_end, route: security, rule: security-team}
  - name: a routine question stays with the bot
    turns:
      - user: where can I see my invoices?
        expect: {action: continue}
  - name: gold customers asking about bots get a person
    meta: {tier: gold}
    turns:
      - user: are you a bot?
        expect: {action: {at_least: handoff}, message_contains: colleague}
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "bank.yaml").write_text(textwrap.dedent(POLICY).lstrip())
    (tmp_path / "bank.escalate.yaml").write_text(textwrap.dedent(CASES).lstrip())
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(row) + "\n" for row in TRANSCRIPT))
    return tmp_path


def invoke(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    return result.exit_code, result.output


class TestValidateShowSchema:
    def test_validate_reports_each_valid_file(self, files: Path) -> None:
        code, out = invoke("policy", "validate", files / "bank.yaml")
        assert code == 0, out
        assert "ok" in out
        assert "bank 2" in out
        assert "2 rule(s), 1 route(s)" in out

    def test_validate_points_at_the_line_of_a_typo(self, files: Path) -> None:
        broken = files / "broken.yaml"
        broken.write_text(
            textwrap.dedent(POLICY)
            .lstrip()
            .replace("signal: security_dead_end", "signal: security_deadend")
        )
        code, out = invoke("policy", "validate", files / "bank.yaml", broken)
        assert code == 2
        assert "ok" in out  # the good file is still reported
        assert f"{broken}:8:" in out
        assert "did you mean 'security_dead_end'?" in out

    def test_show_prints_the_effective_policy(self, files: Path) -> None:
        code, out = invoke("policy", "show", files / "bank.yaml")
        assert code == 0, out
        shown = yaml.safe_load(out)
        assert shown["signals"]["stress"]["offer"] == 0.55  # inherited from the default
        assert [rule["id"] for rule in shown["rules"]] == ["security-team", "gold-bot-question"]
        code, out = invoke("policy", "show", files / "bank.yaml", "--format", "json")
        assert json.loads(out)["name"] == "bank"

    def test_show_round_trips_through_load_policy(self, files: Path) -> None:
        from escalate import load_policy

        _, out = invoke("policy", "show", files / "bank.yaml")
        (files / "shown.yaml").write_text(out)
        assert (
            load_policy(files / "shown.yaml").content_hash
            == load_policy(files / "bank.yaml").content_hash
        )

    def test_schema_describes_rules_and_conditions(self) -> None:
        code, out = invoke("policy", "schema")
        assert code == 0
        schema = json.loads(out)
        assert "rules" in schema["properties"]
        assert "SignalComparison" in schema["$defs"]
        assert schema["additionalProperties"] is False
        code, out = invoke("policy", "schema", "--cases")
        assert "Expectation" in json.loads(out)["$defs"]

    def test_kinds_lists_evidence_kinds(self) -> None:
        code, out = invoke("policy", "kinds")
        assert code == 0
        assert {"bot_fallback", "account_takeover", "offer_declined"} <= set(out.split())


class TestExplainAndDiff:
    def test_explain_shows_matched_rules_and_values(self, files: Path) -> None:
        code, out = invoke("policy", "explain", files / "bank.yaml", files / "t.jsonl")
        assert code == 0, out
        assert "a #0 user: 'I never received the verification code'" in out
        assert "rule security-team: matched -> handoff (security_dead_end)" in out
        assert "[yes] security_dead_end 0.6 (wanted >= 0.55)" in out
        assert "rule gold-bot-question: matched" in out

    def test_explain_names_near_misses(self, files: Path) -> None:
        near = files / "near.jsonl"
        near.write_text(
            json.dumps(
                {
                    "conversation_id": "n",
                    "role": "user",
                    "text": "are you a bot?",
                    "meta": {"tier": "gold"},
                }
            )
            + "\n"
        )
        policy = files / "strict.yaml"
        policy.write_text(
            textwrap.dedent(POLICY)
            .lstrip()
            .replace("human_request, at_least: 0.5", "human_request, at_least: 0.65")
        )
        _, out = invoke("policy", "explain", policy, near)
        assert "rule gold-bot-question: near miss (short by 0.05)" in out
        assert "[no ] human_request 0.6 (wanted >= 0.65) (short by 0.05)" in out
        _, everything = invoke("policy", "explain", policy, near, "--all")
        assert "rule security-team: no match" in everything

    def test_diff_counts_changes_and_shows_examples(self, files: Path) -> None:
        default = Path(__file__).parents[1] / "src/escalate/policy/default.yaml"
        code, out = invoke(
            "policy", "diff", default, files / "bank.yaml", files / "t.jsonl", "--format", "json"
        )
        assert code == 0, out
        report = json.loads(out)
        assert report["turns"] == 4
        assert report["by_action"] == {
            "offer_human -> handoff@security": 2,
            "offer_human -> handoff": 1,
        }
        assert report["changed"] == 3
        assert report["conversations_changed"] == 2
        assert report["examples"]["offer_human -> handoff"][0]["conversation_id"] == "b"

    def test_diff_says_which_part_of_a_decision_changed(self, files: Path) -> None:
        bank = files / "bank.yaml"
        other = files / "other.yaml"
        other.write_text(
            bank.read_text().replace(
                "    reason: security_dead_end\n    route: security",
                "    reason: sensitive_topic\n    route: security",
            )
        )
        code, out = invoke("policy", "diff", bank, other, files / "t.jsonl", "-f", "json")
        assert code == 0, out
        report = json.loads(out)
        assert report["what_changed"] == {"action": 0, "route": 0, "reasons": 2}
        assert report["by_action"] == {"handoff@security (reasons only)": 2}
        assert report["by_reason"]["+sensitive_topic"] == 2
        code, text = invoke("policy", "diff", bank, other, files / "t.jsonl")
        assert (
            "2 of 4 decisions change (1 conversation); changed: action 0, route 0, reasons 2"
            in text
        )
        assert "handoff -> handoff" not in text

    def test_show_schema_and_diff_write_to_a_file(self, files: Path) -> None:
        out = files / "shown.json"
        result = runner.invoke(
            app, ["policy", "show", str(files / "bank.yaml"), "-f", "json", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert json.loads(out.read_text())["name"] == "bank"
        schema = files / "schema.md"
        result = runner.invoke(app, ["policy", "schema", "-f", "markdown", "-o", str(schema)])
        assert result.exit_code == 0, result.output
        assert schema.read_text().startswith("#")
        bad = runner.invoke(app, ["policy", "show", "-f", "toml"])
        assert bad.exit_code == 2
        assert "'toml' is not one of 'yaml', 'json'" in bad.output

    def test_diff_can_fail_ci_on_a_change(self, files: Path) -> None:
        code, _ = invoke(
            "policy",
            "diff",
            files / "bank.yaml",
            files / "bank.yaml",
            files / "t.jsonl",
            "--fail-on-change",
        )
        assert code == 0
        default = Path(__file__).parents[1] / "src/escalate/policy/default.yaml"
        code, out = invoke(
            "policy", "diff", default, files / "bank.yaml", files / "t.jsonl", "--fail-on-change"
        )
        assert code == 1
        assert "3 of 4 decisions change" in out

    def test_a_bad_transcript_line_exits_2(self, files: Path) -> None:
        bad = files / "bad.jsonl"
        bad.write_text('{"conversation_id": "a", "role": "usr", "text": "hi"}\n')
        code, out = invoke("policy", "explain", files / "bank.yaml", bad)
        assert code == 2
        assert "bad.jsonl:1" in out


class TestRunningCases:
    def test_all_cases_pass(self, files: Path) -> None:
        code, out = invoke("test", files / "bank.yaml", files / "bank.escalate.yaml")
        assert code == 0, out
        assert "3 passed, 0 failed" in out

    def test_a_changed_threshold_breaks_a_case_and_says_why(self, files: Path) -> None:
        changed = files / "changed.yaml"
        changed.write_text(
            textwrap.dedent(POLICY).lstrip().replace("at_least: 0.55", "at_least: 0.95")
        )
        junit = files / "out" / "junit.xml"
        code, out = invoke("test", changed, files / "bank.escalate.yaml", "--junit-xml", junit)
        assert code == 1
        assert "FAIL a code that never arrives goes to the security team" in out
        assert f"{files / 'bank.escalate.yaml'}:5: turn 1" in out
        assert "action: expected handoff, got offer_human" in out
        # The trace says why: the level reached an offer, and the rule was far from matching.
        assert "signal security_dead_end 0.60: offer at 0.5, handoff at 0.75" in out
        assert "rule security-team" not in out  # far misses are left out
        assert "2 passed, 1 failed" in out
        suite = ET.parse(junit).getroot()
        assert suite.attrib["tests"] == "3"
        assert suite.attrib["failures"] == "1"
        failure = suite.find(".//testcase/failure")
        assert failure is not None
        assert failure.attrib["message"] == "turn 1: action: expected handoff, got offer_human"

    def test_a_bad_case_file_exits_2_with_the_line(self, files: Path) -> None:
        bad = files / "bad.escalate.yaml"
        bad.write_text(
            "cases:\n  - name: x\n    turns:\n"
            "      - user: hi\n        expekt: {action: continue}\n"
        )
        code, out = invoke("test", files / "bank.yaml", bad)
        assert code == 2
        assert f"{bad}:5:9: cases[0].turns[0].expekt: unknown field; did you mean 'expect'?" in out

    def test_a_bad_policy_exits_2(self, files: Path) -> None:
        code, out = invoke("test", files / "missing.yaml", files / "bank.escalate.yaml")
        assert code == 2
        assert f"policy {files / 'missing.yaml'} not found: no such file" in out


@pytest.mark.parametrize(
    ("page", "args"),
    [("policy.md", []), ("case-file.md", ["--cases"])],
)
def test_the_reference_pages_are_the_generated_ones(page: str, args: list[str]) -> None:
    """docs/reference is generated from the schema: regenerate it when a model changes."""
    code, out = invoke("policy", "schema", "--format", "markdown", *args)
    assert code == 0
    committed = (Path(__file__).parents[1] / "docs" / "reference" / page).read_text()
    assert out == committed, (
        f"docs/reference/{page} is stale: escalate policy schema {' '.join(args)}"
        f" --format markdown > docs/reference/{page}"
    )
