"""Sensitive topics: bereavement, serious illness, self-harm, fraud, hardship, abuse, legal.

These call for a person whatever the bot could do. The level is the most serious topic raised
(``lexicons/sensitive.yaml`` sets how serious each is); it fades over later user turns that do
not raise it again, so an offer stays open while the topic is fresh and then closes.
"""

from __future__ import annotations

from typing import Final

from escalate.models import Role
from escalate.signals._context import matches as lexicon_matches
from escalate.signals.base import QUIET, SignalReading, TurnContext, evidence_from
from escalate.state.conversation import EVIDENCE_KEPT, ConversationState

__all__ = ["SensitiveTopicDetector"]

FADE_PER_USER_TURN: Final = 0.8
"""Each user turn without the topic keeps this share of the level."""
_NEGLIGIBLE: Final = 0.05


class SensitiveTopicDetector:
    """Scores the most serious sensitive topic raised so far."""

    name = "sensitive_topic"

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Raise the level to the topic found in a user turn, or let it fade."""
        memory = state.sensitive
        if turn.role is not Role.USER:
            return SignalReading(memory.level, tuple(memory.evidence))
        # Families scoring 0 only veto or give context: they are no topic of their own.
        matches = [m for m in lexicon_matches(turn, "sensitive") if m.score > 0.0]
        if not matches and memory.level == 0.0:
            return QUIET
        faded = memory.level * FADE_PER_USER_TURN
        found = max((m.score for m in matches), default=0.0)
        if found >= faded and matches:
            ranked = sorted(matches, key=lambda m: -m.score)
            memory.level = found
            memory.evidence = list(evidence_from(ranked, turn.index))[:EVIDENCE_KEPT]
        else:
            memory.level = faded if faded >= _NEGLIGIBLE else 0.0
            if memory.level == 0.0:
                memory.evidence = []
        return SignalReading(memory.level, tuple(memory.evidence))
