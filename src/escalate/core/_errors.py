"""Every error ``escalate`` raises on purpose.

::

    EscalateError
    ├── InvalidInputError (ValueError)      the caller passed a bad turn or conversation id
    ├── PolicyError (ValueError)            a policy file or object is invalid (PolicyProblem each)
    ├── LexiconError (ValueError)           a lexicon data file is invalid
    ├── TranscriptError (ValueError)        a line of a JSON Lines transcript is invalid
    ├── CaseFileError (ValueError)          a policy test case file is invalid
    ├── CaseFailedError                     a policy test case's decisions missed (pytest)
    ├── AuditError                          an audit trail cannot be written, read or continued
    ├── MissingDependencyError (ImportError) an optional extra is not installed
    └── escalate.evaluation.GateError (ValueError)  a quality gate cannot be read or checked

Failures *inside* the engine never surface as exceptions: ``evaluate`` returns the policy's
fail-safe decision instead (reason ``engine_error``) so the host bot keeps running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AuditError",
    "CaseFailedError",
    "CaseFileError",
    "CaseReport",
    "EscalateError",
    "InvalidInputError",
    "LexiconError",
    "MissingDependencyError",
    "PolicyError",
    "PolicyProblem",
    "TranscriptError",
]


class EscalateError(Exception):
    """Root of the errors ``escalate`` raises."""


class InvalidInputError(EscalateError, ValueError):
    """The caller passed something the API cannot take (a bad turn, an empty conversation id)."""


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One fault in a policy: what is wrong and, when known, where.

    ``path`` is the field path (``rules[2].when.signal``); ``file``, ``line`` and ``column``
    (1-based) point into the file that wrote it, which may be a base the policy extends.
    """

    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None and self.line is not None:
            where = f"{self.file}:{self.line}:{self.column or 1}: "
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class PolicyError(EscalateError, ValueError):
    """A policy is invalid. ``source`` names the file (or ``<dict>``), ``problems`` each fault.

    The message lists one problem a line, compiler style (``file:line:column: path: what``), so
    editors and CI logs can link to it. A file that is not there reads ``policy F not found: ...``
    instead (``found`` is ``False``). ``hint``, when set, suggests the likely fix and ends the
    message.
    """

    def __init__(
        self,
        source: str,
        problems: Sequence[PolicyProblem | str],
        *,
        found: bool = True,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.problems = _as_problems(problems)
        self.found = found
        self.hint = hint
        if found:
            message = _listing(f"policy {source}", self.problems)
        else:
            message = f"policy {source} not found: {'; '.join(map(str, self.problems))}"
        super().__init__(message if hint is None else f"{message}\n  hint: {hint}")


class LexiconError(EscalateError, ValueError):
    """A lexicon data file is invalid (a broken pattern, an unknown vocabulary name)."""


class TranscriptError(EscalateError, ValueError):
    """A JSON Lines transcript line is invalid. ``line`` is 1-based; ``field`` may be ``None``."""

    def __init__(self, source: str, line: int, message: str, field: str | None = None) -> None:
        self.source = source
        self.line = line
        self.field = field
        where = f"{source}:{line}" + (f": field '{field}'" if field else "")
        super().__init__(f"{where}: {message}")


class CaseFileError(EscalateError, ValueError):
    """A policy test case file is invalid; ``problems`` locate each fault like a policy's."""

    def __init__(self, source: str, problems: Sequence[PolicyProblem | str]) -> None:
        self.source = source
        self.problems = _as_problems(problems)
        super().__init__(_listing(f"case file {source}", self.problems))


class CaseReport(Protocol):
    """What ``CaseFailedError`` carries: a case's result that can report itself."""

    def report(self) -> str:
        """The failure, as the pytest plugin shows it: where, what was expected, what came."""
        ...


class CaseFailedError(EscalateError):
    """A policy test case's decisions did not meet its expectations (the pytest plugin's failure).

    ``result`` is the case's ``escalate.policy_tests.CaseResult``; the message is its report.
    """

    def __init__(self, result: CaseReport) -> None:
        super().__init__(result.report())
        self.result = result


def _as_problems(problems: Sequence[PolicyProblem | str]) -> tuple[PolicyProblem, ...]:
    return tuple(
        problem if isinstance(problem, PolicyProblem) else PolicyProblem(problem)
        for problem in problems
    )


def _listing(what: str, problems: tuple[PolicyProblem, ...]) -> str:
    """``what is invalid (N problems):`` then one located problem a line."""
    count = len(problems)
    listed = "\n".join(f"  {problem}" for problem in problems)
    return f"{what} is invalid ({count} problem{'s' if count != 1 else ''}):\n{listed}"


class AuditError(EscalateError):
    """An audit trail cannot be written, read or continued (the message says which file)."""


class MissingDependencyError(EscalateError, ImportError):
    """An optional integration was used without its extra installed."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the optional dependencies of escalate[{extra}]: "
            f"pip install 'escalate[{extra}]'"
        )
