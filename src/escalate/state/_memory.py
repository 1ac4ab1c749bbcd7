"""The default state store: in process memory, bounded by count and age."""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, TypeVar

from escalate.core import ConversationState, InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from escalate.core import Decision

__all__ = ["InMemoryStore"]

T = TypeVar("T")


class InMemoryStore:
    """Keeps conversations in a dict, least recently used first out.

    Safe to share between threads and between asyncio tasks: each ``update`` runs under one
    lock, and the work inside it is a few dozen microseconds of pure computation.

    Args:
        max_conversations: how many conversations to keep; the least recently used one is
            dropped when a new one would exceed it.
        ttl_seconds: a conversation untouched for this long starts afresh; ``None`` keeps it.
        clock: seconds as a monotonic float (for tests).

    Examples:
        >>> store = InMemoryStore(max_conversations=2)
        >>> store.update("a", lambda state: state.turns)
        0
        >>> len(store)
        1
    """

    def __init__(
        self,
        max_conversations: int = 100_000,
        ttl_seconds: float | None = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_conversations < 1:
            raise InvalidInputError(
                f"max_conversations must be at least 1, got {max_conversations}"
            )
        if ttl_seconds is not None and ttl_seconds <= 0:
            raise InvalidInputError(f"ttl_seconds must be positive or None, got {ttl_seconds}")
        self.max_conversations = max_conversations
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[ConversationState, float]] = OrderedDict()
        # Last decisions, for the HTTP service: only of conversations in _entries.
        self._decisions: dict[str, Decision] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, conversation_id: object) -> bool:
        with self._lock:
            return conversation_id in self._entries

    def update(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        """Run ``apply`` on the conversation's state (created if new or expired)."""
        with self._lock:
            now = self._clock()
            state = self._live(conversation_id, now)
            if state is None:
                state = ConversationState(conversation_id)
            result = apply(state)
            self._entries[conversation_id] = (state, now)
            self._entries.move_to_end(conversation_id)
            self._evict(now)
            return result

    def get(self, conversation_id: str) -> ConversationState | None:
        """A deep copy of the state, so callers cannot change it behind the engine's back."""
        with self._lock:
            state = self._live(conversation_id, self._clock())
            return None if state is None else copy.deepcopy(state)

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation."""
        with self._lock:
            self._entries.pop(conversation_id, None)
            self._decisions.pop(conversation_id, None)

    def keep_decision(self, decision: Decision) -> None:
        """Keep ``decision`` as its conversation's last (if the conversation is kept)."""
        with self._lock:
            if decision.conversation_id in self._entries:
                self._decisions[decision.conversation_id] = decision

    def last_decision(self, conversation_id: str) -> Decision | None:
        """The conversation's last kept decision, or ``None``."""
        with self._lock:
            if self._live(conversation_id, self._clock()) is None:
                return None
            return self._decisions.get(conversation_id)

    async def aupdate(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        """Same as ``update``: memory access does not block the event loop."""
        return self.update(conversation_id, apply)

    async def aget(self, conversation_id: str) -> ConversationState | None:
        """Same as ``get``."""
        return self.get(conversation_id)

    async def adelete(self, conversation_id: str) -> None:
        """Same as ``delete``."""
        self.delete(conversation_id)

    async def akeep_decision(self, decision: Decision) -> None:
        """Same as ``keep_decision``."""
        self.keep_decision(decision)

    async def alast_decision(self, conversation_id: str) -> Decision | None:
        """Same as ``last_decision``."""
        return self.last_decision(conversation_id)

    def _live(self, conversation_id: str, now: float) -> ConversationState | None:
        entry = self._entries.get(conversation_id)
        if entry is None:
            return None
        state, touched = entry
        if self.ttl_seconds is not None and now - touched > self.ttl_seconds:
            del self._entries[conversation_id]
            self._decisions.pop(conversation_id, None)
            return None
        return state

    def _evict(self, now: float) -> None:
        while len(self._entries) > self.max_conversations:
            dropped, _ = self._entries.popitem(last=False)
            self._decisions.pop(dropped, None)
        if self.ttl_seconds is None:
            return
        # Entries are in order of last use, so expired ones gather at the front.
        while self._entries:
            oldest_id, (_, touched) = next(iter(self._entries.items()))
            if now - touched <= self.ttl_seconds:
                break
            del self._entries[oldest_id]
            self._decisions.pop(oldest_id, None)
