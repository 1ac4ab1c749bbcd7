"""Whole conversations from tests/fixtures/conversations.yaml through the default policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from escalate import Action, Escalator
from escalate.testing import run_conversation, user_decisions

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "conversations.yaml").read_text(encoding="utf-8")
)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_the_default_policy_decides_as_expected(esc: Escalator, case: dict[str, Any]) -> None:
    decisions = user_decisions(run_conversation(esc, [tuple(turn) for turn in case["turns"]]))
    timeline = [(d.user_turn, d.action.value, [r.code.value for r in d.reasons]) for d in decisions]
    expect = case["expect"]
    if "max_action" in expect:
        ceiling = Action(expect["max_action"]).rank
        assert all(d.action.rank <= ceiling for d in decisions), timeline
        return
    floor = Action(expect["min_action"]).rank
    reached = [
        d for d in decisions if d.user_turn <= expect["by_user_turn"] and d.action.rank >= floor
    ]
    assert reached, timeline
    if "reason" in expect:
        assert expect["reason"] in {r.code.value for r in reached[0].reasons}, timeline
