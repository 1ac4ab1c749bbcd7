"""The policy schema: every threshold and rule the engine decides by, as validated data."""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from escalate.models import Action, PolicyRef, ReasonCode
from escalate.policy._conditions import (
    AgentsAvailable,
    BusinessHours,
    Condition,
    SignalComparison,
    iter_conditions,
)
from escalate.policy._hours import Calendar
from escalate.policy._locate import dotted_path
from escalate.policy._rules import Message, Route, Rule
from escalate.policy._step import policy_step

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from escalate.core import EscalationMemory, PolicyInputs, PolicyResult
    from escalate.policy._compiled import CompiledRules

__all__ = [
    "CompiledSignal",
    "CooldownPolicy",
    "OptOutPolicy",
    "Policy",
    "ReferenceProblem",
    "SignalPolicy",
]

# Strict: a threshold written as the string '0.5' is an error, not silently a number.
UnitInterval = Annotated[float, Field(ge=0.0, le=1.0, strict=True)]
_STRICT = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)
_DEFAULT_RELEASE_GAP = 0.1


class SignalPolicy(BaseModel):
    """What one signal's level means.

    A level at or above ``handoff`` hands off; at or above ``offer`` offers a human. Once an
    offer is open it stays open until the level falls below ``release`` (hysteresis, so a level
    hovering around ``offer`` does not make the offer flicker).
    """

    model_config = _STRICT

    reason: ReasonCode
    """The reason code a decision carries when this signal drives it."""
    offer: UnitInterval | None = None
    handoff: UnitInterval | None = None
    release: UnitInterval | None = None
    """Defaults to ``offer - 0.1``."""
    route: str | None = None
    """A name from the policy's ``routes``: where decisions driven by this signal go."""
    message: Message | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.offer is None and self.handoff is None:
            raise ValueError("set at least one of 'offer' and 'handoff'")
        if self.offer is not None and self.handoff is not None and self.offer > self.handoff:
            raise ValueError(f"'offer' ({self.offer}) must not be above 'handoff' ({self.handoff})")
        if self.release is not None:
            if self.offer is None:
                raise ValueError("'release' only applies together with 'offer'")
            if self.release > self.offer:
                raise ValueError(
                    f"'release' ({self.release}) must not be above 'offer' ({self.offer})"
                )
        return self

    @property
    def release_level(self) -> float:
        """The level below which an open offer closes."""
        if self.release is not None:
            return self.release
        return max(0.0, (self.offer or 0.0) - _DEFAULT_RELEASE_GAP)


class CompiledSignal(NamedTuple):
    """One signal's thresholds, flattened for the hot path."""

    name: str
    reason: ReasonCode
    offer: float | None
    handoff: float | None
    release: float
    route: str | None
    message: str | None

    def stage(self, level: float, *, offer_open: bool = False) -> Action:
        """The action ``level`` reaches; an open offer stays open down to ``release``."""
        if self.handoff is not None and level >= self.handoff:
            return Action.HANDOFF
        if self.offer is not None and (
            level >= self.offer or (offer_open and level >= self.release)
        ):
            return Action.OFFER_HUMAN
        return Action.CONTINUE


class ReferenceProblem(NamedTuple):
    """One fault in a policy: where (a path of keys and list indexes) and what."""

    path: tuple[str | int, ...]
    message: str

    @property
    def dotted(self) -> str:
        """The path as written in messages: ``rules[2].when.signal``."""
        return dotted_path(self.path)


class CooldownPolicy(BaseModel):
    """How long a declined offer is respected."""

    model_config = _STRICT

    declined_offer_user_turns: int = Field(default=3, ge=0, strict=True)
    """User turns after a decline during which offers are held back."""
    sharp_rise: UnitInterval = 0.2
    """A signal that rises this much above its level at the decline is offered again anyway."""


class OptOutPolicy(BaseModel):
    """How "please don't transfer me" is honoured."""

    model_config = _STRICT

    honour: bool = True
    danger: tuple[str, ...] = ("self_harm", "account_takeover")
    """Evidence kinds that override an opt-out: the customer's safety comes first."""


class Policy(BaseModel):
    """An escalation policy.

    Examples:
        >>> policy = Policy(name="strict", version="1", signals={
        ...     "human_request": {"reason": "human_requested", "handoff": 0.5}})
        >>> policy.signals["human_request"].handoff
        0.5
    """

    model_config = _STRICT

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    signals: dict[str, SignalPolicy]
    """Thresholds per signal name; a signal without an entry is reported but never escalates."""
    cooldown: CooldownPolicy = CooldownPolicy()
    opt_out: OptOutPolicy = OptOutPolicy()
    sticky_handoff: bool = True
    """Once handed off, a conversation stays handed off until the host says it returned."""
    fail_safe: Action = Action.OFFER_HUMAN
    """The action returned when the engine itself fails (reason ``engine_error``)."""
    max_text_chars: int = Field(default=4000, ge=16, le=1_000_000, strict=True)
    """Longer turns are cut to this many characters before scoring (the decision says so)."""
    rules: list[Rule] = Field(default_factory=list)
    """Escalations beyond the signal thresholds, each with a structured condition."""
    routes: dict[str, Route] = Field(default_factory=dict)
    """Teams or queues decisions can go to, with their messages and opening hours."""
    hours: dict[str, Calendar] = Field(default_factory=dict)
    """Named business-hours calendars, for routes and ``business_hours`` conditions."""
    messages: dict[Literal["offer_human", "handoff"], Message] = Field(default_factory=dict)
    """Default text per action, when neither the rule nor its route has one."""

    def decide_turn(self, inputs: PolicyInputs, memory: EscalationMemory) -> PolicyResult:
        """Decide a turn and update the policy's ``memory`` (see ``policy_step``)."""
        return policy_step(self, inputs, memory)

    def message_for(self, action: Action) -> str | None:
        """The default message for ``action`` from ``messages`` (``None`` if it has none)."""
        return next((text for key, text in self.messages.items() if key == action.value), None)

    @model_validator(mode="after")
    def _references_resolve(self, info: ValidationInfo) -> Self:
        # The file loader checks references itself, to point at each one's line.
        if not (info.context or {}).get("references_checked_by_caller"):
            problems = self.reference_problems()
            if problems:
                raise ValueError("; ".join(f"{p.dotted}: {p.message}" for p in problems))
        return self

    def reference_problems(self) -> list[ReferenceProblem]:
        """Names used but not defined: routes, calendars, duplicate rule ids."""
        problems: list[ReferenceProblem] = []
        seen: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            if rule.id in seen:
                problems.append(
                    ReferenceProblem(
                        ("rules", index, "id"),
                        f"duplicate rule id {rule.id!r} (also rules[{seen[rule.id]}])",
                    )
                )
            seen.setdefault(rule.id, index)
        for path, route in self._route_references():
            if route not in self.routes:
                problems.append(ReferenceProblem(path, _unknown("route", route, self.routes)))
        for path, calendar in self._calendar_references():
            if calendar not in self.hours:
                problems.append(ReferenceProblem(path, _unknown("calendar", calendar, self.hours)))
        return problems

    def rule_conditions(self) -> Iterator[tuple[tuple[str | int, ...], Condition]]:
        """Every condition of every rule, nested ones included, with its path."""
        for index, rule in enumerate(self.rules):
            yield from iter_conditions(rule.when, ("rules", index, "when"))

    def condition_signals(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Every signal name a rule condition reads, with the path of its ``signal`` key."""
        for path, condition in self.rule_conditions():
            if isinstance(condition, SignalComparison):
                yield (*path, "signal"), condition.signal

    def _route_references(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        for name, signal in self.signals.items():
            if signal.route is not None:
                yield ("signals", name, "route"), signal.route
        for index, rule in enumerate(self.rules):
            if rule.route is not None:
                yield ("rules", index, "route"), rule.route
        for path, condition in self.rule_conditions():
            if isinstance(condition, AgentsAvailable):
                yield (*path, "agents_available"), condition.agents_available
        for name, route in self.routes.items():
            fallback = route.when_unavailable
            if fallback is not None and fallback.route is not None:
                yield ("routes", name, "when_unavailable", "route"), fallback.route

    def _calendar_references(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        for name, route in self.routes.items():
            if route.hours is not None:
                yield ("routes", name, "hours"), route.hours
        for path, condition in self.rule_conditions():
            if isinstance(condition, BusinessHours):
                yield (*path, "business_hours"), condition.business_hours

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; derived values (hash, ref, compiled thresholds) are computed afresh.

        ``update`` is not validated (pydantic's rule): load the result with ``load_policy``,
        as the engine does, to have it checked.
        """
        copy = super().model_copy(update=update, deep=deep)
        for derived in _DERIVED:
            copy.__dict__.pop(derived, None)
        return copy

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 over the policy's canonical JSON."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @cached_property
    def compiled(self) -> tuple[CompiledSignal, ...]:
        """The signal thresholds as plain tuples (read on every turn)."""
        return tuple(
            CompiledSignal(
                name,
                rule.reason,
                rule.offer,
                rule.handoff,
                rule.release_level,
                rule.route,
                rule.message,
            )
            for name, rule in self.signals.items()
        )

    @cached_property
    def compiled_rules(self) -> CompiledRules:
        """The rules as predicates, built once (read on every turn)."""
        from escalate.policy._compiled import compile_rules  # noqa: PLC0415 - import cycle

        return compile_rules(self)

    @cached_property
    def ref(self) -> PolicyRef:
        """Name, version and hash, as carried by every decision."""
        return PolicyRef(name=self.name, version=self.version, hash=self.content_hash)


_DERIVED = ("content_hash", "ref", "compiled", "compiled_rules")


def _unknown(what: str, name: str, known: Mapping[str, object]) -> str:
    from escalate.policy._suggest import did_you_mean  # noqa: PLC0415 - rapidfuzz, on error only

    section = "routes" if what == "route" else "hours"
    listed = ", ".join(sorted(known)) or f"none yet; define it under {section}:"
    return f"unknown {what} {name!r}{did_you_mean(name, known)} (defined: {listed})"
