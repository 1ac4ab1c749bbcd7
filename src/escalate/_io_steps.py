"""The I/O an ``Escalator`` method does, as steps its sync and async entry points both run.

A method is written once, as a generator that yields what it needs done (``Update``, ``Get``,
``Delete``, ``RecordDecision``) and receives the result (as h11 and httpcore keep their
protocol logic apart from the socket). ``run`` performs each step by calling the store and
the trail, ``arun`` by awaiting them: the twins differ only there. A step that fails is
thrown back into the generator at its ``yield``, so the method handles it as if it had made
the call itself.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from escalate.audit import AuditTrail
    from escalate.core import ConversationState, Decision, ScoredTurn, Turn
    from escalate.typing import AsyncStateStore, StateStore

__all__ = ["Delete", "Get", "IOStep", "RecordDecision", "Steps", "Update", "arun", "run"]

T = TypeVar("T")


class Update(NamedTuple):
    """Run ``apply`` on the conversation's state inside the store's update; its result."""

    conversation_id: str
    apply: Callable[[ConversationState], Any]


class Get(NamedTuple):
    """A copy of the conversation's state, or ``None``."""

    conversation_id: str


class Delete(NamedTuple):
    """Forget the conversation."""

    conversation_id: str


class RecordDecision(NamedTuple):
    """Queue the decision on the audit trail."""

    trail: AuditTrail
    decision: Decision
    turn: Turn
    scored: ScoredTurn | None


IOStep = Update | Get | Delete | RecordDecision
Steps = Generator[IOStep, Any, T]


def run(steps: Steps[T], store: StateStore) -> T:
    """Drive ``steps`` to their result, calling ``store`` and the trail."""
    result: Any = None
    error: Exception | None = None
    while True:
        try:
            io = steps.send(result) if error is None else steps.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]  # the generator's declared T
        result, error = None, None
        try:
            result = _call(io, store)
        except Exception as exc:  # noqa: BLE001 - handed to the method, which decides
            error = exc


async def arun(steps: Steps[T], sync: StateStore | None, asynchronous: AsyncStateStore | None) -> T:
    """Drive ``steps`` to their result, awaiting an asynchronous store and the trail.

    The store comes as whichever protocols it speaks (the caller checks once): the
    asynchronous one is awaited; a synchronous-only store serves the async methods too.
    """
    result: Any = None
    error: Exception | None = None
    while True:
        try:
            io = steps.send(result) if error is None else steps.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]  # the generator's declared T
        result, error = None, None
        try:
            result = await _await(io, sync, asynchronous)
        except Exception as exc:  # noqa: BLE001 - handed to the method, which decides
            error = exc


def _call(io: IOStep, store: StateStore) -> Any:
    if isinstance(io, Update):
        return store.update(io.conversation_id, io.apply)
    if isinstance(io, Get):
        return store.get(io.conversation_id)
    if isinstance(io, Delete):
        return store.delete(io.conversation_id)
    return io.trail.record_decision(io.decision, io.turn, io.scored)


async def _await(io: IOStep, sync: StateStore | None, store: AsyncStateStore | None) -> Any:
    if isinstance(io, RecordDecision):
        return await io.trail.arecord_decision(io.decision, io.turn, io.scored)
    if store is None:
        if sync is None:
            raise TypeError("the store is neither a StateStore nor an AsyncStateStore")
        return _call(io, sync)  # a synchronous store serves the async methods too
    if isinstance(io, Update):
        return await store.aupdate(io.conversation_id, io.apply)
    if isinstance(io, Get):
        return await store.aget(io.conversation_id)
    return await store.adelete(io.conversation_id)
