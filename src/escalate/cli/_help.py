"""Help texts, parameter errors and a closed pipe, as a newcomer meets them.

typer renders an argument as ``{file}`` in the usage line and ``files... <list[Path]>`` in the
help, and a repeatable option as ``<list[str]>``; a choice it cannot coerce reads "Value error,
'csv' is not one of ...". ``EscalateGroup`` gives every command's parameters the conventional
forms instead (``FILE``, ``FILES...``, ``[FILE]``; ``<str>``, repeatable), using click's public
parameter methods only. Help is plain text (``rich_markup_mode=None`` on the apps): rich markup
would eat square brackets such as ``escalate[redis]``.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from typing import Any, NoReturn

import rich.console
import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

__all__ = ["CONTEXT_SETTINGS", "Console", "EscalateGroup", "reader_gone"]

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}

_LIST_TYPE = re.compile(r"<list\[(\w+)\]>")
_PYDANTIC_PREFIX = "Value error, "


class EscalateGroup(TyperGroup):
    """A command group whose commands' parameters read conventionally in help and errors."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in self.commands.values():
            for param in command.params:
                # Only the class changes: the parameter keeps every setting typer gave it.
                if isinstance(param, TyperArgument):
                    param.__class__ = _Argument
                elif isinstance(param, TyperOption):
                    param.__class__ = _Option

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a reader that stops reading (``| head -1``) ends it with success."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            reader_gone()


def reader_gone() -> NoReturn:
    """Stdout's reader went away (``| head -1``): stop writing, and end with success."""
    # What is still buffered would fail again when Python flushes stdout at exit.
    with contextlib.suppress(AttributeError, OSError, ValueError):  # not a real stream
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(0) from None


class Console(rich.console.Console):
    """rich's console, except that a closed pipe ends the command with success (rich: exit 1)."""

    def on_broken_pipe(self) -> None:
        """Called by rich when stdout's reader went away."""
        self.quiet = True
        reader_gone()


def _clean(error: typer.BadParameter) -> typer.BadParameter:
    message = error.message.removeprefix(_PYDANTIC_PREFIX)
    return typer.BadParameter(message, ctx=error.ctx, param=error.param)


class _Argument(TyperArgument):
    def get_usage_pieces(self, ctx: Any) -> list[str]:
        name = (self.metavar or self.name or "").upper()
        if self.nargs != 1:
            name += "..."
        return [name if self.required else f"[{name}]"]

    def get_help_record(self, ctx: Any) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        return self.get_usage_pieces(ctx)[0].strip("[]"), record[1]

    def process_value(self, ctx: Any, value: Any) -> Any:
        try:
            return super().process_value(ctx, value)
        except typer.BadParameter as error:
            raise _clean(error) from error


class _Option(TyperOption):
    def get_help_record(self, ctx: Any) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        names, text = record
        if _LIST_TYPE.search(names):  # a repeatable option, as typer names its Python type
            names = _LIST_TYPE.sub(lambda match: f"<{match[1].lower()}>", names)
            if "repeatable" not in text:
                text = f"{text} (repeatable)" if text else "(repeatable)"
        return names, text

    def process_value(self, ctx: Any, value: Any) -> Any:
        try:
            return super().process_value(ctx, value)
        except typer.BadParameter as error:
            raise _clean(error) from error
