"""The coloured timeline ``escalate score --format table`` and ``escalate demo`` print."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from escalate.cli.score import ScoredTurn
from escalate.models import Action, Decision

__all__ = ["render_timeline"]

_STYLE = {Action.CONTINUE: "green", Action.OFFER_HUMAN: "yellow", Action.HANDOFF: "bold red"}
_TEXT_WIDTH = 60


def render_timeline(scored: Iterable[ScoredTurn], console: Console) -> None:
    """One table per conversation, in the order conversations first appear."""
    conversations: dict[str, list[ScoredTurn]] = {}
    for item in scored:
        conversations.setdefault(item.line.conversation_id, []).append(item)
    for conversation_id, turns in conversations.items():
        table = Table(
            title=Text(conversation_id), title_justify="left", expand=False, show_lines=False
        )
        table.add_column("#", justify="right", style="dim")
        table.add_column("role")
        table.add_column("text", max_width=_TEXT_WIDTH, overflow="fold")
        table.add_column("action")
        table.add_column("why")
        for item in turns:
            decision = item.decision
            table.add_row(
                str(decision.turn_index),
                decision.role.value,
                Text(item.line.turn.text),  # customers' words, not rich markup
                Text(decision.action.value, style=_STYLE[decision.action]),
                _why(decision),
            )
        console.print(table)


def _why(decision: Decision) -> Text:
    parts = Text()
    for reason in decision.reasons:
        quote = next((e.text for e in reason.evidence if e.text), "")
        parts.append(f"{reason.code.value} {reason.score:.2f}", style="bold")
        if quote:
            parts.append(f' "{quote[:40]}"', style="italic")
        parts.append("\n")
    for reason in decision.suppressed:
        parts.append(f"held back: {reason.code.value} {reason.score:.2f}\n", style="dim")
    if not decision.reasons and not decision.suppressed:
        top = max(decision.signals.items(), key=lambda kv: kv[1], default=None)
        if top is not None:
            parts.append(f"{top[0]} {top[1]:.2f}", style="dim")
    return parts
