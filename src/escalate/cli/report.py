"""``escalate report``: escalation insights across many conversations."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from escalate.cli._common import (
    OnError,
    PolicyOption,
    counted,
    events_log,
    fail,
    make_escalator,
)
from escalate.exceptions import AuditError, MissingDependencyError, TranscriptError
from escalate.insights.summary import BUCKETS

__all__ = ["report_command"]


class Bucket(StrEnum):
    """Width of the time buckets in the charts over time."""

    AUTO = "auto"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"


def report_command(  # noqa: PLR0917 - typer: one parameter per option
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Audit trails (.jsonl segments or SQLite) and/or transcripts (JSON Lines);"
            " transcripts are scored on the fly.",
        ),
    ],
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the report page (self-contained) here.")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the summary (every table) as JSON here.")
    ] = None,
    markdown: Annotated[
        bool,
        typer.Option(
            "--markdown", help="Print the tables as Markdown (the default with no other output)."
        ),
    ] = False,
    policy: PolicyOption = None,
    on_error: Annotated[
        OnError,
        typer.Option(
            "--on-error", help="A bad transcript line: stop (fail) or report it and go on (skip)."
        ),
    ] = OnError.FAIL,
    bucket: Annotated[
        Bucket, typer.Option("--bucket", help="Time bucket of the charts over time.")
    ] = Bucket.AUTO,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows of the ranked tables.")] = 15,
    max_meta_values: Annotated[
        int,
        typer.Option(
            "--max-meta-values",
            min=1,
            help="Meta fields with more values (ids) are not broken down.",
        ),
    ] = 30,
    title: Annotated[
        str, typer.Option("--title", help="The page's title.")
    ] = "Escalation insights",
) -> None:
    """Escalation insights: loops, dead ends, stress, effort, declines, time to human, trust."""
    for path in inputs:
        if not path.is_file():
            fail(f"no such file: {path}")
    try:
        from escalate.audit.redact import Redactor  # noqa: PLC0415
        from escalate.insights import DuckDBEngine, ReportOptions, load_inputs, summarise  # noqa: PLC0415

        options = ReportOptions(
            top=top,
            max_meta_values=max_meta_values,
            bucket_seconds=BUCKETS.get(bucket.value),
        )
        with events_log(None) as logger:
            loaded = load_inputs(
                inputs,
                lambda: make_escalator(policy, logger),
                Redactor(),
                skip_errors=on_error is OnError.SKIP,
            )
        engine = DuckDBEngine(loaded.tables)
        try:
            summary = summarise(
                engine, options, sources=[str(path) for path in inputs], notices=loaded.notices
            )
        finally:
            engine.close()
        if html is not None:
            from escalate.insights.html import render_html  # noqa: PLC0415

            html.write_text(render_html(summary, title=title), encoding="utf-8")
            typer.echo(f"wrote {html}", err=True)
        if json_path is not None:
            json_path.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
            typer.echo(f"wrote {json_path}", err=True)
        if markdown or (html is None and json_path is None):
            from escalate.insights.markdown import render_markdown  # noqa: PLC0415

            sys.stdout.write(render_markdown(summary, title=title))
    except (MissingDependencyError, AuditError, TranscriptError) as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write the report: {error}")
    if loaded.skipped:
        typer.echo(f"skipped {len(loaded.skipped)} bad line(s)", err=True)
    overview = summary.overview
    typer.echo(
        f"{counted(overview.conversations, 'conversation')}, {counted(overview.turns, 'turn')},"
        f" {overview.escalated} escalated, {overview.handed_off} handed off",
        err=True,
    )
