"""What the engine remembers about one conversation between turns.

The memory is deliberately small and bounded: a few recent texts (cut short), counters and
moving levels. Its size does not grow with the length of the conversation, so the cost of a
turn does not either, and it serialises to well under 4 KB for a shared store.

Each detector keeps its own typed memory in ``ConversationState.memories``, by detector name,
created when the detector first asks for it: a memory that is absent is its default. Short
histories are tuples (an empty one costs nothing). Built-in and custom detectors are kept,
checked and stored alike; the policy's memory (``escalation``) and the handoff notes are the
state's own, and detectors never read them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

from pydantic import JsonValue, TypeAdapter, ValidationError

from escalate.core._errors import InvalidInputError
from escalate.core._models import Action, Evidence, Reason

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "SCHEMA_VERSION",
    "ConversationState",
    "DissatisfactionMemory",
    "EffortMemory",
    "EscalationMemory",
    "FrictionMemory",
    "HandoffMemory",
    "HumanRequestMemory",
    "LoopMemory",
    "RecentTurn",
    "SecurityMemory",
    "SensitiveMemory",
    "StressMemory",
    "newest_first",
    "remember",
    "remembered",
    "remembered_flag",
]

SCHEMA_VERSION: Final = 2
"""Bumped whenever the stored shape changes, so shared stores can migrate or reset old values.

1: each built-in detector's memory at the top level, under a field of its own. 2: every
detector's memory under ``memories``, by detector name, defaults left out. Both load."""

RECENT_TEXTS: Final = 4
"""How many recent bot and user texts the loop detector compares against."""
TEXT_KEPT: Final = 160
"""Characters kept of each remembered text: enough to recognise a repeat."""
EVIDENCE_KEPT: Final = 3
"""Evidence items a detector carries forward to cite on later turns."""
RECENT_TURNS_KEPT: Final = 6
"""Turns a human agent is shown when taking over (the customer's goal is kept besides)."""

T = TypeVar("T")
M = TypeVar("M")

_log = logging.getLogger("escalate")


def newest_first(found: Sequence[Evidence], kept: Sequence[Evidence]) -> tuple[Evidence, ...]:
    """What the turn ``found`` before what was ``kept``, at most ``EVIDENCE_KEPT``.

    A memory's evidence after a turn: a reading quotes its latest evidence first.
    """
    return (*found, *kept)[:EVIDENCE_KEPT]


def remembered(items: tuple[T, ...], item: T, limit: int) -> tuple[T, ...]:
    """``items`` with ``item`` appended, the oldest dropped beyond ``limit``.

    The memories' short histories are tuples: a tuple of a few items is half the size of a
    list, and an empty one is shared.
    """
    if limit <= 0:
        return ()
    start = len(items) + 1 - limit
    return (*(items[start:] if start > 0 else items), item)


def remember(items: list[T], item: T, limit: int) -> None:
    """Append ``item`` and drop the oldest entries beyond ``limit`` (in place)."""
    # Dropping before appending keeps a full list within the room it has: appending first
    # would grow it by half again, which every live conversation's lists would keep.
    excess = len(items) + 1 - limit
    if excess > 0:
        del items[:excess]
    if limit > 0:
        items.append(item)


_FLAGS: dict[tuple[bool, ...], tuple[bool, ...]] = {}


def remembered_flag(flags: tuple[bool, ...], flag: bool, limit: int) -> tuple[bool, ...]:  # noqa: FBT001
    """``remembered`` for a short history of flags, one shared tuple per pattern.

    A history of at most ``limit`` flags takes fewer than ``2 ** (limit + 1)`` patterns, so
    every conversation can share them.
    """
    kept = remembered(flags, flag, limit)
    return _FLAGS.setdefault(kept, kept)


class _NoEntries(dict[str, Any]):
    """The empty mapping every memory shares until it has entries: assign a new dict to it.

    Most conversations leave most of the policy's mappings empty; one shared empty mapping
    saves a dict per mapping per conversation. Changing it in place raises.
    """

    __slots__ = ()

    def _shared(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("this empty mapping is shared by every memory: assign a new dict")

    __setitem__ = __delitem__ = __ior__ = _shared
    clear = pop = popitem = setdefault = update = _shared

    def __deepcopy__(self, memo: dict[int, object]) -> _NoEntries:
        return self

    def __copy__(self) -> _NoEntries:
        return self


_NO_ENTRIES: Final = _NoEntries()


def _no_entries() -> dict[str, Any]:
    return _NO_ENTRIES


@dataclass(slots=True)
class StressMemory:
    """Emotional stress over the user's turns."""

    level: float = 0.0
    """The last user turn's stress, carried across bot turns."""
    average: float = 0.0
    """Exponential moving average over user turns."""
    recent: tuple[float, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@dataclass(slots=True)
class LoopMemory:
    """Recent texts and repeat flags for loop detection."""

    bot_texts: tuple[str, ...] = ()
    bot_repeats: tuple[bool, ...] = ()
    fallback_streak: int = 0
    user_texts: tuple[str, ...] = ()
    user_repeats: tuple[bool, ...] = ()
    corrections: tuple[bool, ...] = ()
    level: float = 0.0
    evidence: tuple[Evidence, ...] = ()


@dataclass(slots=True)
class SecurityMemory:
    """The security step in progress and how it is going."""

    step: str | None = None
    """Kind of step (``code``, ``link``, ``identity_check``...), ``None`` when none is open."""
    step_user_turn: int = 0
    step_from_bot: bool = False
    """The bot asked for the step (so "I don't remember" answers it)."""
    prompt: str = ""
    """The bot's last prompt for the step, to notice it being repeated."""
    prompt_repeats: int = 0
    blockers: int = 0
    hard_blocker: bool = False
    how_to: bool = False
    """The only blocker came with a how-to question: weaker evidence of a dead end."""
    takeover: bool = False
    last_blocker_user_turn: int = 0
    level: float = 0.0
    evidence: tuple[Evidence, ...] = ()


@dataclass(slots=True)
class SensitiveMemory:
    """The most serious sensitive topic raised, fading when it is not raised again."""

    level: float = 0.0
    evidence: tuple[Evidence, ...] = ()


@dataclass(slots=True)
class HumanRequestMemory:
    """Requests for a human and the customer's answers to offers."""

    level: float = 0.0
    requests: int = 0
    evidence: tuple[Evidence, ...] = ()


@dataclass(slots=True)
class DissatisfactionMemory:
    """Pushback on the bot, weighed by what the bot said just before."""

    level: float = 0.0
    bot_spoke: bool = False
    """A bot turn came before: pushback needs something to push back on."""
    bot_failed: bool = False
    """The last bot turn said it could not do what was asked, or repeated itself."""
    pushes: tuple[bool, ...] = ()
    """Whether each recent user turn pushed back, oldest first."""
    evidence: tuple[Evidence, ...] = ()


@dataclass(slots=True)
class FrictionMemory:
    """A cancellation the bot keeps answering with offers."""

    cancel_requested: bool = False
    retention_replies: int = 0
    """Bot turns that answered the open cancellation with an offer to stay."""
    repeated_requests: int = 0
    """Cancellation requests repeated after an offer to stay."""
    level: float = 0.0
    evidence: tuple[Evidence, ...] = ()


@dataclass(slots=True)
class EffortMemory:
    """How much the customer has put in."""

    wrap_up_prompts: int = 0
    """Bot turns asking "anything else?"."""
    level: float = 0.0


@dataclass(slots=True)
class EscalationMemory:
    """The policy's memory: what it decided and what the customer said about it."""

    last_action: Action = Action.CONTINUE
    open_offer: tuple[str, ...] = ()
    """Reason codes behind the offer currently open (kept open until below ``release``)."""
    offer_pending: bool = False
    """An offer of a human was made and the customer has not answered yet."""
    declined_user_turn: int | None = None
    declined_levels: dict[str, float] = field(default_factory=_no_entries)
    declines: int = 0
    """Offers of a person the customer declined in this conversation (never reset)."""
    opted_out_user_turn: int | None = None
    """The customer asked to stay with the bot ("don't transfer me")."""
    handed_off: bool = False
    handoff_reasons: tuple[Reason, ...] = ()
    handoff_route: str | None = None
    last_levels: dict[str, float] = field(default_factory=_no_entries)
    """Every signal's level at the last decision, levels of 0 left out (a decline is measured
    against these)."""
    windows: dict[str, int] = field(default_factory=_no_entries)
    """Counters of the policy's windowed conditions ("for 2 user turns"), by window key."""
    meta: dict[str, JsonValue] = field(default_factory=_no_entries)
    """Last value of each turn ``meta`` key the policy's conditions read."""


@dataclass(slots=True)
class RecentTurn:
    """One of the last turns, as a human agent taking over is shown it."""

    role: str
    text: str
    """Cut to ``TEXT_KEPT`` characters."""
    turn_index: int
    ts: float | None = None


@dataclass(slots=True)
class HandoffMemory:
    """What a human agent needs so the customer never has to repeat themselves."""

    goal: str | None = None
    """The customer's first substantive request, as written (cut to ``TEXT_KEPT``)."""
    goal_turn: int | None = None
    recent: tuple[RecentTurn, ...] = ()
    """The last ``RECENT_TURNS_KEPT`` turns, oldest first."""


_V1_FIELDS: Final = {
    "stress": "stress",
    "loop": "loop",
    "security": "security_dead_end",
    "sensitive": "sensitive_topic",
    "human": "human_request",
    "effort": "effort",
    "dissatisfaction": "dissatisfaction",
    "friction": "friction",
}
"""Schema 1's top-level memory fields, and the detector each belonged to."""


@dataclass(slots=True, eq=False)
class ConversationState:
    """Everything the engine keeps about one conversation.

    Two states are equal when they serialise alike (a memory at its default equals none).
    """

    conversation_id: str
    schema_version: int = SCHEMA_VERSION
    turns: int = 0
    user_turns: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    escalation: EscalationMemory = field(default_factory=EscalationMemory)
    """The policy's memory: passed to the policy step, never read by detectors."""
    handoff: HandoffMemory = field(default_factory=HandoffMemory)
    memories: dict[str, object] = field(default_factory=dict)
    """Each detector's memory, by detector name (see ``memory``). A memory read from a store
    stays JSON until its detector first asks for it, and is checked then."""
    _extra: dict[str, JsonValue] | None = field(default=None, repr=False)

    def memory(self, name: str, kind: type[M]) -> M:
        """The memory of detector ``name``, of the type it declares, created when first asked.

        ``kind`` is a dataclass (or a pydantic model) whose fields all have defaults and hold
        JSON-serialisable values: a shared store serialises it, and a stored one is validated
        against ``kind`` when the detector first asks for it (one that does not fit is logged
        and the detector starts afresh, as a state that cannot be read does).
        """
        value = self.memories.get(name)
        if isinstance(value, kind):
            return value
        if value is None:
            made = kind()
        elif type(value) is dict:
            made = _read_memory(self.conversation_id, name, kind, value)
        else:
            raise InvalidInputError(
                f"detector {name!r} asks for a {kind.__name__} memory, but the state holds a"
                f" {type(value).__name__} under that name: do two detectors share it?"
            )
        self.memories[name] = made
        return made

    def peek(self, name: str, kind: type[M]) -> M:
        """The memory of detector ``name`` to read only: its default when it has none yet.

        A detector that often has nothing to remember reads with ``peek`` and calls ``memory``
        before writing, so a conversation keeps no memory that is only its default. The default
        returned is shared: never change it.
        """
        value = self.memories.get(name)
        if isinstance(value, kind):
            return value
        if value is None:
            return _default(kind)  # type: ignore[return-value]
        return self.memory(name, kind)

    def forget_detectors(self) -> None:
        """Forget every detector's memory (a person handed the conversation back)."""
        self.memories.clear()
        self._extra = None

    @property
    def extra(self) -> dict[str, JsonValue]:
        """Untyped memory of custom detectors (JSON values only); prefer ``memory``."""
        if self._extra is None:
            self._extra = {}
        return self._extra

    @extra.setter
    def extra(self, value: dict[str, JsonValue]) -> None:
        self._extra = value

    # The built-in detectors' memories under the names hosts have read them by.

    @property
    def stress(self) -> StressMemory:
        """The stress detector's memory."""
        return self.memory("stress", StressMemory)

    @property
    def loop(self) -> LoopMemory:
        """The loop detector's memory."""
        return self.memory("loop", LoopMemory)

    @property
    def security(self) -> SecurityMemory:
        """The security dead-end detector's memory."""
        return self.memory("security_dead_end", SecurityMemory)

    @property
    def sensitive(self) -> SensitiveMemory:
        """The sensitive-topic detector's memory."""
        return self.memory("sensitive_topic", SensitiveMemory)

    @property
    def human(self) -> HumanRequestMemory:
        """The human-request detector's memory."""
        return self.memory("human_request", HumanRequestMemory)

    @property
    def effort(self) -> EffortMemory:
        """The effort detector's memory."""
        return self.memory("effort", EffortMemory)

    @property
    def dissatisfaction(self) -> DissatisfactionMemory:
        """The dissatisfaction detector's memory."""
        return self.memory("dissatisfaction", DissatisfactionMemory)

    @property
    def friction(self) -> FrictionMemory:
        """The friction detector's memory."""
        return self.memory("friction", FrictionMemory)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConversationState):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def to_json(self) -> bytes:
        """Serialise for a shared store (schema ``SCHEMA_VERSION``; defaults left out)."""
        stored: dict[str, Any] = {
            "conversation_id": self.conversation_id,
            "schema_version": SCHEMA_VERSION,
            "turns": self.turns,
            "user_turns": self.user_turns,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "escalation": self.escalation,
            "handoff": self.handoff,
        }
        memories = {
            name: memory
            for name, memory in self.memories.items()
            if type(memory) is dict or memory != _default(type(memory))
        }
        if memories:
            stored["memories"] = memories
        if self._extra:
            stored["extra"] = self._extra
        return _writer().dump_json(stored)

    @classmethod
    def from_json(cls, data: bytes | str) -> ConversationState:
        """Inverse of ``to_json``; reads schema 1 too.

        Raises ``pydantic.ValidationError``, naming the field and what it expected, on a
        foreign shape. The detectors' memories are checked when each is first asked for.
        """
        stored = _reader().validate_json(data)
        memories: dict[str, object] = {}
        for old, detector in _V1_FIELDS.items():
            value = getattr(stored, old)
            if value:
                memories[detector] = value
        memories.update(stored.memories)
        return cls(
            stored.conversation_id,
            stored.schema_version,
            stored.turns,
            stored.user_turns,
            stored.first_ts,
            stored.last_ts,
            stored.escalation,
            stored.handoff,
            memories,
            stored.extra or None,
        )


@dataclass(slots=True)
class _Stored:
    """The stored shape, schema 1 or 2, as read."""

    conversation_id: str
    schema_version: int = 1
    turns: int = 0
    user_turns: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    escalation: EscalationMemory = field(default_factory=EscalationMemory)
    handoff: HandoffMemory = field(default_factory=HandoffMemory)
    memories: dict[str, dict[str, JsonValue]] = field(default_factory=dict)
    extra: dict[str, JsonValue] = field(default_factory=dict)
    # Schema 1: the built-in detectors' memories (see ``_V1_FIELDS``).
    stress: dict[str, JsonValue] | None = None
    loop: dict[str, JsonValue] | None = None
    security: dict[str, JsonValue] | None = None
    sensitive: dict[str, JsonValue] | None = None
    human: dict[str, JsonValue] | None = None
    effort: dict[str, JsonValue] | None = None
    dissatisfaction: dict[str, JsonValue] | None = None
    friction: dict[str, JsonValue] | None = None


# Validation errors are titled by their class: by what the caller loads, not this private shape.
_Stored.__name__ = _Stored.__qualname__ = "ConversationState"


def _read_memory(conversation_id: str, name: str, kind: type[M], data: dict[str, Any]) -> M:
    try:
        return _adapter(kind).validate_python(data)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in ("memories", name, *problem["loc"]))
        _log.warning(
            "escalate: the stored memory of detector %r in %s could not be read (%s: %s);"
            " it starts afresh",
            name,
            conversation_id,
            where,
            problem["msg"],
        )
        return kind()


_DEFAULTS: dict[type, object] = {}
_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _default(kind: type) -> object:
    # Compared against, never handed out: a memory equal to it is not stored.
    default = _DEFAULTS.get(kind)
    if default is None:
        default = _DEFAULTS[kind] = kind()
    return default


def _adapter(kind: type[M]) -> TypeAdapter[M]:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


@cache
def _reader() -> TypeAdapter[_Stored]:
    # Built on first use: building the schema costs ~20 ms that most hosts never need.
    return TypeAdapter(_Stored)


@cache
def _writer() -> TypeAdapter[dict[str, Any]]:
    # Serialises each memory by its runtime type, so custom memories need no registration.
    return TypeAdapter(dict[str, Any])
