"""Every error ``escalate`` raises on purpose.

::

    EscalateError
    ├── InvalidInputError (ValueError)      the caller passed a bad turn or conversation id
    ├── PolicyError (ValueError)            a policy file or object is invalid (PolicyProblem each)
    ├── LexiconError (ValueError)           a lexicon data file is invalid
    ├── TranscriptError (ValueError)        a line of a JSON Lines transcript is invalid
    ├── CaseFileError (ValueError)          a policy test case file is invalid
    ├── AuditError                          an audit trail cannot be written, read or continued
    └── MissingDependencyError (ImportError) an optional extra is not installed

Failures *inside* the engine never surface as exceptions: ``evaluate`` returns the policy's
fail-safe decision instead (reason ``engine_error``) so the host bot keeps running.
"""

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
