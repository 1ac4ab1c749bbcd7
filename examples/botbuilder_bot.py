"""A Bot Framework FAQ bot that knows when to bring in a person (needs ``escalate[botbuilder]``).

``EscalationBotMiddleware`` sits in the adapter's pipeline: it scores what the customer writes
before the bot answers and what the bot answers before it is sent. This demo drives the bot
with botbuilder's ``TestAdapter``, offline, and prints what the customer sees, the
``handoff.initiate`` event the agent hub receives, and the hub's ``handoff.status`` answers:

- a customer who gets upset is offered a person, says yes, and is handed off; the hub accepts,
  the bot stays quiet while the agent helps, and answers again once the hub says ``completed``;
- a bot stuck on its fallback hands off instead of failing a third time; the hub reports that
  no one is available, so the customer is told and the bot carries on.

In production, use ``CloudAdapter`` (``botbuilder-integration-aiohttp``) instead of
``TestAdapter``; the middleware is the same.
"""

import asyncio
import logging

import structlog
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from escalate import Escalator, HandoffContext
from escalate.integrations.botbuilder import (
    HANDOFF_INITIATE,
    EscalationBotMiddleware,
    create_handoff_status,
)

FALLBACK = "Sorry, I didn't understand that. Could you rephrase?"
FAQ = {
    "hours": "We're open 9:00 to 17:00, Monday to Friday.",
    "refund": "Refunds reach your account within 5 working days of the return.",
}


class FaqBot(ActivityHandler):
    """Answers two questions; says its fallback to anything else."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        text = (turn_context.activity.text or "").lower()
        answer = next((reply for word, reply in FAQ.items() if word in text), FALLBACK)
        await turn_context.send_activity(answer)


def open_ticket(context: HandoffContext) -> None:
    """Called once per escalation: this is where a ticket would be opened."""
    print(f"  [on_escalation: {context.action.value}, {len(context.last_turns)} turns of context]")


class Chat:
    """One customer's conversation with the bot, through botbuilder's TestAdapter."""

    def __init__(self, conversation_id: str, escalator: Escalator) -> None:
        template = Activity(
            channel_id="webchat",
            service_url="https://example.invalid/",
            locale="en-GB",
            from_property=ChannelAccount(id="customer-1", name="Customer"),
            recipient=ChannelAccount(id="faq-bot", name="FAQ bot"),
            conversation=ConversationAccount(id=conversation_id),
        )
        bot = FaqBot()
        self.adapter = TestAdapter(bot.on_turn, template)
        self.adapter.use(EscalationBotMiddleware(escalator, on_escalation=open_ticket))

    async def customer(self, text: str) -> None:
        print(f"customer: {text}")
        await self.adapter.receive_activity(text)
        if not self._show():
            print("          (the bot stays quiet: a person has the conversation)")

    async def hub(self, state: str) -> None:
        """The agent hub reports on the handoff."""
        print(f"hub:      handoff.status {state}")
        conversation = self.adapter.template.conversation
        await self.adapter.receive_activity(create_handoff_status(conversation, state))
        self._show()

    def _show(self) -> bool:
        """Print what the bot sent; whether it sent anything."""
        sent = list(self.adapter.activity_buffer)
        self.adapter.activity_buffer.clear()
        for activity in sent:
            if activity.name == HANDOFF_INITIATE:
                _show_handoff(activity)
            else:
                for number, line in enumerate(activity.text.split("\n")):
                    print(f"{'bot:' if number == 0 else '':<10}{line}".rstrip())
        return bool(sent)


def _show_handoff(event: Activity) -> None:
    """What the agent hub receives: the handoff context, and a transcript as an attachment."""
    context = event.value
    print(f"  [{HANDOFF_INITIATE} event for the agent hub, route {context['route']}]")
    for line in context["summary"].splitlines():
        print(f"    {line}")
    (attachment,) = event.attachments
    print(f"    {attachment.name} ({attachment.content_type}):")
    for activity in attachment.content.activities:
        said = " ".join(activity.text.split())
        print(f"      {activity.from_property.role}: {said}")


async def main() -> None:
    escalator = Escalator()

    print("--- an upset customer takes the offer of a person")
    chat = Chat("conversation-1", escalator)
    await chat.customer("hi, where is my refund?")
    await chat.customer("I'm frustrated, where is it?")
    await chat.customer("yes please")
    await chat.hub("accepted")
    await chat.customer("hello? are you there?")
    await chat.hub("completed")
    await chat.customer("thanks! and what are your opening hours?")

    print("--- a bot stuck on its fallback; no one is available")
    chat = Chat("conversation-2", escalator)
    for text in ("I need to pause my plan", "pause subscription", "PAUSE IT"):
        await chat.customer(text)
    await chat.hub("failed")
    await chat.customer("ok, what about a refund?")


if __name__ == "__main__":
    # Decision events are info-level structlog events; this demo keeps only warnings.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )
    asyncio.run(main())
