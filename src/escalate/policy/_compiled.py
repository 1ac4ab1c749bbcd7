"""Rules compiled into predicates: built once per policy, cheap on every turn.

Each condition becomes a small object with ``holds(facts)`` for the hot path and
``explain(facts)`` for ``escalate policy explain``; both read the same ``RuleFacts``, so they
cannot disagree (a property test holds them to it). Windowed conditions ("for 2 user turns",
"3 times within 5 turns") keep one integer each in the conversation's memory, updated for every
turn before any rule is read, so short-circuiting never skips an update.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final, Protocol

from pydantic import JsonValue

from escalate.models import Action, ReasonCode, Role
from escalate.policy._conditions import (
    AgentsAvailable,
    AllOf,
    AnyOf,
    BusinessHours,
    Condition,
    EvidenceCount,
    FactComparison,
    MetaMatch,
    NotCondition,
    NumericBounds,
    RoleIs,
    SignalComparison,
)

if TYPE_CHECKING:
    from escalate.policy._model import Policy

__all__ = [
    "AGENTS_AVAILABLE_META",
    "CompiledRule",
    "CompiledRules",
    "ConditionCheck",
    "RuleFacts",
    "compile_rules",
]

AGENTS_AVAILABLE_META: Final = "agents_available"
"""Turn ``meta`` key through which the host says whether humans are staffed: ``true``/``false``
for every route, or a mapping of route name to ``true``/``false``."""

UNMEASURED: Final = math.inf
"""A failed check's distance when it cannot be measured (a role, a meta value)."""


@dataclass(slots=True)
class RuleFacts:
    """Everything a rule condition can read about one turn."""

    levels: Mapping[str, float]
    kinds: frozenset[str]
    """Evidence kinds found on this turn."""
    role: Role
    turns: int
    user_turns: int
    elapsed_seconds: float | None
    meta: Mapping[str, JsonValue]
    now: datetime
    windows: Mapping[str, int] = field(default_factory=dict)
    """Window counters after this turn's update, by window key."""


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    """How one condition fared: whether it held, why, and how far it was from holding.

    ``distance`` is 0 for a condition that held; for numeric comparisons that failed it is the
    shortfall relative to the threshold's scale, and ``UNMEASURED`` when there is no scale.
    """

    holds: bool
    text: str
    distance: float = 0.0
    children: tuple[ConditionCheck, ...] = ()

    @classmethod
    def held(cls, text: str, children: tuple[ConditionCheck, ...] = ()) -> ConditionCheck:
        """A condition that held."""
        return cls(holds=True, text=text, children=children)

    @classmethod
    def failed(
        cls, text: str, distance: float, children: tuple[ConditionCheck, ...] = ()
    ) -> ConditionCheck:
        """A condition that did not hold, ``distance`` away from holding."""
        return cls(holds=False, text=text, distance=distance, children=children)

    @classmethod
    def of(
        cls,
        holds: bool,  # noqa: FBT001 - reads as of(held, text): the condition's own yes/no
        text: str,
        children: tuple[ConditionCheck, ...] = (),
    ) -> ConditionCheck:
        """A yes/no condition whose distance cannot be measured."""
        return cls(holds, text, 0.0 if holds else UNMEASURED, children)


class Predicate(Protocol):
    """A compiled condition."""

    def holds(self, facts: RuleFacts) -> bool:
        """Whether the condition holds on this turn."""
        ...

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        """The same answer, with the values and thresholds behind it."""
        ...


class _Bounds:
    """A numeric comparison, with the distance to the nearest threshold when it fails."""

    __slots__ = ("_high", "_high_strict", "_label", "_low", "_low_strict", "_scale")

    def __init__(self, bounds: NumericBounds, label: str, scale: float | None) -> None:
        self._low = bounds.at_least if bounds.at_least is not None else bounds.above
        self._low_strict = bounds.above is not None
        self._high = bounds.at_most if bounds.at_most is not None else bounds.below
        self._high_strict = bounds.below is not None
        self._label = label
        self._scale = scale

    def test(self, value: float) -> bool:
        low, high = self._low, self._high
        if low is not None and (value <= low if self._low_strict else value < low):
            return False
        return not (high is not None and (value >= high if self._high_strict else value > high))

    def check(self, value: float | None, *, extra: str = "") -> ConditionCheck:
        if value is None:
            return ConditionCheck.failed(f"{self._label} is unknown{extra}", UNMEASURED)
        holds = self.test(value)
        shown = f"{self._label} {_number(value)} {self._wanted()}{extra}"
        if holds:
            return ConditionCheck.held(shown)
        gap = max(
            (self._low - value) if self._low is not None and value <= self._low else 0.0,
            (value - self._high) if self._high is not None and value >= self._high else 0.0,
        )
        scale = self._scale or max(abs(self._low or 0.0), abs(self._high or 0.0), 1.0)
        return ConditionCheck.failed(shown, gap / scale)

    def _wanted(self) -> str:
        parts = []
        if self._low is not None:
            parts.append(f"{'>' if self._low_strict else '>='} {_number(self._low)}")
        if self._high is not None:
            parts.append(f"{'<' if self._high_strict else '<='} {_number(self._high)}")
        return "(wanted " + " and ".join(parts) + ")"


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.3g}"


def window_key(condition: Condition) -> str:
    """A stable key for a windowed condition: the same condition shares its counter."""
    canonical = json.dumps(condition.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


class _Signal:
    __slots__ = ("_bounds", "_key", "_name", "_needed", "_users_only")

    def __init__(self, condition: SignalComparison) -> None:
        self._name = condition.signal
        self._bounds = _Bounds(condition, condition.signal, 1.0)
        self._needed = condition.for_user_turns or condition.for_turns or 0
        self._users_only = condition.for_user_turns is not None
        self._key = window_key(condition) if self._needed else ""

    @property
    def window(self) -> _Window | None:
        if not self._needed:
            return None
        return _Window(self._key, self._users_only, self._update)

    def _update(self, facts: RuleFacts, counter: int) -> int:
        level = facts.levels.get(self._name)
        return (
            min(counter + 1, self._needed) if level is not None and self._bounds.test(level) else 0
        )

    def holds(self, facts: RuleFacts) -> bool:
        if self._needed:
            return facts.windows.get(self._key, 0) >= self._needed
        level = facts.levels.get(self._name)
        return level is not None and self._bounds.test(level)

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        now = self._bounds.check(facts.levels.get(self._name))
        if not self._needed:
            return now
        streak = facts.windows.get(self._key, 0)
        unit = "user turns" if self._users_only else "turns"
        text = f"{now.text}; held {streak} of {self._needed} {unit} in a row"
        if streak >= self._needed:
            return ConditionCheck.held(text)
        return ConditionCheck.failed(
            text, max(now.distance, (self._needed - streak) / self._needed)
        )


class _Evidence:
    __slots__ = ("_key", "_kind", "_needed", "_users_only", "_width")

    def __init__(self, condition: EvidenceCount) -> None:
        self._kind = condition.evidence
        self._needed = condition.at_least
        self._width = condition.within_turns or condition.within_user_turns or 0
        self._users_only = condition.within_user_turns is not None
        self._key = window_key(condition) if self._width else ""

    @property
    def window(self) -> _Window | None:
        if not self._width:
            return None
        return _Window(self._key, self._users_only, self._update)

    def _update(self, facts: RuleFacts, counter: int) -> int:
        seen = 1 if self._kind in facts.kinds else 0
        return ((counter << 1) | seen) & ((1 << self._width) - 1)

    def _count(self, facts: RuleFacts) -> int:
        if not self._width:
            return 1 if self._kind in facts.kinds else 0
        return facts.windows.get(self._key, 0).bit_count()

    def holds(self, facts: RuleFacts) -> bool:
        return self._count(facts) >= self._needed

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        count = self._count(facts)
        unit = "user turns" if self._users_only else "turns"
        where = f"within the last {self._width} {unit}" if self._width else "on this turn"
        text = f"evidence {self._kind!r} on {count} turn(s) {where} (wanted >= {self._needed})"
        if count >= self._needed:
            return ConditionCheck.held(text)
        return ConditionCheck.failed(text, (self._needed - count) / self._needed)


class _Fact:
    __slots__ = ("_bounds", "_fact")

    def __init__(self, condition: FactComparison) -> None:
        self._fact = condition.fact
        self._bounds = _Bounds(condition, condition.fact, None)

    def _value(self, facts: RuleFacts) -> float | None:
        if self._fact == "turns":
            return facts.turns
        if self._fact == "user_turns":
            return facts.user_turns
        return facts.elapsed_seconds

    def holds(self, facts: RuleFacts) -> bool:
        value = self._value(facts)
        return value is not None and self._bounds.test(value)

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        extra = " (the turns carry no ts)" if self._fact == "elapsed_seconds" else ""
        value = self._value(facts)
        return self._bounds.check(value, extra=extra if value is None else "")


class _Meta:
    __slots__ = ("_condition", "_key")

    def __init__(self, condition: MetaMatch) -> None:
        self._key = condition.meta
        self._condition = condition

    def holds(self, facts: RuleFacts) -> bool:
        condition = self._condition
        present = self._key in facts.meta
        if condition.exists is not None:
            return present == condition.exists
        value = facts.meta.get(self._key)
        if condition.in_ is not None:
            return present and value in condition.in_
        return present and value == condition.equals

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        condition = self._condition
        value = facts.meta.get(self._key, "<absent>")
        if condition.exists is not None:
            wanted = "present" if condition.exists else "absent"
        elif condition.in_ is not None:
            wanted = f"one of {condition.in_!r}"
        else:
            wanted = repr(condition.equals)
        holds = self.holds(facts)
        return ConditionCheck.of(holds, f"meta.{self._key} is {value!r} (wanted {wanted})")


class _Role:
    __slots__ = ("_roles",)

    def __init__(self, condition: RoleIs) -> None:
        roles = condition.role if isinstance(condition.role, list) else [condition.role]
        self._roles = frozenset(roles)

    def holds(self, facts: RuleFacts) -> bool:
        return facts.role in self._roles

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        holds = self.holds(facts)
        wanted = " or ".join(sorted(role.value for role in self._roles))
        return ConditionCheck.of(holds, f"role is {facts.role.value} (wanted {wanted})")


class _Open:
    """``business_hours`` and ``agents_available``: a yes/no question about the moment."""

    __slots__ = ("_answer", "_label")

    def __init__(self, label: str, answer: _Answer) -> None:
        self._label = label
        self._answer = answer

    def holds(self, facts: RuleFacts) -> bool:
        return self._answer(facts)

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        holds = self._answer(facts)
        return ConditionCheck.of(holds, f"{self._label}: {'yes' if holds else 'no'}")


class _Answer(Protocol):
    def __call__(self, facts: RuleFacts) -> bool: ...


class _All:
    __slots__ = ("_parts",)

    def __init__(self, parts: tuple[Predicate, ...]) -> None:
        self._parts = parts

    def holds(self, facts: RuleFacts) -> bool:
        return all(part.holds(facts) for part in self._parts)

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        checks = tuple(part.explain(facts) for part in self._parts)
        return ConditionCheck(
            all(check.holds for check in checks),
            "all of",
            sum(check.distance for check in checks),
            checks,
        )


class _Any:
    __slots__ = ("_parts",)

    def __init__(self, parts: tuple[Predicate, ...]) -> None:
        self._parts = parts

    def holds(self, facts: RuleFacts) -> bool:
        return any(part.holds(facts) for part in self._parts)

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        checks = tuple(part.explain(facts) for part in self._parts)
        return ConditionCheck(
            any(check.holds for check in checks),
            "any of",
            min(check.distance for check in checks),
            checks,
        )


class _Not:
    __slots__ = ("_part",)

    def __init__(self, part: Predicate) -> None:
        self._part = part

    def holds(self, facts: RuleFacts) -> bool:
        return not self._part.holds(facts)

    def explain(self, facts: RuleFacts) -> ConditionCheck:
        inner = self._part.explain(facts)
        return ConditionCheck.of(not inner.holds, "not", (inner,))


@dataclass(frozen=True, slots=True)
class _Window:
    key: str
    users_only: bool
    update: _WindowUpdate


class _WindowUpdate(Protocol):
    def __call__(self, facts: RuleFacts, counter: int) -> int: ...


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One enabled rule, ready for the hot path."""

    id: str
    predicate: Predicate
    action: Action
    reason: ReasonCode
    priority: int
    route: str | None
    message: str | None
    signals: tuple[str, ...]
    """Signals the condition reads (not under ``not``): their evidence backs the reason."""


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """A policy's rules, windows and the facts they need."""

    rules: tuple[CompiledRule, ...]
    windows: tuple[_Window, ...]
    meta_keys: frozenset[str]
    """``meta`` keys the conditions read: the conversation remembers their last values."""
    needs_evidence: bool
    route_open: Mapping[str, _Answer]
    """Per route with hours or staffing limits: whether it can reach a human now."""

    def update_windows(self, facts: RuleFacts, counters: dict[str, int]) -> None:
        """Advance every window counter by this turn (in place) and expose them to ``facts``."""
        is_user = facts.role is Role.USER
        for window in self.windows:
            if window.users_only and not is_user:
                continue
            counters[window.key] = window.update(facts, counters.get(window.key, 0))
        facts.windows = counters

    def matching(self, facts: RuleFacts) -> list[CompiledRule]:
        """The rules whose condition holds on this turn, in policy order."""
        return [rule for rule in self.rules if rule.predicate.holds(facts)]

    def route_available(self, route: str, facts: RuleFacts) -> bool:
        """Whether ``route`` can reach a human now."""
        answer = self.route_open.get(route)
        return answer is None or answer(facts)


def compile_rules(policy: Policy) -> CompiledRules:
    """Compile a validated policy's rules."""
    builder = _Builder(policy)
    rules = tuple(
        CompiledRule(
            id=rule.id,
            predicate=builder.build(rule.when),
            action=rule.action,
            reason=rule.reason,
            priority=rule.priority,
            route=rule.route,
            message=rule.message,
            signals=_positive_signals(rule.when),
        )
        for rule in policy.rules
        if rule.enabled
    )
    return CompiledRules(
        rules,
        tuple(builder.windows.values()),
        frozenset(builder.meta_keys),
        builder.uses_evidence,
        builder.route_open,
    )


class _Builder:
    """Turns condition trees into predicates, collecting what they need from each turn."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self.windows: dict[str, _Window] = {}
        self.meta_keys: set[str] = set()
        self.uses_evidence = False
        self.route_open = {name: _route_answer(policy, name) for name in policy.routes}

    def build(self, condition: Condition) -> Predicate:
        if isinstance(condition, AllOf):
            return _All(tuple(self.build(part) for part in condition.all))
        if isinstance(condition, AnyOf):
            return _Any(tuple(self.build(part) for part in condition.any))
        if isinstance(condition, NotCondition):
            return _Not(self.build(condition.not_))
        return self._leaf(condition)

    def _leaf(self, condition: Condition) -> Predicate:
        if isinstance(condition, SignalComparison):
            return self._windowed(_Signal(condition))
        if isinstance(condition, EvidenceCount):
            self.uses_evidence = True
            return self._windowed(_Evidence(condition))
        if isinstance(condition, MetaMatch):
            self.meta_keys.add(condition.meta)
            return _Meta(condition)
        if isinstance(condition, FactComparison):
            return _Fact(condition)
        if isinstance(condition, RoleIs):
            return _Role(condition)
        return self._moment(condition)

    def _windowed(self, leaf: _Signal | _Evidence) -> Predicate:
        window = leaf.window
        if window is not None:
            self.windows[window.key] = window
        return leaf

    def _moment(self, condition: Condition) -> Predicate:
        if isinstance(condition, BusinessHours):
            calendar = self._policy.hours[condition.business_hours]
            return _Open(
                f"business hours {condition.business_hours!r} open",
                lambda facts: calendar.is_open(facts.now),
            )
        assert isinstance(condition, AgentsAvailable)
        route = condition.agents_available
        return _Open(f"agents available on route {route!r}", self.route_open[route])


def _route_answer(policy: Policy, name: str) -> _Answer:
    route = policy.routes[name]
    calendar = policy.hours.get(route.hours) if route.hours is not None else None

    def available(facts: RuleFacts) -> bool:
        if calendar is not None and not calendar.is_open(facts.now):
            return False
        staffed = facts.meta.get(AGENTS_AVAILABLE_META)
        if isinstance(staffed, dict):
            staffed = staffed.get(name, True)
        return staffed is not False

    return available


def _positive_signals(condition: Condition) -> tuple[str, ...]:
    if isinstance(condition, SignalComparison):
        return (condition.signal,)
    if isinstance(condition, AllOf | AnyOf):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        names: list[str] = []
        for part in parts:
            names.extend(name for name in _positive_signals(part) if name not in names)
        return tuple(names)
    return ()
