"""Every ``curl`` command in the docs (and the README) runs against a real ``escalate serve``.

A command is a line starting with ``curl`` (or ``$ curl``) in any fenced block, with its
``\\``-continued lines; in a ``$``-prompted block the lines after it, up to the next prompt,
are its documented output, where ``…`` stands for anything.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from test_docs import ROOT, pages
from test_server import free_port, wait_until_healthy

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

API_KEY = "change-me"  # the key the docs start the service with
_FENCE = re.compile(r"^[ \t]*```[^\n]*\n(?P<body>.*?)^[ \t]*```[ \t]*$", re.MULTILINE | re.DOTALL)
_DOCUMENTED_URL = re.compile(r"(?:https?://)?localhost:8000")


def curl_commands(page: Path) -> list[tuple[str, str, str | None]]:
    """Each curl command of ``page`` as (where, command, documented output or None)."""
    text = page.read_text(encoding="utf-8")
    name = page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name
    found: list[tuple[str, str, str | None]] = []
    for fence in _FENCE.finditer(text):
        lines = fence.group("body").splitlines()
        first = text.count("\n", 0, fence.start("body")) + 1
        i = 0
        while i < len(lines):
            line = lines[i].strip()
            prompted = line.startswith("$ ")
            if not line.removeprefix("$ ").startswith("curl "):
                i += 1
                continue
            where = f"{name}:{first + i}"
            command = [line.removeprefix("$ ")]
            while command[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                command[-1] = command[-1].removesuffix("\\")
                command.append(lines[i].strip())
            output: list[str] = []
            while prompted and i + 1 < len(lines) and not lines[i + 1].startswith("$ "):
                i += 1
                output.append(lines[i].strip())
            found.append((where, " ".join(command), "".join(output) if output else None))
            i += 1
    return found


COMMANDS = [command for page in pages() for command in curl_commands(page)]


def test_the_docs_have_curl_commands() -> None:
    assert COMMANDS


def test_commands_and_their_output_are_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```text\n$ curl -s localhost:8000/x \\\n    -d '{}'\n{\"a\":1,\n …}\n$ ls\n```\n",
        encoding="utf-8",
    )
    assert curl_commands(page) == [("page.md:2", "curl -s localhost:8000/x  -d '{}'", '{"a":1,…}')]


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    """``escalate serve`` as the docs start it, on a free port of 127.0.0.1."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "escalate", "serve", "--port", str(port), "--log-level", "warning"],
        env={**os.environ, "ESCALATE_API_KEY": API_KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, 60)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize(("where", "command", "output"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_documented_curl_works(
    service: str, where: str, command: str, output: str | None
) -> None:
    run = _DOCUMENTED_URL.sub(service, command) + " --write-out '\\n%{http_code}'"
    done = subprocess.run(
        ["bash", "-c", run], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, f"{where}: {done.stderr}"
    body, _, status = done.stdout.rpartition("\n")
    assert status.startswith("2"), f"{where}: HTTP {status}: {body}"
    if output is not None:  # the documented output, with … for anything
        pattern = ".*?".join(re.escape(part) for part in output.split("…"))
        assert re.fullmatch(pattern, body.strip(), re.DOTALL), f"{where}: {body}"
