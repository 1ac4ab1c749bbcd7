from __future__ import annotations

import pytest

from escalate import Action, Decision, Escalator, ReasonCode
from escalate.testing import run_conversation, user_decisions


def first_decision(esc: Escalator, text: str) -> Decision:
    return run_conversation(esc, [("user", text)])[0]


def takeover_evidence(decision: Decision) -> list[str]:
    return [
        e.text
        for r in decision.reasons
        if r.code is ReasonCode.SECURITY_DEAD_END
        for e in r.evidence
        if e.kind == "account_takeover"
    ]


TAKEOVERS = [
    "I think I've been hacked, my email was changed without me",
    "I got a password reset email I never requested",
    "I keep getting verification codes I didn't request",
    "someone logged into my account from another country",
    "someone is trying to get into my account",
    "my account has been compromised",
    "my account was taken over",
    "there's a login from a device I don't recognise",
    "there are logins I don't recognize on my profile",
    "I see a sign-in from a device I don't know",
    "there's a suspicious login on my account",
    "a new device was added to my account that isn't mine",
    "my password was changed and it wasn't me",
    "my email address on the account was changed and I didn't do it",
    "I got a login alert from Madrid, that wasn't me",
    "a hacker changed my phone number",
    "I didn't log in but it says a new device signed in",
    "I clicked a phishing link and typed my password",
]

OTHER_LANGUAGES = [
    ("es", "me hackearon la cuenta"),
    ("es", "hackearon mi cuenta"),
    ("es", "mi cuenta fue hackeada"),
    ("es", "alguien cambió mi contraseña"),
    ("es", "alguien cambio mi contrasena"),
    ("fr", "mon compte a été piraté"),
    ("fr", "mon compte a ete pirate"),
    ("fr", "on a hacké mon compte"),
    ("fr", "quelqu'un a changé mon mot de passe"),
    ("fr", "quelqu'un s'est connecté à mon compte"),
    ("de", "mein Konto wurde gehackt"),
    ("de", "mein Konto wurde gehakt"),
    ("de", "jemand hat mein Passwort geändert"),
    ("de", "jemand hat sich in mein Konto eingeloggt"),
    ("pt", "minha conta foi hackeada"),
    ("pt", "hackearam minha conta"),
    ("pt", "alguém mudou minha senha"),
    ("pt", "alguem mudou minha senha"),
    ("it", "il mio account è stato hackerato"),
    ("it", "il mio account e stato hackerato"),
    ("it", "qualcuno ha cambiato la mia password"),
    ("nl", "mijn account is gehackt"),
    ("nl", "mijn account is gehacked"),
    ("nl", "iemand heeft mijn wachtwoord veranderd"),
    ("nl", "iemand heeft ingelogd op mijn account"),
]

ROUTINE = [
    "how do I change my password?",
    "I reset my password yesterday and it worked",
    "I need to reset my password",
    "is my account safe if I use public wifi?",
    "hacking together a script",
    "I'm hacking together a script with your API",
    "life hack: use the app",
    "how do I set up two-factor authentication?",
    "I changed my email address last week",
    "I changed my email, it wasn't me who asked for the newsletter",
    "I want to change my phone number",
    "can I log in from another country when travelling?",
    "I logged in from a new device, don't worry it was me",
    "how can I see which devices are logged in?",
    "which devices are logged in to my account?",
    "the phone number on the receipt isn't mine",
    "I didn't change anything, it just stopped working",
    "my colleague changed my password for me, as I asked",
    "the new login page is confusing",
    "how do I protect my account from hackers?",
    "what if I get hacked?",
]


@pytest.mark.parametrize("text", TAKEOVERS)
def test_account_takeover_hands_off_at_once(esc: Escalator, text: str) -> None:
    decision = first_decision(esc, text)
    assert decision.action is Action.HANDOFF
    assert decision.reasons[0].code is ReasonCode.SECURITY_DEAD_END
    assert takeover_evidence(decision)


@pytest.mark.parametrize(("language", "text"), OTHER_LANGUAGES)
def test_takeover_in_other_languages_hands_off(esc: Escalator, language: str, text: str) -> None:
    decision = first_decision(esc, text)
    assert decision.action is Action.HANDOFF
    assert decision.reasons[0].code is ReasonCode.SECURITY_DEAD_END
    assert takeover_evidence(decision)


@pytest.mark.parametrize("text", [text for _, text in OTHER_LANGUAGES[:3]] + TAKEOVERS[:3])
def test_takeover_evidence_quotes_the_turn(esc: Escalator, text: str) -> None:
    decision = first_decision(esc, text)
    (evidence,) = (e for r in decision.reasons for e in r.evidence if e.kind == "account_takeover")
    assert evidence.span is not None
    assert text[evidence.span[0] : evidence.span[1]] == evidence.text


@pytest.mark.parametrize("text", ROUTINE)
def test_security_questions_and_own_changes_are_routine(esc: Escalator, text: str) -> None:
    decision = first_decision(esc, text)
    assert decision.action is Action.CONTINUE
    assert not takeover_evidence(decision)


def test_asking_what_to_do_after_a_takeover_is_no_takeover_report(esc: Escalator) -> None:
    # sensitive_topic still reads "account is hacked" as possible fraud; the security signal
    # must not report a takeover the customer only asks about.
    decision = first_decision(esc, "what should I do if my account is hacked?")
    assert decision.signals["security_dead_end"] == 0.0


def test_a_takeover_stays_a_handoff_after_the_bot_says_all_is_well(esc: Escalator) -> None:
    decisions = user_decisions(
        run_conversation(
            esc,
            [
                ("user", "someone changed my email without my permission"),
                ("bot", "Your email has been updated successfully."),
                ("user", "ok"),
            ],
        )
    )
    assert [d.action for d in decisions] == [Action.HANDOFF, Action.HANDOFF]
    assert decisions[-1].signals["security_dead_end"] == 1.0
