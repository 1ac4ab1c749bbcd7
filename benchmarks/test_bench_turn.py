"""pytest-benchmark view of the per-turn cost: ``pytest benchmarks/ --benchmark-only``.

Not part of the default test run (``testpaths`` are ``tests`` and ``src/escalate``). Each group
puts bare VADER and ``Escalator.evaluate`` on the same text side by side. The same text every
round: a **warm** figure, to compare commits on one machine. ``bench_turn.py`` is the reference
(real texts each seen once, fresh processes, interleaved with VADER; see README.md).

The timed ``evaluate`` call is the fifth turn of a fresh conversation: earlier turns are fed
in an untimed set-up, so the state a real turn sees is there, and no conversation grows into a
loop or a sticky handoff over thousands of rounds.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from escalate import Escalator, InMemoryStore, Turn
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from collections.abc import Callable

ROUTINE = "Hi, I want to change the delivery address on my order 4471"
LONG = (
    "I've been trying to sort this out since Monday. The app keeps crashing when I open the "
    "payments tab, I've reinstalled it twice already and restarted my phone, nothing helps. "
    "Your website says my card was declined but the bank says the payment went through, and "
    "now there are two pending charges on my statement. I need this fixed before Friday "
    "because the rent is due and I can't afford to have the money stuck for a week. What "
    "exactly am I supposed to do now? Nobody has given me a straight answer."
)
EARLIER_TURNS = (
    Turn(role="user", text="hello"),
    Turn(role="bot", text="Hi! How can I help you today?"),
    Turn(role="user", text="I have a question about my account"),
    Turn(role="bot", text="Sure, what would you like to know?"),
)
ROUNDS = 1500
VADER = SentimentIntensityAnalyzer()  # bare VADER, as a host without escalate would run it


@pytest.fixture(scope="module")
def escalator() -> Escalator:
    # Bounded store: the benchmark starts thousands of conversations.
    engine = Escalator(store=InMemoryStore(max_conversations=1000), logger=quiet_logger())
    engine.evaluate("warm-up", Turn(role="user", text=LONG))  # lexicons and caches built
    return engine


CONVERSATIONS = itertools.count()
"""Shared by every test: a conversation id is never reused (with --benchmark-disable, one round
each, the store would still hold another test's conversation of the same number)."""


def fifth_turn(escalator: Escalator, text: str) -> Callable[[], tuple[tuple[Any, ...], dict]]:
    """A pedantic set-up: a fresh conversation four turns in, ready for ``text``."""
    turn = Turn(role="user", text=text)

    def setup() -> tuple[tuple[Any, ...], dict]:
        conversation_id = f"bench-{next(CONVERSATIONS)}"
        for earlier in EARLIER_TURNS:
            escalator.evaluate(conversation_id, earlier)
        return (conversation_id, turn), {}

    return setup


@pytest.mark.benchmark(group="routine turn")
def test_vader_routine(benchmark: Any) -> None:
    scores = benchmark(VADER.polarity_scores, ROUTINE)
    assert set(scores) == {"neg", "neu", "pos", "compound"}


@pytest.mark.benchmark(group="routine turn")
def test_evaluate_routine(benchmark: Any, escalator: Escalator) -> None:
    decision = benchmark.pedantic(
        escalator.evaluate, setup=fifth_turn(escalator, ROUTINE), rounds=ROUNDS, warmup_rounds=50
    )
    assert decision.turn_index == 4
    assert decision.action.value == "continue"


@pytest.mark.benchmark(group="long turn")
def test_vader_long(benchmark: Any) -> None:
    scores = benchmark(VADER.polarity_scores, LONG)
    assert set(scores) == {"neg", "neu", "pos", "compound"}


@pytest.mark.benchmark(group="long turn")
def test_evaluate_long(benchmark: Any, escalator: Escalator) -> None:
    decision = benchmark.pedantic(
        escalator.evaluate, setup=fifth_turn(escalator, LONG), rounds=ROUNDS, warmup_rounds=50
    )
    assert decision.turn_index == 4
    assert decision.escalated  # frustrated, hardship: not a routine turn
