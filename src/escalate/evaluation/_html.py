"""The evaluation report as one self-contained HTML page: tables and inline SVG charts.

No scripts, fonts or images are fetched: the page opens offline and can be attached to a ticket.
Charts are drawn with matplotlib (``escalate[eval]``) and embedded as SVG; the page is rendered
from a Jinja2 template (``report.html.j2``) with autoescaping, so texts from the data cannot
inject markup.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any

from escalate._templates import html_template
from escalate.evaluation._report import CASES_AND_CHECKS
from escalate.exceptions import MissingDependencyError

if TYPE_CHECKING:
    from escalate.evaluation._report import Breakdown, EvalReport, Example

__all__ = ["render_html"]

_LABELS_CHARTED = 20


def render_html(report: EvalReport) -> str:
    """The report as an HTML document."""
    template = html_template(
        "escalate.evaluation",
        "report.html.j2",
        {"marked": _marked, "short_label": _short_label},
        report="the HTML report",
        extra="eval",
    )
    from markupsafe import Markup  # noqa: PLC0415 - installed with jinja2

    expected_rows = sorted({cell.expected for cell in report.confusion})
    counts = {(cell.expected, cell.got): cell.count for cell in report.confusion}
    failing = [row for row in report.by_label if row.passed < row.checks]
    return template.render(
        report=report,
        cases_and_checks=CASES_AND_CHECKS,
        labels={
            "failing": failing,
            "perfect": len(report.by_label) - len(failing),
            "prefix": _common_start([row.group for row in report.by_label]),
        },
        confusion_rows=[
            (row, [counts.get((row, got), 0) for got in ("continue", "offer_human", "handoff")])
            for row in expected_rows
        ],
        label_chart=Markup(_label_chart(report.by_label)),  # noqa: S704 - matplotlib's SVG
        curve_chart=Markup(_curve_chart(report)) if report.graded else "",  # noqa: S704
        error_sections=[
            ("False escalations", report.false_escalations),
            ("Missed escalations", report.missed_escalations),
            ("Wrong reasons", report.wrong_reasons),
        ],
    )


def _common_start(labels: list[str]) -> str:
    """The start every label shares, up to a ``/`` (a file path repeated on every row)."""
    if len(labels) < 2:  # noqa: PLR2004 - one label has nothing in common to drop
        return ""
    shared = os.path.commonprefix(labels)  # noqa: RUF071 - cut back to a "/" below
    return shared[: shared.rfind("/") + 1]


def _short_label(label: str, prefix: str) -> str:
    return label.removeprefix(prefix) or label


def _marked(example: Example) -> Any:
    """The example's text with the evidence spans highlighted (escaped, then marked up)."""
    from markupsafe import Markup, escape  # noqa: PLC0415 - installed with jinja2

    spans = sorted(
        {
            tuple(e["span"])
            for e in example.evidence
            if e.get("span") is not None and e.get("turn_index") == example.turn_index
        },
        key=lambda span: span[0],
    )
    text = example.text
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        if start < position or end > len(text):
            continue  # overlapping or cut off by the 300-character excerpt
        pieces.append(str(escape(text[position:start])))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    pieces.append(str(escape(text[position:])))
    return Markup("".join(pieces))  # noqa: S704 - every piece was escaped above


def _pyplot() -> Any:
    try:
        import matplotlib as mpl  # noqa: PLC0415 - optional, escalate[eval]
    except ImportError:
        raise MissingDependencyError("the HTML report's charts", "eval") from None
    mpl.use("svg")  # no display, no GUI toolkit
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def _ticker() -> Any:
    import matplotlib.ticker  # noqa: PLC0415 - optional, escalate[eval]

    return matplotlib.ticker


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    # No date in the metadata: the same report renders to the same bytes.
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML prolog and doctype: inline in HTML


def _label_chart(rows: list[Breakdown]) -> str:
    """Where the policy fails: unmet checks by label, most first."""
    plt = _pyplot()
    failing = [row for row in rows if row.passed < row.checks]
    shown = sorted(failing, key=lambda row: row.checks - row.passed, reverse=True)[:_LABELS_CHARTED]
    figure, axes = plt.subplots(figsize=(8, 0.3 * len(shown) + 1.2))
    names = [row.group for row in reversed(shown)]
    axes.barh(names, [row.checks - row.passed for row in reversed(shown)], color="#c0392b")
    axes.set_xlabel("checks not met")
    # Whole checks: matplotlib would put ticks at 0.5 for small counts.
    axes.xaxis.set_major_locator(_ticker().MaxNLocator(integer=True))
    axes.set_title("Unmet checks by label (most first)" if shown else "Every check was met")
    return _svg(figure)


def _curve_chart(report: EvalReport) -> str:
    graded = report.graded
    assert graded is not None
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(5, 4))
    axes.plot(
        [p.recall for p in graded.curve], [p.precision for p in graded.curve], color="#2c3e50"
    )
    axes.set_xlabel("recall")
    axes.set_ylabel("precision")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.05)
    axes.set_title(f"{graded.signal}: precision-recall (AUC {graded.auc:.3f})")
    return _svg(figure)
