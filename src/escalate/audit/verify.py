"""Deprecated alias: import ``verify`` and ``VerifyReport`` from ``escalate.audit``."""

from escalate._deprecated import moved

_MOVED = ("ProblemKind", "TrailProblem", "VerifyReport", "verify")
_RENAMED = {"Problem": "TrailProblem"}


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.audit", _MOVED, _RENAMED)
