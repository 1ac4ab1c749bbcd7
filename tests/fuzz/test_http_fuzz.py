"""The HTTP API on any body, header and conversation id: a 2xx or a 4xx problem, never a 5xx.

A real uvicorn server on 127.0.0.1 with an API key; every error must be
``application/problem+json`` with a ``detail``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import Escalator
from escalate.server import create_app
from escalate.testing import quiet_logger
from fuzz.strategies import JSON_VALUES, transcript_objects
from test_server import AUTH, KEY, Server

pytestmark = pytest.mark.slow  # hypothesis: a few hundred cases each

if TYPE_CHECKING:
    from collections.abc import Iterator

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Ids as they appear in a path: any text percent-encoded as UTF-8, or any bytes escaped.
IDS = st.text(min_size=1, max_size=30).map(lambda text: quote(text, safe="")) | st.binary(
    min_size=1, max_size=12
).map(lambda raw: "".join(f"%{byte:02X}" for byte in raw))
VISIBLE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=30)
KEY_VALUES = st.tuples(st.sampled_from(["", "Bearer ", "bearer ", "Basic ", "Bearer  "]), VISIBLE)
ENDPOINTS = st.sampled_from(["turns", "outcomes"])


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    app = create_app(Escalator(logger=quiet_logger()), api_key=KEY, max_body_bytes=4096)
    with Server(app) as url, httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        yield http


def send(client: httpx.Client, method: str, path: str, body: bytes | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    request = client.build_request(method, "/", content=body, headers=headers)
    request.url = request.url.copy_with(raw_path=path.encode("ascii"))
    return client.send(request)


def assert_answered(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


def path_for(conversation: str, endpoint: str = "") -> str:
    return f"/v1/conversations/{conversation}" + (f"/{endpoint}" if endpoint else "")


@FUZZ
@given(st.binary(max_size=300), ENDPOINTS)
def test_any_bytes_as_a_body(client: httpx.Client, body: bytes, endpoint: str) -> None:
    assert_answered(send(client, "POST", path_for("fuzz", endpoint), body))


@FUZZ
@given(JSON_VALUES | transcript_objects(), ENDPOINTS)
def test_any_json_as_a_body(client: httpx.Client, value: Any, endpoint: str) -> None:
    body = json.dumps(value).encode()
    assert_answered(send(client, "POST", path_for("fuzz-json", endpoint), body))


@FUZZ
@given(IDS, st.sampled_from(["turns", "outcomes", "handoff", ""]))
def test_any_conversation_id(client: httpx.Client, conversation: str, endpoint: str) -> None:
    path = path_for(conversation, endpoint)
    if endpoint in {"turns", "outcomes"}:
        body = b'{"role": "user", "text": "hi"}' if endpoint == "turns" else b'{"outcome": "ended"}'
        response = send(client, "POST", path, body)
    else:
        response = send(client, "GET", path)
    assert_answered(response)


@FUZZ
@given(KEY_VALUES, st.sampled_from(["Authorization", "X-API-Key"]))
def test_any_key_header(client: httpx.Client, value: tuple[str, str], header: str) -> None:
    scheme, key = value
    response = httpx.post(
        f"{client.base_url}/v1/conversations/k/turns",
        headers={header: scheme + key},
        json={"role": "user", "text": "hi"},
    )
    assert_answered(response)
    if key != KEY:
        assert response.status_code == 401
