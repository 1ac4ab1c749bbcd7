"""Deprecated alias: import ``Redactor`` and the rest from ``escalate.audit``."""

from escalate._deprecated import moved

_MOVED = ("DEFAULT_KINDS", "UNREDACTED_EVENT_KEYS", "Redaction", "Redactor", "redact_decision")


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.audit", _MOVED)
