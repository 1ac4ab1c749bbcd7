"""Deprecated alias: import ``render_html`` and ``chart`` from ``escalate.insights``."""

from escalate._deprecated import moved

_MOVED = ("chart", "render_html")


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.insights", _MOVED)
