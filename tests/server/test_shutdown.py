"""``escalate serve --audit`` drains its audit trail on SIGTERM and SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from test_server import free_port, wait_until_healthy

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.slow

CLIENTS = 6
# A host serving create_app under uvicorn, as `escalate serve` does, with a slow disk: records
# are still queued when the signal comes, so a trail not drained on shutdown loses them.
SLOW_DISK_HOST = """
import sys, time, uvicorn
from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink
from escalate.server import create_app

class SlowSink(JsonlSink):
    def append(self, records):
        time.sleep(0.2)
        super().append(records)

with AuditTrail(SlowSink(sys.argv[1]), batch_size=4) as trail:
    app = create_app(Escalator(audit=trail))
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def _hammer(url: str, name: str, answered: list[int], stop: threading.Event) -> None:
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            try:
                response = client.post(
                    f"{url}/v1/conversations/{name}/turns",
                    json={"role": "user", "text": "this is the third time, I am so angry"},
                )
            except httpx.TransportError:
                return  # the service stopped listening
            if response.status_code == 200:
                answered.append(1)


def _decisions(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if json.loads(line).get("kind") == "decision")


def _escalate_serve(audit: Path, port: int) -> list[str]:
    command = [sys.executable, "-m", "escalate", "serve", "--port", str(port), "--no-events"]
    return [*command, "--log-level", "warning", "--audit", str(audit)]


def _slow_disk_host(audit: Path, port: int) -> list[str]:
    script = audit.with_name("host.py")
    script.write_text(SLOW_DISK_HOST, encoding="utf-8")
    return [sys.executable, str(script), str(audit), str(port)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
@pytest.mark.parametrize("host", [_escalate_serve, _slow_disk_host], ids=["serve", "slow-disk"])
def test_every_answered_turn_is_recorded_when_the_service_is_stopped(
    tmp_path: Path, signum: signal.Signals, host: Callable[[Path, int], list[str]]
) -> None:
    audit = tmp_path / "audit.jsonl"
    port = free_port()
    process = subprocess.Popen(
        host(audit, port),
        env={key: value for key, value in os.environ.items() if key != "ESCALATE_API_KEY"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    answered: list[int] = []
    stop = threading.Event()
    clients = [
        threading.Thread(target=_hammer, args=(url, f"c{i}", answered, stop))
        for i in range(CLIENTS)
    ]
    try:
        wait_until_healthy(url, process, 30)
        for client in clients:
            client.start()
        while len(answered) < 50:  # requests are in flight when the signal comes
            time.sleep(0.01)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        stop.set()
        for client in clients:
            client.join(15)
        if process.poll() is None:
            process.kill()
    assert process.returncode in {-signum, 128 + signum, 0}, stderr
    verified = subprocess.run(
        [sys.executable, "-m", "escalate", "audit", "verify", str(audit)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert _decisions(audit) == len(answered)
