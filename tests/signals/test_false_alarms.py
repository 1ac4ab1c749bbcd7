"""Requests about someone else, advice, sign-offs and topics named in passing do not escalate."""

from __future__ import annotations

import pytest

from escalate import Action, Escalator, ReasonCode
from escalate.testing import run_conversation

QUIET = [
    "my brother is going to speak to a manager at his bank tomorrow",
    "they should chat with a representative at the council about that",
    "you could ask an agent at the airport desk",
    "we need somebody reliable to look after the cat next week",
    "I'm done",
    "I'm done, that was quick, cheers",
    "the podcast was about phishing and fraud in online shops",
    "could you suggest a good family lawyer in Leeds",
    "my daughter is a trainee solicitor",
    # Someone for company, someone else's want, an offer of support, a habit, a name.
    "I like chatting with someone who makes me laugh",
    "I want someone to cuddle on the sofa tonight",
    "he wants people to send him money for his trip",
    "they just want someone to agree with them",
    "if you need someone to talk to, I'm here",
    "I never talk to anyone before my coffee",
    "calling someone a cheat is not on",
    "what do you call someone who never pays the bill",
    # "Real" alone asks whether something is genuine, or disbelieves it.
    "are you for real",
    "is this real life",
    "I got a text saying my parcel is held at customs, is this real?",
    # Someone else's advice, reported; a person at the customer's own work; a trade at home.
    "my tutor told me I should speak to an adviser about the fees, what does the course cost?",
    "I was going to ask someone in payroll but they're off, how do I update my bank details?",
    "we need somebody to come and repair the washing machine, is that covered by the warranty?",
    # People in general, and calling people as a habit or a story.
    "since the move I find it easier to talk to people at the gym",
    "my nephew keeps calling people boomers",
    "I called somebody at the depot last month and they sorted it",
    # Feelings of the person spoken to, and the regret formula "I'm afraid ...".
    "are you still angry with your brother about the wedding?",
    "what are you so nervous about, it's only a driving test",
    "I'm afraid I won't be in on Friday, can the courier come Monday instead?",
    "I'm afraid not, the old address is the right one",
]
STILL_ESCALATE = [
    ("you should let me talk to a human", ReasonCode.HUMAN_REQUESTED),
    ("I need somebody to fix my account now", ReasonCode.HUMAN_REQUESTED),
    ("could somebody from the support team check my order please", ReasonCode.HUMAN_REQUESTED),
    ("you told me I can talk to someone, so put me through", ReasonCode.HUMAN_REQUESTED),
    ("just put me through please", ReasonCode.HUMAN_REQUESTED),
    ("I need someone who understands my problem", ReasonCode.HUMAN_REQUESTED),
    ("you never let me talk to anyone", ReasonCode.HUMAN_REQUESTED),
    ("I'm a customer who needs a person", ReasonCode.HUMAN_REQUESTED),
    ("it's urgent, I need a human", ReasonCode.HUMAN_REQUESTED),
    ("are you real?", ReasonCode.HUMAN_REQUESTED),
    ("are you a real person", ReasonCode.HUMAN_REQUESTED),
    ("let me speak with real people please", ReasonCode.HUMAN_REQUESTED),
    ("I'm afraid someone has got into my account and I'm so scared", ReasonCode.SENSITIVE_TOPIC),
    ("are you even listening? I am furious with you", ReasonCode.EMOTIONAL_STRESS),
    ("can someone call me back about the refund", ReasonCode.HUMAN_REQUESTED),
    ("I'm totally done with this app, it never works", ReasonCode.EMOTIONAL_STRESS),
    ("someone took money from my account, this is fraud", ReasonCode.SENSITIVE_TOPIC),
    ("I will be taking legal action over this", ReasonCode.SENSITIVE_TOPIC),
]


@pytest.mark.parametrize("text", QUIET)
def test_not_a_request_for_our_people(esc: Escalator, text: str) -> None:
    (decision,) = run_conversation(esc, [("user", text)])
    assert decision.action is Action.CONTINUE, decision.reasons


@pytest.mark.parametrize(("text", "code"), STILL_ESCALATE)
def test_the_real_thing_still_escalates(esc: Escalator, text: str, code: ReasonCode) -> None:
    (decision,) = run_conversation(esc, [("user", text)])
    assert decision.action is not Action.CONTINUE
    assert code in decision.reason_codes
