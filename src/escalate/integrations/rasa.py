"""A Rasa custom action that decides, after each customer message, whether to bring in a person.

Register ``EscalationCheckAction`` on your action server (``rasa_sdk``) and run
``action_escalation_check`` after every user message. It scores the conversation and reports
the decision in slots your rules and stories can branch on:

``escalation_action``
    ``continue``, ``offer_human`` or ``handoff``.
``escalation_reason``
    the first reason code (``human_requested``, ``emotional_stress``...), or ``None``.
``escalation_route``
    the team or queue from the policy's ``routes``, or ``None`` (set only when the domain
    declares the slot).

When the conversation escalates further than before, the action also calls your
``on_escalation`` callback once with the ``HandoffContext``, utters the policy's message, and,
for a handoff with ``handoff_action`` set, returns ``FollowupAction(handoff_action)``.

The action server keeps nothing between calls that Rasa does not send, so the action reads the
whole tracker every time and feeds the engine the user and bot messages it has not seen yet.
The tracker is the source of truth: on a worker that never saw the conversation, after a
restart, or when the engine's memory no longer matches the tracker, the engine forgets the
conversation and replays it from the tracker, reaching the decisions it would have reached.

What the tracker says about the conversation:

- ``user`` and ``bot`` events with text are the turns (their timestamps become the turns'
  ``ts``; a user event's ``input_channel`` and intent become ``meta`` ``channel`` and
  ``intent``);
- ``session_started`` and ``restart`` start a fresh conversation: what came before is ignored;
- the ``handoff_action`` having run, and Rasa's ``pause`` event, report ``handed_off``;
  Rasa's ``resume`` event reports ``returned_to_bot``. They are replayed in their place.

A failure inside escalate (or in your callback) is logged and never breaks the action: it then
reports ``continue``, utters nothing and hands nothing off.

Examples:
    >>> from escalate.integrations.rasa import EscalationCheckAction
    >>> EscalationCheckAction(handoff_action="action_handoff_to_human").name()
    'action_escalation_check'
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

from escalate import models
from escalate.exceptions import MissingDependencyError
from escalate.models import Decision, Outcome, Role, Turn
from escalate.typing import AsyncStateStore

try:
    from rasa_sdk import Action
    from rasa_sdk.events import FollowupAction, SlotSet
except ImportError as error:
    raise MissingDependencyError("the Rasa action", "rasa") from error

if TYPE_CHECKING:
    from pydantic import JsonValue
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from escalate.engine import Escalator
    from escalate.handoff import HandoffContext
    from escalate.state import ConversationState

__all__ = ["EscalationCheckAction"]

_log = logging.getLogger("escalate.integrations.rasa")

OnEscalation = Callable[["HandoffContext"], Any]
"""Called with the context of a new escalation; may return an awaitable."""

_FRESH_START: Final = frozenset({"session_started", "restart"})
_TURN_ROLES: Final = {"user": Role.USER, "bot": Role.BOT}
# Event timestamps go through a datetime (microseconds) and back: compare them loosely.
_TS_TOLERANCE: Final = 1e-3
_ACTIONS: Final = frozenset(action.value for action in models.Action)


@dataclass(frozen=True, slots=True)
class _Report:
    """What the action reports: the slots' values, and what to announce (if anything)."""

    action: models.Action
    reason: str | None
    route: str | None
    announce: Decision | None = None
    """The decision that raised the escalation in this call, to announce once."""


_CONTINUE: Final = _Report(models.Action.CONTINUE, None, None)


@dataclass(frozen=True, slots=True)
class _Said:
    """A ``user`` or ``bot`` event with text: one turn (a ``Turn`` only once it is fed)."""

    role: Role
    text: str
    ts: float | None
    event: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Outcome:
    """An outcome the tracker records, after ``turns_before`` turns of the conversation."""

    outcome: Outcome
    turns_before: int
    note: str


@dataclass(frozen=True, slots=True)
class _Timeline:
    """The current conversation as the tracker tells it."""

    turns: tuple[_Said, ...]
    steps: tuple[_Said | _Outcome, ...]
    """Turns and outcomes, in tracker order."""
    reported: models.Action | None
    """What the slot last said (or an outcome implied since), ``None`` if nothing yet."""


class EscalationCheckAction(Action):  # type: ignore[misc]  # rasa_sdk ships no type information
    """The custom action ``action_escalation_check``: score the conversation, report in slots.

    The action server discovers ``Action`` subclasses and builds them without arguments, so
    configure it in a subclass that keeps the name (it replaces this class on the server):

    ```python
    class ActionEscalationCheck(EscalationCheckAction):
        def __init__(self) -> None:
            super().__init__(ESCALATOR, handoff_action="action_handoff_to_human")
    ```

    Args:
        escalator: the engine (default: ``Escalator()`` with the bundled policy, built on first
            use). Give every worker the same shared state store, or let each one replay what
            it missed from the tracker.
        handoff_action: the action that hands the conversation to a person; returned as
            ``FollowupAction`` on a new handoff, and its execution reports ``handed_off``.
        on_escalation: called once per escalation with the ``HandoffContext`` (it may be
            async): open the ticket, page the queue.
        action_name: the action's name in the domain.

    Slot names are class attributes (``action_slot``, ``reason_slot``, ``route_slot``): a
    subclass can rename them.
    """

    action_slot: ClassVar[str] = "escalation_action"
    reason_slot: ClassVar[str] = "escalation_reason"
    route_slot: ClassVar[str] = "escalation_route"

    def __init__(
        self,
        escalator: Escalator | None = None,
        *,
        handoff_action: str | None = None,
        on_escalation: OnEscalation | None = None,
        action_name: str = "action_escalation_check",
    ) -> None:
        self._escalator = escalator
        self.handoff_action = handoff_action
        self.on_escalation = on_escalation
        self._name = action_name

    def name(self) -> str:
        """The action's name, as the domain lists it."""
        return self._name

    @property
    def escalator(self) -> Escalator:
        """The engine; the default one is built on first use.

        The action server builds every ``Action`` subclass it finds, this one included: a
        default engine nobody runs costs nothing.
        """
        if self._escalator is None:
            from escalate.engine import Escalator  # noqa: PLC0415 - loads the lexicons

            self._escalator = Escalator()
        return self._escalator

    def conversation_id(self, tracker: Tracker) -> str:
        """The engine's conversation id for ``tracker``: its ``sender_id`` (override to scope)."""
        return str(tracker.sender_id)

    def turn_meta(self, event: Mapping[str, Any]) -> dict[str, JsonValue]:
        """The ``meta`` of the turn made from a ``user`` or ``bot`` event (override to add).

        A user event gives its ``input_channel`` as ``channel`` and its intent as ``intent``,
        for the policy's ``meta`` conditions.
        """
        meta: dict[str, JsonValue] = {}
        channel = event.get("input_channel")
        if isinstance(channel, str) and channel:
            meta["channel"] = channel
        parse_data = event.get("parse_data")
        intent = parse_data.get("intent") if isinstance(parse_data, Mapping) else None
        name = intent.get("name") if isinstance(intent, Mapping) else None
        if isinstance(name, str) and name:
            meta["intent"] = name
        return meta

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Mapping[str, Any] | None,
    ) -> list[dict[str, Any]]:
        """Bring the engine up to date with the tracker and report its decision in slots."""
        try:
            report = await self._check(tracker)
        except Exception:  # noqa: BLE001 - escalate must never break the bot
            _log.exception(
                "escalate could not check conversation %s; reporting continue", tracker.sender_id
            )
            report = _CONTINUE
        events = self._slots(report, domain)
        decision = report.announce
        if decision is None:
            return events
        await self._notify(decision)
        if decision.message:
            dispatcher.utter_message(text=decision.message)
        if decision.action is models.Action.HANDOFF and self.handoff_action:
            events.append(FollowupAction(self.handoff_action))
        return events

    async def _check(self, tracker: Tracker) -> _Report:
        """Feed the engine what it has not seen; what to report."""
        escalator = self.escalator
        conversation_id = self.conversation_id(tracker)
        timeline = self._timeline(tracker.events or [])
        state = await _state(escalator, conversation_id)
        seen = 0
        if state is not None and not _in_step(state, timeline.turns):
            # Another session, a restart, a rewound tracker, or memory of another
            # conversation under the same id: start afresh and replay the tracker.
            await escalator.arecord_outcome(
                conversation_id, Outcome.ENDED, note="rasa: replaying the tracker"
            )
        elif state is not None:
            seen = state.turns
        decisions: list[Decision] = []
        turn_index = 0
        for step in timeline.steps:
            if isinstance(step, _Outcome):
                # Outcomes before the last turn the engine saw are already in its memory.
                if step.turns_before >= seen:
                    await escalator.arecord_outcome(conversation_id, step.outcome, note=step.note)
                continue
            if turn_index >= seen:
                turn = Turn(
                    role=step.role, text=step.text, ts=step.ts, meta=self.turn_meta(step.event)
                )
                decisions.append(await escalator.aevaluate(conversation_id, turn))
            turn_index += 1
        if not decisions:
            return _remembered(await _state(escalator, conversation_id))
        return _report(decisions, timeline.reported)

    def _timeline(self, events: Sequence[Mapping[str, Any]]) -> _Timeline:
        """Read the current conversation (after the last session start or restart)."""
        start = 0
        for index, event in enumerate(events):
            if event.get("event") in _FRESH_START:
                start = index + 1
        turns: list[_Said] = []
        steps: list[_Said | _Outcome] = []
        reported: models.Action | None = None
        # Slots set before the first customer message were carried over from an earlier
        # session (Rasa's `carry_over_slots_to_new_session`): they say nothing about this one.
        customer_spoke = False
        for event in events[start:]:
            kind = event.get("event")
            if kind in _TURN_ROLES:
                customer_spoke = customer_spoke or kind == "user"
                text = event.get("text")
                if isinstance(text, str) and text.strip():
                    said = _Said(_TURN_ROLES[kind], text, _seconds(event.get("timestamp")), event)
                    turns.append(said)
                    steps.append(said)
            elif kind == "slot" and customer_spoke and event.get("name") == self.action_slot:
                reported = _action_or_none(event.get("value"))
            else:
                outcome = self._outcome(event)
                if outcome is not None:
                    steps.append(_Outcome(outcome[0], len(turns), outcome[1]))
                    reported = (
                        models.Action.CONTINUE
                        if outcome[0] is Outcome.RETURNED_TO_BOT
                        else models.Action.HANDOFF
                    )
        return _Timeline(tuple(turns), tuple(steps), reported)

    def _outcome(self, event: Mapping[str, Any]) -> tuple[Outcome, str] | None:
        """The outcome an event reports, with a note for the audit trail, or ``None``."""
        kind = event.get("event")
        if kind == "action" and self.handoff_action and event.get("name") == self.handoff_action:
            return Outcome.HANDED_OFF, f"rasa: {self.handoff_action} ran"
        if kind == "pause":
            return Outcome.HANDED_OFF, "rasa: conversation paused"
        if kind == "resume":
            return Outcome.RETURNED_TO_BOT, "rasa: conversation resumed"
        return None

    def _slots(self, report: _Report, domain: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        events = [
            SlotSet(self.action_slot, report.action.value),
            SlotSet(self.reason_slot, report.reason),
        ]
        declared = domain.get("slots") if isinstance(domain, Mapping) else None
        if not isinstance(declared, Mapping) or self.route_slot in declared:
            events.append(SlotSet(self.route_slot, report.route))
        return events

    async def _notify(self, decision: Decision) -> None:
        if self.on_escalation is None:
            return
        try:
            context = self.escalator.handoff_context(decision)
            result = self.on_escalation(context)
            if inspect.isawaitable(result):
                await result
        except Exception:  # noqa: BLE001 - the host's callback must not break the bot either
            _log.exception("the on_escalation callback failed for %s", decision.conversation_id)


async def _state(escalator: Escalator, conversation_id: str) -> ConversationState | None:
    store = escalator.store
    if isinstance(store, AsyncStateStore):
        return await store.aget(conversation_id)
    return escalator.state(conversation_id)


def _in_step(state: ConversationState, turns: Sequence[_Said]) -> bool:
    """Whether the engine's memory is of the first ``state.turns`` turns of ``turns``."""
    seen = state.turns
    if seen > len(turns):
        return False
    stamps = [turn.ts for turn in turns[:seen] if turn.ts is not None]
    first, last = (stamps[0], stamps[-1]) if stamps else (None, None)
    if not (_same_ts(state.first_ts, first) and _same_ts(state.last_ts, last)):
        return False
    for recent in state.handoff.recent:  # the last few turns it remembers, cut short
        if recent.turn_index >= seen:
            return False
        turn = turns[recent.turn_index]
        if turn.role.value != recent.role or not turn.text.startswith(recent.text):
            return False
    return True


def _seconds(timestamp: object) -> float | None:
    """An event's timestamp (Unix seconds), or ``None`` when it has none."""
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        seconds = float(timestamp)
        return seconds if math.isfinite(seconds) else None
    return None


def _same_ts(remembered: float | None, told: float | None) -> bool:
    if remembered is None or told is None:
        return remembered is told
    return math.isclose(remembered, told, rel_tol=0.0, abs_tol=_TS_TOLERANCE)


def _report(decisions: Sequence[Decision], reported: models.Action | None) -> _Report:
    """Report the last decision; announce it if it escalates beyond what was reported."""
    last = decisions[-1]
    before = decisions[0].previous_action if reported is None else reported
    announce = None
    if last.action.rank > before.rank:
        # Several turns may have been fed: announce from the turn that reached this level,
        # whose message says so (later turns at the same level carry none).
        announce = last
        for decision in reversed(decisions):
            if decision.action is not last.action:
                break
            announce = decision
    reason = last.reasons[0].code.value if last.reasons else None
    return _Report(last.action, reason, last.route, announce)


def _remembered(state: ConversationState | None) -> _Report:
    """What the engine last decided, from its memory (no new turn to decide on)."""
    if state is None:
        return _CONTINUE
    memory = state.escalation
    action = memory.last_action
    if action is models.Action.HANDOFF:
        reasons = memory.handoff_reasons
        reason = reasons[0].code.value if reasons else None
        return _Report(action, reason, memory.handoff_route)
    if action is models.Action.OFFER_HUMAN:
        return _Report(action, memory.open_offer[0] if memory.open_offer else None, None)
    return _CONTINUE


def _action_or_none(value: object) -> models.Action | None:
    if isinstance(value, str) and value in _ACTIONS:
        return models.Action(value)
    return None
