"""Progress bars for long runs: on standard error, and only when it is a terminal.

A pipe or a log file gets nothing (no carriage returns, no escape codes in CI logs); standard
output stays the result alone.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["progress_bar", "progress_told"]


def _no_progress(_: int) -> None:
    """What ``progress_bar`` gives when standard error is not a terminal."""


@contextlib.contextmanager
def progress_bar(
    description: str, total: int, *, unit: str = "", minimum: int = 0
) -> Iterator[Callable[[int], None]]:
    """A function that advances a bar by ``n`` of ``total``.

    The bar shows when stderr is a terminal and ``total`` reaches ``minimum`` (a tiny input
    needs none); with a ``unit`` (bytes) it shows a percentage instead of counts.
    """
    if total < minimum or not sys.stderr.isatty():
        yield _no_progress
        return
    with _progress(unit) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


@contextlib.contextmanager
def progress_told(description: str, *, minimum: int = 0) -> Iterator[Callable[[int, int], None]]:
    """A function told ``(done, total)``: for work that learns its total only once it runs.

    The bar appears on the first call whose ``total`` reaches ``minimum``, on a terminal only.
    """
    if not sys.stderr.isatty():
        yield _nothing_told
        return
    with _progress("") as progress:
        tasks: list[TaskID] = []

        def told(done: int, total: int) -> None:
            if total < minimum:
                return
            if not tasks:
                tasks.append(progress.add_task(description, total=total))
            progress.update(tasks[0], completed=done)

        yield told


def _nothing_told(_done: int, _total: int) -> None:
    """What ``progress_told`` gives when standard error is not a terminal."""


def _progress(unit: str) -> Progress:
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if not unit else TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
    ]
    return Progress(*columns, console=Console(stderr=True), transient=True)
