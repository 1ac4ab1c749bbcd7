"""Detectors: one signal each, every one a 0..1 level with the evidence behind it."""

from collections.abc import Sequence
from functools import cache
from typing import Final

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
    "TRUST_SIGNALS",
    "DissatisfactionDetector",
    "EffortDetector",
    "FrictionDetector",
    "HumanRequestDetector",
    "LoopDetector",
    "Polarity",
    "SecurityDeadEndDetector",
    "SensitiveTopicDetector",
    "SignalReading",
    "StressDetector",
    "TrustDetector",
    "TurnContext",
    "default_detectors",
    "detector_set",
    "evidence_kinds",
    "matches",
    "polarity",
    "sentiment",
]

_STRUCTURAL_KINDS: Final = frozenset(
    {
        "after_bot_failure",
        "bot_repeat",
        "learned_fraud",
        "learned_stress",
        "long_conversation",
        "negative_sentiment",
        "punctuation_run",
        "pushing_again",
        "question_marks",
        "repeated_cancel_request",
        "repeated_request",
        "rising_stress",
        "shouting",
        "step_repeated",
        "sustained_stress",
        "user_repeat",
        "wrap_up_prompts",
    }
)
"""Evidence the built-in detectors find from structure rather than from a lexicon."""


@cache
def evidence_kinds() -> frozenset[str]:
    """Every evidence kind and cue the built-in detectors can report.

    Policy ``evidence`` conditions may name any of them (``escalate policy kinds`` lists them).
    """
    from_lexicons = {
        family.kind for name in BUNDLED_LEXICONS for family in load_lexicon(name).families.values()
    }
    return frozenset(from_lexicons) | _STRUCTURAL_KINDS | CUES


def default_detectors() -> list[Detector]:
    """Fresh instances of the built-in detectors, in the order they run.

    Effort runs after loop because it reads the loop reading of the same turn; the trust
    detectors (one per signal of ``TRUST_SIGNALS``) come last, after stress, whose lexicon
    and sentiment they share.
    """
    return [
        HumanRequestDetector(),
        StressDetector(),
        LoopDetector(),
        SecurityDeadEndDetector(),
        SensitiveTopicDetector(),
        EffortDetector(),
        DissatisfactionDetector(),
        FrictionDetector(),
        *(TrustDetector(signal) for signal in TRUST_SIGNALS),
    ]


def detector_set(detectors: Sequence[Detector] | None = None) -> DetectorSet:
    """The detectors a turn runs through, with the text analysis the built-in ones share.

    ``detectors``: default ``default_detectors()``. Evidence kinds are known, and checked
    against the policy, only for the built-in set.
    """
    if detectors is None:
        return DetectorSet(tuple(default_detectors()), bundled_analyser(), evidence_kinds())
    return DetectorSet(tuple(detectors), bundled_analyser())
