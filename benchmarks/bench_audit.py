"""Per-turn cost of auditing, as a ratio to ``Escalator.evaluate()`` alone, in the same run.

    python benchmarks/bench_audit.py [--quick] [--json PATH]

Contenders: no trail (the baseline), a JSON Lines trail and an SQLite trail, each with and
without fsync. They run in blocks of 10-turn conversations, rotating which goes first in each
round, so machine load hits all alike. After each block the trail is flushed, so one block's
writer never runs during another's. Two figures per contender:

- **turn**: the time ``evaluate()`` takes on the caller's thread (median and p99), the cost a
  bot pays per turn: queueing, plus whatever the writer thread takes from it (the GIL);
- **sustained**: the block's wall time including the flush, per turn: what it costs when the
  writer must keep up with every turn (throughput), fsync included.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_turn import BOT_TEXTS, USER_TEXTS  # the same texts as the per-turn benchmark

CONVERSATION_LENGTH = 10


def _contenders(directory: Path) -> dict[str, Any]:
    import structlog

    from escalate import Escalator
    from escalate.audit import AuditTrail, JsonlSink, SqliteSink

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )
    sinks = {
        "evaluate": None,
        "jsonl": lambda: JsonlSink(directory / "audit.jsonl"),
        "jsonl+fsync": lambda: JsonlSink(directory / "fsync.jsonl", fsync=True),
        "sqlite": lambda: SqliteSink(directory / "audit.db"),
        "sqlite+fsync": lambda: SqliteSink(directory / "fsync.db", fsync=True),
    }
    contenders = {}
    for name, make in sinks.items():
        trail = None if make is None else AuditTrail(make())
        contenders[name] = (Escalator(audit=trail), trail)
    return contenders


def _block(round_number: int, conversations: int) -> list[tuple[str, str, str]]:
    turns = []
    for number in range(conversations):
        offset = round_number * conversations + number
        for i in range(CONVERSATION_LENGTH):
            texts = USER_TEXTS if i % 2 == 0 else BOT_TEXTS
            role = "user" if i % 2 == 0 else "bot"
            turns.append(
                (f"r{round_number}-c{number}", role, texts[(offset + i // 2) % len(texts)])
            )
    return turns


def measure(rounds: int, conversations: int) -> dict[str, Any]:
    from escalate import Turn

    with tempfile.TemporaryDirectory() as directory:
        contenders = _contenders(Path(directory))
        names = list(contenders)
        turn_samples: dict[str, list[int]] = {name: [] for name in names}
        sustained: dict[str, list[float]] = {name: [] for name in names}
        clock = time.perf_counter_ns
        for name, (escalator, trail) in contenders.items():  # warm-up, untimed
            for _, role, text in _block(0, 4):
                escalator.evaluate(f"warm-{name}", Turn(role=role, text=text))
            if trail is not None:
                trail.flush()
        for round_number in range(rounds):
            shift = round_number % len(names)
            turns = [
                (conversation, Turn(role=role, text=text))
                for conversation, role, text in _block(round_number, conversations)
            ]
            for name in names[shift:] + names[:shift]:
                escalator, trail = contenders[name]
                block_start = clock()
                for conversation, turn in turns:
                    begin = clock()
                    escalator.evaluate(f"{name}-{conversation}", turn)
                    turn_samples[name].append(clock() - begin)
                if trail is not None:
                    trail.flush()
                sustained[name].append((clock() - block_start) / len(turns))
        records = {}
        for name, (_, trail) in contenders.items():
            if trail is not None:
                trail.close()
                records[name] = trail.stats.written
        sizes = {path.name: path.stat().st_size for path in Path(directory).iterdir()}
    base_turn = statistics.median(turn_samples["evaluate"])
    base_sustained = statistics.median(sustained["evaluate"])
    result: dict[str, Any] = {"turns_per_contender": len(turn_samples["evaluate"])}
    for name in names:
        ordered = sorted(turn_samples[name])
        median = statistics.median(ordered)
        result[name] = {
            "turn_median_us": median / 1000,
            "turn_p99_us": ordered[int(len(ordered) * 0.99)] / 1000,
            "turn_ratio": median / base_turn,
            "sustained_us": statistics.median(sustained[name]) / 1000,
            "sustained_ratio": statistics.median(sustained[name]) / base_sustained,
            "records_written": records.get(name),
        }
    jsonl_records = records["jsonl"]
    result["bytes_per_record"] = {
        "jsonl": round(sizes["audit.jsonl"] / (jsonl_records + 1)),
    }
    return result


def render(report: dict[str, Any]) -> None:
    print(f"{report['turns_per_contender']} turns per contender (half user, half bot)")
    print(
        f"{'contender':<14}{'turn median':>13}{'p99':>9}{'ratio':>8}{'sustained':>12}{'ratio':>8}"
    )
    for name, figures in report.items():
        if not isinstance(figures, dict) or "turn_ratio" not in figures:
            continue
        print(
            f"{name:<14}{figures['turn_median_us']:>10.0f} µs{figures['turn_p99_us']:>6.0f} µs"
            f"{figures['turn_ratio']:>7.2f}x{figures['sustained_us']:>9.0f} µs"
            f"{figures['sustained_ratio']:>7.2f}x"
        )
    print(f"JSON Lines record size: about {report['bytes_per_record']['jsonl']} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    report = measure(rounds=4 if args.quick else 12, conversations=20 if args.quick else 80)
    render(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
