"""Protocols for the pieces users can plug in: detectors, state stores and audit sinks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from escalate.core import Detector

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from escalate.audit import RecordBody
    from escalate.core import ConversationState, Decision

__all__ = ["AsyncStateStore", "AuditSink", "DecisionStore", "Detector", "StateStore"]

T = TypeVar("T")


@runtime_checkable
class StateStore(Protocol):
    """Keeps conversation state between turns (synchronous access)."""

    def update(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        """Load (or create) the state, run ``apply`` on it and save it, atomically.

        ``apply`` may be run more than once if the store retries after a conflicting write, so
        it must depend only on the state it is given.
        """
        ...

    def get(self, conversation_id: str) -> ConversationState | None:
        """A copy of the stored state, or ``None``."""
        ...

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation (no error if it is unknown)."""
        ...


@runtime_checkable
class AsyncStateStore(Protocol):
    """Keeps conversation state between turns (asynchronous access); same contract."""

    async def aupdate(self, conversation_id: str, apply: Callable[[ConversationState], T]) -> T:
        """Async twin of ``StateStore.update``."""
        ...

    async def aget(self, conversation_id: str) -> ConversationState | None:
        """Async twin of ``StateStore.get``."""
        ...

    async def adelete(self, conversation_id: str) -> None:
        """Async twin of ``StateStore.delete``."""
        ...


@runtime_checkable
class DecisionStore(Protocol):
    """A state store that also keeps each conversation's last decision (asynchronous access).

    What the HTTP service reads back (``GET /v1/conversations/{id}`` and ``.../handoff``): kept
    in the shared store, the answer does not depend on which worker decided the turn. The
    decision is forgotten with its conversation (``adelete``, expiry, eviction).
    """

    async def akeep_decision(self, decision: Decision) -> None:
        """Keep ``decision`` as its conversation's last; never raise for an unreachable store.

        A store may also take ``encoded: bytes | None = None``, the decision's JSON
        (``decision.model_dump_json()``): the service then passes the bytes it answers with, so
        the decision is serialised once.
        """
        ...

    async def alast_decision(self, conversation_id: str) -> Decision | None:
        """The conversation's last kept decision, or ``None``."""
        ...


@runtime_checkable
class AuditSink(Protocol):
    """Where an ``AuditTrail`` writes records (``JsonlSink``, ``SqliteSink``, or yours).

    Only the trail's writer thread calls it, one call at a time.
    """

    def append(self, records: Sequence[RecordBody]) -> None:
        """Write ``records`` durably and in order, all or none; raise on failure.

        Each has its ``kind``, ``conversation_id`` and ``fields`` (a JSON object, UTF-8). The
        built-in sinks add ``seq``, ``prev`` and ``hash`` to each (the hash chain).
        """
        ...

    def close(self) -> None:
        """Release the file or connection; called once, after the last ``append``."""
        ...
