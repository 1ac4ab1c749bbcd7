"""Properties of the whole engine on arbitrary input (hypothesis).

Engines are built once per test (``engine(name)``); each example gets conversations of its own,
so examples never share state and a test costs little more than the turns it evaluates.
"""

from __future__ import annotations

import itertools
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Action, Decision, Escalator, InMemoryStore, Role, Turn
from escalate.testing import quiet_logger

_ids = itertools.count()

roles = st.sampled_from(list(Role))
# Text that stresses the analyser: any unicode, control characters, emoji, mixed scripts, and
# runs of the words and characters that patterns, typo correction and shouting care about.
words = st.lists(
    st.sampled_from(
        ["HUMAN", "agent", "humna", "!!!", "???", "😡", "ß", "İ", "ﬁ", "中文", "\x00", "\u200b",
         "e\u0301", "don\u2019t", "transfer", "me", "to", "a", "code", "never", "arrived",
         "hacked", "my", "account", "yes", "no", "é", "\n", "  ", ",", "."]
    ),
    max_size=40,
).map(" ".join)  # fmt: skip
texts = st.one_of(st.text(max_size=300), words)
# Past the policy's max_text_chars (4000): the engine cuts such turns short.
huge_texts = st.one_of(
    st.text(min_size=3_000, max_size=6_000),
    st.tuples(st.text(min_size=1, max_size=10), st.integers(400, 2_000)).map(lambda t: t[0] * t[1]),
)
conversations = st.lists(st.tuples(roles, texts), min_size=1, max_size=8)
earlier_turns = st.lists(st.tuples(st.sampled_from([Role.USER, Role.BOT]), texts), max_size=5)
requests = st.sampled_from(
    ["I want to talk to a human", "get me an agent", "quiero hablar con una persona",
     "je veux parler à un conseiller", "ich möchte mit einem Mitarbeiter sprechen"]
)  # fmt: skip


@cache
def engine(name: str = "main") -> Escalator:
    """One engine per name for the whole session (distinct names are distinct engines)."""
    return Escalator(store=InMemoryStore(ttl_seconds=None), logger=quiet_logger())


def run(escalator: Escalator, turns: list[tuple[Role, str]]) -> list[Decision]:
    conversation = f"prop-{next(_ids)}"
    return [escalator.evaluate(conversation, Turn(role=role, text=text)) for role, text in turns]


def assert_well_formed(decision: Decision, turns: list[tuple[Role, str]]) -> None:
    assert decision.reason_codes != ("engine_error",)
    # Every detector's level, whether or not the policy acts on it (the trust signals).
    assert set(decision.signals) == {detector.name for detector in engine().detectors}
    assert all(0.0 <= level <= 1.0 for level in decision.signals.values())
    assert all(0.0 <= r.score <= 1.0 for r in decision.reasons + decision.suppressed)
    assert decision.escalated is (decision.action is not Action.CONTINUE)
    for reason in decision.reasons + decision.suppressed:
        for evidence in reason.evidence:
            assert 0 <= evidence.turn_index <= decision.turn_index
            if evidence.span is not None:
                # A quote is the customer's own words, exactly where they wrote them.
                start, end = evidence.span
                text = turns[evidence.turn_index][1]
                assert text[start:end] == evidence.text


@settings(max_examples=150, deadline=None)
@given(conversations)
def test_never_raises_and_every_level_is_within_zero_and_one(
    turns: list[tuple[Role, str]],
) -> None:
    for decision in run(engine(), turns):
        assert_well_formed(decision, turns)


@settings(max_examples=25, deadline=None)
@given(roles, huge_texts)
def test_huge_turns_are_cut_short_not_refused(role: Role, text: str) -> None:
    (decision,) = run(engine(), [(role, text)])
    assert_well_formed(decision, [(role, text)])
    assert decision.truncated is (len(text) > engine().policy.max_text_chars)


@settings(max_examples=100, deadline=None)
@given(conversations)
def test_decisions_are_deterministic(turns: list[tuple[Role, str]]) -> None:
    first = run(engine("first"), turns)
    second = run(engine("second"), turns)
    for a, b in zip(first, second, strict=True):
        assert (a.action, a.previous_action, a.reasons, a.suppressed, a.signals, a.notes) == (
            b.action, b.previous_action, b.reasons, b.suppressed, b.signals, b.notes,
        )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(earlier_turns, texts, requests)
def test_asking_for_a_human_never_lowers_the_action(
    before: list[tuple[Role, str]], text: str, request: str
) -> None:
    # The same conversation twice; only its last user turn differs, by an added request. The
    # request is a sentence of its own: run on, a turn ending in "no" would make
    # "no quiero hablar con una persona" ("I don't want to talk to a person").
    plain = run(engine(), [*before, (Role.USER, text)])[-1]
    asked = run(engine(), [*before, (Role.USER, f"{text}. {request}")])[-1]
    assert asked.action.rank >= plain.action.rank
    assert asked.action is Action.HANDOFF


@settings(max_examples=75, deadline=None)
@given(conversations)
def test_decisions_round_trip_through_json(turns: list[tuple[Role, str]]) -> None:
    for decision in run(engine(), turns):
        assert Decision.model_validate_json(decision.model_dump_json()) == decision
