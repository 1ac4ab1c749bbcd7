"""Session-wide test set-up, shared by tests/, doctests in src/ and the docs' code blocks."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest
import structlog

if TYPE_CHECKING:
    from collections.abc import MutableMapping

# Deprecated alias modules warn on import, which --doctest-modules would turn into a collection
# error; tests/test_deprecated_names.py imports them on purpose instead.
collect_ignore = ["src/escalate/policy/engine.py"]


def _drop_routine_events(
    _logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Decision events are info-level; printed, they would become part of every doctest's output.
    if method_name in {"debug", "info"}:
        raise structlog.DropEvent
    return event_dict


@pytest.fixture(autouse=True, scope="session")
def _quiet_decision_events() -> None:
    structlog.configure(
        processors=[_drop_routine_events, structlog.dev.ConsoleRenderer(colors=False)],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
