"""Compiled rule predicates: the hot path and the explanation always agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Escalator, Turn, load_policy
from escalate.models import Role
from escalate.policy import RuleFacts
from escalate.signals import evidence_kinds
from escalate.testing import quiet_logger

SIGNALS = ("stress", "loop", "human_request")
KINDS = ("bot_fallback", "shouting", "lost_device")

levels = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def leaf() -> st.SearchStrategy[dict[str, Any]]:
    signal = st.fixed_dictionaries(
        {"signal": st.sampled_from(SIGNALS)},
        optional={"at_least": levels, "below": levels},
    ).filter(lambda c: "at_least" in c or "below" in c)
    windowed = st.fixed_dictionaries(
        {
            "signal": st.sampled_from(SIGNALS),
            "at_least": levels,
            "for_user_turns": st.integers(1, 3),
        }
    )
    evidence = st.fixed_dictionaries(
        {"evidence": st.sampled_from(KINDS), "within_turns": st.integers(2, 4)},
        optional={"at_least": st.integers(1, 2)},
    )
    fact = st.fixed_dictionaries(
        {"fact": st.sampled_from(["turns", "user_turns", "elapsed_seconds"])},
        optional={"above": st.integers(0, 10), "at_most": st.integers(0, 10)},
    ).filter(lambda c: "above" in c or "at_most" in c)
    meta = st.fixed_dictionaries(
        {"meta": st.sampled_from(["tier", "channel"])},
        optional={"equals": st.sampled_from(["gold", "web"])},
    ).map(lambda c: c if "equals" in c else {**c, "exists": True})
    role = st.fixed_dictionaries({"role": st.sampled_from(["user", "bot", ["user", "agent"]])})
    return st.one_of(signal, windowed, evidence, fact, meta, role)


conditions = st.recursive(
    leaf(),
    lambda inner: st.one_of(
        st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"not": inner}),
    ),
    max_leaves=6,
)

turn_facts = st.fixed_dictionaries(
    {
        "levels": st.fixed_dictionaries(dict.fromkeys(SIGNALS, levels)),
        "kinds": st.frozensets(st.sampled_from(KINDS)),
        "role": st.sampled_from(list(Role)),
        "meta": st.dictionaries(
            st.sampled_from(["tier", "channel"]), st.sampled_from(["gold", "web", None])
        ),
        "elapsed": st.none() | st.floats(0, 20),
    }
)


@settings(max_examples=150, deadline=None)
@given(conditions, st.lists(turn_facts, min_size=1, max_size=6))
def test_explain_agrees_with_holds_on_every_turn(
    condition: dict[str, Any], turns: list[dict[str, Any]]
) -> None:
    policy = load_policy(
        {
            "extends": "default",
            "rules": [
                {"id": "r", "when": condition, "action": "handoff", "reason": "emotional_stress"}
            ],
        }
    )
    compiled = policy.compiled_rules
    (rule,) = compiled.rules
    counters: dict[str, int] = {}
    for index, turn in enumerate(turns, start=1):
        facts = RuleFacts(
            levels=turn["levels"],
            kinds=turn["kinds"],
            role=turn["role"],
            turns=index,
            user_turns=index,
            elapsed_seconds=turn["elapsed"],
            meta=turn["meta"],
            now=datetime(2026, 11, 25, tzinfo=UTC),
        )
        compiled.update_windows(facts, counters)
        check = rule.predicate.explain(facts)
        assert check.holds == rule.predicate.holds(facts)
        assert check.distance >= 0
        if check.holds:
            assert check.distance == 0


def test_every_evidence_kind_the_detectors_report_is_known() -> None:
    """``evidence_kinds()`` feeds policy validation: a kind missing from it would be rejected."""
    esc = Escalator(logger=quiet_logger())
    texts = [
        ("user", "I WANT A HUMAN NOW!!! this is useless"),
        ("bot", "Sorry, I didn't understand that. Could you rephrase?"),
        ("user", "I lost my phone and the 2FA code never arrives"),
        ("bot", "Please enter the code we sent you."),
        (
            "user",
            "I told you, I don't have the phone, my husband died and someone hacked my account",
        ),
        ("bot", "Please enter the code we sent you."),
        ("user", "I lost my phone and the 2FA code never arrives"),
        ("bot", "Is there anything else I can help you with?"),
        ("user", "no thanks, don't transfer me, great, just great, I'm so worried"),
    ]
    seen: set[str] = set()
    for role, text in texts * 3:
        decision = esc.evaluate("kinds", Turn(role=role, text=text))
        for reason in (*decision.reasons, *decision.suppressed):
            seen.update(evidence.kind for evidence in reason.evidence)
    assert len(seen) > 8
    assert seen <= evidence_kinds()
