"""The coloured timeline ``escalate score --format table`` and ``escalate demo`` print."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from rich.console import Console
from rich.table import Table
from rich.text import Text

from escalate.cli._score import ScoredTurn
from escalate.cli._terminal import printable
from escalate.models import Action, Decision, Evidence
from escalate.signals import BUNDLED_LEXICONS, load_lexicon

__all__ = ["render_timeline"]

_STYLE = {Action.CONTINUE: "green", Action.OFFER_HUMAN: "yellow", Action.HANDOFF: "bold red"}
_TEXT_WIDTH = 60
_TEXT_SHOWN = 400
"""Characters of a turn the timeline shows: a 4 MB line took 10 s to lay out, uncut."""
# What the stress detector adds for the evidence it finds outside its lexicon (signals/stress.py).
_STRUCTURAL_STRENGTH = {"shouting": 0.3, "punctuation_run": 0.2}


def render_timeline(scored: Iterable[ScoredTurn], console: Console) -> None:
    """One table per conversation, in the order conversations first appear."""
    conversations: dict[str, list[ScoredTurn]] = {}
    for item in scored:
        conversations.setdefault(item.line.conversation_id, []).append(item)
    for conversation_id, turns in conversations.items():
        table = Table(
            title=Text(printable(conversation_id)),
            title_justify="left",
            expand=False,
            show_lines=False,
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
                Text(printable(item.line.turn.text, _TEXT_SHOWN)),  # words, not rich markup
                Text(decision.action.value, style=_STYLE[decision.action]),
                _why(decision),
            )
        console.print(table)


def _why(decision: Decision) -> Text:
    parts = Text()
    for reason in decision.reasons:
        quote = next((e.text for e in _strongest_first(reason.evidence) if e.text), "")
        parts.append(f"{reason.code.value} {reason.score:.2f}", style="bold")
        if quote:
            parts.append(f' "{printable(quote[:40])}"', style="italic")
        parts.append("\n")
    for reason in decision.suppressed:
        parts.append(f"held back: {reason.code.value} {reason.score:.2f}\n", style="dim")
    if not decision.reasons and not decision.suppressed:
        top = max(decision.signals.items(), key=lambda kv: kv[1], default=None)
        if top is not None:
            parts.append(f"{top[0]} {top[1]:.2f}", style="dim")
    return parts


def _strongest_first(evidence: Iterable[Evidence]) -> list[Evidence]:
    """Evidence by what its kind adds to a signal, strongest first (ties keep text order).

    Detectors list evidence in the order it was found; the timeline quotes the first, which
    should be the words that weighed most ("absolutely unacceptable", not "missed").
    """
    strength = _kind_strength()
    return sorted(evidence, key=lambda item: -strength.get(item.kind, 0.0))


@cache
def _kind_strength() -> dict[str, float]:
    """Each evidence kind's score in the bundled lexicons (the highest, if several families)."""
    strength = dict(_STRUCTURAL_STRENGTH)
    for name in BUNDLED_LEXICONS:
        for family in load_lexicon(name).families.values():
            strength[family.kind] = max(strength.get(family.kind, 0.0), family.score)
    return strength
