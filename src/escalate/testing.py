"""Helpers for testing code that uses escalate (and escalate's own tests).

Examples:
    >>> from escalate import Escalator
    >>> from escalate.testing import quiet_logger, run_conversation
    >>> esc = Escalator(logger=quiet_logger())
    >>> decisions = run_conversation(esc, [("user", "hi"), ("bot", "Hello! How can I help?")])
    >>> [d.action.value for d in decisions]
    ['continue', 'continue']
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import sys
from typing import TYPE_CHECKING, Any

from escalate.events import DECISION_EVENT
from escalate.models import Decision, Role, Turn

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping, Sequence

    from escalate.engine import Escalator

__all__ = ["capture_decisions", "quiet_logger", "run_conversation", "user_decisions"]

_conversation_numbers = itertools.count(1)


def run_conversation(
    escalator: Escalator,
    turns: Sequence[Turn | tuple[str, str]],
    conversation_id: str | None = None,
) -> list[Decision]:
    """Feed turns, in order, to one conversation and return every decision.

    Turns may be ``Turn`` objects or ``(role, text)`` pairs. Without a ``conversation_id`` a
    fresh one is made up, so each call is a conversation of its own.
    """
    conversation = conversation_id or f"test-conversation-{next(_conversation_numbers)}"
    return [escalator.evaluate(conversation, _as_turn(turn)) for turn in turns]


def _as_turn(turn: Turn | tuple[str, str]) -> Turn:
    return turn if isinstance(turn, Turn) else Turn(role=Role(turn[0]), text=turn[1])


def user_decisions(decisions: Sequence[Decision]) -> list[Decision]:
    """The decisions made on user turns only."""
    return [decision for decision in decisions if decision.role is Role.USER]


def quiet_logger() -> Any:
    """A structlog logger that drops decision events and keeps warnings and errors."""
    import structlog  # noqa: PLC0415 - keep `import escalate.testing` light

    # bind() resolves the lazy proxy once; otherwise every event would rebuild the logger.
    return structlog.wrap_logger(
        structlog.PrintLogger(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    ).bind()


@contextlib.contextmanager
def capture_decisions() -> Iterator[list[MutableMapping[str, Any]]]:
    """Collect the ``escalate.decision`` events emitted inside the block.

    The engine must use structlog's configured logger (the default), which
    ``structlog.testing.capture_logs`` replaces for the duration of the block.

    Examples:
        >>> from escalate import Escalator, Turn
        >>> with capture_decisions() as events:
        ...     _ = Escalator().evaluate("c-1", Turn(role="user", text="operator!"))
        >>> events[0]["action"]
        'handoff'
    """
    from structlog.testing import capture_logs  # noqa: PLC0415

    with capture_logs() as logs:
        decisions: list[MutableMapping[str, Any]] = []
        yield decisions
    decisions.extend(entry for entry in logs if entry.get("event") == DECISION_EVENT)
