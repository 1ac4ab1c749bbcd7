"""``escalate tune``: suggest thresholds that meet targets on labelled data."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from escalate.cli._common import (
    OutputOption,
    PolicyOption,
    counted,
    deprecated,
    events_log,
    fail,
    load_labelled,
    make_escalator,
    output_stream,
    to_stdout,
    worker_count,
)
from escalate.cli._help import Console
from escalate.cli._progress import progress_bar
from escalate.evaluation import (
    GateError,
    Tuning,
    overrides_yaml,
    parse_gate,
    record_readings,
    run_evaluation,
    tune,
)

__all__ = ["tune_command"]

EXIT_TARGET_MISSED = 1
_BAR_FROM = 500
"""Cases from which a terminal gets progress bars (as for ``escalate eval``)."""


def tune_command(  # noqa: PLR0917 - typer: one parameter per option
    files: Annotated[
        list[Path],
        typer.Argument(help="Labelled utterances, conversations or scenarios (as for eval)."),
    ],
    target: Annotated[
        list[str],
        typer.Option(
            "--target",
            "-t",
            help="What the tuned policy must meet, in --fail-under syntax, e.g. "
            "'routine_rate<=0.02' (repeatable).",
        ),
    ],
    policy: PolicyOption = None,
    output: OutputOption = None,
    old_out: Annotated[Path | None, typer.Option("--out", hidden=True)] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=0, help="Processes for the final check; 0: all.")
    ] = 0,
) -> None:
    """Sweep each signal's threshold and write a policy that extends the current one."""
    if old_out is not None:
        deprecated("--out", "--output/-o")
        output = output or str(old_out)
    try:
        targets = [parse_gate(text) for text in target]
    except GateError as error:
        fail(str(error))
    if any(gate.metric in {"auc", "auc_gain"} for gate in targets):
        fail("auc targets do not depend on thresholds: tune cannot move them")
    cases = load_labelled(files)
    console = Console(stderr=True)
    with events_log(None) as logger:
        escalator = make_escalator(policy, logger)
        current = escalator.policy
        console.print(f"scoring {counted(len(cases), 'case')} once, then sweeping thresholds...")
        with progress_bar("recording readings", len(cases), minimum=_BAR_FROM) as advance:
            recorded = record_readings(escalator, cases, on_recorded=advance)
        try:
            tuning = tune(current, recorded, targets)
        except GateError as error:
            fail(str(error))
        table = _trade_offs(tuning)
        console.print(table)
        # The sweep replays recorded readings; the suggestion is checked with a real run.
        escalator.reload_policy(tuning.suggested)
        with progress_bar("checking the suggestion", len(cases), minimum=_BAR_FROM) as advance:
            report = run_evaluation(escalator, cases, jobs=worker_count(jobs), on_scored=advance)
    missed = [gate.text for gate in targets if not gate.holds(report)]
    summary = (
        f"suggested policy, checked by a full run: {report.passed}/{report.checks} checks met, "
        f"routine rate {report.routine_rate.rate:.2%}, "
        f"escalations made {report.escalation_recall.rate:.2%}"
    )
    console.print(summary)
    base = "default"
    if policy is not None:
        anchor = Path.cwd() if to_stdout(output) else Path(str(output)).resolve().parent
        base = os.path.relpath(policy.resolve(), anchor)
    version = f"{current.version}+tuned.{datetime.now(UTC):%Y%m%d}"
    text = overrides_yaml(base, current, tuning, _plain(tuning) + "\n" + summary, version=version)
    with output_stream(output) as out:
        out.write(text)
    if missed:
        typer.echo(f"targets missed: {', '.join(missed)}", err=True)
        raise typer.Exit(EXIT_TARGET_MISSED)


def _trade_offs(tuning: Tuning) -> Table:
    table = Table(title="Trade-offs (one signal moved at a time, on top of earlier choices)")
    for column in ("signal", "threshold", "checks met", "routine rate", "escalations made", ""):
        table.add_column(column, justify="left" if column in {"signal", ""} else "right")
    for c in tuning.candidates:
        chosen = tuning.overrides.get(c.signal, {}).get(c.field) == c.value
        mark = "chosen" if chosen else ("current" if c.current else "")
        style = "bold" if chosen else ("dim" if not c.meets_targets else "")
        table.add_row(
            c.signal, f"{c.field} {c.value:.2f}", f"{c.passed}/{c.checks}",
            f"{c.routine_rate:.2%}", f"{c.escalation_recall:.2%}", mark, style=style,
        )  # fmt: skip
    return table


def _plain(tuning: Tuning) -> str:
    """The chosen values and their neighbours, for the file's header."""
    lines = ["escalate tune: signal, threshold, checks met, routine rate, escalations made"]
    for c in tuning.candidates:
        chosen = tuning.overrides.get(c.signal, {}).get(c.field) == c.value
        if chosen or c.current:
            mark = "chosen" if chosen else "current"
            lines.append(
                f"  {c.signal} {c.field}={c.value:.2f}: {c.passed}/{c.checks}, "
                f"{c.routine_rate:.2%}, {c.escalation_recall:.2%} ({mark})"
            )
    return "\n".join(lines)
