"""Renamed public names (issue 20) keep working for a while, with a warning naming the new one."""

from __future__ import annotations

import importlib
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("escalate.insights", "DuckDBEngine", "DuckDBBackend"),
        ("escalate.insights", "SqlEngine", "SqlBackend"),
        ("escalate.insights.aggregate", "DuckDBEngine", "DuckDBBackend"),
        ("escalate.insights.aggregate", "SqlEngine", "SqlBackend"),
        ("escalate.insights.spark", "SparkEngine", "SparkBackend"),
    ],
)
def test_an_old_name_is_the_new_object_with_a_deprecation_warning(
    module: str, old: str, new: str
) -> None:
    imported = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{old} is deprecated: use .*\.{new}"):
        value = getattr(imported, old)
    assert value is getattr(imported, new)


def test_a_name_never_defined_is_still_an_attribute_error() -> None:
    import escalate.insights

    with pytest.raises(AttributeError, match="no_such_name"):
        escalate.insights.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_the_policy_engine_module_is_a_deprecated_alias_of_the_policy_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import escalate.policy

    monkeypatch.delitem(sys.modules, "escalate.policy.engine", raising=False)
    with pytest.warns(DeprecationWarning, match="import policy_step, decide and the rest from"):
        old = importlib.import_module("escalate.policy.engine")
    assert old.policy_step is escalate.policy.policy_step
    assert old.decide is escalate.policy.decide


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("escalate.evaluation", "Case", "LabelledCase"),
        ("escalate.evaluation", "Check", "LabelledCheck"),
        ("escalate.evaluation", "Expect", "ExpectedAction"),
        ("escalate.audit", "Problem", "TrailProblem"),
        ("escalate.audit.verify", "Problem", "TrailProblem"),
        ("escalate.policy.compiled", "Check", "ConditionCheck"),
    ],
)
def test_names_that_meant_two_things_keep_their_old_spelling_for_now(
    module: str, old: str, new: str
) -> None:
    imported = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{old} is deprecated: use .*\.{new}"):
        value = getattr(imported, old)
    assert value is getattr(imported, new)
    assert old not in imported.__all__  # the new name is the one exported


def test_an_old_name_imports_with_from_import() -> None:
    with pytest.warns(DeprecationWarning, match="use escalate.evaluation.LabelledCase"):
        from escalate.evaluation import Case  # type: ignore[attr-defined]
    from escalate.evaluation import LabelledCase

    assert Case is LabelledCase
