"""escalate: decide, turn by turn, when a chatbot should bring in a human.

Example:
    >>> from escalate import Escalator, Turn
    >>> esc = Escalator()
    >>> decision = esc.evaluate("conv-1", Turn(role="user", text="I want to talk to a person"))
    >>> decision.action, decision.reason_codes[0]
    (<Action.HANDOFF: 'handoff'>, <ReasonCode.HUMAN_REQUESTED: 'human_requested'>)
"""

from escalate.engine import Escalator
from escalate.exceptions import (
    EscalateError,
    InvalidInputError,
    LexiconError,
    MissingDependencyError,
    PolicyError,
    TranscriptError,
)
from escalate.models import (
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
from escalate.policy import Policy, load_policy
from escalate.state import ConversationState, InMemoryStore
from escalate.typing import AsyncStateStore, Detector, StateStore


def __getattr__(name: str) -> str:
    # The version comes from package metadata, which is slow to read: only when asked.
    if name == "__version__":
        from escalate.events import library_version  # noqa: PLC0415

        return library_version()
    raise AttributeError(f"module 'escalate' has no attribute {name!r}")


__all__ = [
    "Action",
    "AsyncStateStore",
    "ConversationState",
    "Decision",
    "Detector",
    "EscalateError",
    "Escalator",
    "Evidence",
    "InMemoryStore",
    "InvalidInputError",
    "LexiconError",
    "MissingDependencyError",
    "Outcome",
    "Policy",
    "PolicyError",
    "PolicyRef",
    "Reason",
    "ReasonCode",
    "Role",
    "StateStore",
    "TranscriptError",
    "Turn",
    "__version__",
    "load_policy",
]
