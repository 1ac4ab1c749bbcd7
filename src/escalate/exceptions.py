"""Every error ``escalate`` raises on purpose (defined, with its tree, in ``escalate.core``)."""

from escalate.core import (
    AuditError,
    CaseFailedError,
    CaseFileError,
    EscalateError,
    InvalidInputError,
    LexiconError,
    MissingDependencyError,
    PolicyError,
    PolicyProblem,
    TranscriptError,
)

__all__ = [
    "AuditError",
    "CaseFailedError",
    "CaseFileError",
    "EscalateError",
    "InvalidInputError",
    "LexiconError",
    "MissingDependencyError",
    "PolicyError",
    "PolicyProblem",
    "TranscriptError",
]
