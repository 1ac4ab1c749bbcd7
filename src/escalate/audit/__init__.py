"""A durable, verifiable audit trail of every decision, with redaction and replay.

Examples:
    >>> import pathlib, tempfile
    >>> from escalate import Escalator
    >>> from escalate.audit import AuditTrail, JsonlSink, verify
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl"
    >>> with AuditTrail(JsonlSink(path)) as trail:
    ...     esc = Escalator(audit=trail)
    ...     _ = esc.evaluate("c-1", {"role": "user", "text": "my code is 482913, it won't work"})
    >>> verify([path]).ok
    True
    >>> "482913" in path.read_text()
    False
"""

from typing import Final

# escalate.audit.replay and .verify are both old modules (deprecated aliases) and the functions
# imported below: loading the modules first keeps a later import of them from rebinding the
# package's replay and verify to the modules.
import escalate.audit.replay as _replay_module  # noqa: F401
import escalate.audit.verify as _verify_module  # noqa: F401
from escalate._deprecated import renamed
from escalate.audit._chain import FORMAT, ChainHead
from escalate.audit._export import export_csv, export_parquet
from escalate.audit._jsonl import JsonlSink
from escalate.audit._read import AuditRecord, is_sqlite, read_trail
from escalate.audit._records import RecordBody, TextMode
from escalate.audit._redact import (
    DEFAULT_KINDS,
    UNREDACTED_EVENT_KEYS,
    Redaction,
    Redactor,
    redact_decision,
)
from escalate.audit._replay import ReplayReport, TurnChange, replay
from escalate.audit._sqlite import SqliteSink
from escalate.audit._trail import AuditStats, AuditTrail
from escalate.audit._verify import ProblemKind, TrailProblem, VerifyReport, verify

__all__ = [
    "DEFAULT_KINDS",
    "FORMAT",
    "UNREDACTED_EVENT_KEYS",
    "AuditRecord",
    "AuditStats",
    "AuditTrail",
    "ChainHead",
    "JsonlSink",
    "ProblemKind",
    "RecordBody",
    "Redaction",
    "Redactor",
    "ReplayReport",
    "SqliteSink",
    "TextMode",
    "TrailProblem",
    "TurnChange",
    "VerifyReport",
    "export_csv",
    "export_parquet",
    "is_sqlite",
    "read_trail",
    "redact_decision",
    "replay",
    "verify",
]


_RENAMED: Final = {"Problem": "TrailProblem"}
"""Old names (issue 20): a trail's problem, not a policy's (``PolicyProblem``)."""


def __getattr__(name: str) -> object:
    return renamed(__name__, name, _RENAMED, globals())
