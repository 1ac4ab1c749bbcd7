"""One turn as a detector sees it: the public view every detector, built-in or custom, reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from pydantic import JsonValue

from escalate.core._models import Role
from escalate.core._reading import SignalReading
from escalate.core._text import AnalysedText

__all__ = ["TurnView"]

T = TypeVar("T")


@dataclass(slots=True)
class TurnView:
    """One turn as the detectors see it."""

    index: int
    """0-based over all turns of the conversation."""
    user_turn: int
    """User turns so far, this one included."""
    role: Role
    text: AnalysedText
    """The text as received (``raw``), folded, typo-corrected for matching, and its words."""
    ts: float | None
    """Unix seconds, when the host gave a time."""
    meta: Mapping[str, JsonValue]
    offer_pending: bool = False
    """A human was offered and the customer has not answered yet (from the policy's memory,
    passed in: detectors never read the policy's state)."""
    readings: dict[str, SignalReading] = field(default_factory=dict)
    """Readings of the detectors that already ran on this turn, by signal name."""
    _shared: dict[str, Any] | None = None

    def shared(self, key: str, compute: Callable[[TurnView], T]) -> T:
        """``compute(self)``, run once per turn for all the detectors that ask for ``key``.

        For work several detectors need: the lexicon scan and VADER's score are computed on
        first use and read by every built-in detector that needs them.
        """
        shared = self._shared
        if shared is None:
            shared = self._shared = {}
        elif key in shared:
            return cast("T", shared[key])
        value = shared[key] = compute(self)
        return value
