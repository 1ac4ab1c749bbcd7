"""Deprecated alias: import ``summarise`` and the backends from ``escalate.insights``."""

from escalate._deprecated import moved

_MOVED = ("DuckDBBackend", "ReportOptions", "SqlBackend", "summarise")
_RENAMED = {"DuckDBEngine": "DuckDBBackend", "SqlEngine": "SqlBackend"}


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.insights", _MOVED, _RENAMED)
