"""The action server's actions for the example bot.

Run the action server from this folder (needs `pip install 'escalate[rasa]'`):

    python -m rasa_sdk --actions actions

It finds every `Action` subclass here and builds it without arguments: the escalation check
is configured in a subclass that keeps the name `action_escalation_check`, so it replaces the
unconfigured one the server also finds.
"""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from escalate import Escalator, HandoffContext
from escalate.integrations.rasa import EscalationCheckAction

# One engine per worker process. With several workers, give it a shared state store; without
# one, a worker that missed turns replays them from the tracker.
ESCALATOR = Escalator()
HANDOFF_ACTION = "action_handoff_to_human"


def open_ticket(context: HandoffContext) -> None:
    """Called once per escalation: here a real bot creates a ticket or pages the queue."""
    print(f"  [ticket] {context.action.value} for {context.conversation_id}")
    print(f"  [ticket] goal: {context.goal}")
    print(f"  [ticket] why: {', '.join(reason.code.value for reason in context.reasons)}")


class ActionEscalationCheck(EscalationCheckAction):
    """`action_escalation_check`, with this bot's engine, handoff action and callback."""

    def __init__(self) -> None:
        super().__init__(ESCALATOR, handoff_action=HANDOFF_ACTION, on_escalation=open_ticket)


class ActionHandoffToHuman(Action):
    """Hands the chat to a person: a real bot calls its live-chat system here."""

    def name(self) -> str:
        return HANDOFF_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # Paused, Rasa keeps logging the customer's messages but the bot stays quiet until
        # the conversation is resumed (`resume`), which escalate reads as returned_to_bot.
        return [ConversationPaused()]
