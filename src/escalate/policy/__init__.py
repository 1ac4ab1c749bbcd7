"""Policies: the thresholds and rules that turn signal levels into actions, as data."""

from escalate.policy.engine import Verdict, decide
from escalate.policy.loader import default_policy, load_policy
from escalate.policy.model import CooldownPolicy, OptOutPolicy, Policy, SignalPolicy

__all__ = [
    "CooldownPolicy",
    "OptOutPolicy",
    "Policy",
    "SignalPolicy",
    "Verdict",
    "decide",
    "default_policy",
    "load_policy",
]
