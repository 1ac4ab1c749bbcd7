"""Per-turn cost of ``Escalator.evaluate`` as a ratio to bare VADER, measured in the same run.

    python benchmarks/bench_turn.py [--quick] [--engine auto|python] [--json PATH]

Figures (see benchmarks/README.md for what each means and the latest numbers):

- ``evaluate`` vs ``SentimentIntensityAnalyzer().polarity_scores`` on the same texts, timed
  alternately turn by turn so machine noise hits both alike: median and p99 per turn, and the
  ratio of medians, for user turns and for all turns (bot turns included);
- the same with decision events rendered as JSON (a host that logs every decision);
- cost per turn deep in a conversation (turn ~500) against early on (turn ~5);
- state size per conversation (serialised) and memory per conversation in the store;
- ``import escalate`` and first ``Escalator()`` times, in fresh interpreters.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

USER_TEXTS = [
    "Hi, where is my order 4471?",
    "I want to change the delivery address on my order",
    "how do I reset my password?",
    "Can I pay with PayPal?",
    "what time do you close on saturday",
    "my card was charged twice for the same order",
    "I've been waiting 40 minutes for someone to answer, this is ridiculous",
    "THIS IS THE THIRD TIME I'M ASKING. WHERE IS MY REFUND???",
    "the code never arrived, I checked spam too",
    "I don't have access to that email any more, it was my old work address",
    "someone changed my password and I can't log in",
    "I want to talk to a real person",
    "can I speak to a human please",
    "quiero hablar con una persona",
    "great, thanks!",
    "ok",
    "no that's not what I asked",
    "I already told you, the parcel never came",
    "my father passed away and I need to close his account",
    "I lost my job and can't pay the bill this month",
    "you are useless, absolutely useless",
    "oh great, just great. thanks for nothing",
    (
        "Is there a way to get an invoice for my last three orders with the VAT number on them? "
        "I need it for my accountant before the end of the month, and the download link in the "
        "account page gives me an error every time I click it."
    ),
    (
        "The app keeps crashing when I open the payments tab, I've reinstalled it twice already "
        "and restarted my phone, nothing helps, and I need to pay my rent today."
    ),
    "do you ship to Norway?",
    "can I return shoes I already wore once",
    "I'm so worried, there's a payment I don't recognise on my account",
    "why won't it let me verify my identity, the selfie keeps failing",
    "thank you, that solved it",
    "what's the status of ticket 88812",
]
BOT_TEXTS = [
    "Your order 4471 left our warehouse yesterday and arrives on Thursday.",
    "Sorry, I didn't understand that. Could you rephrase?",
    "You can change the delivery address under Orders > Manage.",
    "We've sent a 6-digit code to your phone. Please enter it here.",
    "To verify it's you, please click the link we emailed you.",
    "Is there anything else I can help you with?",
    "Refunds take 5-7 business days to appear on your statement.",
    "I can connect you with a colleague. Would you like that?",
    "We're open 9 to 5, Monday to Saturday.",
    "Please upload a photo of your ID to continue.",
]


def _quiet_structlog(*, events_as_json: bool) -> None:
    import structlog

    if events_as_json:
        sink = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 - lives for the run
        structlog.configure(
            processors=[structlog.processors.JSONRenderer()],
            logger_factory=structlog.PrintLoggerFactory(sink),
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            cache_logger_on_first_use=True,
        )
    else:
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            cache_logger_on_first_use=True,
        )


def _use_engine(engine: str) -> None:
    if engine == "python":
        from escalate.signals import _scanner

        _scanner._re2 = lambda: None  # benchmark-only: pretend escalate[fast] is absent


def _conversation(length: int, offset: int = 0) -> list[tuple[str, str]]:
    """Alternating user and bot turns drawn from the fixed texts."""
    turns = []
    for i in range(length):
        if i % 2 == 0:
            turns.append(("user", USER_TEXTS[(offset + i // 2) % len(USER_TEXTS)]))
        else:
            turns.append(("bot", BOT_TEXTS[(offset + i // 2) % len(BOT_TEXTS)]))
    return turns


def _summary(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": statistics.median(ordered) / 1000,
        "p99_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000,
    }


def measure_turns(rounds: int, *, events_as_json: bool) -> dict[str, Any]:
    """Time evaluate and bare VADER alternately on the same texts."""
    from escalate import Escalator, Turn
    from escalate.signals.stress import vader_analyser

    _quiet_structlog(events_as_json=events_as_json)
    vader = vader_analyser()
    escalator = Escalator()
    clock = time.perf_counter_ns
    evaluate: dict[str, list[int]] = {"user": [], "bot": []}
    bare: dict[str, list[int]] = {"user": [], "bot": []}
    conversation_length = 10  # a typical support chat
    for round_number in range(rounds):
        for start in range(0, len(USER_TEXTS), conversation_length // 2):
            conversation_id = f"bench-{round_number}-{start}"
            for role, text in _conversation(conversation_length, start):
                turn = Turn(role=role, text=text)
                begin = clock()
                escalator.evaluate(conversation_id, turn)
                middle = clock()
                vader.polarity_scores(text)
                end = clock()
                evaluate[role].append(middle - begin)
                bare[role].append(end - middle)
    result: dict[str, Any] = {}
    for scope, roles in (("user_turns", ["user"]), ("all_turns", ["user", "bot"])):
        ours = [t for role in roles for t in evaluate[role]]
        theirs = [t for role in roles for t in bare[role]]
        result[scope] = {
            "evaluate": _summary(ours),
            "vader": _summary(theirs),
            "ratio": statistics.median(ours) / statistics.median(theirs),
            "turns": len(ours),
        }
    return result


def measure_depth(repeats: int) -> dict[str, float]:
    """Per-turn cost at turn ~5 vs turn ~500 on the same texts (state must stay bounded)."""
    from escalate import Escalator, Turn
    from escalate.signals._lexicon import real_words

    _quiet_structlog(events_as_json=False)
    escalator = Escalator()
    probe = [Turn(role=role, text=text) for role, text in _conversation(20, 7)]
    # Filler of random real words: the deep conversation differs from the short one in length
    # only. Repeated filler would be a loop, and a handed-off conversation carries reasons on
    # every decision: both cost more for reasons other than length.
    words = sorted(real_words())
    chooser = random.Random(7)
    filler = [
        ("user" if number % 2 == 0 else "bot", " ".join(chooser.sample(words, 8)))
        for number in range(500)
    ]
    timings: dict[int, list[int]] = {5: [], 500: []}
    clock = time.perf_counter_ns
    for repeat in range(repeats):
        for depth, samples in timings.items():
            for index, turn in enumerate(probe):
                conversation_id = f"depth-{depth}-{repeat}-{index}"
                for role, text in filler[:depth]:
                    escalator.evaluate(conversation_id, Turn(role=role, text=text))
                begin = clock()
                escalator.evaluate(conversation_id, turn)
                samples.append(clock() - begin)
                escalator.store.delete(conversation_id)
    early = statistics.median(timings[5])
    late = statistics.median(timings[500])
    return {
        "turn5_median_us": early / 1000,
        "turn500_median_us": late / 1000,
        "ratio": late / early,
    }


def measure_memory(conversations: int) -> dict[str, float]:
    """Serialised state after 500 turns, and store memory per 20-turn conversation."""
    from escalate import Escalator, InMemoryStore, Turn

    _quiet_structlog(events_as_json=False)
    escalator = Escalator(store=InMemoryStore(ttl_seconds=None))
    for role, text in _conversation(500):
        escalator.evaluate("long", Turn(role=role, text=text))
    state = escalator.state("long")
    assert state is not None
    serialised = len(state.to_json())
    escalator.store.delete("long")
    turns = [Turn(role=role, text=text) for role, text in _conversation(20)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for number in range(conversations):
        for turn in turns:
            escalator.evaluate(f"m-{number}", turn)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "state_json_bytes_after_500_turns": serialised,
        "store_bytes_per_conversation": (after - before) / conversations,
    }


def measure_startup(runs: int) -> dict[str, float]:
    """Median wall time of fresh interpreters, minus an empty one."""

    def median_run(code: str) -> float:
        times = []
        for _ in range(runs):
            begin = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - begin)
        return statistics.median(times) * 1000

    empty = median_run("pass")
    return {
        # pydantic's own start-up with one model defined: the floor under any pydantic library.
        "import_pydantic_ms": median_run(
            "from pydantic import BaseModel\nclass M(BaseModel):\n    x: int"
        )
        - empty,
        "import_escalate_ms": median_run("import escalate") - empty,
        "first_escalator_ms": median_run("from escalate import Escalator; Escalator()") - empty,
    }


def run(*, quick: bool, engine: str) -> dict[str, Any]:
    """Every figure, as a JSON-ready dict."""
    _use_engine(engine)
    from escalate.engine import _text_tools

    report: dict[str, Any] = {
        "engine": _text_tools()[1].engine,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    report["turns"] = measure_turns(3 if quick else 60, events_as_json=False)
    report["turns_with_json_events"] = measure_turns(2 if quick else 20, events_as_json=True)
    report["depth"] = measure_depth(1 if quick else 5)
    report["memory"] = measure_memory(50 if quick else 500)
    report["startup"] = measure_startup(2 if quick else 7)
    return report


def render(report: dict[str, Any]) -> None:
    """Print the figures as a table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"escalate per-turn cost (scanner: {report['engine']})")
    for column in ("figure", "escalate", "bare VADER", "ratio"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for key, label in (("turns", "events off"), ("turns_with_json_events", "events as JSON")):
        for scope in ("user_turns", "all_turns"):
            row = report[key][scope]
            table.add_row(
                f"{scope.replace('_', ' ')}, {label}: median / p99 µs",
                f"{row['evaluate']['median_us']:.1f} / {row['evaluate']['p99_us']:.1f}",
                f"{row['vader']['median_us']:.1f} / {row['vader']['p99_us']:.1f}",
                f"{row['ratio']:.2f}x",
            )
    depth = report["depth"]
    table.add_row(
        "turn 500 vs turn 5: median µs",
        f"{depth['turn500_median_us']:.1f} vs {depth['turn5_median_us']:.1f}",
        "",
        f"{depth['ratio']:.2f}x",
    )
    memory = report["memory"]
    table.add_row(
        "state after 500 turns (JSON bytes)",
        str(memory["state_json_bytes_after_500_turns"]),
        "",
        "",
    )
    table.add_row(
        "store memory per conversation (bytes)",
        f"{memory['store_bytes_per_conversation']:.0f}",
        "",
        "",
    )
    startup = report["startup"]
    table.add_row(
        "import escalate (ms) [pydantic alone]",
        f"{startup['import_escalate_ms']:.0f} [{startup['import_pydantic_ms']:.0f}]",
        "",
        "",
    )
    table.add_row("first Escalator() (ms)", f"{startup['first_escalator_ms']:.0f}", "", "")
    Console().print(table)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, for smoke tests")
    parser.add_argument("--engine", choices=["auto", "python"], default="auto")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    report = run(quick=args.quick, engine=args.engine)
    render(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
