"""The ``escalate`` command line.

Exit codes: 0 success, 2 bad input (a transcript line, a policy, a missing file), 1 anything
unexpected.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, TextIO

import typer

from escalate.cli._audit import audit_app, replay_command
from escalate.cli._common import (
    OnError,
    OutputOption,
    PolicyOption,
    audit_trail,
    events_log,
    fail,
    make_escalator,
    output_stream,
    to_stdout,
    worker_count,
)
from escalate.cli._evaluate import evaluate
from escalate.cli._help import CONTEXT_SETTINGS, Console, EscalateGroup
from escalate.cli._parallel import rows_in_parallel, scored_in_parallel
from escalate.cli._policy import policy_app
from escalate.cli._progress import progress_bar
from escalate.cli._render import render_timeline
from escalate.cli._report import report_command
from escalate.cli._run_tests import run_policy_tests
from escalate.cli._score import ScoreRun, score_lines, write_jsonl
from escalate.cli._serve import serve
from escalate.cli._tune import tune_command
from escalate.events import library_version
from escalate.exceptions import TranscriptError
from escalate.transcript import open_transcript, text_lines

__all__ = ["app", "main"]

app = typer.Typer(
    name="escalate",
    help="Decide, turn by turn, when a chatbot should bring in a human.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich markup eats [brackets] (escalate[redis])
    cls=EscalateGroup,
    context_settings=CONTEXT_SETTINGS,
)


class OutputFormat(StrEnum):
    """How ``score`` prints decisions."""

    JSONL = "jsonl"
    TABLE = "table"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"escalate {library_version()}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colours in the output (as NO_COLOR=1 does).")
    ] = False,
) -> None:
    """Decide, turn by turn, when a chatbot should bring in a human."""
    if no_color:
        # rich reads NO_COLOR for every console the commands make, as it does when users set it.
        os.environ["NO_COLOR"] = "1"


EventsOption = Annotated[
    Path | None,
    typer.Option(
        "--events", help="Also write every escalate.decision event to this file (JSON Lines)."
    ),
]


@app.command()
def score(  # noqa: PLR0917 - typer: one parameter per option
    file: Annotated[
        str, typer.Argument(help="Transcript (JSON Lines, one turn a line), or - for stdin.")
    ],
    policy: PolicyOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.JSONL,
    output: OutputOption = None,
    on_error: Annotated[
        OnError,
        typer.Option("--on-error", help="Stop at a bad line (fail) or report it and go on (skip)."),
    ] = OnError.FAIL,
    events: EventsOption = None,
    audit: Annotated[
        Path | None,
        typer.Option(
            "--audit",
            help="Also record every decision in this audit trail (.jsonl, or .db for SQLite).",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Worker processes (each conversation in one; same output); 0: one per CPU.",
        ),
    ] = 1,
) -> None:
    """Score a transcript: one decision per user turn (jsonl) or a coloured timeline (table)."""
    workers = worker_count(jobs)
    if workers > 1 and (events is not None or audit is not None):
        fail("--events and --audit are written by one process: leave out --jobs")
    with events_log(events) as logger, audit_trail(audit) as trail:
        escalator = make_escalator(policy, logger, audit=trail)
        run = ScoreRun()
        skip = on_error is OnError.SKIP
        try:
            with _open(file, progress=True) as lines, output_stream(output) as out:
                console = Console() if to_stdout(output) else Console(file=out)
                if workers > 1 and output_format is OutputFormat.JSONL:
                    # Workers render the rows: the parent only orders and writes them.
                    out.writelines(
                        rows_in_parallel(
                            escalator, lines, _source(file), run, jobs=workers, skip_errors=skip
                        )
                    )
                elif workers > 1:
                    scored = scored_in_parallel(
                        escalator, lines, _source(file), run, jobs=workers, skip_errors=skip
                    )
                    render_timeline(scored, console)
                else:
                    scored = score_lines(escalator, lines, _source(file), run, skip_errors=skip)
                    if output_format is OutputFormat.JSONL:
                        write_jsonl(scored, out)
                    else:
                        render_timeline(scored, console)
        except TranscriptError as error:
            fail(str(error))
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
    with events_log(None) as logger:
        escalator = make_escalator(policy, logger)
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
            "Each row is one turn: 'action' is what the bot should do next, and 'why' gives the "
            "reasons for it, each with the words that triggered it.",
            markup=False,
        )


app.command("eval")(evaluate)
app.command("tune")(tune_command)
app.command("test")(run_policy_tests)
app.command("replay")(replay_command)
app.command("serve")(serve)
app.command("report")(report_command)
app.add_typer(policy_app)
app.add_typer(audit_app)


def main() -> None:
    """Entry point of the ``escalate`` script."""
    app()


@contextlib.contextmanager
def _open(file: str, *, progress: bool = False) -> Iterator[TextIO]:
    """The transcript's lines; with ``progress``, a bar on a terminal for a large file."""
    if file == "-":
        yield text_lines()
        return
    path = Path(file)
    with contextlib.ExitStack() as stack:
        try:
            size = path.stat().st_size if progress else 0
            advance = stack.enter_context(
                progress_bar("scoring", size, unit="bytes", minimum=_BAR_FROM)
            )
            handle = stack.enter_context(open_transcript(path, advance if progress else None))
        except OSError as exc:  # only opening: a closed stdout (| head) is not a read error
            fail(f"cannot read {file}: {exc.strerror or exc}")
        yield handle


_BAR_FROM = 1_000_000
"""Transcript bytes from which a terminal gets a progress bar (about 3,000 turns)."""


def _source(file: str) -> str:
    return "<stdin>" if file == "-" else file
