"""Wrap any bot handler ``handle(conversation_id, user_text) -> reply`` with escalation.

On every turn the middleware scores the customer's message before the handler runs and the
bot's reply before it is sent. When the decision escalates (an offer of a person, or a
handoff), it calls your ``on_escalation`` callback once with the ``HandoffContext`` and puts
the policy's message in the reply: appended to the bot's answer for an offer, in place of it
for a handoff. After a handoff, the bot stays quiet (the wrapped handler returns ``None``): a
person has the conversation until you report ``returned_to_bot``.

A failure inside escalate (or in your callback) is logged and never breaks the bot: the
handler's reply goes out as if escalate were not there. The bot's own errors are not caught.

Examples:
    >>> from escalate import Escalator
    >>> from escalate.middleware import EscalationMiddleware
    >>> handed_off = []
    >>> def bot(conversation_id, text):
    ...     return "Your order arrives on Thursday."
    >>> chat = EscalationMiddleware(bot, escalator=Escalator(), on_escalation=handed_off.append)
    >>> chat("c-1", "where is my order?")
    'Your order arrives on Thursday.'
    >>> chat("c-1", "I want to talk to a real person")
    "I'm connecting you with a colleague now."
    >>> handed_off[0].goal, handed_off[0].action.value
    ('where is my order?', 'handoff')
    >>> chat("c-1", "hello?") is None  # a person has the conversation now
    True
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Generator
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, NamedTuple, TypeGuard, cast

from escalate.models import Action, Decision, Role, Turn

if TYPE_CHECKING:
    from escalate.engine import Escalator
    from escalate.handoff import HandoffContext

__all__ = [
    "Answer",
    "AsyncEscalationMiddleware",
    "EscalationMiddleware",
    "MiddlewareBase",
    "MiddlewareStep",
    "Notify",
    "ReplyMode",
    "Score",
]

_log = logging.getLogger("escalate.middleware")

Handler = Callable[[str, str], str]
AsyncHandler = Callable[[str, str], Awaitable[str]]
OnEscalation = Callable[["HandoffContext"], Any]
Mode = Literal["append", "replace", "keep"]


class ReplyMode(StrEnum):
    """What the policy's message does to the bot's reply."""

    APPEND = "append"
    """The bot's answer, then the message (an offer the customer can take or leave)."""
    REPLACE = "replace"
    """The message alone (a handoff: the bot's answer is not sent, the handler not called)."""
    KEEP = "keep"
    """The bot's answer alone: your callback tells the customer in its own way."""


class Score(NamedTuple):
    """A step of ``MiddlewareBase.turn_steps``: score a turn; the result is the decision.

    The result is ``None`` if escalate failed on the turn (``MiddlewareBase.score`` logs it).
    """

    role: Role
    text: str


class Notify(NamedTuple):
    """A step: call ``on_escalation`` for the decision (``MiddlewareBase.notify``)."""

    decision: Decision


class Answer(NamedTuple):
    """A step: ask the bot's handler for its reply; the result is the reply."""


_ANSWER: Final = Answer()
MiddlewareStep = Score | Notify | Answer
"""What ``MiddlewareBase.turn_steps`` yields: the points of a turn that may do I/O."""


class MiddlewareBase:
    """What every adapter that puts escalate around a bot shares; build your own on it.

    A turn is written once, as a generator of steps (``turn_steps`` yields ``Score``,
    ``Notify`` and ``Answer``, and receives each step's result), in the style of h11's
    sans-I/O core. A synchronous adapter runs a step by calling ``score``, ``notify`` or its
    handler; an asynchronous one by awaiting ``ascore``, ``anotify`` or its handler: the two
    differ only there. ``EscalationMiddleware`` and ``AsyncEscalationMiddleware`` are the
    reference runners; the bundled integrations (``escalate.integrations``) build on the same
    pieces with steps of their own.

    Subclasses may set ``log`` (the logger escalate's own failures go to) and ``sync_hint``
    (the end of the message logged when an async ``on_escalation`` meets a synchronous run).

    Args:
        escalator: the engine (default: ``Escalator()`` with the bundled policy).
        on_escalation: called once per escalation with the ``HandoffContext``.
        offer: what an offer does to the reply.
        handoff: what a handoff does to the reply.
    """

    log: ClassVar[logging.Logger] = _log
    sync_hint: ClassVar[str] = (
        "the bot runs synchronously: use the async API or pass a plain function"
    )

    def __init__(
        self,
        escalator: Escalator | None,
        on_escalation: OnEscalation | None,
        offer: ReplyMode | Mode,
        handoff: ReplyMode | Mode,
    ) -> None:
        if escalator is None:
            from escalate.engine import Escalator  # noqa: PLC0415 - loads the lexicons

            escalator = Escalator()
        self.escalator = escalator
        self.on_escalation = on_escalation
        self.modes = {Action.OFFER_HUMAN: ReplyMode(offer), Action.HANDOFF: ReplyMode(handoff)}

    @staticmethod
    def escalated(decision: Decision | None) -> TypeGuard[Decision]:
        """Whether ``decision`` escalates further than the conversation had (announce once)."""
        return decision is not None and decision.action.rank > decision.previous_action.rank

    def score(self, conversation_id: str, role: Role, text: str) -> Decision | None:
        """Decide a turn; ``None`` (and a log) if escalate failed."""
        try:
            return self.escalator.evaluate(conversation_id, Turn(role=role, text=text))
        except Exception:  # escalate must never break the bot
            self.log.exception(
                "escalate could not score a %s turn of %s", role.value, conversation_id
            )
            return None

    async def ascore(self, conversation_id: str, role: Role, text: str) -> Decision | None:
        """Async twin of ``score``."""
        try:
            return await self.escalator.aevaluate(conversation_id, Turn(role=role, text=text))
        except Exception:  # escalate must never break the bot
            self.log.exception(
                "escalate could not score a %s turn of %s", role.value, conversation_id
            )
            return None

    def notify(self, decision: Decision) -> HandoffContext | None:
        """Build the handoff context and give it to ``on_escalation``; the context.

        ``None`` (and a log) if the context could not be built; a failing callback is logged.
        """
        try:
            context = self.escalator.handoff_context(decision)
        except Exception:  # escalate must never break the bot
            self.log.exception("escalate could not build the handoff context")
            return None
        if self.on_escalation is None:
            return context
        try:
            result = self.on_escalation(context)
        except Exception:  # the host's callback must not break the bot either
            self.log.exception("the on_escalation callback failed for %s", decision.conversation_id)
            return context
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never started: no "coroutine was never awaited" warning
            self.log.error(
                "on_escalation is async but %s; %s not notified",
                self.sync_hint,
                decision.conversation_id,
            )
        return context

    async def anotify(self, decision: Decision) -> HandoffContext | None:
        """Async twin of ``notify``: the state is read asynchronously, the callback awaited."""
        try:
            context = await self.escalator.ahandoff_context(decision)
        except Exception:  # escalate must never break the bot
            self.log.exception("escalate could not build the handoff context")
            return None
        if self.on_escalation is None:
            return context
        try:
            result = self.on_escalation(context)
            if inspect.isawaitable(result):
                await result
        except Exception:  # the host's callback must not break the bot either
            self.log.exception("the on_escalation callback failed for %s", decision.conversation_id)
        return context

    def replaces(self, decision: Decision) -> bool:
        """Whether the policy's message for ``decision`` takes the place of the bot's answer."""
        mode = self.modes.get(decision.action, ReplyMode.KEEP)
        return mode is ReplyMode.REPLACE and decision.message is not None

    def skips_handler(self, decision: Decision | None) -> bool:
        """Whether to skip the bot: a handoff replaces it, so nobody would send its answer."""
        if decision is None or decision.action is not Action.HANDOFF:
            return False
        if not self.escalated(decision):
            return True  # handed off earlier: a person has the conversation
        return self.replaces(decision)

    def turn_steps(self, user_text: str) -> Generator[MiddlewareStep, Any, str | None]:
        """One turn, as the steps that may do I/O; its result is the reply to send."""
        decision = yield Score(Role.USER, user_text)
        if self.escalated(decision):
            yield Notify(decision)
        if self.skips_handler(decision):
            return self.compose(None, decision) if self.escalated(decision) else None
        reply: str | None = yield _ANSWER
        if self.escalated(decision):
            reply = self.compose(reply, decision)
        if reply:
            after = yield Score(Role.BOT, reply)
            if self.escalated(after):  # the bot's own answer tipped it (its third fallback)
                yield Notify(after)
                reply = self.compose(reply, after)
        return reply

    def compose(self, reply: str | None, decision: Decision) -> str | None:
        """The reply with the policy's message for ``decision``, as its ``ReplyMode`` says."""
        message = decision.message
        mode = self.modes.get(decision.action, ReplyMode.KEEP)
        if message is None or mode is ReplyMode.KEEP:
            return reply
        if mode is ReplyMode.REPLACE or not reply:
            return str(message)
        return f"{reply}\n\n{message}"


class EscalationMiddleware(MiddlewareBase):
    """Wraps a synchronous handler ``handle(conversation_id, user_text) -> reply``.

    Args:
        handler: your bot.
        escalator: the engine (default: ``Escalator()`` with the bundled policy).
        on_escalation: called once per escalation with the ``HandoffContext``: create the
            ticket, page the queue, hand the chat to a person.
        offer: what an offer does to the reply (default: appended to the bot's answer).
        handoff: what a handoff does to the reply (default: replaces it).
    """

    def __init__(
        self,
        handler: Handler,
        *,
        escalator: Escalator | None = None,
        on_escalation: OnEscalation | None = None,
        offer: ReplyMode | Mode = ReplyMode.APPEND,
        handoff: ReplyMode | Mode = ReplyMode.REPLACE,
    ) -> None:
        super().__init__(escalator, on_escalation, offer, handoff)
        self.handler = handler

    def __call__(self, conversation_id: str, user_text: str) -> str | None:
        """The reply to send, or ``None`` when a person has the conversation."""
        steps = self.turn_steps(user_text)
        result: Any = None
        while True:
            try:
                step = steps.send(result)
            except StopIteration as done:
                return cast("str | None", done.value)
            if isinstance(step, Score):
                result = self.score(conversation_id, step.role, step.text)
            elif isinstance(step, Notify):
                self.notify(step.decision)
                result = None
            else:
                result = self.handler(conversation_id, user_text)


class AsyncEscalationMiddleware(MiddlewareBase):
    """Async twin of ``EscalationMiddleware``: an async handler; the callback may be async."""

    def __init__(
        self,
        handler: AsyncHandler,
        *,
        escalator: Escalator | None = None,
        on_escalation: OnEscalation | None = None,
        offer: ReplyMode | Mode = ReplyMode.APPEND,
        handoff: ReplyMode | Mode = ReplyMode.REPLACE,
    ) -> None:
        super().__init__(escalator, on_escalation, offer, handoff)
        self.handler = handler

    async def __call__(self, conversation_id: str, user_text: str) -> str | None:
        """The reply to send, or ``None`` when a person has the conversation."""
        steps = self.turn_steps(user_text)
        result: Any = None
        while True:
            try:
                step = steps.send(result)
            except StopIteration as done:
                return cast("str | None", done.value)
            if isinstance(step, Score):
                result = await self.ascore(conversation_id, step.role, step.text)
            elif isinstance(step, Notify):
                await self.anotify(step.decision)
                result = None
            else:
                result = await self.handler(conversation_id, user_text)
