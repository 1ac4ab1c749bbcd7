"""The insights report's HTML page: sections, escaping, self-containment, and the page as
headless Chromium renders it.

(Not ``test_html.py``: tests/evaluation has one, and test modules need unique basenames.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import plotly.graph_objects as go
import plotly.io
import plotly.offline
import pytest

from escalate.insights import (
    BotMessage,
    FalseAlarm,
    HistogramBar,
    MetaRow,
    SlowHandoff,
    TimeToHuman,
    TrustAfterHandoff,
    TrustPhase,
    TrustPoint,
    chart,
    render_html,
)
from escalate.insights._sections import sections  # internal: what each renderer must show

if TYPE_CHECKING:
    from collections.abc import Callable

    from escalate.insights import InsightsSummary

ARTIFACTS = Path(__file__).parent.parent.parent / ".ci" / "artifacts"
EVIL = "<script>alert(1)</script>"
CLOSER = "</script><b>bold</b>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
HEADINGS = (
    "Overview",
    "Escalation rate over time",
    "Reasons",
    "Bot messages before escalations and loops",
    "Security steps that end in dead ends",
    "Stress before escalation",
    "Effort",
    "Declined offers",
    "Breakdowns by meta field",
    "False-alarm review queue",
    "Time to a human",
    "Trust signals",
)

CHART_DIV = 'class="plotly-graph-div"'


@pytest.fixture(scope="module")
def calm(summary_of: Callable[[list[dict[str, object]]], InsightsSummary]) -> InsightsSummary:
    """One conversation the bot handled alone: nearly every section has nothing to show."""
    return summary_of(
        [
            {"conversation_id": "k1", "role": "user", "text": "what are your opening hours?",
             "ts": "2026-11-02T09:00:00Z"},
            {"conversation_id": "k1", "role": "bot", "text": "We open at 9.",
             "ts": "2026-11-02T09:00:30Z"},
            {"conversation_id": "k1", "role": "user", "text": "great, thanks",
             "ts": "2026-11-02T09:01:00Z"},
        ],
    )  # fmt: skip


@pytest.fixture(scope="module")
def full(summary: InsightsSummary) -> InsightsSummary:
    """The fixture's summary with every section filled (trust signals too), and hostile texts
    in every place data reaches the page."""
    day = summary.overview.first_ts or 0.0
    day -= day % 86_400
    trust_trend = tuple(
        TrustPoint(bucket=day + n * 86_400, signal=signal, user_turns=10, mean=level,
                   present=round(level * 10))
        for n in range(3)
        for signal, level in (("doubt", 0.2 + n / 10), ("irritation", 0.3), ("relief", 0.1))
    )  # fmt: skip
    trust_by_phase = tuple(
        TrustPhase(phase=phase, signal=signal, user_turns=20, present=present,
                   share=present / 20)
        for phase, present in (("automated", 2), ("before_handoff", 8), ("after_handoff", 3))
        for signal in ("doubt", "irritation", "relief")
    )  # fmt: skip
    return summary.model_copy(
        update={
            "sources": (f"{EVIL}.jsonl",),
            "notices": {"dropped": 3, EVIL: 1},
            "preceding_escalations": (
                BotMessage(message=f"enter the code {EVIL}", escalation=3, loop=1, dead_end=0,
                           conversations=2, examples=(f"c-{EVIL}", "c-2"),
                           example_text=f"Enter the code {CLOSER}"),
                *summary.preceding_escalations,
            ),
            "meta": (
                *summary.meta,
                MetaRow(key="channel", value=EVIL, conversations=2, escalated=1, handed_off=1,
                        requested_human=0, dead_end=0, escalation_rate=0.5, handoff_rate=0.5,
                        top_reason=EVIL),
                MetaRow(key=CLOSER, value="x", conversations=2, escalated=0, handed_off=0,
                        requested_human=0, dead_end=0, escalation_rate=0.0, handoff_rate=0.0,
                        top_reason=None),
            ),
            "meta_skipped": {**summary.meta_skipped, EVIL: 40},
            "false_alarms": (
                FalseAlarm(conversation_id=f"c-{EVIL}", handoff_turn=1, reason="human_requested",
                           trigger_text=f"agent {EVIL}", retraction_turn=3, user_turns_after=1,
                           seconds_after=40.0, retraction_text=f"never mind {CLOSER}"),
            ),
            "false_alarm_count": 1,
            "slowest_handoffs": (
                SlowHandoff(conversation_id=f"c-{EVIL}", started_by="request", user_turns=None,
                            seconds=None),
                SlowHandoff(conversation_id="c-9", started_by="dead_end", user_turns=3,
                            seconds=95.0),
            ),
            "trust_trend": trust_trend,
            "trust_by_phase": trust_by_phase,
            "trust_after_handoff": TrustAfterHandoff(handed_off=7, with_turns_after=4,
                                                     relieved=1, share=0.25),
        }
    )  # fmt: skip


@pytest.fixture(scope="module")
def page(summary: InsightsSummary) -> str:
    return render_html(summary)


@pytest.fixture(scope="module")
def full_page(full: InsightsSummary) -> str:
    return render_html(full)


def without_plotlyjs(page: str) -> str:
    """The page as we write it: plotly.js (inlined once) holds addresses of its own, in code
    for features the report does not use (maps, the logo link)."""
    plotlyjs = plotly.offline.get_plotlyjs()
    assert page.count(plotlyjs) == 1
    return page.replace(plotlyjs, "")


def charts_of(summary: InsightsSummary) -> int:
    return sum(len(section.charts) for section in sections(summary))


class TestPage:
    def test_every_section_has_its_heading_and_how_to_read_it(self, page: str) -> None:
        for heading in HEADINGS:
            assert f">{heading}</h2>" in page
        assert page.count('<p class="how">') == len(HEADINGS)
        # The table of contents links to every section on the page, and nowhere else.
        links = re.findall(r'href="([^"]*)"', without_plotlyjs(page))
        assert len(links) == len(HEADINGS)
        for link in links:
            assert link.startswith("#")
            assert f'id="{link[1:]}"' in page

    def test_the_fixture_draws_a_chart_per_insight_with_data(
        self, page: str, summary: InsightsSummary
    ) -> None:
        names = [ref.name for section in sections(summary) for ref in section.charts]
        expected = ["rate_by_reason", "rate_by_action", "bot_messages", "dead_end_kinds",
                    "dead_end_messages", "stress", "effort", "declines", "meta", "meta",
                    "time_to_human"]  # fmt: skip
        # Trust signals are charted once the input has their levels (newer detectors).
        if summary.trust_by_phase:
            expected += ["trust_trend", "trust_by_phase"]
        assert names == expected
        assert page.count(CHART_DIV) == len(expected)

    def test_tables_carry_the_numbers(self, page: str) -> None:
        assert "58.3%" in page  # handoff rate
        assert "1 min 20 s" in page  # median time to the end, automated
        assert "customer_id (12 values)" in page  # a meta field not broken down
        assert "c03, c04" in page  # example conversations of a bot message

    def test_the_page_fetches_nothing(self, page: str) -> None:
        assert page.startswith("<!doctype html>")
        for fetch in ('src="http', "src='http", "<link", "url(http", "@import", "src=//"):
            assert fetch not in page
        assert "Content-Security-Policy" in page
        # plotly.js is inlined once; the charts only call it.
        ours = without_plotlyjs(page)
        assert not re.search("https?://", ours)
        assert ours.count("Plotly.newPlot(") == page.count(CHART_DIV)

    def test_the_same_summary_renders_to_the_same_bytes(
        self, page: str, summary: InsightsSummary
    ) -> None:
        assert render_html(summary) == page

    def test_the_title_is_used_and_escaped(self, summary: InsightsSummary) -> None:
        page = render_html(summary, title=f"Q4 {EVIL}")
        assert f"<title>Q4 {ESCAPED}</title>" in page
        assert f"<h1>Q4 {ESCAPED}</h1>" in page


class TestEscaping:
    def test_texts_from_the_data_are_escaped_in_tables(self, full_page: str) -> None:
        assert EVIL not in full_page
        assert "<b>bold</b>" not in full_page
        assert f"c-{ESCAPED}" in full_page  # a conversation id
        assert "Enter the code &lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in full_page
        assert f"{ESCAPED} (40 values)" in full_page  # a meta field not broken down
        assert f"{ESCAPED}.jsonl" in full_page  # a source

    def test_no_text_closes_a_script(self, full_page: str, full: InsightsSummary) -> None:
        # The only script tags are the page's own: the plotly config, plotly.js, one per chart.
        scripts = 2 + charts_of(full)
        assert full_page.count("<script") == scripts
        assert full_page.count("</script>") == scripts

    def test_chart_json_holds_texts_as_entities_with_slashes_escaped(self, full_page: str) -> None:
        # Data reaches plotly as HTML entities (plotly shows them as text), and plotly's JSON
        # writes "/" as \u002f, so not even an escaped "</script" appears in a script.
        assert r"enter the code &lt;script&gt;alert(1)&lt;\u002fscript&gt;" in full_page

    def test_plotly_escapes_a_closing_script_tag_in_figure_json(self) -> None:
        # The guarantee the page relies on for every text the charts hold.
        figure = go.Figure(go.Bar(x=["</script><script>alert(1)</script>"], y=[1]))
        div = plotly.io.to_html(figure, full_html=False, include_plotlyjs=False)
        assert div.count("</script>") == 1  # its own
        assert "alert(1)" in div

    def test_the_full_summary_draws_trust_charts(
        self, full: InsightsSummary, summary: InsightsSummary
    ) -> None:
        names = [ref.name for section in sections(full) for ref in section.charts]
        assert names.count("trust_trend") == names.count("trust_by_phase") == 1
        assert names.count("meta") == 3  # a field named like a closing script tag, too


class TestMissing:
    def test_an_input_with_nothing_to_show_says_so(self, calm: InsightsSummary) -> None:
        page = render_html(calm)
        for heading in HEADINGS:
            assert f">{heading}</h2>" in page
        for missing in (
            "No escalations in this input.",
            "No escalations in this input, so no reasons.",
            "No bot message preceded an escalation or a loop in this input.",
            "No security dead ends in this input.",
            "No offers of a human in this input.",
            "No meta fields in this input.",
            "No false alarms in this input",
            "No requests for a person and no security dead ends in this input.",
        ):
            assert missing in page
        # Only what has data is drawn: the actions over time, stress and effort, and the trust
        # signals' levels (all zero) when the detectors recorded them.
        trust = 2 if calm.trust_by_phase else 0
        assert page.count(CHART_DIV) == charts_of(calm) == 3 + trust
        if not trust:
            assert "No trust signal levels in this input" in page

    def test_no_times_means_no_charts_over_time(self, summary: InsightsSummary) -> None:
        untimed = summary.model_copy(
            update={
                "overview": summary.overview.model_copy(
                    update={"first_ts": None, "last_ts": None, "untimed": 12}
                ),
                "rate_over_time": (),
                "trust_trend": (),
            }
        )
        page = render_html(untimed)
        assert "No times in this input" in page
        assert 'id="chart-1-rate_by_reason"' not in page
        trust_trend = 1 if summary.trust_trend else 0
        assert page.count(CHART_DIV) == charts_of(untimed) == charts_of(summary) - 2 - trust_trend

    def test_requests_not_handed_off_on_the_same_turn_are_highlighted(
        self, summary: InsightsSummary
    ) -> None:
        late = TimeToHuman(started_by="request", conversations=4, handed_off=3, same_turn=2,
                           offered_same_turn=3, median_user_turns=0.5, p90_user_turns=2.0,
                           max_user_turns=2, median_seconds=30.0, p90_seconds=100.0)  # fmt: skip
        page = render_html(summary.model_copy(update={"time_to_human": (late,)}))
        assert '<td class="number flag">2 (50%)</td>' in page
        assert "Some requests for a person were not handed off on the same turn" in page
        assert '<td class="number flag">' not in render_html(summary)


# -- the page as a person sees it ------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian chromium is not on PATH (.ci/run installs it)"
)
_WIDTH = 1280
_TALLEST = 16_000
"""Chromium's screenshots stop near 16,384 pixels."""


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium, a fresh profile, no network chatter, console messages on stderr."""
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=20000",  # long enough for every chart's script to draw
        "--enable-logging=stderr", "--v=0",
    ]  # fmt: skip
    return subprocess.run(
        ["chromium", *flags, *args, page.as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def console(run: subprocess.CompletedProcess[str]) -> list[str]:
    """What the page wrote to the console: Chromium logs every console message, uncaught
    error and blocked request (the page's Content-Security-Policy) as a CONSOLE line. Our page
    writes none."""
    return [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def dump_dom(html: str, tmp_path: Path, name: str) -> tuple[str, list[str]]:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    run = chromium(page, tmp_path / f"profile-{name}", f"--window-size={_WIDTH},1000", "--dump-dom")
    assert run.returncode == 0, run.stderr
    return run.stdout, console(run)


def drawn_charts(dom: str) -> int:
    """Plot divs in which plotly drew its SVG."""
    starts = [m.start() for m in re.finditer(r'<div[^>]*class="[^"]*\bjs-plotly-plot\b', dom)]
    ends = [*starts[1:], len(dom)]
    return sum(
        'class="main-svg"' in dom[start:end] for start, end in zip(starts, ends, strict=True)
    )


@needs_chromium
@pytest.mark.slow
class TestChromium:
    def test_the_console_check_catches_a_script_error(self, tmp_path: Path) -> None:
        broken = "<!doctype html><p>hi</p><script>throw new Error('deliberate');</script>"
        _, messages = dump_dom(broken, tmp_path, "broken")
        assert any("Uncaught Error: deliberate" in line for line in messages), messages

    def test_the_console_check_catches_a_request_the_page_blocks(
        self, page: str, tmp_path: Path
    ) -> None:
        leaky = page.replace("</body>", '<img src="http://192.0.2.1/pixel.png"></body>')
        _, messages = dump_dom(leaky, tmp_path, "leaky")
        assert any("Content Security Policy" in line for line in messages), messages

    def test_chromium_draws_every_chart_without_errors_and_keeps_a_screenshot(
        self, page: str, summary: InsightsSummary, tmp_path: Path
    ) -> None:
        dom, messages = dump_dom(page, tmp_path, "report")
        assert messages == []
        assert drawn_charts(dom) == page.count(CHART_DIV) == charts_of(summary) >= 11
        assert "human_requested" in dom  # a legend entry, drawn as SVG text
        # The whole page in one screenshot: measure its height in a copy, then shoot it.
        measuring = page.replace(
            "</body>",
            "<script>document.body.dataset.height = document.documentElement.scrollHeight"
            "</script></body>",
        )
        measured, _ = dump_dom(measuring, tmp_path, "measure")
        found = re.search(r'data-height="(\d+)"', measured)
        assert found is not None
        height = min(int(found.group(1)), _TALLEST)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        screenshot = ARTIFACTS / "insights-report.png"
        shot = chromium(
            tmp_path / "report.html",
            tmp_path / "profile-shot",
            f"--window-size={_WIDTH},{height}",
            f"--screenshot={screenshot}",
        )
        assert shot.returncode == 0, shot.stderr
        assert screenshot.stat().st_size > 100_000

    def test_hostile_texts_stay_text_in_the_browser(
        self, full_page: str, full: InsightsSummary, tmp_path: Path
    ) -> None:
        dom, messages = dump_dom(full_page, tmp_path, "full")
        assert messages == []
        assert drawn_charts(dom) == charts_of(full)
        assert EVIL not in dom
        assert "<b>bold</b>" not in dom
        # Shown as text in a table cell and in a chart's axis (SVG text).
        assert f'<td class="id">c-{ESCAPED}</td>' in dom
        assert re.search(r"<text[^>]*>" + re.escape(ESCAPED) + "</text>", dom)

    def test_a_page_with_nothing_to_show_has_no_errors(
        self, calm: InsightsSummary, tmp_path: Path
    ) -> None:
        page = render_html(calm)
        dom, messages = dump_dom(page, tmp_path, "calm")
        assert messages == []
        assert drawn_charts(dom) == charts_of(calm)


class TestReadableCharts:
    """Charts whose numbers were unreadable on real data (issue 19)."""

    def test_effort_shows_each_group_as_shares_so_a_small_one_is_visible(
        self, summary: InsightsSummary
    ) -> None:
        skewed = summary.model_copy(
            update={
                "effort_histogram": (
                    HistogramBar(group="automated", value=1, conversations=9_000),
                    HistogramBar(group="automated", value=2, conversations=1_000),
                    HistogramBar(group="escalated", value=3, conversations=30),
                    HistogramBar(group="escalated", value=5, conversations=70),
                )
            }
        )
        figure = chart(skewed, "effort")
        by_name = {trace.name: list(trace.y) for trace in figure.data}
        assert set(by_name) == {"automated (10,000)", "escalated (100)"}
        for shares in by_name.values():
            assert sum(shares) == pytest.approx(1.0)
        assert max(by_name["escalated (100)"]) == pytest.approx(0.7)  # not 70 next to 9,000
        escalated = next(t for t in figure.data if t.name.startswith("escalated"))
        assert list(escalated.customdata)[:5] == [0, 0, 30, 0, 70]  # counts stay in the hover
        assert figure.layout.yaxis.tickformat == ".0%"

    def test_trust_by_phase_ticks_keep_decimals_for_small_shares(
        self, full: InsightsSummary
    ) -> None:
        figure = chart(full, "trust_by_phase")
        # d3: ".2~%" labels 0.001 "0.1%" and 0.25 "25%"; ".0%" labelled 0.1-0.3% all "0%".
        assert figure.layout.yaxis.tickformat == ".2~%"
