"""Per-turn cost of the Redis store as a ratio to the in-memory store, in the same run.

    python benchmarks/bench_redis.py [--quick] [--json PATH]

Starts its own redis-server (no persistence) on a free port of 127.0.0.1, then times
``evaluate()`` with ``InMemoryStore`` and with ``RedisStore`` alternately, turn by turn, on the
same 10-turn conversations (user and bot turns): medians, p99 and their ratio. Also the stored
size of a conversation after 10 and after 200 turns.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from bench_turn import BOT_TEXTS, USER_TEXTS  # the same texts as the per-turn benchmark

from redis_server import REDIS_SERVER, RedisServer  # the tests' throwaway redis-server


def measure(conversations: int) -> dict[str, Any]:
    import redis
    import structlog

    from escalate import Escalator, InMemoryStore, Turn
    from escalate.state.redis import RedisStore

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )
    if REDIS_SERVER is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer()
    server.start()
    url = server.url
    try:
        client = redis.Redis.from_url(url)
        engines = {
            "memory": Escalator(store=InMemoryStore()),
            "redis": Escalator(store=RedisStore(url=url)),
        }
        samples: dict[str, list[int]] = {name: [] for name in engines}
        clock = time.perf_counter_ns
        for number in range(conversations):
            for n in range(10):
                texts = USER_TEXTS if n % 2 == 0 else BOT_TEXTS
                turn = Turn(
                    role="user" if n % 2 == 0 else "bot", text=texts[(number + n // 2) % len(texts)]
                )
                order = list(engines) if (number + n) % 2 else list(reversed(engines))
                for name in order:
                    begin = clock()
                    engines[name].evaluate(f"c-{number}", turn)
                    samples[name].append(clock() - begin)
        store = RedisStore(url=url)
        sizes = {"10 turns": len(client.get(store.key("c-0")) or b"")}
        long_run = engines["redis"]
        for n in range(200):
            texts = USER_TEXTS if n % 2 == 0 else BOT_TEXTS
            long_run.evaluate(
                "long", Turn(role="user" if n % 2 == 0 else "bot", text=texts[n % len(texts)])
            )
        sizes["200 turns"] = len(client.get(store.key("long")) or b"")
    finally:
        server.stop()
    result: dict[str, Any] = {"turns": len(samples["memory"]), "stored_bytes": sizes}
    for name, values in samples.items():
        ordered = sorted(values)
        result[name] = {
            "median_us": statistics.median(ordered) / 1000,
            "p99_us": ordered[int(len(ordered) * 0.99)] / 1000,
        }
    result["ratio"] = result["redis"]["median_us"] / result["memory"]["median_us"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    report = measure(conversations=50 if args.quick else 400)
    memory, redis_figures = report["memory"], report["redis"]
    print(
        f"{report['turns']} turns: in memory {memory['median_us']:.0f} µs (p99"
        f" {memory['p99_us']:.0f}), Redis {redis_figures['median_us']:.0f} µs (p99"
        f" {redis_figures['p99_us']:.0f}): {report['ratio']:.2f}x"
    )
    print(f"stored per conversation: {report['stored_bytes']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
