"""The engine's fast construction of its own models (``escalate.core.trusted``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from escalate.core import Action, Decision, Evidence, PolicyRef, ReasonCode, Role, evidence, reason
from escalate.core._models import trusted

texts = st.text(max_size=30)
spans = st.none() | st.tuples(st.integers(0, 99), st.integers(0, 99))


@given(st.text(min_size=1, max_size=20), texts, st.integers(0, 999), spans)
def test_evidence_is_what_model_construct_builds(
    kind: str, text: str, turn_index: int, span: tuple[int, int] | None
) -> None:
    fast = evidence(kind, text, turn_index, span)
    slow = Evidence.model_construct(kind=kind, text=text, turn_index=turn_index, span=span)
    assert fast == slow
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_fields_set == slow.model_fields_set
    assert list(vars(fast)) == list(Evidence.model_fields)


@given(st.sampled_from(list(ReasonCode)), st.floats(0, 1), st.none() | texts)
def test_a_reason_is_what_model_construct_builds(
    code: ReasonCode, score: float, rule: str | None
) -> None:
    quoted = (evidence("shouting", "WHY", 3),)
    fast = reason(code, score, quoted, rule)
    slow = type(fast).model_construct(code=code, score=score, evidence=quoted, rule=rule)
    assert fast == slow
    assert fast.model_dump_json() == slow.model_dump_json()
    # Every field, defaults included: a field added to the model must be added here too.
    assert list(vars(fast)) == list(type(fast).model_fields)


def _decision_values() -> dict[str, object]:
    return {
        "decision_id": "d1",
        "conversation_id": "c1",
        "turn_index": 4,
        "user_turn": 2,
        "role": Role.USER,
        "action": Action.OFFER_HUMAN,
        "previous_action": Action.CONTINUE,
        "reasons": (reason(ReasonCode.EMOTIONAL_STRESS, 0.7, (), "signals.stress"),),
        "suppressed": (),
        "signals": {"stress": 0.7},
        "route": None,
        "message": "Would you like to talk to a person?",
        "policy": PolicyRef(name="p", version="1", hash="h"),
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "latency_ms": 0.2,
        "truncated": False,
        "notes": ("a note",),
    }


def test_a_decision_serialises_as_model_construct_s_does() -> None:
    fast = trusted(Decision, _decision_values())
    slow = Decision.model_construct(**_decision_values())  # type: ignore[arg-type]
    assert fast == slow
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_dump(mode="json") == slow.model_dump(mode="json")
    assert list(fast.model_dump()) == list(Decision.model_fields)


def test_copies_with_changes_leave_the_shared_fields_set_alone() -> None:
    first = evidence("shouting", "WHY", 1)
    second = evidence("shouting", "NO", 2)
    changed = first.model_copy(update={"text": "WHAT"})
    assert changed.text == "WHAT"
    assert first.text == "WHY"
    assert second.model_fields_set == {"kind", "text", "turn_index", "span"}


def test_trusted_models_stay_frozen() -> None:
    item = evidence("shouting", "WHY", 1)
    with pytest.raises(ValidationError):
        item.text = "changed"  # type: ignore[misc]
    assert item.text == "WHY"
