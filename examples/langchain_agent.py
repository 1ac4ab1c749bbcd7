"""A LangChain agent that brings in a person when the conversation needs one.

Runs offline: a scripted fake chat model stands in for the LLM (swap in any chat model).

- The customer's messages are scored before the model runs, the model's replies after.
- An offer of a person rides along with the model's reply.
- On a handoff the agent answers with the policy's message and stops: the model is not called,
  and ``open_ticket`` gets the handoff context (goal, reasons, last turns, summary).
- After the handoff the agent stays quiet: a person has the conversation.

Needs ``pip install 'escalate[langchain]'``.
"""

from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from escalate import Escalator, HandoffContext
from escalate.integrations.langchain import EscalationAgentMiddleware


class ScriptedModel(GenericFakeChatModel):
    """Answers from a script, and counts how often it is asked."""

    calls: int = 0

    def bind_tools(self, tools: Any, **kwargs: Any) -> "ScriptedModel":
        return self

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return super()._generate(*args, **kwargs)


@tool
def order_status(order_id: str) -> str:
    """Where an order is."""
    return f"Order {order_id} left our warehouse and arrives on Thursday."


def open_ticket(context: HandoffContext) -> None:
    """What your ticket system or live-chat queue would receive."""
    reasons = ", ".join(reason.code.value for reason in context.reasons)
    if context.action.value == "offer_human":
        print(f"  [offered a person: {reasons}]")
        return
    print(f"  [handed off: {reasons}]")
    for line in context.summary.splitlines():
        print(f"    {line}")


def main() -> None:
    model = ScriptedModel(
        messages=iter(
            [
                AIMessage(
                    content="",
                    tool_calls=[{"name": "order_status", "args": {"order_id": "42"}, "id": "1"}],
                ),
                "Your order left our warehouse and arrives on Thursday.",
                "I'm sorry about that. Let me check the delivery options for you.",
                "(the model is not asked after the handoff)",
            ]
        )
    )
    agent = create_agent(
        model,
        tools=[order_status],
        middleware=[EscalationAgentMiddleware(Escalator(), on_escalation=open_ticket)],
        checkpointer=InMemorySaver(),  # keeps the thread's messages between runs
    )
    config = {"configurable": {"thread_id": "customer-42"}}  # the conversation id
    for text in [
        "where is my order 42?",
        "Thursday?! I'm frustrated, it doesn't work",
        "I want to talk to a real person",
        "hello?",
    ]:
        print(f"user: {text}")
        result = agent.invoke({"messages": [HumanMessage(text)]}, config)
        last = result["messages"][-1]
        if isinstance(last, AIMessage):
            print("bot:  " + last.text.replace("\n\n", "\n      "))
        else:
            print("bot:  (no answer: a person has the conversation)")
    print(f"escalation: {result['escalation']['action']}; model calls: {model.calls}")


if __name__ == "__main__":
    main()
