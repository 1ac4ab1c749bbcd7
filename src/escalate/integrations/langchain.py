"""LangChain v1 agents and LangGraph graphs that know when to bring in a person.

``EscalationAgentMiddleware`` plugs into ``langchain.agents.create_agent``. On every run it
scores the customer's new message before the model is called, and the model's reply after it:

- on a new **handoff** it calls your ``on_escalation`` callback with the ``HandoffContext``,
  answers with the policy's message (an ``AIMessage``) and ends the run: the model is not
  called for an answer nobody will send;
- on a new **offer** of a person, it calls the callback and appends the policy's message to the
  model's reply ("Would you like me to connect you with a person?");
- while a person has the conversation (after a handoff, until you report ``returned_to_bot``),
  the agent does not answer: each run ends before the model is called.

Messages with only tool calls are not customer-facing text: they are not scored, and an offer
waits for the model's final reply. The state key ``escalation`` (an ``Escalation``) tells the
caller what was decided, with the handoff context of a new escalation.

The conversation is the run's ``configurable.thread_id`` (the LangGraph convention, the same id
a checkpointer uses), or what ``conversation_id`` says. A failure inside escalate, or in your
callback, is logged on the ``escalate.integrations.langchain`` logger and never breaks the agent:
the run goes on as if escalate were not there.

For graphs built by hand, ``escalation_node`` scores the last message and writes
``{"escalation": ...}`` into the state; ``route_on_escalation`` reads it for a conditional edge.

Examples:
    >>> from langchain.agents import create_agent
    >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    >>> from escalate import Escalator
    >>> from escalate.integrations.langchain import EscalationAgentMiddleware
    >>> model = GenericFakeChatModel(messages=iter(["Your order arrives on Thursday."]))
    >>> agent = create_agent(model, middleware=[EscalationAgentMiddleware(Escalator())])
    >>> config = {"configurable": {"thread_id": "doctest-1"}}
    >>> agent.invoke({"messages": [("user", "where is my order?")]}, config)["messages"][-1].text
    'Your order arrives on Thursday.'
    >>> result = agent.invoke({"messages": [("user", "let me talk to a person")]}, config)
    >>> result["messages"][-1].text, result["escalation"]["action"]
    ("I'm connecting you with a colleague now.", 'handoff')
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, NotRequired, TypeVar

from escalate.exceptions import MissingDependencyError
from escalate.middleware import MiddlewareBase, Notify, ReplyMode, Score
from escalate.models import Action, Decision, Role

try:
    from langchain.agents.middleware import AgentMiddleware, AgentState, hook_config
    from langchain.agents.middleware.types import OmitFromSchema
    from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
    from langchain_core.runnables import RunnableLambda
    from langgraph.config import get_config
    from langgraph.graph import MessagesState
    from typing_extensions import TypedDict  # pydantic reads state schemas: not typing's
except ImportError as error:
    raise MissingDependencyError("the LangChain middleware", "langchain") from error

if TYPE_CHECKING:
    from langchain_core.runnables import Runnable, RunnableConfig
    from langgraph.runtime import Runtime

    from escalate.engine import Escalator
    from escalate.handoff import HandoffContext

__all__ = [
    "Escalation",
    "EscalationAgentMiddleware",
    "EscalationAgentState",
    "EscalationGraphState",
    "escalation_node",
    "route_on_escalation",
]

_log = logging.getLogger("escalate.integrations.langchain")

OnEscalation = Callable[["HandoffContext"], Any]
"""Called with the context of a new escalation; may return an awaitable (async runs)."""
ConversationId = str | Callable[["RunnableConfig"], "str | None"]
"""A fallback id for runs without a thread id, or a function of the run's config."""

_ESCALATION_KEY: Final = "escalation"
_SEEN_KEY: Final = "escalation_seen"
_PENDING_KEY: Final = "escalation_pending"
# LangGraph resolves the state schema's annotations at run time: these must be module globals.
_OUTPUT_ONLY: Final = OmitFromSchema(input=True, output=False)
_PRIVATE: Final = OmitFromSchema(input=True, output=True)
_NOT_RUN: Final = "Not run: the conversation was handed to a person."

_T = TypeVar("_T")
_Step = Score | Notify
_Steps = Generator[_Step, Any, _T]


class Escalation(TypedDict):
    """What escalate decided on the conversation's last scored turn: the ``escalation`` key.

    Plain JSON values, so a checkpointer can store it and a client can read it.
    """

    action: Literal["continue", "offer_human", "handoff"]
    """The conversation's action after the turn."""
    new: bool
    """This turn raised the escalation: ``on_escalation`` ran, ``message`` is for the customer."""
    message: str | None
    """The policy's message when ``new`` (the agent middleware has already sent it)."""
    reasons: list[str]
    """Reason codes, strongest first (``human_requested``, ``emotional_stress``...)."""
    route: str | None
    """The team or queue the policy routes to."""
    conversation_id: str
    decision_id: str
    message_id: str | None
    """The id of the message that was scored."""
    context: dict[str, Any] | None
    """``HandoffContext.model_dump(mode="json")`` when ``new``, else ``None``."""


class EscalationAgentState(AgentState[Any]):
    """The agent state with the middleware's keys (``escalation`` is in the agent's output)."""

    escalation: NotRequired[Annotated[Escalation, _OUTPUT_ONLY]]
    escalation_seen: NotRequired[Annotated[str | None, _PRIVATE]]
    """The id of the last customer message scored (a tool loop must not score it again)."""
    escalation_pending: NotRequired[Annotated[dict[str, Any] | None, _PRIVATE]]
    """A new offer (a ``Decision`` as JSON) to append to the model's next final reply."""


class EscalationGraphState(MessagesState):
    """LangGraph's ``MessagesState`` with the ``escalation`` key, for hand-built graphs.

    Use it as the graph's state, or add ``escalation: NotRequired[Escalation]`` to yours.
    """

    escalation: NotRequired[Escalation]


class _Scorer(MiddlewareBase):
    """What the agent middleware and the graph node share.

    Naming the conversation, and running the sans-IO steps (``Score``, ``Notify``) by calling
    or by awaiting them. A ``Notify`` step's result is the ``HandoffContext`` (``None`` if it
    could not be built).
    """

    log = _log
    sync_hint = (
        "the agent runs synchronously (invoke, stream): run it with ainvoke or astream, or pass "
        "a plain function"
    )

    def __init__(
        self,
        escalator: Escalator | None,
        on_escalation: OnEscalation | None,
        conversation_id: ConversationId | None,
    ) -> None:
        # Offers go after the model's reply; a handoff replaces it (the model is not called).
        super().__init__(escalator, on_escalation, ReplyMode.APPEND, ReplyMode.REPLACE)
        self.conversation_id = conversation_id
        self._warned = False

    def _conversation(self) -> str | None:
        """The conversation of the current run, or ``None`` (escalate then sits it out)."""
        try:
            config = get_config()
        except RuntimeError:  # called outside a run (a test calling a hook directly)
            config = {}
        source = self.conversation_id
        try:
            found = source(config) if callable(source) else _thread_id(config) or source
        except Exception:  # noqa: BLE001 - escalate must never break the agent
            _log.exception("conversation_id could not name the conversation; skipping escalate")
            return None
        if found:
            return str(found)
        if not self._warned:
            self._warned = True
            # Scoring unrelated runs as one conversation would hand one customer's request to
            # another: skip instead, and say how to fix it.
            _log.warning(
                "escalate skips runs without a conversation id: pass "
                'config={"configurable": {"thread_id": ...}} or set conversation_id='
            )
        return None

    def _drive(self, conversation_id: str, steps: _Steps[_T]) -> _T:
        result: Any = None
        while True:
            try:
                step = steps.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(step, Score):
                result = self.score(conversation_id, step.role, step.text)
            else:
                result = self.notify(step.decision)

    async def _adrive(self, conversation_id: str, steps: _Steps[_T]) -> _T:
        result: Any = None
        while True:
            try:
                step = steps.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(step, Score):
                result = await self.ascore(conversation_id, step.role, step.text)
            else:
                result = await self.anotify(step.decision)


class EscalationAgentMiddleware(_Scorer, AgentMiddleware[EscalationAgentState, Any]):
    """Agent middleware for ``create_agent``: hand the conversation to a person when it should.

    ``before_model`` scores the customer's new messages (a user turn each) and ends the run on
    a handoff; ``after_model`` scores the model's reply (a bot turn) and appends an offer to it.
    Both have async twins for ``ainvoke`` and ``astream``.

    Args:
        escalator: the engine (default: ``Escalator()`` with the bundled policy). It keeps
            each conversation's state itself: give it a shared store (redis) when the agent
            runs on several workers.
        conversation_id: how runs are tied to a conversation. By default the run's
            ``configurable.thread_id``; a string is the id of runs without a thread id (one
            agent per conversation); a function gets the run's config and returns the id (or
            ``None``). A run without an id is not scored (a warning is logged once).
        on_escalation: called once per escalation with the ``HandoffContext``: create the
            ticket, page the queue. It may be async when the agent runs asynchronously.

    Examples:
        >>> from escalate import Escalator
        >>> middleware = EscalationAgentMiddleware(
        ...     Escalator(), conversation_id=lambda config: config["configurable"]["user_id"]
        ... )
        >>> middleware.name
        'EscalationAgentMiddleware'
    """

    state_schema = EscalationAgentState

    def __init__(
        self,
        escalator: Escalator | None = None,
        *,
        conversation_id: ConversationId | None = None,
        on_escalation: OnEscalation | None = None,
    ) -> None:
        super().__init__(escalator, on_escalation, conversation_id)

    @hook_config(can_jump_to=["end"])
    def before_model(
        self, state: EscalationAgentState, runtime: Runtime[Any]
    ) -> dict[str, Any] | None:
        """Score the customer's new messages; on a handoff, answer for the model and end."""
        return self._hook(self._user_turns, state, "before")

    @hook_config(can_jump_to=["end"])
    async def abefore_model(
        self, state: EscalationAgentState, runtime: Runtime[Any]
    ) -> dict[str, Any] | None:
        """Async twin of ``before_model``."""
        return await self._ahook(self._user_turns, state, "before")

    @hook_config(can_jump_to=["end"])
    def after_model(
        self, state: EscalationAgentState, runtime: Runtime[Any]
    ) -> dict[str, Any] | None:
        """Score the model's reply; append an offer to it, or replace it by a handoff."""
        return self._hook(self._bot_turn, state, "after")

    @hook_config(can_jump_to=["end"])
    async def aafter_model(
        self, state: EscalationAgentState, runtime: Runtime[Any]
    ) -> dict[str, Any] | None:
        """Async twin of ``after_model``."""
        return await self._ahook(self._bot_turn, state, "after")

    def _hook(
        self,
        steps_for: Callable[[Mapping[str, Any]], _Steps[dict[str, Any] | None]],
        state: Mapping[str, Any],
        when: str,
    ) -> dict[str, Any] | None:
        """Run a hook's steps for the current run's conversation (none: escalate sits out)."""
        conversation_id = self._conversation()
        if conversation_id is None:
            return None
        try:
            return self._drive(conversation_id, steps_for(state))
        except Exception:  # noqa: BLE001 - escalate must never break the agent
            _log.exception("escalate failed %s the model ran for %s", when, conversation_id)
            return None

    async def _ahook(
        self,
        steps_for: Callable[[Mapping[str, Any]], _Steps[dict[str, Any] | None]],
        state: Mapping[str, Any],
        when: str,
    ) -> dict[str, Any] | None:
        """Async twin of ``_hook``."""
        conversation_id = self._conversation()
        if conversation_id is None:
            return None
        try:
            return await self._adrive(conversation_id, steps_for(state))
        except Exception:  # noqa: BLE001 - escalate must never break the agent
            _log.exception("escalate failed %s the model ran for %s", when, conversation_id)
            return None

    def _user_turns(self, state: Mapping[str, Any]) -> _Steps[dict[str, Any] | None]:
        """The customer's messages since the last scored one: score them, decide the run."""
        new = _unscored_customer_messages(state.get("messages") or (), state.get(_SEEN_KEY))
        if not new:
            return None  # a tool loop's next model call: this turn was scored already
        decisions: list[Decision] = []
        for message in new:
            text = _text(message)
            if text:
                decision = yield Score(Role.USER, text)
                if decision is not None:
                    decisions.append(decision)
        update: dict[str, Any] = {_SEEN_KEY: new[-1].id}
        if not decisions:
            return update
        announce = _announced(decisions)
        context = (yield Notify(announce)) if announce is not None else None
        update[_ESCALATION_KEY] = _escalation(
            announce or decisions[-1], context, new[-1].id, new=announce is not None
        )
        if self.skips_handler(announce or decisions[-1]):
            # A handoff: answer with the policy's message, or (handed off earlier) stay silent.
            update["jump_to"] = "end"
            update[_PENDING_KEY] = None
            reply = None if announce is None else self.compose(None, announce)
            if reply:
                update["messages"] = [AIMessage(content=reply)]
        elif announce is not None:
            update[_PENDING_KEY] = announce.model_dump(mode="json")
        return update

    def _bot_turn(self, state: Mapping[str, Any]) -> _Steps[dict[str, Any] | None]:
        """The model's reply: compose a pending offer into it, score it, act on the decision."""
        messages: Sequence[AnyMessage] = state.get("messages") or ()
        if not messages or not isinstance(messages[-1], AIMessage):
            return None
        ai = messages[-1]
        final = not ai.tool_calls  # a reply with tool calls is a step, not the answer
        update: dict[str, Any] = {}
        text = _text(ai)
        reply = text
        pending = _pending(state.get(_PENDING_KEY)) if final else None
        if pending is not None:
            reply = self.compose(reply, pending) or ""
            update[_PENDING_KEY] = None
        if not reply:
            return update or None  # only tool calls: not customer-facing text
        after = yield Score(Role.BOT, reply)
        stop = after is not None and after.action is Action.HANDOFF
        announced = self.escalated(after)
        if announced:  # the reply itself tipped it (the bot's third fallback)
            context = yield Notify(after)
            update[_ESCALATION_KEY] = _escalation(after, context, ai.id, new=True)
            if final or stop:
                reply = self.compose(reply, after) or ""
            else:
                update[_PENDING_KEY] = after.model_dump(mode="json")
        elif after is not None and _action_changed(state, after):
            update[_ESCALATION_KEY] = _escalation(after, None, ai.id, new=False)
        if stop:
            update["jump_to"] = "end"
            update[_PENDING_KEY] = None
        if stop and not final:
            # The tool calls will not run: answer them, so the history stays valid for the
            # model when the conversation comes back to the bot.
            update["messages"] = [*_not_run(ai), *_handoff_message(after, announced)]
        elif reply != text:
            update["messages"] = [ai.model_copy(update={"content": _content(ai, text, reply)})]
        return update


class _GraphScorer(_Scorer):
    """The ``escalation_node`` of a hand-built graph: scores the last message."""

    def node(self, state: Any) -> dict[str, Any] | None:
        conversation_id = self._conversation()
        if conversation_id is None:
            return None
        try:
            return self._drive(conversation_id, self._last_turn(state))
        except Exception:  # noqa: BLE001 - escalate must never break the graph
            _log.exception("escalate could not score the last message of %s", conversation_id)
            return None

    async def anode(self, state: Any) -> dict[str, Any] | None:
        conversation_id = self._conversation()
        if conversation_id is None:
            return None
        try:
            return await self._adrive(conversation_id, self._last_turn(state))
        except Exception:  # noqa: BLE001 - escalate must never break the graph
            _log.exception("escalate could not score the last message of %s", conversation_id)
            return None

    def _last_turn(self, state: Any) -> _Steps[dict[str, Any] | None]:
        messages = _field(state, "messages") or ()
        if not messages:
            return None
        message = messages[-1]
        if isinstance(message, HumanMessage):
            role = Role.USER
        elif isinstance(message, AIMessage):
            role = Role.BOT
        else:
            return None
        current = _field(state, _ESCALATION_KEY)
        if (
            message.id is not None
            and isinstance(current, Mapping)
            and current.get("message_id") == message.id
        ):
            return None  # scored already (the node ran again on the same message)
        text = _text(message)
        if not text:
            return None
        decision = yield Score(role, text)
        if decision is None:
            return None
        rose = self.escalated(decision)
        context = (yield Notify(decision)) if rose else None
        return {_ESCALATION_KEY: _escalation(decision, context, message.id, new=rose)}


def escalation_node(
    escalator: Escalator | None = None,
    *,
    conversation_id: ConversationId | None = None,
    on_escalation: OnEscalation | None = None,
) -> Runnable[Any, dict[str, Any] | None]:
    """A LangGraph node that scores the last message and writes ``{"escalation": ...}``.

    The last message of ``state["messages"]`` is a user turn (``HumanMessage``) or a bot turn
    (``AIMessage`` with text); anything else, or a message already scored, is left alone. The
    node writes an ``Escalation`` and calls ``on_escalation`` when the conversation escalates
    further than before. It does not send anything: route on the result with
    ``route_on_escalation`` and send ``escalation["message"]`` when ``escalation["new"]``.
    Declare the key in your state (``escalation: NotRequired[Escalation]``), or use
    ``EscalationGraphState``.

    The arguments are those of ``EscalationAgentMiddleware``. The node works in ``invoke`` and
    ``ainvoke`` (it awaits ``aevaluate`` and an async callback there).
    """
    scorer = _GraphScorer(escalator, on_escalation, conversation_id)
    return RunnableLambda(scorer.node, afunc=scorer.anode, name="escalation")


def route_on_escalation(state: Any) -> Literal["handoff", "continue"]:
    """For ``add_conditional_edges``: ``"handoff"`` when the conversation is handed off.

    Offers route to ``"continue"``: the bot answers, and you append the offer's message.
    """
    escalation = _field(state, _ESCALATION_KEY)
    if isinstance(escalation, Mapping) and escalation.get("action") == Action.HANDOFF.value:
        return "handoff"
    return "continue"


def _thread_id(config: Mapping[str, Any]) -> str | None:
    configurable = config.get("configurable")
    if not isinstance(configurable, Mapping):
        return None
    thread = configurable.get("thread_id")
    return None if thread is None or thread == "" else str(thread)


def _field(state: Any, key: str) -> Any:
    """A state key, from a dict state or a pydantic/dataclass one."""
    if isinstance(state, Mapping):
        return state.get(key)
    return getattr(state, key, None)


def _text(message: AnyMessage) -> str:
    """The message's text (text blocks only); empty when it is only whitespace."""
    text = str(message.text)
    return text if text.strip() else ""


def _unscored_customer_messages(
    messages: Sequence[AnyMessage], seen: str | None
) -> list[AnyMessage]:
    """The customer's messages after the last one scored.

    Without a record of it (no checkpointer: the caller sends the history each run), the
    customer's messages after the last message of anyone else: this run's new turn.
    """
    start = None
    if seen is not None:
        for index in range(len(messages) - 1, -1, -1):
            if messages[index].id == seen:
                start = index + 1
                break
    if start is None:
        start = len(messages)
        while start > 0 and isinstance(messages[start - 1], HumanMessage):
            start -= 1
    return [message for message in messages[start:] if isinstance(message, HumanMessage)]


def _announced(decisions: Sequence[Decision]) -> Decision | None:
    """The decision to announce when several messages came at once (``None``: nothing new).

    The first of the last run of decisions at the final level: its message says so.
    """
    last = decisions[-1]
    if last.action.rank <= decisions[0].previous_action.rank:
        return None
    announce = last
    for decision in reversed(decisions):
        if decision.action is not last.action:
            break
        announce = decision
    return announce


def _escalation(
    decision: Decision, context: HandoffContext | None, message_id: str | None, *, new: bool
) -> Escalation:
    return Escalation(
        action=decision.action.value,
        new=new,
        message=decision.message if new else None,
        reasons=[code.value for code in decision.reason_codes],
        route=decision.route,
        conversation_id=decision.conversation_id,
        decision_id=decision.decision_id,
        message_id=message_id,
        context=None if context is None else context.model_dump(mode="json"),
    )


def _action_changed(state: Mapping[str, Any], decision: Decision) -> bool:
    current = state.get(_ESCALATION_KEY)
    return not isinstance(current, Mapping) or current.get("action") != decision.action.value


def _pending(value: object) -> Decision | None:
    if not isinstance(value, Mapping):
        return None
    try:
        return Decision.model_validate(value)
    except ValueError:  # written by another version: drop the offer rather than fail
        _log.warning("escalate dropped a pending offer it could not read")
        return None


def _content(ai: AIMessage, text: str, reply: str) -> str | list[str | dict[str, Any]]:
    """The message's new content: the reply; blocks (reasoning...) kept when text was added."""
    if isinstance(ai.content, list) and text and reply.startswith(text):
        return [*ai.content, {"type": "text", "text": reply[len(text) :]}]
    return reply


def _not_run(ai: AIMessage) -> list[ToolMessage]:
    return [
        ToolMessage(content=_NOT_RUN, tool_call_id=call["id"], name=call["name"], status="error")
        for call in ai.tool_calls
        if call.get("id")
    ]


def _handoff_message(decision: Decision | None, announced: bool) -> list[AIMessage]:  # noqa: FBT001
    if not announced or decision is None or not decision.message:
        return []
    return [AIMessage(content=decision.message)]
