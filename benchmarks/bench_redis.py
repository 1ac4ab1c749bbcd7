"""Per-turn cost of the Redis store as a ratio to the in-memory store, in the same run.

    python benchmarks/bench_redis.py [--quick] [--repeats N] [--data DIR] [--json PATH]

Starts its own redis-server (no persistence) on a free port of 127.0.0.1, then plays real
conversations of the development data (``../shared/data/dev``, user and bot turns, each text
seen once) through three engines, interleaved turn by turn in a rotating order:

- ``memory``: ``InMemoryStore``, the baseline;
- ``redis``: ``RedisStore`` on one worker: the turn starts from the worker's own copy and
  writes with a Lua compare-and-set (the first turn of a conversation reads it first);
- ``redis-2-workers``: two ``RedisStore`` workers taking the turns of each conversation in
  turn (round robin), so every copy is stale: ``GET``, then the compare-and-set;
- ``redis-watch``: the protocol ``RedisStore`` used before 0.x (``WATCH``, ``GET``, then
  ``MULTI``/``SET``/``EXEC``), kept here so that before and after are measured in one run.

Reports, per repeat, each engine's median and p99 ``evaluate()`` time, their ratios to
``memory``, and the round trips per turn counted on the connections (every request a
connection sends waits for its replies). Also the stored size of a conversation.
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
from bench_turn import DEFAULT_DATA, load_pool  # the per-turn benchmark's real texts

from redis_server import REDIS_SERVER, RedisServer  # the tests' throwaway redis-server


def _counting_client(url: str) -> tuple[Any, list[int]]:
    """A redis client and a one-item list counting the requests its connections send."""
    import redis

    sent = [0]

    class Counting(redis.Connection):
        def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
            sent[0] += 1
            super().send_packed_command(*args, **kwargs)

    pool = redis.ConnectionPool.from_url(
        url, connection_class=Counting, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    return redis.Redis(connection_pool=pool), sent


def _watch_store(client: Any, prefix: str) -> Any:
    """The previous protocol: three round trips a turn (WATCH, GET, MULTI/SET/EXEC)."""
    from redis.exceptions import WatchError

    from escalate.state import RedisStore

    class WatchStore(RedisStore):
        def update(self, conversation_id: str, apply: Any) -> Any:
            key = self.key(conversation_id)
            with self.client.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(key)
                        state = self.decode(conversation_id, pipe.get(key))
                        result = apply(state)
                        pipe.multi()
                        pipe.set(key, state.to_json(), px=self.ttl_ms)
                        pipe.execute()
                    except WatchError:
                        continue
                    return result

    return WatchStore(client, prefix=prefix, local_copies=0)


class _RoundRobin:
    """Workers sharing one Redis, taking the turns in turn, as a load balancer would."""

    def __init__(self, workers: list[Any]) -> None:
        self.workers = workers
        self.next = 0

    def evaluate(self, conversation_id: str, turn: Any) -> Any:
        self.next = (self.next + 1) % len(self.workers)
        return self.workers[self.next].evaluate(conversation_id, turn)


def _turns(pool: dict[str, Any], count: int) -> list[tuple[str, str, str]]:
    """(conversation id, role, text) for whole conversations, until ``count`` turns."""
    turns: list[tuple[str, str, str]] = []
    for number, conversation in enumerate(pool["conversations"]):
        for role, text in conversation:
            turns.append((f"c-{number}", role, text))
        if len(turns) >= count:
            break
    return turns


def _repeat(url: str, turns: list[tuple[str, str, str]], number: int) -> dict[str, Any]:
    from escalate import Escalator, InMemoryStore, Turn
    from escalate.state import RedisStore

    redis_client, redis_sent = _counting_client(url)
    shared_client, shared_sent = _counting_client(url)
    watch_client, watch_sent = _counting_client(url)
    workers = [Escalator(store=RedisStore(shared_client, prefix=f"s{number}:")) for _ in range(2)]
    engines: dict[str, Any] = {
        "memory": Escalator(store=InMemoryStore()),
        "redis": Escalator(store=RedisStore(redis_client, prefix=f"r{number}:")),
        "redis-2-workers": _RoundRobin(workers),
        "redis-watch": Escalator(store=_watch_store(watch_client, f"w{number}:")),
    }
    sent = {"redis": redis_sent, "redis-2-workers": shared_sent, "redis-watch": watch_sent}
    for esc in [*engines.values(), *workers]:  # connections open, script loaded
        esc.evaluate("warm-up", Turn(role="user", text="hello"))
    before = {name: counter[0] for name, counter in sent.items()}
    samples: dict[str, list[int]] = {name: [] for name in engines}
    names = list(engines)
    clock = time.perf_counter_ns
    for index, (conversation_id, role, text) in enumerate(turns):
        turn = Turn(role=role, text=text)
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            begin = clock()
            engines[name].evaluate(conversation_id, turn)
            samples[name].append(clock() - begin)
    result: dict[str, Any] = {}
    for name, values in samples.items():
        ordered = sorted(values)
        result[name] = {
            "median_us": statistics.median(ordered) / 1000,
            "p99_us": ordered[int(len(ordered) * 0.99)] / 1000,
        }
    for name, counter in sent.items():
        result[name]["round_trips_per_turn"] = (counter[0] - before[name]) / len(turns)
        result[name]["ratio"] = result[name]["median_us"] / result["memory"]["median_us"]
    result["stored_bytes"] = len(redis_client.get(f"r{number}:{turns[0][0]}") or b"")
    return result


def measure(data: Path, turns_per_repeat: int, repeats: int) -> dict[str, Any]:
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )
    logging.getLogger("escalate").setLevel(logging.WARNING)
    if REDIS_SERVER is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    pool = load_pool(data)
    everything = _turns(pool, turns_per_repeat * repeats)
    server = RedisServer()
    server.start()
    try:
        runs = [
            _repeat(server.url, everything[n * turns_per_repeat : (n + 1) * turns_per_repeat], n)
            for n in range(repeats)
        ]
    finally:
        server.stop()
    summary: dict[str, Any] = {"turns_per_repeat": turns_per_repeat, "repeats": runs}
    for name in ("redis", "redis-2-workers", "redis-watch"):
        ratios = [run[name]["ratio"] for run in runs]
        summary[name] = {
            "ratio_median": statistics.median(ratios),
            "ratio_range": [min(ratios), max(ratios)],
            "round_trips_per_turn": statistics.median(
                run[name]["round_trips_per_turn"] for run in runs
            ),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="real/ and ext/ here")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    report = measure(args.data, 300 if args.quick else 2000, args.repeats)
    for number, run in enumerate(report["repeats"]):
        figures = ", ".join(
            f"{name} {run[name]['median_us']:.0f} µs (p99 {run[name]['p99_us']:.0f})"
            + (
                f" {run[name]['ratio']:.2f}x, {run[name]['round_trips_per_turn']:.2f} round trips"
                if name != "memory"
                else ""
            )
            for name in ("memory", "redis", "redis-2-workers", "redis-watch")
        )
        print(f"repeat {number + 1}: {figures}")
    for name in ("redis", "redis-2-workers", "redis-watch"):
        low, high = report[name]["ratio_range"]
        print(
            f"{name}: {report[name]['ratio_median']:.2f}x the in-memory turn"
            f" ({low:.2f}-{high:.2f}x over {len(report['repeats'])} repeats),"
            f" {report[name]['round_trips_per_turn']:.2f} round trips per turn"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
