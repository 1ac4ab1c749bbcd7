"""The Bot Framework middleware, run in botbuilder's own turn pipeline (its ``TestAdapter``).

Each test sends the customer's messages (and the agent hub's ``handoff.status`` events) through
``TestAdapter.receive_activity``, as a channel would, and reads what the bot sent from the
adapter's buffer.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    SuggestedActions,
    Transcript,
)

from escalate import Action, Escalator, InMemoryStore, Outcome
from escalate.integrations.botbuilder import (
    HANDOFF_INITIATE,
    HANDOFF_STATUS,
    UNAVAILABLE_MESSAGE,
    EscalationBotMiddleware,
    create_handoff_initiation,
    create_handoff_status,
)
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from collections.abc import Mapping

    from escalate.handoff import HandoffContext

ROOT = Path(__file__).parent.parent.parent
CONVERSATION = "conversation-1"
ANSWER = "Your order arrives on Thursday."
FALLBACK = "Sorry, I didn't understand that. Could you rephrase?"
OFFER = "Would you like me to connect you with a person?"
HANDOFF = "I'm connecting you with a colleague now."
UPSET = "I'm frustrated, it doesn't work"


class Bot:
    """The bot's logic: says its replies to every message, and remembers what it was given."""

    def __init__(self, *replies: str | Activity) -> None:
        self.replies = replies or (ANSWER,)
        self.heard: list[str | None] = []

    async def __call__(self, context: TurnContext) -> None:
        activity = context.activity
        self.heard.append(
            activity.text if activity.type == ActivityTypes.message else activity.name
        )
        if activity.type == ActivityTypes.message:
            for reply in self.replies:
                await context.send_activity(reply)


async def silent(context: TurnContext) -> None:
    """A bot that says nothing (it waits, or answers later)."""


def template(**fields: Any) -> Activity:
    """What the channel puts on every activity of the conversation."""
    values: dict[str, Any] = {
        "channel_id": "webchat",
        "service_url": "https://example.invalid/",
        "from_property": ChannelAccount(id="customer-1", name="Customer"),
        "recipient": ChannelAccount(id="bot-1", name="Bot"),
        "conversation": ConversationAccount(id=CONVERSATION),
    }
    values.update(fields)
    return Activity(**values)


def chat(bot: Any, middleware: EscalationBotMiddleware, **fields: Any) -> TestAdapter:
    adapter = TestAdapter(bot, template(**fields))
    adapter.use(middleware)
    return adapter


async def say(adapter: TestAdapter, said: str | Activity) -> list[Activity]:
    """Send the bot a message (or an activity); what it sent back."""
    await adapter.receive_activity(said)
    sent = list(adapter.activity_buffer)
    adapter.activity_buffer.clear()
    return sent


async def hub(adapter: TestAdapter, state: str, message: str | None = None) -> list[Activity]:
    """The agent hub reports on the handoff."""
    return await say(adapter, create_handoff_status(adapter.template.conversation, state, message))


def texts(sent: list[Activity]) -> list[str]:
    return [activity.text for activity in sent if activity.type == ActivityTypes.message]


def handoff_events(sent: list[Activity]) -> list[Activity]:
    return [
        activity
        for activity in sent
        if activity.type == ActivityTypes.event and activity.name == HANDOFF_INITIATE
    ]


class AsyncStore(InMemoryStore):
    """An in-memory store with the async access a networked store has; counts async reads."""

    def __init__(self) -> None:
        super().__init__()
        self.async_reads = 0

    async def aupdate(self, conversation_id: str, apply: Any) -> Any:
        return self.update(conversation_id, apply)

    async def aget(self, conversation_id: str) -> Any:
        self.async_reads += 1
        return self.get(conversation_id)

    async def adelete(self, conversation_id: str) -> None:
        self.delete(conversation_id)


@pytest.fixture
def contexts() -> list[HandoffContext]:
    return []


@pytest.fixture
def middleware(esc: Escalator, contexts: list[HandoffContext]) -> EscalationBotMiddleware:
    return EscalationBotMiddleware(esc, on_escalation=contexts.append)


class TestRoutineTurns:
    @pytest.mark.anyio
    async def test_a_routine_turn_passes_through_and_both_turns_are_scored(self, esc, middleware):
        bot = Bot()
        adapter = chat(bot, middleware)
        flow = await adapter.send("where is my order?")
        await flow.assert_reply(ANSWER)
        assert bot.heard == ["where is my order?"]
        state = esc.state(CONVERSATION)
        assert state is not None
        assert state.turns == 2  # the customer's message and the bot's reply

    @pytest.mark.anyio
    async def test_every_message_of_the_reply_is_scored_and_sent(self, esc, middleware):
        adapter = chat(Bot("Let me check.", ANSWER), middleware)
        assert texts(await say(adapter, "where is my order?")) == ["Let me check.", ANSWER]
        assert esc.state(CONVERSATION).turns == 3

    @pytest.mark.anyio
    async def test_the_timestamp_channel_and_locale_reach_the_engine(self, contexts):
        policy = {
            "extends": "default",
            "name": "german-webchat",
            "version": "1",
            "rules": [
                {
                    "id": "german-webchat",
                    "when": {
                        "all": [
                            {"meta": "channel", "equals": "webchat"},
                            {"meta": "locale", "equals": "de-DE"},
                        ]
                    },
                    "action": "offer_human",
                    "reason": "human_requested",
                }
            ],
        }
        esc = Escalator(policy, store=InMemoryStore(), logger=quiet_logger())
        middleware = EscalationBotMiddleware(esc, on_escalation=contexts.append)
        written = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        german = chat(Bot(), middleware, locale="de-DE")
        hallo = Activity(type=ActivityTypes.message, text="hallo", timestamp=written)
        assert texts(await say(german, hallo)) == [f"{ANSWER}\n\n{OFFER}"]
        assert esc.state(CONVERSATION).first_ts == written.timestamp()
        english = chat(Bot(), middleware, locale="en-GB", conversation=ConversationAccount(id="c2"))
        assert texts(await say(english, "hello")) == [ANSWER]

    @pytest.mark.anyio
    async def test_other_activities_reach_the_bot_unscored(self, esc, middleware):
        class Welcome(ActivityHandler):
            async def on_members_added_activity(self, members_added, turn_context):
                await turn_context.send_activity("Hi! I'm the help bot.")

        adapter = chat(Welcome().on_turn, middleware)
        update = Activity(
            type=ActivityTypes.conversation_update,
            members_added=[ChannelAccount(id="customer-1")],
        )
        assert texts(await say(adapter, update)) == ["Hi! I'm the help bot."]
        assert esc.state(CONVERSATION) is None


class TestHandoff:
    @pytest.mark.anyio
    async def test_asking_for_a_person_sends_the_message_and_the_handoff_event(
        self, middleware, contexts
    ):
        bot = Bot()
        adapter = chat(bot, middleware)
        await say(adapter, "where is my order?")
        sent = await say(adapter, "I want to talk to a real person")
        assert texts(sent) == [HANDOFF]
        (event,) = handoff_events(sent)
        assert sent[-1] is event  # after the message
        assert bot.heard == ["where is my order?"]  # not asked for an answer nobody will send
        (context,) = contexts
        assert context.action is Action.HANDOFF
        value = event.value
        assert value == context.model_dump(mode="json")
        assert value["conversation_id"] == CONVERSATION
        assert value["goal"] == "where is my order?"
        assert value["action"] == "handoff"
        assert [reason["code"] for reason in value["reasons"]] == ["human_requested"]
        assert value["summary"].startswith('Customer\'s goal: "where is my order?"')

    @pytest.mark.anyio
    async def test_the_handoff_event_carries_a_transcript_and_is_addressed_to_the_conversation(
        self, middleware
    ):
        adapter = chat(Bot(), middleware)
        await say(adapter, "where is my order?")
        (event,) = handoff_events(await say(adapter, "let me speak to an agent"))
        (attachment,) = event.attachments
        assert (attachment.name, attachment.content_type) == ("Transcript", "application/json")
        transcript = attachment.content
        assert isinstance(transcript, Transcript)
        said = [(a.from_property.role, a.from_property.id, a.text) for a in transcript.activities]
        assert said == [
            ("user", "customer-1", "where is my order?"),
            ("bot", "bot-1", ANSWER),
            ("user", "customer-1", "let me speak to an agent"),
        ]
        assert event.conversation.id == CONVERSATION
        assert event.channel_id == "webchat"
        assert event.relates_to.conversation.id == CONVERSATION
        wire = json.loads(json.dumps(event.serialize()))  # what the connector would post
        assert wire["type"] == "event"
        assert wire["name"] == "handoff.initiate"
        assert wire["attachments"][0]["content"]["activities"][0]["text"] == "where is my order?"
        assert wire["value"]["goal"] == "where is my order?"

    @pytest.mark.anyio
    async def test_while_handed_off_the_bot_logic_does_not_run(self, middleware):
        bot = Bot()
        adapter = chat(bot, middleware)
        await say(adapter, "get me a human")
        assert await say(adapter, "hello? anyone there?") == []
        card = Activity(type=ActivityTypes.message, value={"choice": "refund"})  # no text
        assert await say(adapter, card) == []
        assert bot.heard == []

    @pytest.mark.anyio
    async def test_with_an_async_state_store_a_handed_off_conversation_stays_with_the_person(
        self,
    ):
        store = AsyncStore()
        esc = Escalator(store=store, logger=quiet_logger())
        bot = Bot()
        adapter = chat(bot, EscalationBotMiddleware(esc))
        assert texts(await say(adapter, "I want a person")) == [HANDOFF]
        assert store.async_reads == 1  # the handoff context read the state asynchronously too
        card = Activity(type=ActivityTypes.message, value={"choice": "refund"})
        assert await say(adapter, card) == []
        assert store.async_reads == 2  # and so did the check that a person has it
        assert bot.heard == []

    @pytest.mark.anyio
    async def test_a_message_without_text_reaches_the_bot_when_no_one_took_over(self, middleware):
        bot = Bot()
        adapter = chat(bot, middleware)
        card = Activity(type=ActivityTypes.message, value={"choice": "refund"})
        assert texts(await say(adapter, card)) == [ANSWER]
        assert bot.heard == [None]

    @pytest.mark.anyio
    async def test_an_async_callback_is_awaited(self, esc):
        contexts: list[HandoffContext] = []

        async def open_ticket(context: HandoffContext) -> None:
            contexts.append(context)

        adapter = chat(Bot(), EscalationBotMiddleware(esc, on_escalation=open_ticket))
        await say(adapter, "agent please")
        assert [context.action for context in contexts] == [Action.HANDOFF]

    @pytest.mark.anyio
    async def test_in_append_mode_the_bot_answers_and_the_handoff_follows(self, esc):
        bot = Bot("One moment.")
        adapter = chat(bot, EscalationBotMiddleware(esc, handoff="append"))
        sent = await say(adapter, "get me a human")
        assert texts(sent) == [f"One moment.\n\n{HANDOFF}"]
        assert len(handoff_events(sent)) == 1
        assert sent[-1].name == HANDOFF_INITIATE
        assert await say(adapter, "hello?") == []
        assert bot.heard == ["get me a human"]

    @pytest.mark.anyio
    async def test_in_append_mode_a_silent_bot_still_hands_off(self, esc):
        adapter = chat(silent, EscalationBotMiddleware(esc, handoff="append"))
        sent = await say(adapter, "get me a human")
        assert texts(sent) == [HANDOFF]
        assert len(handoff_events(sent)) == 1


class TestOffer:
    @pytest.mark.anyio
    async def test_an_offer_is_appended_to_the_reply_once(self, middleware, contexts):
        adapter = chat(Bot("Let me check that for you."), middleware)
        sent = await say(adapter, UPSET)
        assert texts(sent) == [f"Let me check that for you.\n\n{OFFER}"]
        assert handoff_events(sent) == []
        assert texts(await say(adapter, "it still doesn't work")) == ["Let me check that for you."]
        assert [context.action for context in contexts] == [Action.OFFER_HUMAN]

    @pytest.mark.anyio
    async def test_the_offer_rides_on_the_first_message_only(self, middleware):
        adapter = chat(Bot("Let me check.", ANSWER), middleware)
        assert texts(await say(adapter, UPSET)) == [f"Let me check.\n\n{OFFER}", ANSWER]

    @pytest.mark.anyio
    async def test_a_silent_bot_still_makes_the_offer(self, middleware):
        adapter = chat(silent, middleware)
        assert texts(await say(adapter, UPSET)) == [OFFER]

    @pytest.mark.anyio
    async def test_accepting_the_offer_hands_off(self, middleware, contexts):
        bot = Bot("Let me check.")
        adapter = chat(bot, middleware)
        await say(adapter, UPSET)
        sent = await say(adapter, "yes please")  # the appended offer was scored as the bot's
        assert texts(sent) == [HANDOFF]
        assert len(handoff_events(sent)) == 1
        assert [context.action for context in contexts] == [Action.OFFER_HUMAN, Action.HANDOFF]
        assert bot.heard == [UPSET]

    @pytest.mark.parametrize(
        ("offer", "expected"),
        [("keep", "Let me check."), ("replace", OFFER), ("append", f"Let me check.\n\n{OFFER}")],
    )
    @pytest.mark.anyio
    async def test_offer_modes(self, esc, offer, expected):
        adapter = chat(Bot("Let me check."), EscalationBotMiddleware(esc, offer=offer))
        assert texts(await say(adapter, UPSET)) == [expected]


class TestTheBotsOwnFallbacks:
    @pytest.mark.anyio
    async def test_the_third_fallback_is_replaced_by_the_handoff(self, middleware, contexts):
        bot = Bot(FALLBACK)
        adapter = chat(bot, middleware)
        assert texts(await say(adapter, "cancel my plan")) == [FALLBACK]
        assert texts(await say(adapter, "cancel plan")) == [f"{FALLBACK}\n\n{OFFER}"]
        sent = await say(adapter, "CANCEL")
        assert texts(sent) == [HANDOFF]
        (event,) = handoff_events(sent)
        assert sent[-1] is event
        assert event.value["reasons"][0]["code"] == "conversation_loop"
        assert any("did not understand" in item for item in event.value["tried"])
        assert [context.action for context in contexts] == [Action.OFFER_HUMAN, Action.HANDOFF]
        assert await say(adapter, "hello?") == []
        assert bot.heard == ["cancel my plan", "cancel plan", "CANCEL"]

    @pytest.mark.anyio
    async def test_a_replaced_reply_loses_its_cards_and_the_rest_of_the_turn_is_held(
        self, middleware
    ):
        fallback = MessageFactory.text(FALLBACK)
        fallback.suggested_actions = SuggestedActions(
            actions=[CardAction(type="imBack", title="Menu", value="menu")]
        )
        card = MessageFactory.attachment(Attachment(content_type="image/png", content_url="x"))
        bot = Bot(fallback, card)
        adapter = chat(bot, middleware)
        await say(adapter, "cancel my plan")
        await say(adapter, "cancel plan")
        bot.replies = (fallback, card, "Is there anything else?")
        sent = await say(adapter, "CANCEL")
        assert [(a.type, a.name or a.text) for a in sent] == [
            ("message", HANDOFF),
            ("event", HANDOFF_INITIATE),
        ]
        assert sent[0].suggested_actions is None
        assert not sent[0].attachments


class TestHandoffStatus:
    @pytest.mark.anyio
    async def test_accepted_reports_handed_off(self, esc, middleware):
        bot = Bot()
        adapter = chat(bot, middleware)
        await say(adapter, UPSET)  # an offer: no handoff yet
        assert await hub(adapter, "accepted") == []
        assert esc.state(CONVERSATION).escalation.handed_off
        assert await say(adapter, "hello?") == []
        assert bot.heard == [UPSET, HANDOFF_STATUS]  # the bot's logic sees the event too

    @pytest.mark.anyio
    async def test_completed_returns_the_conversation_to_the_bot(self, esc, middleware):
        bot = Bot()
        adapter = chat(bot, middleware)
        await say(adapter, "I want a person")
        await hub(adapter, "accepted")
        assert await say(adapter, "thanks for your help") == []
        assert await hub(adapter, "completed") == []
        assert esc.state(CONVERSATION).escalation.last_action is Action.CONTINUE
        assert texts(await say(adapter, "where is my order?")) == [ANSWER]
        assert bot.heard == [HANDOFF_STATUS, HANDOFF_STATUS, "where is my order?"]

    @pytest.mark.anyio
    async def test_failed_tells_the_customer_and_the_bot_carries_on(self, esc, middleware):
        adapter = chat(Bot(), middleware)
        await say(adapter, "I want a person")
        sent = await hub(adapter, "failed", "no agents online")
        assert texts(sent) == [UNAVAILABLE_MESSAGE]
        assert esc.state(CONVERSATION).escalation.last_action is Action.CONTINUE
        assert texts(await say(adapter, "where is my order?")) == [ANSWER]
        # Not a dead end: asking again starts a new handoff.
        again = await say(adapter, "I want to talk to a person")
        assert texts(again) == [HANDOFF]
        assert len(handoff_events(again)) == 1

    @pytest.mark.parametrize("message", [None, "All our colleagues are busy; try again later."])
    @pytest.mark.anyio
    async def test_the_unavailable_message_can_be_changed_or_left_out(self, esc, message):
        adapter = chat(Bot(), EscalationBotMiddleware(esc, unavailable_message=message))
        await say(adapter, "I want a person")
        assert texts(await hub(adapter, "failed")) == ([] if message is None else [message])
        assert esc.state(CONVERSATION).escalation.last_action is Action.CONTINUE

    @pytest.mark.anyio
    async def test_status_outcomes_can_be_changed_in_a_subclass(self, esc):
        class EndOnCompletion(EscalationBotMiddleware):
            status_outcomes: ClassVar[Mapping[str, Outcome]] = {
                **EscalationBotMiddleware.status_outcomes,
                "completed": Outcome.ENDED,
            }

        adapter = chat(Bot(), EndOnCompletion(esc))
        await say(adapter, "I want a person")
        await hub(adapter, "completed")
        assert esc.state(CONVERSATION) is None

    @pytest.mark.anyio
    async def test_an_unknown_state_is_logged_and_changes_nothing(self, esc, middleware, caplog):
        adapter = chat(Bot(), middleware)
        await say(adapter, "I want a person")
        with caplog.at_level(logging.WARNING, logger="escalate.integrations.botbuilder"):
            assert await hub(adapter, "queued") == []
        assert "ignoring a handoff.status event with state 'queued'" in caplog.text
        assert esc.state(CONVERSATION).escalation.last_action is Action.HANDOFF


class TestFailures:
    @pytest.mark.anyio
    async def test_a_failing_callback_is_logged_and_the_turn_completes(self, esc, caplog):
        def broken(context: HandoffContext) -> None:
            raise RuntimeError("ticket system down")

        adapter = chat(Bot(), EscalationBotMiddleware(esc, on_escalation=broken))
        with caplog.at_level(logging.ERROR, logger="escalate.integrations.botbuilder"):
            sent = await say(adapter, "I want a human")
        assert texts(sent) == [HANDOFF]
        assert len(handoff_events(sent)) == 1
        assert f"on_escalation callback failed for {CONVERSATION}" in caplog.text

    @pytest.mark.anyio
    async def test_escalate_failing_on_the_customers_message_never_breaks_the_bot(
        self, esc, caplog, monkeypatch
    ):
        async def explode(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("engine bug")

        monkeypatch.setattr(esc, "aevaluate", explode)
        bot = Bot()
        adapter = chat(bot, EscalationBotMiddleware(esc))
        with caplog.at_level(logging.ERROR, logger="escalate.integrations.botbuilder"):
            assert texts(await say(adapter, "I want a human")) == [ANSWER]
        assert "could not score the customer's message" in caplog.text
        assert bot.heard == ["I want a human"]

    @pytest.mark.anyio
    async def test_escalate_failing_on_the_bots_reply_sends_it_unchanged(
        self, esc, caplog, monkeypatch
    ):
        real = esc.aevaluate

        async def fails_on_the_bot(conversation_id: str, turn: Any) -> Any:
            if turn.role == "bot":
                raise RuntimeError("engine bug")
            return await real(conversation_id, turn)

        monkeypatch.setattr(esc, "aevaluate", fails_on_the_bot)
        adapter = chat(Bot("Let me check."), EscalationBotMiddleware(esc))
        with caplog.at_level(logging.ERROR, logger="escalate.integrations.botbuilder"):
            assert texts(await say(adapter, UPSET)) == [f"Let me check.\n\n{OFFER}"]
        assert "could not score the bot's reply" in caplog.text

    @pytest.mark.anyio
    async def test_a_bad_conversation_id_is_logged_and_the_bot_answers(self, esc, caplog):
        adapter = chat(Bot(), EscalationBotMiddleware(esc), conversation=ConversationAccount(id=""))
        with caplog.at_level(logging.ERROR, logger="escalate.integrations.botbuilder"):
            assert texts(await say(adapter, "I want a human")) == [ANSWER]
        assert "could not score" in caplog.text

    @pytest.mark.anyio
    async def test_without_a_handoff_context_the_handoff_is_still_requested(
        self, esc, caplog, monkeypatch
    ):
        def explode(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("redaction bug")

        monkeypatch.setattr(esc, "ahandoff_context", explode)
        contexts: list[HandoffContext] = []
        adapter = chat(Bot(), EscalationBotMiddleware(esc, on_escalation=contexts.append))
        with caplog.at_level(logging.ERROR, logger="escalate.integrations.botbuilder"):
            sent = await say(adapter, "I want a human")
        assert texts(sent) == [HANDOFF]
        (event,) = handoff_events(sent)
        assert event.value is None
        assert not event.attachments
        assert contexts == []
        assert "could not build the handoff context" in caplog.text

    @pytest.mark.anyio
    async def test_a_failing_status_report_is_logged_and_the_customer_still_told(
        self, esc, caplog, monkeypatch
    ):
        async def explode(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("store down")

        adapter = chat(Bot(), EscalationBotMiddleware(esc))
        await say(adapter, "I want a human")
        monkeypatch.setattr(esc, "arecord_outcome", explode)
        with caplog.at_level(logging.ERROR, logger="escalate.integrations.botbuilder"):
            assert texts(await hub(adapter, "failed")) == [UNAVAILABLE_MESSAGE]
        assert "could not record the handoff.status failed" in caplog.text

    @pytest.mark.anyio
    async def test_the_bots_own_errors_are_not_swallowed(self, middleware):
        async def broken(context: TurnContext) -> None:
            raise KeyError("bot bug")

        adapter = chat(broken, middleware)
        with pytest.raises(KeyError, match="bot bug"):
            await say(adapter, "where is my order?")


class TestEvents:
    @pytest.mark.anyio
    async def test_create_handoff_initiation_builds_the_protocols_event(self):
        adapter = TestAdapter(template_or_conversation=template())
        incoming = template(type=ActivityTypes.message, text="help", id="42")
        context = TurnContext(adapter, incoming)
        transcript = Transcript(activities=[MessageFactory.text("help")])
        event = create_handoff_initiation(context, {"skill": "billing"}, transcript)
        assert (event.type, event.name, event.value) == (
            "event",
            "handoff.initiate",
            {"skill": "billing"},
        )
        assert event.from_property.id == "customer-1"
        assert event.reply_to_id == "42"
        assert event.attachments[0].content is transcript
        assert create_handoff_initiation(context, None).attachments == []

    def test_create_handoff_status_builds_the_hubs_event(self):
        conversation = ConversationAccount(id=CONVERSATION)
        event = create_handoff_status(conversation, "failed", "timed out")
        assert (event.type, event.name) == ("event", "handoff.status")
        assert event.value == {"state": "failed", "message": "timed out"}
        assert event.conversation is conversation
        assert create_handoff_status(conversation, "accepted").value == {"state": "accepted"}

    def test_a_default_escalator_is_built(self):
        assert isinstance(EscalationBotMiddleware().escalator, Escalator)


class TestPackaging:
    def test_the_example_bot_runs_offline(self):
        example = ROOT / "examples" / "botbuilder_bot.py"
        done = subprocess.run(
            [sys.executable, str(example)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        out = done.stdout
        assert "escalate.decision" not in out
        upset, stuck = out.split("--- a bot stuck on its fallback")
        # The offer rides on the bot's answer; "yes please" hands off with the event.
        assert f"          {OFFER}" in upset
        assert "[on_escalation: offer_human" in upset
        assert upset.count("[handoff.initiate event for the agent hub") == 1
        assert 'Customer\'s goal: "hi, where is my refund?"' in upset
        assert "user: yes please" in upset
        after_accept = upset.split("hub:      handoff.status accepted")[1]
        assert "(the bot stays quiet: a person has the conversation)" in after_accept
        after_completed = upset.split("hub:      handoff.status completed")[1]
        assert "bot:      We're open 9:00 to 17:00" in after_completed
        # The third fallback is never sent: the handoff replaces it; then no one is available.
        before_failed, after_failed = stuck.split("hub:      handoff.status failed")
        assert before_failed.count(f"bot:      {FALLBACK}") == 2
        assert "Already tried: the bot did not understand 3 times in a row" in before_failed
        assert f"bot:      {UNAVAILABLE_MESSAGE}" in after_failed
        assert "bot:      Refunds reach your account" in after_failed
