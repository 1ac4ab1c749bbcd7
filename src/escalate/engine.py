"""The ``Escalator``: feed it every turn, get back a decision.

A thin shell around the core's turn step (``escalate.core.step``): it validates the input, runs
the step inside the state store's update, emits the decision event and records the audit trail.
The sync and async entry points differ only in how they reach the store and the trail.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from escalate._io_steps import Delete, Get, RecordDecision, Steps, Update, arun, run
from escalate.core import (
    ConversationState,
    Decision,
    Detector,
    Outcome,
    ScoredTurn,
    Turn,
    fail_safe_decision,
    step,
)
from escalate.events import (
    DECISION_EVENT,
    ENGINE_ERROR_EVENT,
    OUTCOME_EVENT,
    EventLogger,
    EventText,
    decision_fields,
    redacted_exception,
)
from escalate.exceptions import InvalidInputError
from escalate.handoff import HandoffContext, build_handoff_context
from escalate.policy import (
    PolicySource,
    TurnTrace,
    apply_outcome,
    load_policy,
    scored_by,
    trace_turn,
)
from escalate.signals import detector_set
from escalate.state import InMemoryStore, offline_note
from escalate.typing import AsyncStateStore, StateStore

if TYPE_CHECKING:
    from escalate.audit import AuditTrail, Redactor
    from escalate.policy import Policy

__all__ = ["Escalator", "ScoredTurn"]

MAX_CONVERSATION_ID_LENGTH: Final = 512
_fallback_log = logging.getLogger("escalate")


class Escalator:
    """Decides, turn by turn, when a conversation should go to a human.

    Args:
        policy: a ``Policy``, a dict, or the path of a YAML/TOML/JSON policy file;
            ``None`` uses the bundled default.
        store: where conversation state lives between turns (default: in memory, bounded). An
            asynchronous-only store (``AsyncRedisStore``) serves the ``a*`` methods only.
        detectors: the detectors to run, in order (default: ``default_detectors()``).
        logger: a structlog-style logger for ``escalate.*`` events (default: the standard
            library logger ``escalate``, silent until the host configures logging; see
            ``escalate.events.EventLogger``).
        audit: an ``AuditTrail`` that records every decision and reported outcome, off the
            turn. Events are then redacted with the trail's redactor.
        event_text: ``"redacted"`` (the default) replaces secrets in the customers' words
            that events carry (evidence quotes, notes, outcome notes, error messages), with
            the trail's redactor or ``Redactor()``; ``"raw"`` keeps them as written.
        clock: the time decisions are stamped with (default: now, in UTC).
        new_id: makes each decision's id (default: ``new_decision_id``, time-sortable).

    Examples:
        >>> from escalate import Escalator, Turn
        >>> esc = Escalator()
        >>> esc.evaluate("conv-42", Turn(role="user", text="I want to talk to a person")).action
        <Action.HANDOFF: 'handoff'>
    """

    def __init__(
        self,
        policy: PolicySource | None = None,
        *,
        store: StateStore | AsyncStateStore | None = None,
        detectors: Sequence[Detector] | None = None,
        logger: Any = None,
        audit: AuditTrail | None = None,
        clock: Callable[[], datetime] | None = None,
        new_id: Callable[[], str] | None = None,
        event_text: EventText | str = EventText.REDACTED,
    ) -> None:
        self._detectors = detector_set(detectors)
        self._policy = self._load(policy)
        self._store: StateStore | AsyncStateStore = InMemoryStore() if store is None else store
        # Which protocol the store speaks, checked once: a runtime-checkable protocol's
        # isinstance costs about 15 µs, too much to pay on every turn.
        self._sync = self._store if isinstance(self._store, StateStore) else None
        self._async = self._store if isinstance(self._store, AsyncStateStore) else None
        self._log = _default_logger() if logger is None else logger
        self._audit = audit
        self._redact_events = _redacts_events(event_text)
        self._clock = _utc_now if clock is None else clock
        self._new_id = new_decision_id if new_id is None else new_id

    @property
    def policy(self) -> Policy:
        """The policy in force."""
        return self._policy

    @property
    def detectors(self) -> tuple[Detector, ...]:
        """The detectors, in the order they run."""
        return self._detectors.detectors

    @property
    def store(self) -> StateStore | AsyncStateStore:
        """The state store."""
        return self._store

    def _sync_store(self, method: str) -> StateStore:
        """The store, for a synchronous method; a clear error for an async-only one."""
        if self._sync is None:
            raise TypeError(
                f"{type(self._store).__name__} is asynchronous: call a{method}, not {method}"
            )
        return self._sync

    @property
    def audit(self) -> AuditTrail | None:
        """The audit trail decisions are recorded in, if any."""
        return self._audit

    def reload_policy(self, policy: PolicySource) -> Policy:
        """Validate ``policy`` and put it in force for every following turn.

        The swap is a single assignment, so a turn in flight finishes under the policy it
        started with. An invalid policy raises ``PolicyError`` and the current one stays.
        """
        new = self._load(policy)
        self._policy = new
        return new

    def evaluate(self, conversation_id: str, turn: Turn | Mapping[str, Any]) -> Decision:
        """Score ``turn`` in its conversation and decide.

        Never raises on an internal failure: it returns the policy's fail-safe decision (reason
        ``engine_error``) and logs the exception. Raises ``InvalidInputError`` for a bad
        conversation id or turn.
        """
        return self._evaluate(conversation_id, turn)[0]

    async def aevaluate(self, conversation_id: str, turn: Turn | Mapping[str, Any]) -> Decision:
        """Async twin of ``evaluate``, with the same semantics."""
        started = time.perf_counter()
        valid = _validated(conversation_id, turn)
        steps = self._evaluate_steps(conversation_id, valid, started, keep_scores=False)
        return (await arun(steps, self._sync, self._async))[0]

    def record_outcome(
        self, conversation_id: str, outcome: Outcome | str, note: str | None = None
    ) -> None:
        """Tell the engine what happened after a decision.

        ``offer_declined`` pauses offers for the policy's cooldown; ``offer_accepted`` and
        ``handed_off`` make the conversation handed off; ``returned_to_bot`` starts automation
        afresh (counters kept); ``ended`` forgets the conversation.
        """
        kind = _validated_outcome(conversation_id, outcome)
        run(self._outcome_steps(conversation_id, kind, note), self._sync_store("record_outcome"))

    async def arecord_outcome(
        self, conversation_id: str, outcome: Outcome | str, note: str | None = None
    ) -> None:
        """Async twin of ``record_outcome``."""
        kind = _validated_outcome(conversation_id, outcome)
        await arun(self._outcome_steps(conversation_id, kind, note), self._sync, self._async)

    def _outcome_steps(self, conversation_id: str, kind: Outcome, note: str | None) -> Steps[None]:
        """``record_outcome``, with the store's I/O as steps (see ``escalate._io_steps``)."""
        user_turns: int | None
        if kind is Outcome.ENDED:
            ended = (yield Get(conversation_id)) if self._audit is not None else None
            yield Delete(conversation_id)
            user_turns = None if ended is None else ended.user_turns
        else:
            user_turns = yield Update(conversation_id, lambda state: _apply_outcome(state, kind))
        self._outcome_recorded(conversation_id, kind, note, user_turns)

    def _outcome_recorded(
        self, conversation_id: str, outcome: Outcome, note: str | None, user_turns: int | None
    ) -> None:
        shown = note
        if note is not None and self._event_redactor is not None:
            shown = self._event_redactor.redact(note)
        self._log.info(
            OUTCOME_EVENT, conversation_id=conversation_id, outcome=outcome.value, note=shown
        )
        if self._audit is not None:
            try:
                self._audit.record_outcome(conversation_id, outcome, note, user_turns)
            except Exception:  # noqa: BLE001 - the trail counts and logs its own losses
                _fallback_log.exception("escalate could not queue the audit record")

    def handoff_context(
        self, decision: Decision, *, redactor: Redactor | None = None
    ) -> HandoffContext:
        """What a human agent taking over ``decision``'s conversation needs, redacted.

        The customer's goal, the last turns, what the bot already tried, the reasons and a
        plain-text summary (see ``escalate.handoff``). ``redactor``: default the audit trail's,
        else ``Redactor()``. Call it right after the decision, before the conversation ends.
        """
        store = self._sync_store("handoff_context")
        return run(self._handoff_steps(decision, redactor), store)

    async def ahandoff_context(
        self, decision: Decision, *, redactor: Redactor | None = None
    ) -> HandoffContext:
        """Async twin of ``handoff_context`` (for an asynchronous state store)."""
        return await arun(self._handoff_steps(decision, redactor), self._sync, self._async)

    def _handoff_steps(
        self, decision: Decision, redactor: Redactor | None
    ) -> Steps[HandoffContext]:
        state: ConversationState | None = yield Get(decision.conversation_id)
        if redactor is None:
            redactor = self._audit.redactor if self._audit is not None else _default_redactor()
        if state is None:
            state = ConversationState(decision.conversation_id)
        return build_handoff_context(decision, state, redactor)

    def state(self, conversation_id: str) -> ConversationState | None:
        """A copy of what the engine remembers about a conversation, or ``None``."""
        return run(_read_state(conversation_id), self._sync_store("state"))

    async def astate(self, conversation_id: str) -> ConversationState | None:
        """Async twin of ``state``."""
        return await arun(_read_state(conversation_id), self._sync, self._async)

    @property
    def _event_redactor(self) -> Redactor | None:
        """What redacts events and logs (``None``: ``event_text="raw"``).

        The default one is built on first use: importing the audit package is about a tenth
        of a process's start, and with logging off a decision never needs it.
        """
        if not self._redact_events:
            return None
        return self._audit.redactor if self._audit is not None else _default_redactor()

    def _load(self, policy: PolicySource | None) -> Policy:
        return load_policy(
            policy,
            signals=self._detectors.names,
            evidence_kinds=self._detectors.evidence_kinds,
        )

    def _emit(self, decision: Decision) -> None:
        try:
            enabled = getattr(self._log, "is_enabled_for", None)
            if enabled is not None and not enabled(logging.INFO):
                return  # building the event costs more than the rest of a turn: skip it
            fields = decision_fields(decision)
            if self._event_redactor is not None:  # customers' words stay out of logs
                redact = self._event_redactor.redact_value
                for key in ("reasons", "suppressed", "notes"):
                    fields[key] = redact(fields[key])
            self._log.info(DECISION_EVENT, **fields)
        except Exception:  # noqa: BLE001 - a broken log pipeline must not break the bot; logged below
            _fallback_log.exception(
                "escalate could not emit %s for %s", DECISION_EVENT, decision.decision_id
            )

    def explain(
        self, conversation_id: str, turn: Turn | Mapping[str, Any]
    ) -> tuple[Decision, TurnTrace | None]:
        """``evaluate``, plus a trace of every threshold and rule the policy weighed.

        For tools and tests (``escalate policy explain``, failing policy tests): the trace costs
        more than the decision. It is ``None`` when the engine failed on the turn.
        """
        decision, scored = self._evaluate(conversation_id, turn, keep_scores=True)
        if scored is None:
            return decision, None
        policy, facts = scored_by(scored)
        return decision, trace_turn(policy, scored.readings, facts)

    def evaluate_scored(
        self, conversation_id: str, turn: Turn | Mapping[str, Any]
    ) -> tuple[Decision, ScoredTurn | None]:
        """``evaluate``, plus every detector's reading and the facts the rules read.

        For analysis (``escalate report``): the readings carry the evidence and cues found on
        the turn, which the decision only quotes for its reasons. ``None`` when the engine
        failed on the turn.
        """
        return self._evaluate(conversation_id, turn, keep_scores=True)

    def _evaluate(
        self, conversation_id: str, turn: Turn | Mapping[str, Any], *, keep_scores: bool = False
    ) -> tuple[Decision, ScoredTurn | None]:
        """``evaluate``, and what the detectors and rules saw when asked or when auditing."""
        started = time.perf_counter()
        valid = _validated(conversation_id, turn)
        store = self._sync_store("evaluate")
        steps = self._evaluate_steps(conversation_id, valid, started, keep_scores=keep_scores)
        return run(steps, store)

    def _evaluate_steps(
        self, conversation_id: str, turn: Turn, started: float, *, keep_scores: bool
    ) -> Steps[tuple[Decision, ScoredTurn | None]]:
        """A turn, with the store's and the trail's I/O as steps (see ``escalate._io_steps``)."""
        scored: list[ScoredTurn] | None = [] if keep_scores or self._audit is not None else None
        try:
            decision: Decision = yield Update(
                conversation_id, lambda state: self._decide_turn(state, turn, started, scored)
            )
        except Exception as exc:  # noqa: BLE001 - a store failure must not break the host bot
            decision = self._fail_safe(conversation_id, turn, started, exc)
            scored = None  # the readings, if any, are not what decided
        self._emit(decision)
        # A store may run the update more than once (a retried write): the last run counts.
        last = scored[-1] if scored else None
        if self._audit is not None:
            try:
                yield RecordDecision(self._audit, decision, turn, last)
            except Exception:  # noqa: BLE001 - the trail counts and logs its own losses
                _fallback_log.exception("escalate could not queue the audit record")
        return decision, last

    def _decide_turn(
        self,
        state: ConversationState,
        turn: Turn,
        started: float,
        scored: list[ScoredTurn] | None = None,
    ) -> Decision:
        """One turn through the core step, on the state the store hands over."""
        result = step(
            self._policy,  # read once: a reload mid-turn does not mix two policies
            self._detectors,
            state,
            turn,
            now=self._clock(),
            decision_id=self._new_id(),
            started=started,
        )
        if result.error is not None:
            self._log_engine_error(result.error, state.conversation_id)
        elif scored is not None and result.scored is not None:
            scored.append(result.scored)
        offline = offline_note()
        if offline is not None:  # decided without the shared state: the host should know
            return result.decision.model_copy(update={"notes": (*result.decision.notes, offline)})
        return result.decision

    def _fail_safe(
        self, conversation_id: str, turn: Turn, started: float, exc: BaseException
    ) -> Decision:
        """The policy's fail-safe decision for a turn whose state could not be reached."""
        self._log_engine_error(exc, conversation_id)
        return fail_safe_decision(
            self._policy,
            conversation_id,
            turn.role,
            exc,
            None,
            now=self._clock(),
            decision_id=self._new_id(),
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
        )

    def _log_engine_error(self, exc: BaseException, conversation_id: str) -> None:
        if self._event_redactor is not None:
            exc = redacted_exception(exc, self._event_redactor.redact)
        try:
            self._log.error(ENGINE_ERROR_EVENT, conversation_id=conversation_id, exc_info=exc)
        except Exception:  # noqa: BLE001 - same: fall back to the standard library logger
            _fallback_log.exception("escalate engine error in %s", conversation_id, exc_info=exc)


def _redacts_events(event_text: EventText | str) -> bool:
    try:
        mode = EventText(event_text)
    except ValueError:
        choices = ", ".join(repr(mode.value) for mode in EventText)
        raise InvalidInputError(
            f"event_text must be one of {choices}, got {event_text!r}"
        ) from None
    return mode is not EventText.RAW


@cache
def _default_redactor() -> Redactor:
    from escalate.audit import Redactor  # noqa: PLC0415 - only hosts that hand off

    return Redactor()


def _default_logger() -> Any:
    # Quiet by default (a library prints nothing of its own): the standard library logger.
    return EventLogger()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def new_decision_id() -> str:
    """32 hex digits: nanosecond time then 64 random bits, so ids sort by creation time."""
    return f"{time.time_ns():016x}{os.urandom(8).hex()}"


def _validated(conversation_id: object, turn: object) -> Turn:
    _check_conversation_id(conversation_id)
    if isinstance(turn, Turn):
        return turn
    if not isinstance(turn, Mapping):
        raise InvalidInputError(f"turn must be a Turn or a mapping, got {type(turn).__name__}")
    try:
        return Turn.model_validate(turn)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'turn'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InvalidInputError(f"invalid turn: {problems}") from exc


def _validated_outcome(conversation_id: object, outcome: object) -> Outcome:
    _check_conversation_id(conversation_id)
    if isinstance(outcome, Outcome):
        return outcome
    if isinstance(outcome, str) and outcome in _OUTCOMES:
        return Outcome(outcome)
    choices = ", ".join(sorted(_OUTCOMES))
    raise InvalidInputError(f"unknown outcome {outcome!r}; expected one of {choices}")


_OUTCOMES = frozenset(outcome.value for outcome in Outcome)


def _check_conversation_id(conversation_id: object) -> None:
    if not isinstance(conversation_id, str) or not conversation_id:
        raise InvalidInputError(
            f"conversation_id must be a non-empty string, got {conversation_id!r}"
        )
    if len(conversation_id) > MAX_CONVERSATION_ID_LENGTH:
        raise InvalidInputError(
            f"conversation_id has {len(conversation_id)} characters;"
            f" at most {MAX_CONVERSATION_ID_LENGTH} are allowed"
        )


def _read_state(conversation_id: str) -> Steps[ConversationState | None]:
    state: ConversationState | None = yield Get(conversation_id)
    return state


def _apply_outcome(state: ConversationState, outcome: Outcome) -> int:
    """Apply ``outcome`` to ``state``; the conversation's user turns so far."""
    state.escalation = apply_outcome(state.escalation, outcome, state.user_turns)
    if outcome is Outcome.RETURNED_TO_BOT:
        # Automation starts afresh: the detectors forget too; the counters stay.
        state.forget_detectors()
    return state.user_turns
