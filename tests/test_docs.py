"""Every ```python block in the docs (and the README) runs, page by page, in order.

The blocks of one page share a namespace, so a later block can use what an earlier one defined.
Blocks that must not run use another fence language (``bash``, ``text``, ``json``, ``yaml``).
"""

from __future__ import annotations

import logging
import re
import textwrap
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import structlog

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"

# A fence may be indented (inside an admonition or a list); its closing fence has the same indent.
_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)```python[ \t]*(?:\{[^}\n]*\}|[ \t][^\n]*)?\n"
    r"(?P<body>.*?)"
    r"^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def pages() -> list[Path]:
    """The README (when there is one) and every Markdown page under docs/."""
    found = sorted(DOCS.rglob("*.md"))
    return [README, *found] if README.is_file() else found


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """Each ```python block of ``page`` as (line of its first code line, dedented source)."""
    text = page.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start("body")) + 1, textwrap.dedent(match.group("body")))
        for match in _BLOCK.finditer(text)
    ]


def _page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _failing_line(error: BaseException, page: Path) -> int | None:
    """The line of ``page`` the error was raised from (the innermost frame in the page)."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == str(page)]
    return lines[-1] if lines else None


PAGES = pages()


def test_the_docs_have_code_to_check() -> None:
    assert sum(len(python_blocks(page)) for page in PAGES) >= 10


def test_blocks_are_found_with_their_line_numbers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n```python\nx = 1\n```\n\n!!! note\n    ```python\n    y = x + 1\n    ```\n"
        "\n```bash\nnot python\n```\n",
        encoding="utf-8",
    )
    assert python_blocks(page) == [(4, "x = 1\n"), (9, "y = x + 1\n")]


@pytest.fixture
def _own_structlog_config() -> Iterator[None]:
    """Pages configure structlog as an application would; the rest of the suite must not see it."""
    saved = structlog.get_config()
    saved["processors"] = list(saved["processors"])
    yield
    structlog.reset_defaults()
    structlog.configure(**saved)


@pytest.fixture
def _own_logging_config() -> Iterator[None]:
    """Pages configure logging as an application would (handlers, levels): undo it after."""
    loggers = [logging.getLogger(), logging.getLogger("escalate")]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    yield
    for logger, level, handlers in saved:
        logger.setLevel(level)
        for handler in [h for h in logger.handlers if h not in handlers]:
            logger.removeHandler(handler)
            handler.close()


@pytest.mark.usefixtures("_own_structlog_config", "_own_logging_config")
@pytest.mark.parametrize("page", PAGES, ids=[_page_id(page) for page in PAGES])
def test_python_blocks_run(
    page: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # files an example writes (an audit trail) land here
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for line, source in python_blocks(page):
        # Padding with blank lines makes tracebacks point at the line in the Markdown file.
        # dont_inherit: this module's `from __future__ import annotations` must not leak into
        # the pages' code (a schema class there is read at run time, as the reader runs it).
        code = compile("\n" * (line - 1) + source, str(page), "exec", dont_inherit=True)
        try:
            exec(code, namespace)
        except Exception as error:  # noqa: BLE001 - any failure: name the page and the block
            where = _failing_line(error, page)
            at = f", failing at line {where}" if where is not None else ""
            pytest.fail(f"{_page_id(page)}, block at line {line}{at}: {error!r}")
    capsys.readouterr()  # examples may print and log; keep the test output clean
