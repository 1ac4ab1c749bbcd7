"""Dialogue-level dissatisfaction: pushback weighed by what the bot said before it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Action, Escalator, ReasonCode
from escalate.testing import run_conversation, user_decisions


def _level(esc: Escalator, turns: list[tuple[str, str]]) -> float:
    return user_decisions(run_conversation(esc, turns))[-1].signals["dissatisfaction"]


def test_pushback_after_the_bot_failed_is_offered_a_person(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "I need a room near the station for friday"),
            ("bot", "I'm sorry, there are no rooms available near the station."),
            ("user", "are you certain? can you please look again"),
        ],
    )
    last = user_decisions(decisions)[-1]
    assert last.action is Action.OFFER_HUMAN
    assert last.reason_codes[0] is ReasonCode.CUSTOMER_DISSATISFIED
    kinds = {e.kind for e in last.reasons[0].evidence}
    assert {"pushback", "after_bot_failure"} <= kinds


def test_bare_question_marks_after_the_same_prompt_twice(esc: Escalator) -> None:
    prompt = "Please type the 10-digit order reference."
    decisions = run_conversation(
        esc,
        [
            ("user", "my order is late"),
            ("bot", prompt),
            ("user", "??"),
            ("bot", prompt),
            ("user", "???"),
        ],
    )
    first, last = user_decisions(decisions)[1:]
    assert first.action is Action.CONTINUE  # one "??" is a nudge
    assert last.action is Action.OFFER_HUMAN
    assert "question_marks" in {e.kind for e in last.reasons[0].evidence}


def test_a_turn_with_no_bot_turn_before_never_offers(esc: Escalator) -> None:
    # Pushback needs something to push back on: an opening message alone is not dialogue.
    assert _level(esc, [("user", "are you sure, like I said, try again!")]) < 0.55


def test_the_level_persists_while_unresolved_and_ends_on_resolution(esc: Escalator) -> None:
    turns = [
        ("user", "the parcel says delivered but nothing came"),
        ("bot", "Unfortunately I can't find a problem with that delivery."),
        ("user", "as I said, it is not here. check again please"),
        ("bot", "Delivery was confirmed at 14:02."),
    ]
    pushed = _level(esc, turns)
    held = _level(esc, [*turns, ("user", "it was left at a different address maybe")])
    assert 0 < held < pushed  # fades, so an open offer is not dropped at once
    resolved = _level(esc, [*turns, ("user", "oh it is at my neighbour's, great, thank you!")])
    assert resolved == 0.0


def test_a_plain_no_that_closes_the_conversation_is_not_pushback(esc: Escalator) -> None:
    level = _level(
        esc,
        [
            ("user", "what time do you open"),
            ("bot", "We open at 9. Anything else?"),
            ("user", "no thanks, that's all"),
        ],
    )
    assert level == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["user", "bot"]), st.text(max_size=40)), max_size=6))
def test_the_level_stays_within_0_and_1(turns: list[tuple[str, str]]) -> None:
    from escalate.testing import quiet_logger

    esc = Escalator(logger=quiet_logger())
    for decision in run_conversation(esc, [("user", "hello"), *turns]):
        assert 0.0 <= decision.signals["dissatisfaction"] <= 1.0


def _last(esc: Escalator, turns: list[tuple[str, str]]) -> Action:
    return user_decisions(run_conversation(esc, turns))[-1].action


def test_disbelief_at_an_empty_answer_is_pushback(esc: Escalator) -> None:
    ask = ("user", "I'd like a table for four somewhere with a garden")
    empty = ("bot", "Sorry, I couldn't find any restaurants with a garden.")
    for doubt in (
        "nothing with a garden in the whole city?",
        "none at all?",
        "I find that hard to believe, look again",
        "I'm pretty sure there was one by the river last year",
    ):
        decisions = user_decisions(run_conversation(esc, [ask, empty, ("user", doubt)]))
        assert decisions[-1].action is Action.OFFER_HUMAN, doubt
        assert "pushback" in {e.kind for e in decisions[-1].reasons[0].evidence}


def test_the_same_words_without_a_failed_answer_are_calm(esc: Escalator) -> None:
    # After an answer that helped, "none at all?" is a question, not disbelief.
    found = ("bot", "I found three restaurants with a garden. Shall I book one?")
    ask = ("user", "I'd like a table for four somewhere with a garden")
    assert _last(esc, [ask, found, ("user", "no fees at all?")]) is Action.CONTINUE
    assert _last(esc, [("user", "no pets allowed at all?")]) is Action.CONTINUE
    assert _last(esc, [("user", "I'm pretty sure there is a branch in Leeds, where?")]) is (
        Action.CONTINUE
    )


def test_sarcastic_praise_after_the_bot_repeated_itself_is_pushback(esc: Escalator) -> None:
    deflection = "Please read our delivery FAQ."
    turns = [
        ("user", "where is my sofa? it was due on monday"),
        ("bot", deflection),
        ("user", "it doesn't say anything about late sofas"),
        ("bot", deflection),
        ("user", "oh brilliant, so helpful"),
    ]
    last = user_decisions(run_conversation(esc, turns))[-1]
    assert last.action is Action.OFFER_HUMAN
    kinds = {e.kind for r in last.reasons for e in r.evidence}
    assert {"sarcasm_cue", "after_bot_failure"} <= kinds


def test_the_same_praise_after_a_real_answer_is_thanks(esc: Escalator) -> None:
    turns = [
        ("user", "where is my sofa? it was due on monday"),
        ("bot", "It is out for delivery today between 2 and 4pm."),
        ("user", "oh brilliant, so helpful"),
    ]
    assert _level(esc, turns) == 0.0


def test_thanks_naming_the_answer_are_meant_even_after_a_repeat(esc: Escalator) -> None:
    answer = "Your parcel locker code is 4471."
    turns = [
        ("user", "what's my locker code?"),
        ("bot", answer),
        ("user", "sorry, what was the locker code again?"),
        ("bot", answer),
        ("user", "oh great, thanks for the info"),
    ]
    assert _level(esc, turns) == 0.0


def test_praise_of_the_service_is_hollow_only_right_after_a_failure(esc: Escalator) -> None:
    reply = "Orders can be tracked in My Orders."
    failed = [
        ("user", "my order was cancelled and nobody told me"),
        ("bot", reply),
        ("user", "it's cancelled, there is nothing to track"),
        ("bot", reply),
        ("user", "great service you have"),
    ]
    assert _level(esc, failed) >= 0.55
    helped = [
        ("user", "my order was cancelled and nobody told me"),
        ("bot", "Sorry about that. I've refunded it in full and added a 10% voucher."),
        ("user", "great service you have"),
    ]
    assert _level(esc, helped) == 0.0
