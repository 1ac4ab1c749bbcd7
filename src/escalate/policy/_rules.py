"""Rules, routes and messages: what a policy does beyond signal thresholds."""

from __future__ import annotations

import string
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from escalate.models import Action, ReasonCode
from escalate.policy._conditions import Condition

__all__ = ["MESSAGE_FIELDS", "Escalation", "Fallback", "Message", "Route", "Rule"]

_STRICT = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

MESSAGE_FIELDS: Final = ("action", "reason", "route")
"""The placeholders a message template may use, e.g. ``"Connecting you with {route}."``."""


def _checked_template(template: str) -> str:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"not a valid message template: {exc}; write {{{{ for a brace") from None
    for name in fields:
        if name not in MESSAGE_FIELDS:
            raise ValueError(
                f"unknown placeholder {{{name}}}; a message can use "
                + ", ".join(f"{{{field}}}" for field in MESSAGE_FIELDS)
            )
    return template


Message = Annotated[str, Field(min_length=1), AfterValidator(_checked_template)]
"""Text the bot can show the customer, with optional ``{action}``, ``{reason}``, ``{route}``."""

Escalation = Literal[Action.OFFER_HUMAN, Action.HANDOFF]
"""The actions a rule can take: rules only ever escalate."""


class Rule(BaseModel):
    """When ``when`` holds, escalate to ``action`` for ``reason``.

    Every rule that holds is a candidate, like a signal over its threshold; the strongest
    action wins, and among those the highest ``priority`` (then the first listed) chooses the
    route and message.
    """

    model_config = _STRICT

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=80)
    """Unique within the policy; an extending policy replaces a base rule by its id."""
    description: str = ""
    when: Condition
    action: Escalation
    reason: ReasonCode
    priority: int = Field(default=0, strict=True)
    route: str | None = None
    """A name from the policy's ``routes``: the queue or team to hand off to."""
    message: Message | None = None
    enabled: bool = True
    """``false`` switches a rule off (e.g. a base policy's rule, from an extending policy)."""


class Fallback(BaseModel):
    """What to do instead when a route cannot reach a human (closed, or no one staffed)."""

    model_config = _STRICT

    action: Action
    route: str | None = None
    message: Message | None = None


class Route(BaseModel):
    """A team or queue the host hands conversations to."""

    model_config = _STRICT

    description: str = ""
    message: Message | None = None
    """Shown when a decision goes to this route (unless the rule has its own)."""
    hours: str | None = None
    """A calendar name from the policy's ``hours``; outside it the route is unavailable."""
    when_unavailable: Fallback | None = None
    """Used when the route is closed or ``meta.agents_available`` says no one is there."""
