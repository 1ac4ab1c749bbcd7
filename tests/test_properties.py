"""Properties of the whole engine on arbitrary input (hypothesis)."""

from __future__ import annotations

import itertools
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Decision, Escalator, InMemoryStore, Role, Turn
from escalate.testing import quiet_logger

_ids = itertools.count()

roles = st.sampled_from(list(Role))
# Text that stresses the analyser: any unicode, control characters, emoji, mixed scripts, and
# runs of the characters that patterns and shouting detection care about.
texts = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(
            ["HUMAN", "agent", "!!!", "???", "😡", "ß", "İ", "中文", "\x00", "\u200b", "don\u2019t",
             "transfer", "code", "never", "arrived", "hacked", "é", "\n", "  "]
        ),
        max_size=40,
    ).map(" ".join),
)  # fmt: skip
conversations = st.lists(st.tuples(roles, texts), min_size=1, max_size=8)


@cache
def engine() -> Escalator:
    return Escalator(store=InMemoryStore(ttl_seconds=None), logger=quiet_logger())


def run(escalator: Escalator, turns: list[tuple[Role, str]]) -> list[Decision]:
    conversation = f"prop-{next(_ids)}"
    return [escalator.evaluate(conversation, Turn(role=role, text=text)) for role, text in turns]


@settings(max_examples=150, deadline=None)
@given(conversations)
def test_never_raises_and_every_level_is_within_zero_and_one(
    turns: list[tuple[Role, str]],
) -> None:
    for decision in run(engine(), turns):
        assert all(0.0 <= level <= 1.0 for level in decision.signals.values())
        assert all(0.0 <= r.score <= 1.0 for r in decision.reasons + decision.suppressed)
        assert decision.reason_codes != ("engine_error",)
        for reason in decision.reasons:
            for evidence in reason.evidence:
                if evidence.span is not None:
                    start, end = evidence.span
                    assert 0 <= start <= end


@settings(max_examples=60, deadline=None)
@given(conversations)
def test_decisions_are_deterministic(turns: list[tuple[Role, str]]) -> None:
    first = run(engine(), turns)
    second = run(engine(), turns)
    for a, b in zip(first, second, strict=True):
        assert (a.action, a.reasons, a.suppressed, a.signals, a.notes) == (
            b.action, b.reasons, b.suppressed, b.signals, b.notes,
        )  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(texts)
def test_asking_for_a_human_never_lowers_the_action(text: str) -> None:
    plain = run(engine(), [(Role.USER, text)])[0]
    asked = run(engine(), [(Role.USER, f"{text} I want to talk to a human")])[0]
    assert asked.action.rank >= plain.action.rank
    assert asked.action.rank == 2  # handoff


@settings(max_examples=60, deadline=None)
@given(conversations)
def test_decisions_round_trip_through_json(turns: list[tuple[Role, str]]) -> None:
    for decision in run(engine(), turns):
        assert Decision.model_validate_json(decision.model_dump_json()) == decision
