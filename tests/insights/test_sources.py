"""Reading the report's input: audit trails and transcripts end in the same tables."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink, Redactor, SqliteSink
from escalate.exceptions import TranscriptError
from escalate.insights import InputKind, input_kind, load_inputs, tables_from_audit
from escalate.insights._normalise import bot_message  # internal: the templates, one by one
from escalate.transcript import read_transcript

if TYPE_CHECKING:
    from pathlib import Path

    from escalate.insights import Loaded


def record(trail_path: Path, transcript: Path, *, outcomes: bool = False) -> None:
    sink = SqliteSink(trail_path) if trail_path.suffix == ".db" else JsonlSink(trail_path)
    with AuditTrail(sink) as trail:
        esc = Escalator(audit=trail)
        with transcript.open(encoding="utf-8") as lines:
            for item in read_transcript(lines):
                assert not isinstance(item, TranscriptError)
                esc.evaluate(item.conversation_id, item.turn)
        if outcomes:
            esc.record_outcome("c07", "offer_declined")
            esc.record_outcome("c02", "ended")


def sorted_rows(loaded: Loaded, table: str) -> list[tuple[object, ...]]:
    columns = loaded.tables.columns[table]
    return sorted(zip(*columns.values(), strict=True), key=repr)


@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
def test_an_audit_trail_gives_the_same_tables_as_scoring_its_transcript(
    tmp_path: Path, transcript: Path, loaded: Loaded, suffix: str
) -> None:
    trail = tmp_path / f"audit{suffix}"
    record(trail, transcript)
    assert input_kind(trail) is InputKind.AUDIT
    from_trail = load_inputs([trail], Escalator, Redactor())
    for table in ("turns", "reasons", "evidence", "meta"):
        assert sorted_rows(from_trail, table) == sorted_rows(loaded, table), table
    assert loaded.tables.rows("turns") == 54


def test_reported_outcomes_come_from_the_trail(tmp_path: Path, transcript: Path) -> None:
    trail = tmp_path / "audit.jsonl"
    record(trail, transcript, outcomes=True)
    outcomes = tables_from_audit([trail]).tables.columns["outcomes"]
    assert outcomes["outcome"] == ["offer_declined", "ended"]
    assert outcomes["user_turns"] == [3, 3]


def test_a_conversation_id_used_again_after_it_ended_is_a_new_conversation(
    tmp_path: Path,
) -> None:
    trail = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(trail)) as audit:
        esc = Escalator(audit=audit)
        esc.evaluate("same", {"role": "user", "text": "hi"})
        esc.record_outcome("same", "ended")
        esc.evaluate("same", {"role": "user", "text": "hello again"})
        esc.evaluate("same", {"role": "user", "text": "and again"})
    turns = tables_from_audit([trail]).tables.columns["turns"]
    assert list(zip(turns["conversation_id"], turns["turn_index"], strict=True)) == [
        ("same", 0), ("same~2", 0), ("same~2", 1)]  # fmt: skip


def test_audit_notices_are_counted(tmp_path: Path, transcript: Path) -> None:
    trail = tmp_path / "audit.jsonl"
    record(trail, transcript)
    header, *rest = trail.read_bytes().splitlines(keepends=True)
    notice = json.loads(rest[-1])
    notice.update(kind="dropped", count=7)
    # The report does not verify the chain (`escalate audit verify` does): a notice is enough.
    trail.write_bytes(header + b"".join(rest) + json.dumps(notice).encode() + b"\n")
    assert tables_from_audit([trail]).notices == {"dropped": 7}


def test_transcripts_are_redacted_before_anything_is_kept(tmp_path: Path) -> None:
    transcript = tmp_path / "t.jsonl"
    lines = [
        {"conversation_id": "x", "role": "user", "text": "my email is jane.doe@example.com"},
        {"conversation_id": "x", "role": "bot", "text": "We sent a code to jane.doe@example.com"},
    ]
    transcript.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    turns = load_inputs([transcript], Escalator, Redactor()).tables.columns["turns"]
    assert turns["text"] == ["my email is [EMAIL]", "We sent a code to [EMAIL]"]
    assert turns["bot_message"] == [None, "we sent a code to <email>"]


def test_a_long_text_is_redacted_before_it_is_cut(tmp_path: Path) -> None:
    """Cut first, an address across the cut would lose its '@' and be kept in part."""
    transcript = tmp_path / "t.jsonl"
    text = "x" * 290 + " jane.doe@example.com is my address"
    line = {"conversation_id": "x", "role": "user", "text": text}
    transcript.write_text(json.dumps(line) + "\n", encoding="utf-8")
    [kept] = load_inputs([transcript], Escalator, Redactor()).tables.columns["turns"]["text"]
    assert kept == "x" * 290 + " [EMAIL] i"


def test_a_bad_transcript_line_names_its_line_or_is_skipped(tmp_path: Path) -> None:
    transcript = tmp_path / "t.jsonl"
    transcript.write_text(
        '{"conversation_id": "x", "role": "user", "text": "hi"}\n'
        '{"conversation_id": "x", "role": "robot", "text": "hi"}\n',
        encoding="utf-8",
    )
    with pytest.raises(TranscriptError, match=r"t\.jsonl:2.*role"):
        load_inputs([transcript], Escalator, Redactor())
    loaded = load_inputs([transcript], Escalator, Redactor(), skip_errors=True)
    assert loaded.tables.rows("turns") == 1
    assert loaded.notices == {"skipped_lines": 1}
    assert [error.line for error in loaded.skipped] == [2]


def test_trails_and_transcripts_mix_and_an_engine_is_built_only_for_transcripts(
    tmp_path: Path, transcript: Path
) -> None:
    trail = tmp_path / "audit.jsonl"
    record(trail, transcript)
    made = []

    def escalator() -> Escalator:
        made.append(1)
        return Escalator()

    assert load_inputs([trail], escalator, Redactor()).tables.rows("turns") == 54
    assert made == []  # no transcript: no engine built
    both = load_inputs([trail, transcript], escalator, Redactor())
    assert both.tables.rows("turns") == 108
    assert made == [1]


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("Your order 4471 ships on 12/05.", "your order # ships on #."),
        ("Visit https://help.example.com/a?b=1 now", "visit <url> now"),
        ("Code sent to [PHONE:1a2b3c] and [EMAIL]", "code sent to <phone> and <email>"),
        ("  Lots   of\n space ", "lots of space"),
    ],
)
def test_bot_messages_are_reduced_to_their_template(text: str, template: str) -> None:
    assert bot_message(text) == template


def test_a_long_bot_message_is_cut() -> None:
    cut = bot_message("word " * 100)
    assert len(cut) == 160
    assert cut.endswith("…")
