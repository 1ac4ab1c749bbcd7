"""Deprecated alias: import ``replay`` and ``ReplayReport`` from ``escalate.audit``."""

from escalate._deprecated import moved

_MOVED = ("ReplayReport", "TurnChange", "replay")


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.audit", _MOVED)
