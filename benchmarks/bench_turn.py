"""Per-turn cost of ``Escalator.evaluate`` as a ratio to bare VADER, measured in the same run.

    python benchmarks/bench_turn.py [--quick] [--engine auto|python] [--json PATH]

Figures (see benchmarks/README.md for what each means and the latest numbers):

- ``evaluate`` vs ``SentimentIntensityAnalyzer().polarity_scores`` on the same texts, timed
  alternately turn by turn so machine noise hits both alike: median, p95 and p99 per turn, and
  the ratio of medians, for user turns and for all turns (bot turns included); with RE2
  installed, the pure-Python scanner is timed in the same loop too (a second ``Escalator``
  whose scanner is built with ``engine="python"``), so both engines face the same noise;
- the same with decision events rendered as JSON (a host that logs every decision);
- cost per turn at turns 5, 50 and 500 of conversations that differ in length only, with the
  in-memory store and with a store that keeps JSON (as a shared store does);
- state size per conversation (serialised) and memory per conversation in the store;
- ``import escalate`` and first ``Escalator()`` times, in fresh interpreters; and the
  construction alone (``Escalator()`` once its module is imported), timed inside them.
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

    def percentile(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] / 1000

    return {
        "median_us": statistics.median(ordered) / 1000,
        "p95_us": percentile(0.95),
        "p99_us": percentile(0.99),
    }


RULES_POLICY: dict[str, Any] = {
    "extends": "default",
    "name": "bench-rules",
    "version": "1",
    "hours": {"office": {"timezone": "Europe/London", "weekly": {"mon-fri": ["08:00-20:00"]}}},
    "routes": {
        "security": {
            "hours": "office",
            "when_unavailable": {"action": "offer_human", "route": "callback"},
        },
        "callback": {},
    },
    "rules": [
        {
            "id": "security",
            "when": {"signal": "security_dead_end", "at_least": 0.5},
            "action": "handoff",
            "reason": "security_dead_end",
            "route": "security",
        },
        {
            "id": "gold-upset",
            "when": {
                "all": [{"meta": "tier", "equals": "gold"}, {"signal": "stress", "at_least": 0.4}]
            },
            "action": "offer_human",
            "reason": "emotional_stress",
        },
        {
            "id": "sustained-loop",
            "when": {"signal": "loop", "at_least": 0.4, "for_user_turns": 2},
            "action": "offer_human",
            "reason": "conversation_loop",
        },
        {
            "id": "fallbacks",
            "when": {"evidence": "bot_fallback", "at_least": 2, "within_turns": 5},
            "action": "handoff",
            "reason": "conversation_loop",
        },
        {
            "id": "long-chat",
            "when": {"all": [{"fact": "user_turns", "at_least": 15}, {"role": "user"}]},
            "action": "offer_human",
            "reason": "high_effort",
        },
        {
            "id": "voice-stress",
            "when": {
                "all": [
                    {"not": {"meta": "channel", "in": ["web", "app"]}},
                    {
                        "any": [
                            {"signal": "stress", "at_least": 0.45},
                            {"signal": "sensitive_topic", "at_least": 0.4},
                        ]
                    },
                ]
            },
            "action": "offer_human",
            "reason": "emotional_stress",
        },
    ],
}
"""Six rules of every kind (windows, evidence counts, meta, facts, routes with hours)."""


def _escalators() -> dict[str, Any]:
    """The escalators to time: the default one first.

    ``Escalator`` has no engine option (the built-in detectors share one scanner per process,
    RE2 when installed), so the pure-Python twin swaps in its own ``Scanner(...,
    engine="python")`` over the same lexicons for each of its turns. Same analyser, detectors
    and policy: only the scanning differs. ``+rules`` is the default engine under
    ``RULES_POLICY``: the cost of policy rules.
    """
    from escalate import Escalator
    from escalate.signals import _context
    from escalate.signals._scanner import Scanner

    default = Escalator()
    shared = _context.bundled_scanner()
    escalators: dict[str, Any] = {shared.engine: default}
    escalators[f"{shared.engine}+rules"] = Escalator(RULES_POLICY)
    if shared.engine == "re2":
        escalators["python"] = _WithScanner(Escalator(), _python_scanner(Scanner, shared))
    return escalators


class _WithScanner:
    """An escalator whose built-in detectors read ``scanner`` instead of the shared one."""

    def __init__(self, escalator: Any, scanner: Any) -> None:
        self._escalator, self._scanner = escalator, scanner

    def evaluate(self, conversation_id: str, turn: Any) -> Any:
        from escalate.signals import _context

        shared = _context.bundled_scanner
        _context.bundled_scanner = lambda: self._scanner  # benchmark-only: two attribute sets
        try:
            return self._escalator.evaluate(conversation_id, turn)
        finally:
            _context.bundled_scanner = shared


_built: dict[str, Any] = {}


def _python_scanner(scanner_class: Any, like: Any) -> Any:
    # Building the pure-Python prefilter takes seconds: once per run.
    if "python" not in _built:
        _built["python"] = scanner_class(like.lexicons.values(), engine="python")
    return _built["python"]


def measure_turns(rounds: int, *, events_as_json: bool) -> dict[str, Any]:
    """Time evaluate (each scanner engine) and bare VADER alternately on the same texts.

    ``evaluate`` and ``ratio`` are the default engine's; ``engines`` has every engine timed.
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from escalate import Turn

    _quiet_structlog(events_as_json=events_as_json)
    vader = SentimentIntensityAnalyzer()
    escalators = _escalators()
    clock = time.perf_counter_ns
    contenders = ["vader", *escalators]
    samples: dict[str, dict[str, list[int]]] = {
        name: {"user": [], "bot": []} for name in contenders
    }
    conversation_length = 10  # a typical support chat
    for name, escalator in escalators.items():
        # Warm-up: RE2 builds its DFA states lazily, and the typo-correction cache fills up.
        for role, text in _conversation(len(USER_TEXTS) * 2):
            escalator.evaluate(f"warm-up-{name}", Turn(role=role, text=text))
            vader.polarity_scores(text)
    turn_number = 0
    for round_number in range(rounds):
        for start in range(0, len(USER_TEXTS), conversation_length // 2):
            conversation_id = f"bench-{round_number}-{start}"
            for role, text in _conversation(conversation_length, start):
                turn = Turn(role=role, text=text)
                # Rotate who goes first, so none always runs with the others' caches warm.
                turn_number += 1
                shift = turn_number % len(contenders)
                for name in contenders[shift:] + contenders[:shift]:
                    if name == "vader":
                        begin = clock()
                        vader.polarity_scores(text)
                        elapsed = clock() - begin
                    else:
                        begin = clock()
                        escalators[name].evaluate(conversation_id, turn)
                        elapsed = clock() - begin
                    samples[name][role].append(elapsed)
    default = next(iter(escalators))
    result: dict[str, Any] = {}
    for scope, roles in (("user_turns", ["user"]), ("all_turns", ["user", "bot"])):
        pooled = {name: [t for role in roles for t in samples[name][role]] for name in contenders}
        baseline = statistics.median(pooled["vader"])
        engines = {
            name: {**_summary(pooled[name]), "ratio": statistics.median(pooled[name]) / baseline}
            for name in escalators
        }
        result[scope] = {
            "evaluate": _summary(pooled[default]),
            "vader": _summary(pooled["vader"]),
            "ratio": engines[default]["ratio"],
            "engines": engines,
            "turns": len(pooled[default]),
        }
    return result


def _neutral_filler(count: int) -> list[tuple[str, str]]:
    """Turns of random real words that move no signal, alone or in sequence.

    The deep conversation must differ from the short one in length only. Random words can
    still say "hacker" (a sticky security handoff) or repeat themselves (a loop), and a
    conversation that escalated carries reasons on every decision, which costs more for
    reasons other than length: each candidate turn is checked, in sequence, before it is kept.
    """
    from escalate import Escalator, Turn
    from escalate.signals._lexicon import real_words

    checker = Escalator()
    words = sorted(real_words())
    chooser = random.Random(7)
    filler: list[tuple[str, str]] = []
    for attempt in range(count * 4):
        if len(filler) == count:
            break
        role = "user" if len(filler) % 2 == 0 else "bot"
        text = " ".join(chooser.sample(words, 8))
        alone = checker.evaluate(f"alone-{attempt}", Turn(role=role, text=text))
        checker.store.delete(f"alone-{attempt}")
        calm = not alone.escalated and all(
            level < 0.3 for name, level in alone.signals.items() if name != "effort"
        )
        if calm and not checker.evaluate("sequence", Turn(role=role, text=text)).escalated:
            filler.append((role, text))
        elif calm:  # escalated only in sequence: replay the sequence without it
            checker.store.delete("sequence")
            for earlier_role, earlier_text in filler:
                checker.evaluate("sequence", Turn(role=earlier_role, text=earlier_text))
    else:
        raise RuntimeError(f"found only {len(filler)} neutral filler turns of {count}")
    return filler


class JsonStore:
    """A state store that keeps each conversation as JSON, as a shared store (Redis) does.

    Every turn loads a freshly deserialised state and saves it back: the figure a host with a
    shared store sees, and one where the state's objects are always new (see measure_depth).
    """

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def update(self, conversation_id: str, apply: Any) -> Any:
        """Load (or create) the state, apply, save."""
        from escalate import ConversationState

        saved = self._data.get(conversation_id)
        state = (
            ConversationState(conversation_id)
            if saved is None
            else ConversationState.from_json(saved)
        )
        result = apply(state)
        self._data[conversation_id] = state.to_json()
        return result

    def get(self, conversation_id: str) -> Any:
        """A copy of the state, or None."""
        from escalate import ConversationState

        saved = self._data.get(conversation_id)
        return None if saved is None else ConversationState.from_json(saved)

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation."""
        self._data.pop(conversation_id, None)


def measure_depth(repeats: int, probes: int = 20) -> dict[str, Any]:
    """Per-turn cost at turn 5, 50 and 500 on the same probe turns (state must stay bounded).

    Measured with the default in-memory store and with a JSON store. The in-memory state of a
    conversation mutated 500 times has its objects spread over the heap (cache misses), while
    the JSON store builds them anew every turn: if the JSON figure is flat and the in-memory one
    is not, the difference is memory locality, not more work per turn.
    """
    from escalate import Escalator, InMemoryStore, Turn

    _quiet_structlog(events_as_json=False)
    stores = {"memory": InMemoryStore(), "json": JsonStore()}
    escalators = {name: Escalator(store=store) for name, store in stores.items()}
    probe = [Turn(role=role, text=text) for role, text in _conversation(probes, 7)]
    filler = _neutral_filler(500)
    depths = (5, 50, 500)
    timings = {name: {depth: [] for depth in depths} for name in escalators}
    escalated = {name: dict.fromkeys(depths, 0) for name in escalators}
    clock = time.perf_counter_ns
    for repeat in range(repeats):
        for index, turn in enumerate(probe):
            for name, escalator in escalators.items():
                conversations = {depth: f"depth-{depth}-{repeat}-{index}" for depth in depths}
                for depth, conversation_id in conversations.items():
                    for role, text in filler[:depth]:
                        escalator.evaluate(conversation_id, Turn(role=role, text=text))
                # All depths timed back to back, in alternating order, so drift in machine
                # load over the seconds the filler takes cannot favour one of them.
                order = list(depths) if index % 2 == 0 else list(reversed(depths))
                for depth in order:
                    begin = clock()
                    decision = escalator.evaluate(conversations[depth], turn)
                    timings[name][depth].append(clock() - begin)
                    escalated[name][depth] += decision.escalated
                for conversation_id in conversations.values():
                    escalator.store.delete(conversation_id)
    result: dict[str, Any] = {}
    for name in escalators:
        medians = {depth: statistics.median(timings[name][depth]) for depth in depths}
        result[name] = {
            **{f"turn{depth}_median_us": medians[depth] / 1000 for depth in depths},
            "ratio": medians[500] / medians[5],
            "ratio_500_vs_50": medians[500] / medians[50],
            # Same probes, so the same decisions are expected at every depth: a difference
            # would mean the deep conversation is in another state (escalated), not longer.
            "escalated_probes": {str(depth): count for depth, count in escalated[name].items()},
        }
    # The default store's figures at the top level.
    return {**result["memory"], "stores": result, "probes": len(probe) * repeats}


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

    def median_construction() -> float:
        # Inside the fresh interpreter: Escalator() alone, its module already imported.
        code = (
            "import time\nfrom escalate.engine import Escalator\n"
            "t = time.perf_counter_ns()\nEscalator()\nprint(time.perf_counter_ns() - t)"
        )
        times = [
            int(
                subprocess.run(
                    [sys.executable, "-c", code], check=True, capture_output=True, text=True
                ).stdout
            )
            for _ in range(runs)
        ]
        return statistics.median(times) / 1e6

    empty = median_run("pass")
    return {
        # pydantic's own start-up with one model defined: the floor under any pydantic library.
        "import_pydantic_ms": median_run(
            "from pydantic import BaseModel\nclass M(BaseModel):\n    x: int"
        )
        - empty,
        "import_escalate_ms": median_run("import escalate") - empty,
        "first_escalator_ms": median_run("from escalate import Escalator; Escalator()") - empty,
        "escalator_construction_ms": median_construction(),
    }


def run(*, quick: bool, engine: str) -> dict[str, Any]:
    """Every figure, as a JSON-ready dict."""
    _use_engine(engine)
    from escalate.signals._context import bundled_scanner

    report: dict[str, Any] = {
        "engine": bundled_scanner().engine,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    report["turns"] = measure_turns(2 if quick else 60, events_as_json=False)
    report["turns_with_json_events"] = measure_turns(1 if quick else 20, events_as_json=True)
    report["depth"] = measure_depth(1, probes=4) if quick else measure_depth(3)
    report["memory"] = measure_memory(50 if quick else 500)
    report["startup"] = measure_startup(1 if quick else 7)
    return report


def render(report: dict[str, Any]) -> None:
    """Print the figures as two tables: per-turn cost, then state and start-up."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    def times(figures: dict[str, float]) -> str:
        return " / ".join(f"{figures[key]:.0f}" for key in ("median_us", "p95_us", "p99_us"))

    turns = Table(
        title=f"per-turn cost, µs: median / p95 / p99 (default scanner: {report['engine']})"
    )
    for column in ("turns", "events", "scanner", "evaluate", "bare VADER", "ratio"):
        turns.add_column(column, justify="left" if column in {"turns", "events"} else "right")
    for key, label in (("turns", "off"), ("turns_with_json_events", "JSON")):
        for scope in ("user_turns", "all_turns"):
            row = report[key][scope]
            for engine, figures in row["engines"].items():
                turns.add_row(
                    scope.removesuffix("_turns"),
                    label,
                    engine,
                    times(figures),
                    times(row["vader"]),
                    f"{figures['ratio']:.2f}x",
                )
    other = Table(title="depth, state and start-up")
    other.add_column("figure")
    other.add_column("value", justify="right")
    depth = report["depth"]
    memory = report["memory"]
    startup = report["startup"]
    rows: list[tuple[str, str]] = [
        (
            f"turn 500 vs turn 5 [turn 50], median µs, {store} store",
            (
                f"{figures['turn500_median_us']:.0f} vs {figures['turn5_median_us']:.0f}"
                f" = {figures['ratio']:.2f}x [{figures['turn50_median_us']:.0f}]"
            ),
        )
        for store, figures in depth["stores"].items()
    ]
    for label, value in (
        *rows,
        ("state after 500 turns, JSON bytes", str(memory["state_json_bytes_after_500_turns"])),
        ("store memory per conversation, bytes", f"{memory['store_bytes_per_conversation']:.0f}"),
        (
            "import escalate, ms [pydantic alone]",
            f"{startup['import_escalate_ms']:.0f} [{startup['import_pydantic_ms']:.0f}]",
        ),
        (
            "first Escalator(), ms [construction alone]",
            f"{startup['first_escalator_ms']:.0f} [{startup['escalator_construction_ms']:.0f}]",
        ),
    ):
        other.add_row(escape(label), value)
    console = Console()
    console.print(turns)
    console.print(other)


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
