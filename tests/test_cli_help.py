"""Every command's ``--help``, as a newcomer reads it, against committed snapshots.

Plain text at a fixed width. After a deliberate change to a help text, rewrite the snapshots
with ``ESCALATE_UPDATE_SNAPSHOTS=1 pytest tests/test_cli_help.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from escalate.cli import app
from escalate.events import library_version

SNAPSHOTS = Path(__file__).parent / "fixtures" / "help"
ENV = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
runner = CliRunner()


def command_paths(command: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """``()`` for the root, then every command and subcommand, depth first."""
    found = [prefix]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += command_paths(sub, (*prefix, name))
    return found


PATHS = command_paths(typer.main.get_command(app))


def _help(path: tuple[str, ...]) -> str:
    result = runner.invoke(app, [*path, "--help"], env=ENV, terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_covered() -> None:
    assert {"score", "serve", "audit export", "policy validate"} <= {" ".join(p) for p in PATHS}


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "escalate" for p in PATHS])
def test_help_matches_its_snapshot(path: tuple[str, ...]) -> None:
    snapshot = SNAPSHOTS / f"{'-'.join(('escalate', *path))}.txt"
    text = _help(path)
    if os.environ.get("ESCALATE_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "escalate" for p in PATHS])
def test_help_reads_as_plain_text(path: tuple[str, ...]) -> None:
    text = _help(path)
    assert "<bool>" not in text  # a flag takes no value
    assert "list[" not in text  # a repeatable option or argument is not a Python type
    assert "``" not in text  # no reST markup
    assert not re.search(r"^Usage: .*\{\w+\}", text, re.MULTILINE)  # FILE, not {file}
    assert "\x1b[" not in text


def test_bracketed_extras_are_kept() -> None:
    assert "escalate[redis]" in _help(("serve",))
    assert "escalate[parquet]" in _help(("audit", "export"))


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_short_and_long_help(flag: str) -> None:
    result = runner.invoke(app, ["score", flag], env=ENV)
    assert result.exit_code == 0
    assert result.output.startswith("Usage: escalate score [OPTIONS] FILE")


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag: str) -> None:
    result = runner.invoke(app, [flag], env=ENV)
    assert result.exit_code == 0
    assert result.output == f"escalate {library_version()}\n"


def test_a_bad_choice_names_the_choices_without_pydantic_wording() -> None:
    result = runner.invoke(app, ["score", "-", "--format", "csv"], env=ENV)
    assert result.exit_code == 2
    assert "'csv' is not one of 'jsonl', 'table'" in result.output
    assert "Value error" not in result.output
