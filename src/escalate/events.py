"""The events ``escalate`` emits, their fields, and where they go by default.

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

By default the events go to the standard library logger ``escalate`` (``EventLogger``), which
has only a ``NullHandler``: a library prints nothing until its host configures logging. A host
can pass any structlog-style logger to ``Escalator(logger=...)`` instead.

Customers' words are redacted in every event by default (``EventText.REDACTED``): the evidence
quotes and notes of a decision, the note of an outcome, the message of an engine error (with
the audit trail's redactor, or ``Redactor()``). ``Escalator(event_text="raw")`` opts out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable

    from escalate.models import Decision

__all__ = [
    "DECISION_EVENT",
    "ENGINE_ERROR_EVENT",
    "LOGGER_NAME",
    "OUTCOME_EVENT",
    "EventLogger",
    "EventText",
    "decision_fields",
    "library_version",
    "quiet_logger",
    "redacted_exception",
]

DECISION_EVENT: Final = "escalate.decision"
OUTCOME_EVENT: Final = "escalate.outcome"
ENGINE_ERROR_EVENT: Final = "escalate.engine_error"
LOGGER_NAME: Final = "escalate"


class EventText(StrEnum):
    """How much of the customers' words events carry."""

    REDACTED = "redacted"
    """Secrets replaced, as in the audit trail (the default)."""
    RAW = "raw"
    """As written: only for a log pipeline that is as private as the conversations."""


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


def redacted_exception(exc: BaseException, redact: Callable[[str], str]) -> BaseException:
    """A copy of ``exc`` with its message redacted and its traceback kept, for logging.

    An exception raised on a turn can quote the turn's text; its type and frames are what a
    developer needs, so only the message is rewritten.
    """
    message = redact(str(exc))
    copy: BaseException | None = None
    with contextlib.suppress(Exception):  # some exceptions cannot be rebuilt from a message
        copy = type(exc)(message)
        if str(copy) != message:  # its __str__ reads other attributes: not trusted
            copy = None
    if copy is None:
        copy = RuntimeError(f"{type(exc).__name__}: {message}")
    return copy.with_traceback(exc.__traceback__)


class EventLogger:
    """Sends escalate's events to a standard library logger (default: ``escalate``).

    The structlog-style calls the engine makes (``info(event, **fields)``, ``error(event,
    exc_info=..., **fields)``, ``is_enabled_for(level)``) become log records whose message is
    ``"<event> <fields as JSON>"`` (rendered only if a handler formats it) and whose
    ``escalate`` attribute holds the event as a dict, ``{"event": ..., **fields}``, for handlers
    that want the structure. ``exc_info`` stays the record's, so the host formats tracebacks.
    """

    __slots__ = ("_logger",)

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logging.getLogger(LOGGER_NAME) if logger is None else logger

    def is_enabled_for(self, level: int) -> bool:
        """Whether an event at ``level`` would be handled (the engine skips building it if not)."""
        return self._logger.isEnabledFor(level)

    def debug(self, event: str, **fields: Any) -> None:
        """Log ``event`` at debug level with its fields."""
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        """Log ``event`` at info level with its fields."""
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        """Log ``event`` at warning level with its fields."""
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        """Log ``event`` at error level with its fields."""
        self._log(logging.ERROR, event, fields)

    def _log(self, level: int, event: str, fields: dict[str, Any]) -> None:
        if not self._logger.isEnabledFor(level):
            return
        exc_info = fields.pop("exc_info", None)
        self._logger.log(
            level,
            "%s %s",
            event,
            _Json(fields),
            exc_info=exc_info,
            extra={"escalate": {"event": event, **fields}},
            stacklevel=3,  # the record points at the engine's call, not at this adapter
        )


class _Json:
    """Fields rendered as JSON only when a handler formats the record."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def __str__(self) -> str:
        return json.dumps(self.fields, ensure_ascii=False, default=str)


def quiet_logger() -> Any:
    """A structlog logger that drops decision events and keeps warnings and errors.

    For tools that score many turns (``escalate eval``, ``tune``, the pytest plugin) and for
    tests (``escalate.testing`` exports it too).
    """
    import structlog  # noqa: PLC0415 - keep `import escalate` light

    # bind() resolves the lazy proxy once; otherwise every event would rebuild the logger.
    return structlog.wrap_logger(
        structlog.PrintLogger(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    ).bind()
