"""The core: the data model, the conversation state, the detector protocol and the turn step.

It imports nothing else from the package; every other part (detectors, policy, stores, audit,
the CLI, the service, the tools) builds on it. ``step`` is the whole of a turn's logic with no
I/O: the ``Escalator`` is a thin shell around it.
"""

from escalate.core._cues import (
    BOT_QUESTION,
    CUES,
    HUMAN_OFFERED,
    OFFER_DECLINED,
    OPT_OUT,
    WRAP_UP,
)
from escalate.core._detector import Detector, DetectorSet
from escalate.core._models import (
    Action,
    Decision,
    Evidence,
    Outcome,
    PolicyRef,
    Reason,
    ReasonCode,
    Role,
    Turn,
)
from escalate.core._notes import note_turn
from escalate.core._policy import PolicyInputs, PolicyResult, PolicyStep, Verdict
from escalate.core._reading import QUIET, SignalReading, all_cues, evidence, noisy_or
from escalate.core._state import (
    EVIDENCE_KEPT,
    RECENT_TEXTS,
    RECENT_TURNS_KEPT,
    SCHEMA_VERSION,
    TEXT_KEPT,
    ConversationState,
    EffortMemory,
    EscalationMemory,
    HandoffMemory,
    HumanRequestMemory,
    LoopMemory,
    RecentTurn,
    SecurityMemory,
    SensitiveMemory,
    StressMemory,
    remember,
)
from escalate.core._step import (
    ScoredTurn,
    StepResult,
    elapsed_seconds,
    fail_safe_decision,
    step,
)
from escalate.core._text import (
    LONG_WORD,
    MIN_TYPO_LENGTH,
    AnalysedText,
    TextAnalyser,
    content_words,
    fold,
)
from escalate.core._view import TurnView

__all__ = [
    "BOT_QUESTION",
    "CUES",
    "EVIDENCE_KEPT",
    "HUMAN_OFFERED",
    "LONG_WORD",
    "MIN_TYPO_LENGTH",
    "OFFER_DECLINED",
    "OPT_OUT",
    "QUIET",
    "RECENT_TEXTS",
    "RECENT_TURNS_KEPT",
    "SCHEMA_VERSION",
    "TEXT_KEPT",
    "WRAP_UP",
    "Action",
    "AnalysedText",
    "ConversationState",
    "Decision",
    "Detector",
    "DetectorSet",
    "EffortMemory",
    "EscalationMemory",
    "Evidence",
    "HandoffMemory",
    "HumanRequestMemory",
    "LoopMemory",
    "Outcome",
    "PolicyInputs",
    "PolicyRef",
    "PolicyResult",
    "PolicyStep",
    "Reason",
    "ReasonCode",
    "RecentTurn",
    "Role",
    "ScoredTurn",
    "SecurityMemory",
    "SensitiveMemory",
    "SignalReading",
    "StepResult",
    "StressMemory",
    "TextAnalyser",
    "Turn",
    "TurnView",
    "Verdict",
    "all_cues",
    "content_words",
    "elapsed_seconds",
    "evidence",
    "fail_safe_decision",
    "fold",
    "noisy_or",
    "note_turn",
    "remember",
    "step",
]
