"""Trust signals: doubt, cynicism, irritation, hesitation, relief and appreciation per user turn."""

from __future__ import annotations

import itertools
from functools import cache
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Action, Escalator, InMemoryStore, Role, Turn, load_policy
from escalate.exceptions import InvalidInputError
from escalate.signals import (
    BUNDLED_LEXICONS,
    TRUST_SIGNALS,
    SignalReading,
    TrustDetector,
    default_detectors,
    evidence_kinds,
)
from escalate.testing import quiet_logger, run_conversation

if TYPE_CHECKING:
    from escalate.signals.base import TurnContext
    from escalate.state import ConversationState

_ids = itertools.count()


class Readings:
    """Runs last and keeps what every detector before it read on each turn."""

    name = "readings"

    def __init__(self) -> None:
        self.turns: list[dict[str, SignalReading]] = []

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        self.turns.append(dict(turn.readings))
        return SignalReading(0.0)


@cache
def recorder() -> tuple[Escalator, Readings]:
    readings = Readings()
    esc = Escalator(
        store=InMemoryStore(ttl_seconds=None),
        detectors=[*default_detectors(), readings],
        logger=quiet_logger(),
    )
    return esc, readings


def read_turns(turns: list[tuple[str, str]]) -> list[dict[str, SignalReading]]:
    """Every turn's readings, the turns played as one new conversation."""
    esc, readings = recorder()
    conversation = f"trust-{next(_ids)}"
    start = len(readings.turns)
    for role, text in turns:
        esc.evaluate(conversation, Turn(role=role, text=text))
    return readings.turns[start:]


def read(text: str, role: str = "user") -> dict[str, SignalReading]:
    """The readings of ``text`` as the first turn of a conversation."""
    return read_turns([(role, text)])[0]


def level(signal: str, text: str) -> float:
    return read(text)[signal].score


def quotes(reading: SignalReading) -> list[tuple[str, str]]:
    return [(item.kind, item.text) for item in reading.evidence]


# (signal, text, the words quoted as evidence of the signal's kind)
TRUE_POSITIVES = [
    ("doubt", "Are you sure?", "Are you sure"),
    ("doubt", "hmm, that doesn't sound right", "that doesn't sound right"),
    ("doubt", "I don't believe that.", "don't believe that"),
    ("doubt", "that can't be right, I paid on Monday", "that can't be right"),
    ("doubt", "Really?", "Really"),
    ("doubt", "I'm not sure that's correct", "not sure that's correct"),
    ("doubt", "Sind Sie sicher?", "Sind Sie sicher"),
    ("doubt", "c'est faux", "c'est faux"),
    ("cynicism", "as usual, the app is broken", "as usual"),
    ("cynicism", "Typical.", "Typical"),
    ("cynicism", "of course it doesn't work", "of course it doesn't work"),
    ("cynicism", "you never fix anything", "you never fix"),
    ("cynicism", "what a surprise, delayed again", "what a surprise"),
    ("cynicism", "I'm sure you'll just ignore this", "I'm sure you'll just ignore"),
    ("irritation", "come on!", "come on"),
    ("irritation", "seriously? it logged me out again", "seriously"),
    ("irritation", "oh for goodness sake", "for goodness sake"),
    ("irritation", "this again", "this again"),
    ("irritation", "ugh, my parcel is late", "ugh"),
    ("irritation", "it's a bit annoying", "annoying"),
    ("hesitation", "I'm not sure", "I'm not sure"),
    ("hesitation", "let me think about it", "let me think"),
    ("hesitation", "I don't know if I should upgrade", "don't know if I should"),
    ("hesitation", "je ne suis pas sûr", "je ne suis pas sûr"),
    ("relief", "phew", "phew"),
    ("relief", "what a relief!", "what a relief"),
    ("relief", "thank god for that", "thank god"),
    ("relief", "that's sorted then", "that's sorted"),
    ("relief", "menos mal", "menos mal"),
    ("appreciation", "thank you so much!", "thank you so much"),
    ("appreciation", "thanks, that helped", "thanks, that helped"),
    ("appreciation", "you've been very helpful", "you've been very helpful"),
    ("appreciation", "great service", "great service"),
    ("appreciation", "much appreciated", "much appreciated"),
    ("appreciation", "you're a star", "you're a star"),
    ("appreciation", "vielen Dank!", "vielen Dank"),
]


@pytest.mark.parametrize(("signal", "text", "quoted"), TRUE_POSITIVES)
def test_a_clear_phrase_is_worth_about_half(signal: str, text: str, quoted: str) -> None:
    reading = read(text)[signal]
    assert 0.35 <= reading.score <= 0.65
    assert (signal, quoted) in quotes(reading)


# A trap next to each true positive: the same words, or nearly, meaning something else.
@pytest.mark.parametrize(
    ("signal", "meant", "not_meant"),
    [
        ("doubt", "I doubt that", "no doubt about it, thanks!"),
        ("doubt", "are you sure?", "I want to make sure my payment went through"),
        ("doubt", "that's not right", "that's right, thanks"),
        ("doubt", "Really?", "really good service"),
        ("cynicism", "broken as usual", "as always, thanks for your help"),
        ("cynicism", "typical.", "what's the typical delivery time?"),
        ("cynicism", "of course it doesn't work", "of course, go ahead"),
        ("irritation", "oh come on", "the light won't come on"),
        ("irritation", "seriously?!", "my mum is seriously ill"),
        ("irritation", "not this again", "I'd like to try this again"),
        ("irritation", "ugh, my parcel is late", "my parcel is late"),
        ("hesitation", "I'm not sure", "make sure it arrives by Friday"),
        ("hesitation", "not sure if I want it", "I'm not sure where my parcel is"),
        ("hesitation", "I'm not sure", "I'm sure it's fine"),
        ("hesitation", "hmm", "quero falar com um atendente"),
        ("relief", "works now", "is it fixed yet?"),
        ("relief", "found it", "I never got it"),
        ("relief", "it's fixed", "when will it be fixed"),
        ("relief", "never mind", "never mind, this is useless"),
        ("relief", "what a relief", "is there tax relief on pensions?"),
        ("relief", "Finally! Thank you so much", "FINALLY. 2 hours on hold for this."),
        ("relief", "finally!", "Finally! Took you long enough."),
        ("appreciation", "thanks a lot!", "great, thanks a lot, my parcel is still missing"),
        ("appreciation", "thank you so much", "thanks for nothing"),
        ("appreciation", "thanks, that helped", "thanks, this is useless"),
        ("appreciation", "much appreciated", "I'd appreciate it if you could check"),
        ("appreciation", "great service", "not great service"),
        ("appreciation", "thanks", "thanks in advance"),
        ("appreciation", "thanks", "no thanks"),
    ],
)
def test_lookalikes_read_zero(signal: str, meant: str, not_meant: str) -> None:
    assert level(signal, meant) > 0
    assert level(signal, not_meant) == 0.0


class TestIrritationBuildsOnStress:
    def test_it_reads_the_stress_lexicon_annoyance(self) -> None:
        reading = read("this is ridiculous, I'm annoyed")["irritation"]
        assert quotes(reading) == [("irritation", "ridiculous"), ("irritation", "annoyed")]
        assert reading.score > 0.7

    def test_a_complaint_alone_is_not_irritation_but_adds_to_it(self) -> None:
        assert level("irritation", "my parcel is delayed") == 0.0
        assert level("irritation", "ugh, my parcel is delayed") > level("irritation", "ugh")

    def test_overlapping_stress_families_count_once(self) -> None:
        reading = read("you are useless")["irritation"]
        assert [text for _, text in quotes(reading)] == ["you are useless"]

    def test_sarcastic_praise_counts_only_in_a_negative_turn(self) -> None:
        assert level("irritation", "oh great, thanks") == 0.0
        assert level("irritation", "oh great, it's broken again") > 0


class TestRelief:
    @pytest.mark.parametrize(
        "text", ["never mind", "works now", "found it", "figured it out", "all sorted"]
    )
    def test_the_problem_going_away_is_resolved_evidence(self, text: str) -> None:
        reading = read(text)["relief"]
        assert quotes(reading) == [("resolved", text)]
        assert reading.score == 0.5

    def test_own_phrases_are_relief_evidence_and_keep_the_resolved_quote(self) -> None:
        reading = read("finally it works")["relief"]
        assert quotes(reading) == [("relief", "finally it works"), ("resolved", "it works")]
        assert reading.score == pytest.approx(0.6)  # one phrase, quoted twice, counted once

    def test_finally_on_its_own_is_weaker_than_a_clear_phrase(self) -> None:
        assert 0 < level("relief", "finally!") < level("relief", "phew")

    def test_you_got_it_confirms_the_bot_and_resolves_nothing(self) -> None:
        assert level("relief", "yes, you got it") == 0.0


class TestAppreciation:
    def test_plain_thanks_is_politeness_below_a_clear_phrase(self) -> None:
        assert 0 < level("appreciation", "ok thanks") < 0.5
        assert level("appreciation", "thank you so much") >= 0.5

    def test_a_plain_thanks_inside_a_clear_phrase_is_not_counted_again(self) -> None:
        assert quotes(read("thank you so much")["appreciation"]) == [
            ("appreciation", "thank you so much")
        ]

    def test_sarcasm_is_judged_as_the_stress_detector_judges_it(self) -> None:
        sincere = read("great, thanks a lot!")
        sarcastic = read("great, thanks a lot, it's broken again")
        assert sincere["appreciation"].score > 0
        assert sarcastic["appreciation"].score == 0.0
        assert "sarcasm_cue" in {e.kind for e in sarcastic["stress"].evidence}


def test_several_phrases_read_higher_than_one() -> None:
    one = level("doubt", "are you sure?")
    several = level("doubt", "are you sure? that doesn't sound right, I don't believe you")
    assert 0.5 <= one < several <= 1.0


def test_evidence_quotes_the_customers_words_with_their_span() -> None:
    text = "Phew, works now! Thank you SO much, you've been very helpful"
    readings = read(text)
    items = [item for signal in TRUST_SIGNALS for item in readings[signal].evidence]
    assert {item.kind for item in items} == {"relief", "resolved", "appreciation"}
    for item in items:
        assert item.span is not None
        assert text[item.span[0] : item.span[1]] == item.text
        assert item.turn_index == 0


def test_a_turn_can_carry_several_trust_signals() -> None:
    readings = read("Are you sure? Typical. Hmm, I'm not sure, come on!")
    for signal in ("doubt", "cynicism", "hesitation", "irritation"):
        assert readings[signal].score > 0, signal


@pytest.mark.parametrize("role", ["bot", "agent", "system"])
def test_only_customer_turns_are_read(role: str) -> None:
    readings = read("Are you sure? Thank you so much, phew, come on, I'm not sure", role)
    assert all(readings[signal] == SignalReading(0.0) for signal in TRUST_SIGNALS)


def test_levels_belong_to_their_turn() -> None:
    turns = read_turns(
        [
            ("user", "are you sure? that can't be right"),
            ("bot", "Yes, the fee is 5 euros."),
            ("user", "ok, where do I pay it"),
        ]
    )
    assert [turn["doubt"].score > 0 for turn in turns] == [True, False, False]


def test_decisions_report_every_trust_signal(esc: Escalator) -> None:
    (decision,) = run_conversation(esc, [("user", "Are you sure? Thank you so much")])
    assert set(TRUST_SIGNALS) <= set(decision.signals)
    assert decision.signals["doubt"] > 0
    assert decision.signals["appreciation"] > 0


def test_the_default_policy_does_not_act_on_trust(esc: Escalator) -> None:
    text = "are you sure? that can't be right. I don't believe you. typical. come on!"
    (decision,) = run_conversation(esc, [("user", text)])
    assert decision.signals["doubt"] > 0.7
    assert not set(TRUST_SIGNALS) & set(esc.policy.signals)
    assert {reason.rule for reason in decision.reasons} <= {"signals.stress"}


def test_a_policy_can_act_on_a_trust_signal() -> None:
    policy = load_policy(
        {
            "extends": "default",
            "name": "doubtful",
            "signals": {"doubt": {"reason": "emotional_stress", "offer": 0.65}},
        }
    )
    esc = Escalator(policy, logger=quiet_logger())
    calm, doubting = run_conversation(
        esc, [("user", "are you sure?"), ("user", "that can't be right, I don't believe you")]
    )
    assert calm.action is Action.CONTINUE
    assert doubting.action is Action.OFFER_HUMAN
    assert {e.kind for e in doubting.reasons[0].evidence} == {"doubt"}


def test_zero_levels_are_not_kept_in_the_conversation_state(esc: Escalator) -> None:
    run_conversation(esc, [("user", "where is my order?")], conversation_id="small")
    state = esc.state("small")
    assert state is not None
    assert set(state.escalation.last_levels) == {"stress"}
    assert 0.0 < state.escalation.last_levels["stress"] < 0.15


def test_the_lexicon_is_bundled_and_its_kinds_are_known() -> None:
    assert "trust" in BUNDLED_LEXICONS
    kinds = {"doubt", "cynicism", "irritation", "hesitation", "relief", "resolved", "appreciation"}
    assert kinds <= evidence_kinds()


def test_trust_detectors_run_after_the_others() -> None:
    names = [detector.name for detector in default_detectors()]
    assert names[-6:] == list(TRUST_SIGNALS)
    assert names.index("effort") > names.index("loop")


def test_an_unknown_trust_signal_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown trust signal 'trust'") as raised:
        TrustDetector("trust")
    assert isinstance(raised.value, ValueError)  # what it raised before the error tree


texts = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from(
            ["are", "you", "sure", "?", "!", "thanks", "thank", "so", "much", "not", "finally",
             "works", "now", "never", "mind", "come", "on", "typical", "as", "usual", "hmm",
             "I'm", "great", "useless", "phew", "again", ",", ".", "😡", "ß", "\n"]
        ),
        max_size=30,
    ).map(" ".join),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(texts)
def test_levels_stay_within_zero_and_one_and_are_deterministic(text: str) -> None:
    first, second = read(text), read(text)
    for signal in TRUST_SIGNALS:
        assert 0.0 <= first[signal].score <= 1.0
        assert first[signal] == second[signal]
        for item in first[signal].evidence:
            assert item.span is not None
            assert text[item.span[0] : item.span[1]] == item.text


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Role)), texts), min_size=1, max_size=5))
def test_arbitrary_conversations_never_fail(turns: list[tuple[Role, str]]) -> None:
    for readings in read_turns([(role.value, text) for role, text in turns]):
        assert all(0.0 <= readings[signal].score <= 1.0 for signal in TRUST_SIGNALS)
