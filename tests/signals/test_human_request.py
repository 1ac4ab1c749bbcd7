from __future__ import annotations

import pytest

from escalate import Action, Escalator, ReasonCode, Turn
from escalate.testing import run_conversation, user_decisions

REQUESTS = [
    "talk to a person",
    "real human please",
    "agent",
    "AGENT!!!",
    "operator!!",
    "can I speak with someone",
    "get me a manager",
    "I want a representative",
    "let me talk to a human being",
    # typos
    "humna please",
    "reprsentative",
    "I need an operater",
    "can i spek to someone",
    # Spanish, French, German, Portuguese, Italian, Dutch, with and without accents
    "quiero hablar con una persona",
    "kiero hablar con alguien",
    "necesito hablar con un humano",
    "je veux parler à un conseiller",
    "je veux parler a un humain",
    "puis-je parler a quelqu'un",
    "ich möchte mit einem Mitarbeiter sprechen",
    "ich mochte mit einem mitarbeiter sprechen",
    "kann ich mit jemandem sprechen",
    "quero falar com um atendente",
    "posso falar com alguem",
    "vorrei parlare con un operatore",
    "voglio parlare con una persona",
    "ik wil een medewerker spreken",
    "ik wil met een mens praten",
    # a typo in each language
    "quiero ablar con una persona",
    "necesito hablar con un umano",
    "je veux parler a un conseiler",
    "ich will mit einem menchen sprechen",
    "quero falar com um atendende",
    "vorrei parlare con un operatre",
    "ik wil iemand sprekken",
]

NOT_REQUESTS = [
    "my travel agent booked the wrong hotel",
    "my estate agent sent me the contract",
    "the agent at the airport was rude yesterday",
    "please don't transfer me",
    "I don't want to talk to a person, just fix it",
    "no need for a person",
    "real estate",
    "human resources sent me a letter",
    "the person on the card is my wife",
    "update my personal details",
    "where do I find the contact details",
    "I'm human, not a robot",
]


@pytest.mark.parametrize("text", REQUESTS)
def test_an_explicit_request_hands_off_at_once(esc: Escalator, text: str) -> None:
    decision = esc.evaluate(f"hr-{text}", Turn(role="user", text=text))
    assert decision.action is Action.HANDOFF
    assert decision.reasons[0].code is ReasonCode.HUMAN_REQUESTED
    evidence = decision.reasons[0].evidence[0]
    assert evidence.span is not None
    assert text[evidence.span[0] : evidence.span[1]] == evidence.text


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_third_parties_opt_outs_and_statements_are_not_requests(esc: Escalator, text: str) -> None:
    decision = esc.evaluate(f"not-{text}", Turn(role="user", text=text))
    assert decision.signals["human_request"] == 0.0
    assert ReasonCode.HUMAN_REQUESTED not in decision.reason_codes


@pytest.mark.parametrize("text", ["are you a bot?", "am I talking to a robot"])
def test_asking_whether_it_is_a_bot_offers_rather_than_hands_off(esc: Escalator, text: str) -> None:
    decision = esc.evaluate(f"bot-{text}", Turn(role="user", text=text))
    assert decision.action is Action.OFFER_HUMAN
    assert decision.reason_codes == (ReasonCode.HUMAN_REQUESTED,)


def test_a_request_in_the_middle_of_a_long_turn_is_found(esc: Escalator) -> None:
    text = (
        "I ordered the blue one last week and it came in green, the box was damaged too. "
        "Honestly I'd rather speak to someone about this than type it all out."
    )
    decision = esc.evaluate("long", Turn(role="user", text=text))
    assert decision.action is Action.HANDOFF


def test_dont_transfer_me_is_honoured_for_later_escalations(esc: Escalator) -> None:
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "please don't transfer me, I just want to fix this here"),
                ("bot", "Sorry, I didn't understand that. Could you rephrase?"),
                ("user", "fix my billing address"),
                ("bot", "Sorry, I didn't understand that. Could you rephrase?"),
                ("user", "billing address"),
            ],
        )
    )
    assert all(d.action is Action.CONTINUE for d in decisions)
    assert any(r.code is ReasonCode.CONVERSATION_LOOP for d in decisions for r in d.suppressed)


def test_opting_out_does_not_hide_danger(esc: Escalator) -> None:
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "don't transfer me to anyone"),
                ("bot", "Sure. How can I help?"),
                ("user", "someone logged into my account and changed my password"),
            ],
        )
    )
    assert decisions[-1].action is Action.HANDOFF
    assert decisions[-1].reasons[0].code is ReasonCode.SECURITY_DEAD_END


def test_asking_for_a_person_after_opting_out_wins(esc: Escalator) -> None:
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "no need for a person, I'll manage"),
                ("bot", "OK! What can I do for you?"),
                ("user", "actually, get me a human"),
            ],
        )
    )
    assert decisions[-1].action is Action.HANDOFF


def test_a_declined_offer_is_not_repeated_every_turn(esc: Escalator) -> None:
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "this is frustrating"),
                ("bot", "I'm sorry. Would you like me to connect you with a colleague?"),
                ("user", "no thanks, I'll stay with the bot"),
                ("bot", "Alright. Let's try resetting the app."),
                ("user", "still annoying but ok"),
            ],
        )
    )
    assert decisions[0].action is Action.OFFER_HUMAN
    assert decisions[1].action is Action.CONTINUE
    assert decisions[2].action is Action.CONTINUE
