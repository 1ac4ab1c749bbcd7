"""Everything a shared store (``RedisStore``, ``AsyncRedisStore``) does that is not I/O.

In the manner of httpx's shared client base: the sync and async stores differ only in how they
reach Redis. Here: keys, the stored form, reading old values, preparing the compare-and-set,
this worker's copies, and what a turn does while Redis is unavailable.

**When Redis is unavailable** (``on_unavailable="local"``, the default) a conversation must
neither forget a handoff nor start again at turn 0:

- a conversation this worker holds a copy of (it served or read it lately) goes on from that
  copy: turn numbers continue, a handoff stays handed off, and the decision says, in a note,
  that it was decided on this worker's copy. The copy is written back on the next turn that
  reaches Redis, unless Redis holds a later one;
- a conversation this worker has no copy of cannot be decided honestly: the store raises
  ``StateUnavailableError`` and the ``Escalator`` answers with the policy's fail-safe decision
  (by default an offer of a person, reason ``engine_error``, ``turn_index`` -1).

With ``on_unavailable="fail"`` every turn during an outage gets the fail-safe decision.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, TypeVar

from pydantic import ValidationError

from escalate.core import (
    SCHEMA_VERSION,
    ConversationState,
    Decision,
    EscalateError,
    InvalidInputError,
)
from escalate.state._cas import digest
from escalate.state._cas import written as cas_written
from escalate.state._copies import LocalCopies
from escalate.state._outage import deciding_offline

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "DEFAULT_DECISION_PREFIX",
    "DEFAULT_LOCAL_COPIES",
    "DEFAULT_PREFIX",
    "DEFAULT_TTL_SECONDS",
    "Attempt",
    "OnUnavailable",
    "SharedStoreBase",
    "StateUnavailableError",
    "StoreUnavailableError",
]

T = TypeVar("T")
_log = logging.getLogger("escalate.state.redis")  # the logger the docs name (how-to/redis.md)

DEFAULT_PREFIX: Final = "escalate:conv:"
DEFAULT_DECISION_PREFIX: Final = "escalate:last:"
DEFAULT_TTL_SECONDS: Final = 24 * 3600
DEFAULT_LOCAL_COPIES: Final = 10_000
"""Conversations a worker keeps a copy of: about 6 KB each, so about 60 MB at most."""
_WARN_EVERY_SECONDS: Final = 10.0
_MAX_BACKOFF_SECONDS: Final = 0.05

OnUnavailable = Literal["local", "fail"]


class StoreUnavailableError(EscalateError, RuntimeError):
    """The shared store could not be reached in time, or a turn could not be written."""


class StateUnavailableError(StoreUnavailableError):
    """The shared store is down and this worker has no copy of the conversation."""


@dataclass(slots=True)
class Attempt:
    """One try at a turn: the state to run the engine on, and what the write must find."""

    conversation_id: str
    state: ConversationState
    expected: str
    """Digest of the value read (``ABSENT`` for none): the compare of the compare-and-set."""
    data: bytes = b""
    """The value to write, once the engine has run (``SharedStoreBase.prepare``)."""
    from_copy: bool = False
    """Started from this worker's copy, without reading Redis."""
    confirmed: bool = False
    """Started from state this worker wrote last: keep the written copy confirmed."""


class SharedStoreBase:
    """Settings, stored form, copies and outage rules of a shared store (no I/O)."""

    def __init__(
        self,
        *,
        prefix: str,
        ttl_seconds: float | None,
        max_retries: int,
        on_unavailable: OnUnavailable,
        local_copies: int,
        decision_prefix: str,
    ) -> None:
        if prefix.startswith(decision_prefix) or decision_prefix.startswith(prefix):
            raise InvalidInputError(
                f"prefix {prefix!r} and decision_prefix {decision_prefix!r} overlap: a"
                " conversation's key could be another's last decision"
            )
        if max_retries < 1:
            raise InvalidInputError(f"max_retries must be at least 1, got {max_retries}")
        if on_unavailable not in {"local", "fail"}:
            raise InvalidInputError(
                f"on_unavailable must be 'local' or 'fail', got {on_unavailable!r}"
            )
        if ttl_seconds is not None and ttl_seconds <= 0:
            raise InvalidInputError(f"ttl_seconds must be positive or None, got {ttl_seconds}")
        self.prefix = prefix
        self.decision_prefix = decision_prefix
        self.ttl_ms = None if ttl_seconds is None else max(1, int(ttl_seconds * 1000))
        self.max_retries = max_retries
        self.on_unavailable = on_unavailable
        self.copies = LocalCopies(local_copies)
        self._offline = threading.Lock()  # one offline turn at a time: no update lost locally
        self._last_warning = 0.0

    def key(self, conversation_id: str) -> str:
        """The Redis key of a conversation."""
        return self.prefix + conversation_id

    def decision_key(self, conversation_id: str) -> str:
        """The Redis key of a conversation's last decision (for the HTTP service)."""
        return self.decision_prefix + conversation_id

    @staticmethod
    def backoff(attempt: int) -> float:
        """Seconds to wait before retrying a conflicted write: jittered, so writers spread."""
        return random.uniform(0, min(_MAX_BACKOFF_SECONDS, 0.001 * 2**attempt))  # noqa: S311

    # --- a turn on Redis: start or begin, prepare, then settle the compare-and-set's reply ---

    def start(self, conversation_id: str) -> Attempt | None:
        """A turn from this worker's copy, with no read; ``None`` when Redis must be read."""
        taken = self.copies.take(conversation_id)
        if taken is None:
            return None
        state, expected = taken
        return Attempt(conversation_id, state, expected, from_copy=True, confirmed=True)

    def begin(self, conversation_id: str, data: bytes | str | None) -> Attempt:
        """The state to decide the turn on, given the value just read."""
        if isinstance(data, str):  # a client made with decode_responses=True
            data = data.encode()
        expected = digest(data)
        copy = self.copies.get(conversation_id)
        if copy is not None and copy.pending:
            # Turns were decided here while Redis was down: go on from the later of the two.
            remote = None if data is None else self.decode(conversation_id, data)
            local = self.decode(conversation_id, copy.data)
            return Attempt(conversation_id, reconciled(local, remote), expected)
        state = None if data is None else self.copies.take_state(conversation_id, data)
        if state is not None:  # Redis holds what this worker wrote last
            return Attempt(conversation_id, state, expected, confirmed=True)
        return Attempt(conversation_id, self.decode(conversation_id, data), expected)

    def prepare(self, attempt: Attempt) -> tuple[str, bytes, int | str]:
        """The compare-and-set's arguments: expected digest, new value, TTL (ms or "")."""
        attempt.data = attempt.state.to_json()
        return attempt.expected, attempt.data, "" if self.ttl_ms is None else self.ttl_ms

    def settle(self, attempt: Attempt, reply: object) -> Attempt | None:
        """``None`` when the write went through; else the next attempt, on the key's value."""
        done, current = cas_written(reply)
        if done:  # the written state is this worker's copy now
            self.copies.keep(
                attempt.conversation_id, attempt.data, attempt.state, confirmed=attempt.confirmed
            )
            return None
        return self.begin(attempt.conversation_id, current)

    def too_many_conflicts(self, conversation_id: str) -> StoreUnavailableError:
        """The error for a conversation written by ``max_retries`` workers in a row."""
        return StoreUnavailableError(
            f"{conversation_id}: {self.max_retries} concurrent writes in a row; giving up"
        )

    # --- reads and deletes ---

    def read(self, conversation_id: str, data: bytes | str | None) -> ConversationState | None:
        """``get``'s answer for the value read."""
        return None if data is None else self.decode(conversation_id, data)

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

    @staticmethod
    def encode_decision(decision: Decision) -> bytes:
        """The stored form of a last decision."""
        return decision.model_dump_json().encode()

    @staticmethod
    def decode_decision(conversation_id: str, data: bytes | str | None) -> Decision | None:
        """A stored last decision; ``None`` when there is none or it cannot be read."""
        if data is None:
            return None
        try:
            return Decision.model_validate_json(data)
        except ValidationError:
            _log.warning("escalate: the last decision of %s could not be read", conversation_id)
            return None

    def decision_lost(self, error: Exception, conversation_id: str) -> None:
        """Keeping a last decision failed: the turn is decided already, so only warn."""
        _log.warning(
            "escalate: Redis is unavailable (%s); the last decision of %s is not kept",
            error,
            conversation_id,
        )

    # --- Redis unavailable ---

    def offline_update(
        self, conversation_id: str, apply: Callable[[ConversationState], T], error: Exception
    ) -> T:
        """Decide a turn without Redis: on this worker's copy, or not at all (see the module)."""
        self.unavailable(error, conversation_id)
        copy = self.copies.get(conversation_id)
        if copy is None:
            raise StateUnavailableError(
                f"Redis is unavailable ({error}) and this worker has no copy of"
                f" {conversation_id!r}: its turn number and handoff are unknown"
            ) from error
        with self._offline:
            copy = self.copies.get(conversation_id) or copy
            state = self.decode(conversation_id, copy.data)
            note = (
                "Redis was unavailable: decided on this worker's copy of the conversation"
                f" ({state.turns} turns); turns other workers decided since are not in it"
            )
            with deciding_offline(note):
                result = apply(state)
            self.copies.keep(conversation_id, state.to_json(), None, pending=True)
        return result

    def offline_read(self, conversation_id: str, error: Exception) -> ConversationState | None:
        """``get`` without Redis: this worker's copy, or ``None``."""
        self.unavailable(error, conversation_id)
        copy = self.copies.get(conversation_id)
        return None if copy is None else self.decode(conversation_id, copy.data)

    def unavailable(self, error: Exception, conversation_id: str) -> None:
        """Redis failed: raise (``on_unavailable="fail"``), or warn at most every few seconds."""
        if self.on_unavailable == "fail":
            raise StoreUnavailableError(f"Redis is unavailable: {error}") from error
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_SECONDS:
            self._last_warning = now
            _log.warning(
                "escalate: Redis is unavailable (%s); conversations this worker holds a copy of"
                " (%s first) go on from it, the others get the fail-safe decision",
                error,
                conversation_id,
            )


def reconciled(local: ConversationState, remote: ConversationState | None) -> ConversationState:
    """One state from this worker's outage copy and what Redis holds when it is back.

    The copy with more turns goes on (Redis may have come back empty, or another worker may
    have written later); turn counters never go back, and a handoff either side knows of holds.
    """
    if remote is None:
        return local
    base, other = (local, remote) if local.turns >= remote.turns else (remote, local)
    base.turns = max(base.turns, other.turns)
    base.user_turns = max(base.user_turns, other.user_turns)
    if other.escalation.handed_off and not base.escalation.handed_off:
        base.escalation.handed_off = True
        base.escalation.handoff_reasons = other.escalation.handoff_reasons
        base.escalation.handoff_route = other.escalation.handoff_route
    return base
