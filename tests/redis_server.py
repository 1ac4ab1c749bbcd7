"""A throwaway redis-server for the tests that talk to Redis (no persistence, any free port)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from typing import Any

import redis
import redis.asyncio

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A throwaway redis-server: no persistence, stoppable and restartable on its port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class CountingConnection(redis.Connection):
    """A connection that counts round trips: every request it sends waits for its replies."""

    sent = 0

    def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        type(self).sent += 1
        super().send_packed_command(*args, **kwargs)


def counting_client(url: str) -> redis.Redis:
    """A client whose round trips ``CountingConnection.sent`` counts."""
    pool = redis.ConnectionPool.from_url(url, connection_class=CountingConnection)
    return redis.Redis.from_pool(pool)


class AsyncCountingConnection(redis.asyncio.Connection):
    """``CountingConnection`` for ``redis.asyncio`` clients."""

    sent = 0

    async def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        type(self).sent += 1
        await super().send_packed_command(*args, **kwargs)


def async_counting_client(url: str) -> redis.asyncio.Redis:
    """An async client whose round trips ``AsyncCountingConnection.sent`` counts."""
    pool = redis.asyncio.ConnectionPool.from_url(url, connection_class=AsyncCountingConnection)
    return redis.asyncio.Redis.from_pool(pool)  # owns the pool: aclose() closes it
