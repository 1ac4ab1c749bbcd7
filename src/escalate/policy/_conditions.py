"""The condition language of policy rules: structured data, validated, never evaluated as code.

A condition is a mapping with exactly one *subject* key that says what it looks at::

    signal: stress            a signal's level (0..1) on this turn
    evidence: fallback        turns whose evidence includes this kind
    fact: user_turns          a conversation fact (turns, user_turns, elapsed_seconds)
    meta: channel             a value the host passed in the turn's ``meta``
    role: user                who wrote the turn
    business_hours: support   whether a calendar in ``hours:`` is open
    agents_available: sales   whether a route's humans are reachable now
    all: [...]  any: [...]  not: {...}

Numeric subjects compare with ``at_least``, ``above``, ``at_most`` and ``below`` (give one, or
two for a range); ``signal`` may add ``for_user_turns: N`` / ``for_turns: N`` (held on N
consecutive turns) and ``evidence`` counts turns within a window.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    Tag,
    model_validator,
)

from escalate.models import Role

__all__ = [
    "CONDITION_SUBJECTS",
    "AgentsAvailable",
    "AllOf",
    "AnyOf",
    "BusinessHours",
    "Condition",
    "EvidenceCount",
    "FactComparison",
    "MetaMatch",
    "NotCondition",
    "NumericBounds",
    "RoleIs",
    "SignalComparison",
    "iter_conditions",
]

_STRICT = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True, defer_build=True)
_MAX_WINDOW: Final = 50
"""Longest window a condition may look back over: the state keeps one counter per window."""


class NumericBounds(BaseModel):
    """Bounds: ``at_least`` (>=), ``above`` (>), ``at_most`` (<=), ``below`` (<).

    Give one, or a lower and an upper bound for a range.
    """

    model_config = _STRICT

    at_least: float | None = Field(default=None, strict=True)
    above: float | None = Field(default=None, strict=True)
    at_most: float | None = Field(default=None, strict=True)
    below: float | None = Field(default=None, strict=True)

    @model_validator(mode="after")
    def _one_bound_per_side(self) -> Self:
        lower = [name for name in ("at_least", "above") if getattr(self, name) is not None]
        upper = [name for name in ("at_most", "below") if getattr(self, name) is not None]
        if not lower and not upper:
            raise ValueError("give a bound: at_least, above, at_most or below")
        if len(lower) > 1 or len(upper) > 1:
            raise ValueError("give at most one lower bound (at_least/above) and one upper bound")
        return self


class SignalComparison(NumericBounds):
    """A signal's level on this turn, optionally held over consecutive turns.

    Examples:
        >>> SignalComparison(signal="loop", at_least=0.6, for_user_turns=2).for_user_turns
        2
    """

    signal: str = Field(min_length=1)
    for_user_turns: int | None = Field(default=None, ge=1, le=_MAX_WINDOW, strict=True)
    """Held on this user turn and the N-1 user turns before it (read as of the last user turn)."""
    for_turns: int | None = Field(default=None, ge=1, le=_MAX_WINDOW, strict=True)
    """Held on this turn and the N-1 turns before it, bot turns included."""

    @model_validator(mode="after")
    def _one_window(self) -> Self:
        if self.for_user_turns is not None and self.for_turns is not None:
            raise ValueError("give one of for_user_turns and for_turns")
        return self


class EvidenceCount(BaseModel):
    """How many recent turns brought evidence of a kind (``fallback``, ``lost_device``...).

    Without a window it looks at this turn only.
    """

    model_config = _STRICT

    evidence: str = Field(min_length=1)
    at_least: int = Field(default=1, ge=1, le=_MAX_WINDOW, strict=True)
    """Turns (within the window) that must show the evidence."""
    within_turns: int | None = Field(default=None, ge=1, le=_MAX_WINDOW, strict=True)
    within_user_turns: int | None = Field(default=None, ge=1, le=_MAX_WINDOW, strict=True)

    @model_validator(mode="after")
    def _window_fits(self) -> Self:
        if self.within_turns is not None and self.within_user_turns is not None:
            raise ValueError("give one of within_turns and within_user_turns")
        window = self.within_turns or self.within_user_turns or 1
        if self.at_least > window:
            raise ValueError(
                f"at_least ({self.at_least}) cannot be met within a window of {window} turn(s)"
            )
        return self


class FactComparison(NumericBounds):
    """A fact about the conversation so far, counting this turn."""

    fact: Literal["turns", "user_turns", "elapsed_seconds"]
    """``elapsed_seconds`` needs turns with ``ts``."""


class MetaMatch(BaseModel):
    """A value from the turn's ``meta`` (the last value seen in the conversation if absent)."""

    model_config = _STRICT

    meta: str = Field(min_length=1)
    equals: JsonValue = None
    in_: list[JsonValue] | None = Field(default=None, alias="in")
    exists: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        # null means "not given", so an exported policy (every field written out) reads back.
        given = [value for value in (self.equals, self.in_, self.exists) if value is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, in and exists (not null)")
        return self


class RoleIs(BaseModel):
    """Who wrote the turn: one role or a list."""

    model_config = _STRICT

    role: Role | list[Role]


class BusinessHours(BaseModel):
    """True while the named calendar (``hours:`` in the policy) is open."""

    model_config = _STRICT

    business_hours: str = Field(min_length=1)


class AgentsAvailable(BaseModel):
    """True while the named route can reach a human.

    That is: within the route's hours, and staffed unless the turn's ``meta.agents_available``
    says otherwise.
    """

    model_config = _STRICT

    agents_available: str = Field(min_length=1)


class AllOf(BaseModel):
    """Every condition holds."""

    model_config = _STRICT

    all: list[Condition] = Field(min_length=1)


class AnyOf(BaseModel):
    """At least one condition holds."""

    model_config = _STRICT

    any: list[Condition] = Field(min_length=1)


class NotCondition(BaseModel):
    """The condition does not hold."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", use_attribute_docstrings=True, populate_by_name=True
    )

    not_: Condition = Field(alias="not")


CONDITION_SUBJECTS: Final[dict[str, type[BaseModel]]] = {
    "signal": SignalComparison,
    "evidence": EvidenceCount,
    "fact": FactComparison,
    "meta": MetaMatch,
    "role": RoleIs,
    "business_hours": BusinessHours,
    "agents_available": AgentsAvailable,
    "all": AllOf,
    "any": AnyOf,
    "not": NotCondition,
}
"""Subject key -> the condition type it selects."""

_TAGS: Final = {subject: f"<{subject} condition>" for subject in CONDITION_SUBJECTS}


_TAG_BY_TYPE: Final[dict[type, str]] = {
    kind: _TAGS[subject] for subject, kind in CONDITION_SUBJECTS.items()
}


def _subject(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return _TAG_BY_TYPE.get(type(value))
    if not isinstance(value, dict):
        return None
    subjects = [key for key in value if key in CONDITION_SUBJECTS]
    return _TAGS[subjects[0]] if len(subjects) == 1 else None


CONDITION_TAGS: Final = frozenset(_TAGS.values())
"""Tags pydantic puts in error locations for conditions; not part of the file's path."""

Condition = Annotated[
    Annotated[SignalComparison, Tag(_TAGS["signal"])]
    | Annotated[EvidenceCount, Tag(_TAGS["evidence"])]
    | Annotated[FactComparison, Tag(_TAGS["fact"])]
    | Annotated[MetaMatch, Tag(_TAGS["meta"])]
    | Annotated[RoleIs, Tag(_TAGS["role"])]
    | Annotated[BusinessHours, Tag(_TAGS["business_hours"])]
    | Annotated[AgentsAvailable, Tag(_TAGS["agents_available"])]
    | Annotated[AllOf, Tag(_TAGS["all"])]
    | Annotated[AnyOf, Tag(_TAGS["any"])]
    | Annotated[NotCondition, Tag(_TAGS["not"])],
    Discriminator(
        _subject,
        custom_error_type="condition_subject",
        custom_error_message=(
            "a condition needs exactly one of the keys " + ", ".join(CONDITION_SUBJECTS)
        ),
    ),
]
"""Any condition; which one is chosen by its subject key."""

# Resolved when a policy is first validated (``defer_build``), not at import.


def iter_conditions(
    condition: Condition, path: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], Condition]]:
    """Every condition in a tree with its path (``("when", "all", 0)`` style), depth first."""
    found: list[tuple[tuple[str | int, ...], Condition]] = [(path, condition)]
    if isinstance(condition, AllOf):
        for index, child in enumerate(condition.all):
            found.extend(iter_conditions(child, (*path, "all", index)))
    elif isinstance(condition, AnyOf):
        for index, child in enumerate(condition.any):
            found.extend(iter_conditions(child, (*path, "any", index)))
    elif isinstance(condition, NotCondition):
        found.extend(iter_conditions(condition.not_, (*path, "not")))
    return found
