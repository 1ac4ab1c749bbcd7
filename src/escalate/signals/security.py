"""Security dead ends: a necessary security step the customer cannot complete.

The detector follows which step is open (a code, a link, an identity check, a contact-detail
change, an account recovery), opened by either side, and counts *blockers*: lost access to the
phone or inbox the step relies on, a code that never arrives, a link that keeps expiring,
questions the customer cannot answer, the bot asking for the same step again. The first soft
blocker is worth an offer, a hard one (the device is gone) or a second one a handoff. Account
takeover ("someone changed my email") is a handoff on its own. A customer who pastes a code
and moves on is routine.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Final

from rapidfuzz import fuzz

from escalate.core import (
    TEXT_KEPT,
    ConversationState,
    SecurityMemory,
    newest_first,
)
from escalate.models import Evidence, Role
from escalate.signals._context import matches as lexicon_matches
from escalate.signals.base import QUIET, SignalReading, TurnContext, evidence, evidence_from

if TYPE_CHECKING:
    from escalate.signals._lexicon import LexiconMatch

__all__ = ["SecurityDeadEndDetector"]

STEP_OPEN_USER_TURNS: Final = 3
"""A step mentioned this many user turns ago still gives context to "it never arrived"."""
PROMPT_REPEAT_SIMILARITY: Final = 80.0
"""rapidfuzz token_sort_ratio above which the bot's step prompt counts as repeated."""
_BLOCKERS: Final = frozenset(
    {"lost_access", "lost_it", "missing_documents", "verification_failed", "stuck", "memory_failed"}
)
_NEED_OPEN_STEP: Final = frozenset({"stuck", "lost_it", "memory_failed"})
_HARD: Final = 0.8
"""Blockers scoring this much (lost access, no documents) leave no way through at all."""
_HOW_TO_FACTOR: Final = 0.6
_ESCALATION_STEP: Final = 0.5
"""Each further blocker or repeated prompt halves the distance to 1."""
_REPEATED_PROMPTS_ALONE: Final = 2
_CODE_PASTED = re.compile(r"(?<!\d)\d(?:[ -]?\d){3,7}(?!\d)")


class SecurityDeadEndDetector:
    """Scores how stuck the customer is in a security step."""

    name = "security_dead_end"
    lexicons: ClassVar[frozenset[str]] = frozenset({"security"})
    """The bundled lexicons ``observe`` reads (``signals.matches``)."""
    kinds_written: ClassVar[frozenset[str]] = frozenset({"step_repeated"})
    """Evidence kinds ``observe`` writes in code (lexicon kinds come from its lexicons)."""
    memory: ClassVar[type[SecurityMemory] | None] = SecurityMemory
    """Its memory, kept in ``state.memories`` under its name and forgotten when a person hands
    back to the bot."""

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Track the open step and its blockers; score the dead end."""
        memory = state.peek(self.name, SecurityMemory)
        if turn.role not in {Role.USER, Role.BOT}:
            return SignalReading(memory.level, tuple(memory.evidence))
        matches = lexicon_matches(turn, "security")
        if not matches and memory.step is None and memory.level == 0.0:
            return QUIET
        memory = state.memory(self.name, SecurityMemory)
        found: list[Evidence] = []
        if turn.role is Role.BOT:
            self._observe_bot(turn, memory, matches, found)
        else:
            self._observe_user(turn, memory, matches, found)
        memory.level = self._score(memory)
        if found:
            memory.evidence = newest_first(found, memory.evidence)
        elif memory.level == 0.0:
            memory.evidence = ()
        return SignalReading(memory.level, tuple(memory.evidence))

    @staticmethod
    def _observe_bot(
        turn: TurnContext,
        memory: SecurityMemory,
        matches: list[LexiconMatch],
        found: list[Evidence],
    ) -> None:
        if any(m.family == "bot_success" for m in matches) and not memory.takeover:
            memory.step = None
            memory.blockers = memory.prompt_repeats = 0
            memory.hard_blocker = False
            memory.prompt = ""
            return
        steps = [m for m in matches if m.family.startswith("step_")]
        if not steps:
            return
        prompt = turn.text.folded[:TEXT_KEPT]
        if (
            memory.prompt
            and fuzz.token_sort_ratio(prompt, memory.prompt) >= PROMPT_REPEAT_SIMILARITY
        ):
            memory.prompt_repeats += 1
            found.append(evidence("step_repeated", turn.text.raw[:TEXT_KEPT], turn.index))
        memory.step = steps[0].kind
        memory.step_user_turn = turn.user_turn
        memory.prompt = prompt
        memory.step_from_bot = True

    @staticmethod
    def _observe_user(
        turn: TurnContext,
        memory: SecurityMemory,
        matches: list[LexiconMatch],
        found: list[Evidence],
    ) -> None:
        families = {m.family for m in matches}
        stale = turn.user_turn - memory.last_blocker_user_turn > STEP_OPEN_USER_TURNS
        if memory.blockers and stale and not memory.takeover:
            # The conversation moved on from the step; an old blocker no longer counts.
            memory.blockers = memory.prompt_repeats = 0
            memory.hard_blocker = False
        takeover = [m for m in matches if m.family == "takeover"]
        if takeover:
            memory.takeover = True
            found.extend(evidence_from(takeover[:1], turn.index))
        steps = [m for m in matches if m.family.startswith("step_")]
        if steps and memory.step is None:
            memory.step = steps[0].kind
            memory.step_user_turn = turn.user_turn
            memory.step_from_bot = False
        elif steps:
            memory.step_user_turn = turn.user_turn
        step_open = memory.step is not None and (
            turn.user_turn - memory.step_user_turn <= STEP_OPEN_USER_TURNS
        )
        blockers = [
            m
            for m in matches
            if m.family in _BLOCKERS
            and (m.family not in _NEED_OPEN_STEP or step_open)
            and (m.family != "memory_failed" or memory.step_from_bot)
        ]
        if not blockers:
            progressed = "progress" in families or _CODE_PASTED.search(turn.text.raw) is not None
            if progressed and memory.step is not None and not memory.takeover:
                memory.step = None
                memory.blockers = memory.prompt_repeats = 0
                memory.hard_blocker = False
            return
        memory.blockers += 1
        memory.hard_blocker = memory.hard_blocker or any(m.score >= _HARD for m in blockers)
        memory.how_to = "how_to" in families and not memory.hard_blocker and memory.blockers == 1
        memory.last_blocker_user_turn = turn.user_turn
        if memory.step is None:
            memory.step = "verification"
            memory.step_user_turn = turn.user_turn
        found.extend(evidence_from(blockers[:2], turn.index))

    @staticmethod
    def _score(memory: SecurityMemory) -> float:
        if memory.takeover:
            return 1.0
        if memory.blockers == 0:
            if memory.prompt_repeats >= _REPEATED_PROMPTS_ALONE:
                return 0.6
            return 0.0
        base = 0.8 if memory.hard_blocker else 0.6
        if memory.how_to:
            base *= _HOW_TO_FACTOR
        further = memory.blockers - 1 + memory.prompt_repeats
        return 1.0 - (1.0 - base) * _ESCALATION_STEP**further
