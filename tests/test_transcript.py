from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate import TranscriptError
from escalate.transcript import TranscriptLine, read_transcript


def parse(*lines: str) -> list[TranscriptLine | TranscriptError]:
    return list(read_transcript(lines, "t.jsonl"))


def test_reads_turns_and_keeps_extra_keys() -> None:
    (line,) = parse(
        '{"conversation_id": "c1", "role": "user", "text": "hi", "ts": 1700000000, '
        '"meta": {"channel": "web"}, "expect": "continue"}'
    )
    assert isinstance(line, TranscriptLine)
    assert line.line == 1
    assert line.conversation_id == "c1"
    assert line.turn.text == "hi"
    assert line.turn.meta == {"channel": "web"}
    assert line.extra == {"expect": "continue"}


def test_blank_lines_are_skipped_but_counted() -> None:
    lines = parse("", '{"conversation_id": "c", "role": "bot", "text": "x"}')
    assert [item.line for item in lines if isinstance(item, TranscriptLine)] == [2]


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("{not json", None, "not valid JSON"),
        ("[1, 2]", None, "expected a JSON object, got list"),
        ('{"role": "user", "text": "x"}', "conversation_id", "got nothing"),
        (
            '{"conversation_id": "", "role": "user", "text": "x"}',
            "conversation_id",
            "non-empty string",
        ),
        ('{"conversation_id": 7, "role": "user", "text": "x"}', "conversation_id", "got 7"),
        (
            '{"conversation_id": "c", "role": "usr", "text": "x"}',
            "role",
            "expected one of user, bot, agent, system, got 'usr'",
        ),
        ('{"conversation_id": "c", "text": "x"}', "role", "got nothing"),
        ('{"conversation_id": "c", "role": "user", "text": 5}', "text", "got 5"),
        ('{"conversation_id": "c", "role": "user"}', "text", "Field required"),
        (
            '{"conversation_id": "c", "role": "user", "text": "x", "ts": "yesterday"}',
            "ts",
            "yesterday",
        ),
        (
            '{"conversation_id": "c", "role": "user", "text": "x", "meta": "web"}',
            "meta",
            "dictionary",
        ),
    ],
)
def test_errors_name_the_line_field_and_problem(line: str, field: str | None, message: str) -> None:
    (error,) = parse('{"conversation_id": "ok", "role": "user", "text": "fine"}', line)[1:]
    assert isinstance(error, TranscriptError)
    assert error.line == 2
    assert error.field == field
    assert message in str(error)
    assert str(error).startswith("t.jsonl:2")


@given(st.text())
def test_any_line_parses_or_fails_with_a_transcript_error(line: str) -> None:
    for item in read_transcript([line], "fuzz"):
        assert isinstance(item, TranscriptLine | TranscriptError)


@given(st.text(), st.sampled_from(["user", "bot", "agent", "system"]))
def test_any_text_round_trips(text: str, role: str) -> None:
    (item,) = read_transcript([json.dumps({"conversation_id": "c", "role": role, "text": text})])
    assert isinstance(item, TranscriptLine)
    assert item.turn.text == text


@pytest.mark.parametrize("role", [[], {}, ["user"], 1, None])
def test_a_role_that_is_not_a_string_is_a_bad_line(role: object) -> None:
    # Found by tests/fuzz: a list role raised TypeError (unhashable) instead of naming the field.
    line = json.dumps({"conversation_id": "c", "role": role, "text": "hi"})
    (error,) = read_transcript([line], "t.jsonl")
    assert isinstance(error, TranscriptError)
    assert error.field == "role"
