"""What the engine remembers about one conversation between turns.

The memory is deliberately small and bounded: a few recent texts (cut short), counters and
moving levels. Its size does not grow with the length of the conversation, so the cost of a
turn does not either, and it serialises to well under 4 KB for a shared store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Final, TypeVar

from pydantic import JsonValue, TypeAdapter

from escalate.core._models import Action, Evidence, Reason

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
    "remember",
]

SCHEMA_VERSION: Final = 1
"""Bumped whenever the stored shape changes, so shared stores can migrate or reset old values."""

RECENT_TEXTS: Final = 4
"""How many recent bot and user texts the loop detector compares against."""
TEXT_KEPT: Final = 160
"""Characters kept of each remembered text: enough to recognise a repeat."""
EVIDENCE_KEPT: Final = 3
RECENT_TURNS_KEPT: Final = 6
"""Turns a human agent is shown when taking over (the customer's goal is kept besides)."""
"""Evidence items a detector carries forward to cite on later turns."""


T = TypeVar("T")


def newest_first(found: list[Evidence], kept: list[Evidence]) -> list[Evidence]:
    """What the turn ``found`` before what was ``kept``, at most ``EVIDENCE_KEPT``.

    A memory's evidence after a turn: a reading quotes its latest evidence first.
    """
    return (found + kept)[:EVIDENCE_KEPT]


def remember(items: list[T], item: T, limit: int) -> None:
    """Append ``item`` and drop the oldest entries beyond ``limit`` (in place)."""
    # Dropping before appending keeps a full list within the room it has: appending first
    # would grow it by half again, which every live conversation's lists would keep.
    excess = len(items) + 1 - limit
    if excess > 0:
        del items[:excess]
    if limit > 0:
        items.append(item)


@dataclass(slots=True)
class StressMemory:
    """Emotional stress over the user's turns."""

    level: float = 0.0
    """The last user turn's stress, carried across bot turns."""
    average: float = 0.0
    """Exponential moving average over user turns."""
    recent: list[float] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class LoopMemory:
    """Recent texts and repeat flags for loop detection."""

    bot_texts: list[str] = field(default_factory=list)
    bot_repeats: list[bool] = field(default_factory=list)
    fallback_streak: int = 0
    user_texts: list[str] = field(default_factory=list)
    user_repeats: list[bool] = field(default_factory=list)
    corrections: list[bool] = field(default_factory=list)
    level: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)


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
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class SensitiveMemory:
    """The most serious sensitive topic raised, fading when it is not raised again."""

    level: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class HumanRequestMemory:
    """Requests for a human and the customer's answers to offers."""

    level: float = 0.0
    requests: int = 0
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class DissatisfactionMemory:
    """Pushback on the bot, weighed by what the bot said just before."""

    level: float = 0.0
    bot_spoke: bool = False
    """A bot turn came before: pushback needs something to push back on."""
    bot_failed: bool = False
    """The last bot turn said it could not do what was asked, or repeated itself."""
    pushes: list[bool] = field(default_factory=list)
    """Whether each recent user turn pushed back, oldest first."""
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class FrictionMemory:
    """A cancellation the bot keeps answering with offers."""

    cancel_requested: bool = False
    retention_replies: int = 0
    """Bot turns that answered the open cancellation with an offer to stay."""
    repeated_requests: int = 0
    """Cancellation requests repeated after an offer to stay."""
    level: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)


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
    open_offer: list[str] = field(default_factory=list)
    """Reason codes behind the offer currently open (kept open until below ``release``)."""
    offer_pending: bool = False
    """An offer of a human was made and the customer has not answered yet."""
    declined_user_turn: int | None = None
    declined_levels: dict[str, float] = field(default_factory=dict)
    declines: int = 0
    """Offers of a person the customer declined in this conversation (never reset)."""
    opted_out_user_turn: int | None = None
    """The customer asked to stay with the bot ("don't transfer me")."""
    handed_off: bool = False
    handoff_reasons: list[Reason] = field(default_factory=list)
    handoff_route: str | None = None
    last_levels: dict[str, float] = field(default_factory=dict)
    """Every signal's level at the last decision, levels of 0 left out (a decline is measured
    against these)."""
    windows: dict[str, int] = field(default_factory=dict)
    """Counters of the policy's windowed conditions ("for 2 user turns"), by window key."""
    meta: dict[str, JsonValue] = field(default_factory=dict)
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
    recent: list[RecentTurn] = field(default_factory=list)
    """The last ``RECENT_TURNS_KEPT`` turns, oldest first."""


@dataclass(slots=True)
class ConversationState:
    """Everything the engine keeps about one conversation."""

    conversation_id: str
    schema_version: int = SCHEMA_VERSION
    turns: int = 0
    user_turns: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    stress: StressMemory = field(default_factory=StressMemory)
    loop: LoopMemory = field(default_factory=LoopMemory)
    security: SecurityMemory = field(default_factory=SecurityMemory)
    sensitive: SensitiveMemory = field(default_factory=SensitiveMemory)
    human: HumanRequestMemory = field(default_factory=HumanRequestMemory)
    effort: EffortMemory = field(default_factory=EffortMemory)
    dissatisfaction: DissatisfactionMemory = field(default_factory=DissatisfactionMemory)
    friction: FrictionMemory = field(default_factory=FrictionMemory)
    escalation: EscalationMemory = field(default_factory=EscalationMemory)
    handoff: HandoffMemory = field(default_factory=HandoffMemory)
    extra: dict[str, JsonValue] = field(default_factory=dict)
    """Memory of custom detectors, keyed by detector name (JSON values only)."""

    def to_json(self) -> bytes:
        """Serialise for a shared store."""
        return _adapter().dump_json(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> ConversationState:
        """Inverse of ``to_json``; raises ``pydantic.ValidationError`` on a foreign shape."""
        return _adapter().validate_json(data)


@cache
def _adapter() -> TypeAdapter[ConversationState]:
    # Built on first use: building the schema costs ~20 ms that most hosts never need.
    return TypeAdapter(ConversationState)
