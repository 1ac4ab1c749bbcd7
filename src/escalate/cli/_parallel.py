"""``escalate score --jobs N``: a transcript scored by N processes, printed as one would.

Each conversation is scored whole by one worker, in file order, so every decision is the one a
single process makes; lines are printed in file order, so the output is byte-identical to
``--jobs 1``. Conversations go to the worker with the fewest lines so far, in order of first
appearance (deterministic). The file is read whole before scoring starts.

The parent only splits lines by conversation; workers parse, score and render the lines, so
what stays serial is reading, one ``json.loads`` a line and writing the output.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from escalate.cli._common import transcript_store
from escalate.cli._score import ScoredTurn, ScoreRun, score_row
from escalate.exceptions import TranscriptError
from escalate.models import Role
from escalate.transcript import json_object, parse_line

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from escalate.core import Detector
    from escalate.engine import Escalator
    from escalate.policy import Policy

__all__ = ["Failed", "rows_in_parallel", "score_in_parallel", "scored_in_parallel"]

Line = tuple[int, str]
"""A transcript line: its 1-based number and its text."""


@dataclass(frozen=True, slots=True)
class Failed:
    """A line a worker could not parse (exceptions with custom arguments do not pickle)."""

    source: str
    line: int
    message: str
    field: str | None

    @classmethod
    def of(cls, error: TranscriptError) -> Failed:
        """What rebuilds ``error`` in the parent."""
        where = f"{error.source}:{error.line}" + (f": field '{error.field}'" if error.field else "")
        message = str(error).removeprefix(f"{where}: ")
        return cls(error.source, error.line, message, error.field)

    def error(self) -> TranscriptError:
        """The ``TranscriptError`` the worker met."""
        return TranscriptError(self.source, self.line, self.message, self.field)


Result = str | ScoredTurn | Failed | None
"""A line's outcome: a JSON row (``rows``), a scored turn, a parse failure, or nothing (a
turn that prints no row)."""


def score_in_parallel(
    escalator: Escalator,
    lines: Iterable[str],
    source: str,
    *,
    jobs: int,
    rows: bool,
) -> Iterator[Result | TranscriptError]:
    """Every non-blank line's result, in file order, scored across ``jobs`` processes.

    ``rows``: workers render each user turn's JSON row (``--format jsonl``) instead of
    returning scored turns. Lines that are not JSON objects with a conversation id come back
    as ``TranscriptError`` from the parent, the others' faults as ``Failed`` from a worker.
    """
    parts, early = _split(lines, source, jobs)
    results: dict[int, Result | TranscriptError] = dict(early)
    if any(parts):
        with ProcessPoolExecutor(
            max_workers=jobs,
            initializer=_start_worker,
            initargs=(escalator.policy, escalator.detectors),
        ) as pool:
            for done in pool.map(_score_part, parts, [source] * len(parts), [rows] * len(parts)):
                results.update(done)
    for number in sorted(results):
        yield results[number]


def rows_in_parallel(
    escalator: Escalator,
    lines: Iterable[str],
    source: str,
    run: ScoreRun,
    *,
    jobs: int,
    skip_errors: bool,
) -> Iterator[str]:
    """``--format jsonl``: each user turn's JSON row (a line), in file order.

    Bad lines are handled as ``score_lines`` handles them (raised, or recorded in ``run``).
    """
    for result in _checked(
        score_in_parallel(escalator, lines, source, jobs=jobs, rows=True),
        run,
        skip_errors=skip_errors,
    ):
        if isinstance(result, str):
            yield result


def scored_in_parallel(
    escalator: Escalator,
    lines: Iterable[str],
    source: str,
    run: ScoreRun,
    *,
    jobs: int,
    skip_errors: bool,
) -> Iterator[ScoredTurn]:
    """Every turn with its decision, in file order (see ``rows_in_parallel``)."""
    for result in _checked(
        score_in_parallel(escalator, lines, source, jobs=jobs, rows=False),
        run,
        skip_errors=skip_errors,
    ):
        if isinstance(result, ScoredTurn):
            yield result


def _checked(
    results: Iterable[Result | TranscriptError], run: ScoreRun, *, skip_errors: bool
) -> Iterator[Result]:
    for result in results:
        if isinstance(result, Failed | TranscriptError):
            error = result.error() if isinstance(result, Failed) else result
            if not skip_errors:
                raise error
            run.skipped.append(error)
            sys.stderr.write(f"skipped {error}\n")
            continue
        yield result


def _split(
    lines: Iterable[str], source: str, jobs: int
) -> tuple[list[list[Line]], list[tuple[int, TranscriptError]]]:
    """Lines per worker, each conversation whole in one; and the lines that name none."""
    parts: list[list[Line]] = [[] for _ in range(jobs)]
    owner: dict[str, list[Line]] = {}
    early: list[tuple[int, TranscriptError]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            conversation_id = json_object(raw, number, source).get("conversation_id")
        except TranscriptError as error:
            early.append((number, error))
            continue
        if not isinstance(conversation_id, str) or not conversation_id:
            try:
                parse_line(raw, number, source)  # names the fault as a single process would
            except TranscriptError as error:
                early.append((number, error))
            continue
        part = owner.get(conversation_id)
        if part is None:
            part = owner[conversation_id] = min(parts, key=len)  # the first of the lightest
        part.append((number, raw))
    return [part for part in parts if part], early


_worker: list[Escalator] = []


def _start_worker(policy: Policy, detectors: tuple[Detector, ...]) -> None:
    from escalate.engine import Escalator  # noqa: PLC0415 - in the worker process
    from escalate.events import quiet_logger  # noqa: PLC0415

    store = transcript_store()
    _worker.append(Escalator(policy, detectors=detectors, store=store, logger=quiet_logger()))


def _score_part(part: list[Line], source: str, rows: bool) -> list[tuple[int, Result]]:
    escalator = _worker[0]
    done: list[tuple[int, Result]] = []
    for number, raw in part:
        try:
            line = parse_line(raw, number, source)
        except TranscriptError as error:
            done.append((number, Failed.of(error)))
            continue
        decision = escalator.evaluate(line.conversation_id, line.turn)
        if not rows:
            done.append((number, ScoredTurn(line, decision)))
        elif decision.role is Role.USER:
            done.append((number, json.dumps(score_row(decision), ensure_ascii=False) + "\n"))
        else:
            done.append((number, None))
    return done
