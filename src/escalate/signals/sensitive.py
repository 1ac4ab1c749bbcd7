"""Sensitive topics: bereavement, serious illness, self-harm, fraud, hardship, abuse, legal.

These call for a person whatever the bot could do. The level is the most serious topic raised
(``lexicons/sensitive.yaml`` sets how serious each is); it fades over later user turns that do
not raise it again, so an offer stays open while the topic is fresh and then closes. A learned
fraud scorer (``signals._learned``) reads the reports of unrecognised payments and compromised
cards that no pattern names: on its own it is worth an offer, quoting its words as
``learned_fraud``.
"""

from __future__ import annotations

from typing import ClassVar, Final

from escalate.core import EVIDENCE_KEPT, ConversationState, SensitiveMemory
from escalate.models import Evidence, Role
from escalate.signals._context import matches as lexicon_matches
from escalate.signals._learned import intent_model
from escalate.signals.base import QUIET, SignalReading, TurnContext, evidence, evidence_from

__all__ = ["SensitiveTopicDetector"]

FADE_PER_USER_TURN: Final = 0.8
"""Each user turn without the topic keeps this share of the level."""
_NEGLIGIBLE: Final = 0.05
LEARNED_FRAUD_LEVEL: Final = 0.6
"""The level of a fraud report only the learned scorer reads: an offer, not a handoff."""


class SensitiveTopicDetector:
    """Scores the most serious sensitive topic raised so far."""

    name = "sensitive_topic"
    lexicons: ClassVar[frozenset[str]] = frozenset({"sensitive"})
    """The bundled lexicons ``observe`` reads (``signals.matches``)."""
    kinds_written: ClassVar[frozenset[str]] = frozenset({"learned_fraud"})
    memory: ClassVar[type[SensitiveMemory] | None] = SensitiveMemory
    """Its memory, kept in ``state.memories`` under its name and forgotten when a person hands
    back to the bot."""

    def __init__(self) -> None:
        intent_model("fraud")  # load the weights now, not on the first turn

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Raise the level to the topic found in a user turn, or let it fade."""
        memory = state.peek(self.name, SensitiveMemory)
        if turn.role is not Role.USER:
            return SignalReading(memory.level, tuple(memory.evidence))
        # Families scoring 0 only veto or give context: they are no topic of their own.
        matches = [m for m in lexicon_matches(turn, "sensitive") if m.score > 0.0]
        found = max((m.score for m in matches), default=0.0)
        learned = self._learned_fraud(turn) if found < LEARNED_FRAUD_LEVEL else []
        if learned:
            found = LEARNED_FRAUD_LEVEL
        if not found and memory.level == 0.0:
            return QUIET
        memory = state.memory(self.name, SensitiveMemory)
        faded = memory.level * FADE_PER_USER_TURN
        if found >= faded and found:
            ranked = sorted(matches, key=lambda m: -m.score)
            memory.level = found
            # The lexicon's kinds first: policy rules route on them ("unrecognised_transaction").
            memory.evidence = (*evidence_from(ranked, turn.index), *learned)[:EVIDENCE_KEPT]
        else:
            memory.level = faded if faded >= _NEGLIGIBLE else 0.0
            if memory.level == 0.0:
                memory.evidence = ()
        return SignalReading(memory.level, tuple(memory.evidence))

    @staticmethod
    def _learned_fraud(turn: TurnContext) -> list[Evidence]:
        """The learned scorer's words when it reads a fraud report, else nothing."""
        model = intent_model("fraud")
        scored = model.score(turn.text.raw, 0.0, turn.text.folded)
        if scored.probability < model.threshold:
            return []
        quoted = [evidence("learned_fraud", p.text, turn.index, p.span) for p in scored.pushes]
        return quoted or [
            evidence("learned_fraud", f"fraud scorer {scored.probability:.2f}", turn.index)
        ]
