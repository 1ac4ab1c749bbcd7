"""The built-in detectors, registered once: every list of signals, kinds or memories derives here.

A detector declares what it is on its class: ``name`` (its signal), ``lexicons`` (the bundled
lexicons it reads), ``kinds_written`` (the evidence kinds ``observe`` writes in code; lexicon
kinds come from the lexicon files) and ``memory`` (the type of its memory, kept in
``ConversationState.memories`` under its name). ``REGISTERED`` lists them in the order they
run; the signal names, the trust signals, the evidence kinds, the detectors' memories and the
insight tables' columns are all read from it, and the lexicons they read are the ones the
package ships (a test holds the two equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Final, Protocol

from escalate.core import Detector
from escalate.signals.dissatisfaction import DissatisfactionDetector
from escalate.signals.effort import EffortDetector
from escalate.signals.friction import FrictionDetector
from escalate.signals.human_request import HumanRequestDetector
from escalate.signals.loop import LoopDetector
from escalate.signals.security import SecurityDeadEndDetector
from escalate.signals.sensitive import SensitiveTopicDetector
from escalate.signals.stress import StressDetector
from escalate.signals.trust import TrustDetector

if TYPE_CHECKING:
    from escalate.core import ConversationState, SignalReading, TurnView

__all__ = ["REGISTERED", "Registration", "detector_memories", "lexicons_read", "signal_names"]


class _Declared(Protocol):
    """A detector class that declares its signal, the kinds it writes and its memory."""

    name: str
    lexicons: ClassVar[frozenset[str]]
    kinds_written: ClassVar[frozenset[str]]
    memory: ClassVar[type | None]

    def observe(self, turn: TurnView, state: ConversationState) -> SignalReading: ...


@dataclass(frozen=True, slots=True)
class Registration:
    """One built-in signal: the detector that scores it and what that detector declares."""

    name: str
    """The signal: the key in ``Decision.signals`` and in the policy's ``signals``."""
    build: Callable[[], Detector]
    """A fresh detector for the signal."""
    lexicons: frozenset[str]
    """The bundled lexicons the detector reads."""
    kinds_written: frozenset[str]
    """Evidence kinds the detector writes in code (lexicon kinds are not listed here)."""
    memory: type | None
    """The type of the detector's memory (``state.memory(name, memory)``); ``None``: none."""

    @classmethod
    def of(cls, detector: type[_Declared]) -> Registration:
        """The registration a detector class declares."""
        return cls(
            detector.name, detector, detector.lexicons, detector.kinds_written, detector.memory
        )


REGISTERED: Final[tuple[Registration, ...]] = (
    Registration.of(HumanRequestDetector),
    Registration.of(StressDetector),
    Registration.of(LoopDetector),
    Registration.of(SecurityDeadEndDetector),
    Registration.of(SensitiveTopicDetector),
    # Effort reads the loop reading of the same turn, so it runs after loop.
    Registration.of(EffortDetector),
    Registration.of(DissatisfactionDetector),
    Registration.of(FrictionDetector),
    # Last, after stress, whose lexicon and sentiment they share: one detector per signal.
    *(
        Registration(
            signal,
            partial(TrustDetector, signal),
            TrustDetector.lexicons,
            TrustDetector.kinds_written,
            TrustDetector.memory,
        )
        for signal in TrustDetector.signals
    ),
)
"""The built-in signals, in the order their detectors run."""


def signal_names() -> tuple[str, ...]:
    """The built-in signals, in the order their detectors run (and reports show them)."""
    return tuple(registration.name for registration in REGISTERED)


def lexicons_read() -> frozenset[str]:
    """The bundled lexicons the built-in detectors read: every file in ``signals/lexicons``."""
    return frozenset().union(*(registration.lexicons for registration in REGISTERED))


def detector_memories() -> dict[str, type]:
    """The built-in detectors that keep a memory, by name, and its type."""
    return {r.name: r.memory for r in REGISTERED if r.memory is not None}
