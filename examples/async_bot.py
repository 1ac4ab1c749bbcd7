"""Score several conversations concurrently with the async API."""

import asyncio
import logging

import structlog

from escalate import Escalator, Turn

CONVERSATIONS = {
    "order": ["where is my parcel?", "great, thanks"],
    "person": ["my invoice is wrong", "can I talk to a real person please?"],
    "takeover": ["someone changed my email address and now I can't log in"],
}


async def run(escalator: Escalator, conversation_id: str, texts: list[str]) -> str:
    decision = None
    for text in texts:
        decision = await escalator.aevaluate(conversation_id, Turn(role="user", text=text))
    assert decision is not None
    return f"{conversation_id}: {decision.action.value} {[c.value for c in decision.reason_codes]}"


async def main() -> None:
    escalator = Escalator()
    results = await asyncio.gather(
        *(run(escalator, cid, texts) for cid, texts in CONVERSATIONS.items())
    )
    for line in results:
        print(line)


if __name__ == "__main__":
    # Decision events are info-level structlog events; this example keeps only warnings.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )
    asyncio.run(main())
