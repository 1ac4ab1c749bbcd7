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

from escalate._deprecated import renamed
from escalate.audit.chain import FORMAT, ChainHead
from escalate.audit.jsonl import JsonlSink
from escalate.audit.read import AuditRecord, read_trail
from escalate.audit.records import TextMode
from escalate.audit.redact import Redactor
from escalate.audit.replay import ReplayReport, replay
from escalate.audit.sqlite import SqliteSink
from escalate.audit.trail import AuditStats, AuditTrail
from escalate.audit.verify import TrailProblem, VerifyReport, verify

__all__ = [
    "FORMAT",
    "AuditRecord",
    "AuditStats",
    "AuditTrail",
    "ChainHead",
    "JsonlSink",
    "Redactor",
    "ReplayReport",
    "SqliteSink",
    "TextMode",
    "TrailProblem",
    "VerifyReport",
    "read_trail",
    "replay",
    "verify",
]


_RENAMED: Final = {"Problem": "TrailProblem"}
"""Old names (issue 20): a trail's problem, not a policy's (``PolicyProblem``)."""


def __getattr__(name: str) -> object:
    return renamed(__name__, name, _RENAMED, globals())
