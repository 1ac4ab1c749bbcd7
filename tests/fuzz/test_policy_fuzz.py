"""The policy loader on any file and any document: a ``Policy`` or a ``PolicyError``, nothing else.

Policies come from pull requests and configuration repositories; CI validates them. Whatever a
file holds (any bytes, any YAML/TOML/JSON document), ``load_policy`` returns a valid policy or
raises ``PolicyError`` whose every problem has a message, and ``escalate policy validate``
exits 0 or 2.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Policy, PolicyError, load_policy
from fuzz.strategies import policy_documents

pytestmark = pytest.mark.slow  # hypothesis: a few hundred cases each

SUFFIXES = st.sampled_from([".yaml", ".yml", ".json", ".toml"])


def load_file(data: bytes, suffix: str) -> Policy | PolicyError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"policy{suffix}"
        path.write_bytes(data)
        try:
            return load_policy(path)
        except PolicyError as error:
            return error


def assert_clear(outcome: Policy | PolicyError) -> None:
    if isinstance(outcome, PolicyError):
        assert outcome.problems
        assert all(problem.message for problem in outcome.problems)
        str(outcome)  # the message renders


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), SUFFIXES)
def test_any_bytes_load_or_fail_clearly(data: bytes, suffix: str) -> None:
    assert_clear(load_file(data, suffix))


@settings(max_examples=200, deadline=None)
@given(policy_documents(), st.sampled_from(["yaml", "json"]))
def test_any_document_loads_or_fails_clearly(document: dict[str, Any], form: str) -> None:
    text = yaml.safe_dump(document) if form == "yaml" else json.dumps(document)
    assert_clear(load_file(text.encode(), f".{form}"))


@settings(max_examples=200, deadline=None)
@given(policy_documents())
def test_any_mapping_loads_or_fails_clearly(document: dict[str, Any]) -> None:
    try:
        load_policy(document)
    except PolicyError as error:
        assert_clear(error)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from("[]{}:,-'\"#&*!|> \n\tax01.="), max_size=80), SUFFIXES)
def test_syntax_soup_fails_clearly(text: str, suffix: str) -> None:
    assert_clear(load_file(text.encode(), suffix))


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".toml"])
def test_the_strategies_reach_valid_policies_too(suffix: str) -> None:
    # The properties above would hold vacuously if nothing ever loaded.
    text = {
        ".yaml": "extends: default\nname: fuzz\n",
        ".json": '{"extends": "default", "name": "fuzz"}',
        ".toml": 'extends = "default"\nname = "fuzz"\n',
    }[suffix]
    loaded = load_file(text.encode(), suffix)
    assert isinstance(loaded, Policy)
    assert loaded.name == "fuzz"
