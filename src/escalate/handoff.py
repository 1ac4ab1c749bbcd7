"""The warm handoff: what a human agent gets, so the customer never repeats themselves.

The engine keeps, per conversation, the customer's first substantive request (their goal, as
written: extracted, never generated) and the last few turns. ``handoff_context`` puts them
together with the decision, what the bot already tried (repeated answers, fallbacks, the
security step that failed) and a short plain-text summary, all redacted as the audit trail is.

Examples:
    >>> from escalate import Escalator
    >>> esc = Escalator()
    >>> _ = esc.evaluate("c-7", {"role": "user", "text": "hi"})
    >>> text = "my card 4111 1111 1111 1111 was charged twice"
    >>> _ = esc.evaluate("c-7", {"role": "user", "text": text})
    >>> decision = esc.evaluate("c-7", {"role": "user", "text": "let me talk to a human"})
    >>> context = esc.handoff_context(decision)
    >>> context.goal
    'my card [CARD] was charged twice'
    >>> print(context.summary.splitlines()[0])
    Customer's goal: "my card [CARD] was charged twice"
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict

from escalate.core import HumanRequestMemory, LoopMemory, SecurityMemory
from escalate.models import Action, Decision, Reason, ReasonCode, Role

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from escalate.audit import Redactor
    from escalate.core import ConversationState

__all__ = ["HandoffContext", "HandoffTurn", "build_handoff_context"]

_WHY: Final = {
    ReasonCode.HUMAN_REQUESTED: "asked for a person",
    ReasonCode.EMOTIONAL_STRESS: "is upset",
    ReasonCode.CONVERSATION_LOOP: "is going in circles with the bot",
    ReasonCode.SECURITY_DEAD_END: "is stuck in a security step",
    ReasonCode.SENSITIVE_TOPIC: "raised a sensitive matter",
    ReasonCode.HIGH_EFFORT: "has put in a lot for little progress",
    ReasonCode.CUSTOMER_DISSATISFIED: "pushed back on the bot's answers",
    ReasonCode.UNNECESSARY_FRICTION: "asked to cancel and kept getting offers instead",
    ReasonCode.ENGINE_ERROR: "could not be assessed automatically",
}
_QUOTES_PER_REASON: Final = 2


class HandoffTurn(BaseModel):
    """One of the last turns before the handoff."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    text: str
    """Redacted, and cut to 160 characters."""
    turn_index: int
    ts: datetime | None = None


class HandoffContext(BaseModel):
    """Everything the human agent taking over needs, redacted.

    Frozen: callbacks can keep it, log it or send it on (``model_dump_json()``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    conversation_id: str
    action: Action
    """``offer_human`` or ``handoff`` (or ``continue`` when asked for a context anyway)."""
    route: str | None
    """The team or queue the policy routes to."""
    reasons: tuple[Reason, ...]
    """Why, strongest first, with the evidence (quotes redacted)."""
    goal: str | None
    """The customer's first substantive request, as they wrote it (redacted)."""
    tried: tuple[str, ...]
    """What the bot already tried, in plain words: repeated answers, fallbacks, the security
    step that failed, offers declined."""
    last_turns: tuple[HandoffTurn, ...]
    """The last turns, oldest first (redacted)."""
    user_turns: int
    elapsed_seconds: float | None
    summary: str
    """A few plain-text lines for the agent's screen."""
    decision: Decision
    """The decision that triggered the handoff, evidence quotes redacted."""


def build_handoff_context(
    decision: Decision, state: ConversationState, redactor: Redactor
) -> HandoffContext:
    """The context for ``decision``, from what the engine remembers of its conversation."""
    memory = state.handoff
    redact = redactor.redact
    reasons = tuple(_redacted_reason(reason, redact) for reason in decision.reasons)
    goal = None if memory.goal is None else redact(memory.goal)
    tried = _tried(state, redact)
    elapsed = None
    if state.first_ts is not None and state.last_ts is not None:
        elapsed = state.last_ts - state.first_ts
    return HandoffContext(
        conversation_id=decision.conversation_id,
        action=decision.action,
        route=decision.route,
        reasons=reasons,
        goal=goal,
        tried=tried,
        last_turns=tuple(
            HandoffTurn(
                role=Role(turn.role),
                text=redact(turn.text),
                turn_index=turn.turn_index,
                ts=None if turn.ts is None else datetime.fromtimestamp(turn.ts, UTC),
            )
            for turn in memory.recent
        ),
        user_turns=state.user_turns,
        elapsed_seconds=elapsed,
        summary=_summary(
            decision, goal, reasons, tried, user_turns=state.user_turns, elapsed=elapsed
        ),
        decision=decision.model_copy(update={"reasons": reasons}),
    )


def _redacted_reason(reason: Reason, redact: Callable[[str], str]) -> Reason:
    evidence = tuple(
        item.model_copy(update={"text": redact(item.text)}) for item in reason.evidence
    )
    return reason.model_copy(update={"evidence": evidence})


def _tried(state: ConversationState, redact: Callable[[str], str]) -> tuple[str, ...]:
    tried = []
    # Read only (peek): reading must not create the memories a conversation never needed.
    loop = state.peek("loop", LoopMemory)
    if loop.fallback_streak == 1:
        tried.append("the bot did not understand the last message")
    elif loop.fallback_streak:
        tried.append(f"the bot did not understand {_times(loop.fallback_streak)} in a row")
    last_bot = next((t.text for t in reversed(state.handoff.recent) if t.role == "bot"), None)
    if any(loop.bot_repeats) and last_bot is not None:
        tried.append(f'the bot repeated an answer: "{redact(last_bot)}"')
    asked_again = sum(loop.user_repeats)
    if asked_again:
        tried.append(f"the customer repeated themselves {_times(asked_again)}")
    security = state.peek("security_dead_end", SecurityMemory)
    if security.takeover:
        tried.append("the customer reports the account was taken over")
    if security.blockers:
        step = (security.step or "a security step").replace("_", " ")
        quotes = _quotes(redact(item.text) for item in security.evidence)
        tried.append(f"security step ({step}) could not be completed: {quotes}")
    requests = state.peek("human_request", HumanRequestMemory).requests
    if requests > 1:
        tried.append(f"the customer asked for a person {_times(requests)}")
    declines = state.escalation.declines
    if declines:
        tried.append(f"the customer declined an offer of a person {_times(declines)} before")
    return tuple(tried)


def _summary(
    decision: Decision,
    goal: str | None,
    reasons: tuple[Reason, ...],
    tried: tuple[str, ...],
    *,
    user_turns: int,
    elapsed: float | None,
) -> str:
    lines = [f'Customer\'s goal: "{goal}"' if goal else "Customer's goal: not stated yet"]
    for reason in reasons:
        quotes = _quotes(item.text for item in reason.evidence)
        said = f" ({quotes})" if quotes else ""
        lines.append(f"Why a person: the customer {_WHY[reason.code]}{said}")
    lines.extend(f"Already tried: {item}" for item in tried)
    length = f"{user_turns} customer turn{'s' if user_turns != 1 else ''}"
    if elapsed is not None:
        length += f" over {elapsed / 60:.0f} min"
    route = f"; route: {decision.route}" if decision.route else ""
    lines.append(f"{length}{route}")
    return "\n".join(lines)


def _quotes(texts: Iterable[str]) -> str:
    """The first distinct quotes, one inside another counted once: '"a", "b"'."""
    kept: list[str] = []
    for text in texts:
        if text and not any(text in quote or quote in text for quote in kept):
            kept.append(text)
        if len(kept) == _QUOTES_PER_REASON:
            break
    return ", ".join(f'"{text}"' for text in kept)


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"  # noqa: PLR2004
