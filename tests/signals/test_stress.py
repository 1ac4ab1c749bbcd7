from __future__ import annotations

import pytest

from escalate import Action, Escalator, ReasonCode
from escalate.signals.stress import learned_component, sentiment_component
from escalate.testing import run_conversation


def stress_of(esc: Escalator, text: str) -> float:
    return run_conversation(esc, [("user", text)])[0].signals["stress"]


def action_of(esc: Escalator, text: str) -> Action:
    return run_conversation(esc, [("user", text)])[0].action


def test_stress_is_graded_calm_below_annoyed_below_angry(esc: Escalator) -> None:
    calm = stress_of(esc, "Could you tell me when my parcel will arrive?")
    annoyed = stress_of(esc, "It's a bit annoying that my parcel is late again")
    angry = stress_of(
        esc, "This is ridiculous, I've asked three times and nobody helps. Useless!!!"
    )
    assert 0.0 < calm < annoyed < angry
    assert calm < 0.15
    assert angry > 0.55


@pytest.mark.parametrize(
    "text",
    [
        "This is absolutely unacceptable. I have called four times and nobody tells me anything!!!",
        "I'm panicking, my rent is due tomorrow and the money is stuck with you",
        "you are a useless bot, what a waste of my time",
        "wow, thanks for nothing. really helpful.",
        "I'm so done with this. Sort it out today or I'm moving to another provider",
        "I'm fed up, this is the worst service ever 😡",
    ],
)
def test_strong_stress_escalates(esc: Escalator, text: str) -> None:
    (decision,) = run_conversation(esc, [("user", text)])
    assert decision.escalated
    assert ReasonCode.EMOTIONAL_STRESS in decision.reason_codes


@pytest.mark.parametrize(
    "text",
    [
        "Just wanted to say the new app is AMAZING!!! Love it",
        "WHERE CAN I DOWNLOAD MY INVOICE",
        "??",
        "slightly disappointed the colour was different, how do I exchange it?",
        "I'm a little worried my card might be lost in the post, how long does delivery take?",
        "Is it possible to change the delivery address?",
        "ok thanks, that worked",
    ],
)
def test_mild_or_positive_turns_do_not_escalate(esc: Escalator, text: str) -> None:
    assert action_of(esc, text) is Action.CONTINUE


def test_an_all_caps_question_is_never_a_handoff(esc: Escalator) -> None:
    assert action_of(esc, "WHY HAS MY ORDER NOT ARRIVED") is not Action.HANDOFF


def test_swearing_alone_colours_a_request_but_abuse_escalates(esc: Escalator) -> None:
    assert action_of(esc, "how do I reset the damn password") is Action.CONTINUE
    assert action_of(esc, "you stupid bot, this is a fucking joke") is not Action.CONTINUE


def test_evidence_quotes_the_words_and_the_shouting(esc: Escalator) -> None:
    (decision,) = run_conversation(esc, [("user", "THIS IS RIDICULOUS, NOBODY HELPS ME!!!")])
    kinds = {e.kind for e in decision.reasons[0].evidence}
    assert {"frustration", "shouting", "punctuation_run"} <= kinds


def test_rising_stress_counts_more(esc: Escalator) -> None:
    turns = [
        ("user", "my order hasn't arrived"),
        ("bot", "Let me check."),
        ("user", "a bit annoying that it is late"),
        ("bot", "Let me check."),
        ("user", "this is ridiculous, where is it"),
    ]
    decisions = run_conversation(esc, turns)
    alone = stress_of(esc, "this is ridiculous, where is it")
    assert decisions[-1].signals["stress"] > alone
    assert any(e.kind == "rising_stress" for e in decisions[-1].reasons[0].evidence)


def test_bot_turns_carry_the_last_user_level(esc: Escalator) -> None:
    decisions = run_conversation(
        esc, [("user", "this is ridiculous!!!"), ("bot", "I'm sorry to hear that.")]
    )
    assert decisions[1].signals["stress"] == decisions[0].signals["stress"]


def test_sentiment_component_is_graded_over_the_whole_range() -> None:
    values = [sentiment_component(c / 10) for c in range(-10, 11)]
    assert values == sorted(values, reverse=True)
    assert values[-1] == 0.0
    assert values[0] < 0.55  # negative wording alone stays below the offer threshold


def test_the_learned_scorer_quotes_the_words_that_raised_the_level(esc: Escalator) -> None:
    text = "This is a disgusting mess and I am sick of your awful excuses"
    (decision,) = run_conversation(esc, [("user", text)])
    assert decision.escalated
    evidence = decision.reasons[0].evidence
    learned = [e for e in evidence if e.kind == "learned_stress"]
    assert learned
    for item in learned:
        assert item.span is not None
        assert text[item.span[0] : item.span[1]] == item.text
    # A word the lexicon already quotes is not quoted twice.
    lexicon_spans = {e.span for e in evidence if e.kind != "learned_stress"}
    assert not lexicon_spans & {e.span for e in learned}


def test_calm_turns_carry_no_learned_evidence(esc: Escalator) -> None:
    run_conversation(esc, [("user", "Where is my parcel? It was due on Monday")], "calm")
    state = esc.state("calm")
    assert state is not None
    assert state.stress.level < 0.15
    assert not [e for e in state.stress.evidence if e.kind == "learned_stress"]


def test_learned_component_keeps_negative_wording_alone_below_an_offer() -> None:
    values = [learned_component(p / 10) for p in range(11)]
    assert values == sorted(values)
    assert values[0] == 0.0
    assert values[-1] < 0.55


def test_strongly_negative_wording_lifts_the_learned_part_over_an_offer() -> None:
    # The scorer says negative or not; VADER's compound says how strongly.
    mild, strong = learned_component(0.9, compound=-0.4), learned_component(0.9, compound=-0.9)
    assert mild < 0.55 <= strong
    assert learned_component(0.2, compound=-1.0) == learned_component(0.2)  # unsure stays low


@pytest.mark.parametrize(
    ("figurative", "meant"),
    [
        ("haha I was crying with laughter at your ad", "I was crying, my card was declined again"),
        ("lol I'm mad about this new design, it's brilliant", "I'm mad, you charged me twice"),
        ("this update is insanely good, I'm in tears 😂", "I'm in tears, the refund never came"),
    ],
)
def test_emotion_words_in_laughter_or_praise_count_for_less(
    esc: Escalator, figurative: str, meant: str
) -> None:
    assert stress_of(esc, figurative) < 0.45 < stress_of(esc, meant)
    assert action_of(esc, figurative) is Action.CONTINUE


@pytest.mark.parametrize(
    ("laughing", "plain"),
    [
        ("lolol that stupid damn goat video is hilarious", "that stupid damn goat video is awful"),
        ("what a stupid damn video lmao", "what a stupid damn video"),
    ],
)
def test_laughter_frames_swearing_the_scorer_is_unsure_about(
    esc: Escalator, laughing: str, plain: str
) -> None:
    # The scorer reads swearing as negative (p ~ 0.6); short of its certainty, laughter wins.
    assert action_of(esc, laughing) is Action.CONTINUE
    assert action_of(esc, plain) is not Action.CONTINUE


def test_laughter_does_not_hide_sarcasm_or_repeated_effort(esc: Escalator) -> None:
    text = "lol third time I'm asking, thanks for nothing"
    assert stress_of(esc, text) >= 0.55


def test_a_hedge_lowers_stress_without_erasing_it(esc: Escalator) -> None:
    plain = stress_of(esc, "I'm worried my payment has disappeared")
    hedged = stress_of(esc, "I'm a bit worried my payment has disappeared")
    assert 0.6 * plain < hedged < plain


@pytest.mark.parametrize(
    "text",
    [
        "You billed me TWICE for one delivery!!! That's robbery. Sort it out NOW.",
        "I already rebooted the router! are you even listening?",
        "you people ripped me off, I want my money back",
    ],
)
def test_plain_anger_in_everyday_words_is_offered_a_person(esc: Escalator, text: str) -> None:
    assert action_of(esc, text) is not Action.CONTINUE
    (decision,) = run_conversation(esc, [("user", text)])
    assert ReasonCode.EMOTIONAL_STRESS in decision.reason_codes


def test_a_word_in_capitals_is_emphasis_but_an_acronym_is_not(esc: Escalator) -> None:
    def kinds(text: str) -> set[str]:
        (decision,) = run_conversation(esc, [("user", text)])
        return {e.kind for r in decision.reasons for e in r.evidence}

    raised = "I asked for my refund TWICE and it still has not come"
    plain = "I asked for my refund twice and it still has not come"
    assert stress_of(esc, raised) > stress_of(esc, plain)
    assert "emphasis" in kinds(raised)
    assert stress_of(esc, "the SMS code for the ATM has not come") == pytest.approx(
        stress_of(esc, "the sms code for the atm has not come")
    )


@pytest.mark.parametrize(
    "text",
    [
        "could you hurry up, I have a flight in an hour",
        "I haven't got all night, just tell me if the refund went through",
        "any minute now... still no answer from you",
        "just get on with it and cancel the order",
    ],
)
def test_impatience_with_the_help_is_offered_a_person(esc: Escalator, text: str) -> None:
    (decision,) = run_conversation(esc, [("user", text)])
    assert decision.action is not Action.CONTINUE
    assert "impatience" in {e.kind for r in decision.reasons for e in r.evidence}


@pytest.mark.parametrize(
    "text",
    [
        "Hurry up, the film starts at eight!",
        "Come on, let's try the new cafe",
        "come on in, the door is open",
        "my sister couldn't get on with the new phone either",
    ],
)
def test_everyday_urging_is_not_impatience(esc: Escalator, text: str) -> None:
    # "Hurry up!" and "come on" between friends; "get on with" someone.
    (decision,) = run_conversation(esc, [("user", text)])
    assert decision.action is Action.CONTINUE
    assert decision.signals["stress"] < 0.3  # one impatience match alone gives 0.55


def test_a_delay_the_customer_asks_about_adds_to_stress_without_an_offer_alone(
    esc: Escalator,
) -> None:
    asked = "why is this taking so long? it's one password reset"
    assert action_of(esc, asked) is Action.CONTINUE
    assert stress_of(esc, asked) > stress_of(esc, "why is this a password reset?")
    assert action_of(esc, asked + " This is ridiculous.") is not Action.CONTINUE


def test_shouting_about_a_long_wait_is_offered_a_person(esc: Escalator) -> None:
    shouted = "WHY HAS NOBODY REPLIED. I'VE BEEN WAITING TWO WEEKS"
    assert action_of(esc, shouted) is not Action.CONTINUE
    (decision,) = run_conversation(esc, [("user", shouted)])
    assert "repeated_effort" in {e.kind for r in decision.reasons for e in r.evidence}
    assert action_of(esc, "it's been two weeks, has my card been sent?") is Action.CONTINUE


def test_panic_about_what_is_at_stake_is_handed_to_a_person(esc: Escalator) -> None:
    for at_stake in (
        "I'm terrified, my wages never came in and the mortgage is due tomorrow",
        "I'm panicking, my paycheck is stuck and I need it for groceries",
    ):
        assert action_of(esc, at_stake) is Action.HANDOFF, at_stake
    # Panic alone is an offer: the customer chooses; milder worry stays with the bot.
    assert action_of(esc, "I'm freaking out, where is my new card?") is Action.OFFER_HUMAN
    assert action_of(esc, "I'm a bit nervous about the delivery date") is Action.CONTINUE
    assert stress_of(esc, "I'm panicking about the move") > stress_of(
        esc, "I'm anxious about the move"
    )


@pytest.mark.parametrize(
    "text",
    [
        "I'm so anxious, the payment failed and there's nothing left for the rent",
        "please, I'm begging you, I need this money for my son's medication today",
        "I can't cope, my salary is missing and the mortgage is due",
    ],
)
def test_distress_about_what_is_at_stake_is_handed_to_a_person(esc: Escalator, text: str) -> None:
    assert action_of(esc, text) is Action.HANDOFF


def test_distress_or_stakes_alone_stay_an_offer_at_most(esc: Escalator) -> None:
    assert action_of(esc, "I'm so anxious about this, can you check my account?") in {
        Action.CONTINUE,
        Action.OFFER_HUMAN,
    }
    assert action_of(esc, "the rent is due tomorrow, has my salary arrived?") is not (
        Action.HANDOFF
    )


def test_mild_swearing_alone_is_no_offer_but_with_anger_it_is(esc: Escalator) -> None:
    assert action_of(
        esc, "damn, I left my gloves on the bus, is there a lost property office?"
    ) is (Action.CONTINUE)
    assert action_of(esc, "damn it, this useless app crashed again") is not Action.CONTINUE


def test_frustrating_is_mild_unless_intensified(esc: Escalator) -> None:
    assert action_of(esc, "it's a bit frustrating that the app logs me out") is Action.CONTINUE
    assert stress_of(esc, "it's so frustrating, the app keeps logging me out") > stress_of(
        esc, "it's frustrating, the app keeps logging me out"
    )


@pytest.mark.parametrize(
    "text",
    [
        "you lied to me, the refund never came",
        "I'm ready to walk away after ten years with you",
        "you keep lying about the delivery date",
    ],
)
def test_broken_trust_in_new_words_is_offered_a_person(esc: Escalator, text: str) -> None:
    assert action_of(esc, text) is not Action.CONTINUE
