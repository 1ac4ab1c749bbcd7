"""Unit tests for policies, as data: conversations with the decisions they must produce.

A case file (``*.escalate.yaml``) holds many cases; ``escalate test`` and the pytest plugin
run them. See ``docs/how-to/test-policies.md`` for the format.
"""

from escalate.policy_tests._junit import write_junit_xml
from escalate.policy_tests._load import LoadedCase, LoadedFile, load_case_file
from escalate.policy_tests._model import ActionBounds, Case, CaseFile, Expectation, Step
from escalate.policy_tests._run import CaseResult, TurnFailure, reasons_text, run_case

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
    "reasons_text",
    "run_case",
    "write_junit_xml",
]
