"""The case-file schema: cases, their turns, and what each turn's decision must be."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from escalate.models import Action, Decision, Outcome, ReasonCode, Role

__all__ = ["ActionBounds", "Case", "CaseFile", "Expectation", "Step"]

_STRICT = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class ActionBounds(BaseModel):
    """``{at_least: offer_human}``, ``{at_most: offer_human}`` or both."""

    model_config = _STRICT

    at_least: Action | None = None
    at_most: Action | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Self:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least, at_most or both")
        low, high = self.at_least, self.at_most
        if low is not None and high is not None and low.rank > high.rank:
            raise ValueError("at_least is above at_most")
        return self

    def admits(self, action: Action) -> bool:
        """Whether ``action`` lies within the bounds."""
        low = self.at_least.rank if self.at_least is not None else 0
        high = self.at_most.rank if self.at_most is not None else 2
        return low <= action.rank <= high

    def __str__(self) -> str:
        parts = []
        if self.at_least is not None:
            parts.append(f"at least {self.at_least.value}")
        if self.at_most is not None:
            parts.append(f"at most {self.at_most.value}")
        return " and ".join(parts)


class Expectation(BaseModel):
    """What the decision on a turn must be. Every given field is checked."""

    model_config = _STRICT

    action: Action | ActionBounds | None = None
    reason: ReasonCode | list[ReasonCode] | None = None
    """Reason code(s) the decision must carry among its ``reasons``."""
    not_reason: ReasonCode | list[ReasonCode] | None = None
    """Reason code(s) it must not carry."""
    route: str | None = None
    """The decision's route; ``null`` means it must have none."""
    rule: str | None = None
    """A rule id that must have raised one of the reasons."""
    message_contains: str | None = None

    @model_validator(mode="after")
    def _checks_something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError(
                "an empty expect checks nothing: give action, reason, not_reason, route, rule"
                " or message_contains"
            )
        return self

    def mismatches(self, decision: Decision) -> list[tuple[str, str, str]]:
        """``(field, expected, got)`` for every check the decision fails."""
        found = []
        action = self.action
        if isinstance(action, Action) and decision.action is not action:
            found.append(("action", action.value, decision.action.value))
        if isinstance(action, ActionBounds) and not action.admits(decision.action):
            found.append(("action", str(action), decision.action.value))
        codes = {reason.code for reason in decision.reasons}
        got_codes = ", ".join(code.value for code in decision.reason_codes) or "no reasons"
        found.extend(
            ("reason", code.value, got_codes) for code in _listed(self.reason) if code not in codes
        )
        found.extend(
            ("not_reason", f"not {code.value}", got_codes)
            for code in _listed(self.not_reason)
            if code in codes
        )
        if "route" in self.model_fields_set and decision.route != self.route:
            found.append(("route", str(self.route), str(decision.route)))
        rules = [reason.rule for reason in decision.reasons]
        if self.rule is not None and self.rule not in rules:
            found.append(("rule", self.rule, ", ".join(str(rule) for rule in rules) or "none"))
        if self.message_contains is not None and self.message_contains not in (
            decision.message or ""
        ):
            found.append(
                ("message", f"containing {self.message_contains!r}", repr(decision.message))
            )
        return found


def _listed(value: ReasonCode | list[ReasonCode] | None) -> list[ReasonCode]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Step(BaseModel):
    """One turn, or an outcome the host reports.

    A turn is ``user:``, ``bot:``, ``agent:`` or ``system:`` with its text; an outcome is
    ``outcome: offer_declined`` (or ``handed_off``, ``returned_to_bot``...).
    """

    model_config = _STRICT

    user: str | None = None
    bot: str | None = None
    agent: str | None = None
    system: str | None = None
    outcome: Outcome | None = None
    ts: datetime | None = None
    meta: dict[str, JsonValue] = Field(default_factory=dict)
    """Merged over the case's ``meta`` for this turn."""
    expect: Expectation | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        given = [
            name
            for name in ("user", "bot", "agent", "system", "outcome")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError("a step has exactly one of user, bot, agent, system and outcome")
        if self.outcome is not None and self.expect is not None:
            raise ValueError("an outcome step has no decision to expect anything of")
        return self

    @property
    def role(self) -> Role | None:
        """Who wrote the turn (``None`` for an outcome)."""
        for role in Role:
            if getattr(self, role.value) is not None:
                return role
        return None

    @property
    def text(self) -> str:
        """The turn's text (empty for an outcome)."""
        role = self.role
        return "" if role is None else str(getattr(self, role.value))


class Case(BaseModel):
    """A conversation and the decisions it must produce."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    description: str = ""
    meta: dict[str, JsonValue] = Field(default_factory=dict)
    """Sent with every turn (each step's own ``meta`` is laid over it)."""
    turns: list[Step] = Field(min_length=1)


class CaseFile(BaseModel):
    """A file of cases, optionally naming the policy they test (relative to the file)."""

    model_config = _STRICT

    policy: str | None = None
    cases: list[Case] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [case.name for case in self.cases]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"case names must be unique; repeated: {', '.join(repeated)}")
        return self
