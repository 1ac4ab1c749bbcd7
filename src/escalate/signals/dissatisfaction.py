"""Dissatisfaction in the exchange: the customer pushing back on what the bot said or did.

What is not in the words but in the dialogue: "as I said", "are you sure?", "try again",
"no, I said Thursday", a bare "??" after the bot's question. Pushback weighs more right after the
bot said it could not do what was asked, or repeated itself, and more again when the customer
keeps pushing. The level persists, fading, while the problem is unresolved, so an offer is not
withdrawn the moment the customer stops repeating the words; a calm, positive turn ends it.

The signal is dialogue-level by construction: a turn with no bot turn before it (an opening
message, a text scored alone) stays below the default offer threshold whatever it says.
Phrasings come from ``lexicons/dissatisfaction.yaml`` (``pushback``, ``bot_failure``), the
loop lexicon's ``correction`` family and, right after a bot failure, the stress lexicon's
sarcastic praise.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Final

from escalate.core import DissatisfactionMemory, Role, newest_first, remembered_flag
from escalate.signals._context import matches as lexicon_matches
from escalate.signals._context import sentiment
from escalate.signals.base import SignalReading, TurnContext, evidence, evidence_from, noisy_or

if TYPE_CHECKING:
    from escalate.core import ConversationState, Evidence

__all__ = ["DissatisfactionDetector"]

LEXICON: Final = "dissatisfaction"
_QUESTION_MARKS = re.compile(r"\s*\?[?!\s]*")
_CORRECTION: Final = 0.3
_QUESTION_MARKS_SCORE: Final = 0.5
_AFTER_FAILURE: Final = 0.35
"""Pushback right after the bot failed or repeated itself."""
_PUSHING_AGAIN: Final = 0.3
"""Pushback again within the last few user turns."""
_ALONE_CAP: Final = 0.4
"""The most a turn with no bot turn before it can reach: below the default offer."""
_FADE: Final = 0.75
"""What is left of the level on an unresolved turn that does not push back."""
_RESOLVED_SENTIMENT: Final = 0.3
"""VADER compound from which a turn with no pushback reads as the problem resolved."""
_WINDOW: Final = 3
_BOT_FAILURES: Final = frozenset({"bot_repeat", "bot_fallback"})
_PUSHBACK: Final = frozenset({"pushback", "doubt"})
_SARCASM: Final = frozenset({"sarcasm", "sarcasm_cue"})
"""Stress-lexicon families of sarcastic praise: right after the bot failed or repeated itself,
"wow, really helpful" is pushback, not the problem resolved, unless the thanks name what the bot
gave (``earnest_thanks``)."""


class DissatisfactionDetector:
    """Scores how much the customer pushes back on the bot."""

    name = "dissatisfaction"
    lexicons: ClassVar[frozenset[str]] = frozenset({LEXICON, "loop", "stress"})
    """The bundled lexicons ``observe`` reads (``signals.matches``)."""
    kinds_written: ClassVar[frozenset[str]] = frozenset(
        {"after_bot_failure", "pushing_again", "question_marks"}
    )
    """Evidence kinds ``observe`` writes in code (lexicon kinds come from its lexicons)."""
    memory: ClassVar[type[DissatisfactionMemory] | None] = DissatisfactionMemory
    """Its memory, kept in ``state.memories`` under its name and forgotten when a person hands
    back to the bot."""

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Note what the bot said on bot turns; score pushback on user turns."""
        memory = state.memory(self.name, DissatisfactionMemory)
        if turn.role is Role.BOT:
            memory.bot_spoke = True
            memory.bot_failed = self._bot_failed(turn)
        elif turn.role is Role.USER:
            found = self._observe_user(turn, memory)
            if found:
                memory.evidence = newest_first(found, memory.evidence)
            elif memory.level == 0.0:
                memory.evidence = ()
        return SignalReading(memory.level, tuple(memory.evidence))

    @staticmethod
    def _bot_failed(turn: TurnContext) -> bool:
        if any(m.family == "bot_failure" for m in lexicon_matches(turn, LEXICON)):
            return True
        loop = turn.readings.get("loop")  # the loop detector runs first and sees repeats
        return loop is not None and any(
            item.kind in _BOT_FAILURES and item.turn_index == turn.index for item in loop.evidence
        )

    def _observe_user(self, turn: TurnContext, memory: DissatisfactionMemory) -> list[Evidence]:
        own = lexicon_matches(turn, LEXICON)
        # The strongest counts whole, the rest a quarter.
        pushback = [m for m in own if m.family in _PUSHBACK]
        if memory.bot_failed and not any(m.family == "earnest_thanks" for m in own):
            pushback.extend(m for m in own if m.family == "hollow_praise")
            pushback.extend(m for m in lexicon_matches(turn, "stress") if m.family in _SARCASM)
        pushback.sort(key=lambda m: -m.score)
        rejections = [m for m in own if m.family == "rejection"]
        corrections = rejections or [
            m for m in lexicon_matches(turn, "loop") if m.family == "correction"
        ]
        found = list(evidence_from(pushback + corrections, turn.index))
        components = []
        if pushback:
            score = pushback[0].score
            components.extend([score] + [score / 4] * (len(pushback) - 1))
        if corrections:
            components.append(_CORRECTION)
        if memory.bot_spoke and _QUESTION_MARKS.fullmatch(turn.text.raw):
            components.append(_QUESTION_MARKS_SCORE)
            found.append(evidence("question_marks", turn.text.raw.strip(), turn.index))
        pushed = bool(components)
        if pushed and memory.bot_failed:
            components.append(_AFTER_FAILURE)
            found.append(evidence("after_bot_failure", "the bot could not help", turn.index))
        if pushed and any(memory.pushes[-(_WINDOW - 1) :]):
            components.append(_PUSHING_AGAIN)
            found.append(evidence("pushing_again", "pushed back again", turn.index))
        memory.pushes = remembered_flag(memory.pushes, pushed, _WINDOW)
        level = noisy_or(components)
        if not memory.bot_spoke:
            level = min(level, _ALONE_CAP)
        if pushed:
            level = max(level, memory.level)
        elif sentiment(turn) >= _RESOLVED_SENTIMENT:
            level = 0.0
        else:
            level = memory.level * _FADE
        memory.level = round(level, 4)
        return found
