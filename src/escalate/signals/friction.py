"""Unnecessary friction: a cancellation the bot keeps answering with offers to stay.

Security friction is fine; a plain request answered again and again with something else is
not. Once the customer asked to cancel, every bot turn that answers with a retention offer
("before you go, 50% off?") counts, and so does the customer asking again. The level moves on
the customer's turns, the answer to those offers: an offer of a person made on the bot's turn
would be read as declined by the "no" that answers the retention offer. A bot turn that
confirms the cancellation ends it. Phrasings: ``lexicons/dissatisfaction.yaml``
(``cancel_request``, ``retention_offer``, ``cancelled``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final

from escalate.core import QUIET, FrictionMemory, Role, newest_first
from escalate.signals._context import matches as lexicon_matches
from escalate.signals.base import SignalReading, TurnContext, evidence, evidence_from, noisy_or

if TYPE_CHECKING:
    from escalate.core import ConversationState, Evidence

__all__ = ["FrictionDetector"]

_LEXICON: Final = "dissatisfaction"
_RETENTION_LEVELS: Final = (0.0, 0.3, 0.6, 0.85)
"""Level by retention replies to the open cancellation: 1, 2, 3 or more."""
_REPEATED_REQUEST: Final = 0.2


class FrictionDetector:
    """Scores a cancellation that keeps being answered with offers."""

    name = "friction"
    lexicons: ClassVar[frozenset[str]] = frozenset({_LEXICON})
    """The bundled lexicons ``observe`` reads (``signals.matches``)."""
    kinds_written: ClassVar[frozenset[str]] = frozenset({"repeated_cancel_request"})
    """Evidence kinds ``observe`` writes in code (lexicon kinds come from its lexicons)."""
    memory: ClassVar[type[FrictionMemory] | None] = FrictionMemory
    """Its memory, kept in ``state.memories`` under its name and forgotten when a person hands
    back to the bot."""

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Follow the cancellation request and the bot's answers to it."""
        # Most conversations never cancel: their memory is the shared default, only read.
        memory = state.peek(self.name, FrictionMemory)
        families = {m.family: m for m in lexicon_matches(turn, _LEXICON)}
        found: list[Evidence] = []
        if turn.role is Role.USER and "cancel_request" in families:
            memory = state.memory(self.name, FrictionMemory)
            if memory.retention_replies:
                memory.repeated_requests += 1
                found.append(
                    evidence(
                        "repeated_cancel_request",
                        f"cancellation asked again ({memory.repeated_requests + 1} times)",
                        turn.index,
                    )
                )
            memory.cancel_requested = True
        elif turn.role is Role.BOT and memory.cancel_requested:
            if "cancelled" in families:
                state.memories.pop(self.name, None)  # absent is the default
                return QUIET
            if "retention_offer" in families:
                memory.retention_replies += 1
                found.extend(evidence_from([families["retention_offer"]], turn.index))
        if turn.role is not Role.USER or not memory.retention_replies:
            if found:
                memory.evidence = newest_first(found, memory.evidence)
            return SignalReading(memory.level, tuple(memory.evidence)) if memory.level else QUIET
        replies = min(memory.retention_replies, len(_RETENTION_LEVELS) - 1)
        level = noisy_or(
            [_RETENTION_LEVELS[replies], *[_REPEATED_REQUEST] * memory.repeated_requests]
        )
        memory.level = round(level, 4)
        if found:
            memory.evidence = newest_first(found, memory.evidence)
        return SignalReading(memory.level, tuple(memory.evidence))
