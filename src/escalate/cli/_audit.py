"""``escalate audit ...`` (verify, show, export) and ``escalate replay``.

Exit codes: 0 intact (or done), 1 ``verify`` found a problem or ``replay --fail-on-change``
found a change, 2 bad input (a missing or unreadable file, a bad policy), 3 ``verify`` found
an intact trail that says records are missing (dropped or not written).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.table import Table
from rich.text import Text

from escalate.audit import (
    AuditRecord,
    ChainHead,
    ReplayReport,
    VerifyReport,
    export_csv,
    export_parquet,
    read_trail,
    replay,
)
from escalate.audit import verify as verify_trail
from escalate.cli._common import (
    OutputOption,
    counted,
    deprecated,
    fail,
    output_stream,
    to_stdout,
)
from escalate.cli._help import Console, EscalateGroup
from escalate.cli._progress import progress_told
from escalate.cli._terminal import printable
from escalate.exceptions import AuditError, MissingDependencyError, PolicyError

__all__ = ["audit_app", "replay_command"]

EXIT_PROBLEM = 1
EXIT_INCOMPLETE = 3
_BAR_FROM = 500
"""Conversations from which ``replay`` shows progress (on a terminal)."""

audit_app = typer.Typer(
    name="audit",
    help="Verify, read and export audit trails.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: rich markup eats [brackets] (escalate[parquet])
    cls=EscalateGroup,
)

TrailFiles = Annotated[
    list[Path],
    typer.Argument(help="Audit files (JSON Lines segments in any order) or SQLite databases."),
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        envvar="ESCALATE_AUDIT_KEY",
        help="The chain's HMAC key, for a keyed trail (or set ESCALATE_AUDIT_KEY).",
    ),
]
_STYLE = {"continue": "green", "offer_human": "yellow", "handoff": "bold red"}


@audit_app.command()
def verify(
    files: TrailFiles,
    key: KeyOption = None,
    head: Annotated[
        str | None,
        typer.Option(
            "--head",
            help="A head published earlier, SEQ:HASH: its record must still be there, unchanged.",
        ),
    ] = None,
    max_problems: Annotated[
        int,
        typer.Option(
            "--max-problems",
            min=1,
            help="Problems to list; the rest are counted.",
            show_default=True,
        ),
    ] = 20,
) -> None:
    """Check every hash and link: modified, deleted, reordered, inserted or torn records.

    Names the first bad record (file:line); exit 0 intact, 1 a problem, 2 unreadable input,
    3 intact but the trail says records are missing (dropped, or not written).
    """
    _check_exist(files)
    report = verify_trail(files, key=key, head=_parse_head(head) if head else None)
    for note in report.notes:
        typer.echo(f"note: {note}")
    if any(problem.kind == "unreadable" for problem in report.problems):
        fail("; ".join(str(p) for p in report.problems if p.kind == "unreadable"))
    if not report.ok:
        _print_problems(report, max_problems)
        raise typer.Exit(EXIT_PROBLEM)
    last = f", head {report.last}" if report.last else ""
    verified = f"{report.records} records in {len(report.chains)} chain(s) verify{last}"
    if not report.complete:
        missing = ", ".join(f"{count} {kind}" for kind, count in sorted(report.missing.items()))
        typer.echo(
            f"INCOMPLETE: {verified}, but the trail says {sum(report.missing.values())}"
            f" records are missing ({missing})",
            err=True,
        )
        raise typer.Exit(EXIT_INCOMPLETE)
    typer.echo(f"ok: {verified}")


def _print_problems(report: VerifyReport, limit: int) -> None:
    first = report.first_problem
    assert first is not None
    typer.echo(f"FAILED: first bad record: {first}", err=True)
    for problem in report.problems[1:limit]:
        typer.echo(f"  also: {problem}", err=True)
    if len(report.problems) > limit:
        typer.echo(f"  ... and {len(report.problems) - limit} more", err=True)
    typer.echo(f"{report.records} records verify; {len(report.problems)} problem(s)", err=True)


@audit_app.command()
def show(
    files: TrailFiles,
    conversation: Annotated[
        str, typer.Option("--conversation", "-c", help="The conversation id to show.")
    ],
) -> None:
    """A readable timeline of one conversation: turns, decisions, reasons, outcomes."""
    _check_exist(files)
    records = [r for r in _records(files) if r.conversation_id == conversation]
    if not records:
        fail(f"no records of conversation {conversation!r} in {', '.join(map(str, files))}")
    table = Table(title=Text(printable(conversation)), title_justify="left")
    for column in ("#", "at", "role", "text", "action", "why"):
        table.add_column(column, overflow="fold")
    for record in records:
        table.add_row(*_timeline_row(record))
    Console().print(table)


class ExportFormat(StrEnum):
    """Formats ``audit export`` writes."""

    CSV = "csv"
    PARQUET = "parquet"


@audit_app.command()
def export(
    files: TrailFiles,
    output_format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="csv, or parquet (escalate[parquet]).")
    ] = ExportFormat.CSV,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="<path>",
            help="File to write; - (the default) is stdout, for csv only.",
        ),
    ] = None,
) -> None:
    """One row per decision and outcome, one column per field and signal."""
    _check_exist(files)
    if output_format is ExportFormat.PARQUET and to_stdout(output):
        fail("--format parquet writes a binary file: give --output FILE (not standard output)")
    records = _records(files)
    try:
        if output_format is ExportFormat.PARQUET:
            assert output is not None
            count = export_parquet(records, Path(output))
        else:
            with output_stream(output, announce=False) as out:
                count = export_csv(records, out)
    except MissingDependencyError as error:
        fail(str(error))
    if not to_stdout(output):
        typer.echo(f"wrote {counted(count, 'row')} to {output}", err=True)


class ReplayFormat(StrEnum):
    """How ``replay`` prints what would change."""

    TEXT = "text"
    JSON = "json"


def replay_command(  # noqa: PLR0917 - typer: one parameter per option
    files: TrailFiles,
    policy: Annotated[
        Path, typer.Option("--policy", "-p", help="The policy to decide the recorded turns with.")
    ],
    examples: Annotated[int, typer.Option(help="How many changed turns to show.")] = 10,
    replay_format: Annotated[
        ReplayFormat, typer.Option("--format", "-f", help="text, or json (a summary).")
    ] = ReplayFormat.TEXT,
    output: OutputOption = None,
    old_json: Annotated[bool, typer.Option("--json", hidden=True)] = False,
    fail_on_change: Annotated[
        bool, typer.Option("--fail-on-change", help="Exit 1 when any turn would change.")
    ] = False,
) -> None:
    """Re-decide every recorded turn under another policy; report what would change.

    Reads the trail only: nothing is written to it.
    """
    if old_json:
        deprecated("--json", "--format json")
        replay_format = ReplayFormat.JSON
    _check_exist(files)
    try:
        with progress_told("replaying conversations", minimum=_BAR_FROM) as told:
            report = replay(files, policy, on_replayed=told)
    except (AuditError, PolicyError) as error:
        fail(str(error))
    with output_stream(output) as out:
        if replay_format is ReplayFormat.JSON:
            out.write(json.dumps(report.as_json(examples), indent=2) + "\n")
        else:
            _print_replay(report, examples, out)
    if fail_on_change and report.changed:
        raise typer.Exit(EXIT_PROBLEM)


def _print_replay(report: ReplayReport, examples: int, out: TextIO) -> None:
    def echo(line: str) -> None:
        out.write(line + "\n")

    ref = report.policy
    echo(
        f"replayed {counted(report.turns, 'turn')} of"
        f" {counted(report.conversations, 'conversation')} under"
        f" {ref.name} {ref.version} ({ref.hash[:12]}): {report.changed} would change"
    )
    if report.skipped:
        echo(f"skipped {report.skipped} fail-safe decisions (no readings to replay)")
    if report.partial:
        echo(
            f"{counted(len(report.partial), 'conversation')} started before the trail did:"
            " their first decisions may differ for that reason alone"
        )
    if report.same_policy_drift:
        echo(f"warning: {report.same_policy_drift} changes under the recording policy")
    echo("by action (recorded -> replayed):")
    for (before, after), count in sorted(report.by_action.items()):
        mark = "" if before is after else "  *"
        echo(f"  {before.value:>11} -> {after.value:<11} {count:>7}{mark}")
    for title, counts in (("gained", report.reasons_gained), ("lost", report.reasons_lost)):
        if counts:
            listed = ", ".join(f"{code} {count}" for code, count in counts.most_common())
            echo(f"reasons {title}: {listed}")
    for change in report.changes[:examples]:
        echo(
            f"  {change.conversation_id} #{change.turn_index}: {change.before.value}"
            f" -> {change.after.value} ({', '.join(change.reasons_after) or 'no reason'})"
            + (f' "{change.text[:60]}"' if change.text else "")
        )


def _timeline_row(record: AuditRecord) -> tuple[str | Text, ...]:
    data = record.data
    at = str(data.get("at", ""))[:19].replace("T", " ")
    if record.kind == "outcome":
        note = Text(f"({printable(str(data['note']))})" if data.get("note") else "")
        return ("", at, "host", "", Text(f"outcome: {data['outcome']}", style="cyan"), note)
    if record.kind != "decision":
        return (
            "",
            at,
            "",
            "",
            Text(record.kind, style="magenta"),
            Text(printable(str(data.get("error", "")))),
        )
    decision = data["decision"]
    why = Text()
    for reason in decision["reasons"]:
        quote = next((e["text"] for e in reason["evidence"] if e["text"]), "")
        why.append(f"{reason['code']} {reason['score']:.2f}", style="bold")
        why.append(f' "{printable(quote[:40])}"\n' if quote else "\n", style="italic")
    for reason in decision["suppressed"]:
        why.append(f"held back: {reason['code']} {reason['score']:.2f}\n", style="dim")
    if decision.get("route"):
        why.append(f"route: {decision['route']}", style="dim")
    action = decision["action"]
    return (
        str(data["turn_index"]),
        at,
        data["turn"]["role"],
        Text(printable(data["turn"].get("text") or "", 400)),  # words, not rich markup
        Text(action, style=_STYLE.get(action, "")),
        why,
    )


def _records(files: list[Path]) -> list[AuditRecord]:
    try:
        return list(read_trail(files))
    except AuditError as error:
        fail(str(error))


def _check_exist(files: list[Path]) -> None:
    for file in files:
        if not file.is_file():
            fail(f"no such file: {file}")


def _parse_head(head: str) -> ChainHead:
    seq, _, digest = head.partition(":")
    if not seq.isdigit() or len(digest) != 64:  # noqa: PLR2004 - a SHA-256 hex digest
        fail(f"--head must be SEQ:HASH (a number, a colon, 64 hex digits), got {head!r}")
    return ChainHead("", int(seq), digest)
