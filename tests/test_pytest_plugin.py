"""The pytest plugin collects ``*.escalate.yaml`` case files, tested in real pytest runs."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CASES = """
cases:
  - name: asks for a person
    turns:
      - user: I want to talk to a person
        expect: {action: handoff, reason: human_requested}
  - name: calm question
    turns:
      - user: where can I see my invoices?
        expect: {action: continue}
"""

BOT_QUESTION = """
{policy_line}
cases:
  - name: a bot question hands off
    turns:
      - user: are you a bot?
        expect: {{action: handoff}}
"""

STRICT = """
extends: default
name: strict
version: "1"
signals:
  human_request: {handoff: 0.5}
"""


def test_each_case_is_a_passing_test(pytester: pytest.Pytester) -> None:
    pytester.makefile(".escalate.yaml", support=CASES)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*support.escalate.yaml::asks for a person PASSED*"])


def test_a_failing_case_reports_the_turn_and_the_trace(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".escalate.yaml", support=CASES.replace("{action: continue}", "{action: handoff}")
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*support.escalate.yaml:8: turn 1 (user: 'where can I see my invoices?')",
            "*action: expected handoff, got continue",
            "*decision: continue*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_policy_named_by_the_file_is_used(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", strict=STRICT)
    pytester.makefile(
        ".escalate.yaml", named=BOT_QUESTION.format(policy_line="policy: strict.yaml")
    )
    pytester.makefile(".escalate.yaml", default=BOT_QUESTION.format(policy_line=""))
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*named.escalate.yaml::a bot question hands off PASSED*"])


def test_the_command_line_option_overrides_the_file(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", strict=STRICT)
    pytester.makefile(".escalate.yaml", default=BOT_QUESTION.format(policy_line=""))
    assert pytester.runpytest().ret == pytest.ExitCode.TESTS_FAILED
    result = pytester.runpytest("--escalate-policy", str(pytester.path / "strict.yaml"))
    result.assert_outcomes(passed=1)


def test_the_ini_option_sets_the_policy_for_files_without_one(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", strict=STRICT)
    pytester.makeini("[pytest]\nescalate_policy = strict.yaml\n")
    pytester.makefile(".escalate.yaml", default=BOT_QUESTION.format(policy_line=""))
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_broken_case_file_is_a_collection_error_naming_the_line(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(
        ".escalate.yaml",
        broken=CASES.replace("expect: {action: continue}", "expekt: {action: continue}"),
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    expected = "broken.escalate.yaml:9:9: cases[1].turns[0].expekt: unknown field"
    assert f"{expected}; did you mean 'expect'?" in result.stdout.str()


def test_a_broken_policy_fails_each_case_with_its_problems(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bad="extends: default\nsignals: {stress: {ofer: 0.5}}\n")
    pytester.makefile(
        ".escalate.yaml", uses_bad=CASES.replace("cases:", "policy: bad.yaml\ncases:", 1)
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        ["*bad.yaml:2:20: signals.stress.ofer: unknown field; did you mean 'offer'?*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_other_yaml_files_are_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", cases=CASES)
    pytester.makefile(".yml", other=CASES)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
