"""The cost of the middleware per turn, and the HTTP service's throughput and latency.

    python benchmarks/bench_service.py [--quick] [--json PATH]

- **middleware**: ``EscalationMiddleware(handler)(conversation_id, text)`` against what it does
  by hand (``evaluate`` the customer's turn, call the handler, ``evaluate`` the reply),
  alternately on the same texts in the same run: the ratio is the wrapper's own cost.
- **service**: ``escalate serve`` (one uvicorn worker, JSON decision events to stdout) on
  127.0.0.1, loaded by 1, 4 and 16 concurrent httpx clients (in up to 4 client processes: one
  Python process cannot drive 16 connections) sending a fixed number of turns
  (10-turn conversations, user and bot turns): requests per second, and p50 / p99 latency as the
  client sees it; beside it, ``evaluate()`` in-process on the same turns, for scale. The load
  generator runs on the same machine and takes CPU from the server.
- **against a trivial endpoint**: the same loads, interleaved, on a trivial app served with the
  same uvicorn settings and body limit, whose endpoint parses the same body into a ``Turn`` and
  returns a canned decision's JSON of median size: the ratio of throughputs is what the turn
  endpoint keeps of what the HTTP stack alone can serve (target >= 0.6 at 1 and 4 clients).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_turn import BOT_TEXTS, USER_TEXTS  # the same texts as the per-turn benchmark

CLIENT_PROCESSES = 4


def _quiet() -> None:
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )


def measure_middleware(rounds: int) -> dict[str, Any]:
    from escalate import Escalator, Turn
    from escalate.middleware import EscalationMiddleware

    _quiet()
    reply = BOT_TEXTS[0]

    def bot(conversation_id: str, text: str) -> str:
        return reply

    wrapped = EscalationMiddleware(bot, escalator=Escalator())
    by_hand = Escalator()
    # Turns that do not escalate on their own: both sides then do the same work on each.
    routine = [
        text
        for number, text in enumerate(USER_TEXTS)
        if not by_hand.evaluate(f"probe-{number}", Turn(role="user", text=text)).escalated
    ]
    samples: dict[str, list[int]] = {"middleware": [], "by hand": []}
    clock = time.perf_counter_ns
    for round_number in range(rounds):
        for number, text in enumerate(routine):
            conversation = f"r{round_number}-{number}"  # a fresh conversation per call
            order = ("middleware", "by hand") if number % 2 else ("by hand", "middleware")
            for name in order:
                begin = clock()
                if name == "middleware":
                    wrapped(conversation, text)
                else:
                    by_hand.evaluate(conversation, Turn(role="user", text=text))
                    answer = bot(conversation, text)
                    by_hand.evaluate(conversation, Turn(role="bot", text=answer))
                samples[name].append(clock() - begin)
    middleware = statistics.median(samples["middleware"])
    manual = statistics.median(samples["by hand"])
    return {
        "calls": len(samples["middleware"]),
        "texts": len(routine),
        "middleware_median_us": middleware / 1000,
        "by_hand_median_us": manual / 1000,
        "ratio": middleware / manual,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _load(url: str, turns: int, concurrency: int) -> tuple[float, list[float]]:
    import httpx

    conversations = max(1, turns // 10)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for conversation in range(conversations):
        queue.put_nowait(conversation)
    latencies: list[float] = []

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            conversation = queue.get_nowait()
            for n in range(10):
                texts = USER_TEXTS if n % 2 == 0 else BOT_TEXTS
                body = {
                    "role": "user" if n % 2 == 0 else "bot",
                    "text": texts[(conversation + n // 2) % len(texts)],
                }
                begin = time.perf_counter()
                response = await http.post(
                    f"/v1/conversations/load-{conversation}/turns", json=body
                )
                latencies.append(time.perf_counter() - begin)
                response.raise_for_status()

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies


def _wait_until_up(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/healthz").raise_for_status()
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        else:
            return


def _cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _row(concurrency: int, elapsed: float, latencies: list[float], cpu: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency,
        "turns": len(latencies),
        "requests_per_second": len(latencies) / elapsed,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
        "server_cpu_ms_per_request": cpu / len(latencies) * 1000,
    }


def measure_service(turns: int, concurrencies: tuple[int, ...], repeats: int = 2) -> dict[str, Any]:
    """The turn endpoint and the trivial one, loaded alternately, ``repeats`` times each."""
    port, trivial_port = _free_port(), _free_port()
    url, trivial_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{trivial_port}"
    serve = [sys.executable, "-m", "escalate", "serve", "--port", str(port)]
    servers = [
        subprocess.Popen(
            [*serve, "--log-level", "error"],
            # No key: an empty ESCALATE_API_KEY stops the service (it would serve without one).
            env={k: v for k, v in os.environ.items() if k != "ESCALATE_API_KEY"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [sys.executable, __file__, "--trivial-server", str(trivial_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    rows = []
    try:
        for address in (url, trivial_url):
            _wait_until_up(address)
            asyncio.run(_load(address, 200, max(concurrencies)))  # warm-up
        for concurrency in concurrencies:
            runs: dict[str, list[dict[str, Any]]] = {"turn": [], "trivial": []}
            for repeat in range(repeats):
                # Alternately first, so neither side always meets the machine busier.
                order = [("turn", url, servers[0]), ("trivial", trivial_url, servers[1])]
                for name, address, server in order if repeat % 2 == 0 else order[::-1]:
                    before = _cpu_seconds(server.pid)
                    elapsed, latencies = _load_from_processes(address, turns, concurrency)
                    cpu = _cpu_seconds(server.pid) - before
                    runs[name].append(_row(concurrency, elapsed, latencies, cpu))
            turn = {
                key: statistics.median(run[key] for run in runs["turn"])
                for key in ("requests_per_second", "p50_ms", "p99_ms", "server_cpu_ms_per_request")
            }
            trivial_rps = statistics.median(r["requests_per_second"] for r in runs["trivial"])
            trivial_cpu = statistics.median(r["server_cpu_ms_per_request"] for r in runs["trivial"])
            rows.append(
                {
                    "concurrency": concurrency,
                    "turns": turns,
                    **turn,
                    "p99_over_p50": turn["p99_ms"] / turn["p50_ms"],
                    "trivial_requests_per_second": trivial_rps,
                    "ratio_to_trivial": turn["requests_per_second"] / trivial_rps,
                    # What a server whose cores are the limit keeps: it moves less with the
                    # machine's load than throughput measured beside the load generator.
                    "trivial_server_cpu_ms_per_request": trivial_cpu,
                    "cpu_ratio_to_trivial": trivial_cpu / turn["server_cpu_ms_per_request"],
                    "ratios_by_repeat": [
                        t["requests_per_second"] / v["requests_per_second"]
                        for t, v in zip(runs["turn"], runs["trivial"], strict=True)
                    ],
                }
            )
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
    return {"loads": rows, "evaluate_median_ms": _evaluate_median() * 1000}


def _asgi_post(app: Any, conversation_id: str, body: bytes) -> Any:
    """One ``POST .../turns`` straight into the ASGI app (no server, no socket)."""
    path = f"/v1/conversations/{conversation_id}/turns"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects
        return {}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def call() -> None:
        await app(scope, receive, send)
        if statuses != [200]:
            raise RuntimeError(f"{path}: status {statuses}")

    return call()


def measure_in_process(rounds: int, repeats: int = 3) -> dict[str, Any]:
    """CPU time per request of the turn app and the trivial app, called in this process.

    No server and no load generator: the app's own work per request, which the machine's load
    moves far less than throughput. The turn app is ``create_app()`` with decision events on,
    as ``escalate serve`` runs it.
    """
    import structlog

    from escalate import Escalator
    from escalate.server import create_app

    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(file=Path(os.devnull).open("w")),  # noqa: SIM115
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
    turn_app = create_app(Escalator(logger=structlog.get_logger("escalate")))
    trivial_app = _trivial_app(_canned_decision())
    bodies = [
        (f"c{conversation}", json.dumps(turn).encode())
        for conversation in range(len(USER_TEXTS))
        for turn in (
            {
                "role": "user" if n % 2 == 0 else "bot",
                "text": (USER_TEXTS if n % 2 == 0 else BOT_TEXTS)[
                    (conversation + n // 2) % len(USER_TEXTS if n % 2 == 0 else BOT_TEXTS)
                ],
            }
            for n in range(10)
        )
    ]

    async def cpu_per_request(app: Any, tag: str) -> float:
        started = time.process_time()
        for round_number in range(rounds):
            for conversation_id, body in bodies:
                await _asgi_post(app, f"{tag}-{round_number}-{conversation_id}", body)
        return (time.process_time() - started) / (rounds * len(bodies))

    async def run() -> dict[str, Any]:
        await cpu_per_request(turn_app, "warm")
        await cpu_per_request(trivial_app, "warm")
        turn, trivial = [], []
        for repeat in range(repeats):
            turn.append(await cpu_per_request(turn_app, f"turn{repeat}"))
            trivial.append(await cpu_per_request(trivial_app, f"trivial{repeat}"))
        return {
            "requests_per_repeat": rounds * len(bodies),
            "turn_cpu_ms_per_request": statistics.median(turn) * 1000,
            "trivial_cpu_ms_per_request": statistics.median(trivial) * 1000,
            "ratio": statistics.median(v / t for t, v in zip(turn, trivial, strict=True)),
        }

    return asyncio.run(run())


def _canned_decision() -> bytes:
    """A decision's JSON of median size over the loads' turns (what the trivial app returns)."""
    from escalate import Escalator, Turn

    _quiet()
    esc = Escalator()
    sizes = []
    for conversation in range(len(USER_TEXTS)):
        for n in range(10):
            texts = USER_TEXTS if n % 2 == 0 else BOT_TEXTS
            role = "user" if n % 2 == 0 else "bot"
            turn = Turn(role=role, text=texts[(conversation + n // 2) % len(texts)])
            sizes.append(esc.evaluate(f"s-{conversation}", turn).model_dump_json().encode())
    return sorted(sizes, key=len)[len(sizes) // 2]


def serve_trivial(port: int) -> None:
    """The trivial app: the same server settings and body limit, no engine."""
    import uvicorn

    from escalate.server import protocol_with_header_timeout

    uvicorn.run(
        _trivial_app(_canned_decision()),
        host="127.0.0.1",
        port=port,
        log_level="error",
        http=protocol_with_header_timeout(5.0),
    )


def _trivial_app(canned: bytes) -> Any:
    """Parses the body into a ``Turn`` and answers ``canned``, behind the same body limit."""
    from fastapi import FastAPI, Response

    from escalate import Turn
    from escalate.server import DEFAULT_BODY_TIMEOUT_SECONDS, DEFAULT_MAX_BODY_BYTES, BodyLimit

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(
        BodyLimit, max_bytes=DEFAULT_MAX_BODY_BYTES, timeout=DEFAULT_BODY_TIMEOUT_SECONDS
    )

    async def turns(conversation_id: str, turn: Turn) -> Response:
        return Response(canned, media_type="application/json")

    # The module's annotations are strings FastAPI would look up in its globals: give types.
    turns.__annotations__ = {"conversation_id": str, "turn": Turn, "return": Response}
    app.post("/v1/conversations/{conversation_id}/turns")(turns)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _load_from_processes(url: str, turns: int, concurrency: int) -> tuple[float, list[float]]:
    """Load from up to 4 client processes: one Python client saturates before the server."""
    processes = min(CLIENT_PROCESSES, concurrency)
    command = [sys.executable, __file__, "--client", url]
    clients = [
        subprocess.Popen(
            [*command, str(turns // processes), str(concurrency // processes)],
            stdout=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    latencies: list[float] = []
    busy = 0.0
    for client in clients:
        out, _ = client.communicate(timeout=600)
        result = json.loads(out)
        latencies.extend(result["latencies"])
        busy = max(busy, result["elapsed"])
    # Throughput over the clients' own load time (their interpreter start-up excluded).
    return busy, latencies


def _evaluate_median() -> float:
    from escalate import Escalator, Turn

    _quiet()
    esc = Escalator()
    samples = []
    for conversation in range(60):
        for n in range(10):
            texts = USER_TEXTS if n % 2 == 0 else BOT_TEXTS
            turn = Turn(
                role="user" if n % 2 == 0 else "bot",
                text=texts[(conversation + n // 2) % len(texts)],
            )
            begin = time.perf_counter()
            esc.evaluate(f"e-{conversation}", turn)
            samples.append(time.perf_counter() - begin)
    return statistics.median(samples)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--client":  # a load process
        _, _, url, turns, concurrency = sys.argv
        elapsed, latencies = asyncio.run(_load(url, int(turns), int(concurrency)))
        print(json.dumps({"elapsed": elapsed, "latencies": latencies}))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--trivial-server":
        serve_trivial(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--service-only", action="store_true", help="skip the middleware")
    parser.add_argument(
        "--in-process-only", action="store_true", help="only the apps' CPU per request"
    )
    args = parser.parse_args()
    in_process = measure_in_process(rounds=1 if args.quick else 3)
    print(
        f"in process: the turn app {in_process['turn_cpu_ms_per_request']:.2f} ms of CPU per"
        f" request, the trivial app {in_process['trivial_cpu_ms_per_request']:.2f} ms:"
        f" {in_process['ratio']:.2f}x"
    )
    if args.in_process_only:
        return
    report = {
        "in_process": in_process,
        "middleware": (
            None if args.service_only else measure_middleware(rounds=10 if args.quick else 60)
        ),
        "service": measure_service(
            turns=600 if args.quick else 3000,
            concurrencies=(1, 4, 16),
            repeats=1 if args.quick else 2,
        ),
    }
    middleware, service = report["middleware"], report["service"]
    if middleware is not None:
        print(
            f"middleware: {middleware['middleware_median_us']:.0f} µs per call against"
            f" {middleware['by_hand_median_us']:.0f} µs by hand = {middleware['ratio']:.3f}x"
            f" ({middleware['calls']} calls)"
        )
    print(f"service, evaluate() in-process: {service['evaluate_median_ms']:.2f} ms per turn")
    for row in service["loads"]:
        print(
            f"  {row['concurrency']:>2} clients: {row['requests_per_second']:.0f} requests/s,"
            f" p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms"
            f" (p99/p50 {row['p99_over_p50']:.1f}); trivial endpoint"
            f" {row['trivial_requests_per_second']:.0f} requests/s:"
            f" {row['ratio_to_trivial']:.2f}x; server CPU per request"
            f" {row['server_cpu_ms_per_request']:.2f} ms against"
            f" {row['trivial_server_cpu_ms_per_request']:.2f} ms:"
            f" {row['cpu_ratio_to_trivial']:.2f}x ({row['turns']} turns)"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
