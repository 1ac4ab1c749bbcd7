from __future__ import annotations

import pytest
from pydantic import ValidationError

from escalate import ConversationState, Escalator
from escalate.testing import run_conversation

BUSY_CONVERSATION = [
    ("user", "I changed my phone number and can't log in, the code goes to my old number"),
    ("bot", "We've sent a verification code to the number ending in 42. Please enter it."),
    ("user", "I told you, I don't have that phone anymore!!! This is ridiculous"),
    ("bot", "Sorry, I didn't understand. Can you rephrase?"),
    ("user", "my husband passed away and the account was in his name"),
    ("bot", "Is there anything else I can help with?"),
]


def test_state_round_trips_through_json(esc: Escalator) -> None:
    run_conversation(esc, BUSY_CONVERSATION, conversation_id="c")
    state = esc.state("c")
    assert state is not None
    restored = ConversationState.from_json(state.to_json())
    assert restored == state


def test_foreign_json_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ConversationState.from_json(b'{"conversation_id": 5, "turns": "many"}')


def test_state_stays_small_however_long_the_conversation(esc: Escalator) -> None:
    # The memory is bounded: recent texts are few and cut short, evidence is capped.
    for round_number in range(40):
        run_conversation(esc, BUSY_CONVERSATION, conversation_id="long")
        size_now = len(esc.state("long").to_json())  # type: ignore[union-attr]
        if round_number == 0:
            first_size = size_now
    assert size_now <= 4096
    assert size_now < first_size * 1.5
