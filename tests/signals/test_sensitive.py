from __future__ import annotations

import pytest

from escalate import Action, Escalator, ReasonCode
from escalate.testing import run_conversation


def decide(esc: Escalator, text: str) -> tuple[Action, tuple[ReasonCode, ...], set[str]]:
    (decision,) = run_conversation(esc, [("user", text)])
    kinds = {e.kind for reason in decision.reasons for e in reason.evidence}
    return decision.action, decision.reason_codes, kinds


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My mum passed away last month and I need to close her account", "bereavement"),
        ("I'm the executor of my late father's estate", "bereavement"),
        ("my wife is in intensive care and I have to cancel the holiday", "medical_emergency"),
        ("there's a purchase on my card I never made", "fraud"),
        ("someone has been using my card without my permission", "fraud"),
        ("My card was stolen yesterday and there are withdrawals I didn't do", "fraud"),
        ("I just want to end it all", "self_harm"),
    ],
)
def test_serious_topics_hand_off(esc: Escalator, text: str, kind: str) -> None:
    action, codes, kinds = decide(esc, text)
    assert action is Action.HANDOFF
    assert ReasonCode.SENSITIVE_TOPIC in codes
    assert kind in kinds


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I was made redundant and can't afford the next payment", "financial_hardship"),
        ("I'll be speaking to my solicitor about this", "legal_threat"),
        ("how do you protect my account against fraud?", "fraud"),
    ],
)
def test_lighter_topics_offer_a_human(esc: Escalator, text: str, kind: str) -> None:
    action, _, kinds = decide(esc, text)
    assert action is Action.OFFER_HUMAN
    assert kind in kinds


@pytest.mark.parametrize(
    "text",
    [
        "I lost my son's card, how do I order a new one?",
        "my daughter's phone died so she couldn't pay",
        "what does a replacement cost for a lost or stolen card?",
        "why was I charged a fee for the cash withdrawal?",
        "my kid passed the exam, can I add her as a user?",
        "how much foreign money can I exchange?",
    ],
)
def test_lookalikes_are_routine(esc: Escalator, text: str) -> None:
    action, codes, _ = decide(esc, text)
    assert ReasonCode.SENSITIVE_TOPIC not in codes
    assert action is Action.CONTINUE


def test_self_harm_overrides_a_request_to_stay_with_the_bot(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "please don't transfer me to anyone"),
            ("user", "honestly I don't want to live anymore"),
        ],
    )
    assert decisions[0].action is Action.CONTINUE
    assert decisions[1].action is Action.HANDOFF


def test_a_lighter_topic_fades_when_not_raised_again(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "I lost my job and can't afford the bill"),
            ("user", "which payment dates are possible?"),
            ("user", "ok and how do I change the date?"),
            ("user", "thanks"),
        ],
    )
    levels = [d.signals["sensitive_topic"] for d in decisions]
    assert levels == sorted(levels, reverse=True)
    assert decisions[-1].action is Action.CONTINUE


@pytest.mark.parametrize(
    "text",
    [
        "my statement has a payment to a gym I am not a member of",
        "there is a cash machine withdrawal from a town I was not in",
    ],
)
def test_the_learned_scorer_reads_fraud_reports_no_pattern_names(esc: Escalator, text: str) -> None:
    action, codes, kinds = decide(esc, text)
    assert action is Action.OFFER_HUMAN
    assert ReasonCode.SENSITIVE_TOPIC in codes
    assert kinds == {"learned_fraud"}


def test_the_learned_fraud_level_stays_below_a_handoff_and_fades(esc: Escalator) -> None:
    decisions = run_conversation(
        esc,
        [
            ("user", "my statement has a payment to a gym I am not a member of"),
            ("user", "ok thanks"),
        ],
    )
    first, later = (d.signals["sensitive_topic"] for d in decisions)
    assert 0.5 <= first < 0.75
    assert later < first


@pytest.mark.parametrize(
    "text",
    [
        # An alibi: the customer was somewhere else, or had the card.
        "There is a payment on my card from a shop I have never been to",
        "my card was charged in Rome last night but I was at home asleep",
        "200 was taken out at a cash machine and I had my card in my wallet all the time",
        # Paid to somewhere the customer does not know.
        "I've been charged by a merchant I don't know",
        "there's a payment to an online store I never visited",
        "who is this payment to? I never bought anything there",
        "my card was used at a shop I've never been to",
        # A call posing as the bank.
        "a man called claiming to be from your bank and I moved my money to a safe account",
    ],
)
def test_fraud_reports_in_new_words_are_handed_off(esc: Escalator, text: str) -> None:
    action, codes, kinds = decide(esc, text)
    assert action is Action.HANDOFF
    assert ReasonCode.SENSITIVE_TOPIC in codes
    assert "fraud" in kinds


@pytest.mark.parametrize(
    "text",
    [
        "can I pay at a shop I've never been to before with contactless?",
        "how do I check my recent card payments?",
        "I was charged twice for the same purchase",
        "can my dad pay for my order with his card?",
    ],
)
def test_routine_payment_questions_are_no_fraud(esc: Escalator, text: str) -> None:
    action, _, kinds = decide(esc, text)
    assert action is Action.CONTINUE
    assert "fraud" not in kinds


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("we lost our baby last week and I need to cancel the nursery order", "bereavement"),
        ("I'm in serious debt and the interest keeps growing", "financial_hardship"),
        ("we're using food banks now and the bill is due", "financial_hardship"),
        ("my dad collapsed at home and is in hospital now", "medical_emergency"),
        ("the doctors say my cancer is now terminal", "medical_emergency"),
        ("three card payments went out overnight while I was asleep", "fraud"),
    ],
)
def test_hard_times_in_new_words_are_sensitive(esc: Escalator, text: str, kind: str) -> None:
    action, _, kinds = decide(esc, text)
    assert action is not Action.CONTINUE
    assert kind in kinds


def test_a_carer_is_a_vulnerability_offered_a_person(esc: Escalator) -> None:
    action, _, kinds = decide(
        esc, "I'm a full time carer for my mum so I can't come into the branch"
    )
    assert action is Action.OFFER_HUMAN
    assert "vulnerability" in kinds
