"""Every error ``escalate`` raises on purpose.

::

    EscalateError
    ├── InvalidInputError (ValueError)      the caller passed a bad turn or conversation id
    ├── PolicyError (ValueError)            a policy file or object is invalid
    ├── LexiconError (ValueError)           a lexicon data file is invalid
    ├── TranscriptError (ValueError)        a line of a JSON Lines transcript is invalid
    └── MissingDependencyError (ImportError) an optional extra is not installed

Failures *inside* the engine never surface as exceptions: ``evaluate`` returns the policy's
fail-safe decision instead (reason ``engine_error``) so the host bot keeps running.
"""

from __future__ import annotations

__all__ = [
    "EscalateError",
    "InvalidInputError",
    "LexiconError",
    "MissingDependencyError",
    "PolicyError",
    "TranscriptError",
]


class EscalateError(Exception):
    """Root of the errors ``escalate`` raises."""


class InvalidInputError(EscalateError, ValueError):
    """The caller passed something the API cannot take (a bad turn, an empty conversation id)."""


class PolicyError(EscalateError, ValueError):
    """A policy is invalid. ``source`` names the file (or ``<dict>``), ``problems`` each fault."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid policy {source}:\n{listed}")


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


class MissingDependencyError(EscalateError, ImportError):
    """An optional integration was used without its extra installed."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the optional dependencies of escalate[{extra}]: "
            f"pip install 'escalate[{extra}]'"
        )
