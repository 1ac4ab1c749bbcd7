"""``escalate report``: escalation insights across many conversations."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from escalate.cli._common import (
    OnError,
    OutputOption,
    PolicyOption,
    counted,
    deprecated,
    events_log,
    fail,
    fail_on,
    make_escalator,
    output_stream,
    readable_inputs,
)
from escalate.cli._progress import progress_bar
from escalate.exceptions import AuditError, MissingDependencyError, TranscriptError
from escalate.insights import BUCKETS

if TYPE_CHECKING:
    from escalate.insights import InsightsSummary

__all__ = ["report_command"]

_BAR_FROM = 1_000_000
"""Transcript bytes from which a terminal gets a progress bar (about 3,000 turns)."""


class ReportFormat(StrEnum):
    """What ``report`` writes."""

    MARKDOWN = "markdown"
    HTML = "html"
    JSON = "json"


class Bucket(StrEnum):
    """Width of the time buckets in the charts over time."""

    AUTO = "auto"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"


def report_command(  # noqa: PLR0917 - typer: one parameter per option
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Audit trails (.jsonl segments or SQLite) and/or transcripts (JSON Lines);"
            " transcripts are scored on the fly; - for stdin.",
        ),
    ],
    report_format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="markdown (the tables), html (one self-contained page) or json (every table).",
        ),
    ] = ReportFormat.MARKDOWN,
    output: OutputOption = None,
    old_html: Annotated[Path | None, typer.Option("--html", hidden=True)] = None,
    old_json: Annotated[Path | None, typer.Option("--json", hidden=True)] = None,
    old_markdown: Annotated[bool, typer.Option("--markdown", hidden=True)] = False,
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
    outputs = _outputs(report_format, output, old_html, old_json, old_markdown=old_markdown)
    for name in inputs:
        if name != "-" and not Path(name).is_file():
            fail(f"no such file: {name}")
    try:
        from escalate.audit import Redactor  # noqa: PLC0415
        from escalate.insights import DuckDBBackend, ReportOptions, load_inputs, summarise  # noqa: PLC0415

        options = ReportOptions(
            top=top,
            max_meta_values=max_meta_values,
            bucket_seconds=BUCKETS.get(bucket.value),
        )
        with (
            readable_inputs(inputs) as paths,
            events_log(None) as logger,
            progress_bar("reading", _size(paths), unit="bytes", minimum=_BAR_FROM) as advance,
        ):
            loaded = load_inputs(
                paths,
                lambda: make_escalator(policy, logger),
                Redactor(),
                skip_errors=on_error is OnError.SKIP,
                on_read=advance,
            )
            sources = ["<stdin>" if name == "-" else name for name in inputs]
            backend = DuckDBBackend(loaded.tables)
            try:
                summary = summarise(backend, options, sources=sources, notices=loaded.notices)
            finally:
                backend.close()
        for wanted, destination in outputs:
            with output_stream(destination) as out:
                out.write(_render(summary, wanted, title))
    except (MissingDependencyError, AuditError, TranscriptError) as error:
        fail_on(error)
    if loaded.skipped:
        typer.echo(f"skipped {len(loaded.skipped)} bad line(s)", err=True)
    overview = summary.overview
    typer.echo(
        f"{counted(overview.conversations, 'conversation')}, {counted(overview.turns, 'turn')},"
        f" {overview.escalated} escalated, {overview.handed_off} handed off",
        err=True,
    )


def _size(paths: list[Path]) -> int:
    """Bytes of the transcripts to score (audit trails are read without a bar)."""
    from escalate.insights import InputKind, input_kind  # noqa: PLC0415

    return sum(p.stat().st_size for p in paths if input_kind(p) is InputKind.TRANSCRIPT)


def _outputs(
    report_format: ReportFormat,
    output: str | None,
    old_html: Path | None,
    old_json: Path | None,
    *,
    old_markdown: bool,
) -> list[tuple[ReportFormat, str | None]]:
    """What to write where: ``--format``/``--output``, plus the deprecated spellings' outputs."""
    old: list[tuple[ReportFormat, str | None]] = []
    if old_html is not None:
        deprecated("--html FILE", "--format html --output FILE")
        old.append((ReportFormat.HTML, str(old_html)))
    if old_json is not None:
        deprecated("--json FILE", "--format json --output FILE")
        old.append((ReportFormat.JSON, str(old_json)))
    if old_markdown:
        deprecated("--markdown", "--format markdown (the default)")
        old.append((ReportFormat.MARKDOWN, None))
    # The old spellings alone keep their meaning: no Markdown on stdout unless asked for.
    if old and output is None and report_format is ReportFormat.MARKDOWN:
        return old
    return [(report_format, output), *old]


def _render(summary: InsightsSummary, report_format: ReportFormat, title: str) -> str:
    if report_format is ReportFormat.HTML:
        from escalate.insights import render_html  # noqa: PLC0415

        return render_html(summary, title=title)
    if report_format is ReportFormat.JSON:
        return summary.model_dump_json(indent=2) + "\n"
    from escalate.insights import render_markdown  # noqa: PLC0415

    return render_markdown(summary, title=title)
