"""How a store tells the turn that it is being decided without the shared state.

A store's ``update`` is generic (it runs any ``apply``), so it cannot edit the decision itself.
While it runs ``apply`` on its own copy of a conversation because the shared store is down, it
sets this context variable; the ``Escalator`` reads it and notes it on the decision. A context
variable is per thread and per asyncio task, so concurrent turns never see each other's note.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["deciding_offline", "offline_note"]

_NOTE: ContextVar[str | None] = ContextVar("escalate_offline_note", default=None)


def offline_note() -> str | None:
    """Why the turn being decided right now is not on the shared state, or ``None``."""
    return _NOTE.get()


@contextlib.contextmanager
def deciding_offline(note: str) -> Iterator[None]:
    """Mark the turns decided inside the block with ``note``."""
    token = _NOTE.set(note)
    try:
        yield
    finally:
        _NOTE.reset(token)
