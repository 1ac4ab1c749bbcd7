"""The generic middleware around a bot handler, sync and async."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from escalate import Escalator
from escalate.middleware import AsyncEscalationMiddleware, EscalationMiddleware
from escalate.models import Action
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from escalate.handoff import HandoffContext

OFFER = "Would you like me to connect you with a person?"
HANDOFF = "I'm connecting you with a colleague now."


class Bot:
    """A scripted bot that records what it was asked."""

    def __init__(self, reply: str = "Your order arrives on Thursday.") -> None:
        self.reply = reply
        self.asked: list[str] = []

    def __call__(self, conversation_id: str, text: str) -> str:
        self.asked.append(text)
        return self.reply


@pytest.fixture
def esc() -> Escalator:
    return Escalator(logger=quiet_logger())


def test_a_routine_turn_passes_through(esc):
    bot = Bot()
    chat = EscalationMiddleware(bot, escalator=esc)
    assert chat("c", "where is my order?") == "Your order arrives on Thursday."
    assert bot.asked == ["where is my order?"]
    assert esc.state("c").turns == 2  # the customer's turn and the bot's reply were scored


def test_a_handoff_replaces_the_reply_once_and_then_the_bot_is_quiet(esc):
    bot = Bot()
    contexts: list[HandoffContext] = []
    chat = EscalationMiddleware(bot, escalator=esc, on_escalation=contexts.append)
    chat("c", "where is my order?")
    assert chat("c", "I want to talk to a human") == HANDOFF
    assert bot.asked == ["where is my order?"]  # not asked for an answer nobody will send
    assert chat("c", "hello? anyone?") is None
    assert bot.asked == ["where is my order?"]
    (context,) = contexts
    assert context.action is Action.HANDOFF
    assert context.goal == "where is my order?"


def test_an_offer_is_appended_once_not_every_turn(esc):
    bot = Bot("Let me check that for you.")
    contexts: list[HandoffContext] = []
    chat = EscalationMiddleware(bot, escalator=esc, on_escalation=contexts.append)
    first = chat("c", "I'm frustrated, it doesn't work")
    assert first == f"Let me check that for you.\n\n{OFFER}"
    second = chat("c", "it still doesn't work")
    assert OFFER not in second
    assert [c.action for c in contexts] == [Action.OFFER_HUMAN]


def test_accepting_the_offer_hands_off(esc):
    contexts: list[HandoffContext] = []
    chat = EscalationMiddleware(Bot("Let me check."), escalator=esc, on_escalation=contexts.append)
    chat("c", "I'm frustrated, it doesn't work")
    assert chat("c", "yes please") == HANDOFF  # the appended offer was scored as the bot's
    assert [c.action for c in contexts] == [Action.OFFER_HUMAN, Action.HANDOFF]


def test_the_bots_own_fallbacks_escalate(esc):
    bot = Bot("Sorry, I didn't understand that. Could you rephrase?")
    contexts: list[HandoffContext] = []
    chat = EscalationMiddleware(bot, escalator=esc, on_escalation=contexts.append)
    replies = [chat("c", text) for text in ("cancel my plan", "cancel plan", "CANCEL")]
    escalated = [reply for reply in replies if reply != bot.reply]
    assert escalated, replies
    assert contexts
    assert any("did not understand" in item for item in contexts[-1].tried)


@pytest.mark.parametrize(
    ("offer", "expected"),
    [("keep", "Let me check."), ("replace", OFFER), ("append", f"Let me check.\n\n{OFFER}")],
)
def test_offer_modes(esc, offer, expected):
    chat = EscalationMiddleware(Bot("Let me check."), escalator=esc, offer=offer)
    assert chat("c", "I'm frustrated, it doesn't work") == expected


def test_handoff_append_mode_asks_the_bot_and_adds_the_message(esc):
    chat = EscalationMiddleware(Bot("One moment."), escalator=esc, handoff="append")
    assert chat("c", "get me a human") == f"One moment.\n\n{HANDOFF}"


def test_returned_to_bot_resumes_automation(esc):
    bot = Bot()
    chat = EscalationMiddleware(bot, escalator=esc)
    chat("c", "agent please")
    assert chat("c", "hi") is None
    esc.record_outcome("c", "returned_to_bot")
    assert chat("c", "where is my order?") == bot.reply


def test_a_failing_callback_is_logged_and_the_reply_still_goes_out(esc, caplog):
    def broken(context):
        raise RuntimeError("ticket system down")

    chat = EscalationMiddleware(Bot(), escalator=esc, on_escalation=broken)
    with caplog.at_level(logging.ERROR, logger="escalate.middleware"):
        assert chat("c", "I want a human") == HANDOFF
    assert "on_escalation callback failed for c" in caplog.text


def test_escalate_failing_never_breaks_the_bot(esc, caplog, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(esc, "evaluate", explode)
    bot = Bot()
    chat = EscalationMiddleware(bot, escalator=esc)
    with caplog.at_level(logging.ERROR, logger="escalate.middleware"):
        assert chat("c", "I want a human") == bot.reply
    assert "could not score a user turn of c" in caplog.text


def test_bad_input_is_logged_not_raised(esc, caplog):
    bot = Bot()
    chat = EscalationMiddleware(bot, escalator=esc)
    with caplog.at_level(logging.ERROR, logger="escalate.middleware"):
        assert chat("", "hello") == bot.reply  # an empty conversation id
    assert "could not score" in caplog.text


def test_the_bots_own_errors_are_not_swallowed(esc):
    def broken_bot(conversation_id, text):
        raise KeyError("bot bug")

    with pytest.raises(KeyError, match="bot bug"):
        EscalationMiddleware(broken_bot, escalator=esc)("c", "where is my order?")


def test_a_default_escalator_is_built():
    assert isinstance(EscalationMiddleware(Bot()).escalator, Escalator)


class TestAsync:
    @pytest.mark.anyio
    async def test_handoff_with_an_async_callback(self, esc):
        asked: list[str] = []
        contexts: list[HandoffContext] = []

        async def bot(conversation_id, text):
            asked.append(text)
            return "Sure."

        async def notify(context):
            contexts.append(context)

        chat = AsyncEscalationMiddleware(bot, escalator=esc, on_escalation=notify)
        assert await chat("c", "where is my order?") == "Sure."
        assert await chat("c", "let me speak to an agent") == HANDOFF
        assert await chat("c", "hello?") is None
        assert asked == ["where is my order?"]
        assert [c.action for c in contexts] == [Action.HANDOFF]

    @pytest.mark.anyio
    async def test_offer_with_a_sync_callback_and_a_failing_one(self, esc, caplog):
        async def bot(conversation_id, text):
            return "Let me check."

        contexts: list[HandoffContext] = []
        chat = AsyncEscalationMiddleware(bot, escalator=esc, on_escalation=contexts.append)
        assert await chat("c", "I'm frustrated, it doesn't work") == f"Let me check.\n\n{OFFER}"
        assert len(contexts) == 1

        async def broken(context):
            raise RuntimeError("queue down")

        other = AsyncEscalationMiddleware(bot, escalator=esc, on_escalation=broken)
        with caplog.at_level(logging.ERROR, logger="escalate.middleware"):
            assert await other("d", "human now") == HANDOFF
        assert "on_escalation callback failed for d" in caplog.text


def test_an_async_callback_on_the_sync_middleware_is_reported_not_left_unawaited(esc, caplog):
    async def notify(context):
        raise AssertionError("must not run")

    chat = EscalationMiddleware(Bot(), escalator=esc, on_escalation=notify)
    with caplog.at_level(logging.ERROR, logger="escalate.middleware"):
        assert chat("c", "I want a human") == HANDOFF
    assert "on_escalation is async but the bot runs synchronously" in caplog.text
