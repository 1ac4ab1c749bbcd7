from __future__ import annotations

import pytest

from escalate import Action, Decision, Escalator, ReasonCode
from escalate.testing import run_conversation, user_decisions


def first_decision(esc: Escalator, text: str) -> Decision:
    return run_conversation(esc, [("user", text)])[0]


def after_opting_out(esc: Escalator, opt_out: str, later: str) -> Decision:
    """The decision on ``later``, a user turn that follows an opt-out and the bot's reply."""
    decisions = user_decisions(
        run_conversation(
            esc, [("user", opt_out), ("bot", "Of course. How can I help?"), ("user", later)]
        )
    )
    assert decisions[0].action is Action.CONTINUE
    return decisions[-1]


class TestExplicitRequests:
    ENGLISH = (
        "talk to a person",
        "real human please",
        "agent",
        "AGENT!!!",
        "operator!!",
        "HUMAN",
        "Customer service please",
        "can I speak with someone",
        "get me a manager",
        "is there a human there?",
        "is there a real person I can talk to?",
        "I want a representative",
        "let me talk to a human being",
        "I'd like to speak to an agent please",
        "connect me to a human",
        "can i have an agnet",
        "could we get someone from your team",
        "I'd like to escalate this please",
        "transfer me to an agent",
        "put me through to customer service",
        "could I chat with a live agent",
        "I demand to speak to a manager",
        "I need a human",
        "how do I speak to a human?",
        "Just get me a human!!!",
        "please escalate this to a human",
        "pass my case on to a manager",
        "can someone from your team call me",
        "could you have someone call me back",
        "Can a human help me?",
        "Can you get a human on the line?",
    )
    TYPOS = (
        "humna",
        "humna please",
        "reprsentative",
        "I need an operater",
        "operater!!",
        "spek to someone",
        "can i spek to someone",
        "can i tlak to a human",
        "I want to speek to a persn",
        "get me a humen",
        "talk to agnet",
        "speak to a supervisior",
    )
    # Each language with and without accents, and with a typo.
    OTHER_LANGUAGES = (
        ("es", "quiero hablar con una persona"),
        ("es", "necesito hablar con un humano"),
        ("es", "¿puedo hablar con un agente?"),
        ("es", "pásame con un asesor"),
        ("es", "pasame con un asesor por favor"),
        ("es", "me comunica con un agente"),
        ("es", "quiero un humano"),
        ("es", "agente por favor"),
        ("es", "kiero ablar con alguien"),
        ("es", "necesito hablar con un umano"),
        ("fr", "je veux parler à un conseiller"),
        ("fr", "je veux parler a un conseiller"),
        ("fr", "je voudrais parler à quelqu'un"),
        ("fr", "puis-je parler à un humain ?"),
        ("fr", "puis-je parler a quelqu'un"),
        ("fr", "mettez-moi en relation avec un conseiller"),
        ("fr", "un conseiller svp"),
        ("fr", "je veux parler a un conseiler"),
        ("de", "ich möchte mit einem Mitarbeiter sprechen"),
        ("de", "ich mochte mit einem mitarbeiter sprechen"),
        ("de", "ich moechte mit einem Mitarbeiter sprechen"),
        ("de", "kann ich mit einem Menschen sprechen?"),
        ("de", "bitte verbinden Sie mich mit einem Mitarbeiter"),
        ("de", "ich brauche einen Mitarbeiter"),
        ("de", "Mitarbeiter bitte"),
        ("de", "ich will mit einem menchen sprechen"),
        ("pt", "quero falar com um atendente"),
        ("pt", "preciso falar com alguém"),
        ("pt", "preciso falar com alguem"),
        ("pt", "me passa para um atendente"),
        ("pt", "atendente por favor"),
        ("pt", "quero falar com um atendende"),
        ("it", "vorrei parlare con un operatore"),
        ("it", "posso parlare con una persona?"),
        ("it", "mi passi un operatore"),
        ("it", "vorrei parlare con un essere umano"),
        ("it", "operatore per favore"),
        ("it", "vorrei parlare con un operatre"),
        ("nl", "ik wil een medewerker spreken"),
        ("nl", "kan ik met een mens praten?"),
        ("nl", "verbind me door met een medewerker"),
        ("nl", "ik wil een mens"),
        ("nl", "medewerker alstublieft"),
        ("nl", "ik wil iemand sprekken"),
    )

    @staticmethod
    def assert_handed_off_for_the_request(decision: Decision, text: str) -> None:
        assert decision.action is Action.HANDOFF
        assert decision.reasons[0].code is ReasonCode.HUMAN_REQUESTED
        evidence = decision.reasons[0].evidence[0]
        assert evidence.span is not None
        assert text[evidence.span[0] : evidence.span[1]] == evidence.text

    @pytest.mark.parametrize("text", ENGLISH)
    def test_an_explicit_request_hands_off_at_once(self, esc: Escalator, text: str) -> None:
        self.assert_handed_off_for_the_request(first_decision(esc, text), text)

    @pytest.mark.parametrize("text", TYPOS)
    def test_misspelt_requests_hand_off_too(self, esc: Escalator, text: str) -> None:
        self.assert_handed_off_for_the_request(first_decision(esc, text), text)

    @pytest.mark.parametrize(("language", "text"), OTHER_LANGUAGES)
    def test_requests_in_other_languages_hand_off(
        self, esc: Escalator, language: str, text: str
    ) -> None:
        self.assert_handed_off_for_the_request(first_decision(esc, text), text)

    def test_a_request_in_the_middle_of_a_long_turn_is_found(self, esc: Escalator) -> None:
        text = (
            "I ordered the blue one last week and it came in green, the box was damaged too. "
            "Honestly I'd rather speak to someone about this than type it all out."
        )
        assert first_decision(esc, text).action is Action.HANDOFF


class TestNotRequests:
    NOT_REQUESTS = (
        "travel agent",
        "my travel agent booked the wrong hotel",
        "my estate agent sent me the contract",
        "my insurance agent needs the receipt",
        "I work as an agent for a travel company",
        "your agent told me it would be refunded",
        "I spoke to an agent yesterday and they said the refund was coming",
        "I already talked to a person on the phone and they said to use the chat",
        "real estate",
        "human resources sent me a letter",
        "is there a human error in my bill?",
        "is there an agent fee?",
        "the person on the card is my wife",
        "update my personal details",
        "where do I find the contact details",
        "how do I contact you by email?",
        "I need someone's email address changed",
        "my manager asked me to get an invoice",
        "send the receipt to my manager",
        "let me talk to my boss first",
        "I'll talk to my wife and come back",
        "talk to you later",
        "transfer money to my savings account",
        "can you connect me to wifi",
        "can someone help me with resetting my PIN?",
        "I'm human, not a robot",
        "ask a manager or your union rep about the rota",
        "speak to the team leader or human resources about it",
    )
    OPT_OUTS = (
        "don't transfer me",
        "please don't transfer me, I just want the bot",
        "I don't want to talk to a person, just fix it",
        "I don't need a human, just answer the question",
        "no need for a person",
        "I'm not asking for a human",
        "I'd rather not talk to a person",
        "no quiero hablar con un agente",
        "no necesito un agente, gracias",
        "je ne veux pas parler à un conseiller",
        "pas besoin d'un conseiller",
        "ich möchte nicht mit einem Mitarbeiter sprechen",
        "ich brauche keinen Mitarbeiter",
        "não quero falar com um atendente",
        "não preciso de um atendente",
        "non voglio parlare con un operatore",
        "non ho bisogno di un operatore",
        "ik wil geen medewerker spreken",
    )

    @pytest.mark.parametrize("text", NOT_REQUESTS + OPT_OUTS)
    def test_third_parties_statements_and_refusals_are_not_requests(
        self, esc: Escalator, text: str
    ) -> None:
        decision = first_decision(esc, text)
        assert decision.signals["human_request"] == 0.0
        assert ReasonCode.HUMAN_REQUESTED not in decision.reason_codes
        assert decision.action is Action.CONTINUE

    @pytest.mark.parametrize(
        "text",
        [
            "the agent at the airport was rude yesterday",
            "the agent I spoke to yesterday was useless",
        ],
    )
    def test_a_complaint_about_an_agent_is_stress_not_a_request(
        self, esc: Escalator, text: str
    ) -> None:
        decision = first_decision(esc, text)
        assert decision.signals["human_request"] == 0.0
        assert decision.reason_codes in {(), (ReasonCode.EMOTIONAL_STRESS,)}


class TestIsItABot:
    @pytest.mark.parametrize(
        "text",
        [
            "are you a bot?",
            "am I talking to a robot",
            "are you a real person?",
            "is this an automated system?",
            "¿eres un bot?",
            "êtes-vous un robot ?",
            "bist du ein Bot?",
        ],
    )
    def test_asking_whether_it_is_a_bot_offers_rather_than_hands_off(
        self, esc: Escalator, text: str
    ) -> None:
        decision = first_decision(esc, text)
        assert decision.action is Action.OFFER_HUMAN
        assert decision.reason_codes == (ReasonCode.HUMAN_REQUESTED,)

    @pytest.mark.parametrize(
        "text",
        [
            "is anyone there?",
            "is there anyone there?",
            "¿Hay alguien ahí?",
            "il y a quelqu'un ?",
            "ist da jemand?",
            "tem alguém aí?",
            "c'è qualcuno?",
            "is er iemand?",
        ],
    )
    def test_checking_whether_anyone_is_there_offers(self, esc: Escalator, text: str) -> None:
        decision = first_decision(esc, text)
        assert decision.action is Action.OFFER_HUMAN
        assert decision.reason_codes == (ReasonCode.HUMAN_REQUESTED,)

    def test_asking_again_hands_off(self, esc: Escalator) -> None:
        decisions = user_decisions(
            run_conversation(
                esc,
                [
                    ("user", "are you a bot?"),
                    ("bot", "I'm a virtual assistant. How can I help?"),
                    ("user", "are you a real person?"),
                ],
            )
        )
        assert decisions[0].action is Action.OFFER_HUMAN
        assert decisions[1].action is Action.HANDOFF
        kinds = {e.kind for e in decisions[1].reasons[0].evidence}
        assert "repeated_request" in kinds

    def test_moving_on_after_asking_lets_the_offer_go(self, esc: Escalator) -> None:
        decisions = user_decisions(
            run_conversation(
                esc,
                [
                    ("user", "are you a bot?"),
                    ("bot", "I'm a virtual assistant. How can I help?"),
                    ("user", "where is my parcel"),
                ],
            )
        )
        assert decisions[-1].action is Action.CONTINUE


class TestAnswersToAnOffer:
    OFFER = "Would you like me to connect you with a colleague?"

    @pytest.mark.parametrize("answer", ["yes", "yes please", "sure, connect me", "ok"])
    def test_accepting_an_offer_hands_off(self, esc: Escalator, answer: str) -> None:
        decisions = user_decisions(
            run_conversation(
                esc, [("user", "my card doesn't work"), ("bot", self.OFFER), ("user", answer)]
            )
        )
        assert decisions[-1].action is Action.HANDOFF
        assert decisions[-1].reasons[0].evidence[0].kind == "offer_accepted"

    def test_yes_without_an_offer_is_no_request(self, esc: Escalator) -> None:
        assert first_decision(esc, "yes").action is Action.CONTINUE

    def test_yes_to_another_question_is_no_request(self, esc: Escalator) -> None:
        decisions = user_decisions(
            run_conversation(
                esc,
                [
                    ("user", "my card doesn't work"),
                    ("bot", "Is the card in your name?"),
                    ("user", "yes"),
                ],
            )
        )
        assert decisions[-1].action is Action.CONTINUE

    def test_a_declined_offer_is_not_repeated_every_turn(self, esc: Escalator) -> None:
        decisions = user_decisions(
            run_conversation(
                esc,
                [
                    ("user", "this is so frustrating"),
                    ("bot", "I'm sorry. " + self.OFFER),
                    ("user", "no thanks, I'll stay with the bot"),
                    ("bot", "Alright. Let's try resetting the app."),
                    ("user", "still annoying but ok"),
                ],
            )
        )
        assert decisions[0].action is Action.OFFER_HUMAN
        assert decisions[1].action is Action.CONTINUE
        assert decisions[2].action is Action.CONTINUE


class TestOptOut:
    FURIOUS = "I'm so frustrated, this is ridiculous!!!"

    def test_dont_transfer_me_is_honoured_for_later_loops(self, esc: Escalator) -> None:
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

    @pytest.mark.parametrize("opt_out", TestNotRequests.OPT_OUTS)
    def test_every_opt_out_holds_later_stress_back(self, esc: Escalator, opt_out: str) -> None:
        decision = after_opting_out(esc, opt_out, self.FURIOUS)
        assert decision.action is Action.CONTINUE
        assert ReasonCode.EMOTIONAL_STRESS in {r.code for r in decision.suppressed}
        assert "the customer asked to stay with the bot" in decision.notes

    @pytest.mark.parametrize(
        ("later", "held_back"),
        [
            ("I lost my phone and can't get the code, my authenticator was on it",
             ReasonCode.SECURITY_DEAD_END),
            ("my husband died last month and the account is in his name",
             ReasonCode.SENSITIVE_TOPIC),
        ],
    )  # fmt: skip
    def test_escalations_without_danger_are_held_back(
        self, esc: Escalator, later: str, held_back: ReasonCode
    ) -> None:
        decision = after_opting_out(esc, "please don't transfer me, I just want the bot", later)
        assert decision.action is Action.CONTINUE
        assert held_back in {r.code for r in decision.suppressed}

    @pytest.mark.parametrize(
        ("later", "code", "kind"),
        [
            ("someone logged into my account and changed my password",
             ReasonCode.SECURITY_DEAD_END, "account_takeover"),
            ("I want to end my life", ReasonCode.SENSITIVE_TOPIC, "self_harm"),
            ("I'm in an abusive relationship and need to hide my address",
             ReasonCode.SENSITIVE_TOPIC, "abuse"),
        ],
    )  # fmt: skip
    def test_opting_out_does_not_hide_danger(
        self, esc: Escalator, later: str, code: ReasonCode, kind: str
    ) -> None:
        decision = after_opting_out(esc, "don't transfer me to anyone", later)
        assert decision.action is Action.HANDOFF
        assert decision.reasons[0].code is code
        assert kind in {e.kind for e in decision.reasons[0].evidence}

    def test_insulting_the_bot_is_no_danger_that_ends_an_opt_out(self, esc: Escalator) -> None:
        later = "this is absolutely useless, I'm furious, worst service ever!!!"
        decision = after_opting_out(esc, "please don't transfer me, I just want the bot", later)
        assert decision.action is Action.CONTINUE

    @pytest.mark.parametrize(
        "first",
        [
            "I'm not happy with you",
            "don't forward me any more spam",
            "don't hand me that excuse",
            "my headphones don't connect",
            "stop connecting to my bank account",
        ],
    )
    def test_look_alikes_of_an_opt_out_hold_nothing_back(self, esc: Escalator, first: str) -> None:
        decisions = user_decisions(
            run_conversation(esc, [("user", first), ("bot", "I see."), ("user", self.FURIOUS)])
        )
        assert decisions[-1].action is Action.HANDOFF
        assert "the customer asked to stay with the bot" not in decisions[-1].notes

    @pytest.mark.parametrize(
        "later",
        [
            "don't transfer the money yet, someone stole my card",
            "I don't want to transfer money, I think my card was stolen",
        ],
    )
    def test_not_moving_money_is_no_opt_out(self, esc: Escalator, later: str) -> None:
        decision = first_decision(esc, later)
        assert decision.action is Action.HANDOFF
        assert decision.reasons[0].code is ReasonCode.SENSITIVE_TOPIC

    def test_asking_for_a_person_after_opting_out_wins(self, esc: Escalator) -> None:
        decision = after_opting_out(
            esc, "no need for a person, I'll manage", "actually, get me a human"
        )
        assert decision.action is Action.HANDOFF
        assert decision.reasons[0].code is ReasonCode.HUMAN_REQUESTED

    def test_asking_whether_it_is_a_bot_after_opting_out_offers(self, esc: Escalator) -> None:
        decision = after_opting_out(esc, "please don't transfer me", "are you a bot?")
        assert decision.action is Action.OFFER_HUMAN
