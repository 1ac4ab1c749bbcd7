"""Deprecated alias: import ``create_app`` and the rest from ``escalate.server``."""

from escalate._deprecated import moved

_MOVED = ("DEFAULT_BODY_TIMEOUT_SECONDS", "DEFAULT_MAX_BODY_BYTES", "ConversationView",
          "OutcomeReport", "create_app")  # fmt: skip


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.server", _MOVED)
