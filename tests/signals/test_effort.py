from __future__ import annotations

from datetime import UTC, datetime, timedelta

from escalate import Action, Escalator, ReasonCode, Turn
from escalate.testing import run_conversation


def test_a_short_conversation_has_no_effort(esc: Escalator) -> None:
    decisions = run_conversation(esc, [("user", f"question number {i}") for i in range(8)])
    assert all(d.signals["effort"] == 0.0 for d in decisions)


SHOPPING = [
    ("do you have the trail runners in size 42?", "Yes, size 42 is in stock."),
    ("what colours do they come in?", "Black, navy and orange."),
    ("is navy available in 42?", "Navy is available in 42."),
    ("how heavy are they?", "About 280 grams per shoe."),
    ("are they waterproof?", "They have a water-resistant membrane."),
    ("what's the drop?", "The heel-to-toe drop is 6 mm."),
    ("do you ship to Portugal?", "Yes, we ship to Portugal."),
    ("how long does that take?", "Three to five working days."),
    ("what does shipping cost?", "Shipping is free over 50 EUR."),
    ("can I pay with PayPal?", "PayPal, cards and bank transfer are accepted."),
    ("is there a student discount?", "Students get 10% with a verified account."),
    ("how do I verify as a student?", "Upload your student card in your profile."),
    ("can I return them if they don't fit?", "Returns are free within 30 days."),
    ("do you sell matching socks?", "Yes, merino socks in three sizes."),
    ("which size for a 42 shoe?", "Size M fits shoe sizes 40 to 43."),
    ("add two pairs of socks please", "Two pairs of merino socks added."),
    ("what's my total now?", "Your total is 164 EUR."),
    ("apply code SPRING10", "Code applied: you save 16.40 EUR."),
    ("great, when would it arrive?", "Estimated delivery is Thursday."),
    ("can I pick a delivery slot?", "You can choose a slot after checkout."),
    ("ok placing the order", "Your order is confirmed, number 55120."),
    ("will I get an email?", "A confirmation email is on its way."),
    ("thanks, that's all", "Happy running!"),
]


def test_a_long_productive_conversation_does_not_escalate(esc: Escalator) -> None:
    turns: list[tuple[str, str]] = []
    for question, answer in SHOPPING:
        turns += [("user", question), ("bot", answer)]
    decisions = run_conversation(esc, turns)
    assert decisions[-1].signals["effort"] > 0
    assert all(d.action is Action.CONTINUE for d in decisions)


def test_a_long_conversation_going_nowhere_offers_a_human(esc: Escalator) -> None:
    turns: list[tuple[str, str]] = []
    for i in range(26):
        turns += [
            ("user", f"this still doesn't work, attempt {i}, it's getting annoying"),
            ("bot", "Is there anything else I can help you with?"),
        ]
    decisions = run_conversation(esc, turns)
    last = decisions[-1]
    assert last.escalated
    assert last.signals["effort"] >= 0.7
    effort_reasons = [r for r in last.reasons if r.code is ReasonCode.HIGH_EFFORT]
    assert effort_reasons
    assert {e.kind for e in effort_reasons[0].evidence} == {"long_conversation", "wrap_up_prompts"}


def test_elapsed_time_counts_when_turns_carry_times(esc: Escalator) -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    esc.evaluate("c", Turn(role="user", text="hello", ts=start))
    later = esc.evaluate(
        "c", Turn(role="user", text="still here", ts=start + timedelta(minutes=50))
    )
    assert later.signals["effort"] > 0
    state = esc.state("c")
    assert state is not None
    assert state.last_ts is not None
    assert state.first_ts is not None
    assert state.last_ts - state.first_ts == 50 * 60
