"""The HTTP layer on bodies and ids that do not parse: 4xx naming what failed, never a merge.

A real uvicorn server on 127.0.0.1; paths are sent as raw bytes (httpx would re-encode them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from escalate import Escalator
from escalate.server import create_app
from escalate.testing import quiet_logger
from test_server import Server

if TYPE_CHECKING:
    from collections.abc import Iterator

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with Server(create_app(Escalator(logger=quiet_logger()), max_body_bytes=64 * 1024)) as base:
        yield base


def post_raw(url: str, path: str, body: bytes) -> httpx.Response:
    """POST to ``path`` exactly as written (percent escapes and all)."""
    with httpx.Client(base_url=url) as client:
        request = client.build_request("POST", "/", content=body, headers=JSON)
        request.url = request.url.copy_with(raw_path=path.encode("ascii"))
        return client.send(request)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"[" * 30_000 + b"]" * 30_000, "body: not valid JSON: nested too deeply"),
        (
            b'{"role": "user", "text": "x", "ts": ' + b"9" * 5000 + b"}",
            "body: not valid JSON: a number longer than 4300 digits",
        ),
        (
            b'{"role": "user",\n "text": "caf\xe9"}',
            "body: not UTF-8 at line 2, column 14 (byte 0xe9)",
        ),
        (
            b'{"role": "user",\n  "text": "x",, }',
            (
                "body: not valid JSON at line 2, column 15: Expecting property name enclosed in"
                " double quotes"
            ),
        ),
    ],
    ids=["deep", "huge-number", "not-utf8", "malformed"],
)
def test_a_body_that_does_not_parse_gets_422_naming_why(url: str, body: bytes, detail: str) -> None:
    response = post_raw(url, "/v1/conversations/c/turns", body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"] == detail
    assert problem["errors"][0]["loc"] == "body"


def test_a_lone_surrogate_in_the_text_is_decided(url: str) -> None:
    body = b'{"role": "user", "text": "I want to talk to a person \\ud800"}'
    response = post_raw(url, "/v1/conversations/s/turns", body)
    assert response.status_code == 200
    assert response.json()["action"] == "handoff"


@pytest.mark.parametrize("conversation", ["a/b", "a%2Fb", "a%2fb"])
def test_an_id_with_a_slash_is_refused_saying_why(url: str, conversation: str) -> None:
    response = post_raw(url, f"/v1/conversations/{conversation}/turns", b'{"role": "user"}')
    assert response.status_code == 404
    assert "a conversation id cannot contain '/'" in response.json()["detail"]


def test_an_unknown_path_elsewhere_keeps_its_plain_404(url: str) -> None:
    assert httpx.get(f"{url}/v2/nothing").json()["detail"] == "Not Found"


@pytest.mark.parametrize("conversation", ["a%FFb", "a%FEb", "a%C3b"])
def test_ids_that_are_not_utf8_are_refused_not_merged(url: str, conversation: str) -> None:
    body = b'{"role": "user", "text": "hi"}'
    response = post_raw(url, f"/v1/conversations/{conversation}/turns", body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith(f"conversation id '{conversation}': byte 0x")
    assert "is not UTF-8 once percent-decoded" in detail


def test_different_ids_stay_different_conversations(url: str) -> None:
    body = b'{"role": "user", "text": "hi"}'
    ids = ["d%C3%A9", "d%C3%A8", "d%E2%82%AC", "d%25C3"]  # é, è, €, a literal "%C3"
    decided = [post_raw(url, f"/v1/conversations/{cid}/turns", body).json() for cid in ids]
    assert [d["conversation_id"] for d in decided] == ["dé", "dè", "d€", "d%C3"]
    assert all(d["turn_index"] == 0 for d in decided)  # each is a new conversation
