"""Deprecated alias: import ``ConversationState`` and the memories from ``escalate.core``.

The conversation state is defined in ``escalate.core`` (``escalate.state`` and ``escalate``
export ``ConversationState`` too); this module only re-exported it.
"""

from escalate._deprecated import moved

_MOVED = ("EVIDENCE_KEPT", "RECENT_TEXTS", "RECENT_TURNS_KEPT", "SCHEMA_VERSION", "TEXT_KEPT",
          "ConversationState", "DissatisfactionMemory", "EffortMemory", "EscalationMemory",
          "FrictionMemory", "HandoffMemory", "HumanRequestMemory", "LoopMemory", "RecentTurn",
          "SecurityMemory", "SensitiveMemory", "StressMemory", "newest_first", "remember",
          "remembered", "remembered_flag")  # fmt: skip


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.core", _MOVED)
