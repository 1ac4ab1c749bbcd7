"""What a human agent will need, noted on every turn inside the turn step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from escalate.core._models import Role
from escalate.core._state import RECENT_TURNS_KEPT, TEXT_KEPT, RecentTurn, remembered
from escalate.core._text import content_words

if TYPE_CHECKING:
    from escalate.core._state import HandoffMemory

__all__ = ["note_turn"]


def note_turn(  # noqa: PLR0917 - the engine's hot path: no keyword overhead
    memory: HandoffMemory,
    role: Role,
    text: str,
    index: int,
    ts: float | None,
    tokens: tuple[str, ...],
) -> None:
    """Remember a turn for a later handoff (the turn step calls this on every turn)."""
    kept = text[:TEXT_KEPT]
    memory.recent = remembered(
        memory.recent, RecentTurn(role.value, kept, index, ts), RECENT_TURNS_KEPT
    )
    if memory.goal is None and role is Role.USER and _substantive(tokens):
        memory.goal = kept  # the same string as the recent turn's: kept once
        memory.goal_turn = index


def _substantive(tokens: tuple[str, ...]) -> bool:
    """A request, not a greeting or a "yes": content words beyond the small talk."""
    content = content_words(tokens)
    words = 0 if not content else content.count(" ") + 1
    return words >= 2 or (words == 1 and len(tokens) >= 3)  # noqa: PLR2004 - "where is my order"
