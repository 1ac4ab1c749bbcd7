"""Deprecated alias: import ``RecordBody`` and ``TextMode`` from ``escalate.audit``."""

from escalate._deprecated import moved

_MOVED = ("RecordBody", "TextMode")


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.audit", _MOVED)
