"""Evidence is bounded where the decision is built: its size does not grow with the text."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink
from escalate.core import (
    EVIDENCE_PER_REASON,
    EVIDENCE_TEXT_CHARS,
    Evidence,
    Reason,
    ReasonCode,
    bounded_reasons,
)
from escalate.testing import quiet_logger

HIT_DENSE = "\N{POUTING FACE} " * 8000  # 16 KB of the angriest emoji there is


def _reason(*items: Evidence) -> Reason:
    return Reason(code=ReasonCode.EMOTIONAL_STRESS, score=0.9, evidence=items)


def _items(count: int, kind: str = "emoji", text: str = "x") -> list[Evidence]:
    return [Evidence(kind=kind, text=text, turn_index=0, span=(i, i + 1)) for i in range(count)]


def test_reasons_within_the_bounds_are_returned_as_they_are() -> None:
    reasons = (_reason(*_items(EVIDENCE_PER_REASON)),)
    assert bounded_reasons(reasons) is reasons


def test_evidence_past_the_limit_is_counted_not_kept() -> None:
    (bounded,) = bounded_reasons((_reason(*_items(3900)),))
    assert len(bounded.evidence) == EVIDENCE_PER_REASON
    assert bounded.evidence_omitted == 3900 - EVIDENCE_PER_REASON
    assert json.loads(bounded.model_dump_json())["evidence_omitted"] == 3890


def test_a_rare_kind_is_kept_even_after_thousands_of_another() -> None:
    items = [*_items(3000), *_items(1, kind="direct_request", text="let me talk to a person")]
    (bounded,) = bounded_reasons((_reason(*items),))
    assert "direct_request" in {item.kind for item in bounded.evidence}
    assert bounded.evidence[-1].kind == "direct_request"  # the order found is kept


def test_long_quotes_are_cut_with_an_ellipsis_and_keep_their_span() -> None:
    long = Evidence(kind="bot_repeat", text="a" * 5000, turn_index=3, span=(0, 5000))
    (bounded,) = bounded_reasons((_reason(long),))
    assert len(bounded.evidence[0].text) == EVIDENCE_TEXT_CHARS
    assert bounded.evidence[0].text.endswith("\N{HORIZONTAL ELLIPSIS}")
    assert bounded.evidence[0].span == (0, 5000)
    assert bounded.evidence_omitted == 0


def test_an_ordinary_reason_serialises_without_the_count() -> None:
    assert "evidence_omitted" not in _reason(*_items(2)).model_dump_json()


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.text(max_size=300)), max_size=60)
)
def test_bounding_keeps_every_count_and_every_bound(pairs: list[tuple[str, str]]) -> None:
    items = [Evidence(kind=kind, text=text, turn_index=0) for kind, text in pairs]
    (bounded,) = bounded_reasons((_reason(*items),))
    assert len(bounded.evidence) == min(len(items), EVIDENCE_PER_REASON)
    assert len(bounded.evidence) + bounded.evidence_omitted == len(items)
    assert all(len(item.text) <= EVIDENCE_TEXT_CHARS for item in bounded.evidence)
    kinds = {kind for kind, _ in pairs}
    if len(items) > EVIDENCE_PER_REASON:
        assert {item.kind for item in bounded.evidence} == kinds  # four kinds fit in ten


def test_a_hit_dense_turn_gives_a_small_decision() -> None:
    decision = Escalator(logger=quiet_logger()).evaluate("c-1", {"role": "user", "text": HIT_DENSE})
    assert decision.escalated
    assert len(decision.model_dump_json()) < 4096  # 264 KB before evidence was bounded
    assert sum(reason.evidence_omitted for reason in decision.reasons) > 1000


def test_a_hit_dense_turn_gives_a_small_audit_record(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path)) as trail:
        Escalator(logger=quiet_logger(), audit=trail).evaluate(
            "c-1", {"role": "user", "text": HIT_DENSE}
        )
    record = path.read_text(encoding="utf-8").splitlines()[-1]
    # The text itself is kept (redacted, cut at the policy's max_text_chars); the evidence
    # around it no longer multiplies it (340 KB before).
    assert len(record.encode()) < 3 * len(HIT_DENSE.encode())
