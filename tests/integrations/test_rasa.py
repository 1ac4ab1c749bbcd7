"""The Rasa custom action, run as the action server runs it: rasa-sdk's own ActionExecutor.

Each test drives a ``RasaChat``: it keeps the tracker's events as Rasa does (the action's
``action`` event, then its utterances as ``bot`` events, then the events it returned) and sends
the action server the request Rasa sends.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, ConversationResumed, Restarted, SessionStarted
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from escalate import Escalator, InMemoryStore
from escalate.integrations.rasa import EscalationCheckAction
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from escalate.handoff import HandoffContext

ROOT = Path(__file__).parent.parent.parent
CHECK = "action_escalation_check"
HANDOFF = "action_handoff_to_human"
SLOTS = {
    "escalation_action": {"type": "categorical", "initial_value": "continue"},
    "escalation_reason": {"type": "text", "influence_conversation": False},
    "escalation_route": {"type": "text", "influence_conversation": False},
}
DOMAIN: dict[str, Any] = {
    "intents": [],
    "entities": [],
    "slots": SLOTS,
    "responses": {},
    "actions": [CHECK, HANDOFF],
    "forms": {},
}
T0 = 1_760_000_000.0

ASKS_FOR_A_PERSON = "I want to talk to a person"
HANDOFF_MESSAGE = "I'm connecting you with a colleague now."
OFFER_MESSAGE = "Would you like me to connect you with a person?"
ANGRY = [
    ("user", "hi, my parcel never arrived"),
    ("bot", "I am sorry. Let me check the tracking for you."),
    ("user", "it has been two weeks, this is getting really annoying"),
    ("bot", "Your parcel is with the courier and should arrive soon."),
    ("user", "That is ridiculous, you said that last week. Useless!"),
]


class RasaChat:
    """One conversation's tracker, kept the way Rasa keeps it, and the action server's answers."""

    def __init__(
        self, executor: ActionExecutor, sender_id: str = "customer-1", domain: Any = DOMAIN
    ) -> None:
        self.executor = executor
        self.sender_id = sender_id
        self.domain = domain
        self.clock = T0
        self.events: list[dict[str, Any]] = []
        self.slots: dict[str, Any] = dict.fromkeys(SLOTS)
        self.start_session()

    def _now(self) -> float:
        self.clock += 1.5
        return self.clock

    def start_session(self) -> None:
        self.action("action_session_start")
        self.events.append(SessionStarted(timestamp=self._now()))
        self.action("action_listen")

    def action(self, name: str) -> None:
        self.events.append({"event": "action", "name": name, "timestamp": self._now()})

    def user(self, text: str, intent: str = "inform") -> RasaChat:
        self.action("action_listen")
        self.events.append(
            {
                "event": "user",
                "text": text,
                "timestamp": self._now(),
                "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": []},
                "input_channel": "rest",
            }
        )
        return self

    def bot(self, text: str) -> RasaChat:
        self.events.append({"event": "bot", "text": text, "timestamp": self._now()})
        return self

    def say(self, turns: list[tuple[str, str]]) -> RasaChat:
        for role, text in turns:
            if role == "user":
                self.user(text)
            else:
                self.bot(text)
        return self

    def request(self) -> dict[str, Any]:
        tracker = {
            "sender_id": self.sender_id,
            "slots": dict(self.slots),
            "latest_message": {},
            "events": [dict(event) for event in self.events],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
        return {
            "next_action": CHECK,
            "sender_id": self.sender_id,
            "tracker": tracker,
            "domain": self.domain,
            "version": "3.6.0",
        }

    def check(self, *, log: bool = True) -> dict[str, Any]:
        """Run the action; with ``log``, add what it did to the tracker as Rasa would."""
        result = asyncio.run(self.executor.run(self.request()))
        assert result is not None
        response = result.model_dump()
        if log:
            self.action(CHECK)
            for message in response["responses"]:
                self.bot(message["text"])
            for event in response["events"]:
                self.events.append({**event, "timestamp": self._now()})
                if event["event"] == "slot":
                    self.slots[event["name"]] = event["value"]
        return response


def slots(response: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in response["events"] if e["event"] == "slot"}


def followups(response: dict[str, Any]) -> list[str]:
    return [e["name"] for e in response["events"] if e["event"] == "followup"]


def texts(response: dict[str, Any]) -> list[str]:
    return [message["text"] for message in response["responses"]]


def engine() -> Escalator:
    return Escalator(store=InMemoryStore(), logger=quiet_logger())


def server(action: EscalationCheckAction) -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_action(action)
    return executor


@pytest.fixture
def esc() -> Escalator:
    return engine()


@pytest.fixture
def contexts() -> list[HandoffContext]:
    return []


@pytest.fixture
def chat(esc: Escalator, contexts: list[HandoffContext]) -> RasaChat:
    action = EscalationCheckAction(esc, handoff_action=HANDOFF, on_escalation=contexts.append)
    return RasaChat(server(action))


class TestDecisions:
    def test_a_routine_question_continues_quietly(
        self, chat: RasaChat, contexts: list[HandoffContext]
    ) -> None:
        response = chat.user("where is my parcel?").check()
        assert slots(response) == {
            "escalation_action": "continue",
            "escalation_reason": None,
            "escalation_route": None,
        }
        assert response["responses"] == []
        assert followups(response) == []
        assert contexts == []

    def test_a_request_for_a_person_hands_off_with_the_policys_message(
        self, chat: RasaChat, contexts: list[HandoffContext]
    ) -> None:
        chat.user("where is my parcel?").check()
        chat.bot("It left our warehouse and arrives on Thursday.")
        response = chat.user(ASKS_FOR_A_PERSON).check()
        assert slots(response)["escalation_action"] == "handoff"
        assert slots(response)["escalation_reason"] == "human_requested"
        assert texts(response) == [HANDOFF_MESSAGE]
        assert followups(response) == [HANDOFF]
        assert [context.action.value for context in contexts] == ["handoff"]
        assert contexts[0].goal == "where is my parcel?"
        assert contexts[0].conversation_id == "customer-1"

    def test_without_a_handoff_action_there_is_no_followup(self, esc: Escalator) -> None:
        chat = RasaChat(server(EscalationCheckAction(esc)))
        response = chat.user(ASKS_FOR_A_PERSON).check()
        assert slots(response)["escalation_action"] == "handoff"
        assert texts(response) == [HANDOFF_MESSAGE]
        assert followups(response) == []

    def test_an_angry_customer_is_offered_a_person_after_several_turns(
        self, chat: RasaChat, contexts: list[HandoffContext]
    ) -> None:
        actions = []
        for role, text in ANGRY:
            if role == "bot":
                chat.bot(text)
                continue
            response = chat.user(text).check()
            actions.append(slots(response)["escalation_action"])
        assert actions == ["continue", "continue", "offer_human"]
        assert slots(response)["escalation_reason"] == "emotional_stress"
        assert texts(response) == [OFFER_MESSAGE]
        assert followups(response) == []  # an offer: the customer chooses
        assert [context.action.value for context in contexts] == ["offer_human"]

    def test_an_escalation_is_announced_once(
        self, chat: RasaChat, contexts: list[HandoffContext]
    ) -> None:
        chat.user(ASKS_FOR_A_PERSON).check()
        chat.action(HANDOFF)
        response = chat.user("hello? anyone there?").check()
        assert slots(response)["escalation_action"] == "handoff"
        assert response["responses"] == []
        assert followups(response) == []
        assert len(contexts) == 1

    def test_the_route_slot_carries_the_policys_route(self) -> None:
        policy = {
            "extends": "default",
            "name": "routed",
            "version": "1",
            "routes": {"care": {}},
            "signals": {"human_request": {"route": "care"}},
        }
        esc = Escalator(policy, store=InMemoryStore(), logger=quiet_logger())
        chat = RasaChat(server(EscalationCheckAction(esc)))
        assert slots(chat.user(ASKS_FOR_A_PERSON).check())["escalation_route"] == "care"

    def test_the_route_slot_is_left_out_when_the_domain_does_not_declare_it(
        self, esc: Escalator
    ) -> None:
        domain = {**DOMAIN, "slots": {k: v for k, v in SLOTS.items() if k != "escalation_route"}}
        chat = RasaChat(server(EscalationCheckAction(esc)), domain=domain)
        assert set(slots(chat.user(ASKS_FOR_A_PERSON).check())) == {
            "escalation_action",
            "escalation_reason",
        }

    @pytest.mark.anyio
    async def test_the_name_and_slot_names_are_configurable(self, esc: Escalator) -> None:
        class Renamed(EscalationCheckAction):
            action_slot = "human_needed"

        action = Renamed(esc, action_name="action_check_for_humans")
        assert action.name() == "action_check_for_humans"
        executor = server(action)
        assert "action_check_for_humans" in executor.actions
        request = RasaChat(executor).user(ASKS_FOR_A_PERSON).request()
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, Tracker.from_dict(request["tracker"]), DOMAIN)
        assert events[0] == {
            "event": "slot",
            "timestamp": None,
            "name": "human_needed",
            "value": "handoff",
        }
        assert [message["text"] for message in dispatcher.messages] == [HANDOFF_MESSAGE]

    def test_user_events_give_the_turn_channel_and_intent(self) -> None:
        event = {
            "event": "user",
            "text": "hi",
            "parse_data": {"intent": {"name": "greet"}},
            "input_channel": "telegram",
        }
        assert EscalationCheckAction().turn_meta(event) == {
            "channel": "telegram",
            "intent": "greet",
        }
        assert EscalationCheckAction().turn_meta({"event": "bot", "text": "hello"}) == {}


class TestStateStaysInSync:
    def test_calling_again_with_the_same_tracker_does_not_count_turns_twice(
        self, chat: RasaChat, esc: Escalator, contexts: list[HandoffContext]
    ) -> None:
        chat.user("where is my parcel?").bot("It arrives on Thursday.").user(ASKS_FOR_A_PERSON)
        first = chat.check(log=False)
        again = chat.check(log=False)
        state = esc.state("customer-1")
        assert state is not None
        assert (state.turns, state.user_turns) == (3, 2)
        assert slots(again) == slots(first)
        assert slots(again)["escalation_action"] == "handoff"
        assert again["responses"] == []  # announced once
        assert followups(again) == []
        assert len(contexts) == 1

    def test_turns_logged_between_calls_are_all_fed(self, chat: RasaChat, esc: Escalator) -> None:
        # Rasa ran other actions (and the customer wrote twice) since the last check.
        chat.user("hi").check()
        chat.bot("Hello! How can I help?").user("my parcel never arrived")
        chat.bot("Let me check.").user("it has been two weeks")
        chat.check()
        state = esc.state("customer-1")
        assert state is not None
        assert (state.turns, state.user_turns) == (5, 3)
        assert state.handoff.goal == "my parcel never arrived"

    def test_the_action_s_own_utterances_are_bot_turns(
        self, chat: RasaChat, esc: Escalator
    ) -> None:
        chat.say(ANGRY).check()  # the offer, uttered by the action
        response = chat.user("no thanks, just find my parcel").check()
        state = esc.state("customer-1")
        assert state is not None
        assert state.handoff.recent[-2].text == OFFER_MESSAGE
        assert slots(response)["escalation_action"] == "continue"
        assert state.escalation.declines == 1  # the "no" answered the offer

    def test_a_fresh_worker_replays_the_history_to_the_same_decision(
        self, chat: RasaChat, esc: Escalator
    ) -> None:
        chat.say(ANGRY[:4])
        chat.check()
        original = chat.user(ANGRY[4][1]).check(log=False)
        # Another worker (or a restarted one) with an empty memory gets the same request.
        other = engine()
        worker = RasaChat(server(EscalationCheckAction(other)))
        worker.events, worker.slots = chat.events, chat.slots
        replayed = worker.check(log=False)
        assert slots(replayed) == slots(original)
        assert slots(replayed)["escalation_action"] == "offer_human"
        assert texts(replayed) == [OFFER_MESSAGE]
        mine, theirs = esc.state("customer-1"), other.state("customer-1")
        assert mine is not None
        assert theirs is not None
        assert (theirs.turns, theirs.user_turns) == (mine.turns, mine.user_turns)
        assert theirs.stress == mine.stress

    def test_a_fresh_worker_does_not_announce_an_escalation_again(
        self, chat: RasaChat, contexts: list[HandoffContext]
    ) -> None:
        chat.say(ANGRY).check()  # offered, and the tracker holds the slot it set
        chat.user("why is nobody helping me, this is terrible")
        original = chat.check(log=False)
        again: list[HandoffContext] = []
        worker = RasaChat(server(EscalationCheckAction(engine(), on_escalation=again.append)))
        worker.events, worker.slots = chat.events, chat.slots
        response = worker.check(log=False)
        assert slots(response)["escalation_action"] == "offer_human"
        assert slots(response) == slots(original)
        assert response["responses"] == original["responses"] == []
        assert again == []
        assert len(contexts) == 1

    @pytest.mark.parametrize("fresh_start", [Restarted, SessionStarted], ids=["restart", "session"])
    def test_a_restart_or_a_new_session_starts_afresh(
        self,
        chat: RasaChat,
        esc: Escalator,
        contexts: list[HandoffContext],
        fresh_start: Callable[..., dict[str, Any]],
    ) -> None:
        chat.user("my parcel never arrived").check()
        chat.user(ASKS_FOR_A_PERSON).check()
        chat.events.append(fresh_start(timestamp=chat._now()))
        response = chat.user("hi, how do I change my address?").check()
        assert slots(response)["escalation_action"] == "continue"
        state = esc.state("customer-1")
        assert state is not None
        assert (state.turns, state.user_turns) == (1, 1)
        assert state.handoff.goal == "hi, how do I change my address?"
        # A request in the new conversation is a new escalation, announced again.
        response = chat.user(ASKS_FOR_A_PERSON).check()
        assert texts(response) == [HANDOFF_MESSAGE]
        assert len(contexts) == 2

    def test_slots_carried_over_into_a_new_session_are_not_taken_as_announced(
        self, chat: RasaChat, contexts: list[HandoffContext]
    ) -> None:
        chat.user(ASKS_FOR_A_PERSON).check()
        # Rasa's action_session_start, with carry_over_slots_to_new_session: true.
        chat.action("action_session_start")
        chat.events.append(SessionStarted(timestamp=chat._now()))
        for name, value in dict(chat.slots).items():
            chat.events.append({"event": "slot", "name": name, "value": value, "timestamp": 0})
        response = chat.user(ASKS_FOR_A_PERSON).check()
        assert slots(response)["escalation_action"] == "handoff"
        assert texts(response) == [HANDOFF_MESSAGE]
        assert len(contexts) == 2

    def test_an_async_state_store_is_read_asynchronously(self) -> None:
        class AsyncStore(InMemoryStore):
            reads = 0

            async def aupdate(self, conversation_id: str, apply: Any) -> Any:
                return self.update(conversation_id, apply)

            async def aget(self, conversation_id: str) -> Any:
                self.reads += 1
                return self.get(conversation_id)

            async def adelete(self, conversation_id: str) -> None:
                self.delete(conversation_id)

        store = AsyncStore()
        chat = RasaChat(
            server(EscalationCheckAction(Escalator(store=store, logger=quiet_logger())))
        )
        chat.user("where is my parcel?").check()
        assert slots(chat.user(ASKS_FOR_A_PERSON).check())["escalation_action"] == "handoff"
        assert store.reads == 2
        state = store.get("customer-1")
        assert state is not None
        assert state.turns == 2

    def test_memory_of_another_conversation_under_the_same_id_is_replaced(
        self, chat: RasaChat, esc: Escalator
    ) -> None:
        for text in ("I want to cancel", "cancel my contract", "cancel it now"):
            esc.evaluate("customer-1", {"role": "user", "text": text, "ts": T0 - 900})
        response = chat.user("where is my parcel?").check()
        assert slots(response)["escalation_action"] == "continue"
        state = esc.state("customer-1")
        assert state is not None
        assert [turn.text for turn in state.handoff.recent] == ["where is my parcel?"]

    def test_the_handoff_action_running_reports_handed_off(
        self, chat: RasaChat, esc: Escalator
    ) -> None:
        chat.user("my parcel never arrived").check()
        chat.action(HANDOFF)  # run by hand (a button), not by the action's followup
        response = chat.user("thanks").check()
        assert slots(response)["escalation_action"] == "handoff"
        state = esc.state("customer-1")
        assert state is not None
        assert state.escalation.handed_off

    def test_pause_and_resume_hand_off_and_return_to_the_bot(
        self, chat: RasaChat, esc: Escalator, contexts: list[HandoffContext]
    ) -> None:
        chat.user(ASKS_FOR_A_PERSON).check()
        chat.events.append(ConversationPaused(timestamp=chat._now()))
        chat.user("thanks for your help, all sorted")  # to the agent; the bot is paused
        chat.events.append(ConversationResumed(timestamp=chat._now()))
        response = chat.user("one more thing, where is my invoice?").check()
        assert slots(response)["escalation_action"] == "continue"
        response = chat.user(ASKS_FOR_A_PERSON).check()
        assert slots(response)["escalation_action"] == "handoff"
        assert texts(response) == [HANDOFF_MESSAGE]  # back with the bot: announced again
        assert len(contexts) == 2


class TestFailures:
    def test_a_broken_escalator_reports_continue_and_logs(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        class BrokenStore(InMemoryStore):
            def get(self, conversation_id: str) -> Any:
                raise ConnectionError("the state store is down")

        broken = Escalator(store=BrokenStore(), logger=quiet_logger())
        chat = RasaChat(server(EscalationCheckAction(broken, handoff_action=HANDOFF)))
        with caplog.at_level(logging.ERROR, logger="escalate.integrations.rasa"):
            response = chat.user(ASKS_FOR_A_PERSON).check()
        assert slots(response)["escalation_action"] == "continue"
        assert slots(response)["escalation_reason"] is None
        assert response["responses"] == []
        assert followups(response) == []
        assert "escalate could not check conversation customer-1" in caplog.text
        assert "the state store is down" in caplog.text

    def test_a_failing_callback_is_logged_and_the_handoff_goes_on(
        self, esc: Escalator, caplog: pytest.LogCaptureFixture
    ) -> None:
        def on_escalation(context: HandoffContext) -> None:
            raise RuntimeError("the ticket system is down")

        action = EscalationCheckAction(esc, handoff_action=HANDOFF, on_escalation=on_escalation)
        chat = RasaChat(server(action))
        with caplog.at_level(logging.ERROR, logger="escalate.integrations.rasa"):
            response = chat.user(ASKS_FOR_A_PERSON).check()
        assert slots(response)["escalation_action"] == "handoff"
        assert texts(response) == [HANDOFF_MESSAGE]
        assert followups(response) == [HANDOFF]
        assert "the on_escalation callback failed for customer-1" in caplog.text

    def test_an_async_callback_is_awaited(self, esc: Escalator) -> None:
        received: list[HandoffContext] = []

        async def on_escalation(context: HandoffContext) -> None:
            await asyncio.sleep(0)
            received.append(context)

        chat = RasaChat(server(EscalationCheckAction(esc, on_escalation=on_escalation)))
        chat.user(ASKS_FOR_A_PERSON).check()
        assert [context.action.value for context in received] == ["handoff"]

    def test_the_default_escalator_is_built_on_first_use(self) -> None:
        action = EscalationCheckAction()
        assert action._escalator is None  # the action server builds every Action it finds
        assert isinstance(action.escalator, Escalator)
        assert action.escalator is action.escalator


class TestPackaging:
    def test_the_demo_runs_the_example_action_server_offline(self) -> None:
        demo = ROOT / "examples" / "rasa" / "demo.py"
        done = subprocess.run(
            [sys.executable, str(demo)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        out = done.stdout
        assert "escalate.decision" not in out
        conversations = out.split("=== ")
        routine = next(part for part in conversations if part.startswith("a routine question"))
        assert "escalation_action=continue" in routine
        assert "[ticket]" not in routine
        person = next(part for part in conversations if part.startswith("asking for a person"))
        assert "escalation_action=handoff escalation_reason=human_requested" in person
        assert f"bot: {HANDOFF_MESSAGE}" in person
        assert f"followup: {HANDOFF}" in person
        assert "[ticket] goal: where is my parcel?" in person
        angry = next(part for part in conversations if part.startswith("an angry customer"))
        offered, declined = angry.split("customer: no thanks")
        assert "escalation_action=offer_human escalation_reason=emotional_stress" in offered
        assert f"bot: {OFFER_MESSAGE}" in offered
        assert "escalation_action=continue" in declined  # "no thanks" answered the offer
        assert "[ticket]" not in declined
