"""Policies: the thresholds and rules that turn signal levels into actions, as data."""

from escalate.policy.engine import Verdict, decide
from escalate.policy.hours import Calendar
from escalate.policy.loader import default_policy, load_policy
from escalate.policy.model import CooldownPolicy, OptOutPolicy, Policy, SignalPolicy
from escalate.policy.rules import Fallback, Route, Rule

__all__ = [
    "Calendar",
    "CooldownPolicy",
    "Fallback",
    "OptOutPolicy",
    "Policy",
    "Route",
    "Rule",
    "SignalPolicy",
    "Verdict",
    "decide",
    "default_policy",
    "load_policy",
]
