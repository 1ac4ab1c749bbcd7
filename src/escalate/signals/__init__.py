"""Detectors: one signal each, every one a 0..1 level with the evidence behind it."""

from collections.abc import Sequence
from functools import cache

from escalate.core import CUES, Detector, DetectorSet
from escalate.signals._context import (
    BUNDLED_LEXICONS,
    Polarity,
    bundled_analyser,
    matches,
    polarity,
    sentiment,
)
from escalate.signals._lexicon import load_lexicon
from escalate.signals._registry import (
    REGISTERED,
    Registration,
    detector_memories,
    lexicons_read,
    signal_names,
)
from escalate.signals.base import SignalReading, TurnContext
from escalate.signals.dissatisfaction import DissatisfactionDetector
from escalate.signals.effort import EffortDetector
from escalate.signals.friction import FrictionDetector
from escalate.signals.human_request import HumanRequestDetector
from escalate.signals.loop import LoopDetector
from escalate.signals.security import SecurityDeadEndDetector
from escalate.signals.sensitive import SensitiveTopicDetector
from escalate.signals.stress import StressDetector
from escalate.signals.trust import TRUST_SIGNALS, TrustDetector

__all__ = [
    "BUNDLED_LEXICONS",
    "REGISTERED",
    "TRUST_SIGNALS",
    "DissatisfactionDetector",
    "EffortDetector",
    "FrictionDetector",
    "HumanRequestDetector",
    "LoopDetector",
    "Polarity",
    "Registration",
    "SecurityDeadEndDetector",
    "SensitiveTopicDetector",
    "SignalReading",
    "StressDetector",
    "TrustDetector",
    "TurnContext",
    "default_detectors",
    "detector_memories",
    "detector_set",
    "evidence_kinds",
    "lexicons_read",
    "load_lexicon",
    "matches",
    "polarity",
    "sentiment",
    "signal_names",
]


@cache
def evidence_kinds() -> frozenset[str]:
    """Every evidence kind and cue the built-in detectors can report.

    Policy ``evidence`` conditions may name any of them (``escalate policy kinds`` lists them).
    """
    from_lexicons = {
        family.kind for name in BUNDLED_LEXICONS for family in load_lexicon(name).families.values()
    }
    written = {kind for registration in REGISTERED for kind in registration.kinds_written}
    return frozenset(from_lexicons) | frozenset(written) | CUES


def default_detectors() -> list[Detector]:
    """Fresh instances of the built-in detectors, in the order they run (``REGISTERED``)."""
    return [registration.build() for registration in REGISTERED]


def detector_set(detectors: Sequence[Detector] | None = None) -> DetectorSet:
    """The detectors a turn runs through, with the text analysis the built-in ones share.

    ``detectors``: default ``default_detectors()``. Evidence kinds are known, and checked
    against the policy, only for the built-in set.
    """
    if detectors is None:
        return DetectorSet(tuple(default_detectors()), bundled_analyser(), evidence_kinds())
    return DetectorSet(tuple(detectors), bundled_analyser())
