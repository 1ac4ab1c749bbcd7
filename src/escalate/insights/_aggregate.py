"""From the insight tables to an ``InsightsSummary``.

The queries in ``queries.sql`` run on DuckDB here, or on Spark SQL on a cluster
(``SparkBackend``).
The backends only count, rank and take percentiles; the ratios, rounding and shaping happen
here, once, so both give the same summary for the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any, Final, Protocol

from escalate.events import library_version
from escalate.exceptions import InvalidInputError, MissingDependencyError
from escalate.insights._summary import (
    DAY,
    HOUR,
    WEEK,
    BotMessage,
    DeadEndKind,
    Declines,
    EffortRow,
    FalseAlarm,
    HistogramBar,
    InsightsSummary,
    MetaRow,
    Overview,
    RatePoint,
    ReasonRow,
    SlowHandoff,
    StressPoint,
    TimeToHuman,
    TrustAfterHandoff,
    TrustPhase,
    TrustPoint,
)
from escalate.insights._tables import TRUST_SIGNALS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from escalate.insights._tables import TurnTables

__all__ = ["DuckDBBackend", "ReportOptions", "SqlBackend", "queries", "summarise"]

_MONDAY: Final = 4 * DAY
"""1970-01-05, the first Monday after the epoch."""
_DIGITS: Final = 4
"""Levels, rates and percentiles are rounded to this many decimals."""


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What the report counts and how much of it it lists."""

    top: int = 15
    """Rows of the ranked tables (bot messages, slowest handoffs)."""
    examples: int = 3
    """Example conversations per bot message."""
    stress_window: int = 5
    """User turns before the escalation (or the end) in the stress trajectories."""
    false_alarm_turns: int = 2
    """A retraction this many user turns after a handoff, at most, makes a false alarm."""
    present: float = 0.5
    """A trust signal counts as present in a turn from this level."""
    loop_onset: float = 0.5
    """The loop level from which a conversation counts as going in circles."""
    max_meta_values: int = 30
    """Meta fields with more values than this (ids) are not broken down."""
    histogram_cap: int = 20
    """The last bar of the turn histograms holds this many user turns or more."""
    false_alarms_listed: int = 50
    bucket_seconds: int | None = None
    """Width of a time bucket; default from the time span (an hour, a day or a week)."""

    def __post_init__(self) -> None:
        for name in ("top", "examples", "stress_window", "false_alarm_turns", "max_meta_values",
                     "histogram_cap", "false_alarms_listed"):  # fmt: skip
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InvalidInputError(
                    f"ReportOptions.{name} must be a positive integer, got {value!r}"
                )
        for name in ("present", "loop_onset"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise InvalidInputError(f"ReportOptions.{name} must lie in (0, 1], got {value!r}")
        if self.bucket_seconds is not None and self.bucket_seconds < 1:
            raise InvalidInputError(
                f"ReportOptions.bucket_seconds must be >= 1, got {self.bucket_seconds}"
            )


class SqlBackend(Protocol):
    """Runs the report's SQL over the tables it registered.

    The tables: ``turns``, ``reasons``, ``evidence``, ``meta`` and ``outcomes``.
    """

    def execute(self, sql: str) -> None:
        """Run a statement (the report creates temporary views)."""

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a query, as dicts by column name."""


class DuckDBBackend:
    """The tables in an in-process DuckDB database (``escalate[insights]``)."""

    def __init__(self, tables: TurnTables, *, threads: int | None = None) -> None:
        try:
            import duckdb  # noqa: PLC0415 - an optional dependency
        except ImportError:
            raise MissingDependencyError("the escalation report", "insights") from None

        self._connection = duckdb.connect(":memory:")
        if threads is not None:
            self._connection.execute(f"SET threads = {int(threads)}")
        for name, table in tables.to_arrow().items():
            self._connection.register(name, table)

    def execute(self, sql: str) -> None:
        """Run a statement."""
        self._connection.execute(sql)

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a query."""
        cursor = self._connection.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        """Free the database."""
        self._connection.close()


@cache
def queries() -> dict[str, Template]:
    """The named blocks of ``queries.sql``."""
    text = resources.files("escalate.insights").joinpath("queries.sql").read_text("utf-8")
    blocks: dict[str, Template] = {}
    for block in text.split("-- name: ")[1:]:
        name, _, body = block.partition("\n")
        blocks[name.strip()] = Template(body.strip())
    return blocks


def _sql(name: str, **params: object) -> str:
    return queries()[name].substitute({key: str(value) for key, value in params.items()})


def summarise(
    backend: SqlBackend,
    options: ReportOptions | None = None,
    *,
    sources: Sequence[str] = (),
    notices: Mapping[str, int] | None = None,
) -> InsightsSummary:
    """Run every query of the report on ``backend`` and shape the results."""
    options = options or ReportOptions()
    backend.execute(_sql("conversations"))
    overview = _overview(backend.query(_sql("overview"))[0], options)
    bucket = overview.bucket_seconds
    # 1970-01-01 was a Thursday: weeks counted from the epoch would start on Thursdays.
    offset = _MONDAY if bucket == WEEK else 0
    backend.execute(_sql("preceding", loop_onset=options.loop_onset))
    backend.execute(_sql("effort"))
    backend.execute(_sql("time_to_human"))
    unpivoted = "\nUNION ALL\n".join(
        _sql("trust_level_of", bucket=bucket, offset=offset, signal=signal)
        for signal in TRUST_SIGNALS
    )
    backend.execute(_sql("trust_levels", unpivoted=unpivoted))
    return InsightsSummary(
        library_version=library_version(),
        sources=tuple(sources),
        notices=dict(notices or {}),
        overview=overview,
        rate_over_time=_rates(backend.query(_sql("rate_over_time", bucket=bucket, offset=offset))),
        reasons=_reasons(backend.query(_sql("reasons")), overview.escalated),
        preceding_escalations=_preceding(backend, "'escalation', 'loop'", options),
        preceding_dead_ends=_preceding(backend, "'dead_end'", options),
        dead_end_kinds=tuple(
            DeadEndKind(**row)
            for row in _ranked(backend.query(_sql("dead_end_kinds")), "conversations", "kind")
        ),
        stress_trajectories=tuple(
            StressPoint(**_rounded(row))
            for row in sorted(
                backend.query(_sql("stress_trajectories", window=options.stress_window)),
                key=lambda row: (row["outcome"], row["rel_turn"]),
            )
        ),
        effort=tuple(
            EffortRow(**_rounded(row))
            for row in sorted(backend.query(_sql("effort_summary")), key=lambda r: r["outcome"])
        ),
        effort_histogram=_histogram(
            backend.query(_sql("effort_histogram", cap=options.histogram_cap)), "outcome"
        ),
        histogram_cap=options.histogram_cap,
        declines=_declines(backend),
        **_meta(backend, options),
        **_false_alarms(backend, options),
        time_to_human=tuple(
            TimeToHuman(**_rounded(row))
            for row in sorted(
                backend.query(_sql("time_to_human_summary")), key=lambda r: r["started_by"]
            )
        ),
        time_to_human_histogram=_histogram(
            backend.query(_sql("time_to_human_histogram", cap=options.histogram_cap)),
            "started_by",
        ),
        slowest_handoffs=tuple(
            SlowHandoff(**_rounded(row))
            for row in backend.query(_sql("time_to_human_slowest", top=options.top))
        ),
        trust_trend=tuple(
            TrustPoint(
                bucket=float(row["bucket"]),
                signal=row["detector"],
                user_turns=row["user_turns"],
                mean=_round(row["mean"]),
                present=row["present"],
            )
            for row in sorted(
                backend.query(_sql("trust_trend", present=options.present)),
                key=lambda r: (r["bucket"], TRUST_SIGNALS.index(r["detector"])),
            )
        ),
        trust_by_phase=_trust_phases(
            backend.query(_sql("trust_by_phase", present=options.present))
        ),
        trust_after_handoff=_after_handoff(
            backend.query(_sql("trust_after_handoff", present=options.present))[0]
        ),
    )


def _overview(row: dict[str, Any], options: ReportOptions) -> Overview:
    conversations = row["conversations"]
    escalated = row["escalated"] or 0
    handed_off = row["handed_off"] or 0
    first, last = row["first_ts"], row["last_ts"]
    return Overview(
        conversations=conversations,
        turns=row["turns"] or 0,
        user_turns=row["user_turns"] or 0,
        escalated=escalated,
        handed_off=handed_off,
        escalation_rate=_ratio(escalated, conversations),
        handoff_rate=_ratio(handed_off, conversations),
        untimed=row["untimed"] or 0,
        first_ts=first,
        last_ts=last,
        bucket_seconds=options.bucket_seconds or _bucket_for(first, last),
    )


def _bucket_for(first: float | None, last: float | None) -> int:
    """An hour for up to two days, a day for up to 90, else a week."""
    span = 0.0 if first is None or last is None else last - first
    if span <= 2 * DAY:
        return HOUR
    if span <= 90 * DAY:
        return DAY
    return WEEK


def _rates(rows: list[dict[str, Any]]) -> tuple[RatePoint, ...]:
    started: dict[float, int] = {}
    for row in rows:
        if row["series_kind"] == "action":
            bucket = float(row["bucket"])
            started[bucket] = started.get(bucket, 0) + row["conversations"]
    points = [
        RatePoint(
            bucket=float(row["bucket"]),
            series_kind=row["series_kind"],
            series=row["series"],
            conversations=row["conversations"],
            rate=_round(row["conversations"] / started[float(row["bucket"])]),
        )
        for row in rows
    ]
    return tuple(sorted(points, key=lambda p: (p.bucket, p.series_kind, p.series)))


def _reasons(rows: list[dict[str, Any]], escalated: int) -> tuple[ReasonRow, ...]:
    return tuple(
        ReasonRow(**row, share=_ratio(row["first_reason"], escalated))
        for row in _ranked(rows, "first_reason", "code")
    )


def _preceding(backend: SqlBackend, events: str, options: ReportOptions) -> tuple[BotMessage, ...]:
    top = backend.query(_sql("preceding_top", events=events, top=options.top))
    if not top:
        return ()
    examples: dict[str, list[tuple[str, str | None]]] = {}
    for row in backend.query(_sql("preceding_examples", events=events, examples=options.examples)):
        examples.setdefault(row["bot_message"], []).append((row["conversation_id"], row["text"]))
    rows = []
    for row in top:
        found = sorted(examples.get(row["bot_message"], []))
        rows.append(
            BotMessage(
                message=row["bot_message"],
                escalation=row["escalation"],
                loop=row["loop"],
                dead_end=row["dead_end"],
                conversations=row["conversations"],
                examples=tuple(conversation for conversation, _ in found),
                example_text=found[0][1] if found else None,
            )
        )
    return tuple(rows)


def _declines(backend: SqlBackend) -> Declines:
    row = _rounded(backend.query(_sql("declines"))[0])
    by_reason = {r["reason"]: r["declines"] for r in backend.query(_sql("declines_by_reason"))}
    # A sum over no declines is NULL, not 0.
    row["handed_off_after_decline"] = row["handed_off_after_decline"] or 0
    return Declines(
        **row, by_reason=dict(sorted(by_reason.items(), key=lambda item: (-item[1], item[0])))
    )


def _meta(backend: SqlBackend, options: ReportOptions) -> dict[str, Any]:
    most = options.max_meta_values
    skipped = {
        row["key"]: row["distinct_values"]
        for row in sorted(backend.query(_sql("meta_keys")), key=lambda r: r["key"])
        if row["distinct_values"] > most
    }
    top_reason: dict[tuple[str, str], tuple[int, str]] = {}
    for row in backend.query(_sql("meta_reasons", max_values=most)):
        key = (row["key"], row["value"])
        best = top_reason.get(key)
        # Most conversations first; on a tie the reason that sorts first, for the same answer
        # from every backend.
        if best is None or (-row["conversations"], row["reason"]) < (-best[0], best[1]):
            top_reason[key] = (row["conversations"], row["reason"])
    rows = [
        MetaRow(
            **row,
            escalation_rate=_round(row["escalated"] / row["conversations"]),
            handoff_rate=_round(row["handed_off"] / row["conversations"]),
            top_reason=top_reason.get((row["key"], row["value"]), (0, None))[1],
        )
        for row in backend.query(_sql("meta_breakdown", max_values=most))
    ]
    rows.sort(key=lambda r: (r.key, -r.conversations, r.value))
    return {"meta": tuple(rows), "meta_skipped": skipped}


def _false_alarms(backend: SqlBackend, options: ReportOptions) -> dict[str, Any]:
    rows = backend.query(_sql("false_alarms", window=options.false_alarm_turns))
    rows.sort(key=lambda r: r["conversation_id"])
    return {
        "false_alarms": tuple(
            FalseAlarm(**_rounded(row)) for row in rows[: options.false_alarms_listed]
        ),
        "false_alarm_count": len(rows),
    }


def _trust_phases(rows: list[dict[str, Any]]) -> tuple[TrustPhase, ...]:
    order = {"automated": 0, "before_handoff": 1, "after_handoff": 2}
    phases = [
        TrustPhase(
            phase=row["phase"],
            signal=row["detector"],
            user_turns=row["user_turns"],
            present=row["present"],
            share=_round(row["present"] / row["user_turns"]),
        )
        for row in rows
    ]
    return tuple(sorted(phases, key=lambda p: (order[p.phase], TRUST_SIGNALS.index(p.signal))))


def _after_handoff(row: dict[str, Any]) -> TrustAfterHandoff:
    with_turns = row["with_turns_after"] or 0
    relieved = row["relieved"] or 0
    return TrustAfterHandoff(
        handed_off=row["handed_off"],
        with_turns_after=with_turns,
        relieved=relieved,
        share=_ratio(relieved, with_turns),
    )


def _histogram(rows: list[dict[str, Any]], group: str) -> tuple[HistogramBar, ...]:
    bars = [
        HistogramBar(group=row[group], value=row["user_turns"], conversations=row["conversations"])
        for row in rows
        if row["user_turns"] is not None
    ]
    return tuple(sorted(bars, key=lambda bar: (bar.group, bar.value)))


def _ranked(rows: list[dict[str, Any]], count: str, name: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: (-row[count], row[name]))


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _round(value) if isinstance(value, float) else value for key, value in row.items()}


def _round(value: float) -> float:
    return round(float(value), _DIGITS)


def _ratio(part: int, whole: int) -> float | None:
    return None if not whole else _round(part / whole)
