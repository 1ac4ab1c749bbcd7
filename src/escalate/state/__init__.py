"""Conversation state and where it is kept between turns.

``InMemoryStore`` keeps it in this process; ``RedisStore`` and ``AsyncRedisStore``
(``escalate[redis]``) in Redis or Valkey, shared by every worker. The Redis stores, their errors
and settings are imported on first use: ``import escalate.state`` needs no redis, and asking
for a Redis store without it raises ``MissingDependencyError`` naming the extra.
"""

from typing import TYPE_CHECKING, Final

from escalate._lazy import on_first_use
from escalate.core import SCHEMA_VERSION, ConversationState
from escalate.state._memory import InMemoryStore
from escalate.state._outage import offline_note

if TYPE_CHECKING:
    from escalate.state._redis import AsyncRedisStore, RedisStore
    from escalate.state._shared import (
        DEFAULT_PREFIX,
        OnUnavailable,
        StateUnavailableError,
        StoreUnavailableError,
    )

__all__ = [
    "DEFAULT_PREFIX",
    "SCHEMA_VERSION",
    "AsyncRedisStore",
    "ConversationState",
    "InMemoryStore",
    "OnUnavailable",
    "RedisStore",
    "StateUnavailableError",
    "StoreUnavailableError",
    "offline_note",
]

_ON_FIRST_USE: Final = {
    "AsyncRedisStore": "escalate.state._redis",
    "RedisStore": "escalate.state._redis",
    # The shared stores' settings and errors need no redis.
    "DEFAULT_PREFIX": "escalate.state._shared",
    "OnUnavailable": "escalate.state._shared",
    "StateUnavailableError": "escalate.state._shared",
    "StoreUnavailableError": "escalate.state._shared",
}


def __getattr__(name: str) -> object:
    return on_first_use(__name__, name, _ON_FIRST_USE, globals())
