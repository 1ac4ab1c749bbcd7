from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from escalate import Escalator, ReasonCode
from escalate.evaluation import Case, Check, Expect, Grade, Scope, run_evaluation
from escalate.evaluation.html import render_html
from escalate.models import Role, Turn

ARTIFACTS = Path(__file__).parent.parent.parent / ".ci" / "artifacts"


def case(text: str, expect: Expect | None, grade: Grade | None = None, **kw: str) -> Case:
    checks = () if expect is None else (Check(expect, Scope.AT, 1),)
    return Case(text, (Turn(role=Role.USER, text=text),), checks, grade, text=text, **kw)  # type: ignore[arg-type]


@pytest.fixture
def html(esc: Escalator) -> str:
    cases = [
        case("<script>alert(1)</script> can I talk to a person", Expect.CONTINUE, label="faq"),
        case("get me an agent", Expect.HANDOFF, label="human"),
        case("hmm", Expect.ESCALATE, label="human"),
        case("worst service ever, I am furious", None, Grade.NEGATIVE),
        case("lovely crew, thank you", None, Grade.NON_NEGATIVE),
        case("what are your opening hours", None, Grade.NON_NEGATIVE),
    ]
    checks = [Check(Expect.ESCALATE, Scope.AT, 1, ReasonCode.HUMAN_REQUESTED)]
    cases.append(
        Case("r", (Turn(role=Role.USER, text="operator"),), tuple(checks), text="operator")
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
