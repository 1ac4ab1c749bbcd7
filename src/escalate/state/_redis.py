"""Conversation state in Redis (or Valkey), shared by every worker (``escalate[redis]``).

Consecutive turns of one conversation may land on different processes behind a load balancer;
the loop and stress trajectories only work if the state follows the conversation. Each state
is one key (``<prefix><conversation id>``) holding its JSON (a few KB), with a TTL renewed on
every write.

A turn takes at most two round trips: ``GET`` the key, run the engine, then write with a Lua
compare-and-set that succeeds only if the key still holds what was read (``_cas.py``). A
worker that wrote the conversation last and holds its copy skips the ``GET``: one round trip.
When another worker wrote the same conversation in between, the write is refused, the script
answers with the new value, and the turn is decided again on it (after a short jittered pause
when writers race, at most ``max_retries`` times), so no update is lost; a conversation
written by that many workers at once is not a conversation but an error, and fails the turn
safely.

When Redis is down or slow (each command is bounded by the client's socket timeout),
``on_unavailable`` decides: ``"local"`` (default) goes on from this worker's copy of the
conversation, or gives the fail-safe decision when it has none (see ``_shared.py``: a handoff
is never forgotten and turn numbers never restart); ``"fail"`` gives the fail-safe decision
for every turn. Either way the bot never hangs and never crashes, and the next turn tries
Redis again.

A stored value from another schema version is migrated when it still reads, and otherwise
reset with a warning: never a crash.

The two stores differ only in how they reach Redis; everything else is in ``_shared.py``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final, TypeVar

from escalate.exceptions import MissingDependencyError
from escalate.state._cas import CAS_SCRIPT
from escalate.state._shared import (
    DEFAULT_DECISION_PREFIX,
    DEFAULT_LOCAL_COPIES,
    DEFAULT_PREFIX,
    DEFAULT_TTL_SECONDS,
    OnUnavailable,
    SharedStoreBase,
    StateUnavailableError,
    StoreUnavailableError,
)

try:
    import redis
    import redis.asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as error:
    raise MissingDependencyError("the Redis state store", "redis") from error

if TYPE_CHECKING:
    from collections.abc import Callable

    from escalate.core import ConversationState, Decision

__all__ = [
    "DEFAULT_PREFIX",
    "AsyncRedisStore",
    "OnUnavailable",
    "RedisStore",
    "StateUnavailableError",
    "StoreUnavailableError",
]

T = TypeVar("T")

DEFAULT_URL: Final = "redis://localhost:6379/0"
_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisStore(SharedStoreBase):
    """The state store for many workers (synchronous ``redis`` client).

    Args:
        client: a ``redis.Redis``; default: one built from ``url``. Give it a
            ``socket_timeout`` (the default client's is 0.5 s): it bounds how long a turn can
            wait for Redis.
        url: used when no client is given.
        prefix: key prefix (one per application sharing a Redis).
        ttl_seconds: a conversation untouched for this long is forgotten (``None``: never).
        max_retries: attempts of a turn whose conversation another worker wrote meanwhile.
        on_unavailable: ``"local"`` (default) or ``"fail"`` (see the module's docs).
        local_copies: how many conversations this worker keeps its own copy of, to go on
            from during an outage and to skip decoding the state it wrote itself (0: none).
        decision_prefix: key prefix of each conversation's last decision (what the HTTP
            service reads back); must not overlap ``prefix``.

    Examples:
        >>> from escalate import Escalator
        >>> from escalate.state import RedisStore
        >>> esc = Escalator(store=RedisStore(url="redis://localhost:6379/0"))  # doctest: +SKIP
    """

    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        url: str = DEFAULT_URL,
        prefix: str = DEFAULT_PREFIX,
        ttl_seconds: float | None = DEFAULT_TTL_SECONDS,
        max_retries: int = 20,
        on_unavailable: OnUnavailable = "local",
        local_copies: int = DEFAULT_LOCAL_COPIES,
        decision_prefix: str = DEFAULT_DECISION_PREFIX,
    ) -> None:
        super().__init__(
            prefix=prefix,
            ttl_seconds=ttl_seconds,
            max_retries=max_retries,
            on_unavailable=on_unavailable,
            local_copies=local_copies,
            decision_prefix=decision_prefix,
        )
        self.client = client or redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self._compare_and_set = self.client.register_script(CAS_SCRIPT)

    def update(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        """Load, ``apply``, save: atomically, retried when another worker wrote meanwhile."""
        key = self.key(conversation_id)
        try:
            turn = self.start(conversation_id)
            if turn is None:
                turn = self.begin(conversation_id, self.client.get(key))
            for attempt in range(self.max_retries):
                result = apply(turn.state)
                retry = self.settle(
                    turn, self._compare_and_set(keys=[key], args=self.prepare(turn))
                )
                if retry is None:
                    return result
                if not turn.from_copy:  # writers racing: spread them out
                    time.sleep(self.backoff(attempt))
                turn = retry
        except _UNAVAILABLE as error:
            return self.offline_update(conversation_id, apply, error)
        raise self.too_many_conflicts(conversation_id)

    def get(self, conversation_id: str) -> ConversationState | None:
        """The stored state, or ``None``."""
        try:
            data = self.client.get(self.key(conversation_id))
        except _UNAVAILABLE as error:
            return self.offline_read(conversation_id, error)
        return self.read(conversation_id, data)

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation."""
        self.copies.forget(conversation_id)
        try:
            self.client.delete(self.key(conversation_id), self.decision_key(conversation_id))
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)

    def keep_decision(self, decision: Decision) -> None:
        """Keep ``decision`` as its conversation's last, with the state's TTL."""
        conversation_id = decision.conversation_id
        try:
            self.client.set(
                self.decision_key(conversation_id), self.encode_decision(decision), px=self.ttl_ms
            )
        except _UNAVAILABLE as error:
            self.decision_lost(error, conversation_id)

    def last_decision(self, conversation_id: str) -> Decision | None:
        """The conversation's last kept decision, or ``None``."""
        try:
            data = self.client.get(self.decision_key(conversation_id))
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)
            return None
        return self.decode_decision(conversation_id, data)

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()


class AsyncRedisStore(SharedStoreBase):
    """The same store for asyncio hosts (``redis.asyncio``); ``Escalator.aevaluate`` uses it.

    An ``AsyncStateStore`` only: the ``Escalator``'s synchronous methods refuse it with a
    ``TypeError`` naming the async one to call. Same arguments as ``RedisStore``, with a
    ``redis.asyncio.Redis`` client.
    """

    def __init__(
        self,
        client: aioredis.Redis | None = None,
        *,
        url: str = DEFAULT_URL,
        prefix: str = DEFAULT_PREFIX,
        ttl_seconds: float | None = DEFAULT_TTL_SECONDS,
        max_retries: int = 20,
        on_unavailable: OnUnavailable = "local",
        local_copies: int = DEFAULT_LOCAL_COPIES,
        decision_prefix: str = DEFAULT_DECISION_PREFIX,
    ) -> None:
        super().__init__(
            prefix=prefix,
            ttl_seconds=ttl_seconds,
            max_retries=max_retries,
            on_unavailable=on_unavailable,
            local_copies=local_copies,
            decision_prefix=decision_prefix,
        )
        self.client = client or aioredis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self._compare_and_set = self.client.register_script(CAS_SCRIPT)

    async def aupdate(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        """Async twin of ``RedisStore.update``."""
        key = self.key(conversation_id)
        try:
            turn = self.start(conversation_id)
            if turn is None:
                turn = self.begin(conversation_id, await self.client.get(key))
            for attempt in range(self.max_retries):
                result = apply(turn.state)
                reply = await self._compare_and_set(keys=[key], args=self.prepare(turn))
                retry = self.settle(turn, reply)
                if retry is None:
                    return result
                if not turn.from_copy:  # writers racing: spread them out
                    await asyncio.sleep(self.backoff(attempt))
                turn = retry
        except _UNAVAILABLE as error:
            return self.offline_update(conversation_id, apply, error)
        raise self.too_many_conflicts(conversation_id)

    async def aget(self, conversation_id: str) -> ConversationState | None:
        """Async twin of ``RedisStore.get``."""
        try:
            data = await self.client.get(self.key(conversation_id))
        except _UNAVAILABLE as error:
            return self.offline_read(conversation_id, error)
        return self.read(conversation_id, data)

    async def adelete(self, conversation_id: str) -> None:
        """Async twin of ``RedisStore.delete``."""
        self.copies.forget(conversation_id)
        try:
            await self.client.delete(self.key(conversation_id), self.decision_key(conversation_id))
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)

    async def akeep_decision(self, decision: Decision, encoded: bytes | None = None) -> None:
        """Async twin of ``RedisStore.keep_decision``; ``encoded``: the decision's JSON, if made."""
        conversation_id = decision.conversation_id
        data = self.encode_decision(decision) if encoded is None else encoded
        try:
            await self.client.set(self.decision_key(conversation_id), data, px=self.ttl_ms)
        except _UNAVAILABLE as error:
            self.decision_lost(error, conversation_id)

    async def alast_decision(self, conversation_id: str) -> Decision | None:
        """Async twin of ``RedisStore.last_decision``."""
        try:
            data = await self.client.get(self.decision_key(conversation_id))
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)
            return None
        return self.decode_decision(conversation_id, data)

    async def aclose(self) -> None:
        """Close the client's connections (the HTTP service does on shutdown)."""
        await self.client.aclose()
