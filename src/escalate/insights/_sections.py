"""The insights report's sections as data: headings, notes, tables, and where charts go.

``escalate.insights._html`` draws these sections with their charts and
``escalate.insights._markdown`` writes the same tables for tickets, so both show the same
numbers, formatted the same way. Texts here are plain: each renderer escapes them for its
format (customer texts, bot messages, ids and meta values are data).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Final, Literal

from escalate.insights._summary import BUCKETS, DAY, HOUR, WEEK
from escalate.insights._tables import TRUST_SIGNALS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from escalate.insights._summary import BotMessage, InsightsSummary, MetaRow

__all__ = [
    "Block",
    "Card",
    "Cell",
    "ChartRef",
    "Section",
    "Table",
    "bucket_label",
    "bucket_name",
    "duration",
    "number",
    "percent",
    "sections",
]

_BUCKET_NAMES: Final = {width: name for name, width in BUCKETS.items()}
_DASH: Final = "\N{EN DASH}"

STARTED_BY: Final = {"request": "asked for a person", "dead_end": "security dead end"}
"""How the time-to-human table names what started the wait."""
PHASES: Final = {
    "automated": "automated",
    "before_handoff": "before handoff",
    "after_handoff": "after handoff",
}
_NOTICES: Final = {
    "dropped": "audit records were dropped before they were written (the audit queue was "
    "full): the numbers below miss those turns.",
    "write_failed": "audit writes failed and were noted in the trail: some decisions were "
    "never recorded.",
    "error": "error records were found in the audit trail.",
    "engine_error": "fail-safe decisions outside any conversation (engine errors) were left out.",
    "skipped_lines": "transcript lines could not be read and were skipped.",
}


# -- the shapes the renderers draw -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """One formatted table cell."""

    text: str
    kind: Literal["text", "number", "id", "quote", "time"] = "text"
    """``number`` aligns right; ``id`` is a conversation id; ``quote`` is a message as sent;
    ``time`` names a time bucket."""
    flagged: bool = False
    """Worth a look (highlighted in HTML, bold in Markdown)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A table of formatted cells, one tuple per row."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def numeric(self, column: int) -> bool:
        """Whether the column holds numbers (aligned right)."""
        return bool(self.rows) and all(row[column].kind == "number" for row in self.rows)


@dataclass(frozen=True, slots=True)
class Card:
    """A headline number."""

    label: str
    value: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ChartRef:
    """Which chart ``escalate.insights._html`` draws in a block (``key``: the meta field)."""

    name: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    """A part of a section: an optional title, a note, a chart, a table, or what is missing."""

    title: str = ""
    note: str = ""
    cards: tuple[Card, ...] = ()
    chart: ChartRef | None = None
    table: Table | None = None
    items: tuple[str, ...] = ()
    """A short list (meta fields not broken down)."""
    missing: str = ""
    """Said instead of a chart or table when the input has nothing to show."""
    flagged: bool = False
    """The note is a warning."""


@dataclass(frozen=True, slots=True)
class Section:
    """One insight: a heading, a one-line "how to read it", and its blocks."""

    id: str
    heading: str
    how_to_read: str
    blocks: tuple[Block, ...]
    warnings: tuple[str, ...] = ()

    @property
    def charts(self) -> tuple[ChartRef, ...]:
        """The charts drawn in this section."""
        return tuple(block.chart for block in self.blocks if block.chart is not None)


# -- formatting ------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    """A fraction as a percentage with at most one decimal: ``0.5833`` -> ``58.3%``."""
    if value is None:
        return _DASH
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def number(value: float | None) -> str:
    """A count or a percentile of counts: ``2.0`` -> ``2``, ``2.8`` -> ``2.8``."""
    if value is None:
        return _DASH
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}".removesuffix(".0")


def duration(seconds: float | None) -> str:
    """Seconds as a person reads them: ``80`` -> ``1 min 20 s``, ``90000`` -> ``1 d 1 h``."""
    if seconds is None:
        return _DASH
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 10 and not float(seconds).is_integer():  # noqa: PLR2004 - sub-10 s precision
        return f"{sign}{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:  # noqa: PLR2004 - a minute
        return f"{sign}{whole} s"
    units = (("d", DAY), ("h", HOUR), ("min", 60), ("s", 1))
    for (unit, size), (smaller, small_size) in pairwise(units):
        if whole >= size:
            amount, rest = divmod(whole, size)
            rest //= small_size
            return f"{sign}{amount} {unit}" + (f" {rest} {smaller}" if rest else "")
    raise AssertionError(whole)  # unreachable: a minute or more matched above


def _moment(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def bucket_name(width: int) -> str:
    """``hour``, ``day``, ``week``, or the width as a duration."""
    return _BUCKET_NAMES.get(width) or duration(width)


def bucket_label(start: float, width: int) -> str:
    """A time bucket as a person names it (UTC)."""
    moment = _moment(start)
    if width == DAY:
        return moment.strftime("%Y-%m-%d (%a)")
    if width == WEEK:
        return moment.strftime("week from %Y-%m-%d")
    if width % DAY == 0:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M")


def _count_share(count: int, whole: int) -> str:
    return f"{count:,} ({percent(count / whole)})" if whole and count else f"{count:,}"


def _counted(count: int, noun: str) -> str:
    """``1 turn``, ``2 turns`` (nouns that take an s)."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _conversations(count: int) -> str:
    return _counted(count, "conversation")


def _num(value: float | None, *, flagged: bool = False) -> Cell:
    return Cell(number(value), "number", flagged)


def _text(value: str | None) -> Cell:
    return Cell(value if value is not None else _DASH)


def _ids(ids: Iterable[str]) -> Cell:
    return Cell(", ".join(ids) or _DASH, "id")


# -- the sections ----------------------------------------------------------------------------


def sections(summary: InsightsSummary) -> tuple[Section, ...]:
    """Every section of the report, in reading order."""
    return (
        _overview(summary),
        _over_time(summary),
        _reasons(summary),
        _bot_messages(summary),
        _security(summary),
        _stress(summary),
        _effort(summary),
        _declines(summary),
        _meta(summary),
        _false_alarms(summary),
        _time_to_human(summary),
        _trust(summary),
    )


def _overview(summary: InsightsSummary) -> Section:
    o = summary.overview
    if o.first_ts is None or o.last_ts is None:
        span, span_detail = "no times", "the input carries no timestamps"
    else:
        fmt = "%Y-%m-%d %H:%M"
        span = duration(o.last_ts - o.first_ts)
        span_detail = (
            f"{_moment(o.first_ts).strftime(fmt)} to {_moment(o.last_ts).strftime(fmt)} UTC, "
            f"charted by {bucket_name(o.bucket_seconds)}"
        )
    cards = (
        Card(
            "Conversations",
            f"{o.conversations:,}",
            f"{_counted(o.turns, 'turn')}, {o.user_turns:,} from customers",
        ),
        Card(
            "Escalation rate",
            percent(o.escalation_rate),
            f"{o.escalated:,} offered a human or handed off",
        ),
        Card("Handoff rate", percent(o.handoff_rate), f"{o.handed_off:,} handed off"),
        Card("Time span", span, span_detail),
        Card("Untimed", f"{o.untimed:,}", "conversations without times: not charted over time"),
    )
    warnings = tuple(
        f"{count:,} {_NOTICES.get(kind, f'notices of kind {kind!r}.')}"
        for kind, count in sorted(summary.notices.items())
        if count
    )
    sources = ", ".join(summary.sources) or "tables given in Python"
    return Section(
        "overview",
        "Overview",
        "Conversations in the input, how many were escalated (offered a human or handed off), "
        "and the time they span.",
        (Block(cards=cards, note=f"Sources: {sources}. escalate {summary.library_version}."),),
        warnings,
    )


def _over_time(summary: InsightsSummary) -> Section:
    o = summary.overview
    name = bucket_name(o.bucket_seconds)
    how = (
        f"Share of the conversations started in each {name} that were escalated, by first "
        "reason (bars), and the highest action each conversation reached (lines)."
    )
    if not summary.rate_over_time:
        return Section(
            "over-time",
            "Escalation rate over time",
            how,
            (
                Block(
                    missing="No times in this input: the conversations carry no timestamps, "
                    "so there is nothing to draw over time."
                ),
            ),
        )
    started: dict[float, int] = defaultdict(int)
    actions: dict[float, dict[str, int]] = defaultdict(dict)
    reasons: dict[float, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for point in summary.rate_over_time:
        if point.series_kind == "action":
            started[point.bucket] += point.conversations
            actions[point.bucket][point.series] = point.conversations
        else:
            reasons[point.bucket][point.series] = point.conversations
            totals[point.series] += point.conversations
    codes = sorted(totals, key=lambda code: (-totals[code], code))
    rows = []
    for bucket in sorted(started):
        whole = started[bucket]
        escalated = whole - actions[bucket].get("continue", 0)
        rows.append(
            (
                Cell(bucket_label(bucket, o.bucket_seconds), "time"),
                _num(whole),
                Cell(_count_share(escalated, whole), "number"),
                Cell(_count_share(actions[bucket].get("handoff", 0), whole), "number"),
                *(Cell(_count_share(reasons[bucket].get(c, 0), whole), "number") for c in codes),
            )
        )
    table = Table((name, "started", "escalated", "handed off", *codes), tuple(rows))
    untimed = (
        f"{_conversations(o.untimed)} without times {'is' if o.untimed == 1 else 'are'} left"
        " out of these charts."
        if o.untimed
        else ""
    )
    by_reason = (
        Block(title="By first reason", note=untimed, chart=ChartRef("rate_by_reason"))
        if codes
        else Block(title="By first reason", note=untimed, missing="No escalations in this input.")
    )
    return Section(
        "over-time",
        "Escalation rate over time",
        how,
        (
            by_reason,
            Block(title="By highest action", chart=ChartRef("rate_by_action")),
            Block(table=table),
        ),
    )


def _reasons(summary: InsightsSummary) -> Section:
    how = (
        "The first reason of each escalated conversation; “anywhere” counts the conversations "
        "where any escalating decision gave the reason."
    )
    if not summary.reasons:
        block = Block(missing="No escalations in this input, so no reasons.")
    else:
        rows = tuple(
            (
                Cell(r.code),
                _num(r.first_reason),
                Cell(percent(r.share), "number"),
                _num(r.handed_off),
                _num(r.offered_only),
                _num(r.anywhere),
            )
            for r in summary.reasons
        )
        columns = (
            "reason",
            "first reason",
            "of escalated",
            "handed off",
            "offered only",
            "anywhere",
        )
        block = Block(table=Table(columns, rows))
    return Section("reasons", "Reasons", how, (block,))


def _message_rows(messages: Iterable[BotMessage], *counts: str) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (
            Cell(m.message),
            *(_num(getattr(m, count)) for count in counts),
            _num(m.conversations),
            _ids(m.examples),
            Cell(m.example_text or _DASH, "quote"),
        )
        for m in messages
    )


def _bot_messages(summary: InsightsSummary) -> Section:
    how = (
        "The bot's last message before a conversation escalated or started going in circles "
        "(normalised: numbers and codes replaced); the top ones are where the bot fails most."
    )
    messages = summary.preceding_escalations
    if not messages:
        block = Block(missing="No bot message preceded an escalation or a loop in this input.")
    else:
        table = Table(
            (
                "bot message (normalised)",
                "escalations",
                "loops",
                "conversations",
                "examples",
                "one as sent",
            ),
            _message_rows(messages, "escalation", "loop"),
        )
        block = Block(chart=ChartRef("bot_messages"), table=table)
    return Section("bot-messages", "Bot messages before escalations and loops", how, (block,))


def _security(summary: InsightsSummary) -> Section:
    how = (
        "Blockers customers met in security steps (a code that never arrives, lost access, a "
        "step repeated) and the bot step that came right before the dead end."
    )
    if not summary.dead_end_kinds and not summary.preceding_dead_ends:
        blocks: tuple[Block, ...] = (Block(missing="No security dead ends in this input."),)
    else:
        kinds_title, steps_title = "Blocker kinds", "Bot steps before a dead end"
        if summary.dead_end_kinds:
            rows = tuple(
                (
                    Cell(k.kind),
                    _num(k.turns),
                    _num(k.conversations),
                    Cell(_count_share(k.escalated, k.conversations), "number"),
                    Cell(_count_share(k.handed_off, k.conversations), "number"),
                )
                for k in summary.dead_end_kinds
            )
            table = Table(("blocker", "turns", "conversations", "escalated", "handed off"), rows)
            kinds = Block(title=kinds_title, chart=ChartRef("dead_end_kinds"), table=table)
        else:
            kinds = Block(title=kinds_title, missing="No blocker kinds recorded in this input.")
        if summary.preceding_dead_ends:
            table = Table(
                ("bot step (normalised)", "dead ends", "conversations", "examples", "one as sent"),
                _message_rows(summary.preceding_dead_ends, "dead_end"),
            )
            steps = Block(title=steps_title, chart=ChartRef("dead_end_messages"), table=table)
        else:
            steps = Block(title=steps_title, missing="No bot message came before a dead end.")
        blocks = (kinds, steps)
    return Section("security", "Security steps that end in dead ends", how, blocks)


def _stress(summary: InsightsSummary) -> Section:
    how = (
        "Mean stress (0 to 1) over the customer's last turns before the escalation (turn 0 is "
        "the escalating turn), or before the end when the bot handled it alone; the band "
        "holds the middle half of the turns (p25 to p75)."
    )
    points = summary.stress_trajectories
    if not points:
        return Section(
            "stress",
            "Stress before escalation",
            how,
            (Block(missing="No stress levels in this input."),),
        )
    by_turn: dict[int, dict[str, str]] = defaultdict(dict)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for p in points:
        by_turn[p.rel_turn][p.outcome] = f"{p.mean:.2f} ({p.p25:.2f}, {p.p75:.2f})"
        counts[p.rel_turn][p.outcome] = p.turns
    rows = tuple(
        (
            _num(turn),
            Cell(by_turn[turn].get("escalated", _DASH), "number"),
            _num(counts[turn].get("escalated")),
            Cell(by_turn[turn].get("automated", _DASH), "number"),
            _num(counts[turn].get("automated")),
        )
        for turn in sorted(by_turn)
    )
    table = Table(
        ("turn", "escalated: mean (p25, p75)", "turns", "automated: mean (p25, p75)", "turns"), rows
    )
    return Section(
        "stress",
        "Stress before escalation",
        how,
        (Block(chart=ChartRef("stress"), table=table),),
    )


def _effort(summary: InsightsSummary) -> Section:
    how = (
        "Customer turns (and time) until the first escalation, or until the end of the "
        "conversations the bot handled alone: a long tail means customers work hard for help. "
        "Each group's bars are shares of that group (counts in the legend), so the few "
        "escalated conversations show next to the many automated ones."
    )
    if not summary.effort:
        return Section("effort", "Effort", how, (Block(missing="No conversations to measure."),))
    rows = tuple(
        (
            Cell(e.outcome),
            _num(e.conversations),
            _num(e.median_user_turns),
            _num(e.p90_user_turns),
            Cell(duration(e.median_seconds), "number"),
            Cell(duration(e.p90_seconds), "number"),
        )
        for e in summary.effort
    )
    table = Table(
        ("outcome", "conversations", "median turns", "p90 turns", "median time", "p90 time"), rows
    )
    chart = ChartRef("effort") if summary.effort_histogram else None
    return Section("effort", "Effort", how, (Block(chart=chart, table=table),))


def _declines(summary: InsightsSummary) -> Section:
    d = summary.declines
    how = (
        "Offers of a human (a new offer, not one repeated on the next turn), the customers "
        "who said no, and what happened next."
    )
    if not d.offers and not d.declines:
        return Section(
            "declines",
            "Declined offers",
            how,
            (Block(missing="No offers of a human in this input."),),
        )
    rows = (
        ("offers of a human", f"{d.offers:,} in {_conversations(d.offered_conversations)}"),
        (
            "offered, then handed off",
            _count_share(d.offered_then_handed_off, d.offered_conversations),
        ),
        ("declines", f"{d.declines:,} in {_conversations(d.declined_conversations)}"),
        ("offered again after a decline", _count_share(d.offered_again, d.declines)),
        ("median turns to the next offer", number(d.median_turns_to_next_offer)),
        ("handed off after a decline", _count_share(d.handed_off_after_decline, d.declines)),
    )
    numbers = Table(("what", "how many"), tuple((Cell(k), Cell(v, "number")) for k, v in rows))
    if d.by_reason:
        by_reason = Block(
            title="Declines by the reason of the offer",
            chart=ChartRef("declines"),
            table=Table(
                ("reason", "declines"),
                tuple((Cell(reason), _num(n)) for reason, n in d.by_reason.items()),
            ),
        )
    else:
        by_reason = Block(
            title="Declines by the reason of the offer", missing="No offer was declined."
        )
    return Section("declines", "Declined offers", how, (Block(table=numbers), by_reason))


def _meta_table(rows: Iterable[MetaRow]) -> Table:
    return Table(
        (
            "value",
            "conversations",
            "escalated",
            "handed off",
            "asked for a person",
            "dead ends",
            "top reason",
        ),
        tuple(
            (
                Cell(r.value),
                _num(r.conversations),
                Cell(f"{r.escalated:,} ({percent(r.escalation_rate)})", "number"),
                Cell(f"{r.handed_off:,} ({percent(r.handoff_rate)})", "number"),
                _num(r.requested_human),
                _num(r.dead_end),
                _text(r.top_reason),
            )
            for r in rows
        ),
    )


def _meta(summary: InsightsSummary) -> Section:
    how = (
        "Escalation and handoff rates per value of each meta field (channel, tier, ...): "
        "values with few conversations swing widely."
    )
    by_key: dict[str, list[MetaRow]] = defaultdict(list)
    for row in summary.meta:
        by_key[row.key].append(row)
    blocks = [
        Block(title=key, chart=ChartRef("meta", key), table=_meta_table(rows))
        for key, rows in by_key.items()
    ]
    if summary.meta_skipped:
        blocks.append(
            Block(
                title="Not broken down",
                note="Fields with too many values (ids, free text):",
                items=tuple(
                    f"{key} ({values:,} values)" for key, values in summary.meta_skipped.items()
                ),
            )
        )
    if not blocks:
        blocks.append(Block(missing="No meta fields in this input."))
    return Section("meta", "Breakdowns by meta field", how, tuple(blocks))


def _false_alarms(summary: InsightsSummary) -> Section:
    how = (
        "Handoffs the customer took back (“never mind, found it”) a turn or two later, "
        "before an agent spoke: read them to tune what triggers a handoff."
    )
    handoffs = summary.overview.handed_off
    count = summary.false_alarm_count
    note = f"{count:,} false alarm{'' if count == 1 else 's'} among {handoffs:,} handoffs" + (
        f" ({percent(count / handoffs)})." if handoffs and count else "."
    )
    if len(summary.false_alarms) < count:
        note += f" The first {len(summary.false_alarms):,} are listed."
    if not summary.false_alarms:
        block = Block(
            note=note,
            missing="No false alarms in this input: no handoff was taken back before an agent "
            "spoke.",
        )
    else:
        rows = tuple(
            (
                Cell(f.conversation_id, "id"),
                _text(f.reason),
                Cell(f.trigger_text or _DASH, "quote"),
                Cell(f.retraction_text or _DASH, "quote"),
                _num(f.user_turns_after),
                Cell(duration(f.seconds_after), "number"),
            )
            for f in summary.false_alarms
        )
        columns = (
            "conversation",
            "reason",
            "handoff triggered by",
            "taken back with",
            "turns after",
            "time after",
        )
        block = Block(note=note, table=Table(columns, rows))
    return Section("false-alarms", "False-alarm review queue", how, (block,))


def _time_to_human(summary: InsightsSummary) -> Section:
    how = (
        "From the customer's first request for a person (or first security dead end) to the "
        "handoff; the default policy hands off requests on the very turn."
    )
    heading = "Time to a human"
    if not summary.time_to_human:
        return Section(
            "time-to-human",
            heading,
            how,
            (Block(missing="No requests for a person and no security dead ends in this input."),),
        )
    rows = []
    slow_requests = False
    order = list(STARTED_BY)
    ranked = sorted(summary.time_to_human, key=lambda t: (_rank(order, t.started_by), t.started_by))
    for t in ranked:
        late = t.started_by == "request" and t.same_turn < t.conversations
        slow_requests = slow_requests or late
        rows.append(
            (
                Cell(STARTED_BY.get(t.started_by, t.started_by)),
                _num(t.conversations),
                Cell(_count_share(t.handed_off, t.conversations), "number"),
                Cell(_count_share(t.same_turn, t.conversations), "number", flagged=late),
                Cell(_count_share(t.offered_same_turn, t.conversations), "number"),
                Cell(
                    " / ".join(
                        number(v) for v in (t.median_user_turns, t.p90_user_turns, t.max_user_turns)
                    ),
                    "number",
                ),
                Cell(f"{duration(t.median_seconds)} / {duration(t.p90_seconds)}", "number"),
            )
        )
    table = Table(
        (
            "started by",
            "conversations",
            "handed off",
            "same turn",
            "offered same turn",
            "turns: median / p90 / max",
            "time: median / p90",
        ),
        tuple(rows),
    )
    warning = (
        "Some requests for a person were not handed off on the same turn, as the default "
        "policy does: check signals.human_request in the policy (its handoff threshold) and "
        "any rule that holds a handoff back."
        if slow_requests
        else ""
    )
    summary_block = Block(
        note=warning,
        flagged=bool(warning),
        chart=ChartRef("time_to_human") if summary.time_to_human_histogram else None,
        table=table,
    )
    if summary.slowest_handoffs:
        slow = Table(
            ("conversation", "started by", "turns to the handoff", "time to the handoff"),
            tuple(
                (
                    Cell(s.conversation_id, "id"),
                    Cell(STARTED_BY.get(s.started_by, s.started_by)),
                    Cell("never handed off", "number", flagged=True)
                    if s.user_turns is None
                    else _num(s.user_turns),
                    Cell(duration(s.seconds), "number"),
                )
                for s in summary.slowest_handoffs
            ),
        )
        slowest = Block(title="Slowest, and never handed off", table=slow)
    else:
        slowest = Block(
            title="Slowest, and never handed off",
            missing="Every one was handed off on the same turn.",
        )
    return Section("time-to-human", heading, how, (summary_block, slowest))


def _rank(order: list[str], key: str) -> int:
    return order.index(key) if key in order else len(order)


def _trust(summary: InsightsSummary) -> Section:
    how = (
        "Doubt, cynicism, irritation, hesitation, relief and appreciation in customer turns: "
        "their level over time, how often each shows before and after a handoff, and whether "
        "customers were relieved once handed off."
    )
    heading = "Trust signals"
    if not summary.trust_trend and not summary.trust_by_phase:
        return Section(
            "trust",
            heading,
            how,
            (
                Block(
                    missing="No trust signal levels in this input (they are recorded by the "
                    f"trust detectors: {', '.join(TRUST_SIGNALS)})."
                ),
            ),
        )
    blocks = []
    if summary.trust_trend:
        width = summary.overview.bucket_seconds
        signals = [s for s in TRUST_SIGNALS if any(p.signal == s for p in summary.trust_trend)]
        levels: dict[float, dict[str, float]] = defaultdict(dict)
        for p in summary.trust_trend:
            levels[p.bucket][p.signal] = p.mean
        rows = tuple(
            (
                Cell(bucket_label(bucket, width), "time"),
                *(
                    Cell(f"{levels[bucket][s]:.2f}" if s in levels[bucket] else _DASH, "number")
                    for s in signals
                ),
            )
            for bucket in sorted(levels)
        )
        blocks.append(
            Block(
                title="Mean level over time",
                chart=ChartRef("trust_trend"),
                table=Table((bucket_name(width), *signals), rows),
            )
        )
    else:
        blocks.append(Block(title="Mean level over time", missing="No times in this input."))
    if summary.trust_by_phase:
        share: dict[str, dict[str, str]] = defaultdict(dict)
        for phase in summary.trust_by_phase:
            share[phase.signal][phase.phase] = (
                f"{percent(phase.share)} ({phase.present:,} of {phase.user_turns:,})"
            )
        rows = tuple(
            (Cell(signal), *(Cell(share[signal].get(p, _DASH), "number") for p in PHASES))
            for signal in TRUST_SIGNALS
            if signal in share
        )
        blocks.append(
            Block(
                title="Present, by phase",
                note="Share of customer turns where the signal reached the report's threshold.",
                chart=ChartRef("trust_by_phase"),
                table=Table(("signal", *PHASES.values()), rows),
            )
        )
        after = summary.trust_after_handoff
        blocks.append(
            Block(
                title="After a handoff",
                cards=(
                    Card(
                        "Relieved or thankful after a handoff",
                        percent(after.share),
                        f"{after.relieved:,} of {after.with_turns_after:,} handed-off "
                        f"conversations with customer turns afterwards ({after.handed_off:,} "
                        "handed off): the sign a handoff worked",
                    ),
                ),
            )
        )
    return Section("trust", heading, how, tuple(blocks))
