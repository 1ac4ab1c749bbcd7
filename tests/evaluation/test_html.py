from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from escalate import Escalator, ReasonCode
from escalate.evaluation import (
    ExpectedAction,
    Grade,
    LabelledCase,
    LabelledCheck,
    Scope,
    render_html,
    run_evaluation,
)
from escalate.models import Role, Turn

ARTIFACTS = Path(__file__).parent.parent.parent / ".ci" / "artifacts"


def case(
    text: str, expect: ExpectedAction | None, grade: Grade | None = None, **kw: str
) -> LabelledCase:
    checks = () if expect is None else (LabelledCheck(expect, Scope.AT, 1),)
    return LabelledCase(text, (Turn(role=Role.USER, text=text),), checks, grade, text=text, **kw)  # type: ignore[arg-type]


@pytest.fixture
def html(esc: Escalator) -> str:
    cases = [
        case(
            "<script>alert(1)</script> can I talk to a person", ExpectedAction.CONTINUE, label="faq"
        ),
        case("get me an agent", ExpectedAction.HANDOFF, label="human"),
        case("hmm", ExpectedAction.ESCALATE, label="human"),
        case("worst service ever, I am furious", None, Grade.NEGATIVE),
        case("lovely crew, thank you", None, Grade.NON_NEGATIVE),
        case("what are your opening hours", None, Grade.NON_NEGATIVE),
    ]
    checks = [LabelledCheck(ExpectedAction.ESCALATE, Scope.AT, 1, ReasonCode.HUMAN_REQUESTED)]
    cases.append(
        LabelledCase("r", (Turn(role=Role.USER, text="operator"),), tuple(checks), text="operator")
    )
    return render_html(run_evaluation(esc, cases, inputs=["fixture.jsonl"]))


def test_the_page_is_self_contained_and_escapes_the_data(html: str) -> None:
    assert html.startswith("<!doctype html>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Nothing is fetched: no scripts, stylesheets, images or fonts by address (namespace URIs
    # inside the SVG are names, not requests).
    for fetch in ("src=", "<link", "url(http", "@import"):
        assert fetch not in html


def test_the_page_has_every_section_and_both_charts(html: str) -> None:
    headings = ["Headline", "Per reason", "Expected (rows) vs got (columns)", "By source",
                "By label (worst first)", "False escalations", "Missed escalations"]  # fmt: skip
    for heading in headings:
        assert f">{heading}</h2>" in html
    assert html.count("<svg") == 2
    assert "Unmet checks by label" in html
    assert "precision-recall" in html


def test_evidence_is_marked_in_the_quoted_turn(html: str) -> None:
    assert "<mark>talk to a person</mark>" in html


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian chromium (installed by .ci/run)"
)
def test_chromium_renders_the_report(html: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "eval-report.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,2000"]
    shot = subprocess.run(
        ["chromium", *flags, f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shot.returncode == 0, shot.stderr
    assert screenshot.stat().st_size > 10_000
    dom = subprocess.run(
        ["chromium", *flags, "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr
    # The browser parsed the inline charts as SVG elements with drawn content.
    assert dom.stdout.count("<svg") == 2
    assert "<path" in dom.stdout
    assert "Unmet checks by label" in dom.stdout


def _reason_row(page: str, reason: str) -> list[str]:
    import re

    row = re.search(rf"<tr><td>{reason}</td>(.*?)</tr>", page, re.DOTALL)
    assert row is not None, reason
    return re.findall(r'<td class="n">([^<]*)</td>', row.group(1))


def test_a_reason_the_data_never_expects_reads_n_a(esc: Escalator) -> None:
    cases = [
        case("get me an agent", ExpectedAction.HANDOFF, label="human"),
        case(
            "THIS IS ABSOLUTELY UNACCEPTABLE!!! NOBODY EVER HELPS",
            ExpectedAction.CONTINUE,
            label="x",
        ),
    ]
    report = run_evaluation(esc, cases, inputs=["x.jsonl"])
    stress = next(m for m in report.reasons if m.reason is ReasonCode.EMOTIONAL_STRESS)
    assert (stress.tp, stress.fn) == (0, 0)
    assert stress.fp >= 1  # a false alarm, on data with no stress positive
    page = render_html(report)
    assert _reason_row(page, "emotional_stress")[:3] == ["n/a", "n/a", "n/a"]


def test_precision_without_decisions_is_n_a_but_missed_recall_is_zero() -> None:
    from escalate.evaluation import ReasonMetrics

    def shown(tp: int, fp: int, fn: int) -> tuple[str, str, str]:
        return ReasonMetrics(reason=ReasonCode.EMOTIONAL_STRESS, tp=tp, fp=fp, fn=fn).shown()

    assert shown(0, 0, 3) == ("n/a", "0.000", "0.000")
    assert shown(0, 2, 0) == ("n/a", "n/a", "n/a")
    assert shown(1, 1, 0) == ("0.500", "1.000", "0.667")


def test_the_page_says_what_cases_and_checks_are(html: str) -> None:
    assert "7 cases, 4 checks" in html
    assert "a check is one expectation" in html
    assert "have no check: they feed the stress ROC AUC" in html


def test_the_label_table_lists_failing_labels_without_their_shared_path(
    esc: Escalator,
) -> None:
    cases = [
        case("get me an agent", ExpectedAction.HANDOFF, label="data/dev/banking/human"),
        case("hmm", ExpectedAction.ESCALATE, label="data/dev/banking/vague"),
        case("thanks", ExpectedAction.CONTINUE, label="data/dev/banking/thanks"),
    ]
    page = render_html(run_evaluation(esc, cases, inputs=["x.jsonl"]))
    labels = page[
        page.index('<h2 id="labels">') : page.index("</table>", page.index('<h2 id="labels">'))
    ]
    assert "1 of 3 labels have unmet checks (listed); 2 met every check" in labels
    assert "<code>data/dev/banking/</code>" in labels
    assert "<tr><td>vague</td>" in labels
    assert "<td>human</td>" not in labels  # met: not listed
    assert "<td>thanks</td>" not in labels


def test_count_axes_have_whole_ticks_only(esc: Escalator) -> None:
    import re

    cases = [case("hmm", ExpectedAction.ESCALATE, label="vague")]  # one unmet check: ticks at 0.5
    page = render_html(run_evaluation(esc, cases, inputs=["x.jsonl"]))
    chart = page[page.index('id="label-chart"') :]
    chart = chart[: chart.index("</svg>")]
    ticks = re.findall(r"<!-- (\d+(?:\.\d+)?) -->", chart)
    assert ticks, "no tick labels found"
    assert all("." not in tick for tick in ticks), ticks
