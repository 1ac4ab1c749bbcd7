"""The evaluation report as rich tables, for people at a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from escalate.evaluation import CASES_AND_CHECKS

if TYPE_CHECKING:
    from rich.console import Console

    from escalate.evaluation import Breakdown, EvalReport, Example, Gate

__all__ = ["render_report"]

_BREAKDOWN_ROWS = 15


def _counted(number: int, noun: str) -> str:
    """``1 case``, ``2 cases`` (nouns that take an s)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def render_report(report: EvalReport, console: Console, gates: list[Gate] | None = None) -> None:
    """Print the headline numbers, per-reason metrics, confusion, breakdowns and worst errors."""
    console.print(
        f"[bold]escalate eval[/] policy [bold]{report.policy}[/]: "
        f"{_counted(report.cases, 'case')}, {_counted(report.checks, 'check')}, "
        f"{report.passed} met "
        f"({report.passed / report.checks:.1%})"
        if report.checks
        else "no checks"
    )
    console.print(CASES_AND_CHECKS, style="dim", highlight=False)
    headline = Table(title="Headline", show_edge=False)
    for column in ("metric", "value", "count"):
        headline.add_column(column)
    for rate in (report.routine_rate, report.escalation_recall):
        headline.add_row(rate.name, f"{rate.rate:.2%}", f"{rate.count} / {rate.total}")
    if report.graded is not None:
        graded = report.graded
        baseline = "" if graded.baseline_auc is None else f" (VADER {graded.baseline_auc:.3f})"
        headline.add_row(
            f"{graded.signal} ROC AUC",
            f"{graded.auc:.3f}{baseline}",
            f"{graded.positives} negative / {graded.negatives} other",
        )
        headline.add_row(
            f"{graded.signal} average precision", f"{graded.average_precision:.3f}", ""
        )
    console.print(headline)
    for note in report.notes:
        console.print(f"note: {note}", style="yellow", highlight=False)

    reasons = Table(title="Per reason", show_edge=False)
    for column in ("reason", "precision", "recall", "F1", "tp", "fp", "fn"):
        reasons.add_column(column, justify="left" if column == "reason" else "right")
    for m in report.reasons:
        reasons.add_row(m.reason.value, *m.shown(), str(m.tp), str(m.fp), str(m.fn))
    console.print(reasons)

    console.print(_confusion(report))
    console.print(_breakdown("By source", report.by_source))
    console.print(_breakdown("By label (worst first)", report.by_label[:_BREAKDOWN_ROWS]))
    for title, examples in (
        ("False escalations", report.false_escalations),
        ("Missed escalations", report.missed_escalations),
        ("Wrong reasons", report.wrong_reasons),
    ):
        if examples:
            console.print(_examples(title, examples))
    for gate in gates or []:
        value = gate.measure(report)
        verdict = "[green]ok[/]" if gate.holds(report) else "[red]FAIL[/]"
        console.print(f"{verdict} {gate.text} (measured {value:.4f})")


def _confusion(report: EvalReport) -> Table:
    got_columns = ["continue", "offer_human", "handoff"]
    table = Table(title="Expected (rows) vs got (columns)", show_edge=False)
    table.add_column("expected")
    for got in got_columns:
        table.add_column(got, justify="right")
    expected_rows = sorted({cell.expected for cell in report.confusion})
    counts = {(cell.expected, cell.got): cell.count for cell in report.confusion}
    for expected in expected_rows:
        table.add_row(expected, *(str(counts.get((expected, got), 0)) for got in got_columns))
    return table


def _breakdown(title: str, rows: list[Breakdown]) -> Table:
    table = Table(title=title, show_edge=False)
    for column in ("group", "checks", "met", "escalated", "expected escalations"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in rows:
        table.add_row(
            row.group, str(row.checks), str(row.passed),
            f"{row.escalated} ({row.escalation_rate:.1%})", str(row.expected_escalations),
        )  # fmt: skip
    return table


def _examples(title: str, examples: list[Example]) -> Table:
    table = Table(title=title, show_lines=True, show_edge=False)
    for column in ("where", "text", "expected", "got", "evidence"):
        table.add_column(column, overflow="fold")
    for example in examples:
        evidence = "; ".join(f"{e['reason']}/{e['kind']}: {e['text']!r}" for e in example.evidence)
        expected = example.expected + (
            f" ({example.expected_reason})" if example.expected_reason else ""
        )
        got = example.got + (f" ({', '.join(example.got_reasons)})" if example.got_reasons else "")
        table.add_row(f"{example.origin}\n{example.label}", example.text, expected, got, evidence)
    return table
