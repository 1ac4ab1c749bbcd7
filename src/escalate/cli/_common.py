"""Pieces the ``escalate`` commands share: engine set-up, event logs, failing with exit 2."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO

import structlog
import typer

from escalate.engine import Escalator
from escalate.exceptions import PolicyError, TranscriptError
from escalate.state.memory import InMemoryStore

if TYPE_CHECKING:
    from escalate.audit import AuditTrail
    from escalate.evaluation import Case
    from escalate.typing import AsyncStateStore, StateStore

EXIT_BAD_INPUT = 2


class OnError(StrEnum):
    """What a command does with a bad transcript line."""

    FAIL = "fail"
    SKIP = "skip"


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy", "-p", help="Policy file (.yaml, .toml, .json); default: the bundled one."
    ),
]


def counted(number: int, noun: str) -> str:
    """``1 conversation``, ``2 conversations`` (nouns that take an s)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def make_escalator(
    policy: Path | None,
    logger: structlog.typing.FilteringBoundLogger,
    audit: AuditTrail | None = None,
    store: StateStore | AsyncStateStore | None = None,
) -> Escalator:
    try:
        return Escalator(policy, store=store or transcript_store(), logger=logger, audit=audit)
    except PolicyError as error:
        fail(str(error))


def transcript_store() -> InMemoryStore:
    """A store for scoring a transcript."""
    # A transcript can hold many conversations, each scored once: keep them all, no expiry.
    return InMemoryStore(max_conversations=1_000_000, ttl_seconds=None)


@contextlib.contextmanager
def audit_trail(path: Path | None) -> Iterator[AuditTrail | None]:
    """An audit trail writing to ``path`` (SQLite for .db/.sqlite, else JSON Lines), or none."""
    if path is None:
        yield None
        return
    from escalate.audit import AuditTrail, JsonlSink, SqliteSink  # noqa: PLC0415
    from escalate.exceptions import AuditError  # noqa: PLC0415

    try:
        sink = SqliteSink(path) if path.suffix in {".db", ".sqlite"} else JsonlSink(path)
    except (AuditError, OSError) as error:
        fail(f"cannot open the audit trail: {error}")
    with AuditTrail(sink) as trail:
        yield trail


@contextlib.contextmanager
def events_log(path: Path | None) -> Iterator[structlog.typing.FilteringBoundLogger]:
    """Decision events go to ``path`` as JSON Lines; warnings and errors always to stderr."""
    with contextlib.ExitStack() as stack:
        sink: TextIO = stack.enter_context(path.open("w", encoding="utf-8")) if path else sys.stderr
        level = logging.INFO if path else logging.WARNING
        processors: list[structlog.typing.Processor] = [
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
        # bind() resolves the lazy proxy once instead of on every event.
        yield structlog.wrap_logger(
            structlog.PrintLogger(sink),
            processors=processors,
            wrapper_class=structlog.make_filtering_bound_logger(level),
        ).bind()


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def load_labelled(files: list[Path]) -> list[Case]:
    """Every case of every labelled file; a bad file or line exits with code 2."""
    from escalate.evaluation import load_cases  # noqa: PLC0415 - only eval and tune need it

    cases = []
    for file in files:
        try:
            cases.extend(load_cases(file))
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror or exc}")
        except TranscriptError as error:
            fail(str(error))
    return cases


def worker_count(jobs: int) -> int:
    """``--jobs``: 0 means one worker process per CPU."""
    return jobs or os.cpu_count() or 1
