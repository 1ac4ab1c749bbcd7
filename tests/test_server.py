"""The HTTP service against a real uvicorn on 127.0.0.1, with httpx."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn

from escalate import Escalator
from escalate.server import create_app
from escalate.testing import quiet_logger
from redis_server import REDIS_SERVER, RedisServer

if TYPE_CHECKING:
    from collections.abc import Iterator

KEY = "s3cret-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    """Poll ``url``/healthz until the service answers; raise if it died or took too long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.1)


class Server:
    """uvicorn serving an app in a background thread."""

    def __init__(self, app) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(Escalator(logger=quiet_logger()), api_key=KEY, max_body_bytes=4096)
    with Server(app) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=10) as http:
        yield http


def turn(client: httpx.Client, conversation: str, text: str, role: str = "user") -> httpx.Response:
    return client.post(f"/v1/conversations/{conversation}/turns", json={"role": role, "text": text})


def test_a_turn_in_a_decision_out(client):
    response = turn(client, "t-1", "I want to talk to a person")
    assert response.status_code == 200
    decision = response.json()
    assert decision["action"] == "handoff"
    assert decision["reasons"][0]["code"] == "human_requested"
    assert decision["conversation_id"] == "t-1"


def test_the_conversation_view_and_the_handoff_context(client):
    turn(client, "t-2", "my parcel never arrived")
    turn(client, "t-2", "It is on its way.", role="bot")
    decided = turn(client, "t-2", "this is useless, get me a human").json()
    view = client.get("/v1/conversations/t-2").json()
    assert view["turns"] == 3
    assert view["user_turns"] == 2
    assert view["handed_off"] is True
    assert view["last_decision"]["decision_id"] == decided["decision_id"]
    context = client.get("/v1/conversations/t-2/handoff").json()
    assert context["goal"] == "my parcel never arrived"
    assert context["summary"].startswith('Customer\'s goal: "my parcel never arrived"')


def test_outcomes_are_applied(client):
    turn(client, "t-3", "agent please")
    assert (
        client.post(
            "/v1/conversations/t-3/outcomes", json={"outcome": "returned_to_bot"}
        ).status_code
        == 204
    )
    assert client.get("/v1/conversations/t-3").json()["handed_off"] is False
    assert (
        client.post("/v1/conversations/t-3/outcomes", json={"outcome": "ended"}).status_code == 204
    )
    assert client.get("/v1/conversations/t-3").status_code == 404


class TestErrors:
    def test_missing_or_wrong_key(self, base_url):
        with httpx.Client(base_url=base_url) as anonymous:
            response = anonymous.post(
                "/v1/conversations/x/turns", json={"role": "user", "text": "hi"}
            )
            assert response.status_code == 401
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"] == "Bearer"
            wrong = anonymous.get("/v1/conversations/x", headers={"X-API-Key": "nope"})
            assert wrong.status_code == 401
            assert anonymous.get("/healthz").status_code == 200

    def test_the_x_api_key_header_works_too(self, base_url):
        with httpx.Client(base_url=base_url, headers={"X-API-Key": KEY}) as keyed:
            assert (
                keyed.post(
                    "/v1/conversations/k/turns", json={"role": "user", "text": "hi"}
                ).status_code
                == 200
            )

    def test_a_bad_turn_names_its_fields(self, client):
        response = client.post("/v1/conversations/x/turns", json={"role": "customer", "text": 5})
        assert response.status_code == 422
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["loc"] for error in problem["errors"]] == ["body.role", "body.text"]
        assert problem["detail"].startswith("body.role: Input should be")

    def test_unknown_fields_are_refused(self, client):
        response = client.post(
            "/v1/conversations/x/turns", json={"role": "user", "text": "hi", "txt": 1}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == "body.txt"

    def test_not_json(self, client):
        response = client.post(
            "/v1/conversations/x/turns",
            content=b"{oops",
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    def test_malformed_json_names_its_line_and_column(self, client):
        response = client.post(
            "/v1/conversations/x/turns",
            content=b'{"role": "user",\n "text": hi}',
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert error == {
            "loc": "body",
            "msg": "not valid JSON at line 2, column 10: Expecting value",
            "type": "json_invalid",
        }
        assert response.json()["detail"] == f"body: {error['msg']}"

    def test_a_body_over_the_limit(self, client):
        response = turn(client, "x", "a" * 5000)
        assert response.status_code == 413
        assert response.json()["detail"] == "the request body is over 4096 bytes"

    def test_a_chunked_body_over_the_limit(self, client):
        def chunks():
            yield b'{"role": "user", "text": "'
            for _ in range(10):
                yield b"a" * 1000
            yield b'"}'

        response = client.post(
            "/v1/conversations/x/turns",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 413

    def test_an_over_long_conversation_id(self, client):
        response = turn(client, "c" * 513, "hi")
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == "path.conversation_id"

    def test_an_unknown_conversation(self, client):
        response = client.get("/v1/conversations/never-seen/handoff")
        assert response.status_code == 404
        assert response.json()["detail"] == "no decision for conversation 'never-seen'"

    def test_an_outcome_for_an_unknown_conversation(self, client):
        response = client.post(
            "/v1/conversations/never-seen/outcomes", json={"outcome": "handed_off"}
        )
        assert response.status_code == 404  # as GET /v1/conversations/never-seen answers
        assert response.json()["detail"] == "no conversation 'never-seen'"
        assert client.get("/v1/conversations/never-seen").status_code == 404

    def test_a_bad_outcome(self, client):
        response = client.post("/v1/conversations/x/outcomes", json={"outcome": "exploded"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == "body.outcome"


def test_health_metrics_and_openapi(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["policy"]["name"] == "default"
    turn(client, "m-1", "I want to speak to a human")
    metrics = client.get("/metrics").text
    assert 'escalate_decisions_total{action="handoff",reason="human_requested"}' in metrics
    assert 'escalate_escalations_total{action="handoff",reason="human_requested"}' in metrics
    assert "escalate_turn_seconds_bucket" in metrics
    spec = client.get("/openapi.json").json()
    assert "/v1/conversations/{conversation_id}/turns" in spec["paths"]
    assert "422" in spec["paths"]["/v1/conversations/{conversation_id}/turns"]["post"]["responses"]


def test_concurrent_clients_keep_every_conversation_in_order(base_url):
    async def talk(http: httpx.AsyncClient, conversation: str) -> list[int]:
        indexes = []
        for n in range(10):
            response = await http.post(
                f"/v1/conversations/{conversation}/turns",
                json={"role": "user" if n % 2 == 0 else "bot", "text": f"message {n}"},
            )
            assert response.status_code == 200
            indexes.append(response.json()["turn_index"])
        return indexes

    async def main() -> list[list[int]]:
        async with httpx.AsyncClient(base_url=base_url, headers=AUTH, timeout=30) as http:
            return await asyncio.gather(*(talk(http, f"load-{n}") for n in range(20)))

    results = asyncio.run(main())
    assert all(indexes == list(range(10)) for indexes in results)
    with httpx.Client(base_url=base_url, headers=AUTH) as http:
        assert http.get("/v1/conversations/load-7").json()["turns"] == 10


def test_escalate_serve_runs_the_service(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "escalate", "serve", "--port", str(port), "--log-level", "warning"],
        env={**os.environ, "ESCALATE_API_KEY": KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process, 30)
        assert (
            httpx.post(
                f"{url}/v1/conversations/c/turns", json={"role": "user", "text": "hi"}
            ).status_code
            == 401
        )
        decided = httpx.post(
            f"{url}/v1/conversations/c/turns",
            json={"role": "user", "text": "human please"},
            headers=AUTH,
        )
        assert decided.json()["action"] == "handoff"
    finally:
        process.terminate()
        process.wait(10)


def test_the_dockerfile_installs_existing_extras_and_runs_serve():
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).parent.parent
    dockerfile = (root / "Dockerfile").read_text()
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    (wanted,) = re.findall(r"pip install '\.\[([a-z,-]+)\]'", dockerfile)
    assert set(wanted.split(",")) <= set(extras)
    entrypoint = re.search(r"ENTRYPOINT (\[.*\])", dockerfile)
    assert entrypoint is not None
    command = json.loads(entrypoint.group(1))
    assert command[:2] == ["escalate", "serve"]
    shown = subprocess.run(
        [sys.executable, "-m", "escalate", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    assert all(option in shown for option in command[2:] if option.startswith("--"))


@contextlib.contextmanager
def _two_workers_on_one_redis() -> Iterator[tuple[str, str]]:
    """Two service apps, each with its own engine, sharing one real redis-server: their URLs."""
    from escalate.state import AsyncRedisStore

    redis_server = RedisServer()
    redis_server.start()
    try:
        apps = [
            create_app(
                Escalator(store=AsyncRedisStore(url=redis_server.url), logger=quiet_logger())
            )
            for _ in range(2)
        ]
        with Server(apps[0]) as first, Server(apps[1]) as second:
            yield first, second
    finally:
        redis_server.stop()


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_two_workers_share_conversations_through_redis():
    """Two service processes' worth of apps, one Redis: turns may land on either."""
    with _two_workers_on_one_redis() as (first, second):
        urls = [first, second]
        texts = ["my parcel never came", "It is on its way.", "where is it??", "get me a human"]
        roles = ["user", "bot", "user", "user"]
        decisions = [
            httpx.post(
                f"{urls[n % 2]}/v1/conversations/shared/turns",
                json={"role": role, "text": text},
            ).json()
            for n, (role, text) in enumerate(zip(roles, texts, strict=True))
        ]
        assert [d["turn_index"] for d in decisions] == [0, 1, 2, 3]
        assert decisions[-1]["action"] == "handoff"
        view = httpx.get(f"{second}/v1/conversations/shared").json()
        assert (view["turns"], view["handed_off"]) == (4, True)
        context = httpx.get(f"{second}/v1/conversations/shared/handoff").json()
        assert context["goal"] == "my parcel never came"


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_any_worker_answers_with_the_last_decision_another_worker_made():
    """The last decision lives in Redis, not in the worker that decided the turn."""
    with _two_workers_on_one_redis() as (first, second):
        path = "/v1/conversations/kept"
        httpx.post(f"{second}{path}/turns", json={"role": "user", "text": "my card is gone"})
        decided = httpx.post(
            f"{first}{path}/turns", json={"role": "user", "text": "get me a human now"}
        ).json()
        assert decided["action"] == "handoff"
        view = httpx.get(f"{second}{path}").json()
        assert view["last_decision"]["decision_id"] == decided["decision_id"]
        context = httpx.get(f"{second}{path}/handoff")
        assert context.status_code == 200
        assert context.json()["action"] == "handoff"
        ended = httpx.post(f"{second}{path}/outcomes", json={"outcome": "ended"})
        assert ended.status_code == 204
        assert httpx.get(f"{first}{path}/handoff").status_code == 404
