"""What the engine remembers about one conversation between turns (defined in ``escalate.core``)."""

from escalate.core import (
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

__all__ = [
    "EVIDENCE_KEPT",
    "RECENT_TEXTS",
    "RECENT_TURNS_KEPT",
    "SCHEMA_VERSION",
    "TEXT_KEPT",
    "ConversationState",
    "EffortMemory",
    "EscalationMemory",
    "HandoffMemory",
    "HumanRequestMemory",
    "LoopMemory",
    "RecentTurn",
    "SecurityMemory",
    "SensitiveMemory",
    "StressMemory",
    "remember",
]
