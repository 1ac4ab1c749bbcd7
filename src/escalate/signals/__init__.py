"""Detectors: one signal each, every one a 0..1 level with the evidence behind it."""

from functools import cache
from typing import Final

from escalate.signals._lexicon import load_lexicon
from escalate.signals.base import SignalReading, TurnContext
from escalate.signals.effort import EffortDetector
from escalate.signals.human_request import (
    BOT_QUESTION,
    HUMAN_OFFERED,
    OFFER_DECLINED,
    OPT_OUT,
    HumanRequestDetector,
)
from escalate.signals.loop import WRAP_UP, LoopDetector
from escalate.signals.security import SecurityDeadEndDetector
from escalate.signals.sensitive import SensitiveTopicDetector
from escalate.signals.stress import StressDetector
from escalate.signals.trust import TRUST_SIGNALS, TrustDetector
from escalate.typing import Detector

__all__ = [
    "BUNDLED_LEXICONS",
    "TRUST_SIGNALS",
    "EffortDetector",
    "HumanRequestDetector",
    "LoopDetector",
    "SecurityDeadEndDetector",
    "SensitiveTopicDetector",
    "SignalReading",
    "StressDetector",
    "TrustDetector",
    "TurnContext",
    "default_detectors",
    "evidence_kinds",
]

_STRUCTURAL_KINDS: Final = frozenset(
    {
        "bot_repeat",
        "long_conversation",
        "negative_sentiment",
        "punctuation_run",
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
_CUES: Final = frozenset({BOT_QUESTION, HUMAN_OFFERED, OFFER_DECLINED, OPT_OUT, WRAP_UP})
BUNDLED_LEXICONS: Final = ("human_request", "stress", "security", "sensitive", "loop", "trust")
"""The lexicon files the built-in detectors read."""


@cache
def evidence_kinds() -> frozenset[str]:
    """Every evidence kind and cue the built-in detectors can report.

    Policy ``evidence`` conditions may name any of them (``escalate policy kinds`` lists them).
    """
    from_lexicons = {
        family.kind for name in BUNDLED_LEXICONS for family in load_lexicon(name).families.values()
    }
    return frozenset(from_lexicons) | _STRUCTURAL_KINDS | _CUES


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
        *(TrustDetector(signal) for signal in TRUST_SIGNALS),
    ]
