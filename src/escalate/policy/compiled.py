"""Deprecated alias: import ``ConditionCheck`` and ``RuleFacts`` from ``escalate.policy``."""

from escalate._deprecated import moved

_MOVED = ("ConditionCheck", "RuleFacts")
_RENAMED = {"Check": "ConditionCheck"}


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.policy", _MOVED, _RENAMED)
