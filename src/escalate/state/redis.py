"""Conversation state in Redis (or Valkey), shared by every worker (``escalate[redis]``).

Consecutive turns of one conversation may land on different processes behind a load balancer;
the loop and stress trajectories only work if the state follows the conversation. Each state
is one key (``<prefix><conversation id>``) holding its JSON (a few KB), with a TTL renewed on
every write.

A turn is an atomic read-modify-write: ``WATCH`` the key, read, run the engine, write in
``MULTI``/``EXEC``. When another worker wrote the same conversation in between, the write is
refused and the turn is decided again on the new state, after a short jittered pause (at most
``max_retries`` times), so no update is lost; a conversation written by that many workers at
once is not a conversation but an error, and fails the turn safely.

When Redis is down or slow (each command is bounded by the client's socket timeout),
``on_unavailable`` decides: ``"local"`` keeps the turn going on a process-local copy and logs a
warning (the conversation goes on, with the memory of this worker only); ``"fail"`` raises,
and the ``Escalator`` returns the policy's fail-safe decision. Either way the bot never hangs
and never crashes, and the next turn tries Redis again.

A stored value from another schema version is migrated when it still reads, and otherwise
reset with a warning: never a crash.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import TYPE_CHECKING, Final, Literal, TypeVar

from pydantic import ValidationError

from escalate.exceptions import MissingDependencyError
from escalate.state.conversation import SCHEMA_VERSION, ConversationState
from escalate.state.memory import InMemoryStore

try:
    import redis
    import redis.asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from redis.exceptions import WatchError
except ImportError as error:
    raise MissingDependencyError("the Redis state store", "redis") from error

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["AsyncRedisStore", "RedisStore", "StoreUnavailableError"]

T = TypeVar("T")
_log = logging.getLogger("escalate.state.redis")

DEFAULT_PREFIX: Final = "escalate:conv:"
DEFAULT_TTL_SECONDS: Final = 24 * 3600
_WARN_EVERY_SECONDS: Final = 10.0
_MAX_BACKOFF_SECONDS: Final = 0.05
_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)

OnUnavailable = Literal["local", "fail"]


class StoreUnavailableError(RuntimeError):
    """Redis could not be reached in time (``on_unavailable="fail"``)."""


class _Codec:
    """What both stores share: keys, the stored form, old values, the local fallback."""

    def __init__(
        self,
        prefix: str,
        ttl_seconds: float | None,
        max_retries: int,
        on_unavailable: OnUnavailable,
    ) -> None:
        if max_retries < 1:
            raise ValueError(f"max_retries must be at least 1, got {max_retries}")
        if on_unavailable not in {"local", "fail"}:
            raise ValueError(f"on_unavailable must be 'local' or 'fail', got {on_unavailable!r}")
        if ttl_seconds is not None and ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive or None, got {ttl_seconds}")
        self.prefix = prefix
        self.ttl_ms = None if ttl_seconds is None else int(ttl_seconds * 1000)
        self.max_retries = max_retries
        self.on_unavailable = on_unavailable
        self.local = InMemoryStore(ttl_seconds=ttl_seconds)
        self._last_warning = 0.0

    @staticmethod
    def backoff(attempt: int) -> float:
        """Seconds to wait before retrying a conflicted write: jittered, so writers spread."""
        return random.uniform(0, min(_MAX_BACKOFF_SECONDS, 0.001 * 2**attempt))  # noqa: S311

    def key(self, conversation_id: str) -> str:
        return self.prefix + conversation_id

    def decode(self, conversation_id: str, data: bytes | str | None) -> ConversationState:
        """The stored state; a fresh one when there is none or it cannot be read."""
        if data is None:
            return ConversationState(conversation_id)
        try:
            state = ConversationState.from_json(data)
        except ValidationError as error:
            _log.warning(
                "escalate: the stored state of %s could not be read (%s); starting afresh",
                conversation_id,
                error.errors()[0]["msg"] if error.errors() else error,
            )
            return ConversationState(conversation_id)
        if state.schema_version != SCHEMA_VERSION:
            # It still reads: the fields it lacks took their defaults.
            _log.info(
                "escalate: migrated the state of %s from schema %s to %s",
                conversation_id,
                state.schema_version,
                SCHEMA_VERSION,
            )
            state.schema_version = SCHEMA_VERSION
        state.conversation_id = conversation_id
        return state

    def unavailable(self, error: Exception, conversation_id: str) -> None:
        """Redis failed: raise, or warn (at most every few seconds) and go local."""
        if self.on_unavailable == "fail":
            raise StoreUnavailableError(f"Redis is unavailable: {error}") from error
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_SECONDS:
            self._last_warning = now
            _log.warning(
                "escalate: Redis is unavailable (%s); %s goes on with this worker's local state",
                error,
                conversation_id,
            )


class RedisStore(_Codec):
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

    Examples:
        >>> from escalate import Escalator
        >>> from escalate.state.redis import RedisStore
        >>> esc = Escalator(store=RedisStore(url="redis://localhost:6379/0"))  # doctest: +SKIP
    """

    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        url: str = "redis://localhost:6379/0",
        prefix: str = DEFAULT_PREFIX,
        ttl_seconds: float | None = DEFAULT_TTL_SECONDS,
        max_retries: int = 20,
        on_unavailable: OnUnavailable = "local",
    ) -> None:
        super().__init__(prefix, ttl_seconds, max_retries, on_unavailable)
        self.client = client or redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5
        )

    def update(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        """Load, ``apply``, save: atomically, retried when another worker wrote meanwhile."""
        key = self.key(conversation_id)
        try:
            with self.client.pipeline() as pipe:
                for attempt in range(self.max_retries):
                    try:
                        pipe.watch(key)  # type: ignore[no-untyped-call]  # untyped in redis-py
                        state = self.decode(conversation_id, pipe.get(key))
                        result = apply(state)
                        pipe.multi()
                        pipe.set(key, state.to_json(), px=self.ttl_ms)
                        pipe.execute()
                    except WatchError:
                        time.sleep(self.backoff(attempt))
                        continue
                    return result
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)
            return self.local.update(conversation_id, apply)
        raise StoreUnavailableError(
            f"{conversation_id}: {self.max_retries} concurrent writes in a row; giving up"
        )

    def get(self, conversation_id: str) -> ConversationState | None:
        """The stored state, or ``None``."""
        try:
            data = self.client.get(self.key(conversation_id))
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)
            return self.local.get(conversation_id)
        return None if data is None else self.decode(conversation_id, data)

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation."""
        self.local.delete(conversation_id)
        try:
            self.client.delete(self.key(conversation_id))
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)


class AsyncRedisStore(_Codec):
    """The same store for asyncio hosts (``redis.asyncio``); ``Escalator.aevaluate`` uses it.

    Same arguments as ``RedisStore``, with a ``redis.asyncio.Redis`` client.
    """

    def __init__(
        self,
        client: aioredis.Redis | None = None,
        *,
        url: str = "redis://localhost:6379/0",
        prefix: str = DEFAULT_PREFIX,
        ttl_seconds: float | None = DEFAULT_TTL_SECONDS,
        max_retries: int = 20,
        on_unavailable: OnUnavailable = "local",
    ) -> None:
        super().__init__(prefix, ttl_seconds, max_retries, on_unavailable)
        self.client = client or aioredis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5
        )

    async def aupdate(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        """Async twin of ``RedisStore.update``."""
        key = self.key(conversation_id)
        try:
            async with self.client.pipeline() as pipe:
                for attempt in range(self.max_retries):
                    try:
                        await pipe.watch(key)
                        state = self.decode(conversation_id, await pipe.get(key))
                        result = apply(state)
                        pipe.multi()  # type: ignore[no-untyped-call]  # untyped in redis.asyncio
                        pipe.set(key, state.to_json(), px=self.ttl_ms)
                        await pipe.execute()
                    except WatchError:
                        await asyncio.sleep(self.backoff(attempt))
                        continue
                    return result
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)
            return self.local.update(conversation_id, apply)
        raise StoreUnavailableError(
            f"{conversation_id}: {self.max_retries} concurrent writes in a row; giving up"
        )

    async def aget(self, conversation_id: str) -> ConversationState | None:
        """Async twin of ``RedisStore.get``."""
        try:
            data = await self.client.get(self.key(conversation_id))
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)
            return self.local.get(conversation_id)
        return None if data is None else self.decode(conversation_id, data)

    async def adelete(self, conversation_id: str) -> None:
        """Async twin of ``RedisStore.delete``."""
        self.local.delete(conversation_id)
        try:
            await self.client.delete(self.key(conversation_id))
        except _UNAVAILABLE as error:
            self.unavailable(error, conversation_id)

    async def aclose(self) -> None:
        """Close the client's connections (the HTTP service does on shutdown)."""
        await self.client.aclose()

    # The engine's sync paths (record_outcome, state, handoff_context) need these too.
    def update(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        """Not available on the async store: use ``aevaluate`` and ``arecord_outcome``."""
        raise TypeError("AsyncRedisStore is asynchronous: use aevaluate / arecord_outcome")

    def get(self, conversation_id: str) -> ConversationState | None:
        """Not available on the async store: use ``aget``."""
        raise TypeError("AsyncRedisStore is asynchronous: use aget")

    def delete(self, conversation_id: str) -> None:
        """Not available on the async store: use ``adelete``."""
        raise TypeError("AsyncRedisStore is asynchronous: use adelete")
