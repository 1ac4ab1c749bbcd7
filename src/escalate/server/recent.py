"""Deprecated alias: import ``LastDecisions`` from ``escalate.server``."""

from escalate._deprecated import moved

_MOVED = ("LastDecisions",)


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.server", _MOVED)
