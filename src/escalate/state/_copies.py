"""This worker's copy of the conversations it served lately, written through on every turn.

A shared store keeps, for each conversation this process last read or wrote, the stored bytes
and the state they decode to. Two uses:

- **Speed**: when the next turn reads back exactly those bytes (no other worker wrote
  meanwhile), the state is taken as it is instead of decoded again.
- **Outages**: while the shared store is down, a conversation this worker has a copy of goes on
  from it (its turn numbers continue, a handoff stays handed off); the copy is marked
  ``pending`` until it is written back.

Bounded by count, least recently used first out. Safe across threads and asyncio tasks: every
method runs under one lock and none does I/O.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from escalate.state.conversation import ConversationState

__all__ = ["Copy", "LocalCopies"]


@dataclass(slots=True)
class Copy:
    """One conversation as this worker last saw it."""

    data: bytes
    """The stored form (what the shared store holds, or would hold)."""
    state: ConversationState | None
    """``data`` decoded, until a turn takes it to work on (one turn at a time)."""
    pending: bool
    """Turns were decided on this copy while the shared store was down, not yet written back."""


class LocalCopies:
    """A bounded map of conversation id to ``Copy``."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"local_copies must be 0 or more, got {limit}")
        self.limit = limit
        self._lock = threading.Lock()
        self._copies: OrderedDict[str, Copy] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._copies)

    def take_state(self, conversation_id: str, data: bytes) -> ConversationState | None:
        """The decoded state when the copy holds exactly ``data`` and nobody else took it."""
        with self._lock:
            copy = self._copies.get(conversation_id)
            if copy is None or copy.state is None or copy.pending or copy.data != data:
                return None
            state, copy.state = copy.state, None  # the turn changes it in place
            return state

    def get(self, conversation_id: str) -> Copy | None:
        """The copy, if any (its ``state`` is not to be changed: decode ``data`` instead)."""
        with self._lock:
            return self._copies.get(conversation_id)

    def keep(
        self,
        conversation_id: str,
        data: bytes,
        state: ConversationState | None,
        *,
        pending: bool = False,
    ) -> None:
        """Remember ``data`` (and the ``state`` it decodes to) as the latest copy."""
        if self.limit == 0:
            return
        with self._lock:
            self._copies[conversation_id] = Copy(data, state, pending)
            self._copies.move_to_end(conversation_id)
            while len(self._copies) > self.limit:
                self._copies.popitem(last=False)

    def forget(self, conversation_id: str) -> None:
        """Drop the copy (the conversation ended)."""
        with self._lock:
            self._copies.pop(conversation_id, None)
