"""The insights report as one self-contained HTML page: interactive plotly charts and tables.

plotly.js is inlined once and every chart is a div with its own script, so the page opens
offline and can be attached to a ticket; a Content-Security-Policy forbids the page any
request at all. The page is rendered from a Jinja2 template (``report.html.j2``) with
autoescaping. Texts from the data reach the charts escaped as HTML entities (plotly reads a few
tags in labels and shows entities literally), and plotly's JSON escapes ``<``, ``>`` and ``/``,
so no text can close a script or inject markup.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from escalate._templates import html_template
from escalate.exceptions import MissingDependencyError
from escalate.insights._sections import (
    PHASES,
    STARTED_BY,
    ChartRef,
    bucket_label,
    bucket_name,
    sections,
)
from escalate.insights._summary import DAY
from escalate.insights._tables import TRUST_SIGNALS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from escalate.insights._summary import BotMessage, HistogramBar, InsightsSummary

__all__ = ["chart", "render_html"]

_FONT: Final = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
_CONFIG: Final = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
_TICKS_NAMED: Final = 14
"""Up to this many time buckets, each gets a named tick."""
_MIN_SLOTS: Final = 6
"""Turn histograms show at least this many values: one value alone would fill the width."""
_LABEL_CHARS: Final = 60
"""Bot messages longer than this are cut on the axis (the hover and the table have them whole)."""

_ACTION_COLOURS: Final = {"continue": "#94a3b8", "offer_human": "#f59e0b", "handoff": "#dc2626"}
_REASON_COLOURS: Final = {
    "human_requested": "#4c78a8",
    "emotional_stress": "#e45756",
    "conversation_loop": "#f58518",
    "security_dead_end": "#b279a2",
    "sensitive_topic": "#54a24b",
    "high_effort": "#eeca3b",
    "customer_dissatisfied": "#ff9da6",
    "unnecessary_friction": "#72b7b2",
    "engine_error": "#9d755d",
    "other": "#bab0ac",
}
_OTHER_COLOURS: Final = ("#72b7b2", "#ff9da6", "#9d755d", "#bab0ac", "#4c78a8", "#f58518")
_OUTCOME_COLOURS: Final = {"escalated": "#dc2626", "automated": "#2563eb"}
_STARTED_BY_COLOURS: Final = {"request": "#4c78a8", "dead_end": "#b279a2"}
_PHASE_COLOURS: Final = {
    "automated": "#94a3b8",
    "before_handoff": "#f58518",
    "after_handoff": "#4c78a8",
}
_TRUST_COLOURS: Final = {
    "doubt": "#f58518",
    "cynicism": "#b279a2",
    "irritation": "#e45756",
    "hesitation": "#eeca3b",
    "relief": "#54a24b",
    "appreciation": "#4c78a8",
}


def render_html(summary: InsightsSummary, *, title: str = "Escalation insights") -> str:
    """The summary as a self-contained HTML document (``escalate[insights]``).

    Example:
        >>> from escalate.insights import render_html
        >>> page = render_html(summary)  # doctest: +SKIP
        >>> Path("report.html").write_text(page, encoding="utf-8")  # doctest: +SKIP
    """
    template = html_template(
        "escalate.insights",
        "report.html.j2",
        {"breakable": _breakable},
        report="the HTML insights report",
        extra="insights",
    )
    try:
        import plotly.io  # noqa: PLC0415 - optional, escalate[insights]
        import plotly.offline  # noqa: PLC0415
    except ImportError:
        raise MissingDependencyError("the HTML insights report", "insights") from None
    from markupsafe import Markup  # noqa: PLC0415 - installed with jinja2

    parts = sections(summary)
    charts: dict[ChartRef, Markup] = {}
    for number, ref in enumerate((ref for part in parts for ref in part.charts), start=1):
        figure = _FIGURES[ref.name](summary, ref.key)
        div = plotly.io.to_html(
            figure,
            full_html=False,
            include_plotlyjs=False,
            # Stable ids: the same summary renders to the same bytes.
            div_id=f"chart-{number}-{ref.name}",
            config=_CONFIG,
            validate=True,
        )
        charts[ref] = Markup(div)  # noqa: S704 - plotly's div; its JSON escapes < > and /
    return template.render(
        title=title,
        summary=summary,
        sections=parts,
        charts=charts,
        # plotly.js holds no "</script": it is made to be inlined (plotly.io does the same).
        plotlyjs=Markup(plotly.offline.get_plotlyjs()),  # noqa: S704
    )


def chart(summary: InsightsSummary, name: str, key: str = "") -> Any:
    """The plotly figure of one of the page's charts (``ChartRef.name``, ``ChartRef.key``)."""
    return _FIGURES[name](summary, key)


def _breakable(text: str) -> Any:
    """Escaped text that may wrap after an underscore (long reason codes as column names)."""
    from markupsafe import Markup, escape  # noqa: PLC0415 - installed with jinja2

    return Markup(str(escape(text)).replace("_", "_<wbr>"))  # noqa: S704 - escaped first


# -- the figures -----------------------------------------------------------------------------


def _go() -> Any:
    import plotly.graph_objects as go  # noqa: PLC0415 - optional, escalate[insights]

    return go


def _label(text: str) -> str:
    """Data as plotly shows it literally: plotly reads tags in labels and decodes entities."""
    return html.escape(text, quote=False).replace("\n", " ")


def _short(text: str) -> str:
    return _label(text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…")


def _figure(*traces: Any, height: int = 380, **layout: Any) -> Any:
    go = _go()
    figure = go.Figure(data=list(traces))
    legend = {
        "orientation": "h",
        "yanchor": "bottom",
        "y": 1.02,
        "x": 0,
        **layout.pop("legend", {}),
    }
    figure.update_layout(
        {
            "template": "plotly_white",
            "height": height,
            "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
            "font": {"family": _FONT, "size": 13, "color": "#1f2937"},
            "legend": legend,
            "hoverlabel": {"font": {"family": _FONT}},
            **layout,
        }
    )
    return figure


def _colour(palette: dict[str, str], key: str, index: int) -> str:
    return palette.get(key) or _OTHER_COLOURS[index % len(_OTHER_COLOURS)]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _time_axis(summary: InsightsSummary, buckets: Sequence[float]) -> dict[str, Any]:
    width = summary.overview.bucket_seconds
    axis: dict[str, Any] = {"type": "date", "title": {"text": f"{bucket_name(width)} (UTC)"}}
    if len(buckets) <= _TICKS_NAMED:
        # One tick per bucket, under its bar, named like the table's rows.
        axis["tickvals"] = [_iso(bucket + width / 2) for bucket in buckets]
        axis["ticktext"] = [_tick(bucket, width) for bucket in buckets]
    else:
        axis["tickformat"] = "%b %d" if width >= DAY else "%b %d %H:%M"
    return axis


def _tick(bucket: float, width: int) -> str:
    moment = datetime.fromtimestamp(bucket, tz=UTC)
    if width == DAY:
        return moment.strftime("%a %b %d")
    return moment.strftime("%b %d" if width % DAY == 0 else "%b %d %H:%M")


def _rate_by_reason(summary: InsightsSummary, _key: str) -> Any:
    go = _go()
    width = summary.overview.bucket_seconds
    points = [p for p in summary.rate_over_time if p.series_kind == "reason"]
    buckets = sorted({p.bucket for p in summary.rate_over_time})
    totals: dict[str, int] = defaultdict(int)
    for p in points:
        totals[p.series] += p.conversations
    codes = sorted(totals, key=lambda code: (-totals[code], code))
    found = {(p.bucket, p.series): p for p in points}
    traces = []
    for index, code in enumerate(codes):
        bars = [found.get((bucket, code)) for bucket in buckets]
        traces.append(
            go.Bar(
                name=_label(code),
                # Bars centred on their bucket, as wide as most of it: gaps in time stay gaps.
                x=[_iso(bucket + width / 2) for bucket in buckets],
                y=[bar.rate if bar else 0 for bar in bars],
                width=width * 1000 * 0.8,
                customdata=[
                    [bucket_label(bucket, width), bar.conversations if bar else 0]
                    for bucket, bar in zip(buckets, bars, strict=True)
                ],
                hovertemplate="%{customdata[0]}<br>"
                + _label(code)
                + ": %{y:.1%} (%{customdata[1]} conversations)<extra></extra>",
                marker={"color": _colour(_REASON_COLOURS, code, index)},
            )
        )
    return _figure(
        *traces,
        barmode="stack",
        legend={"traceorder": "normal"},
        xaxis=_time_axis(summary, buckets),
        yaxis={
            "title": {"text": "escalated (share of started)"},
            "tickformat": ".0%",
            "rangemode": "tozero",
        },
    )


def _rate_by_action(summary: InsightsSummary, _key: str) -> Any:
    go = _go()
    width = summary.overview.bucket_seconds
    points = [p for p in summary.rate_over_time if p.series_kind == "action"]
    buckets = sorted({p.bucket for p in points})
    found = {(p.bucket, p.series): p for p in points}
    traces = []
    for index, action in enumerate(("continue", "offer_human", "handoff")):
        rows = [found.get((bucket, action)) for bucket in buckets]
        traces.append(
            go.Scatter(
                name={
                    "continue": "bot only",
                    "offer_human": "offered a human",
                    "handoff": "handed off",
                }[action],
                mode="lines+markers",
                x=[_iso(bucket + width / 2) for bucket in buckets],
                y=[row.rate if row else 0 for row in rows],
                customdata=[
                    [bucket_label(bucket, width), row.conversations if row else 0]
                    for bucket, row in zip(buckets, rows, strict=True)
                ],
                hovertemplate="%{customdata[0]}<br>%{y:.1%} (%{customdata[1]} conversations)"
                "<extra>%{fullData.name}</extra>",
                line={"color": _colour(_ACTION_COLOURS, action, index), "width": 2.5},
            )
        )
    return _figure(
        *traces,
        xaxis=_time_axis(summary, buckets),
        yaxis={"title": {"text": "share of started"}, "tickformat": ".0%", "range": [0, 1.05]},
    )


def _message_bars(messages: Sequence[BotMessage], counts: dict[str, tuple[str, str]]) -> Any:
    """Horizontal bars, the most frequent on top, one trace per count."""
    go = _go()
    shown = list(reversed(messages))  # plotly draws the first category at the bottom
    labels = [_short(m.message) for m in shown]
    traces = [
        go.Bar(
            name=name,
            orientation="h",
            y=labels,
            x=[getattr(m, attribute) for m in shown],
            customdata=[
                [_label(m.message), _label(", ".join(m.examples)), _label(m.example_text or "")]
                for m in shown
            ],
            hovertemplate="%{customdata[0]}<br>" + name + ": %{x}<br>e.g. %{customdata[1]}"
            "<extra></extra>",
            marker={"color": colour},
        )
        for attribute, (name, colour) in counts.items()
    ]
    most = max((sum(getattr(m, attribute) for attribute in counts) for m in messages), default=0)
    return _figure(
        *traces,
        barmode="stack",
        legend={"traceorder": "normal"},
        height=140 + 40 * len(shown),
        xaxis={"title": {"text": "times right before"}, "dtick": _whole_ticks(most)},
        yaxis={"automargin": True, "type": "category"},
        margin={"l": 20, "r": 20, "t": 30, "b": 50},
    )


def _whole_ticks(most: int) -> int | None:
    """Ticks on whole numbers for small counts (plotly would label 0.5 steps)."""
    return 1 if most <= 10 else None  # noqa: PLR2004 - ten ticks at most


def _bot_messages(summary: InsightsSummary, _key: str) -> Any:
    return _message_bars(
        summary.preceding_escalations,
        {"escalation": ("escalations", "#dc2626"), "loop": ("loops", "#f59e0b")},
    )


def _dead_end_messages(summary: InsightsSummary, _key: str) -> Any:
    return _message_bars(summary.preceding_dead_ends, {"dead_end": ("dead ends", "#b279a2")})


def _dead_end_kinds(summary: InsightsSummary, _key: str) -> Any:
    go = _go()
    kinds = list(reversed(summary.dead_end_kinds))
    labels = [_label(k.kind) for k in kinds]
    series = (
        ("conversations", "conversations", "#94a3b8"),
        ("escalated", "escalated", "#f59e0b"),
        ("handed_off", "handed off", "#dc2626"),
    )
    traces = [
        go.Bar(
            name=name,
            orientation="h",
            y=labels,
            x=[getattr(k, attribute) for k in kinds],
            hovertemplate="%{y}: %{x} " + name + "<extra></extra>",
            marker={"color": colour},
        )
        for attribute, name, colour in reversed(series)  # the first on top of each group
    ]
    most = max((k.conversations for k in kinds), default=0)
    return _figure(
        *traces,
        barmode="group",
        legend={"traceorder": "reversed"},
        height=140 + 70 * len(kinds),
        xaxis={"title": {"text": "conversations"}, "dtick": _whole_ticks(most)},
        yaxis={"automargin": True, "type": "category"},
    )


def _stress(summary: InsightsSummary, _key: str) -> Any:
    go = _go()
    traces = []
    for outcome in ("escalated", "automated"):
        points = [p for p in summary.stress_trajectories if p.outcome == outcome]
        if not points:
            continue
        colour = _OUTCOME_COLOURS[outcome]
        turns = [p.rel_turn for p in points]
        band = {
            "legendgroup": outcome,
            "showlegend": False,
            "hoverinfo": "skip",
            "x": turns,
            "mode": "lines",
            "line": {"width": 0, "color": colour},
        }
        traces.append(go.Scatter(y=[p.p75 for p in points], **band))
        traces.append(
            go.Scatter(
                y=[p.p25 for p in points], fill="tonexty", fillcolor=_translucent(colour), **band
            )
        )
        traces.append(
            go.Scatter(
                name=outcome,
                legendgroup=outcome,
                x=turns,
                y=[p.mean for p in points],
                mode="lines+markers",
                line={"color": colour, "width": 2.5},
                customdata=[[p.p25, p.p75, p.turns] for p in points],
                hovertemplate="turn %{x}: mean %{y:.2f} (p25 %{customdata[0]:.2f}, p75 "
                "%{customdata[1]:.2f}; %{customdata[2]} turns)<extra>%{fullData.name}</extra>",
            )
        )
    return _figure(
        *traces,
        xaxis={
            "title": {"text": "customer turn (0: the escalating turn, or the last turn)"},
            "dtick": 1,
        },
        yaxis={"title": {"text": "stress"}, "rangemode": "tozero"},
    )


def _translucent(colour: str, alpha: float = 0.15) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def _histogram(
    bars: Sequence[HistogramBar],
    names: dict[str, str],
    colours: dict[str, str],
    axis: str,
    cap: int,
    *,
    shares: bool = False,
) -> Any:
    """Conversations by value, one bar per group.

    With ``shares``, each group's bars are shares of that group, so a small group (escalated
    conversations) stays as readable as a large one.
    """
    go = _go()
    if shares:
        return _shares_histogram(bars, names, colours, axis, cap)
    low = min(b.value for b in bars)
    values = list(range(low, max(*(b.value for b in bars), low + _MIN_SLOTS - 1) + 1))
    counts = {(b.group, b.value): b.conversations for b in bars}
    groups = sorted(
        {b.group for b in bars},
        key=lambda g: (list(names).index(g) if g in names else len(names), g),
    )
    traces = [
        go.Bar(
            name=_label(names.get(group, group)),
            x=values,
            y=[counts.get((group, value), 0) for value in values],
            hovertemplate="%{x} turns: %{y} conversations<extra>%{fullData.name}</extra>",
            marker={"color": _colour(colours, group, index)},
        )
        for index, group in enumerate(groups)
    ]
    yaxis = {
        "title": {"text": "conversations"},
        "rangemode": "tozero",
        "dtick": _whole_ticks(max(b.conversations for b in bars)),
    }
    return _grouped_bars(traces, axis, values, cap, yaxis)


def _effort(summary: InsightsSummary, _key: str) -> Any:
    # Escalated conversations are a few percent of all: as counts, their bars vanish.
    return _histogram(
        summary.effort_histogram,
        {"escalated": "escalated", "automated": "automated"},
        _OUTCOME_COLOURS,
        "customer turns until the escalation, or the end",
        summary.histogram_cap,
        shares=True,
    )


def _shares_histogram(
    bars: Sequence[HistogramBar],
    names: dict[str, str],
    colours: dict[str, str],
    axis: str,
    cap: int,
) -> Any:
    go = _go()
    low = min(b.value for b in bars)
    values = list(range(low, max(*(b.value for b in bars), low + _MIN_SLOTS - 1) + 1))
    counts = {(b.group, b.value): b.conversations for b in bars}
    totals: dict[str, int] = {}
    for bar in bars:
        totals[bar.group] = totals.get(bar.group, 0) + bar.conversations
    groups = sorted(totals, key=lambda g: (list(names).index(g) if g in names else len(names), g))
    traces = [
        go.Bar(
            name=f"{_label(names.get(group, group))} ({totals[group]:,})",
            x=values,
            y=[counts.get((group, value), 0) / totals[group] for value in values],
            customdata=[counts.get((group, value), 0) for value in values],
            hovertemplate="%{x} turns: %{y:.1%} of them (%{customdata} conversations)"
            "<extra>%{fullData.name}</extra>",
            marker={"color": _colour(colours, group, index)},
        )
        for index, group in enumerate(groups)
    ]
    yaxis = {
        "title": {"text": "share of the group's conversations"},
        "tickformat": ".0%",
        "rangemode": "tozero",
    }
    return _grouped_bars(traces, axis, values, cap, yaxis)


def _grouped_bars(
    traces: list[Any], axis: str, values: list[int], cap: int, yaxis: dict[str, Any]
) -> Any:
    """Bars of each group side by side over turn counts; the last bar holds the cap and more."""
    return _figure(
        *traces,
        barmode="group",
        xaxis={
            "title": {"text": axis},
            "tickvals": values,
            "ticktext": [f"{value}+" if value >= cap else str(value) for value in values],
        },
        yaxis=yaxis,
    )


def _time_to_human(summary: InsightsSummary, _key: str) -> Any:
    return _histogram(
        summary.time_to_human_histogram,
        STARTED_BY,
        _STARTED_BY_COLOURS,
        "customer turns until the handoff (0: the same turn)",
        summary.histogram_cap,
    )


def _declines(summary: InsightsSummary, _key: str) -> Any:
    go = _go()
    reasons = list(reversed(summary.declines.by_reason.items()))  # the most on top
    bar = go.Bar(
        orientation="h",
        y=[_label(reason) for reason, _ in reasons],
        x=[count for _, count in reasons],
        marker={"color": [_colour(_REASON_COLOURS, r, i) for i, (r, _) in enumerate(reasons)]},
        hovertemplate="%{y}: %{x} declines<extra></extra>",
    )
    most = max((count for _, count in reasons), default=0)
    return _figure(
        bar,
        height=140 + 40 * len(reasons),
        xaxis={"title": {"text": "declines"}, "dtick": _whole_ticks(most)},
        yaxis={"automargin": True, "type": "category"},
    )


def _meta(summary: InsightsSummary, key: str) -> Any:
    go = _go()
    rows = [row for row in summary.meta if row.key == key]
    values = [_label(row.value) for row in rows]
    custom = [[row.conversations, row.escalated, row.handed_off] for row in rows]
    traces = [
        go.Bar(
            name=name,
            x=values,
            y=[getattr(row, attribute) for row in rows],
            customdata=custom,
            hovertemplate="%{x}: %{y:.1%} "
            + name
            + " (%{customdata["
            + str(position)
            + "]} of %{customdata[0]})<extra></extra>",
            marker={"color": colour},
        )
        for attribute, name, colour, position in (
            ("escalation_rate", "escalated", "#f59e0b", 1),
            ("handoff_rate", "handed off", "#dc2626", 2),
        )
    ]
    return _figure(
        *traces,
        barmode="group",
        bargap=0.35,
        height=340,
        xaxis={"type": "category", "title": {"text": _label(key)}},
        yaxis={
            "title": {"text": "share of conversations"},
            "tickformat": ".0%",
            "range": [0, 1.05],
        },
    )


def _trust_trend(summary: InsightsSummary, _key: str) -> Any:
    go = _go()
    width = summary.overview.bucket_seconds
    buckets = sorted({p.bucket for p in summary.trust_trend})
    traces = []
    for signal in TRUST_SIGNALS:
        points = [p for p in summary.trust_trend if p.signal == signal]
        if not points:
            continue
        traces.append(
            go.Scatter(
                name=signal,
                mode="lines+markers",
                x=[_iso(p.bucket + width / 2) for p in points],
                y=[p.mean for p in points],
                customdata=[
                    [bucket_label(p.bucket, width), p.present, p.user_turns] for p in points
                ],
                hovertemplate="%{customdata[0]}<br>mean %{y:.2f}; present in %{customdata[1]} "
                "of %{customdata[2]} turns<extra>%{fullData.name}</extra>",
                line={"color": _TRUST_COLOURS.get(signal), "width": 2.5},
            )
        )
    return _figure(
        *traces,
        xaxis=_time_axis(summary, buckets),
        yaxis={"title": {"text": "mean level"}, "rangemode": "tozero"},
    )


def _trust_by_phase(summary: InsightsSummary, _key: str) -> Any:
    go = _go()
    signals = [s for s in TRUST_SIGNALS if any(p.signal == s for p in summary.trust_by_phase)]
    found = {(p.phase, p.signal): p for p in summary.trust_by_phase}
    traces = []
    for phase, name in PHASES.items():
        rows = [found.get((phase, signal)) for signal in signals]
        traces.append(
            go.Bar(
                name=name,
                x=signals,
                y=[row.share if row else 0 for row in rows],
                customdata=[
                    [row.present if row else 0, row.user_turns if row else 0] for row in rows
                ],
                hovertemplate="%{x} " + name + ": %{y:.1%} (%{customdata[0]} of "
                "%{customdata[1]} turns)<extra></extra>",
                marker={"color": _PHASE_COLOURS[phase]},
            )
        )
    return _figure(
        *traces,
        barmode="group",
        xaxis={"type": "category"},
        yaxis={
            "title": {"text": "share of customer turns"},
            # Shares of 0.1-0.3% would all read "0%" as whole percents; "~" drops zeros.
            "tickformat": ".2~%",
            "rangemode": "tozero",
        },
    )


_FIGURES: Final[dict[str, Callable[[InsightsSummary, str], Any]]] = {
    "rate_by_reason": _rate_by_reason,
    "rate_by_action": _rate_by_action,
    "bot_messages": _bot_messages,
    "dead_end_kinds": _dead_end_kinds,
    "dead_end_messages": _dead_end_messages,
    "stress": _stress,
    "effort": _effort,
    "declines": _declines,
    "meta": _meta,
    "time_to_human": _time_to_human,
    "trust_trend": _trust_trend,
    "trust_by_phase": _trust_by_phase,
}
