"""Loops: the bot repeating itself, falling back, and the customer asking again.

Repetition is measured with rapidfuzz on the last few bot and user texts (content words only,
so "when will my card arrive" and "when does my card arrive???" compare as equal). Fallback
replies, insistence ("I already told you") and corrections ("refund, not change") come from
``lexicons/loop.yaml``. The signal rises with the number of repeats in a short window and most
when both sides repeat: that is a conversation going in circles.
"""

from __future__ import annotations

from typing import ClassVar, Final

from rapidfuzz import fuzz, process

from escalate.core import (
    RECENT_TEXTS,
    TEXT_KEPT,
    WRAP_UP,
    ConversationState,
    LoopMemory,
    content_words,
    newest_first,
    remembered,
    remembered_flag,
)
from escalate.models import Evidence, Role
from escalate.signals._context import matches as lexicon_matches
from escalate.signals.base import SignalReading, TurnContext, evidence, evidence_from, noisy_or

__all__ = ["WRAP_UP", "LoopDetector", "content_words"]


BOT_REPEAT_SIMILARITY: Final = 75.0
"""rapidfuzz token_sort_ratio (0-100) of content words above which two bot replies say the same."""
USER_REPEAT_SIMILARITY: Final = 75.0
"""Same for two user turns."""
_MIN_CONTENT_WORDS: Final = 2
_WINDOW: Final = 3

# Levels by count within the window: 1, 2, 3 or more.
_FALLBACK_LEVELS: Final = (0.0, 0.25, 0.6, 0.92)
_BOT_REPEAT_LEVELS: Final = (0.0, 0.4, 0.7, 0.85)
_USER_REPEAT_LEVELS: Final = (0.0, 0.35, 0.6, 0.8)
_CORRECTION_SCORE: Final = 0.25
_BOTH_SIDES_FLOOR: Final = 0.65
_FALLBACKS_FOR_A_LOOP: Final = 2


def _repeats(content: str, earlier: tuple[str, ...], cutoff: float) -> bool:
    """Whether ``content`` says what one of the earlier texts said (content words compared)."""
    # Short texts ("yes", "ok thanks", "Okay.") repeat all the time without saying the same thing.
    if content.count(" ") + 1 < _MIN_CONTENT_WORDS:
        return False
    comparable = [text for text in earlier if text.count(" ") + 1 >= _MIN_CONTENT_WORDS]
    if not comparable:
        return False
    return (
        process.extractOne(content, comparable, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff)
        is not None
    )


_QUESTION_WORDS: Final = frozenset({"where", "when", "why", "what", "how", "who", "which"})
_SHORT_QUESTION_WORDS: Final = 2


def _asks_again(turn: TurnContext, content: str, earlier: tuple[str, ...]) -> bool:
    """Whether a short question asks about the one thing an earlier turn asked about.

    "where is my parcel" has a single content word, too few for ``_repeats``; a question of
    at most two content words that holds it ("WHERE IS MY PARCEL", "but where exactly is my
    parcel?") asks it again.
    """
    words = content.split()
    if not words or len(words) > _SHORT_QUESTION_WORDS:
        return False
    tokens = turn.text.tokens
    if "?" not in turn.text.raw and _QUESTION_WORDS.isdisjoint(tokens[:2]):
        return False
    return any(" " not in text and text in words for text in earlier)


def _restates_detail(content: str, earlier: tuple[str, ...], bot_reply: str) -> bool:
    """Whether ``content`` restates a detail the bot's repeated reply still leaves out.

    The detail has a digit (a date, an amount, a reference: "THE 14TH") and the customer gave it
    in an earlier turn. Asked only after the bot repeated itself: restating a detail is how a
    customer answers a bot that ignores it, however the rest of the turn is worded.
    """
    details = {word for word in content.split() if any(char.isdigit() for char in word)}
    if not details:
        return False
    given = {word for text in earlier for word in text.split()}
    return not (details & given).issubset(bot_reply.split())


def _level(levels: tuple[float, ...], count: int) -> float:
    return levels[min(count, len(levels) - 1)]


class LoopDetector:
    """Scores how much the conversation goes in circles."""

    name = "loop"
    lexicons: ClassVar[frozenset[str]] = frozenset({"loop"})
    """The bundled lexicons ``observe`` reads (``signals.matches``)."""
    kinds_written: ClassVar[frozenset[str]] = frozenset({"bot_repeat", "user_repeat"})
    """Evidence kinds ``observe`` writes in code (lexicon kinds come from its lexicons)."""
    memory: ClassVar[type[LoopMemory] | None] = LoopMemory
    """Its memory, kept in ``state.memories`` under its name and forgotten when a person hands
    back to the bot."""

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Update the repeat window with this turn and score it."""
        memory = state.memory(self.name, LoopMemory)
        found: list[Evidence] = []
        cues: frozenset[str] = frozenset()
        if turn.role is Role.BOT:
            if self._observe_bot(turn, memory, found):
                cues = frozenset({WRAP_UP})
        elif turn.role is Role.USER:
            self._observe_user(turn, memory, found)
        else:
            return SignalReading(memory.level, tuple(memory.evidence))
        level = self._score(memory)
        memory.level = level
        if found:
            memory.evidence = newest_first(found, memory.evidence)
        elif level == 0.0:
            memory.evidence = ()
        return SignalReading(level, tuple(memory.evidence), cues)

    def _observe_bot(self, turn: TurnContext, memory: LoopMemory, found: list[Evidence]) -> bool:
        """Record a bot turn; return whether it asks "anything else?"."""
        matches = lexicon_matches(turn, "loop")
        fallback = [m for m in matches if m.family == "fallback"]
        text = content_words(turn.text.tokens)[:TEXT_KEPT]
        repeated = _repeats(text, memory.bot_texts, BOT_REPEAT_SIMILARITY)
        memory.fallback_streak = memory.fallback_streak + 1 if fallback else 0
        if fallback:
            found.extend(evidence_from(fallback[:1], turn.index))
        elif repeated:
            found.append(evidence("bot_repeat", turn.text.raw[:TEXT_KEPT], turn.index))
        memory.bot_texts = remembered(memory.bot_texts, text, RECENT_TEXTS)
        # A fallback is counted by its streak; as a repeat it would count twice.
        memory.bot_repeats = remembered_flag(
            memory.bot_repeats, repeated and not fallback, RECENT_TEXTS
        )
        return any(m.family == "wrap_up" for m in matches)

    def _observe_user(self, turn: TurnContext, memory: LoopMemory, found: list[Evidence]) -> None:
        matches = lexicon_matches(turn, "loop")
        insists = [m for m in matches if m.family == "insistence"]
        corrects = [m for m in matches if m.family == "correction"]
        content = content_words(turn.text.tokens)[:TEXT_KEPT]
        repeated = _repeats(content, memory.user_texts, USER_REPEAT_SIMILARITY) or (
            _asks_again(turn, content, memory.user_texts)
        )
        if not repeated and memory.bot_repeats and memory.bot_repeats[-1]:
            repeated = _restates_detail(content, memory.user_texts, memory.bot_texts[-1])
        if repeated:
            found.append(evidence("user_repeat", turn.text.raw[:TEXT_KEPT], turn.index))
        found.extend(evidence_from(insists + corrects, turn.index))
        if not (repeated or insists or corrects) and any(m.family == "satisfied" for m in matches):
            # Thanks for an answer close the circle: later turns start a fresh window.
            memory.bot_repeats = memory.user_repeats = memory.corrections = ()
        memory.user_texts = remembered(memory.user_texts, content, RECENT_TEXTS)
        memory.user_repeats = remembered_flag(
            memory.user_repeats, repeated or bool(insists), RECENT_TEXTS
        )
        memory.corrections = remembered_flag(memory.corrections, bool(corrects), RECENT_TEXTS)

    @staticmethod
    def _score(memory: LoopMemory) -> float:
        bot_repeats = sum(memory.bot_repeats[-_WINDOW:])
        user_repeats = sum(memory.user_repeats[-_WINDOW:])
        corrections = sum(memory.corrections[-_WINDOW:])
        level = noisy_or(
            [
                _level(_FALLBACK_LEVELS, memory.fallback_streak),
                _level(_BOT_REPEAT_LEVELS, bot_repeats),
                _level(_USER_REPEAT_LEVELS, user_repeats),
                *([_CORRECTION_SCORE] * corrections),
            ]
        )
        # One fallback followed by a rephrase is how bots recover; a second one is not.
        bot_side = bot_repeats > 0 or memory.fallback_streak >= _FALLBACKS_FOR_A_LOOP
        if bot_side and (user_repeats > 0 or corrections > 0):
            # Both sides repeating is the loop itself, whatever each side's count.
            level = max(level, _BOTH_SIDES_FLOOR)
        return level
