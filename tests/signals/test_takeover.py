from __future__ import annotations

import pytest

from escalate import Action, Escalator, ReasonCode, Turn

TAKEOVERS = [
    "I think I've been hacked, my email was changed without me",
    "I got a password reset email I never requested",
    "someone logged into my account from another country",
    "my account has been compromised",
    "there's a suspicious login on my account",
    "a hacker changed my phone number",
    "I didn't log in but it says a new device signed in",
    "me hackearon la cuenta",
    "mi cuenta fue hackeada",
    "mon compte a été piraté",
    "mein Konto wurde gehackt",
    "minha conta foi hackeada",
    "il mio account è stato hackerato",
    "mijn account is gehackt",
    "alguien cambio mi contraseña",
    "quelqu'un a changé mon mot de passe",
    "jemand hat mein Passwort geändert",
    "alguém mudou minha senha",
    "qualcuno ha cambiato la mia password",
    "iemand heeft mijn wachtwoord veranderd",
]

ROUTINE = [
    "how do I change my password?",
    "I reset my password yesterday and it worked",
    "is my account safe if I use public wifi?",
    "I'm hacking together a script with your API",
    "how do I set up two-factor authentication?",
]


@pytest.mark.parametrize("text", TAKEOVERS)
def test_account_takeover_hands_off_at_once(esc: Escalator, text: str) -> None:
    decision = esc.evaluate(f"t-{text}", Turn(role="user", text=text))
    assert decision.action is Action.HANDOFF
    assert ReasonCode.SECURITY_DEAD_END in decision.reason_codes
    kinds = {e.kind for r in decision.reasons for e in r.evidence}
    assert "account_takeover" in kinds


@pytest.mark.parametrize("text", ROUTINE)
def test_security_questions_and_successes_are_routine(esc: Escalator, text: str) -> None:
    decision = esc.evaluate(f"r-{text}", Turn(role="user", text=text))
    assert decision.action is Action.CONTINUE
