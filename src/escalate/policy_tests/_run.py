"""Run policy test cases through a real ``Escalator`` and say precisely what broke."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from escalate.models import Decision, Outcome, Turn
from escalate.policy_tests._load import LoadedCase

if TYPE_CHECKING:
    from collections.abc import Sequence

    from escalate.engine import Escalator
    from escalate.models import Reason

__all__ = ["CaseResult", "TurnFailure", "reasons_text", "run_case"]

_TEXT_SHOWN = 70
_runs = itertools.count(1)


def reasons_text(reasons: Sequence[Reason]) -> str:
    """``security_dead_end 0.60 via security-team, ...``: each reason, its level and rule."""
    return ", ".join(f"{r.code.value} {r.score:.2f} via {r.rule}" for r in reasons)


@dataclass(frozen=True, slots=True)
class TurnFailure:
    """A turn whose decision did not meet its ``expect``."""

    step: int
    """1-based position of the step in the case's ``turns``."""
    line: int
    role: str
    text: str
    mismatches: tuple[tuple[str, str, str], ...]
    """``(field, expected, got)`` for each failed check."""
    decision: Decision
    trace: tuple[str, ...]
    """What the policy weighed on the turn (thresholds and rules, matched or nearly)."""

    def describe(self, file: str) -> str:
        """A readable account: where, what was expected and got, and why."""
        text = self.text if len(self.text) <= _TEXT_SHOWN else self.text[: _TEXT_SHOWN - 1] + "…"
        lines = [f"{file}:{self.line}: turn {self.step} ({self.role}: {text!r})"]
        lines.extend(
            f"  {field}: expected {expected}, got {got}" for field, expected, got in self.mismatches
        )
        decision = self.decision
        reasons = reasons_text(decision.reasons)
        lines.append(
            f"  decision: {decision.action.value}"
            + (f" ({reasons})" if reasons else "")
            + (f", route {decision.route}" if decision.route else "")
        )
        lines.extend(f"  note: {note}" for note in decision.notes)
        if self.trace:
            lines.append("  trace:")
            lines.extend(f"    {line}" for line in self.trace)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case."""

    loaded: LoadedCase
    failures: tuple[TurnFailure, ...]
    seconds: float
    decisions: tuple[Decision, ...]
    """Every decision of the case, in turn order."""

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures

    @property
    def name(self) -> str:
        """The case's name."""
        return self.loaded.case.name

    def report(self) -> str:
        """Every failure, described; empty when the case passed."""
        return "\n".join(failure.describe(self.loaded.file) for failure in self.failures)


def run_case(escalator: Escalator, loaded: LoadedCase) -> CaseResult:
    """Run one case in a fresh conversation of ``escalator`` and check every expectation.

    Raises:
        InvalidInputError: a turn the engine cannot take (cannot happen for a validated case
            file, whose steps are turns by construction).
    """
    started = time.perf_counter()
    case = loaded.case
    conversation = f"escalate-test-{next(_runs)}-{case.name}"[:200]
    failures: list[TurnFailure] = []
    decisions: list[Decision] = []
    for position, (step, line) in enumerate(zip(case.turns, loaded.step_lines, strict=True), 1):
        if step.outcome is not None:
            escalator.record_outcome(conversation, step.outcome)
            continue
        role = step.role
        assert role is not None  # a step is a turn or an outcome
        turn = Turn(role=role, text=step.text, ts=step.ts, meta={**case.meta, **step.meta})
        if step.expect is None:
            decisions.append(escalator.evaluate(conversation, turn))
            continue
        decision, trace = escalator.explain(conversation, turn)
        decisions.append(decision)
        mismatches = step.expect.mismatches(decision)
        if mismatches:
            failures.append(
                TurnFailure(
                    position,
                    line,
                    role.value,
                    step.text,
                    tuple(mismatches),
                    decision,
                    tuple(trace.lines()) if trace is not None else (),
                )
            )
    escalator.record_outcome(conversation, Outcome.ENDED)
    return CaseResult(loaded, tuple(failures), time.perf_counter() - started, tuple(decisions))
