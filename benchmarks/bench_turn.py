"""Per-turn cost of ``Escalator.evaluate`` on real text seen once, as a ratio to bare VADER.

    python benchmarks/bench_turn.py [--quick] [--data DIR] [--engine both|auto|python]
                                    [--repeats N] [--json PATH]

Production traffic rarely repeats a text, and the engine's caches (RE2's lazily built automaton,
typo corrections, the fold table) are cold for a text never seen. So every headline figure is
taken on real texts (the development data: ``../shared/data/dev`` by default) each seen once by
a **fresh interpreter**:

- each repeat runs one worker process per scanner engine (the pure-Python prefilter, the
  default; the RE2 one, when google-re2 is installed), on that repeat's own slice of texts, the
  same slice for both engines. In the worker, ``Escalator.evaluate()`` and bare VADER
  (``SentimentIntensityAnalyzer().polarity_scores(text)``) run on the same text turn by turn,
  alternately first, so machine load hits both alike; figures are ratios of their percentiles
  (median, p95, p99) for user turns and for bot turns, with the spread over the repeats;
- turn 500 vs turn 5: fresh probe texts evaluated 500 and 5 turns into conversations of real
  routine dialogue (checked not to escalate), in alternating order;
- the same worker then replays its whole stream a second time: a **warm** figure (texts seen
  before), reported only beside the cold one;
- cold start: CPU time of a fresh interpreter that imports escalate, builds the first
  ``Escalator()`` and decides one turn, against one that imports VADER and scores one text;
  ``escalate score`` on a 4-line transcript (wall time) against a script that scores the same
  file with VADER;
- memory per live conversation: tracemalloc over thousands of 10-turn conversations of real
  text, measured as what the store releases when they are deleted.

The 40 hand-written texts below are no longer used here; the other benchmarks (audit, service,
Redis, report) still play them as a fixed mix.
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
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev"
CONVERSATION_FILES = (
    "real/conversations.jsonl",
    "ext/emowoz_segments.jsonl",
    "ext/routine_conversations.jsonl",
    "ext/dailydialog_conversations.jsonl",
)
# ext/emowoz_utterances.jsonl repeats the user turns of emowoz_segments.jsonl: left out, so
# that no text is seen twice.
UTTERANCE_FILES = (
    "real/utterances.jsonl",
    "ext/goemotions_utterances.jsonl",
    "ext/semeval2018_ei_reg.jsonl",
)
FILLER_SOURCES = {"camrest", "kvret"}
"""Routine task dialogues (none should escalate): the filler of the deep conversations."""
PROBE_TEXT = "Hi, I was charged twice for my order and I'd like a refund please"
FIRST = 1000
"""The first this many user turns of a worker are also reported apart: RE2 at its coldest."""


class Sizes:
    """How much each part of a run measures."""

    def __init__(self, *, quick: bool, repeats: int | None) -> None:
        self.repeats = repeats or (2 if quick else 3)  # --quick: a smoke run, under a minute
        self.conversations = 30 if quick else 320  # per repeat
        self.utterances = 160 if quick else 1600  # per repeat, each its own conversation
        self.probes = 3 if quick else 40  # per repeat, at each depth
        self.memory_conversations = 50 if quick else 3000
        self.startup_runs = 1 if quick else 5  # at least 3 but in --quick


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


def _quiet_structlog() -> None:
    import structlog

    # Decision events filtered out (VADER logs nothing either).
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )


_FORCE_ENGINE = (
    "import functools\nfrom escalate.signals import _context\n"
    "_context.Scanner = functools.partial(_context.Scanner, engine={engine!r})\n"
)
"""Benchmark-only: the process's shared scanner (``escalate.signals._context.bundled_scanner``)
gets this engine; ``Escalator`` has no option for it."""


def _shared_scanner_engine() -> str:
    from escalate.signals._context import bundled_scanner

    return bundled_scanner().engine


def _use_engine(engine: str) -> None:
    exec(_FORCE_ENGINE.format(engine=engine), {})  # the same code as the cold-start children run


def _engine_names(choice: str) -> list[str]:
    """The scanner engines to time: the default (pure Python), and RE2 when installed."""
    from escalate.signals._scanner import Scanner, re2_available

    if choice == "auto":
        return [Scanner([]).engine]
    if choice in {"python", "re2"}:
        return [choice]
    return ["python", "re2"] if re2_available() else ["python"]


# Data: real texts, each given to a worker once.

Turns = list[tuple[str, str]]  # (role, text)


def _rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def load_pool(data: Path) -> dict[str, Any]:
    """Conversations (user and bot turns) and lone utterances, shuffled with a fixed seed."""
    missing = [
        name for name in (*CONVERSATION_FILES, *UTTERANCE_FILES) if not (data / name).is_file()
    ]
    if missing:
        raise SystemExit(
            f"bench_turn.py: no development data at {data} (missing {', '.join(missing)}); "
            "pass --data DIR, the folder holding real/ and ext/"
        )
    conversations: dict[str, Turns] = {}
    filler: list[Turns] = []
    sources: dict[str, str] = {}
    for name in CONVERSATION_FILES:
        for row in _rows(data / name):
            key = f"{name}:{row['conversation_id']}"
            conversations.setdefault(key, []).append((row["role"], row["text"]))
            sources[key] = row.get("source", "")
    seen: set[str] = set()
    timed: list[Turns] = []
    for key, turns in conversations.items():
        if not turns or not all(text.strip() for _, text in turns):
            continue
        (filler if sources[key] in FILLER_SOURCES and len(filler) < 400 else timed).append(turns)
        seen.update(text for _, text in turns)
    utterances: list[str] = []
    for name in UTTERANCE_FILES:
        for row in _rows(data / name):
            text = row["text"]
            if text.strip() and text not in seen:
                seen.add(text)
                utterances.append(text)
    chooser = random.Random(17)
    chooser.shuffle(timed)
    chooser.shuffle(utterances)
    return {"conversations": timed, "utterances": utterances, "filler": filler}


def jobs(pool: dict[str, Any], sizes: Sizes) -> list[dict[str, Any]]:
    """Each repeat's texts: a stream of conversations and lone utterances, and depth probes."""
    conversations, utterances = pool["conversations"], pool["utterances"]
    per_repeat = sizes.utterances + sizes.probes
    if len(conversations) < sizes.repeats * sizes.conversations or len(utterances) < (
        sizes.repeats * per_repeat
    ):
        raise SystemExit("bench_turn.py: not enough texts for that many repeats")
    result = []
    for repeat in range(sizes.repeats):
        mine = conversations[repeat * sizes.conversations : (repeat + 1) * sizes.conversations]
        lone = utterances[repeat * per_repeat : (repeat + 1) * per_repeat]
        stream: list[tuple[str, str, str]] = []
        every = max(1, sizes.utterances // len(mine))
        for number, turns in enumerate(mine):
            stream.extend((f"c{number}", role, text) for role, text in turns)
            stream.extend(
                (f"u{index}", "user", lone[index])
                for index in range(number * every, min((number + 1) * every, sizes.utterances))
            )
        result.append(
            {
                "stream": stream,
                "probes": lone[sizes.utterances :],
                "filler": pool["filler"],
            }
        )
    return result


# Worker: one fresh interpreter, one engine, one repeat's texts.


def _percentiles(samples: list[float], scale: float = 1.0) -> dict[str, float]:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] / scale

    return {"median": statistics.median(ordered) / scale, "p95": at(0.95), "p99": at(0.99)}


def _compare(evaluate: list[int], vader: list[int]) -> dict[str, Any]:
    ours, theirs = _percentiles(evaluate, 1000), _percentiles(vader, 1000)  # ns -> µs
    # Each turn's evaluate over VADER on the same text: how many VADERs this text cost.
    per_turn = _percentiles([a / b for a, b in zip(evaluate, vader, strict=True)])
    return {
        "turns": len(evaluate),
        "evaluate_us": ours,
        "vader_us": theirs,
        "ratio": {key: ours[key] / theirs[key] for key in ours},
        "per_turn_ratio": per_turn,
    }


def _play(
    escalator: Any, vader: Any, stream: list[tuple[str, str, str]], prefix: str
) -> dict[str, Any]:
    """Time evaluate and VADER on each turn, alternately first."""
    from escalate import Turn

    # CPU time of this thread, not wall time: on a shared machine, being descheduled for a few
    # milliseconds would otherwise make the tails (and a fair part of p95) machine noise.
    clock = time.thread_time_ns
    samples: dict[str, tuple[list[int], list[int]]] = {"user": ([], []), "bot": ([], [])}
    for number, (conversation, role, text) in enumerate(stream):
        turn = Turn(role=role, text=text)  # type: ignore[arg-type]
        conversation_id = prefix + conversation
        ours, theirs = samples[role]
        if number % 2:
            begin = clock()
            vader.polarity_scores(text)
            middle = clock()
            escalator.evaluate(conversation_id, turn)
            end = clock()
            theirs.append(middle - begin)
            ours.append(end - middle)
        else:
            begin = clock()
            escalator.evaluate(conversation_id, turn)
            middle = clock()
            vader.polarity_scores(text)
            end = clock()
            ours.append(middle - begin)
            theirs.append(end - middle)
    result = {role: _compare(*pair) for role, pair in samples.items() if pair[0]}
    user = samples["user"]
    result["user_first"] = _compare(user[0][:FIRST], user[1][:FIRST])
    return result


class _SnapshotStore:
    """A store keeping each state as JSON, so that a turn can be taken back (see _calm_filler)."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def update(self, conversation_id: str, apply: Any) -> Any:
        """Load (or create) the state, apply, save."""
        from escalate import ConversationState

        saved = self.data.get(conversation_id)
        state = (
            ConversationState(conversation_id)
            if saved is None
            else ConversationState.from_json(saved)
        )
        result = apply(state)
        self.data[conversation_id] = state.to_json()
        return result

    def get(self, conversation_id: str) -> Any:
        """A copy of the state, or None."""
        from escalate import ConversationState

        saved = self.data.get(conversation_id)
        return None if saved is None else ConversationState.from_json(saved)

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation."""
        self.data.pop(conversation_id, None)


def _calm_filler(candidates: list[Turns], length: int) -> Turns:
    """Routine dialogue turns that, played in sequence, never escalate.

    The deep conversation must differ from the short one in length only, not be offered a
    human: a turn that would escalate the sequence (a third "anything else?" raises effort,
    say) is taken back and skipped.
    """
    from escalate import Escalator, Turn

    checker = Escalator(store=_SnapshotStore())
    store = checker.store
    filler: Turns = []
    for role, text in (turn for turns in candidates for turn in turns):
        if len(filler) == length:
            return filler
        before = store.data.get("filler")
        if checker.evaluate("filler", Turn(role=role, text=text)).escalated:  # type: ignore[arg-type]
            if before is None:
                store.delete("filler")
            else:
                store.data["filler"] = before
        else:
            filler.append((role, text))
    raise SystemExit(f"bench_turn.py: only {len(filler)} calm filler turns of {length}")


def _depth(escalator: Any, vader: Any, probes: list[str], filler: Turns) -> dict[str, Any]:
    """Each probe at turn 5 and turn 500, timed back to back, alternately first.

    A text's first sight costs far more than its second (typo corrections, RE2's automaton):
    each probe is first evaluated once in a conversation of its own, so that neither depth pays
    for it. First sights are what the stream measures; this measures the conversation's length.
    """
    from escalate import Turn

    clock = time.thread_time_ns  # as in _play
    depths = (5, 500)
    times: dict[int, list[int]] = {depth: [] for depth in depths}
    vader_times: list[int] = []
    escalated = dict.fromkeys(depths, 0)
    for index, text in enumerate(probes):
        for depth in depths:
            for role, earlier in filler[: depth - 1]:
                escalator.evaluate(f"d{depth}-{index}", Turn(role=role, text=earlier))  # type: ignore[arg-type]
        turn = Turn(role="user", text=text)
        escalator.evaluate(f"first-sight-{index}", turn)
        escalator.store.delete(f"first-sight-{index}")
        for depth in depths if index % 2 == 0 else reversed(depths):
            begin = clock()
            decision = escalator.evaluate(f"d{depth}-{index}", turn)
            times[depth].append(clock() - begin)
            escalated[depth] += decision.escalated
        begin = clock()
        vader.polarity_scores(text)
        vader_times.append(clock() - begin)
        state_bytes = len(escalator.state(f"d500-{index}").to_json())
        for depth in depths:
            escalator.store.delete(f"d{depth}-{index}")
    medians = {depth: statistics.median(times[depth]) / 1000 for depth in depths}
    return {
        "turn5_us": medians[5],
        "turn500_us": medians[500],
        "vader_us": statistics.median(vader_times) / 1000,
        "ratio": medians[500] / medians[5],
        # Same probes at both depths: equal counts mean the deep conversation is longer only.
        "escalated_probes": {str(depth): count for depth, count in escalated.items()},
        "state_json_bytes_at_turn_500": state_bytes,
        "probes": len(probes),
    }


def worker(engine: str, job_file: Path) -> dict[str, Any]:
    """One repeat for one engine, in this (fresh) interpreter."""
    _use_engine(engine)
    _quiet_structlog()
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from escalate import Escalator, InMemoryStore, Turn

    job = json.loads(job_file.read_text(encoding="utf-8"))
    vader = SentimentIntensityAnalyzer()
    escalator = Escalator(store=InMemoryStore(ttl_seconds=None))
    # One turn on a text outside the data, so one-off set-up is not billed to the first turn.
    escalator.evaluate("set-up", Turn(role="user", text=PROBE_TEXT))
    vader.polarity_scores(PROBE_TEXT)
    stream = [tuple(item) for item in job["stream"]]
    cold = _play(escalator, vader, stream, "cold-")  # type: ignore[arg-type]
    warm = _play(escalator, vader, stream, "warm-")  # type: ignore[arg-type]
    filler = _calm_filler([[tuple(t) for t in c] for c in job["filler"]], 499)
    return {
        "engine": _shared_scanner_engine(),
        "cold": cold,
        "warm": warm,
        "depth": _depth(escalator, vader, job["probes"], filler),
    }


def memory_worker(conversations: int, job_file: Path) -> dict[str, Any]:
    """Python heap held per live 10-turn conversation of real text (tracemalloc)."""
    import gc
    import tracemalloc

    _quiet_structlog()
    from escalate import Escalator, InMemoryStore, Turn

    turns = [tuple(item) for item in json.loads(job_file.read_text(encoding="utf-8"))]
    escalator = Escalator(store=InMemoryStore(ttl_seconds=None, max_conversations=10**7))
    escalator.evaluate("set-up", Turn(role="user", text=PROBE_TEXT))
    escalator.store.delete("set-up")
    tracemalloc.start()
    for number in range(conversations):
        for role, text in turns[number * 10 : number * 10 + 10]:
            escalator.evaluate(f"m-{number}", Turn(role=role, text=text))  # type: ignore[arg-type]
    gc.collect()
    live = tracemalloc.get_traced_memory()[0]
    state_bytes = [len(escalator.state(f"m-{n}").to_json()) for n in range(conversations)]
    for number in range(conversations):
        escalator.store.delete(f"m-{number}")
    gc.collect()
    released = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "conversations": conversations,
        "bytes_per_live_conversation": (live - released) / conversations,
        "state_json_bytes_median": statistics.median(state_bytes),
    }


# Parent: fresh interpreters, aggregation over repeats.


def _run_worker(arguments: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *arguments], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"bench_turn.py: a worker failed:\n{done.stderr}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _spread(values: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def _gather(runs: list[dict[str, Any]], path: tuple[str, ...]) -> dict[str, Any]:
    values = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value[key]
        values.append(float(value))
    return _spread(values)


def measure_turns(
    pool: dict[str, Any], sizes: Sizes, engines: list[str], scratch: Path
) -> dict[str, Any]:
    """Every repeat in fresh workers, one per engine, engines alternately first."""
    runs: dict[str, list[dict[str, Any]]] = {engine: [] for engine in engines}
    for repeat, job in enumerate(jobs(pool, sizes)):
        job_file = scratch / f"job-{repeat}.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        order = engines if repeat % 2 == 0 else list(reversed(engines))
        for engine in order:
            runs[engine].append(_run_worker(["--worker", engine, str(job_file)]))
    result: dict[str, Any] = {}
    for engine, engine_runs in runs.items():
        figures: dict[str, Any] = {}
        for phase in ("cold", "warm"):
            for scope in ("user", "bot", "user_first"):
                figures[f"{phase}_{scope}"] = {
                    "turns": engine_runs[0][phase][scope]["turns"],
                    **{
                        f"{key}_ratio": _gather(engine_runs, (phase, scope, "ratio", key))
                        for key in ("median", "p95", "p99")
                    },
                    **{
                        f"per_turn_{key}_ratio": _gather(
                            engine_runs, (phase, scope, "per_turn_ratio", key)
                        )
                        for key in ("median", "p95", "p99")
                    },
                    **{
                        f"{who}_{key}_us": _gather(engine_runs, (phase, scope, f"{who}_us", key))
                        for who in ("evaluate", "vader")
                        for key in ("median", "p95", "p99")
                    },
                }
        figures["depth"] = {
            key: _gather(engine_runs, ("depth", key))
            for key in (
                "ratio",
                "turn5_us",
                "turn500_us",
                "vader_us",
                "state_json_bytes_at_turn_500",
            )
        }
        figures["depth"]["escalated_probes"] = [
            run["depth"]["escalated_probes"] for run in engine_runs
        ]
        figures["depth"]["probes"] = engine_runs[0]["depth"]["probes"]
        result[engine] = figures
    return result


def measure_memory(pool: dict[str, Any], sizes: Sizes, scratch: Path) -> dict[str, Any]:
    """In a fresh worker with the default engine."""
    turns = [turn for turns in pool["conversations"] for turn in turns]
    job_file = scratch / "memory.json"
    job_file.write_text(json.dumps(turns[: sizes.memory_conversations * 10]), encoding="utf-8")
    count = min(sizes.memory_conversations, len(turns) // 10)
    return _run_worker(["--memory-worker", str(count), str(job_file)])


# Peak resident memory from /proc (VmHWM): getrusage's ru_maxrss survives exec, so a child
# would report the parent's peak.
_CPU = (
    "import time\n{body}\n"
    "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
    "print(time.process_time(), peak)"
)
_STARTUP = {
    "empty": "pass",
    "vader": (
        "from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer\n"
        f"SentimentIntensityAnalyzer().polarity_scores({PROBE_TEXT!r})"
    ),
    "escalate": (
        "{engine}from escalate import Escalator, Turn\n"
        f"Escalator().evaluate('c', Turn(role='user', text={PROBE_TEXT!r}))"
    ),
}


def _cpu_run(body: str) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", _CPU.format(body=body)], check=True, capture_output=True, text=True
    )
    cpu, rss = done.stdout.splitlines()[-1].split()  # after the decision event escalate logs
    return float(cpu) * 1000, int(rss) / 1024


def measure_startup(sizes: Sizes, engines: list[str], scratch: Path) -> dict[str, Any]:
    """Cold start (CPU ms of a fresh interpreter, minus an empty one) and escalate score (wall)."""
    contenders = {
        "empty": _STARTUP["empty"],
        "vader": _STARTUP["vader"],
        **{
            f"escalate_{engine}": _STARTUP["escalate"].format(
                engine=_FORCE_ENGINE.format(engine=engine)
            )
            for engine in engines
        },
    }
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    rss: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(sizes.startup_runs):
        for name, body in contenders.items():
            used, peak = _cpu_run(body)
            cpu[name].append(used)
            rss[name].append(peak)
    empty = statistics.median(cpu["empty"])
    result: dict[str, Any] = {"empty_interpreter_cpu_ms": empty}
    vader_net = [value - empty for value in cpu["vader"]]
    for name in contenders:
        if name == "empty":
            continue
        net = [value - empty for value in cpu[name]]
        result[name] = {
            "cpu_ms": _spread(net),
            "ratio_to_vader": _spread(
                [ours / theirs for ours, theirs in zip(net, vader_net, strict=True)]
            ),
            "max_rss_mb": statistics.median(rss[name]),
        }
    transcript = scratch / "tiny.jsonl"
    transcript.write_text(
        "".join(
            json.dumps({"conversation_id": "t", "role": role, "text": text}) + "\n"
            for role, text in (
                ("user", "Hi, where is my parcel?"),
                ("bot", "It left the warehouse yesterday."),
                ("user", "It was due last week, this is the third time I ask"),
                ("user", "I want to talk to a person"),
            )
        ),
        encoding="utf-8",
    )
    vader_script = (
        "import json, sys\n"
        "from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer\n"
        "analyser = SentimentIntensityAnalyzer()\n"
        "for line in open(sys.argv[1], encoding='utf-8'):\n"
        "    print(analyser.polarity_scores(json.loads(line)['text']))\n"
    )
    commands = {
        "escalate_score": [sys.executable, "-m", "escalate", "score", str(transcript)],
        "vader_script": [sys.executable, "-c", vader_script, str(transcript)],
    }
    wall: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(sizes.startup_runs):
        for name, command in commands.items():
            begin = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            wall[name].append((time.perf_counter() - begin) * 1000)
    result["score_tiny_file"] = {
        "escalate_ms": _spread(wall["escalate_score"]),
        "vader_script_ms": _spread(wall["vader_script"]),
        "ratio_to_vader": _spread(
            [
                ours / theirs
                for ours, theirs in zip(wall["escalate_score"], wall["vader_script"], strict=True)
            ]
        ),
    }
    return result


def run(*, quick: bool, engine: str, data: Path, repeats: int | None) -> dict[str, Any]:
    """Every figure, as a JSON-ready dict."""
    sizes = Sizes(quick=quick, repeats=repeats)
    pool = load_pool(data)
    engines = _engine_names(engine)
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "engines": engines,
        "repeats": sizes.repeats,
        "data": str(data),
    }
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        report["turns"] = measure_turns(pool, sizes, engines, scratch)
        report["startup"] = measure_startup(sizes, engines, scratch)
        report["memory"] = measure_memory(pool, sizes, scratch)
    return report


def _x(figure: dict[str, Any], digits: int = 2) -> str:
    """A median over repeats with its range: ``6.02x (5.80-6.31)``."""
    return f"{figure['median']:.{digits}f}x ({figure['min']:.{digits}f}-{figure['max']:.{digits}f})"


def _n(figure: dict[str, Any]) -> str:
    return f"{figure['median']:,.0f} ({figure['min']:,.0f}-{figure['max']:,.0f})"


def render(report: dict[str, Any]) -> None:
    """Print the figures: per-turn ratios, then depth, start-up and memory."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    turns = Table(
        title=(
            "evaluate() / bare VADER on the same texts, interleaved, CPU time: ratios of the "
            f"percentiles, median over {report['repeats']} fresh workers (range); per-turn "
            "ratios' percentiles; µs p50/p95/p99 vs VADER's median"
        )
    )
    columns = ("engine", "texts", "turns", "median", "p95", "p99", "per turn p95 / p99", "µs")
    for column in columns:
        turns.add_column(column, justify="left" if column in {"engine", "texts"} else "right")
    labels = {
        "cold_user": "user, seen once",
        "cold_user_first": f"user, seen once, first {FIRST:,}",
        "cold_bot": "bot, seen once",
        "warm_user": "user, warm (seen before)",
        "warm_bot": "bot, warm (seen before)",
    }
    for engine, figures in report["turns"].items():
        for key, label in labels.items():
            row = figures[key]
            if key == "cold_user_first" and row["turns"] == figures["cold_user"]["turns"]:
                continue  # fewer user turns than that: the same row
            micros = "/".join(
                f"{row[f'evaluate_{key}_us']['median']:.0f}" for key in ("median", "p95", "p99")
            )
            turns.add_row(
                engine,
                label,
                f"{row['turns']:,}",
                _x(row["median_ratio"]),
                _x(row["p95_ratio"]),
                _x(row["p99_ratio"]),
                f"{row['per_turn_p95_ratio']['median']:.1f}x"
                f" / {row['per_turn_p99_ratio']['median']:.1f}x",
                f"{micros} vs {row['vader_median_us']['median']:.0f}",
            )
    console.print(turns)
    other = Table(title="depth, start-up, memory: median over repeats (range)")
    other.add_column("figure")
    other.add_column("value", justify="right")
    for engine, figures in report["turns"].items():
        depth = figures["depth"]
        other.add_row(
            f"turn 500 / turn 5, {engine} ({depth['probes']} probes a repeat)",
            f"{_x(depth['ratio'])}: {depth['turn500_us']['median']:.0f} vs "
            f"{depth['turn5_us']['median']:.0f} µs",
        )
    startup = report["startup"]
    for name, figures in startup.items():
        if name.startswith("escalate_") or name == "vader":
            other.add_row(
                f"cold start CPU ms, {name.removeprefix('escalate_')}",
                f"{_n(figures['cpu_ms'])} ms = {_x(figures['ratio_to_vader'], 1)} VADER's; "
                f"{figures['max_rss_mb']:.0f} MB",
            )
    score = startup["score_tiny_file"]
    other.add_row(
        "escalate score, 4-line file, wall ms",
        f"{_n(score['escalate_ms'])} ms = {_x(score['ratio_to_vader'], 1)} a VADER script's",
    )
    memory = report["memory"]
    other.add_row(
        f"memory per live conversation ({memory['conversations']:,} x 10 turns)",
        f"{memory['bytes_per_live_conversation']:,.0f} bytes "
        f"(state JSON {memory['state_json_bytes_median']:,.0f})",
    )
    console.print(other)


def main() -> None:
    """Command-line entry point (and the workers' entry point, in fresh interpreters)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], Path(sys.argv[3]))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--memory-worker":
        print(json.dumps(memory_worker(int(sys.argv[2]), Path(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="under a minute; figures are rough")
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"the development data folder, holding real/ and ext/ (default: {DEFAULT_DATA})",
    )
    parser.add_argument(
        "--engine",
        choices=["both", "auto", "python", "re2"],
        default="both",
        help="scanners to time: both (pure Python and RE2), auto (the default), or one",
    )
    parser.add_argument(
        "--repeats", type=int, help="fresh workers per engine (default 3; 2 with --quick)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    report = run(quick=args.quick, engine=args.engine, data=args.data, repeats=args.repeats)
    render(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
