"""Microsoft Bot Framework (``botbuilder-core``) middleware that knows when to bring in a person.

Add ``EscalationBotMiddleware`` to your adapter (``adapter.use(...)``). On every ``message``
activity it scores the customer's message before your bot's logic runs, and each message your
bot sends in reply before it leaves:

- on a new **handoff** it calls your ``on_escalation`` callback with the ``HandoffContext``,
  sends the policy's message and a ``handoff.initiate`` event (the Bot Framework handoff
  protocol) carrying the context and a transcript, and does not run your bot's logic for an
  answer nobody will send;
- on a new **offer** of a person it calls the callback and appends the policy's message to
  the bot's reply ("Would you like me to connect you with a person?");
- when the bot's own reply tips the conversation (its third fallback in a row), the reply is
  replaced by the handoff message and the ``handoff.initiate`` event follows it;
- while a person has the conversation, the bot's logic does not run on the customer's
  messages.

The agent hub answers with ``handoff.status`` events; the middleware reports each state to the
engine (``status_outcomes``):

- ``accepted``: ``handed_off``; the bot stays quiet, a person has the conversation;
- ``failed``: ``returned_to_bot``; the customer is told no one can take over
  (``unavailable_message``) and the bot answers again, so asking again starts a new handoff;
- ``completed``: ``returned_to_bot``; the bot answers again.

The ``handoff.status`` event then goes on to your bot's logic as usual. Only message turns are
scored: messages your bot sends on other activities (a welcome on ``conversationUpdate``, a
proactive message) are not.

The ``botbuilder`` packages for Python have no ``EventFactory`` (the .NET and JavaScript SDKs
do): ``create_handoff_initiation`` and ``create_handoff_status`` build the same events.

A failure inside escalate (or in your callback) is logged on the
``escalate.integrations.botbuilder`` logger and never breaks the turn: the bot answers as if
escalate were not there. Your bot's own errors are not caught.

Examples:
    >>> import asyncio
    >>> from botbuilder.core import TurnContext
    >>> from botbuilder.core.adapters import TestAdapter
    >>> from escalate import Escalator
    >>> from escalate.integrations.botbuilder import EscalationBotMiddleware
    >>> async def bot(context: TurnContext) -> None:
    ...     await context.send_activity("Your order arrives on Thursday.")
    >>> adapter = TestAdapter(bot).use(EscalationBotMiddleware(Escalator()))
    >>> def say(text):  # what the customer's message makes the bot send
    ...     asyncio.run(adapter.receive_activity(text))
    ...     sent = [activity.name or activity.text for activity in adapter.activity_buffer]
    ...     adapter.activity_buffer.clear()
    ...     return sent
    >>> say("where is my order?")
    ['Your order arrives on Thursday.']
    >>> say("let me talk to a person")
    ["I'm connecting you with a colleague now.", 'handoff.initiate']
    >>> say("hello?")  # a person has the conversation now
    []
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final

from escalate.exceptions import MissingDependencyError
from escalate.handoff import HandoffContext
from escalate.middleware import MiddlewareBase, ReplyMode
from escalate.models import Action, Decision, Outcome, Role, Turn

try:
    from botbuilder.core import Middleware, TurnContext
    from botbuilder.schema import (
        Activity,
        ActivityTypes,
        Attachment,
        ChannelAccount,
        RoleTypes,
        Transcript,
    )
except ImportError as error:
    raise MissingDependencyError("the Bot Framework middleware", "botbuilder") from error

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from pydantic import JsonValue

    from escalate.engine import Escalator
    from escalate.handoff import HandoffTurn
    from escalate.middleware import Mode

__all__ = [
    "HANDOFF_INITIATE",
    "HANDOFF_STATUS",
    "UNAVAILABLE_MESSAGE",
    "EscalationBotMiddleware",
    "create_handoff_initiation",
    "create_handoff_status",
]

_log = logging.getLogger("escalate.integrations.botbuilder")

HANDOFF_INITIATE: Final = "handoff.initiate"
"""Name of the event a bot sends to ask the agent hub for a person."""
HANDOFF_STATUS: Final = "handoff.status"
"""Name of the event the agent hub sends back: ``accepted``, ``failed`` or ``completed``."""
UNAVAILABLE_MESSAGE: Final = (
    "I'm sorry, no one can take over right now. I'll keep helping you here, and you can ask "
    "for a person again at any time."
)
"""What the customer is told by default when the hub reports a failed handoff."""

OnEscalation = Callable[["HandoffContext"], Any]
"""Called with the context of a new escalation; may return an awaitable."""

_TRANSCRIPT_NAME: Final = "Transcript"
_JSON: Final = "application/json"


def create_handoff_initiation(
    turn_context: TurnContext, handoff_context: Any, transcript: Transcript | None = None
) -> Activity:
    """A ``handoff.initiate`` event for the conversation of ``turn_context``.

    The Bot Framework handoff protocol's request for a person, as the .NET and JavaScript
    SDKs' ``EventFactory.createHandoffInitiation`` build it: ``value`` is ``handoff_context``
    (what the agent hub routes on: keep it to JSON values), and the ``transcript``, if any,
    rides as an ``application/json`` attachment named ``Transcript``.

    Args:
        turn_context: the turn the handoff starts in.
        handoff_context: the hub-specific context (escalate sends ``HandoffContext`` as JSON).
        transcript: the conversation so far.
    """
    incoming = turn_context.activity
    attachments = []
    if transcript is not None:
        attachments.append(
            Attachment(content_type=_JSON, name=_TRANSCRIPT_NAME, content=transcript)
        )
    return Activity(
        type=ActivityTypes.event,
        name=HANDOFF_INITIATE,
        value=handoff_context,
        attachments=attachments,
        timestamp=datetime.now(UTC),
        from_property=incoming.from_property,
        conversation=incoming.conversation,
        relates_to=TurnContext.get_conversation_reference(incoming),
        reply_to_id=incoming.id,
        service_url=incoming.service_url,
        channel_id=incoming.channel_id,
    )


def create_handoff_status(conversation: Any, state: str, message: str | None = None) -> Activity:
    """A ``handoff.status`` event, as an agent hub sends it (for tests and for hubs you write).

    Args:
        conversation: the ``ConversationAccount`` being handed over.
        state: ``accepted``, ``failed`` or ``completed``.
        message: a note, for a failed handoff (why).
    """
    value: dict[str, str] = {"state": state}
    if message is not None:
        value["message"] = message
    return Activity(
        type=ActivityTypes.event,
        name=HANDOFF_STATUS,
        value=value,
        conversation=conversation,
        timestamp=datetime.now(UTC),
    )


@dataclass(slots=True)
class _Turn:
    """What a message turn decided so far (the hook on outgoing activities reads and updates it)."""

    conversation_id: str | None
    """``None``: escalate could not score the customer's message and stays out of the turn."""
    pending: Decision | None = None
    """The customer's message escalated; the bot's next message carries the news."""
    pending_context: HandoffContext | None = None
    silenced: bool = False
    """A handoff was sent this turn: the bot's further messages are not."""


class EscalationBotMiddleware(MiddlewareBase, Middleware):  # type: ignore[misc]  # no type information
    """Bot Framework middleware: score every message turn, hand off through the handoff protocol.

    Register it before middleware that should see what the customer is actually sent (the
    reply with the offer appended, the handoff message instead of the bot's answer)::

        adapter.use(EscalationBotMiddleware(escalator, on_escalation=open_ticket))

    Args:
        escalator: the engine (default: ``Escalator()`` with the bundled policy). Every
            instance of the bot must share its state store.
        on_escalation: called once per escalation with the ``HandoffContext`` (it may be
            async): open the ticket, page the queue.
        offer: what an offer does to the bot's reply (default: appended to it).
        handoff: what a handoff does to the bot's reply (default: replaces it, and the bot's
            logic does not run for that turn).
        unavailable_message: told to the customer when the hub reports a failed handoff
            (``None``: say nothing; your bot may answer the ``handoff.status`` event itself).

    ``status_outcomes`` maps each ``handoff.status`` state to the outcome reported to the
    engine; a subclass can change it, as it can ``conversation_id`` and ``turn_meta``.
    """

    status_outcomes: ClassVar[Mapping[str, Outcome]] = MappingProxyType(
        {
            "accepted": Outcome.HANDED_OFF,
            "failed": Outcome.RETURNED_TO_BOT,
            "completed": Outcome.RETURNED_TO_BOT,
        }
    )

    log = _log

    def __init__(
        self,
        escalator: Escalator | None = None,
        *,
        on_escalation: OnEscalation | None = None,
        offer: ReplyMode | Mode = ReplyMode.APPEND,
        handoff: ReplyMode | Mode = ReplyMode.REPLACE,
        unavailable_message: str | None = UNAVAILABLE_MESSAGE,
    ) -> None:
        super().__init__(escalator, on_escalation, offer, handoff)
        self.unavailable_message = unavailable_message

    def conversation_id(self, context: TurnContext) -> str:
        """The engine's conversation id for a turn: the activity's conversation id."""
        return str(context.activity.conversation.id)

    def turn_meta(self, activity: Activity) -> dict[str, JsonValue]:
        """The ``meta`` of the customer's turn, for the policy's ``meta`` conditions.

        ``channel`` (the channel id) and ``locale`` when the activity has them; override to add
        your own (a customer tier, ``agents_available``).
        """
        meta: dict[str, JsonValue] = {}
        if isinstance(activity.channel_id, str) and activity.channel_id:
            meta["channel"] = activity.channel_id
        if isinstance(activity.locale, str) and activity.locale:
            meta["locale"] = activity.locale
        return meta

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[Any]]) -> None:
        """Score a message turn around the bot's logic; follow ``handoff.status`` events."""
        activity = context.activity
        if activity.type == ActivityTypes.event and activity.name == HANDOFF_STATUS:
            await self._follow_status(context)
            await logic()
            return
        if activity.type != ActivityTypes.message:
            await logic()
            return
        turn = await self._customer_turn(context)
        if turn is None:
            return  # handed off: a person has the conversation, or just got it
        conversation_id = turn.conversation_id
        if conversation_id is not None:
            context.on_send_activities(
                lambda ctx, activities, next_send: self._on_send(
                    ctx, activities, next_send, conversation_id, turn
                )
            )
        await logic()
        if turn.pending is not None:
            await self._announce_alone(context, turn)

    async def _customer_turn(self, context: TurnContext) -> _Turn | None:
        """Score the customer's message; ``None`` when the bot's logic must not run."""
        activity = context.activity
        try:
            conversation_id = self.conversation_id(context)
            text = activity.text
            if not isinstance(text, str) or not text.strip():
                # A card submission or an attachment: nothing to score, but not for the bot
                # to answer while a person has the conversation either.
                return None if await self._handed_off(conversation_id) else _Turn(conversation_id)
            turn = Turn(
                role=Role.USER,
                text=text,
                ts=activity.timestamp if isinstance(activity.timestamp, datetime) else None,
                meta=self.turn_meta(activity),
            )
            decision = await self.escalator.aevaluate(conversation_id, turn)
        except Exception:  # noqa: BLE001 - escalate must never break the bot
            _log.exception("escalate could not score the customer's message; the bot answers")
            return _Turn(None)
        handoff_context = await self.anotify(decision) if self.escalated(decision) else None
        if self.skips_handler(decision):
            if self.escalated(decision):
                await self._hand_off(context, decision, handoff_context)
            return None
        if self.escalated(decision):
            return _Turn(conversation_id, decision, handoff_context)
        return _Turn(conversation_id)

    async def _hand_off(
        self, context: TurnContext, decision: Decision, handoff_context: HandoffContext | None
    ) -> None:
        """Tell the customer, and ask the hub for a person (the bot's logic does not run)."""
        message = self.compose(None, decision)
        activities = [] if message is None else [Activity(type=ActivityTypes.message, text=message)]
        activities.extend(self._initiation(context, handoff_context))
        if activities:
            await context.send_activities(activities)

    async def _announce_alone(self, context: TurnContext, turn: _Turn) -> None:
        """The bot said nothing this turn: the customer still hears of the escalation."""
        decision, handoff_context = turn.pending, turn.pending_context
        assert decision is not None
        turn.pending = turn.pending_context = None
        message = self.compose(None, decision)
        activities = [] if message is None else [Activity(type=ActivityTypes.message, text=message)]
        if decision.action is Action.HANDOFF:
            activities.extend(self._initiation(context, handoff_context))
        if activities:
            # Through the hook: the engine sees the offer it made (a "yes" then accepts it).
            await context.send_activities(activities)

    async def _on_send(
        self,
        context: TurnContext,
        activities: list[Activity],
        next_send: Callable[[], Awaitable[Any]],
        conversation_id: str,
        turn: _Turn,
    ) -> Any:
        """Score the bot's messages before they leave; rewrite them (in place) on an escalation.

        botbuilder sends the list its hooks were given, after every hook ran: a hook changes
        what is sent by changing that list.
        """
        try:
            activities[:] = await self._review(context, activities, conversation_id, turn)
        except Exception:  # noqa: BLE001 - escalate must never break the bot
            _log.exception("escalate could not review the bot's reply in %s", conversation_id)
        return await next_send()

    async def _review(
        self,
        context: TurnContext,
        activities: Sequence[Activity],
        conversation_id: str,
        turn: _Turn,
    ) -> list[Activity]:
        """What to send instead of ``activities``."""
        reviewed: list[Activity] = []
        for activity in activities:
            is_message = activity.type == ActivityTypes.message
            if turn.silenced and is_message:
                continue  # a person has the conversation now
            text = activity.text if is_message else None
            if not isinstance(text, str) or not text.strip():
                reviewed.append(activity)
                continue
            announced: list[tuple[Decision, HandoffContext | None]] = []
            if turn.pending is not None:
                announced.append((turn.pending, turn.pending_context))
                text = self.compose(text, turn.pending) or text
                turn.pending = turn.pending_context = None
            after = await self._score_reply(conversation_id, text)
            if self.escalated(after):  # the bot's own answer tipped it (its third fallback)
                announced.append((after, await self.anotify(after)))
                text = self.compose(text, after) or text
            if any(self.replaces(decision) for decision, _ in announced):
                # The bot's answer is not sent: neither are its cards, buttons or speech.
                activity.attachments = activity.suggested_actions = activity.speak = None
            activity.text = text
            reviewed.append(activity)
            handoff = [item for item in announced if item[0].action is Action.HANDOFF]
            if handoff:
                reference = TurnContext.get_conversation_reference(context.activity)
                # Addressed as botbuilder addresses what the bot sends.
                reviewed.extend(
                    TurnContext.apply_conversation_reference(event, reference)
                    for event in self._initiation(context, handoff[-1][1])
                )
                turn.silenced = True
        return reviewed

    async def _score_reply(self, conversation_id: str, text: str) -> Decision | None:
        try:
            return await self.escalator.aevaluate(conversation_id, Turn(role=Role.BOT, text=text))
        except Exception:  # noqa: BLE001 - escalate must never break the bot
            _log.exception("escalate could not score the bot's reply in %s", conversation_id)
            return None

    def _initiation(
        self, context: TurnContext, handoff_context: HandoffContext | None
    ) -> list[Activity]:
        """The ``handoff.initiate`` event for a handoff (bare if the context failed)."""
        try:
            if handoff_context is None:
                return [create_handoff_initiation(context, None)]
            return [
                create_handoff_initiation(
                    context,
                    handoff_context.model_dump(mode="json"),
                    _transcript(context, handoff_context.last_turns),
                )
            ]
        except Exception:  # noqa: BLE001 - escalate must never break the bot
            _log.exception("escalate could not build the handoff.initiate event")
            return []

    async def _handed_off(self, conversation_id: str) -> bool:
        state = await self.escalator.astate(conversation_id)
        return state is not None and state.escalation.last_action is Action.HANDOFF

    async def _follow_status(self, context: TurnContext) -> None:
        """Report a ``handoff.status`` event's state to the engine (``status_outcomes``)."""
        activity = context.activity
        value = activity.value
        state = value.get("state") if isinstance(value, Mapping) else None
        outcome = self.status_outcomes.get(state) if isinstance(state, str) else None
        if outcome is None:
            _log.warning("ignoring a handoff.status event with state %r", state)
            return
        note = f"botbuilder: handoff.status {state}"
        hub_message = value.get("message") if isinstance(value, Mapping) else None
        if isinstance(hub_message, str) and hub_message:
            note += f" ({hub_message})"
        try:
            await self.escalator.arecord_outcome(self.conversation_id(context), outcome, note)
        except Exception:  # noqa: BLE001 - escalate must never break the bot
            _log.exception("escalate could not record the handoff.status %s", state)
        if state == "failed" and self.unavailable_message:
            # No one came: the customer must not be left waiting for a person.
            await context.send_activity(self.unavailable_message)


def _transcript(context: TurnContext, turns: Sequence[HandoffTurn]) -> Transcript:
    """The last turns (redacted), as message activities from the customer and the bot."""
    incoming = context.activity
    customer = incoming.from_property
    bot = incoming.recipient
    activities = []
    for turn in turns:
        if turn.role is Role.USER:
            who = _account(customer, RoleTypes.user.value)
        elif turn.role is Role.BOT:
            who = _account(bot, RoleTypes.bot.value)
        else:  # a human agent, or a system note the host fed
            who = ChannelAccount(name=turn.role.value, role=turn.role.value)
        activities.append(
            Activity(
                type=ActivityTypes.message,
                text=turn.text,
                timestamp=turn.ts,
                from_property=who,
                conversation=incoming.conversation,
                channel_id=incoming.channel_id,
            )
        )
    return Transcript(activities=activities)


def _account(account: ChannelAccount | None, role: str) -> ChannelAccount:
    if account is None:
        return ChannelAccount(role=role)
    return ChannelAccount(id=account.id, name=account.name, role=role)
