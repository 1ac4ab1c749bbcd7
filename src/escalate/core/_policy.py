"""What the turn step asks of a policy: one call per turn, from readings to a verdict.

The core knows the policy only through this protocol; ``escalate.policy.Policy`` implements it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from pydantic import JsonValue

from escalate.core._models import Action, Reason, Role
from escalate.core._reading import SignalReading

if TYPE_CHECKING:
    from escalate.core._models import PolicyRef
    from escalate.core._state import EscalationMemory

__all__ = ["PolicyInputs", "PolicyResult", "PolicyStep", "Verdict"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The policy's answer for one turn."""

    action: Action
    reasons: tuple[Reason, ...] = ()
    suppressed: tuple[Reason, ...] = ()
    notes: tuple[str, ...] = ()
    route: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyInputs:
    """Everything a policy reads on a turn besides its own memory."""

    readings: Mapping[str, SignalReading]
    levels: Mapping[str, float]
    """Every signal's level, rounded as the decision reports it."""
    cues: frozenset[str]
    role: Role
    turn_index: int
    turns: int
    user_turns: int
    elapsed_seconds: float | None
    meta: Mapping[str, JsonValue]
    now: datetime
    """The turn's time, or the host's clock when the turn has none."""


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """A policy's verdict, and what its rules read (``facts``: the policy's own type)."""

    verdict: Verdict
    facts: object | None = None


class PolicyStep(Protocol):
    """A policy as the turn step uses it."""

    @property
    def ref(self) -> PolicyRef:
        """Name, version and content hash, stamped on every decision."""
        ...

    @property
    def max_text_chars(self) -> int:
        """Longer texts are cut to this many characters before they are scored."""
        ...

    @property
    def fail_safe(self) -> Action:
        """The action for a turn the engine could not score."""
        ...

    def message_for(self, action: Action) -> str | None:
        """The message shown to the customer with ``action``, if any."""
        ...

    def decide_turn(self, inputs: PolicyInputs, memory: EscalationMemory) -> PolicyResult:
        """Decide the turn and update ``memory`` (the policy's own part of the state)."""
        ...
