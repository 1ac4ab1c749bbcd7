"""``escalate eval``: how the policy performs on labelled data."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from escalate.cli._common import (
    PolicyOption,
    events_log,
    fail,
    load_labelled,
    make_escalator,
    worker_count,
)
from escalate.cli._help import Console
from escalate.evaluation import GateError, parse_gate, run_evaluation
from escalate.evaluation.html import render_html
from escalate.evaluation.terminal import render_report
from escalate.exceptions import MissingDependencyError

__all__ = ["EXIT_GATE_FAILED", "evaluate"]

EXIT_GATE_FAILED = 1


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
        list[Path],
        typer.Argument(
            help="Labelled utterances (.jsonl), conversations (.jsonl) or scenarios (.yaml)."
        ),
    ],
    policy: PolicyOption = None,
    output: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Report format.")
    ] = ReportFormat.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the report here instead of stdout.")
    ] = None,
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
    try:
        gates = [parse_gate(text) for text in fail_under or []]
    except GateError as error:
        fail(str(error))
    cases = load_labelled(files)
    with events_log(None) as logger:
        escalator = make_escalator(policy, logger)
        try:
            report = run_evaluation(
                escalator,
                cases,
                inputs=[str(file) for file in files],
                baseline=_vader_stress() if baseline is Baseline.VADER else None,
                jobs=worker_count(jobs),
            )
            outcomes = [(gate, gate.holds(report)) for gate in gates]
        except (MissingDependencyError, GateError) as error:
            fail(str(error))
    if output is not ReportFormat.TABLE:
        try:
            text = (
                report.model_dump_json(indent=2)
                if output is ReportFormat.JSON
                else render_html(report)
            )
        except MissingDependencyError as error:
            fail(str(error))
        if out is None:
            sys.stdout.write(text + "\n")
        else:
            out.write_text(text + "\n", encoding="utf-8")
    elif out is None:
        render_report(report, Console(), gates)
    else:
        with out.open("w", encoding="utf-8") as handle:
            render_report(report, Console(file=handle, width=140), gates)
    failed = [gate.text for gate, held in outcomes if not held]
    if failed:
        typer.echo(f"failed gates: {', '.join(failed)}", err=True)
        raise typer.Exit(EXIT_GATE_FAILED)


def _vader_stress() -> Callable[[str], float]:
    """Bare VADER as a stress score: the more negative the compound, the higher."""
    from escalate.signals.stress import vader_analyser  # noqa: PLC0415

    analyser = vader_analyser()
    return lambda text: -float(analyser.polarity_scores(text)["compound"])
