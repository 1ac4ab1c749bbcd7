"""The insights report as GitHub-flavoured Markdown, for pasting into tickets.

The same sections and tables as the HTML page (``_sections``), headline
numbers first, no charts. Texts from the data are escaped: a ``|`` cannot split a cell, a
newline cannot end a row, and ``<code>`` in a normalised bot message shows as text instead of
vanishing as a tag.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from escalate.insights._sections import Block, Table, sections

if TYPE_CHECKING:
    from collections.abc import Sequence

    from escalate.insights._summary import InsightsSummary

__all__ = ["escape", "render_markdown"]

_SPECIAL: Final = re.compile(r"[\\`*\[\]<>|]|(?<!\w)[_~]|[_~](?!\w)")
"""Characters Markdown would read as markup. ``_`` and ``~`` inside words stay as they are
(``customer_id``): GitHub does not emphasise there."""
_ENTITY: Final = re.compile(r"&(?=#?\w+;)")
_NEWLINES: Final = re.compile(r"\r\n?|\n")
_BLOCK_START: Final = re.compile(r"^(?:[#+=-]|\d+(?=[.)]))")
"""What would start a heading or a list at the start of a line."""


def escape(text: str) -> str:
    """``text`` shown literally in Markdown, on one line (a table cell, a list item)."""
    text = _ENTITY.sub("&amp;", text)
    text = _SPECIAL.sub(lambda match: "\\" + match.group(), text)
    return _NEWLINES.sub("<br>", text)


def _paragraph(text: str) -> str:
    """``text`` escaped to stand at the start of a line (a note, a list item)."""
    escaped = escape(text)
    found = _BLOCK_START.match(escaped)
    if found is None:
        return escaped
    if found.group().isdigit():  # "1." would start a numbered list
        return found.group() + "\\" + escaped[found.end() :]
    return "\\" + escaped


def render_markdown(summary: InsightsSummary, *, title: str = "Escalation insights") -> str:
    """The summary as GitHub-flavoured Markdown: headline numbers, then one section per insight.

    Example:
        >>> from escalate.insights import render_markdown
        >>> print(render_markdown(summary))  # doctest: +SKIP
    """
    parts = sections(summary)
    overview, rest = parts[0], parts[1:]
    lines = [f"# {escape(title)}", "", f"## {escape(overview.heading)}", ""]
    for block in overview.blocks:
        if block.cards:
            rows = [
                (escape(card.label), f"**{escape(card.value)}**", escape(card.detail))
                for card in block.cards
            ]
            lines += [*_table(("", "", ""), rows, right=()), ""]
        if block.note:
            lines += [_paragraph(block.note), ""]
    lines += [f"> **Warning:** {escape(warning)}" for warning in overview.warnings]
    if overview.warnings:
        lines.append("")
    for section in rest:
        lines += [f"## {escape(section.heading)}", "", f"_{escape(section.how_to_read)}_", ""]
        lines += [f"> **Warning:** {escape(warning)}" for warning in section.warnings]
        if section.warnings:
            lines.append("")
        for block in section.blocks:
            lines += _block(block)
    return "\n".join(lines).rstrip("\n") + "\n"


def _block(block: Block) -> list[str]:
    lines: list[str] = []
    if not (block.note or block.cards or block.missing or block.table or block.items):
        return lines  # a chart alone: nothing to write
    if block.title:
        lines += [f"### {escape(block.title)}", ""]
    if block.note:
        note = _paragraph(block.note)
        lines += [f"> **Warning:** {note}" if block.flagged else note]
        lines.append("")
    for card in block.cards:
        lines += [f"- **{escape(card.label)}: {escape(card.value)}**, {escape(card.detail)}"]
    if block.cards:
        lines.append("")
    if block.missing:
        lines += [f"_{escape(block.missing)}_", ""]
    if block.table is not None:
        lines += [*_cells(block.table), ""]
    if block.items:
        lines += [*(f"- {_paragraph(item)}" for item in block.items), ""]
    return lines


def _cells(table: Table) -> list[str]:
    rows = [
        tuple(f"**{escape(c.text)}**" if c.flagged else escape(c.text) for c in row)
        for row in table.rows
    ]
    right = tuple(i for i in range(len(table.columns)) if table.numeric(i))
    return _table(tuple(escape(column) for column in table.columns), rows, right=right)


def _table(
    header: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, right: tuple[int, ...]
) -> list[str]:
    """A GitHub table of escaped cells; columns in ``right`` align right."""
    rule = tuple("---:" if i in right else "---" for i in range(len(header)))
    return [f"| {' | '.join(row)} |" for row in (header, rule, *rows)]
