"""Every error ``escalate`` raises on purpose (defined, with its tree, in ``escalate.core``)."""

from escalate.core import (
    AuditError,
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
    "CaseFileError",
    "EscalateError",
    "InvalidInputError",
    "LexiconError",
    "MissingDependencyError",
    "PolicyError",
    "PolicyProblem",
    "TranscriptError",
]
