"""The built docs site in a browser: wide code blocks scroll sideways instead of being cut.

The site is built once per session (``mkdocs build --strict``, about 10 s) and a page is opened
in headless Chromium at a desktop and a phone width.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="Debian chromium is not on PATH (.ci/run installs it)",
    ),
]

# Measures every code block whose text is wider than its box: how it overflows, and whether an
# ancestor with overflow hidden cuts it off at the content column.
_PROBE = """<script>
window.addEventListener('load', () => {
  const found = [];
  for (const code of document.querySelectorAll('.md-typeset pre > code')) {
    if (code.scrollWidth <= code.clientWidth) continue;
    let clippedBy = null;
    for (let a = code.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if ((o === 'hidden' || o === 'clip')
          && code.getBoundingClientRect().right > a.getBoundingClientRect().right + 1) {
        clippedBy = a.className || a.tagName;
        break;
      }
    }
    found.push({overflowX: getComputedStyle(code).overflowX, scrollWidth: code.scrollWidth,
                clientWidth: code.clientWidth, clippedBy: clippedBy,
                text: code.textContent.slice(0, 40)});
  }
  const out = document.createElement('script');
  out.type = 'application/json'; out.id = 'probe'; out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(target)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return target


def _wide_code_blocks(page: Path, width: int, profile: Path) -> list[dict[str, object]]:
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8") + _PROBE, encoding="utf-8")
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
        "--proxy-server=http://127.0.0.1:9", f"--window-size={width},900",
        "--virtual-time-budget=5000", "--dump-dom",
    ]  # fmt: skip
    run = subprocess.run(
        ["chromium", *flags, probe.as_uri()], capture_output=True, text=True, timeout=180,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    match = re.search(r'<script type="application/json" id="probe">(.*?)</script>', run.stdout)
    assert match, "the probe did not run"
    found: list[dict[str, object]] = json.loads(match.group(1))
    return found


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_code_line_scrolls_instead_of_being_cut(
    site: Path, width: int, tmp_path: Path
) -> None:
    # docs/cli.md shows decisions as JSON Lines: lines of 250 to 500 characters.
    wide = _wide_code_blocks(site / "cli" / "index.html", width, tmp_path / "profile")
    longest = max(wide, key=lambda block: int(str(block["scrollWidth"])), default=None)
    assert longest is not None, "no code block wider than its box: the probe measured nothing"
    assert '"conversation_id"' in str(longest["text"])
    for block in wide:
        assert block["overflowX"] in {"auto", "scroll"}, block
        assert block["clippedBy"] is None, block
