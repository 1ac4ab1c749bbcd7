"""Deprecated alias: import ``RedisStore`` and ``AsyncRedisStore`` from ``escalate.state``."""

import importlib

from escalate._deprecated import moved

# Without redis installed, importing this module still raises MissingDependencyError naming the
# extra, as it did when the stores were defined here.
importlib.import_module("escalate.state._redis")

_MOVED = ("DEFAULT_PREFIX", "AsyncRedisStore", "OnUnavailable", "RedisStore",
          "StateUnavailableError", "StoreUnavailableError")  # fmt: skip


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.state", _MOVED)
