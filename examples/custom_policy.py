"""Load a policy file and compare its decisions with the bundled default.

A policy is data: thresholds per signal, cooldowns, what happens when the engine fails. Keep it
in a file next to your bot's configuration, load it with ``load_policy`` (which validates every
field) and pass it to ``Escalator``. Run with ``python examples/custom_policy.py``.
"""

from pathlib import Path

from escalate import Escalator, PolicyError, Turn, load_policy

HERE = Path(__file__).parent

# The same opening user turn in a fresh conversation, under each policy.
OPENERS = [
    "where is my parcel?",
    "are you a bot?",
    "this is annoying, the app logged me out again",
    "I lost my job and can't pay this month",
    "the verification code never arrives",
    "the code goes to my old number, I don't have that phone any more",
    "my husband died last week and I need to close his account",
]


def first_decision(escalator: Escalator, conversation_id: str, text: str) -> str:
    decision = escalator.evaluate(conversation_id, Turn(role="user", text=text))
    codes = ",".join(code.value for code in decision.reason_codes)
    return f"{decision.action.value}" + (f" ({codes})" if codes else "")


def main() -> None:
    # load_policy validates the file and raises PolicyError naming the field at fault.
    strict = load_policy(HERE / "strict_policy.yaml")
    print(f"policy: {strict.name} {strict.version}  hash {strict.content_hash[:12]}")

    default_escalator = Escalator()  # the bundled default policy
    strict_escalator = Escalator(strict)  # a path or a dict works too: Escalator("policy.yaml")
    print(f"{'turn':<66} {'default':<31} strict")
    for number, text in enumerate(OPENERS):
        ours = first_decision(default_escalator, f"default-{number}", text)
        theirs = first_decision(strict_escalator, f"strict-{number}", text)
        marker = "  <- differs" if ours != theirs else ""
        print(f"{text:<66} {ours:<31} {theirs}{marker}")

    # A mistyped policy fails at load time, with the field path and what was expected.
    broken = strict.model_dump(mode="json")
    broken["signals"]["stress"]["offer"] = 0.9  # above its handoff threshold (0.7)
    try:
        load_policy(broken)
    except PolicyError as exc:
        print(f"\nrejected: {exc}")


if __name__ == "__main__":
    main()
