"""Score a few turns and print each decision with its reasons and evidence."""

from escalate import Escalator, Turn

escalator = Escalator()

turns = [
    Turn(role="user", text="Hi, I can't log in, it asks for a code"),
    Turn(role="bot", text="We've texted you a 6-digit code. Please enter it here."),
    Turn(role="user", text="that number is my old phone, I don't have it anymore"),
]

for turn in turns:
    decision = escalator.evaluate("quickstart-1", turn)
    print(f"{turn.role.value:>4}: {turn.text}")
    print(f"      -> {decision.action.value}")
    for reason in decision.reasons:
        quotes = ", ".join(repr(evidence.text) for evidence in reason.evidence)
        print(f"         {reason.code.value} {reason.score:.2f}: {quotes}")
