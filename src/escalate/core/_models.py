"""The data that crosses the API: turns in, decisions out.

Every model is a frozen pydantic model, so a decision handed to a callback, a log processor or
another thread can never be changed behind the engine's back, and every one serialises to JSON
with ``model_dump_json()``.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictStr,
    ValidationError,
)

from escalate.core._errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Action",
    "Decision",
    "Evidence",
    "Outcome",
    "PolicyRef",
    "Reason",
    "ReasonCode",
    "Role",
    "RoleName",
    "Turn",
    "trusted",
]


class Role(StrEnum):
    """Who wrote a turn."""

    USER = "user"
    """The customer."""
    BOT = "bot"
    """The automated assistant (feed its replies before they are sent)."""
    AGENT = "agent"
    """A human agent; once one speaks, the conversation counts as handed off."""
    SYSTEM = "system"
    """Anything else the host wants on the timeline; context only."""


class Action(StrEnum):
    """What the host should do after a turn, in rising order of escalation."""

    CONTINUE = "continue"
    """Keep automating."""
    OFFER_HUMAN = "offer_human"
    """Offer a human (a button or a question); the customer chooses."""
    HANDOFF = "handoff"
    """Bring a human in now."""

    @property
    def rank(self) -> int:
        """Position in the escalation order: continue 0, offer_human 1, handoff 2."""
        return _ACTION_RANK[self]


_ACTION_RANK = {Action.CONTINUE: 0, Action.OFFER_HUMAN: 1, Action.HANDOFF: 2}


class ReasonCode(StrEnum):
    """Why a decision escalates. The set is stable: codes are only ever added."""

    HUMAN_REQUESTED = "human_requested"
    EMOTIONAL_STRESS = "emotional_stress"
    CONVERSATION_LOOP = "conversation_loop"
    SECURITY_DEAD_END = "security_dead_end"
    SENSITIVE_TOPIC = "sensitive_topic"
    HIGH_EFFORT = "high_effort"
    CUSTOMER_DISSATISFIED = "customer_dissatisfied"
    """The customer pushes back on what the bot said or failed to do."""
    UNNECESSARY_FRICTION = "unnecessary_friction"
    """The bot keeps answering a plain request (a cancellation) with offers."""
    ENGINE_ERROR = "engine_error"


class Outcome(StrEnum):
    """What happened after a decision, as reported by the host."""

    OFFER_DECLINED = "offer_declined"
    """The customer said no to a human; offers pause for the policy's cooldown."""
    OFFER_ACCEPTED = "offer_accepted"
    """The customer took the offer; the conversation is handed off."""
    HANDED_OFF = "handed_off"
    """A human took over (for whatever reason); decisions stay ``handoff``."""
    RETURNED_TO_BOT = "returned_to_bot"
    """The human handed the conversation back; automation resumes."""
    ENDED = "ended"
    """The conversation is over; its state is dropped."""


_MODEL_CONFIG = ConfigDict(frozen=True, extra="forbid")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def well_formed(text: str) -> str:
    r"""``text`` with each lone surrogate replaced by U+FFFD, so that it encodes as UTF-8.

    JSON escapes can carry half a surrogate pair ("\ud800"); a decision quoting it as
    evidence could then not be written as JSON. One character for one keeps every span.

    Examples:
        >>> well_formed("card\ud800payment") == "card\ufffdpayment"
        True
    """
    if text.isascii() or _LONE_SURROGATE.search(text) is None:
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


RoleName = Literal["user", "bot", "agent", "system"]
"""A ``Role`` as the string the docs write (``Turn(role="user", ...)``), for type checkers."""


class Turn(BaseModel):
    """One message in a conversation.

    Examples:
        >>> Turn(role="user", text="I want to talk to a person").role
        <Role.USER: 'user'>
    """

    model_config = _MODEL_CONFIG

    role: Role
    text: Annotated[StrictStr, AfterValidator(well_formed)]
    """The message; a lone surrogate in it reads as U+FFFD (``well_formed``)."""
    ts: datetime | None = None
    """When the turn was written: a datetime, an ISO-8601 string or Unix seconds."""
    meta: dict[str, JsonValue] = Field(default_factory=dict)
    """Free host data (channel, language, customer tier...); kept out of scoring."""

    if TYPE_CHECKING:
        # What a type checker sees (with or without pydantic's mypy plugin): the documented
        # strings for ``role`` (a misspelt one is an error) and the types pydantic converts.
        def __init__(
            self,
            *,
            role: Role | RoleName,
            text: str,
            ts: datetime | str | float | None = None,
            meta: Mapping[str, JsonValue] | None = None,
        ) -> None: ...

    else:

        def __init__(self, /, **data: Any) -> None:
            # ``Turn(...)`` is the documented way in, so a mistake there raises the documented
            # InvalidInputError (a ValueError), naming each field, without pydantic's chained
            # error and its link. ``Turn.model_validate`` keeps pydantic's ValidationError.
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise InvalidInputError(f"invalid turn: {_turn_problems(exc)}") from None

        # Marks it as pydantic's own __init__ (as RootModel does): validation from data
        # (model_validate, FastAPI, nested models) then does not run it, so only a direct
        # Turn(...) call raises InvalidInputError.
        __init__.__pydantic_base_init__ = True


def _turn_problems(exc: ValidationError) -> str:
    """A turn's validation errors, one ``field: what`` each, for a person to read."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "turn"
        if error["loc"] == ("role",) and error["type"] == "enum":
            roles = ", ".join(repr(role.value) for role in Role)
            problems.append(f"role: {error['input']!r} is not a role; expected one of {roles}")
        else:
            problems.append(f"{field}: {error['msg']}")
    return "; ".join(problems)


class Evidence(BaseModel):
    """A piece of a conversation that moved a signal."""

    model_config = _MODEL_CONFIG

    kind: str
    """What was found, e.g. ``direct_request``, ``bot_repeat``, ``shouting``, ``lost_device``."""
    text: str
    """The words that matched (or a short description for structural evidence)."""
    turn_index: int
    """The turn it was found in (0-based over all turns of the conversation)."""
    span: tuple[int, int] | None = None
    """Character offsets of ``text`` within that turn's text, when it is a quote."""


class Reason(BaseModel):
    """One reason behind an escalation, with the evidence for it."""

    model_config = _MODEL_CONFIG

    code: ReasonCode
    score: Annotated[float, Field(ge=0.0, le=1.0)]
    evidence: tuple[Evidence, ...] = ()
    """The strongest pieces, at most ``EVIDENCE_PER_REASON`` (10), each quote cut to 200
    characters: a decision's size does not grow with the text."""
    evidence_omitted: Annotated[int, Field(ge=0, exclude_if=lambda count: count == 0)] = 0
    """How many more pieces of evidence were found than ``evidence`` holds (left out of the
    JSON when 0, so ordinary decisions read as before)."""
    rule: str | None = None
    """What raised it: a rule's id, or ``signals.<name>`` for a signal's threshold."""


class PolicyRef(BaseModel):
    """Which policy made a decision."""

    model_config = _MODEL_CONFIG

    name: str
    version: str
    hash: str
    """SHA-256 of the policy's canonical JSON: equal hashes mean the same rules."""


class Decision(BaseModel):
    """The engine's answer for one turn.

    ``reasons`` holds only what drove ``action`` (empty for ``continue``), strongest first.
    ``suppressed`` holds reasons the policy held back (a declined offer's cooldown, a customer
    who asked to stay with the bot), so the host can see what was weighed.
    """

    model_config = _MODEL_CONFIG

    decision_id: str
    conversation_id: str
    turn_index: int
    """0-based index of the turn over all turns of the conversation."""
    user_turn: int
    """How many user turns the conversation has had up to and including this turn."""
    role: Role
    action: Action
    previous_action: Action
    """The action of the conversation's previous decision: message the customer on a change."""
    reasons: tuple[Reason, ...] = ()
    suppressed: tuple[Reason, ...] = ()
    signals: dict[str, float] = Field(default_factory=dict)
    """Every signal's level (0..1) after this turn."""
    route: str | None = None
    """The team or queue to hand off to (from the policy's ``routes``), when escalating."""
    message: str | None = None
    """What the bot can tell the customer about the escalation, from the policy."""
    policy: PolicyRef
    created_at: datetime
    latency_ms: float
    truncated: bool = False
    """The turn's text was longer than the policy's ``max_text_chars`` and was cut."""
    notes: tuple[str, ...] = ()
    """Plain-language remarks on how the policy reached the action."""

    @property
    def escalated(self) -> bool:
        """Whether the action is anything but ``continue``."""
        return self.action is not Action.CONTINUE

    @property
    def reason_codes(self) -> tuple[ReasonCode, ...]:
        """The codes of ``reasons``, strongest first."""
        return tuple(reason.code for reason in self.reasons)


_Model = TypeVar("_Model", bound=BaseModel)
_set_attribute = object.__setattr__


def trusted(model: type[_Model], values: dict[str, Any]) -> _Model:
    """``model.model_construct(**values)`` for the engine's own values, at a third of the cost.

    pydantic's ``model_construct`` runs in Python, looks up every field's default and builds a
    fields-set per instance; the hot path builds a decision, its reasons and their evidence on
    every turn. ``values`` must name every field, in declaration order (serialisers follow
    ``__dict__``). Instances of a model share one fields-set, which nothing mutates: the models
    are frozen, and pydantic copies the set before changing a copy's.
    """
    instance = model.__new__(model)
    _set_attribute(instance, "__dict__", values)
    _set_attribute(instance, "__pydantic_fields_set__", _every_field(model))
    _set_attribute(instance, "__pydantic_extra__", None)
    _set_attribute(instance, "__pydantic_private__", None)
    return instance


_EVERY_FIELD: dict[type[BaseModel], set[str]] = {}


def _every_field(model: type[BaseModel]) -> set[str]:
    fields = _EVERY_FIELD.get(model)
    if fields is None:
        fields = _EVERY_FIELD[model] = set(model.model_fields)
    return fields
