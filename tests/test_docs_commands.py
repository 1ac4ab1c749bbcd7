"""Every ``escalate`` command in the docs' shell blocks (and the README's) parses as written.

Each command line of a ```bash block is parsed by the command it names, as the shell would
pass it (quotes, ``\\`` continuations; pipes, redirections and comments cut off), without
running it: an option that does not exist, a bad ``--format`` choice or a missing required
option fails here. Deprecated spellings (hidden options) are not to be documented.
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Any

import pytest
import typer

from escalate.cli import app
from test_docs import ROOT, pages

if TYPE_CHECKING:
    from pathlib import Path

_BASH = re.compile(r"^[ \t]*```(?:bash|sh|console)[ \t]*\n(?P<body>.*?)^[ \t]*```", re.M | re.S)
_CUT = {"|", ">", "<", "&&", ";", "2>", ">>"}
ROOT_COMMAND = typer.main.get_command(app)


def escalate_commands(page: Path) -> list[tuple[str, list[str]]]:
    """Each ``escalate ...`` command of ``page``'s shell blocks as (where, arguments)."""
    text = page.read_text(encoding="utf-8")
    name = page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name
    found = []
    for block in _BASH.finditer(text):
        first = text.count("\n", 0, block.start("body")) + 1
        lines = block.group("body").splitlines()
        offset = 0
        while offset < len(lines):
            start, line = offset, lines[offset].strip().removeprefix("$ ")
            while line.endswith("\\") and offset + 1 < len(lines):
                offset += 1
                line = line.removesuffix("\\") + " " + lines[offset].strip()
            offset += 1
            found += [(f"{name}:{first + start}", words) for words in _commands(line)]
    return found


def _commands(line: str) -> list[list[str]]:
    """The arguments of each ``escalate`` command of a shell line (``a | escalate ...``)."""
    words = shlex.split(line, comments=True)
    commands = []
    while words:
        cut = next((i for i, word in enumerate(words) if word in _CUT), len(words))
        if words[0] == "escalate":  # a command, not an argument ("docker run ... escalate")
            arguments = words[1:cut]
            commands.append(arguments[1:] if arguments[:1] == ["--no-color"] else arguments)
        words = words[cut + 1 :]
    return commands


COMMANDS = [command for page in pages() for command in escalate_commands(page)]


def test_the_docs_have_escalate_commands() -> None:
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize(
    "words",
    [
        ["report", "a.jsonl", "--html", "b.html"],  # deprecated: not to be documented
        ["score", "t.jsonl", "-f", "csv"],  # not a choice
        ["tune", "data.jsonl"],  # --target is required
        ["eval", "data.jsonl", "--nope"],  # no such option
        ["polcy", "show"],  # no such command
    ],
)
def test_a_wrong_command_is_caught(words: list[str]) -> None:
    with pytest.raises((pytest.fail.Exception, AssertionError)):
        test_documented_commands_parse("page.md:1", words)


def test_commands_are_found_in_shell_blocks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```bash\nescalate score t.jsonl -f table  # a comment\n"
        "cat t.jsonl | escalate eval - \\\n  --format json > out.json\n```\n"
        "```text\nescalate not a command\n```\n",
        encoding="utf-8",
    )
    assert escalate_commands(page) == [
        ("page.md:2", ["score", "t.jsonl", "-f", "table"]),
        ("page.md:3", ["eval", "-", "--format", "json"]),
    ]


def _hidden(command: Any) -> set[str]:
    return {name for p in command.params if getattr(p, "hidden", False) for name in p.opts}


def _resolve(words: list[str]) -> tuple[Any, list[str], list[str]]:
    """The (sub)command ``words`` name, its path and its own arguments."""
    command, path = ROOT_COMMAND, ["escalate"]
    while words and words[0] in getattr(command, "commands", {}):
        command, words = command.commands[words[0]], words[1:]
        path.append(command.name)
    return command, path, words


@pytest.mark.parametrize(("where", "words"), COMMANDS, ids=[where for where, _ in COMMANDS])
def test_documented_commands_parse(where: str, words: list[str]) -> None:
    command, path, words = _resolve(words)
    if words in (["-V"], ["--version"], ["--help"], ["-h"]):
        return
    assert not hasattr(command, "commands") or not words, f"{where}: no such command {words[0]}"
    options = {word.split("=")[0] for word in words if word.startswith("--")}
    assert not options & _hidden(command), f"{where}: documents a deprecated option"
    try:
        command.make_context(" ".join(path), list(words))
    except Exception as error:  # noqa: BLE001 - typer's vendored click has its own UsageError
        pytest.fail(f"{where}: {' '.join(path)} {' '.join(words)}: {error}")
