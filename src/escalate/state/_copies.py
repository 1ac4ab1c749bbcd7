"""This worker's copy of the conversations it served lately, written through on every turn.

A shared store keeps, for each conversation this process last read or wrote, the stored bytes
and the state they decode to. Two uses:

- **Speed**: when a turn reads back exactly the copy's bytes, the state is taken as it is
  instead of decoded again, and the copy is ``confirmed``: this worker seems to be the only
  one writing the conversation (sticky sessions). The next turn then starts from a confirmed
  copy without reading Redis, and writes with a compare-and-set against the copy's digest: one
  round trip. If another worker wrote meanwhile, the write is refused (the engine runs again on
  the value the refusal carries) and the copy is no longer confirmed, so with round-robin
  balancing the engine is never run twice for nothing more than once in a row.
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

from escalate.core import ConversationState, InvalidInputError
from escalate.state._cas import digest

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
    digest: str
    """``data``'s digest, what a compare-and-set from this copy expects."""
    confirmed: bool
    """The last turn found Redis holding this worker's previous copy: start the next from it."""


class LocalCopies:
    """A bounded map of conversation id to ``Copy``."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise InvalidInputError(f"local_copies must be 0 or more, got {limit}")
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

    def take(self, conversation_id: str) -> tuple[ConversationState, str] | None:
        """The state and digest to start a turn from, for a confirmed copy nobody took."""
        with self._lock:
            copy = self._copies.get(conversation_id)
            if copy is None or copy.state is None or copy.pending or not copy.confirmed:
                return None
            state, copy.state = copy.state, None
            return state, copy.digest

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
        confirmed: bool = False,
    ) -> None:
        """Remember ``data`` (and the ``state`` it decodes to) as the latest copy."""
        if self.limit == 0:
            return
        mark = digest(data)
        with self._lock:
            self._copies[conversation_id] = Copy(data, state, pending, mark, confirmed)
            self._copies.move_to_end(conversation_id)
            while len(self._copies) > self.limit:
                self._copies.popitem(last=False)

    def forget(self, conversation_id: str) -> None:
        """Drop the copy (the conversation ended)."""
        with self._lock:
            self._copies.pop(conversation_id, None)
