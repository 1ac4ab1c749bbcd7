"""The ``escalate`` command line.

Exit codes: 0 success, 2 bad input (a transcript line, a policy, a missing file), 1 anything
unexpected.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, NoReturn, TextIO

import structlog
import typer
from rich.console import Console

from escalate.cli.render import render_timeline
from escalate.cli.score import ScoreRun, score_lines, write_jsonl
from escalate.engine import Escalator
from escalate.events import library_version
from escalate.exceptions import PolicyError, TranscriptError
from escalate.state.memory import InMemoryStore

__all__ = ["app", "main"]

EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="escalate",
    help="Decide, turn by turn, when a chatbot should bring in a human.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    """How ``score`` prints decisions."""

    JSONL = "jsonl"
    TABLE = "table"


class OnError(StrEnum):
    """What ``score`` does with a bad transcript line."""

    FAIL = "fail"
    SKIP = "skip"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"escalate {library_version()}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Decide, turn by turn, when a chatbot should bring in a human."""


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy", "-p", help="Policy file (.yaml, .toml, .json); default: the bundled one."
    ),
]
EventsOption = Annotated[
    Path | None,
    typer.Option(
        "--events", help="Also write every escalate.decision event to this file (JSON Lines)."
    ),
]


@app.command()
def score(
    file: Annotated[
        str, typer.Argument(help="Transcript (JSON Lines, one turn a line), or - for stdin.")
    ],
    policy: PolicyOption = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.JSONL,
    on_error: Annotated[
        OnError,
        typer.Option("--on-error", help="Stop at a bad line (fail) or report it and go on (skip)."),
    ] = OnError.FAIL,
    events: EventsOption = None,
) -> None:
    """Score a transcript: one decision per user turn (jsonl) or a coloured timeline (table)."""
    with _events_log(events) as logger:
        escalator = _escalator(policy, logger)
        run = ScoreRun()
        try:
            with _open(file) as lines:
                scored = score_lines(
                    escalator, lines, _source(file), run, skip_errors=on_error is OnError.SKIP
                )
                if output is OutputFormat.JSONL:
                    write_jsonl(scored, sys.stdout)
                else:
                    render_timeline(scored, Console())
        except TranscriptError as error:
            _fail(str(error))
        if run.skipped:
            typer.echo(f"skipped {len(run.skipped)} bad line(s)", err=True)


@app.command()
def demo(
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.TABLE,
    policy: PolicyOption = None,
) -> None:
    """Run the bundled example conversations and print what escalate decides."""
    with _events_log(None) as logger:
        escalator = _escalator(policy, logger)
        text = resources.files("escalate.demo").joinpath("conversations.jsonl").read_text("utf-8")
        scored = score_lines(
            escalator, text.splitlines(), "demo/conversations.jsonl", ScoreRun(), skip_errors=False
        )
        if output is OutputFormat.JSONL:
            write_jsonl(scored, sys.stdout)
            return
        console = Console()
        render_timeline(scored, console)
        console.print(
            "Each row is one turn; [bold]action[/] is what the bot should do next and "
            "[bold]why[/] the reasons with the words that triggered them."
        )


def main() -> None:
    """Entry point of the ``escalate`` script."""
    app()


def _escalator(policy: Path | None, logger: structlog.typing.FilteringBoundLogger) -> Escalator:
    try:
        # A transcript can hold many conversations, each scored once: keep them all, no expiry.
        return Escalator(
            policy,
            store=InMemoryStore(max_conversations=1_000_000, ttl_seconds=None),
            logger=logger,
        )
    except PolicyError as error:
        _fail(str(error))


@contextlib.contextmanager
def _events_log(path: Path | None) -> Iterator[structlog.typing.FilteringBoundLogger]:
    """Decision events go to ``path`` as JSON Lines; warnings and errors always to stderr."""
    with contextlib.ExitStack() as stack:
        sink: TextIO = stack.enter_context(path.open("w", encoding="utf-8")) if path else sys.stderr
        level = logging.INFO if path else logging.WARNING
        processors: list[structlog.typing.Processor] = [
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
        yield structlog.wrap_logger(
            structlog.PrintLogger(sink),
            processors=processors,
            wrapper_class=structlog.make_filtering_bound_logger(level),
        )


@contextlib.contextmanager
def _open(file: str) -> Iterator[TextIO]:
    if file == "-":
        yield sys.stdin
        return
    try:
        handle = Path(file).open(encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    with handle:
        yield handle


def _source(file: str) -> str:
    return "<stdin>" if file == "-" else file


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)
