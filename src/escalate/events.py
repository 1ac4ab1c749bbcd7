"""The structlog events ``escalate`` emits, and their fields.

``escalate.decision`` (level info), one per evaluated turn, carries every field of the
``Decision`` as JSON values (``decision_id``, ``conversation_id``, ``turn_index``, ``user_turn``,
``role``, ``action``, ``previous_action``, ``reasons`` with their evidence, ``suppressed``,
``signals``, ``policy`` {name, version, hash}, ``created_at``, ``latency_ms``, ``truncated``,
``notes``) plus ``library_version``. The event is self-contained, so a processor can persist it
as-is and replay it later.

``escalate.outcome`` (info): the host reported what happened (``conversation_id``,
``outcome``, ``note``).

``escalate.engine_error`` (error, with the exception): the engine failed on a turn and returned
the policy's fail-safe decision instead.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from escalate.models import Decision

__all__ = [
    "DECISION_EVENT",
    "ENGINE_ERROR_EVENT",
    "OUTCOME_EVENT",
    "decision_fields",
    "library_version",
]

DECISION_EVENT: Final = "escalate.decision"
OUTCOME_EVENT: Final = "escalate.outcome"
ENGINE_ERROR_EVENT: Final = "escalate.engine_error"


@cache
def library_version() -> str:
    """The installed version of escalate (read once, on first use: metadata lookups are slow)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - 50 ms import

    try:
        return version("escalate")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def decision_fields(decision: Decision) -> dict[str, Any]:
    """The fields of an ``escalate.decision`` event (JSON values only)."""
    fields = decision.model_dump(mode="json")
    fields["library_version"] = library_version()
    return fields
