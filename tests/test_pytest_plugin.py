"""The pytest plugin: ``*.escalate.yaml`` case files collected and run as tests."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

from escalate.pytest_plugin import EscalateCaseItem

if TYPE_CHECKING:
    from pathlib import Path

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

# The bundled policy only offers a human for "are you a bot?"; this one hands off.
STRICT = """
extends: default
name: strict
version: "1"
signals: {human_request: {handoff: 0.5}}
"""
PLAIN = """
extends: default
name: plain
version: "1"
"""


def bot_question(expected: str, policy: str | None = None) -> str:
    """A case file with one case: "are you a bot?" must get ``expected``."""
    head = f"policy: {policy}\n" if policy else ""
    return head + textwrap.dedent(f"""
        cases:
          - name: bot question
            turns:
              - user: are you a bot?
                expect: {{action: {expected}}}
        """)


@pytest.fixture(scope="module", autouse=True)
def _warm_modules() -> None:
    """Load what the in-process pytest runs use into this process before they start.

    pytester drops the modules each run imports when the run ends, so without this every run
    would import them again (the engine's lexicons take a second; hypothesis's pytest plugin
    imports the whole package at the end of a run), and PyYAML's C loader does not survive
    being imported twice.
    """
    for module in ("escalate.policy_tests", "escalate.testing", "hypothesis"):
        importlib.import_module(module)
    from escalate.engine import Escalator
    from escalate.testing import quiet_logger

    Escalator(logger=quiet_logger())  # loads and caches the lexicons


def write(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


class TestCollection:
    def test_one_item_per_case_named_after_it(self, pytester: pytest.Pytester) -> None:
        write(pytester, {"support.escalate.yaml": CASES})
        result = pytester.runpytest("--collect-only", "-q")
        result.stdout.fnmatch_lines(
            [
                "support.escalate.yaml::asks for a person",
                "support.escalate.yaml::calm question",
            ]
        )

    def test_passing_cases_pass(self, pytester: pytest.Pytester) -> None:
        write(pytester, {"support.escalate.yaml": CASES})
        result = pytester.runpytest()
        result.assert_outcomes(passed=2)

    def test_yml_suffix_is_collected_too(self, pytester: pytest.Pytester) -> None:
        write(pytester, {"support.escalate.yml": CASES})
        pytester.runpytest().assert_outcomes(passed=2)

    @pytest.mark.parametrize(
        "name", ["support.yaml", "escalate.yaml", "support.escalate.json", "support.escalate"]
    )
    def test_other_files_are_ignored(self, pytester: pytest.Pytester, name: str) -> None:
        write(pytester, {name: CASES})
        result = pytester.runpytest()
        assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED

    def test_items_point_at_the_case_line(self, pytester: pytest.Pytester) -> None:
        write(pytester, {"support.escalate.yaml": CASES})
        items, _ = pytester.inline_genitems()
        # pytest counts lines from 0: the cases start on lines 3 and 7 of the file.
        assert [item.location for item in items] == [
            ("support.escalate.yaml", 2, "asks for a person"),
            ("support.escalate.yaml", 6, "calm question"),
        ]

    def test_selecting_a_case_by_keyword(self, pytester: pytest.Pytester) -> None:
        write(pytester, {"support.escalate.yaml": CASES})
        pytester.runpytest("-k", "calm").assert_outcomes(passed=1, deselected=1)


class TestFailures:
    def test_a_failing_expectation_reports_where_and_why(self, pytester: pytest.Pytester) -> None:
        write(pytester, {"bot.escalate.yaml": bot_question("handoff")})
        result = pytester.runpytest()
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "*_ bot question _*",
                "bot.escalate.yaml:5: turn 1 (user: 'are you a bot?')",
                "  action: expected handoff, got offer_human",
                "  decision: offer_human (human_requested *",
                "  trace:",
                "    signal human_request *",
                "FAILED bot.escalate.yaml::bot question - bot.escalate.yaml:5: turn 1*",
            ]
        )
        # The report replaces the traceback: nothing of the plugin's or the engine's code.
        result.stdout.no_fnmatch_line("*CaseFailedError*")
        result.stdout.no_fnmatch_line("*runtest*")

    def test_a_broken_case_file_is_a_collection_error_naming_the_line(
        self, pytester: pytest.Pytester
    ) -> None:
        broken = CASES.replace("expect: {action: continue}", "expekt: {action: continue}")
        write(pytester, {"support.escalate.yaml": broken})
        result = pytester.runpytest()
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(
            [
                "*ERROR collecting support.escalate.yaml*",
                (
                    "*support.escalate.yaml:10:9: cases[[]1[]].turns[[]0[]].expekt:"
                    " unknown field; did you mean 'expect'?"
                ),
            ]
        )
        result.stdout.no_fnmatch_line("*Traceback*")

    def test_a_file_that_is_not_yaml_is_a_collection_error(self, pytester: pytest.Pytester) -> None:
        write(pytester, {"support.escalate.yaml": "cases: [\n"})
        result = pytester.runpytest()
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*support.escalate.yaml:*not valid YAML*"])

    def test_a_broken_policy_fails_its_cases_with_the_problems(
        self, pytester: pytest.Pytester
    ) -> None:
        write(
            pytester,
            {
                "broken.yaml": PLAIN + "signalz: {}\n",
                "bot.escalate.yaml": bot_question("offer_human", policy="broken.yaml"),
            },
        )
        result = pytester.runpytest()
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["policy broken.yaml is invalid*", "*signalz*unknown field*"])
        result.stdout.no_fnmatch_line("*Traceback*")
        result.stdout.no_fnmatch_line("*escalate/engine.py*")

    def test_a_missing_policy_file_says_so(self, pytester: pytest.Pytester) -> None:
        write(pytester, {"bot.escalate.yaml": bot_question("offer_human", policy="nowhere.yaml")})
        result = pytester.runpytest()
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["policy nowhere.yaml not found: no such file"])


class TestPolicyChoice:
    def test_the_bundled_policy_by_default(self, pytester: pytest.Pytester) -> None:
        write(pytester, {"bot.escalate.yaml": bot_question("offer_human")})
        pytester.runpytest().assert_outcomes(passed=1)

    def test_the_files_own_policy_relative_to_the_file(self, pytester: pytest.Pytester) -> None:
        write(
            pytester,
            {
                "policies/strict.yaml": STRICT,
                "cases/bot.escalate.yaml": bot_question(
                    "handoff", policy="../policies/strict.yaml"
                ),
            },
        )
        pytester.runpytest().assert_outcomes(passed=1)

    def test_the_command_line_overrides_the_files_policy(self, pytester: pytest.Pytester) -> None:
        write(
            pytester,
            {
                "strict.yaml": STRICT,
                "plain.yaml": PLAIN,
                "bot.escalate.yaml": bot_question("offer_human", policy="strict.yaml"),
            },
        )
        pytester.runpytest().assert_outcomes(failed=1)
        pytester.runpytest("--escalate-policy", "plain.yaml").assert_outcomes(passed=1)

    def test_the_command_line_applies_to_files_without_a_policy(
        self, pytester: pytest.Pytester
    ) -> None:
        write(pytester, {"strict.yaml": STRICT, "bot.escalate.yaml": bot_question("handoff")})
        pytester.runpytest("--escalate-policy=strict.yaml").assert_outcomes(passed=1)

    def test_the_ini_option_for_files_without_a_policy(self, pytester: pytest.Pytester) -> None:
        write(
            pytester,
            {"policies/strict.yaml": STRICT, "cases/bot.escalate.yaml": bot_question("handoff")},
        )
        pytester.makeini("[pytest]\nescalate_policy = policies/strict.yaml\n")
        pytester.runpytest().assert_outcomes(passed=1)

    def test_the_files_own_policy_beats_the_ini_option(self, pytester: pytest.Pytester) -> None:
        write(
            pytester,
            {
                "strict.yaml": STRICT,
                "plain.yaml": PLAIN,
                "bot.escalate.yaml": bot_question("offer_human", policy="plain.yaml"),
            },
        )
        pytester.makeini("[pytest]\nescalate_policy = strict.yaml\n")
        pytester.runpytest().assert_outcomes(passed=1)

    def test_one_escalator_per_policy_per_session(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import escalate.engine

        built: list[object] = []

        class CountedEscalator(escalate.engine.Escalator):
            def __init__(self, *args: object, **kwargs: object) -> None:
                built.append(args[0] if args else None)
                super().__init__(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(escalate.engine, "Escalator", CountedEscalator)
        write(
            pytester,
            {
                "strict.yaml": STRICT,
                "a.escalate.yaml": CASES,
                "b.escalate.yaml": CASES,
                "c.escalate.yaml": bot_question("handoff", policy="strict.yaml"),
                "d.escalate.yaml": bot_question("handoff", policy="./strict.yaml"),
            },
        )
        pytester.runpytest().assert_outcomes(passed=6)
        assert built == [None, pytester.path / "strict.yaml"]


def test_items_keep_the_loaded_case(pytester: pytest.Pytester) -> None:
    write(pytester, {"support.escalate.yaml": CASES})
    items, _ = pytester.inline_genitems()
    first = items[0]
    assert isinstance(first, EscalateCaseItem)
    assert first.loaded.case.name == "asks for a person"
    assert first.loaded.file == "support.escalate.yaml"
    assert first.policy is None


def test_importing_the_plugin_leaves_the_engine_unloaded(tmp_path: Path) -> None:
    # pytest imports the plugin in every run of every project that has escalate installed.
    probe = (
        "import sys, escalate.pytest_plugin\n"
        "heavy = ['yaml', 'structlog', 'rapidfuzz', 'escalate.engine', 'escalate.policy_tests']\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout.strip() == "[]"


def test_a_failed_case_raises_an_error_of_the_package_tree() -> None:
    import escalate.pytest_plugin
    from escalate.exceptions import CaseFailedError, EscalateError

    # The plugin's old name for it still works, and is the one class.
    assert escalate.pytest_plugin.CaseFailedError is CaseFailedError
    assert issubclass(CaseFailedError, EscalateError)
    assert not issubclass(CaseFailedError, ValueError)  # a failed expectation, not bad input


def test_a_failed_case_reports_its_result(pytester: pytest.Pytester) -> None:
    from escalate.exceptions import CaseFailedError

    write(pytester, {"bot.escalate.yaml": bot_question("handoff")})
    items, _ = pytester.inline_genitems()
    with pytest.raises(CaseFailedError) as failed:
        items[0].runtest()
    assert str(failed.value) == failed.value.result.report()
    assert "handoff" in str(failed.value)
