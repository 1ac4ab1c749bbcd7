"""Unit tests for policies, as data: conversations with the decisions they must produce.

A case file (``*.escalate.yaml``) holds many cases; ``escalate test`` and the pytest plugin
run them. See ``docs/how-to/test-policies.md`` for the format.
"""

from escalate.policy_tests.load import LoadedCase, LoadedFile, load_case_file
from escalate.policy_tests.model import ActionBounds, Case, CaseFile, Expectation, Step
from escalate.policy_tests.run import CaseResult, TurnFailure, run_case

__all__ = [
    "ActionBounds",
    "Case",
    "CaseFile",
    "CaseResult",
    "Expectation",
    "LoadedCase",
    "LoadedFile",
    "Step",
    "TurnFailure",
    "load_case_file",
    "run_case",
]
