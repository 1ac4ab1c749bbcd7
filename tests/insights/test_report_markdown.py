"""The insights report as GitHub-flavoured Markdown: the same tables as the page, for tickets."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from escalate.insights import BotMessage, FalseAlarm, MetaRow, render_markdown

# Internals, tested directly: the escaping and the formatting both renderers share.
from escalate.insights._markdown import escape
from escalate.insights._sections import bucket_label, duration, number, percent, sections

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from escalate.insights import InsightsSummary

EVIL = "<script>alert(1)</script>"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@pytest.fixture(scope="module")
def markdown(summary: InsightsSummary) -> str:
    return render_markdown(summary)


@pytest.fixture(scope="module")
def calm(summary_of: Callable[[list[dict[str, object]]], InsightsSummary]) -> InsightsSummary:
    """One conversation the bot handled alone, without times."""
    return summary_of(
        [
            {"conversation_id": "k1", "role": "user", "text": "what are your opening hours?"},
            {"conversation_id": "k1", "role": "bot", "text": "We open at 9."},
            {"conversation_id": "k1", "role": "user", "text": "great, thanks"},
        ]
    )


@pytest.fixture(scope="module")
def hostile(summary: InsightsSummary) -> InsightsSummary:
    """Pipes, newlines and markup in every kind of text the tables show."""
    message = BotMessage(
        message="pick 1 | 2\nor 3",
        escalation=2,
        loop=0,
        dead_end=0,
        conversations=1,
        examples=("c|1",),
        example_text=f"Pick {EVIL}",
    )
    alarm = FalseAlarm(
        conversation_id="c|1",
        handoff_turn=1,
        reason="human_requested",
        trigger_text="agent\r\nnow | please",
        retraction_turn=3,
        user_turns_after=1,
        seconds_after=None,
        retraction_text="*never* mind",
    )
    value = MetaRow(key="channel", value="web|app", conversations=1, escalated=1, handed_off=0,
                    requested_human=0, dead_end=0, escalation_rate=1.0, handoff_rate=0.0,
                    top_reason=None)  # fmt: skip
    return summary.model_copy(
        update={
            "preceding_escalations": (message,),
            "false_alarms": (alarm,),
            "false_alarm_count": 1,
            "meta": (*summary.meta, value),
            "meta_skipped": {"# not a heading": 40, "1. not a list": 41},
        }
    )


def tables(markdown: str) -> list[list[str]]:
    """Every table: runs of lines that start with a pipe."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            found.append(current)
            current = []
    return found


def cells(row: str) -> list[str]:
    assert row.startswith("| ")
    assert row.endswith(" |")
    assert not row.endswith("\\ |")  # the closing pipe is not escaped
    return [cell.strip() for cell in UNESCAPED_PIPE.split(row)[1:-1]]


def assert_well_formed(markdown: str) -> int:
    found = tables(markdown)
    for table in found:
        assert len(table) >= 3  # a header, the rule, at least one row
        widths = {len(cells(row)) for row in table}
        assert len(widths) == 1, table
        assert all(re.fullmatch(r"-{3}:?", cell) for cell in cells(table[1])), table[1]
    return len(found)


class TestMarkdown:
    def test_headline_numbers_come_first(self, markdown: str) -> None:
        lines = markdown.splitlines()
        assert lines[:3] == ["# Escalation insights", "", "## Overview"]
        first_table = tables(markdown)[0]
        assert cells(first_table[2]) == ["Conversations", "**12**", "54 turns, 31 from customers"]
        assert markdown.index("| Escalation rate | **75%** |") < markdown.index("## Reasons")

    def test_every_section_has_its_heading(self, markdown: str, summary: InsightsSummary) -> None:
        headings = [line for line in markdown.splitlines() if line.startswith("## ")]
        assert headings == [f"## {section.heading}" for section in sections(summary)]

    def test_the_tables_are_the_pages_tables(self, markdown: str, summary: InsightsSummary) -> None:
        expected = 1 + sum(  # the headline table
            block.table is not None for section in sections(summary) for block in section.blocks
        )
        assert assert_well_formed(markdown) == expected
        assert "| human_requested | 3 | 33.3% | 2 | 1 | 3 |" in markdown
        assert "| automated | 3 | 2 | 2.8 | 1 min 20 s | 2 min 24 s |" in markdown

    def test_numbers_align_right(self, markdown: str) -> None:
        assert "| reason | first reason | of escalated |" in markdown
        assert "| --- | ---: | ---: | ---: | ---: | ---: |" in markdown

    def test_no_charts_no_markup(self, markdown: str) -> None:
        assert "<div" not in markdown
        assert "<script" not in markdown
        assert "plotly" not in markdown.lower()

    def test_a_normalised_placeholder_shows_as_text(self, markdown: str) -> None:
        # "<code>" in a normalised bot message would vanish as an HTML tag.
        assert r"phone ending \<code\>." in markdown

    def test_ends_with_one_newline(self, markdown: str) -> None:
        assert markdown.endswith("\n")
        assert not markdown.endswith("\n\n")


class TestEscaping:
    def test_pipes_and_newlines_stay_inside_their_cell(self, hostile: InsightsSummary) -> None:
        markdown = render_markdown(hostile)
        assert_well_formed(markdown)
        assert r"| pick 1 \| 2<br>or 3 | 2 | 0 | 1 | c\|1 |" in markdown
        assert r"agent<br>now \| please" in markdown
        assert r"| web\|app | 1 |" in markdown

    def test_markup_in_the_data_is_shown_not_rendered(self, hostile: InsightsSummary) -> None:
        markdown = render_markdown(hostile)
        assert EVIL not in markdown
        assert r"Pick \<script\>alert(1)\</script\>" in markdown
        assert r"\*never\* mind" in markdown

    def test_list_items_cannot_start_a_heading_or_a_list(self, hostile: InsightsSummary) -> None:
        markdown = render_markdown(hostile)
        assert r"- \# not a heading (40 values)" in markdown
        assert r"- 1\. not a list (41 values)" in markdown

    @pytest.mark.parametrize(
        ("text", "escaped"),
        [
            ("a|b", r"a\|b"),
            ("line\nbreak", "line<br>break"),
            ("crlf\r\nbreak", "crlf<br>break"),
            ("customer_id", "customer_id"),  # underscores inside words are not emphasis
            ("_em_", r"\_em\_"),
            ("`code`", r"\`code\`"),
            ("[link](x)", r"\[link\](x)"),
            ("&amp;", "&amp;amp;"),
            ("AT&T", "AT&T"),
            ("back\\slash", r"back\\slash"),
        ],
    )
    def test_escape(self, text: str, escaped: str) -> None:
        assert escape(text) == escaped


class TestMissing:
    def test_an_input_with_nothing_to_show_says_so(self, calm: InsightsSummary) -> None:
        markdown = render_markdown(calm)
        assert_well_formed(markdown)
        for missing in (
            "_No times in this input: the conversations carry no timestamps",
            "_No escalations in this input, so no reasons._",
            "_No security dead ends in this input._",
            "_No offers of a human in this input._",
            "_No meta fields in this input._",
            "_No requests for a person and no security dead ends in this input._",
        ):
            assert missing in markdown
        assert "| Untimed | **1** |" in markdown

    def test_markdown_needs_neither_plotly_nor_jinja(
        self, calm: InsightsSummary, tmp_path: Path
    ) -> None:
        summary = tmp_path / "summary.json"
        summary.write_text(calm.model_dump_json(), encoding="utf-8")
        code = (
            "import pathlib, sys\n"
            "from escalate.insights import InsightsSummary, render_markdown\n"
            f"text = pathlib.Path({str(summary)!r}).read_text(encoding='utf-8')\n"
            "assert render_markdown(InsightsSummary.model_validate_json(text))\n"
            "assert 'plotly' not in sys.modules and 'jinja2' not in sys.modules\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True)


class TestFormatting:
    """The formatting both renderers share."""

    @pytest.mark.parametrize(
        ("seconds", "shown"),
        [(None, "\N{EN DASH}"), (0, "0 s"), (0.5, "0.5 s"), (40, "40 s"), (59.6, "1 min"),
         (80, "1 min 20 s"), (3600, "1 h"), (3720, "1 h 2 min"), (90_000, "1 d 1 h"),
         (-30, "-30 s")],
    )  # fmt: skip
    def test_duration(self, seconds: float | None, shown: str) -> None:
        assert duration(seconds) == shown

    @pytest.mark.parametrize(
        ("fraction", "shown"),
        [(None, "\N{EN DASH}"), (0.0, "0%"), (0.5833, "58.3%"), (0.75, "75%"), (1.0, "100%")],
    )
    def test_percent(self, fraction: float | None, shown: str) -> None:
        assert percent(fraction) == shown

    def test_number(self) -> None:
        assert [number(v) for v in (2.0, 2.8, 12345, None)] == ["2", "2.8", "12,345", "\N{EN DASH}"]

    def test_bucket_label(self) -> None:
        monday = 1_793_577_600.0  # 2026-11-02T00:00:00Z
        assert bucket_label(monday, 86_400) == "2026-11-02 (Mon)"
        assert bucket_label(monday + 9 * 3600, 3600) == "2026-11-02 09:00"
        assert bucket_label(monday, 7 * 86_400) == "week from 2026-11-02"
