"""escalate: decide, turn by turn, when a chatbot should bring in a human.

Examples:
    >>> from escalate import Escalator, Turn
    >>> esc = Escalator()
    >>> decision = esc.evaluate("conv-1", Turn(role="user", text="I want to talk to a person"))
    >>> decision.action, decision.reason_codes[0]
    (<Action.HANDOFF: 'handoff'>, <ReasonCode.HUMAN_REQUESTED: 'human_requested'>)
"""

import logging
from typing import TYPE_CHECKING

from escalate._lazy import on_first_use
from escalate.exceptions import (
    AuditError,
    EscalateError,
    InvalidInputError,
    LexiconError,
    MissingDependencyError,
    PolicyError,
    PolicyProblem,
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
from escalate.typing import AsyncStateStore, AuditSink, Detector, StateStore

if TYPE_CHECKING:
    from escalate.engine import Escalator
    from escalate.handoff import HandoffContext
    from escalate.policy import Policy, load_policy
    from escalate.state import ConversationState, InMemoryStore

# The logging HOWTO's rule for libraries: no output of their own, not even Python's "last resort"
# handler for warnings and errors, until the host configures logging (docs/logging.md).
logging.getLogger("escalate").addHandler(logging.NullHandler())

# The engine loads lexicons, YAML, rapidfuzz and VADER; a host that only needs the models (an
# audit reader, a type annotation) should not pay for them, so these load on first access.
_LAZY = {
    "Escalator": "escalate.engine",
    "HandoffContext": "escalate.handoff",
    "Policy": "escalate.policy",
    "load_policy": "escalate.policy",
    "ConversationState": "escalate.state",
    "InMemoryStore": "escalate.state",
}


def __getattr__(name: str) -> object:
    # The version comes from package metadata, which is slow to read: only when asked.
    if name == "__version__":
        from escalate.events import library_version  # noqa: PLC0415

        return library_version()
    return on_first_use(__name__, name, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "Action",
    "AsyncStateStore",
    "AuditError",
    "AuditSink",
    "ConversationState",
    "Decision",
    "Detector",
    "EscalateError",
    "Escalator",
    "Evidence",
    "HandoffContext",
    "InMemoryStore",
    "InvalidInputError",
    "LexiconError",
    "MissingDependencyError",
    "Outcome",
    "Policy",
    "PolicyError",
    "PolicyProblem",
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
