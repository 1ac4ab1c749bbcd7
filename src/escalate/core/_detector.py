"""The detector protocol, and the ordered set of detectors a turn runs through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from escalate.core._errors import InvalidInputError
from escalate.core._text import TextAnalyser

if TYPE_CHECKING:
    from escalate.core._reading import SignalReading
    from escalate.core._state import ConversationState
    from escalate.core._view import TurnView

__all__ = ["Detector", "DetectorSet"]


@runtime_checkable
class Detector(Protocol):
    """Scores one signal on every turn.

    ``observe`` is called once per turn, in order, under the conversation's lock. It keeps its
    memory in ``state.memory(name, Memory)``, a dataclass of its own with a default for every
    field (``state.peek`` reads it without creating it), stored, checked and forgotten as the
    built-in detectors' are; it may read the readings of detectors that ran before it
    (``turn.readings``). It must not do I/O: the engine runs it on the host's hot path. Do
    expensive set-up in ``__init__``.
    """

    name: str
    """The signal's name: the key in ``Decision.signals`` and in the policy's ``signals``."""

    def observe(self, turn: TurnView, state: ConversationState) -> SignalReading:
        """Score ``turn`` given the conversation so far."""
        ...


@dataclass(frozen=True, slots=True)
class DetectorSet:
    """The detectors a turn runs through, in order, and the text analysis they share.

    Args:
        detectors: run in this order; each sees the readings of those before it.
        analyser: turns each text into the folded, corrected, tokenised form they read.
        evidence_kinds: every evidence kind and cue they can report, when known (the
            policy's ``evidence`` conditions are checked against it); ``None``: not checked.
    """

    detectors: tuple[Detector, ...]
    analyser: TextAnalyser
    evidence_kinds: frozenset[str] | None = None

    def __post_init__(self) -> None:
        names = [detector.name for detector in self.detectors]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise InvalidInputError(
                f"two detectors produce the same signal: {', '.join(duplicated)}"
            )

    @property
    def names(self) -> tuple[str, ...]:
        """The signals, in the order their detectors run."""
        return tuple(detector.name for detector in self.detectors)
