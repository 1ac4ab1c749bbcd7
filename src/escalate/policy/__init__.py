"""Policies: the thresholds and rules that turn signal levels into actions, as data."""

from escalate.policy._step import (
    Verdict,
    apply_outcome,
    decide,
    policy_step,
    record_decline,
    remember_verdict,
    rule_facts,
)
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
    "apply_outcome",
    "decide",
    "default_policy",
    "load_policy",
    "policy_step",
    "record_decline",
    "remember_verdict",
    "rule_facts",
]
