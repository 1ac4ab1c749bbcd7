"""Helpers for testing code that uses escalate (and escalate's own tests).

Examples:
    >>> from escalate import Escalator
    >>> from escalate.testing import assert_handoff, conversation, quiet_logger
    >>> esc = Escalator(logger=quiet_logger())
    >>> chat = conversation(esc).user("I need to log in").bot("We sent you a code.")
    >>> decision = assert_handoff(
    ...     chat.user("I lost my phone, I can't get the code"), reason="security_dead_end"
    ... )
    >>> decision.message
    "I'm connecting you with a colleague now."
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

from escalate.events import DECISION_EVENT, LOGGER_NAME, quiet_logger
from escalate.models import Action, Decision, Outcome, ReasonCode, Role, Turn

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping
    from datetime import datetime

    from pydantic import JsonValue

    from escalate.engine import Escalator

__all__ = [
    "ConversationBuilder",
    "assert_action",
    "assert_handoff",
    "assert_no_escalation",
    "assert_offer",
    "capture_decisions",
    "capture_events",
    "conversation",
    "quiet_logger",
    "run_conversation",
    "user_decisions",
]

_conversation_numbers = itertools.count(1)


def run_conversation(
    escalator: Escalator,
    turns: Sequence[Turn | tuple[str, str]],
    conversation_id: str | None = None,
) -> list[Decision]:
    """Feed turns, in order, to one conversation and return every decision.

    Turns may be ``Turn`` objects or ``(role, text)`` pairs. Without a ``conversation_id`` a
    fresh one is made up, so each call is a conversation of its own.
    """
    conversation = conversation_id or f"test-conversation-{next(_conversation_numbers)}"
    return [escalator.evaluate(conversation, _as_turn(turn)) for turn in turns]


def _as_turn(turn: Turn | tuple[str, str]) -> Turn:
    return turn if isinstance(turn, Turn) else Turn(role=Role(turn[0]), text=turn[1])


def user_decisions(decisions: Sequence[Decision]) -> list[Decision]:
    """The decisions made on user turns only."""
    return [decision for decision in decisions if decision.role is Role.USER]


@contextlib.contextmanager
def capture_events() -> Iterator[list[MutableMapping[str, Any]]]:
    """Collect every ``escalate.*`` event emitted inside the block, as dicts.

    Each dict is the event (``event`` and its fields) plus ``log_level``; an error's exception
    is under ``exc_info``. It reads the standard library logger ``escalate``, where an
    ``Escalator`` built without ``logger=`` sends its events, and lets info events through for
    the block. The list fills when the block exits.
    """
    logger = logging.getLogger(LOGGER_NAME)
    collector = _Collector()
    level = logger.level
    if not logger.isEnabledFor(logging.INFO):
        logger.setLevel(logging.INFO)
    logger.addHandler(collector)
    events: list[MutableMapping[str, Any]] = []
    try:
        yield events
    finally:
        logger.removeHandler(collector)
        logger.setLevel(level)
        events.extend(collector.events)


@contextlib.contextmanager
def capture_decisions() -> Iterator[list[MutableMapping[str, Any]]]:
    """Collect the ``escalate.decision`` events emitted inside the block (see ``capture_events``).

    Examples:
        >>> from escalate import Escalator, Turn
        >>> with capture_decisions() as events:
        ...     _ = Escalator().evaluate("c-1", Turn(role="user", text="operator!"))
        >>> events[0]["action"]
        'handoff'
    """
    with capture_events() as events:
        decisions: list[MutableMapping[str, Any]] = []
        yield decisions
    decisions.extend(event for event in events if event["event"] == DECISION_EVENT)


class _Collector(logging.Handler):
    """Keeps the events among the records it handles (other records carry no ``escalate``)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[MutableMapping[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "escalate", None)
        if event is None:
            return
        entry = {**event, "log_level": record.levelname.lower()}
        if record.exc_info:
            entry["exc_info"] = record.exc_info[1]
        self.events.append(entry)


class ConversationBuilder:
    """Feed a conversation turn by turn, fluently; every decision is kept.

    Examples:
        >>> from escalate import Escalator
        >>> chat = conversation(Escalator(logger=quiet_logger()), meta={"tier": "gold"})
        >>> chat.user("where is my parcel?").bot("It arrives on Thursday.").last.action.value
        'continue'
    """

    def __init__(
        self,
        escalator: Escalator,
        conversation_id: str | None = None,
        *,
        meta: dict[str, JsonValue] | None = None,
    ) -> None:
        self.escalator = escalator
        self.conversation_id = conversation_id or f"test-conversation-{next(_conversation_numbers)}"
        self.meta = dict(meta or {})
        """Sent with every turn; a turn's own ``meta`` is laid over it."""
        self.decisions: list[Decision] = []

    def say(
        self,
        role: Role | str,
        text: str,
        *,
        ts: datetime | str | None = None,
        meta: dict[str, JsonValue] | None = None,
    ) -> Self:
        """Add a turn by ``role``."""
        turn = Turn.model_validate(
            {"role": role, "text": text, "ts": ts, "meta": {**self.meta, **(meta or {})}}
        )
        self.decisions.append(self.escalator.evaluate(self.conversation_id, turn))
        return self

    def user(
        self,
        text: str,
        *,
        ts: datetime | str | None = None,
        meta: dict[str, JsonValue] | None = None,
    ) -> Self:
        """Add a customer turn."""
        return self.say(Role.USER, text, ts=ts, meta=meta)

    def bot(
        self,
        text: str,
        *,
        ts: datetime | str | None = None,
        meta: dict[str, JsonValue] | None = None,
    ) -> Self:
        """Add a bot reply."""
        return self.say(Role.BOT, text, ts=ts, meta=meta)

    def agent(self, text: str, *, ts: datetime | str | None = None) -> Self:
        """Add a human agent's turn."""
        return self.say(Role.AGENT, text, ts=ts)

    def outcome(self, outcome: Outcome | str) -> Self:
        """Report what happened (``offer_declined``, ``handed_off``...)."""
        self.escalator.record_outcome(self.conversation_id, outcome)
        return self

    @property
    def last(self) -> Decision:
        """The latest decision."""
        if not self.decisions:
            raise AssertionError("the conversation has no turns yet")
        return self.decisions[-1]


def conversation(
    escalator: Escalator,
    conversation_id: str | None = None,
    *,
    meta: dict[str, JsonValue] | None = None,
) -> ConversationBuilder:
    """Start a ``ConversationBuilder`` (a fresh conversation id unless one is given)."""
    return ConversationBuilder(escalator, conversation_id, meta=meta)


DecisionSource = Decision | ConversationBuilder | Sequence[Decision]
"""What the assertions take: a decision, a builder (its latest decision), or decisions."""


def assert_action(
    target: DecisionSource,
    action: Action | str,
    *,
    reason: ReasonCode | str | None = None,
    route: str | None = None,
    rule: str | None = None,
) -> Decision:
    """Assert the (latest) decision's action and, if given, a reason, route and rule it carries.

    Returns the decision; the failure message describes it in full.
    """
    decision = _latest(target)
    wanted = Action(action)
    problems = []
    if decision.action is not wanted:
        problems.append(f"action: expected {wanted.value}, got {decision.action.value}")
    if reason is not None and ReasonCode(reason) not in decision.reason_codes:
        problems.append(f"reason: expected {ReasonCode(reason).value} among the reasons")
    if route is not None and decision.route != route:
        problems.append(f"route: expected {route}, got {decision.route}")
    if rule is not None and rule not in [item.rule for item in decision.reasons]:
        problems.append(f"rule: expected {rule} behind a reason")
    if problems:
        raise AssertionError("; ".join(problems) + "\n" + _described(decision))
    return decision


def assert_handoff(
    target: DecisionSource,
    *,
    reason: ReasonCode | str | None = None,
    route: str | None = None,
    rule: str | None = None,
) -> Decision:
    """Assert the (latest) decision hands off."""
    return assert_action(target, Action.HANDOFF, reason=reason, route=route, rule=rule)


def assert_offer(
    target: DecisionSource,
    *,
    reason: ReasonCode | str | None = None,
    route: str | None = None,
    rule: str | None = None,
) -> Decision:
    """Assert the (latest) decision offers a human."""
    return assert_action(target, Action.OFFER_HUMAN, reason=reason, route=route, rule=rule)


def assert_no_escalation(target: DecisionSource) -> None:
    """Assert no decision escalates (every one of a builder or sequence, or the one given)."""
    decisions = _all(target)
    escalated = [decision for decision in decisions if decision.escalated]
    if escalated:
        described = "\n".join(_described(decision) for decision in escalated)
        raise AssertionError(f"{len(escalated)} decision(s) escalated:\n{described}")


def _latest(target: DecisionSource) -> Decision:
    if isinstance(target, Decision):
        return target
    decisions = _all(target)
    if not decisions:
        raise AssertionError("no decisions to check")
    return decisions[-1]


def _all(target: DecisionSource) -> list[Decision]:
    if isinstance(target, Decision):
        return [target]
    if isinstance(target, ConversationBuilder):
        return list(target.decisions)
    return list(target)


def _described(decision: Decision) -> str:
    from escalate.policy_tests import reasons_text  # noqa: PLC0415 - on failure only

    reasons = reasons_text(decision.reasons)
    parts = [
        f"turn {decision.turn_index} ({decision.role.value}): {decision.action.value}",
        f"reasons: {reasons or 'none'}",
        f"route: {decision.route}",
        f"signals: {decision.signals}",
    ]
    parts.extend(f"note: {note}" for note in decision.notes)
    return "\n  ".join(parts)
