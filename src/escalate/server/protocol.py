"""Deprecated alias: import ``protocol_with_header_timeout`` from ``escalate.server``."""

from escalate._deprecated import moved

_MOVED = ("DEFAULT_HEADER_TIMEOUT_SECONDS", "protocol_with_header_timeout")


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.server", _MOVED)
