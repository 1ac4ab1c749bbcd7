"""A toy rule-based bot wired to escalate the way a production backend would be.

- Every user turn is scored before the bot answers.
- The bot's reply is scored *before it is sent*, so a third identical fallback is caught and
  replaced by a handoff instead of being shown to the customer.
- An offer of a human rides along with the reply; when the customer declines, the host reports
  it with ``record_outcome`` and escalate holds further offers back instead of repeating them.
"""

from escalate import Action, Escalator, Outcome, Turn

FALLBACK = "Sorry, I didn't understand that. Could you rephrase?"
OFFER = "Would you like me to connect you with a colleague?"


def toy_bot(text: str) -> str:
    """A bot that only knows about opening hours (and its manners)."""
    if "open" in text.lower() or "hours" in text.lower():
        return "We're open 9 to 5, Monday to Friday."
    if text.lower().startswith(("thanks", "thank you")):
        return "You're welcome!"
    return FALLBACK


def handoff(reasons: tuple[str, ...]) -> None:
    print(f"  [handed to a human: {', '.join(reasons)}]")


def chat(escalator: Escalator, conversation_id: str, user_texts: list[str]) -> None:
    offered = False
    for text in user_texts:
        print(f"user: {text}")
        if offered and text.lower().startswith("no"):
            escalator.record_outcome(conversation_id, Outcome.OFFER_DECLINED)
        decision = escalator.evaluate(conversation_id, Turn(role="user", text=text))
        if decision.action is Action.HANDOFF:
            handoff(tuple(code.value for code in decision.reason_codes))
            return
        reply = toy_bot(text)
        # Score the reply before sending it: a loop is caught on the bot's own turn.
        checked = escalator.evaluate(conversation_id, Turn(role="bot", text=reply))
        if checked.action is Action.HANDOFF:
            print("  [reply held back]")
            handoff(tuple(code.value for code in checked.reason_codes))
            return
        offered = Action.OFFER_HUMAN in {decision.action, checked.action}
        print(f"bot:  {reply}" + (f" {OFFER}" if offered else ""))


if __name__ == "__main__":
    escalator = Escalator()
    print("--- a question the bot can answer")
    chat(escalator, "c-1", ["when are you open?", "thanks!"])
    print("--- a bot stuck on its fallback")
    chat(
        escalator,
        "c-2",
        ["I need to pause my plan", "pause subscription", "no, just pause it", "PAUSE IT"],
    )
