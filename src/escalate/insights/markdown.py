"""Deprecated alias: import ``render_markdown`` from ``escalate.insights``."""

from escalate._deprecated import moved

_MOVED = ("render_markdown",)


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.insights", _MOVED)
