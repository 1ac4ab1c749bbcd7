"""``escalate policy ...``: validate, show, explain and compare policies; export the schema."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
import yaml

from escalate.cli._common import (
    OutputOption,
    counted,
    events_log,
    fail,
    make_escalator,
    output_stream,
)
from escalate.cli._help import EscalateGroup
from escalate.exceptions import PolicyError, TranscriptError
from escalate.models import Decision
from escalate.policy import NEAR_MISS_MARGIN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from escalate.transcript import TranscriptLine

__all__ = ["policy_app"]

policy_app = typer.Typer(
    name="policy",
    help="Validate, show, explain and compare policy files.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: rich markup eats [brackets] (escalate[parquet])
    cls=EscalateGroup,
)


class ShowFormat(StrEnum):
    """How ``policy show`` prints a policy."""

    YAML = "yaml"
    JSON = "json"


class SchemaFormat(StrEnum):
    """What ``policy schema`` prints."""

    JSON = "json"
    MARKDOWN = "markdown"


class DiffFormat(StrEnum):
    """How ``policy diff`` prints what changes."""

    TEXT = "text"
    JSON = "json"


PolicyFile = Annotated[Path, typer.Argument(help="Policy file (.yaml, .yml, .toml, .json).")]
Transcripts = Annotated[
    list[Path], typer.Argument(help="Transcripts (JSON Lines, one turn a line).")
]


@policy_app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Policy files to check.")],
) -> None:
    """Check policy files: schema, names (signals, evidence kinds, routes, calendars), extends.

    Prints one line per valid file; every problem with its file:line:column otherwise (exit 2).
    """
    from escalate.policy import load_policy  # noqa: PLC0415 - loads the detectors' names
    from escalate.signals import default_detectors, evidence_kinds  # noqa: PLC0415

    signals = [detector.name for detector in default_detectors()]
    broken = 0
    for file in files:
        try:
            policy = load_policy(file, signals=signals, evidence_kinds=evidence_kinds())
        except PolicyError as error:
            broken += 1
            typer.echo(f"error: {error}", err=True)
            continue
        enabled = sum(rule.enabled for rule in policy.rules)
        typer.echo(
            f"ok {file}: {policy.name} {policy.version} (hash {policy.content_hash[:12]},"
            f" {enabled} rule(s), {len(policy.routes)} route(s))"
        )
    if broken:
        raise typer.Exit(2)


@policy_app.command()
def show(
    file: Annotated[
        Path | None, typer.Argument(help="Policy file; default: the bundled policy.")
    ] = None,
    show_format: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ShowFormat.YAML,
    output: OutputOption = None,
) -> None:
    """Print the effective policy: after 'extends', with every default filled in."""
    from escalate.policy import load_policy  # noqa: PLC0415

    try:
        policy = load_policy(file)
    except PolicyError as error:
        fail(str(error))
    data = policy.model_dump(mode="json", by_alias=True)
    with output_stream(output) as out:
        if show_format is ShowFormat.JSON:
            out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        else:
            out.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@policy_app.command()
def schema(
    cases: Annotated[
        bool, typer.Option("--cases", help="The schema of policy test case files instead.")
    ] = False,
    schema_format: Annotated[
        SchemaFormat,
        typer.Option("--format", "-f", help="json (JSON Schema) or markdown (reference)."),
    ] = SchemaFormat.JSON,
    output: OutputOption = None,
) -> None:
    """Print the JSON Schema of policy files (or case files), for editors and CI checks."""
    from escalate.policy import Policy, markdown_reference  # noqa: PLC0415
    from escalate.policy_tests import CaseFile  # noqa: PLC0415

    model = CaseFile if cases else Policy
    document = model.model_json_schema(by_alias=True)
    if schema_format is SchemaFormat.MARKDOWN:
        title = "Case file reference" if cases else "Policy file reference"
        command = f"escalate policy schema{' --cases' if cases else ''} --format markdown"
        text = markdown_reference(document, model.__name__, title=title, command=command)
    else:
        document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    with output_stream(output) as out:
        out.write(text)


@policy_app.command()
def kinds() -> None:
    """List the evidence kinds and cues that 'evidence' conditions can name."""
    from escalate.signals import evidence_kinds  # noqa: PLC0415

    for kind in sorted(evidence_kinds()):
        typer.echo(kind)


@policy_app.command()
def explain(
    file: PolicyFile,
    transcripts: Transcripts,
    everything: Annotated[
        bool,
        typer.Option("--all", help="Show every threshold and rule, not only those that mattered."),
    ] = False,
    margin: Annotated[
        float,
        typer.Option(help="How close (0..1) a missed rule must come to count as a near miss."),
    ] = NEAR_MISS_MARGIN,
) -> None:
    """Per turn: the decision, the rules that matched, and those that nearly did and why not."""
    with events_log(None) as logger:
        escalator = make_escalator(file, logger)
        for line in _transcript_lines(transcripts):
            decision, trace = escalator.explain(line.conversation_id, line.turn)
            typer.echo(
                f"{line.conversation_id} #{decision.turn_index} {line.turn.role.value}:"
                f" {_short(line.turn.text)!r}"
            )
            typer.echo(f"  -> {_summary(decision)}")
            for note in decision.notes:
                typer.echo(f"     note: {note}")
            if trace is not None:
                for text in trace.lines(margin, everything=everything):
                    typer.echo(f"     {text}")


@dataclass(frozen=True, slots=True)
class _Change:
    conversation_id: str
    turn_index: int
    text: str
    old: Decision
    new: Decision


@policy_app.command()
def diff(  # noqa: PLR0917 - typer maps each parameter to an argument or option
    old: Annotated[Path, typer.Argument(help="The policy in force.")],
    new: Annotated[Path, typer.Argument(help="The candidate policy.")],
    transcripts: Transcripts,
    examples: Annotated[int, typer.Option(help="Examples to print per kind of change.")] = 3,
    diff_format: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DiffFormat.TEXT,
    output: OutputOption = None,
    fail_on_change: Annotated[
        bool, typer.Option("--fail-on-change", help="Exit 1 if any decision changes (for CI).")
    ] = False,
) -> None:
    """The decisions that would change from OLD to NEW on the transcripts, with counts."""
    with events_log(None) as logger:
        before, after = make_escalator(old, logger), make_escalator(new, logger)
        turns = 0
        changes: list[_Change] = []
        for line in _transcript_lines(transcripts):
            turns += 1
            was = before.evaluate(line.conversation_id, line.turn)
            now = after.evaluate(line.conversation_id, line.turn)
            if _outcome(was) != _outcome(now):
                changes.append(
                    _Change(line.conversation_id, was.turn_index, line.turn.text, was, now)
                )
    report = _diff_report(turns, changes, examples)
    with output_stream(output) as out:
        if diff_format is DiffFormat.JSON:
            out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        else:
            _print_diff(report, out)
    if fail_on_change and changes:
        raise typer.Exit(1)


def _outcome(decision: Decision) -> tuple[str, tuple[str, ...], str | None]:
    return (
        decision.action.value,
        tuple(code.value for code in decision.reason_codes),
        decision.route,
    )


def _diff_report(turns: int, changes: list[_Change], examples: int) -> dict[str, Any]:
    by_action = Counter(_change_kind(change) for change in changes)
    what_changed = Counter(part for change in changes for part in _changed_parts(change))
    by_reason: Counter[str] = Counter()
    for change in changes:
        old_codes = set(change.old.reason_codes)
        new_codes = set(change.new.reason_codes)
        by_reason.update(f"+{code.value}" for code in new_codes - old_codes)
        by_reason.update(f"-{code.value}" for code in old_codes - new_codes)
    shown: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        key = _change_kind(change)
        if len(shown.setdefault(key, [])) < examples:
            shown[key].append(
                {
                    "conversation_id": change.conversation_id,
                    "turn_index": change.turn_index,
                    "text": _short(change.text),
                    "old": _summary(change.old),
                    "new": _summary(change.new),
                }
            )
    return {
        "turns": turns,
        "changed": len(changes),
        "conversations_changed": len({c.conversation_id for c in changes}),
        "what_changed": {part: what_changed[part] for part in _PARTS},
        "by_action": dict(by_action.most_common()),
        "by_reason": dict(by_reason.most_common()),
        "examples": shown,
    }


_PARTS = ("action", "route", "reasons")


def _changed_parts(change: _Change) -> list[str]:
    """Which of the decision's action, route and reasons differ (a change has at least one)."""
    old, new = _outcome(change.old), _outcome(change.new)
    return [part for part, was, now in zip(("action", "reasons", "route"), old, new, strict=True)
            if was != now]  # fmt: skip


def _change_kind(change: _Change) -> str:
    """``offer_human -> handoff@security``, or ``handoff (reasons only)`` when the action stays.

    The actions, with the routes when they differ; a change of reasons alone is not counted as
    a change of action.
    """
    old, new = change.old, change.new
    if old.action is new.action and old.route == new.route:
        return f"{old.action.value}{_at(old.route)} (reasons only)"
    if old.route == new.route:
        return f"{old.action.value} -> {new.action.value}"
    return f"{old.action.value}{_at(old.route)} -> {new.action.value}{_at(new.route)}"


def _at(route: str | None) -> str:
    return f"@{route}" if route else ""


def _print_diff(report: dict[str, Any], out: TextIO) -> None:
    parts = ", ".join(f"{part} {count}" for part, count in report["what_changed"].items())
    turns = report["turns"]
    headline = (
        f"{report['changed']} of {counted(turns, 'decision')}"
        f" {'changes' if turns == 1 else 'change'}"
        f" ({counted(report['conversations_changed'], 'conversation')}); changed: {parts}"
    )
    lines = [headline]
    lines += [f"  {count:6d}  {change}" for change, count in report["by_action"].items()]
    if report["by_reason"]:
        lines.append("reasons gained (+) and lost (-):")
        lines += [f"  {count:6d}  {reason}" for reason, count in report["by_reason"].items()]
    for change, cases in report["examples"].items():
        lines.append(f"examples of {change}:")
        for case in cases:
            lines.append(f"  {case['conversation_id']} #{case['turn_index']}: {case['text']!r}")
            lines.append(f"      old: {case['old']}")
            lines.append(f"      new: {case['new']}")
    out.write("".join(f"{line}\n" for line in lines))


def _summary(decision: Decision) -> str:
    reasons = ", ".join(
        f"{reason.code.value} {reason.score:.2f}" + (f" [{reason.rule}]" if reason.rule else "")
        for reason in decision.reasons
    )
    route = f" -> route {decision.route}" if decision.route else ""
    return f"{decision.action.value}" + (f" ({reasons})" if reasons else "") + route


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _transcript_lines(files: list[Path]) -> Iterator[TranscriptLine]:
    from escalate.transcript import open_transcript, read_transcript  # noqa: PLC0415

    for file in files:
        try:
            with open_transcript(file) as handle:
                for line in read_transcript(handle, str(file)):
                    if isinstance(line, TranscriptError):
                        fail(str(line))
                    yield line
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror or exc}")
