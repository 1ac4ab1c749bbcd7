"""Explicit requests for a human, and the customer's answers about one.

Phrasings come from ``lexicons/human_request.yaml`` (seven languages, typos corrected before
matching). Beyond requests the detector reports three cues the policy acts on:

- ``opt_out``: "please don't transfer me", "no need for a human";
- ``offer_declined``: "no thanks" right after a human was offered;
- ``human_offered``: a bot turn offering a human (so "yes" next counts as a request).

A plain "yes" only counts as a request while an offer is pending, so answering the bot's own
question ("does this look right?" "yes") never hands the customer off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final

from escalate.core import (
    BOT_QUESTION,
    EVIDENCE_KEPT,
    HUMAN_OFFERED,
    OFFER_DECLINED,
    OPT_OUT,
    ConversationState,
    HumanRequestMemory,
)
from escalate.models import Role
from escalate.signals._context import matches as lexicon_matches
from escalate.signals.base import QUIET, SignalReading, TurnContext, evidence, evidence_from

if TYPE_CHECKING:
    from collections.abc import Sequence

    from escalate.signals._lexicon import LexiconMatch

__all__ = ["BOT_QUESTION", "HUMAN_OFFERED", "OFFER_DECLINED", "OPT_OUT", "HumanRequestDetector"]


_REQUESTS: Final = frozenset({"direct_request", "short_request", "is_it_a_bot"})
_REPEATED_REQUEST: Final = 1.0
_COUNTS_AS_REQUEST: Final = 0.5
"""Level from which a turn counts as asking for a human (so a second one is a repeat)."""


class HumanRequestDetector:
    """Scores how clearly the customer asks for a person."""

    name = "human_request"
    lexicons: ClassVar[frozenset[str]] = frozenset({"human_request"})
    """The bundled lexicons ``observe`` reads (``signals.matches``)."""
    kinds_written: ClassVar[frozenset[str]] = frozenset({"repeated_request"})
    """Evidence kinds ``observe`` writes in code (lexicon kinds come from its lexicons)."""
    memory: ClassVar[type[HumanRequestMemory] | None] = HumanRequestMemory
    """Its memory, kept in ``state.memories`` under its name and forgotten when a person hands
    back to the bot."""

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Score a user turn; note offers and questions on bot turns."""
        memory = state.peek(self.name, HumanRequestMemory)
        if turn.role is Role.BOT:
            return SignalReading(memory.level, tuple(memory.evidence), self._bot_cues(turn))
        if turn.role is not Role.USER:
            return SignalReading(memory.level, tuple(memory.evidence))
        matches = lexicon_matches(turn, "human_request")
        if not matches:
            if memory.level or memory.evidence:  # the shared default has nothing to clear
                memory.level = 0.0
                memory.evidence = ()
            return QUIET
        memory = state.memory(self.name, HumanRequestMemory)
        requests = [m for m in matches if m.family in _REQUESTS]
        pending = turn.offer_pending
        if pending:
            requests += [m for m in matches if m.family == "offer_accepted"]
        cues = set() if requests else self._answer_cues(matches, pending=pending)
        level = max((m.score for m in requests), default=0.0)
        found = list(evidence_from(requests, turn.index))
        if level >= _COUNTS_AS_REQUEST:
            memory.requests += 1
            if memory.requests > 1:
                # Asking again after being asked once is as clear as it gets.
                level = _REPEATED_REQUEST
                found.append(
                    evidence("repeated_request", f"request number {memory.requests}", turn.index)
                )
        opt_outs = [m for m in matches if m.family == "opt_out"] if OPT_OUT in cues else []
        memory.level = level
        memory.evidence = tuple(found[:EVIDENCE_KEPT])
        return SignalReading(
            level, tuple(found) + evidence_from(opt_outs, turn.index), frozenset(cues)
        )

    @staticmethod
    def _bot_cues(turn: TurnContext) -> frozenset[str]:
        """A bot turn offering a person, or asking the customer something."""
        if any(m.family == "human_offered" for m in lexicon_matches(turn, "human_request")):
            return frozenset({HUMAN_OFFERED})
        return frozenset({BOT_QUESTION}) if "?" in turn.text.raw else frozenset()

    @staticmethod
    def _answer_cues(matches: Sequence[LexiconMatch], *, pending: bool) -> set[str]:
        """What a turn that asks for nobody says about a person: stay with the bot, or no."""
        cues: set[str] = set()
        if any(m.family == "opt_out" for m in matches):
            cues.add(OPT_OUT)
        if pending and any(m.family == "offer_declined" for m in matches):
            cues.add(OFFER_DECLINED)
        return cues
