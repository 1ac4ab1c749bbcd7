"""Policies: the thresholds and rules that turn signal levels into actions, as data.

A policy file is read by ``load_policy`` (or ``default_policy``) into a ``Policy``, which the
engine calls once per turn (``policy_step``). ``trace_turn`` explains a decided turn
(``Escalator.explain``, ``escalate policy explain``). The file readers' helpers
(``yaml_with_positions``, ``problem_at``...) are shared with the case files' reader.
"""

from escalate.policy._compiled import ConditionCheck, RuleFacts
from escalate.policy._hours import Calendar
from escalate.policy._loader import PolicySource, default_policy, load_policy
from escalate.policy._locate import yaml_problem, yaml_with_positions
from escalate.policy._model import CooldownPolicy, OptOutPolicy, Policy, SignalPolicy
from escalate.policy._problems import problem_at, problem_from_pydantic
from escalate.policy._reference import markdown_reference
from escalate.policy._rules import Fallback, Route, Rule
from escalate.policy._step import (
    Verdict,
    apply_outcome,
    decide,
    policy_step,
    record_decline,
    remember_verdict,
    rule_facts,
)
from escalate.policy._trace import (
    NEAR_MISS_MARGIN,
    RuleTrace,
    SignalTrace,
    TurnTrace,
    scored_by,
    trace_turn,
)

__all__ = [
    "NEAR_MISS_MARGIN",
    "Calendar",
    "ConditionCheck",
    "CooldownPolicy",
    "Fallback",
    "OptOutPolicy",
    "Policy",
    "PolicySource",
    "Route",
    "Rule",
    "RuleFacts",
    "RuleTrace",
    "SignalPolicy",
    "SignalTrace",
    "TurnTrace",
    "Verdict",
    "apply_outcome",
    "decide",
    "default_policy",
    "load_policy",
    "markdown_reference",
    "policy_step",
    "problem_at",
    "problem_from_pydantic",
    "record_decline",
    "remember_verdict",
    "rule_facts",
    "scored_by",
    "trace_turn",
    "yaml_problem",
    "yaml_with_positions",
]
