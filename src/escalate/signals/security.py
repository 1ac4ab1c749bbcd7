"""Security dead ends: a necessary security step the customer cannot complete.

The detector follows one security step at a time (a code, a link, an identity check, a
contact-detail change, an account recovery), opened by either side, as a small state machine.
Its phase is derived from ``SecurityMemory`` by ``phase`` and never stored, so saved
conversations load as they always did::

    NO_STEP --bot asks / customer names a step--> STEP_OPEN --blocker--> BLOCKED (soft | hard)
    STEP_OPEN, BLOCKED --bot confirms success / customer shows progress--> NO_STEP
    BLOCKED --a user turn over STEP_OPEN_USER_TURNS after the last blocker (stale)--> STEP_OPEN
    any phase --takeover--> TAKEN_OVER

A blocker with no step open opens a generic ``verification`` step, straight into BLOCKED.
Blockers: lost access to the phone or inbox the step relies on, a code that never arrives, a
link that keeps expiring, questions the customer cannot answer; each time the bot asks for the
same step again counts beside them. TAKEN_OVER stays until a person hands back to the bot (the
memory is then forgotten): steps and blockers are still recorded for the handoff summary, but
nothing closes them. The first soft blocker is worth an offer, a hard one (the device is gone)
or a second one a handoff; a takeover is a handoff on its own. A customer who pastes a code and
moves on is routine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
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
from escalate.signals._lexicon import LexiconMatch
from escalate.signals.base import QUIET, SignalReading, TurnContext, evidence, evidence_from

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Event", "Phase", "SecurityDeadEndDetector", "phase"]

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
_UNNAMED_STEP: Final = "verification"
"""The step a blocker opens when none was named ("I never got the code")."""


class Phase(Enum):
    """Where the security step stands (derived from ``SecurityMemory`` by ``phase``)."""

    NO_STEP = "no_step"
    STEP_OPEN = "step_open"
    SOFT_BLOCKED = "soft_blocked"
    HARD_BLOCKED = "hard_blocked"
    TAKEN_OVER = "taken_over"


class Event(Enum):
    """What a turn can say about the security step, in the order a turn's events apply."""

    BOT_SUCCESS = "bot_success"
    """The bot confirms the step succeeded ("you're verified")."""
    BOT_ASKS = "bot_asks"
    """The bot asks for a step."""
    BOT_ASKS_AGAIN = "bot_asks_again"
    """The bot sends the prompt it sent last time."""
    STEP_STALE = "step_stale"
    """A user turn more than ``STEP_OPEN_USER_TURNS`` user turns after the last blocker."""
    TAKEOVER = "takeover"
    """The customer reports someone else in their account."""
    USER_NAMES_STEP = "user_names_step"
    """The customer names a step."""
    USER_BLOCKED = "user_blocked"
    """The customer reports a blocker that counts (see ``_counting``)."""
    USER_PROGRESS = "user_progress"
    """The customer says it worked, or pastes a code, with no blocker."""


def phase(memory: SecurityMemory) -> Phase:
    """The phase of the step ``memory`` follows."""
    if memory.takeover:
        return Phase.TAKEN_OVER
    if memory.step is None:
        # A blocker always leaves a step open (``_UNNAMED_STEP`` if none was), so no blockers.
        return Phase.NO_STEP
    if memory.blockers:
        return Phase.HARD_BLOCKED if memory.hard_blocker else Phase.SOFT_BLOCKED
    return Phase.STEP_OPEN


@dataclass(frozen=True, slots=True)
class _Said:
    """What one turn says about the step: the events' payload."""

    user_turn: int
    step: str | None = None
    """Kind of the first step named (``code``, ``link``...)."""
    prompt: str = ""
    """Bot turns: the text, folded, to notice the same prompt sent again."""
    success: bool = False
    takeover: tuple[LexiconMatch, ...] = ()
    blockers: tuple[LexiconMatch, ...] = ()
    """Blocker matches, before ``_counting`` keeps those that count."""
    how_to: bool = False
    progressed: bool = False


def _clear_blockers(memory: SecurityMemory, _said: _Said) -> None:
    memory.blockers = memory.prompt_repeats = 0
    memory.hard_blocker = False


def _close_step(memory: SecurityMemory, said: _Said) -> None:
    # The prompt is kept: the bot sending it again after the customer answered is a repeat.
    memory.step = None
    _clear_blockers(memory, said)


def _bot_succeeds(memory: SecurityMemory, said: _Said) -> None:
    # Confirmed: the next prompt, even the same words, starts a new step.
    _close_step(memory, said)
    memory.prompt = ""


def _bot_asks(memory: SecurityMemory, said: _Said) -> None:
    memory.step = said.step
    memory.step_user_turn = said.user_turn
    memory.prompt = said.prompt
    memory.step_from_bot = True


def _bot_asks_again(memory: SecurityMemory, said: _Said) -> None:
    memory.prompt_repeats += 1
    _bot_asks(memory, said)


def _take_over(memory: SecurityMemory, _said: _Said) -> None:
    memory.takeover = True


def _user_names_step(memory: SecurityMemory, said: _Said) -> None:
    if memory.step is None:
        memory.step = said.step
        memory.step_from_bot = False
    # Naming the open step again keeps its kind and who asked; it only keeps it open.
    memory.step_user_turn = said.user_turn


def _user_blocked(memory: SecurityMemory, said: _Said) -> None:
    memory.blockers += 1
    memory.hard_blocker = memory.hard_blocker or any(m.score >= _HARD for m in said.blockers)
    # A how-to question only softens a first, soft blocker.
    memory.how_to = said.how_to and not memory.hard_blocker and memory.blockers == 1
    memory.last_blocker_user_turn = said.user_turn
    if memory.step is None:
        memory.step = _UNNAMED_STEP
        memory.step_user_turn = said.user_turn


_ANY: Final = frozenset(Phase)
_OPEN: Final = frozenset({Phase.STEP_OPEN, Phase.SOFT_BLOCKED, Phase.HARD_BLOCKED})
_BLOCKED: Final = frozenset({Phase.SOFT_BLOCKED, Phase.HARD_BLOCKED})
_Transition = Callable[[SecurityMemory, _Said], None]
_TRANSITIONS: Final[Mapping[Event, tuple[frozenset[Phase], _Transition]]] = {
    # Event: (the phases it applies in, the transition). Nothing leaves TAKEN_OVER.
    Event.BOT_SUCCESS: (_ANY - {Phase.TAKEN_OVER}, _bot_succeeds),
    Event.BOT_ASKS: (_ANY, _bot_asks),
    Event.BOT_ASKS_AGAIN: (_ANY, _bot_asks_again),
    Event.STEP_STALE: (_BLOCKED, _clear_blockers),
    Event.TAKEOVER: (_ANY, _take_over),
    Event.USER_NAMES_STEP: (_ANY, _user_names_step),
    Event.USER_BLOCKED: (_ANY, _user_blocked),
    Event.USER_PROGRESS: (_OPEN, _close_step),
}


def _fire(event: Event, memory: SecurityMemory, said: _Said) -> bool:
    """Apply ``event``'s transition if the step's phase allows it; whether it did."""
    phases, transition = _TRANSITIONS[event]
    if phase(memory) not in phases:
        return False
    transition(memory, said)
    return True


def _first_step(matches: list[LexiconMatch]) -> str | None:
    return next((m.kind for m in matches if m.family.startswith("step_")), None)


def _read_bot(turn: TurnContext, matches: list[LexiconMatch]) -> _Said:
    return _Said(
        turn.user_turn,
        step=_first_step(matches),
        prompt=turn.text.folded[:TEXT_KEPT],
        success=any(m.family == "bot_success" for m in matches),
    )


def _read_user(turn: TurnContext, matches: list[LexiconMatch]) -> _Said:
    families = {m.family for m in matches}
    return _Said(
        turn.user_turn,
        step=_first_step(matches),
        takeover=tuple(m for m in matches if m.family == "takeover"),
        blockers=tuple(m for m in matches if m.family in _BLOCKERS),
        how_to="how_to" in families,
        progressed="progress" in families or _CODE_PASTED.search(turn.text.raw) is not None,
    )


def _counting(said: _Said, memory: SecurityMemory) -> tuple[LexiconMatch, ...]:
    """The blockers that count: vague ones need a recent step, "I don't remember" a bot's."""
    step_open = memory.step is not None and (
        said.user_turn - memory.step_user_turn <= STEP_OPEN_USER_TURNS
    )
    return tuple(
        m
        for m in said.blockers
        if (m.family not in _NEED_OPEN_STEP or step_open)
        and (m.family != "memory_failed" or memory.step_from_bot)
    )


def _repeats_prompt(memory: SecurityMemory, said: _Said) -> bool:
    return bool(memory.prompt) and (
        fuzz.token_sort_ratio(said.prompt, memory.prompt) >= PROMPT_REPEAT_SIMILARITY
    )


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
        """Move the step through this turn's events; score the dead end."""
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
        said = _read_bot(turn, matches)
        if said.success and _fire(Event.BOT_SUCCESS, memory, said):
            return  # a step prompt in the confirming turn is part of the confirmation
        if said.step is None:
            return
        if _repeats_prompt(memory, said):
            _fire(Event.BOT_ASKS_AGAIN, memory, said)
            found.append(evidence("step_repeated", turn.text.raw[:TEXT_KEPT], turn.index))
        else:
            _fire(Event.BOT_ASKS, memory, said)

    @staticmethod
    def _observe_user(
        turn: TurnContext,
        memory: SecurityMemory,
        matches: list[LexiconMatch],
        found: list[Evidence],
    ) -> None:
        said = _read_user(turn, matches)
        if said.user_turn - memory.last_blocker_user_turn > STEP_OPEN_USER_TURNS:
            # The conversation moved on from the step; an old blocker no longer counts.
            _fire(Event.STEP_STALE, memory, said)
        if said.takeover:
            _fire(Event.TAKEOVER, memory, said)
            found.extend(evidence_from(said.takeover[:1], turn.index))
        if said.step is not None:
            _fire(Event.USER_NAMES_STEP, memory, said)
        # Counted after the naming above: naming the step is what lets "it expired" count.
        blockers = _counting(said, memory)
        if blockers:
            _fire(Event.USER_BLOCKED, memory, replace(said, blockers=blockers))
            found.extend(evidence_from(blockers[:2], turn.index))
        elif said.progressed:
            _fire(Event.USER_PROGRESS, memory, said)

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
