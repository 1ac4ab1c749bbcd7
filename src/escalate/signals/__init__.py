"""Detectors: one signal each, every one a 0..1 level with the evidence behind it."""

from escalate.signals.base import SignalReading, TurnContext
from escalate.signals.effort import EffortDetector
from escalate.signals.human_request import HumanRequestDetector
from escalate.signals.loop import LoopDetector
from escalate.signals.security import SecurityDeadEndDetector
from escalate.signals.sensitive import SensitiveTopicDetector
from escalate.signals.stress import StressDetector
from escalate.typing import Detector

__all__ = [
    "EffortDetector",
    "HumanRequestDetector",
    "LoopDetector",
    "SecurityDeadEndDetector",
    "SensitiveTopicDetector",
    "SignalReading",
    "StressDetector",
    "TurnContext",
    "default_detectors",
]


def default_detectors() -> list[Detector]:
    """Fresh instances of the built-in detectors, in the order they run.

    Effort runs last because it reads the loop reading of the same turn.
    """
    return [
        HumanRequestDetector(),
        StressDetector(),
        LoopDetector(),
        SecurityDeadEndDetector(),
        SensitiveTopicDetector(),
        EffortDetector(),
    ]
