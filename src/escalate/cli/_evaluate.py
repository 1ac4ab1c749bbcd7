"""``escalate eval``: how the policy performs on labelled data."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from escalate.cli._common import (
    OutputOption,
    PolicyOption,
    deprecated,
    events_log,
    fail,
    load_labelled,
    make_escalator,
    output_stream,
    readable_inputs,
    to_stdout,
    worker_count,
)
from escalate.cli._eval_terminal import render_report
from escalate.cli._help import Console
from escalate.cli._progress import progress_bar
from escalate.evaluation import GateError, parse_gate, render_html, run_evaluation
from escalate.exceptions import MissingDependencyError

__all__ = ["EXIT_GATE_FAILED", "evaluate"]

EXIT_GATE_FAILED = 1
_BAR_FROM = 500
"""Cases from which a terminal gets a progress bar (fewer take a second or two)."""


class ReportFormat(StrEnum):
    """How ``eval`` prints its report."""

    TABLE = "table"
    JSON = "json"
    HTML = "html"


class Baseline(StrEnum):
    """What the stress signal's ROC AUC is compared with."""

    VADER = "vader"
    NONE = "none"


def evaluate(  # noqa: PLR0917 - typer maps each parameter to an option
    files: Annotated[
        list[str],
        typer.Argument(
            help="Labelled utterances (.jsonl), conversations (.jsonl) or scenarios (.yaml);"
            " - for stdin.",
        ),
    ],
    policy: PolicyOption = None,
    report_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Report format.")
    ] = ReportFormat.TABLE,
    output: OutputOption = None,
    old_out: Annotated[Path | None, typer.Option("--out", hidden=True)] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-under",
            help="A gate such as reason=human_requested:f1=0.95 or routine_rate<=0.02 "
            "(repeatable); exit 1 when one fails.",
        ),
    ] = None,
    baseline: Annotated[
        Baseline,
        typer.Option("--baseline", help="Score to compare the stress ROC AUC with."),
    ] = Baseline.VADER,
    jobs: Annotated[
        int,
        typer.Option("--jobs", "-j", min=0, help="Worker processes; 0: one per CPU."),
    ] = 0,
) -> None:
    """Score labelled data and report precision, recall, rates and the worst errors."""
    if old_out is not None:
        deprecated("--out", "--output/-o")
        output = output or str(old_out)
    try:
        gates = [parse_gate(text) for text in fail_under or []]
    except GateError as error:
        fail(str(error))
    with readable_inputs(files) as paths:
        cases = load_labelled(paths)
    with events_log(None) as logger:
        escalator = make_escalator(policy, logger)
        try:
            with progress_bar("scoring cases", len(cases), minimum=_BAR_FROM) as advance:
                report = run_evaluation(
                    escalator,
                    cases,
                    inputs=["<stdin>" if file == "-" else file for file in files],
                    baseline=_vader_stress() if baseline is Baseline.VADER else None,
                    jobs=worker_count(jobs),
                    on_scored=advance,
                )
            outcomes = [(gate, gate.holds(report)) for gate in gates]
        except (MissingDependencyError, GateError) as error:
            fail(str(error))
    if report_format is not ReportFormat.TABLE:
        try:
            text = (
                report.model_dump_json(indent=2)
                if report_format is ReportFormat.JSON
                else render_html(report)
            )
        except MissingDependencyError as error:
            fail(str(error))
        with output_stream(output) as out:
            out.write(text + "\n")
    elif to_stdout(output):
        render_report(report, Console(), gates)
    else:
        with output_stream(output) as out:
            render_report(report, Console(file=out, width=140), gates)
    failed = [gate.text for gate, held in outcomes if not held]
    if failed:
        typer.echo(f"failed gates: {', '.join(failed)}", err=True)
        raise typer.Exit(EXIT_GATE_FAILED)


def _vader_stress() -> Callable[[str], float]:
    """Bare VADER as a stress score: the more negative the compound, the higher."""
    from escalate.signals.stress import vader_analyser  # noqa: PLC0415

    analyser = vader_analyser()
    return lambda text: -float(analyser.polarity_scores(text)["compound"])
