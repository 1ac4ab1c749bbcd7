"""Slow clients are cut off; an empty API key stops the service from starting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from escalate import Escalator
from escalate.server import create_app
from escalate.testing import quiet_logger
from test_server import Server, free_port, wait_until_healthy

if TYPE_CHECKING:
    from collections.abc import Iterator

BODY_TIMEOUT = 0.5


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(Escalator(logger=quiet_logger()), body_timeout=BODY_TIMEOUT)
    with Server(app) as url:
        yield url


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_a_body_that_stops_arriving_gets_408_and_the_connection_closes(base_url: str) -> None:
    with socket.create_connection(("127.0.0.1", _port(base_url)), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/conversations/slow/turns HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
            b'{"role": "user", "te'
        )
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(4096):  # the server closes: recv returns b"" (or times out)
            answer += chunk
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"did not arrive within 0.5 seconds" in answer
    assert BODY_TIMEOUT <= waited < 5


def test_a_body_that_arrives_in_time_is_answered(base_url: str) -> None:
    with socket.create_connection(("127.0.0.1", _port(base_url)), timeout=10) as sock:
        body = b'{"role": "user", "text": "hi"}'
        sock.sendall(
            b"POST /v1/conversations/ok/turns HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        time.sleep(BODY_TIMEOUT / 3)
        sock.sendall(body)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer


@pytest.mark.parametrize("value", ["", "   "])
def test_escalate_serve_refuses_an_empty_api_key(value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "escalate", "serve", "--port", "1"],
        env={**os.environ, "ESCALATE_API_KEY": value},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "ESCALATE_API_KEY is set but empty" in result.stderr


@pytest.fixture(scope="module")
def served_with_header_timeout() -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "escalate", "serve", "--port", str(port), "--no-events"),
            *("--log-level", "warning", "--header-timeout", "1"),
        ],
        env={key: value for key, value in os.environ.items() if key != "ESCALATE_API_KEY"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, 30)
        yield port
    finally:
        process.terminate()
        process.wait(15)


def _seconds_until_closed(port: int, head: bytes) -> tuple[float, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        if head:
            sock.sendall(head)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        return time.monotonic() - started, answer


@pytest.mark.parametrize(
    "head",
    [b"", b"POST /v1/conversations/slow/turns HTTP/1.1\r\nHost: x\r\nContent-Le"],
    ids=["nothing", "half-a-head"],
)
def test_a_client_slow_to_send_its_headers_is_disconnected(
    served_with_header_timeout: int, head: bytes
) -> None:
    waited, answer = _seconds_until_closed(served_with_header_timeout, head)
    assert answer == b""
    # The server's 1 s clock starts at accept, a moment before ours: not closed at once, and
    # closed well before recv would wait out its 10 s timeout.
    assert 0.5 <= waited < 5


def _response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length bytes of body) from a kept-alive socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head + b"\r\n\r\n" + body


def test_a_kept_alive_connection_gets_a_new_deadline_per_request(
    served_with_header_timeout: int,
) -> None:
    with socket.create_connection(("127.0.0.1", served_with_header_timeout), timeout=10) as sock:
        for _ in range(2):  # each request well inside its own deadline, 1.2 s in all
            time.sleep(0.6)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _response(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        started = time.monotonic()
        assert sock.recv(4096) == b""
        assert time.monotonic() - started < 5
