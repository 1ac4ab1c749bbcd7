"""Every ```python block in the docs (and the README) runs, page by page, in order.

The blocks of one page share a namespace, so a later block can use what an earlier one defined
(the README's blocks must also run alone: readers paste one). Blocks that must not run use
another fence language (``bash``, ``text``, ``json``, ``yaml``). A ``print(...)`` line with a
trailing comment promises its output: the comment is what it prints (``...`` matches anything).
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import io
import logging
import re
import textwrap
import tokenize
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


def _comments(source: str) -> dict[int, str]:
    """The text of each line's trailing comment, by line number."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0]: t.string[1:].strip() for t in tokens if t.type == tokenize.COMMENT}


def _promised_output(statement: ast.stmt, comments: dict[int, str]) -> str | None:
    """What a top-level ``print(...)  # output`` statement says it prints, else ``None``."""
    is_print = (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Name)
        and statement.value.func.id == "print"
    )
    return comments.get(statement.end_lineno or statement.lineno) if is_print else None


_CHECKER = doctest.OutputChecker()


def run_block(page: Path, line: int, source: str, namespace: dict[str, object]) -> list[str]:
    """Run one block, statement by statement; the promised outputs it did not print."""
    padded = "\n" * (line - 1) + source  # tracebacks point at the line in the Markdown file
    comments = _comments(padded)
    broken: list[str] = []
    for statement in ast.parse(padded, str(page)).body:
        # dont_inherit: this module's `from __future__ import annotations` must not leak into
        # the pages' code (a schema class there is read at run time, as the reader runs it).
        code = compile(ast.Module([statement], []), str(page), "exec", dont_inherit=True)
        want = _promised_output(statement, comments)
        if want is None:
            exec(code, namespace)
            continue
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
        got = printed.getvalue()
        if not _CHECKER.check_output(want + "\n", got, doctest.ELLIPSIS):
            broken.append(f"line {statement.lineno}: says {want!r}, prints {got.rstrip()!r}")
    return broken


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
    broken: list[str] = []
    for line, source in python_blocks(page):
        try:
            broken += run_block(page, line, source, namespace)
        except Exception as error:  # noqa: BLE001 - any failure: name the page and the block
            where = _failing_line(error, page)
            at = f", failing at line {where}" if where is not None else ""
            pytest.fail(f"{_page_id(page)}, block at line {line}{at}: {error!r}")
    assert not broken, f"{_page_id(page)}: outputs differ from the comments: {broken}"
    capsys.readouterr()  # examples may print and log; keep the test output clean


def test_a_print_comment_is_checked(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    source = "x = [1, 2, 3]\nprint(x)  # [1, ...]\nprint(len(x))  # 4\nprint('a')\n"
    assert run_block(page, 1, source, {}) == ["line 3: says '4', prints '3'"]


@pytest.mark.usefixtures("_own_structlog_config", "_own_logging_config")
@pytest.mark.parametrize(
    "line", [line for line, _ in python_blocks(README)] if README.is_file() else []
)
def test_readme_blocks_run_alone(
    line: int, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = dict(python_blocks(README))[line]
    assert run_block(README, line, source, {"__name__": "readme"}) == []
    capsys.readouterr()
