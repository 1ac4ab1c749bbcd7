"""The data that crosses the API: turns in, decisions out (defined in ``escalate.core``).

Every model is a frozen pydantic model, so a decision handed to a callback, a log processor or
another thread can never be changed behind the engine's back, and every one serialises to JSON
with ``model_dump_json()``.
"""

from escalate.core import (
    Action,
    Decision,
    Evidence,
    Outcome,
    PolicyRef,
    Reason,
    ReasonCode,
    Role,
    RoleName,
    Turn,
)

__all__ = [
    "Action",
    "Decision",
    "Evidence",
    "Outcome",
    "PolicyRef",
    "Reason",
    "ReasonCode",
    "Role",
    "RoleName",
    "Turn",
]
