"""Deprecated alias: import ``TurnTables`` and the column lists from ``escalate.insights``."""

from escalate._deprecated import moved

_MOVED = ("SIGNAL_COLUMNS", "TABLES", "TRUST_SIGNALS", "ColumnType", "TurnTables")


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.insights", _MOVED)
