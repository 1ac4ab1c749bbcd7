"""Conversation state and where it is kept between turns."""

from escalate.state._outage import offline_note
from escalate.state.conversation import SCHEMA_VERSION, ConversationState
from escalate.state.memory import InMemoryStore

__all__ = ["SCHEMA_VERSION", "ConversationState", "InMemoryStore", "offline_note"]
