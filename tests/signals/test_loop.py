from __future__ import annotations

from escalate import Action, Escalator, ReasonCode
from escalate.testing import run_conversation, user_decisions

FALLBACK = "Sorry, I didn't get that. Could you say it another way?"


def test_the_third_fallback_in_a_row_is_caught_before_it_is_sent(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "I need to move my appointment to friday"),
            ("bot", FALLBACK),
            ("user", "reschedule appointment friday"),
            ("bot", FALLBACK),
            ("user", "RESCHEDULE"),
            ("bot", FALLBACK),
        ],
    )
    assert decisions[1].action is Action.CONTINUE  # one fallback is how bots recover
    assert decisions[3].action is Action.OFFER_HUMAN
    assert decisions[5].action is Action.HANDOFF  # evaluated on the bot turn, before sending
    assert decisions[5].reason_codes[0] is ReasonCode.CONVERSATION_LOOP
    assert decisions[5].reasons[0].evidence[0].kind == "bot_fallback"


def test_the_same_answer_to_a_repeated_question_is_a_loop(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "how do I close my savings account"),
            ("bot", "You can open a new savings account in the app under Accounts."),
            ("user", "I asked how to close my savings account"),
            ("bot", "You can open a new savings account in the app under Accounts."),
            ("user", "close savings account. not open."),
        ],
    )
    last = user_decisions(decisions)[-1]
    assert last.action is Action.OFFER_HUMAN
    assert ReasonCode.CONVERSATION_LOOP in last.reason_codes
    kinds = {e.kind for e in last.reasons[0].evidence}
    assert kinds & {"bot_repeat", "user_repeat", "user_corrects"}


def test_a_paraphrased_answer_counts_as_a_repeat(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "when does the refund reach my bank"),
            ("bot", "You can see all your refunds in the Orders section of the app."),
            ("user", "that's not what I asked"),
            ("bot", "All of your refunds are shown in the app, under Orders."),
        ],
    )
    assert decisions[-1].action is Action.OFFER_HUMAN


def test_insisting_counts(esc: Escalator) -> None:
    (decision,) = run_conversation(esc, [("user", "as I already told you, I want to cancel")])
    assert decision.signals["loop"] > 0.3


def test_short_replies_repeating_are_no_loop(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "a large latte please"),
            ("bot", "Does the order on the screen look correct?"),
            ("user", "yes"),
            ("bot", "Would you like anything else?"),
            ("user", "no"),
            ("bot", "Does the order on the screen look correct?"),
            ("user", "yes"),
        ],
    )
    assert all(d.action is Action.CONTINUE for d in decisions)


def test_a_varied_routine_conversation_has_no_loop(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "do you have the jacket in medium?"),
            ("bot", "Yes, medium is in stock."),
            ("user", "and in green?"),
            ("bot", "Green is available in medium."),
            ("user", "how much is delivery?"),
            ("bot", "Delivery is free over 40 EUR."),
        ],
    )
    assert max(d.signals["loop"] for d in decisions) < 0.3


def test_thanks_for_the_answer_close_the_circle(esc: Escalator) -> None:
    answer = "The branch on King Street opens at 9am on weekdays."
    turns = [
        ("user", "what time does the King Street branch open on weekdays"),
        ("bot", answer),
        ("user", "when does King Street branch open on weekdays"),
        ("bot", answer),
    ]
    looping = user_decisions(run_conversation(esc, [*turns, ("user", "opening time King Street")]))
    assert looping[-1].signals["loop"] >= 0.6
    closed = user_decisions(run_conversation(esc, [*turns, ("user", "cheers, that answers it")]))
    assert closed[-1].signals["loop"] < 0.4
    assert closed[-1].action is Action.CONTINUE


def test_thanks_that_repeat_the_question_do_not_close_it(esc: Escalator) -> None:
    answer = "The branch on King Street opens at 9am on weekdays."
    turns = [
        ("user", "what time does the King Street branch open on saturday"),
        ("bot", answer),
        ("user", "thanks but when does King Street branch open on saturday"),
        ("bot", answer),
        ("user", "thanks but when does King Street branch open on saturday"),
    ]
    assert user_decisions(run_conversation(esc, turns))[-1].signals["loop"] >= 0.6


def test_a_detail_restated_while_the_bot_repeats_itself_is_a_loop(esc: Escalator) -> None:
    reply = "Your appointment is on the 3rd at 10am."
    turns = [
        ("user", "please move my appointment to the 9th"),
        ("bot", reply),
        ("user", "yes and I'd like it moved to the 9th"),
        ("bot", reply),
        ("user", "9TH!"),
    ]
    last = user_decisions(run_conversation(esc, turns))[-1]
    assert last.action is Action.OFFER_HUMAN
    assert ReasonCode.CONVERSATION_LOOP in last.reason_codes


def test_a_detail_the_bot_took_up_is_no_loop(esc: Escalator) -> None:
    reply = "Your appointment is on the 9th at 10am. Anything else?"
    turns = [
        ("user", "please move my appointment to the 9th"),
        ("bot", reply),
        ("user", "is the 9th at 10am definitely confirmed?"),
        ("bot", reply),
        ("user", "great, the 9th works"),
    ]
    assert user_decisions(run_conversation(esc, turns))[-1].signals["loop"] < 0.6


def test_a_short_question_asked_again_is_a_repeat(esc: Escalator) -> None:
    turns = [
        ("user", "where is my sofa"),
        ("bot", "Your sofa is with our delivery partner."),
        ("user", "but where exactly is my sofa?"),
        ("bot", "It is being handled by the courier."),
        ("user", "WHERE IS MY SOFA"),
    ]
    last = user_decisions(run_conversation(esc, turns))[-1]
    assert ReasonCode.CONVERSATION_LOOP in last.reason_codes
    kinds = {e.kind for r in last.reasons for e in r.evidence}
    assert "user_repeat" in kinds


def test_a_short_question_about_something_else_is_no_repeat(esc: Escalator) -> None:
    turns = [
        ("user", "where is my sofa"),
        ("bot", "It arrives on Monday."),
        ("user", "what about the cushions?"),
        ("bot", "They come separately on Tuesday."),
        ("user", "and the footstool?"),
    ]
    assert user_decisions(run_conversation(esc, turns))[-1].signals["loop"] == 0.0
