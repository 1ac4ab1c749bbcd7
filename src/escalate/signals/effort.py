"""Effort: a long conversation that is going nowhere.

Length alone is not a problem (a customer ordering with many questions is doing fine), so the
level grows with the number of user turns (or minutes, when turns carry times) past a soft
limit, scaled by how much the conversation goes nowhere: loops, sustained stress, and the bot
asking "anything else?" again and again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final

from escalate.core import WRAP_UP, EffortMemory, StressMemory
from escalate.signals.base import QUIET, SignalReading, TurnContext, evidence

if TYPE_CHECKING:
    from escalate.core import ConversationState

__all__ = ["EffortDetector"]

SOFT_LIMIT_USER_TURNS: Final = 10
FULL_EFFORT_USER_TURNS: Final = 25
SOFT_LIMIT_MINUTES: Final = 20.0
FULL_EFFORT_MINUTES: Final = 60.0
_WRAP_UPS_FOR_NOWHERE: Final = 3
_BASELINE_SHARE: Final = 0.3
"""Share of the length-based level that counts even when nothing says "going nowhere"."""


def _ramp(value: float, start: float, full: float) -> float:
    return min(1.0, max(0.0, (value - start) / (full - start)))


class EffortDetector:
    """Scores how much the customer has had to put in for nothing (runs after ``loop``)."""

    name = "effort"
    lexicons: ClassVar[frozenset[str]] = frozenset()
    """The bundled lexicons ``observe`` reads (``signals.matches``)."""
    kinds_written: ClassVar[frozenset[str]] = frozenset({"long_conversation", "wrap_up_prompts"})
    """Evidence kinds ``observe`` writes in code (lexicon kinds come from its lexicons)."""
    memory: ClassVar[type[EffortMemory] | None] = EffortMemory
    """Its memory, kept in ``state.memories`` under its name and forgotten when a person hands
    back to the bot."""

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Score the conversation's length against its lack of progress."""
        memory = state.peek(self.name, EffortMemory)
        loop = turn.readings.get("loop")
        if loop is not None and WRAP_UP in loop.cues:
            memory = state.memory(self.name, EffortMemory)
            memory.wrap_up_prompts += 1
        length = _ramp(state.user_turns, SOFT_LIMIT_USER_TURNS, FULL_EFFORT_USER_TURNS)
        minutes = 0.0
        if state.first_ts is not None and state.last_ts is not None:
            minutes = (state.last_ts - state.first_ts) / 60.0
        length = max(length, _ramp(minutes, SOFT_LIMIT_MINUTES, FULL_EFFORT_MINUTES))
        if length == 0.0:
            if memory.level:  # the shared default's level is 0 already
                memory.level = 0.0
            return QUIET
        memory = state.memory(self.name, EffortMemory)
        nowhere = max(
            0.0 if loop is None else loop.score,
            state.peek("stress", StressMemory).average,
            min(1.0, memory.wrap_up_prompts / _WRAP_UPS_FOR_NOWHERE),
        )
        memory.level = length * (_BASELINE_SHARE + (1 - _BASELINE_SHARE) * nowhere)
        length_note = f"{state.user_turns} user turns" + (
            f", {minutes:.0f} minutes" if minutes else ""
        )
        found = [evidence("long_conversation", length_note, turn.index)]
        if memory.wrap_up_prompts:
            note = f'bot asked "anything else?" {memory.wrap_up_prompts} times'
            found.append(evidence("wrap_up_prompts", note, turn.index))
        return SignalReading(memory.level, tuple(found))
