"""Drive the example's action server offline, the way Rasa calls it, and print what it says.

No Rasa needed: the demo loads `actions.py` into rasa-sdk's `ActionExecutor` (what
`python -m rasa_sdk --actions actions` serves), keeps each conversation's tracker as Rasa
would, sends the action server Rasa's request after every customer message and prints the
slots, messages and follow-up actions that come back.

    pip install 'escalate[rasa]'
    python examples/rasa/demo.py
"""

import asyncio
import itertools
import sys
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk.executor import ActionExecutor

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # `actions` is found as the action server finds it

CHECK = "action_escalation_check"
SLOTS = ("escalation_action", "escalation_reason", "escalation_route")

# What the customer writes, and what the bot answers when escalate says `continue`.
CONVERSATIONS = {
    "a routine question": [
        ("where is my parcel?", "utter_parcel_status"),
    ],
    "asking for a person": [
        ("where is my parcel?", "utter_parcel_status"),
        ("I want to talk to a person", "utter_parcel_status"),
    ],
    "an angry customer": [
        ("hi, my parcel never arrived", "utter_sorry"),
        ("it has been two weeks, this is getting really annoying", "utter_parcel_status"),
        ("That is ridiculous, you said that last week. Useless!", "utter_parcel_status"),
        ("no thanks, just find my parcel", "utter_parcel_status"),  # declines the offer
    ],
}


class Rasa:
    """Just enough of Rasa: a tracker per conversation, and calls to the action server."""

    def __init__(self, executor: ActionExecutor, domain: dict[str, Any]) -> None:
        self.executor = executor
        self.domain = domain
        self.responses = {
            name: variants[0]["text"] for name, variants in domain["responses"].items()
        }
        self.clock = itertools.count(1_760_000_000, 2)
        self.events: list[dict[str, Any]] = []
        self.slots: dict[str, Any] = {}

    def log(self, event: dict[str, Any]) -> None:
        self.events.append({**event, "timestamp": float(next(self.clock))})

    def start(self) -> None:
        self.events, self.slots = [], dict.fromkeys(SLOTS)
        self.log({"event": "action", "name": "action_session_start"})
        self.log({"event": "session_started"})
        self.log({"event": "action", "name": "action_listen"})

    async def run(self, action: str, sender_id: str) -> list[dict[str, Any]]:
        """Run a custom action and log what it did, as Rasa does: action, messages, events."""
        request = {
            "next_action": action,
            "sender_id": sender_id,
            "tracker": {"sender_id": sender_id, "slots": self.slots, "events": self.events},
            "domain": self.domain,
        }
        result = await self.executor.run(request)
        assert result is not None
        self.log({"event": "action", "name": action})
        for message in result.responses:
            print(f"  bot: {message['text']}")
            self.log({"event": "bot", "text": message["text"]})
        for event in result.events:
            self.log(event)
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
        return result.events

    async def message(self, sender_id: str, text: str, answer: str) -> None:
        print(f"  customer: {text}")
        self.log({"event": "user", "text": text, "input_channel": "demo"})
        events = await self.run(CHECK, sender_id)
        print("    " + " ".join(f"{name}={self.slots[name]}" for name in SLOTS))
        followups = [event["name"] for event in events if event["event"] == "followup"]
        for name in followups:
            print(f"  followup: {name}")
            await self.run(name, sender_id)
        if self.slots["escalation_action"] == "continue":
            print(f"  bot: {self.responses[answer]}")
            self.log({"event": "action", "name": answer})
            self.log({"event": "bot", "text": self.responses[answer]})
        self.log({"event": "action", "name": "action_listen"})


async def main() -> None:
    domain = yaml.safe_load((HERE / "domain.yml").read_text(encoding="utf-8"))
    executor = ActionExecutor()
    executor.register_package("actions")
    rasa = Rasa(executor, domain)
    for number, (title, messages) in enumerate(CONVERSATIONS.items(), start=1):
        print(f"=== {title}")
        rasa.start()
        for text, answer in messages:
            await rasa.message(f"demo-{number}", text, answer)


if __name__ == "__main__":
    asyncio.run(main())
