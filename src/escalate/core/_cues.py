"""Cue names: conversational facts a detector reports and the policy acts on.

They live in the core because both sides read them: a detector raises a cue, the policy's
decision step reacts to it, and neither imports the other.
"""

from __future__ import annotations

from typing import Final

__all__ = ["BOT_QUESTION", "CUES", "HUMAN_OFFERED", "OFFER_DECLINED", "OPT_OUT", "WRAP_UP"]

OPT_OUT: Final = "opt_out"
"""The customer asked to stay with the bot ("please don't transfer me")."""
OFFER_DECLINED: Final = "offer_declined"
"""The customer said no to an offer of a human."""
HUMAN_OFFERED: Final = "human_offered"
"""A bot turn offered a human (so "yes" next counts as a request)."""
BOT_QUESTION: Final = "bot_question"
"""A bot turn asked something else (so "yes" next answers that question)."""
WRAP_UP: Final = "wrap_up_prompt"
"""A bot turn asked "anything else?" (read by the effort detector)."""

CUES: Final = frozenset({BOT_QUESTION, HUMAN_OFFERED, OFFER_DECLINED, OPT_OUT, WRAP_UP})
"""Every cue the built-in detectors raise."""
