"""What a type checker says about the documented API, run as a user runs mypy (strict).

Slow (mypy starts cold), so one run checks every snippet; with and without pydantic's plugin,
since users may run either.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

SNIPPET = textwrap.dedent(
    """
    from datetime import UTC, datetime

    from escalate import Role, Turn

    Turn(role="user", text="I want a person")  # the README's spelling
    Turn(role=Role.BOT, text="Sorry?", ts=datetime.now(UTC), meta={"channel": "web"})
    Turn(role="agent", text="Hi, Sam here", ts="2026-11-25T10:00:00Z")
    Turn(role="system", text="joined", ts=1_764_064_800)
    Turn(role="usr", text="a typo")  # line 10: wrong
    Turn(role="user")  # line 11: wrong, no text
    """
)


@pytest.mark.parametrize("plugin", [False, True], ids=["plain", "pydantic-plugin"])
def test_mypy_accepts_documented_turns_and_rejects_typos(tmp_path: Path, plugin: bool) -> None:
    (tmp_path / "snippet.py").write_text(SNIPPET, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text(
        "[mypy]\nstrict = True\n" + ("plugins = pydantic.mypy\n" if plugin else ""),
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", str(config),
         "snippet.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    lines = sorted({int(n) for n in re.findall(r"^snippet\.py:(\d+): error", run.stdout, re.M)})
    assert lines == [10, 11], run.stdout
