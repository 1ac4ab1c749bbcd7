"""Why a turn was decided as it was: every threshold and rule, with the values behind it.

The engine builds a ``TurnTrace`` only when asked (``Escalator.explain``); the hot path never
pays for it. ``escalate policy explain`` and failing policy tests print it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from escalate.core import Action, ReasonCode
from escalate.policy._compiled import UNMEASURED, ConditionCheck, RuleFacts
from escalate.policy._model import Policy

if TYPE_CHECKING:
    from collections.abc import Mapping

    from escalate.core import ScoredTurn, SignalReading

__all__ = [
    "NEAR_MISS_MARGIN",
    "RuleTrace",
    "SignalTrace",
    "TurnTrace",
    "scored_by",
    "trace_turn",
]

NEAR_MISS_MARGIN: Final = 0.1
"""A rule or threshold missed by at most this much (on the 0..1 scale) is a near miss."""


@dataclass(frozen=True, slots=True)
class SignalTrace:
    """A signal's level against the policy's thresholds for it."""

    name: str
    level: float
    offer: float | None
    handoff: float | None
    reached: Action
    """The stage the level reached on its own (before cooldown, opt-out and stickiness)."""

    @property
    def shortfall(self) -> float:
        """How far below the next threshold the level is (0 once handoff is reached)."""
        for threshold in (self.offer, self.handoff):
            if threshold is not None and self.level < threshold:
                return threshold - self.level
        return 0.0


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """One rule's condition on this turn."""

    id: str
    action: Action
    reason: ReasonCode
    check: ConditionCheck

    @property
    def matched(self) -> bool:
        """Whether the rule's condition held."""
        return self.check.holds


@dataclass(frozen=True, slots=True)
class TurnTrace:
    """Every threshold and rule the policy weighed on one turn."""

    signals: tuple[SignalTrace, ...]
    rules: tuple[RuleTrace, ...]

    def near_misses(self, margin: float = NEAR_MISS_MARGIN) -> tuple[RuleTrace, ...]:
        """Rules that did not match, but would have with values at most ``margin`` away."""
        return tuple(
            rule for rule in self.rules if not rule.matched and rule.check.distance <= margin
        )

    def lines(self, margin: float = NEAR_MISS_MARGIN, *, everything: bool = False) -> list[str]:
        """Plain-text lines of the thresholds and rules that mattered.

        Those reached or matched, and those nearly so; with ``everything``, all of them.
        """
        out = []
        for signal in self.signals:
            near = 0 < signal.shortfall <= margin
            if everything or signal.reached is not Action.CONTINUE or near:
                out.append(f"signal {signal.name} {signal.level:.2f}: {_thresholds(signal)}")
        near_ids = {rule.id for rule in self.near_misses(margin)}
        for rule in self.rules:
            if rule.matched:
                state = f"matched -> {rule.action.value} ({rule.reason.value})"
            elif rule.id in near_ids:
                state = f"near miss (short by {rule.check.distance:.2f})"
            elif everything:
                state = "no match"
            else:
                continue
            out.append(f"rule {rule.id}: {state}")
            out.extend(_check_lines(rule.check, "    "))
        return out


def trace_turn(
    policy: Policy, readings: Mapping[str, SignalReading], facts: RuleFacts | None
) -> TurnTrace:
    """Trace a turn that the engine has scored (``facts``: from ``rule_facts``)."""
    signals = []
    for signal in policy.compiled:
        reading = readings.get(signal.name)
        if reading is None:
            continue
        level = reading.score
        signals.append(
            SignalTrace(
                signal.name, round(level, 4), signal.offer, signal.handoff, signal.stage(level)
            )
        )
    rules: tuple[RuleTrace, ...] = ()
    if facts is not None:
        rules = tuple(
            RuleTrace(rule.id, rule.action, rule.reason, rule.predicate.explain(facts))
            for rule in policy.compiled_rules.rules
        )
    return TurnTrace(tuple(signals), rules)


def _thresholds(signal: SignalTrace) -> str:
    parts = []
    if signal.offer is not None:
        parts.append(f"offer at {signal.offer:g}")
    if signal.handoff is not None:
        parts.append(f"handoff at {signal.handoff:g}")
    reached = f"reached {signal.reached.value}" if signal.reached is not Action.CONTINUE else ""
    short = f"short by {signal.shortfall:.2f}" if signal.shortfall else ""
    return ", ".join(part for part in (*parts, reached or short) if part)


def _check_lines(check: ConditionCheck, indent: str) -> list[str]:
    mark = "yes" if check.holds else "no "
    distance = ""
    if not check.holds and check.distance not in {0, UNMEASURED} and not check.children:
        distance = f" (short by {check.distance:.2f})"
    lines = [f"{indent}[{mark}] {check.text}{distance}"]
    for child in check.children:
        lines.extend(_check_lines(child, indent + "    "))
    return lines


def scored_by(scored: ScoredTurn) -> tuple[Policy, RuleFacts | None]:
    """The policy that decided a scored turn and what its rules read.

    Raises ``TypeError`` for a turn decided by another implementation of ``PolicyStep``.
    """
    policy, facts = scored.policy, scored.facts
    if not isinstance(policy, Policy) or not (facts is None or isinstance(facts, RuleFacts)):
        raise TypeError(f"not decided by an escalate Policy: {type(policy).__name__}")
    return policy, facts
