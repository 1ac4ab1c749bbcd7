"""The LangChain agent middleware and the LangGraph node, in real agents and graphs.

Every agent is ``langchain.agents.create_agent`` with a fake chat model that counts its calls
(no network); every graph is a real ``StateGraph``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NotRequired

import pytest
from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph

from escalate import Escalator
from escalate.integrations.langchain import (
    Escalation,
    EscalationAgentMiddleware,
    escalation_node,
    route_on_escalation,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.outputs import ChatResult

    from escalate.handoff import HandoffContext

ROOT = Path(__file__).parent.parent.parent
HANDOFF = "I'm connecting you with a colleague now."
OFFER = "Would you like me to connect you with a person?"
FALLBACK = "Sorry, I didn't understand that. Could you rephrase?"
ASKS_FOR_A_PERSON = "I want to talk to a person"
UPSET = "I'm frustrated, it doesn't work"
LOG = "escalate.integrations.langchain"


class CountingModel(GenericFakeChatModel):
    """A fake chat model that answers from a list and counts how often it was called."""

    calls: int = 0

    def bind_tools(self, tools: Any, **kwargs: Any) -> CountingModel:
        return self  # the replies are scripted: tool schemas change nothing

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        self.calls += 1
        return super()._generate(*args, **kwargs)


def model(*replies: str | AIMessage) -> CountingModel:
    return CountingModel(messages=iter(replies))


def thread(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


def agent_for(
    chat_model: BaseChatModel,
    escalator: Escalator,
    *,
    tools: Iterable[Any] = (),
    checkpointer: bool = True,
    **options: Any,
) -> Any:
    return create_agent(
        chat_model,
        tools=list(tools),
        middleware=[EscalationAgentMiddleware(escalator, **options)],
        checkpointer=InMemorySaver() if checkpointer else None,
    )


def say(agent: Any, text: str, config: dict[str, Any]) -> dict[str, Any]:
    return agent.invoke({"messages": [HumanMessage(text)]}, config)


def last_reply(result: dict[str, Any]) -> str:
    message = result["messages"][-1]
    assert isinstance(message, AIMessage)
    return str(message.text)


@tool
def order_status(order_id: str) -> str:
    """Where an order is."""
    return f"order {order_id}: with the courier"


def calls_order_status(text: str = "") -> AIMessage:
    return AIMessage(
        content=text,
        tool_calls=[{"name": "order_status", "args": {"order_id": "42"}, "id": "call-1"}],
    )


class TestAgentMiddleware:
    def test_a_routine_question_is_answered_by_the_model(self, esc: Escalator) -> None:
        notified: list[HandoffContext] = []
        bot = model("Your order arrives on Thursday.")
        agent = agent_for(bot, esc, on_escalation=notified.append)
        result = say(agent, "where is my order?", thread("t-1"))
        assert last_reply(result) == "Your order arrives on Thursday."
        assert bot.calls == 1
        assert result["escalation"]["action"] == "continue"
        assert result["escalation"]["new"] is False
        assert notified == []

    def test_a_request_for_a_person_ends_the_run_with_the_handoff_message(
        self, esc: Escalator
    ) -> None:
        notified: list[HandoffContext] = []
        bot = model("Your order arrives on Thursday.", "the model must not answer this")
        agent = agent_for(bot, esc, on_escalation=notified.append)
        say(agent, "where is my order?", thread("t-1"))
        result = say(agent, ASKS_FOR_A_PERSON, thread("t-1"))
        assert last_reply(result) == HANDOFF
        assert bot.calls == 1  # only the first question reached the model
        [context] = notified
        assert context.goal == "where is my order?"
        assert context.action.value == "handoff"
        escalation = result["escalation"]
        assert escalation["action"] == "handoff"
        assert escalation["new"] is True
        assert escalation["reasons"] == ["human_requested"]
        assert escalation["message"] == HANDOFF
        assert escalation["conversation_id"] == "t-1"
        assert escalation["context"]["goal"] == "where is my order?"

    def test_an_offer_is_appended_to_the_reply_once(self, esc: Escalator) -> None:
        notified: list[HandoffContext] = []
        bot = model("Let me look into that.", "Please try reloading the page.")
        agent = agent_for(bot, esc, on_escalation=notified.append)
        offered = say(agent, UPSET, thread("t-1"))
        assert last_reply(offered) == f"Let me look into that.\n\n{OFFER}"
        assert offered["escalation"]["action"] == "offer_human"
        assert offered["escalation"]["new"] is True
        following = say(agent, "the app still does not load", thread("t-1"))
        assert last_reply(following) == "Please try reloading the page."
        assert [context.action.value for context in notified] == ["offer_human"]

    def test_the_offer_is_part_of_the_bot_turn_so_yes_hands_off(self, esc: Escalator) -> None:
        bot = model("Let me look into that.", "the model must not answer this")
        agent = agent_for(bot, esc)
        say(agent, UPSET, thread("t-1"))
        assert last_reply(say(agent, "yes please", thread("t-1"))) == HANDOFF
        assert bot.calls == 1

    def test_a_conversation_handed_off_earlier_stays_stopped(self, esc: Escalator) -> None:
        notified: list[HandoffContext] = []
        bot = model("the model must not answer these")
        agent = agent_for(bot, esc, on_escalation=notified.append)
        say(agent, ASKS_FOR_A_PERSON, thread("t-1"))
        result = say(agent, "hello? anyone there?", thread("t-1"))
        assert isinstance(result["messages"][-1], HumanMessage)  # no answer from the bot
        assert result["escalation"]["action"] == "handoff"
        assert result["escalation"]["new"] is False
        assert result["escalation"]["context"] is None
        assert bot.calls == 0
        assert len(notified) == 1  # announced once

    def test_the_bot_answers_again_once_the_person_hands_back(self, esc: Escalator) -> None:
        bot = model("Anything else I can help with?")
        agent = agent_for(bot, esc)
        say(agent, ASKS_FOR_A_PERSON, thread("t-1"))
        esc.record_outcome("t-1", "returned_to_bot")
        result = say(agent, "thanks, one more question", thread("t-1"))
        assert last_reply(result) == "Anything else I can help with?"
        assert result["escalation"]["action"] == "continue"

    def test_without_a_checkpointer_the_history_sent_each_run_is_not_scored_again(
        self, esc: Escalator
    ) -> None:
        bot = model("Your order arrives on Thursday.", "the model must not answer this")
        agent = agent_for(bot, esc, checkpointer=False)
        history: list[Any] = [HumanMessage("where is my order?")]
        history = agent.invoke({"messages": history}, thread("t-1"))["messages"]
        handed = agent.invoke(
            {"messages": [*history, HumanMessage(ASKS_FOR_A_PERSON)]}, thread("t-1")
        )
        assert last_reply(handed) == HANDOFF
        again = agent.invoke(
            {"messages": [*handed["messages"], HumanMessage("hello?")]}, thread("t-1")
        )
        assert isinstance(again["messages"][-1], HumanMessage)
        state = esc.state("t-1")
        assert state is not None
        assert state.user_turns == 3  # each customer message scored once
        assert bot.calls == 1

    def test_the_customer_s_messages_of_one_run_are_each_scored(self, esc: Escalator) -> None:
        notified: list[HandoffContext] = []
        bot = model("the model must not answer this")
        agent = agent_for(bot, esc, on_escalation=notified.append)
        result = agent.invoke(
            {"messages": [HumanMessage("hi"), HumanMessage(ASKS_FOR_A_PERSON)]}, thread("t-1")
        )
        assert last_reply(result) == HANDOFF
        state = esc.state("t-1")
        assert state is not None
        assert state.user_turns == 2
        assert len(notified) == 1

    def test_a_reply_that_tips_a_handoff_is_replaced_by_the_handoff_message(
        self, esc: Escalator
    ) -> None:
        bot = model(FALLBACK, FALLBACK, FALLBACK)
        agent = agent_for(bot, esc)
        first = say(agent, "I need to pause my plan", thread("t-1"))
        assert last_reply(first) == FALLBACK
        second = say(agent, "pause subscription", thread("t-1"))
        assert last_reply(second) == f"{FALLBACK}\n\n{OFFER}"  # the second fallback offers
        third = say(agent, "hmm, pause the plan", thread("t-1"))
        assert last_reply(third) == HANDOFF  # the third is held back
        assert third["escalation"]["action"] == "handoff"
        assert third["escalation"]["reasons"] == ["conversation_loop"]
        # The reply was rewritten in place: the fallback never reached the history.
        assert [m.text for m in third["messages"] if isinstance(m, AIMessage)][-1] == HANDOFF
        assert sum(isinstance(m, AIMessage) for m in third["messages"]) == 3


class TestToolCalls:
    def test_a_tool_call_is_not_scored_as_bot_text(self, esc: Escalator) -> None:
        bot = model(calls_order_status(), "Your order is with the courier.")
        agent = agent_for(bot, esc, tools=[order_status])
        result = say(agent, "where is order 42?", thread("t-1"))
        assert last_reply(result) == "Your order is with the courier."
        assert bot.calls == 2
        state = esc.state("t-1")
        assert state is not None
        # One user turn (not scored again on the model's second call), one bot turn.
        assert (state.turns, state.user_turns) == (2, 1)
        assert [turn.text for turn in state.handoff.recent] == [
            "where is order 42?",
            "Your order is with the courier.",
        ]

    def test_an_offer_waits_for_the_final_reply(self, esc: Escalator) -> None:
        bot = model(calls_order_status("Let me check."), "It is with the courier.")
        agent = agent_for(bot, esc, tools=[order_status])
        result = say(agent, "I'm frustrated, where is order 42?", thread("t-1"))
        ai_texts = [m.text for m in result["messages"] if isinstance(m, AIMessage)]
        assert ai_texts == ["Let me check.", f"It is with the courier.\n\n{OFFER}"]

    def test_a_handoff_on_a_tool_calling_reply_answers_the_calls_and_stops(
        self, esc: Escalator
    ) -> None:
        bot = model(FALLBACK, FALLBACK, calls_order_status(FALLBACK), "must not be asked")
        agent = agent_for(bot, esc, tools=[order_status])
        say(agent, "I need to pause my plan", thread("t-1"))
        say(agent, "pause subscription", thread("t-1"))
        result = say(agent, "hmm, pause the plan", thread("t-1"))
        *_, step, not_run, handoff = result["messages"]
        assert step.tool_calls
        assert isinstance(not_run, ToolMessage)
        assert (not_run.tool_call_id, not_run.status) == ("call-1", "error")
        assert isinstance(handoff, AIMessage)
        assert handoff.text == HANDOFF
        assert bot.calls == 3  # the tool did not run, the model was not asked again


class TestAsync:
    @pytest.mark.anyio
    async def test_the_same_through_ainvoke_with_an_async_callback(self, esc: Escalator) -> None:
        notified: list[HandoffContext] = []

        async def page_the_queue(context: HandoffContext) -> None:
            notified.append(context)

        bot = model("Your order arrives on Thursday.", "Let me look into that.", "not asked")
        agent = agent_for(bot, esc, on_escalation=page_the_queue)
        config = thread("t-1")

        async def say_async(text: str) -> dict[str, Any]:
            return await agent.ainvoke({"messages": [HumanMessage(text)]}, config)

        assert last_reply(await say_async("where is my order?")) == (
            "Your order arrives on Thursday."
        )
        assert last_reply(await say_async(UPSET)) == f"Let me look into that.\n\n{OFFER}"
        assert last_reply(await say_async(ASKS_FOR_A_PERSON)) == HANDOFF
        stopped = await say_async("hello?")
        assert isinstance(stopped["messages"][-1], HumanMessage)
        assert bot.calls == 2
        assert [context.action.value for context in notified] == ["offer_human", "handoff"]
        assert notified[1].goal == "where is my order?"

    @pytest.mark.anyio
    async def test_ainvoke_uses_aevaluate(self, esc: Escalator, monkeypatch: Any) -> None:
        def no_sync_calls(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("the async hooks must not call evaluate")

        monkeypatch.setattr(esc, "evaluate", no_sync_calls)
        agent = agent_for(model("not asked"), esc)
        result = await agent.ainvoke({"messages": [HumanMessage(ASKS_FOR_A_PERSON)]}, thread("t-1"))
        assert last_reply(result) == HANDOFF


class TestFailures:
    def test_a_failing_callback_does_not_break_the_agent(
        self, esc: Escalator, caplog: pytest.LogCaptureFixture
    ) -> None:
        def broken(context: HandoffContext) -> None:
            raise RuntimeError("the ticket system is down")

        agent = agent_for(model("not asked"), esc, on_escalation=broken)
        with caplog.at_level(logging.ERROR, logger=LOG):
            result = say(agent, ASKS_FOR_A_PERSON, thread("t-1"))
        assert last_reply(result) == HANDOFF
        assert "the on_escalation callback failed for t-1" in caplog.text

    def test_an_escalate_failure_lets_the_model_answer(
        self, esc: Escalator, monkeypatch: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("state store unreachable")

        monkeypatch.setattr(esc, "evaluate", broken)
        bot = model("Your order arrives on Thursday.")
        agent = agent_for(bot, esc)
        with caplog.at_level(logging.ERROR, logger=LOG):
            result = say(agent, ASKS_FOR_A_PERSON, thread("t-1"))
        assert last_reply(result) == "Your order arrives on Thursday."
        assert "escalation" not in result
        assert "escalate could not score a user turn of t-1" in caplog.text

    @pytest.mark.anyio
    async def test_an_async_escalate_failure_lets_the_model_answer(
        self, esc: Escalator, monkeypatch: Any
    ) -> None:
        async def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("state store unreachable")

        monkeypatch.setattr(esc, "aevaluate", broken)
        agent = agent_for(model("Your order arrives on Thursday."), esc)
        result = await agent.ainvoke({"messages": [HumanMessage(ASKS_FOR_A_PERSON)]}, thread("t-1"))
        assert last_reply(result) == "Your order arrives on Thursday."

    def test_an_async_callback_in_a_sync_run_is_reported_not_left_unawaited(
        self, esc: Escalator, caplog: pytest.LogCaptureFixture
    ) -> None:
        async def page_the_queue(context: HandoffContext) -> None:
            raise AssertionError("never started in a sync run")

        agent = agent_for(model("not asked"), esc, on_escalation=page_the_queue)
        with caplog.at_level(logging.ERROR, logger=LOG):
            result = say(agent, ASKS_FOR_A_PERSON, thread("t-1"))
        assert last_reply(result) == HANDOFF
        assert "on_escalation is async but the agent runs synchronously" in caplog.text


class TestConversationIds:
    def test_a_run_without_a_thread_id_is_not_scored_and_says_why_once(
        self, esc: Escalator, caplog: pytest.LogCaptureFixture
    ) -> None:
        bot = model("Hello!", "Hello again!")
        agent = agent_for(bot, esc, checkpointer=False)
        with caplog.at_level(logging.WARNING, logger=LOG):
            first = agent.invoke({"messages": [HumanMessage(ASKS_FOR_A_PERSON)]})
            agent.invoke({"messages": [HumanMessage(ASKS_FOR_A_PERSON)]})
        assert last_reply(first) == "Hello!"
        assert "escalation" not in first
        assert caplog.text.count("escalate skips runs without a conversation id") == 1

    def test_a_string_names_the_conversation_of_runs_without_a_thread_id(
        self, esc: Escalator
    ) -> None:
        agent = agent_for(model("not asked"), esc, checkpointer=False, conversation_id="kiosk")
        result = agent.invoke({"messages": [HumanMessage(ASKS_FOR_A_PERSON)]})
        assert result["escalation"]["conversation_id"] == "kiosk"
        assert last_reply(result) == HANDOFF

    def test_the_thread_id_wins_over_the_fallback(self, esc: Escalator) -> None:
        agent = agent_for(model("not asked"), esc, conversation_id="kiosk")
        result = say(agent, ASKS_FOR_A_PERSON, thread("t-9"))
        assert result["escalation"]["conversation_id"] == "t-9"

    def test_a_function_reads_the_conversation_from_the_config(self, esc: Escalator) -> None:
        def customer(config: Any) -> str:
            return f"customer-{config['configurable']['customer']}"

        agent = agent_for(model("not asked"), esc, conversation_id=customer)
        config = {"configurable": {"thread_id": "t-1", "customer": 7}}
        result = agent.invoke({"messages": [HumanMessage(ASKS_FOR_A_PERSON)]}, config)
        assert result["escalation"]["conversation_id"] == "customer-7"
        assert esc.state("customer-7") is not None

    def test_threads_are_separate_conversations(self, esc: Escalator) -> None:
        bot = model("Hello! How can I help?")
        agent = agent_for(bot, esc)
        say(agent, ASKS_FOR_A_PERSON, thread("t-1"))
        assert last_reply(say(agent, "hi", thread("t-2"))) == "Hello! How can I help?"


class State(MessagesState):
    escalation: NotRequired[Escalation]


def graph_for(escalator: Escalator, on_escalation: Callable[..., Any] | None = None) -> Any:
    """check -> (handoff | bot): the router's two branches, the bot scored too."""

    def bot(state: State) -> dict[str, Any]:
        return {"messages": [AIMessage("Your order arrives on Thursday.")]}

    def handoff(state: State) -> dict[str, Any]:
        escalation = state["escalation"]
        return {"messages": [AIMessage(escalation["message"])]} if escalation["new"] else {}

    graph = StateGraph(State)
    graph.add_node("check", escalation_node(escalator, on_escalation=on_escalation))
    graph.add_node("bot", bot)
    graph.add_node("check_reply", escalation_node(escalator, on_escalation=on_escalation))
    graph.add_node("handoff", handoff)
    graph.add_edge(START, "check")
    graph.add_conditional_edges(
        "check", route_on_escalation, {"handoff": "handoff", "continue": "bot"}
    )
    graph.add_edge("bot", "check_reply")
    graph.add_edge("check_reply", END)
    graph.add_edge("handoff", END)
    return graph.compile(checkpointer=InMemorySaver())


class TestLangGraphNode:
    def test_the_node_scores_and_the_router_routes(self, esc: Escalator) -> None:
        notified: list[HandoffContext] = []
        app = graph_for(esc, notified.append)
        config = thread("g-1")
        routine = app.invoke({"messages": [HumanMessage("where is my order?")]}, config)
        assert last_reply(routine) == "Your order arrives on Thursday."
        assert routine["escalation"]["action"] == "continue"
        handed = app.invoke({"messages": [HumanMessage(ASKS_FOR_A_PERSON)]}, config)
        assert last_reply(handed) == HANDOFF
        assert handed["escalation"]["new"] is True
        later = app.invoke({"messages": [HumanMessage("hello?")]}, config)
        assert isinstance(later["messages"][-1], HumanMessage)  # routed to handoff, silent
        assert later["escalation"]["new"] is False
        [context] = notified
        assert context.goal == "where is my order?"
        state = esc.state("g-1")
        assert state is not None
        assert (state.user_turns, state.turns) == (3, 4)  # the bot's reply scored too

    @pytest.mark.anyio
    async def test_the_node_runs_in_ainvoke(self, esc: Escalator) -> None:
        notified: list[HandoffContext] = []

        async def page(context: HandoffContext) -> None:
            notified.append(context)

        app = graph_for(esc, page)
        result = await app.ainvoke({"messages": [HumanMessage(ASKS_FOR_A_PERSON)]}, thread("g"))
        assert last_reply(result) == HANDOFF
        assert len(notified) == 1

    def test_the_node_does_not_score_a_message_twice(self, esc: Escalator) -> None:
        node = escalation_node(esc)
        message = HumanMessage("where is my order?", id="m-1")
        config = thread("g-1")
        update = node.invoke({"messages": [message]}, config)
        assert update is not None
        assert update["escalation"]["message_id"] == "m-1"
        assert node.invoke({"messages": [message], **update}, config) is None
        assert node.invoke({"messages": [ToolMessage("42", tool_call_id="c")]}, config) is None
        state = esc.state("g-1")
        assert state is not None
        assert state.turns == 1

    def test_the_router_reads_dicts_and_objects(self) -> None:
        assert route_on_escalation({}) == "continue"
        assert route_on_escalation({"escalation": {"action": "offer_human"}}) == "continue"
        assert route_on_escalation({"escalation": {"action": "handoff"}}) == "handoff"
        assert route_on_escalation(SimpleNamespace(escalation={"action": "handoff"})) == "handoff"


def test_the_middleware_builds_its_own_engine_by_default() -> None:
    middleware = EscalationAgentMiddleware()
    assert isinstance(middleware.escalator, Escalator)


def test_the_example_runs_offline_and_hands_off() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "langchain_agent.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "escalate.decision" not in out  # events are filtered, as the example says
    assert "bot:  Your order left our warehouse and arrives on Thursday." in out
    assert "  [offered a person: emotional_stress, customer_dissatisfied]" in out
    assert f"for you.\n      {OFFER}\n" in out
    assert "  [handed off: human_requested]" in out
    assert '    Customer\'s goal: "where is my order 42?"' in out
    assert f"bot:  {HANDOFF}\nuser: hello?\nbot:  (no answer: a person has the conversation)" in out
    assert out.rstrip().endswith("escalation: handoff; model calls: 3")
