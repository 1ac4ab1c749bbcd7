from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from escalate import ReasonCode, TranscriptError
from escalate.evaluation import ExpectedAction, Grade, Scope, load_cases

if TYPE_CHECKING:
    from pathlib import Path


def write(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_utterances_become_one_turn_cases_with_an_action_or_a_grade(tmp_path: Path) -> None:
    cases = load_cases(
        write(
            tmp_path / "u.jsonl",
            [
                {"id": "a", "text": "operator", "expect": "escalate", "reason": "human_requested"},
                {"id": "b", "text": "hello", "expect": "continue", "source": "s", "label": "l"},
                {"id": "c", "text": "worst airline", "expect": "negative"},
            ],
        )
    )
    assert [c.id for c in cases] == ["a", "b", "c"]
    assert cases[0].checks[0].expect is ExpectedAction.ESCALATE
    assert cases[0].checks[0].reason is ReasonCode.HUMAN_REQUESTED
    assert (cases[1].source, cases[1].label) == ("s", "l")
    assert cases[2].checks == ()
    assert cases[2].grade is Grade.NEGATIVE
    assert cases[1].origin.endswith("u.jsonl:2")


def test_a_repeated_utterance_id_stays_distinct(tmp_path: Path) -> None:
    rows = [{"id": "x", "text": "a", "expect": "continue"}] * 2
    assert [c.id for c in load_cases(write(tmp_path / "u.jsonl", rows))] == ["x", "x@2"]


def test_conversations_check_the_labelled_turns_and_routine_ones_never_escalate(
    tmp_path: Path,
) -> None:
    cases = load_cases(
        write(
            tmp_path / "c.jsonl",
            [
                {"conversation_id": "1", "role": "user", "text": "hi"},
                {"conversation_id": "2", "role": "user", "text": "hi"},
                {"conversation_id": "1", "role": "bot", "text": "hello"},
                {"conversation_id": "1", "role": "user", "text": "human!", "expect": "handoff"},
            ],
        )
    )
    labelled, routine = cases
    assert labelled.checks[0].scope is Scope.AT
    assert labelled.checks[0].user_turn == 2
    assert routine.checks[0].scope is Scope.WHOLE
    assert routine.checks[0].expect is ExpectedAction.CONTINUE


def test_scenarios_read_min_and_max_actions(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "cases:\n"
        "- id: one\n"
        "  turns: [[user, 'get me a human']]\n"
        "  expect: {min_action: handoff, by_user_turn: 1, reason: human_requested}\n"
        "- id: two\n"
        "  turns: [[user, 'thanks']]\n"
        "  expect: {max_action: continue}\n",
        encoding="utf-8",
    )
    one, two = load_cases(path)
    assert (one.checks[0].expect, one.checks[0].scope, one.checks[0].user_turn) == (
        ExpectedAction.HANDOFF,
        Scope.BY,
        1,
    )
    assert (two.checks[0].expect, two.checks[0].scope) == (ExpectedAction.CONTINUE, Scope.WHOLE)
    assert two.origin.endswith("s.yaml:5")


@pytest.mark.parametrize(
    ("rows", "where", "message"),
    [
        ([{"id": "a", "text": 3, "expect": "continue"}], ":1: field 'text'", "expected a string"),
        ([{"id": "a", "text": "x", "expect": "maybe"}], ":1: field 'expect'", "got 'maybe'"),
        (
            [{"id": "a", "text": "x", "expect": "escalate", "reason": "anger"}],
            ":1: field 'reason'",
            "human_requested",
        ),
        ([{"id": "a", "text": "x"}, "oops"], ":2", "expected a JSON object"),
    ],
)
def test_bad_utterance_lines_name_the_line_and_field(
    tmp_path: Path, rows: list[object], where: str, message: str
) -> None:
    with pytest.raises(TranscriptError, match=message) as caught:
        load_cases(write(tmp_path / "u.jsonl", rows))
    assert where in str(caught.value)


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "u.jsonl"
    path.write_text('{"id": "a", "text": "x", "expect": "continue"}\n{not json\n', encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"u\.jsonl:2: not valid JSON"):
        load_cases(path)


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("  turns: []\n  expect: {max_action: continue}\n", "cases[0].turns", "non-empty"),
        ("  turns: [[robot, hi]]\n  expect: {max_action: continue}\n", "turns[0]", "'robot'"),
        ("  turns: [[user, hi]]\n  expect: {min_action: maybe}\n", "min_action", "'maybe'"),
        ("  turns: [[user, hi]]\n  expect: {max_action: continue, by: 1}\n", "expect", "'by'"),
    ],
)
def test_bad_scenarios_name_the_line_and_field(
    tmp_path: Path, case: str, field: str, message: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"cases:\n- id: x\n{case}", encoding="utf-8")
    with pytest.raises(TranscriptError, match=message) as caught:
        load_cases(path)
    assert "s.yaml:2" in str(caught.value)
    assert field in str(caught.value)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("cases:\n- id: x\n  turns: [[user, 'hi']\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"s\.yaml:\d+: not valid YAML"):
        load_cases(path)


class TestPolicyTestCaseFiles:
    """``escalate eval`` reads the case files of ``escalate test``."""

    def test_user_turn_expectations_become_checks(self, tmp_path: Path) -> None:
        path = tmp_path / "shop.escalate.yaml"
        path.write_text(
            "cases:\n"
            "  - name: asks twice\n"
            "    meta: {channel: web}\n"
            "    turns:\n"
            "      - user: where is my parcel?\n"
            "        expect: {action: continue}\n"
            "      - bot: It arrives Thursday.\n"
            "        expect: {action: continue}\n"
            "      - user: a person please\n"
            "        expect: {action: {at_least: offer_human}, reason: [human_requested]}\n"
            "  - name: only a route check\n"
            "    turns:\n"
            "      - user: hi\n"
            "        expect: {route: null}\n"
        )
        (case,) = load_cases(path)
        assert case.id == "asks twice"
        assert case.origin == f"{path}:2"
        assert [turn.meta for turn in case.turns] == [{"channel": "web"}] * 3
        assert [(c.expect, c.scope, c.user_turn, c.reason) for c in case.checks] == [
            (ExpectedAction.CONTINUE, Scope.AT, 1, None),
            (ExpectedAction.OFFER_HUMAN, Scope.AT, 2, ReasonCode.HUMAN_REQUESTED),
        ]

    def test_outcomes_cannot_be_scored(self, tmp_path: Path) -> None:
        path = tmp_path / "x.escalate.yaml"
        path.write_text(
            "cases:\n  - name: declined\n    turns:\n"
            "      - user: hi\n      - outcome: offer_declined\n"
        )
        with pytest.raises(TranscriptError, match=r"x\.escalate\.yaml:5.*outcomes"):
            load_cases(path)

    def test_a_bad_case_file_names_the_line(self, tmp_path: Path) -> None:
        path = tmp_path / "x.escalate.yaml"
        path.write_text("cases:\n  - name: x\n    turns:\n      - usr: hi\n")
        with pytest.raises(TranscriptError, match=r"x\.escalate\.yaml:4"):
            load_cases(path)
