"""The service's memory is bounded in bytes; its answers never echo a customer's data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from escalate import Escalator, InMemoryStore
from escalate.exceptions import InvalidInputError
from escalate.server import LastDecisions, create_app, protocol_with_header_timeout
from escalate.testing import quiet_logger
from test_server import Server

if TYPE_CHECKING:
    from collections.abc import Iterator

    from escalate.models import Decision

KEY = "k3y-for-tests"
BOT_WITH_EMAIL = "Please confirm the e-mail jane.doe@example.com so I can send the reset link."


class StateOnlyStore:
    """A custom store that keeps conversation state but not last decisions (no DecisionStore):
    the service keeps those itself, bounded in bytes."""

    def __init__(self) -> None:
        self._inner = InMemoryStore()

    def __getattr__(self, name: str) -> object:
        if name in {"akeep_decision", "alast_decision"}:
            raise AttributeError(name)
        return getattr(self._inner, name)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    escalator = Escalator(store=StateOnlyStore(), logger=quiet_logger())  # type: ignore[arg-type]
    app = create_app(escalator, api_key=KEY, max_decision_bytes_kept=8192)
    with Server(app) as url:
        yield url


def _decision(text: str = "I want to talk to a person") -> Decision:
    return Escalator(logger=quiet_logger()).evaluate("c", {"role": "user", "text": text})


class TestLastDecisions:
    def test_the_least_recent_go_first_once_the_bytes_are_spent(self) -> None:
        decision = _decision()
        recent = LastDecisions(max_bytes=3000)
        for name in ("a", "b", "c"):
            recent.put(name, decision, 1000)
        assert recent.get("a") is None
        assert recent.get("c") is decision
        assert recent.bytes <= 3000

    def test_a_conversation_decided_again_is_counted_once(self) -> None:
        recent = LastDecisions(max_bytes=10_000)
        for _ in range(5):
            recent.put("a", _decision(), 1000)
        assert len(recent) == 1
        recent.pop("a")
        assert recent.bytes == 0

    def test_the_count_still_bounds(self) -> None:
        recent = LastDecisions(max_decisions=2)
        for name in ("a", "b", "c"):
            recent.put(name, _decision(), 10)
        assert len(recent) == 2

    def test_bounds_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            LastDecisions(max_bytes=0)


def test_an_empty_api_key_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        create_app(Escalator(logger=quiet_logger()), api_key="")


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(base_url: str, scheme: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/conversations/auth-{scheme}/turns",
        json={"role": "user", "text": "hi"},
        headers={"Authorization": f"{scheme} {KEY}"},
    )
    assert response.status_code == 200


def test_another_scheme_or_a_wrong_key_is_refused(base_url: str) -> None:
    for header in (f"Basic {KEY}", f"Bearer {KEY}x", "Bearer", KEY):
        response = httpx.post(
            f"{base_url}/v1/conversations/auth-bad/turns",
            json={"role": "user", "text": "hi"},
            headers={"Authorization": header},
        )
        assert response.status_code == 401, header


def test_a_repeated_bot_reply_is_redacted_in_answers_and_the_view(base_url: str) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    url = f"{base_url}/v1/conversations/loop-1"
    answers = []
    for _ in range(3):
        httpx.post(
            f"{url}/turns", json={"role": "user", "text": "I still cannot log in"}, headers=auth
        )
        answers.append(
            httpx.post(f"{url}/turns", json={"role": "bot", "text": BOT_WITH_EMAIL}, headers=auth)
        )
    last = answers[-1].json()
    kinds = {item["kind"] for reason in last["reasons"] for item in reason["evidence"]}
    assert "bot_repeat" in kinds  # the evidence is there, only its secret is not
    view = httpx.get(url, headers=auth).text
    for text in (*(answer.text for answer in answers), view):
        assert "jane.doe@example.com" not in text
    assert "[EMAIL]" in view


def test_many_hit_dense_conversations_stay_within_the_byte_bound(base_url: str) -> None:
    auth = {"X-API-Key": KEY}
    sizes = []
    for index in range(12):
        response = httpx.post(
            f"{base_url}/v1/conversations/dense-{index}/turns",
            json={"role": "user", "text": "\N{POUTING FACE} " * 3000},
            headers=auth,
        )
        assert response.status_code == 200
        sizes.append(len(response.content))
    assert max(sizes) < 4096  # 282 KB before evidence was bounded
    # 8 KB of decisions kept: the oldest conversations' last decisions were let go.
    first = httpx.get(f"{base_url}/v1/conversations/dense-0", headers=auth).json()
    latest = httpx.get(f"{base_url}/v1/conversations/dense-11", headers=auth).json()
    assert first["last_decision"] is None
    assert latest["last_decision"] is not None


def test_the_bundled_store_keeps_each_last_decision_with_its_conversation() -> None:
    """The in-memory store holds the last decision with the conversation, so the store's own
    bound (conversations, each decision bounded in size) bounds it, not the service's."""
    store = InMemoryStore(max_conversations=3)
    app = create_app(Escalator(store=store, logger=quiet_logger()), api_key=KEY)
    auth = {"X-API-Key": KEY}
    with Server(app) as url:
        for index in range(5):
            httpx.post(
                f"{url}/v1/conversations/dense-{index}/turns",
                json={"role": "user", "text": "\N{POUTING FACE} " * 3000},
                headers=auth,
            )
        gone = httpx.get(f"{url}/v1/conversations/dense-0", headers=auth)
        kept = httpx.get(f"{url}/v1/conversations/dense-4", headers=auth).json()
    assert gone.status_code == 404  # evicted with its conversation
    assert kept["last_decision"]["conversation_id"] == "dense-4"


@pytest.mark.parametrize("bounds", [{"max_decisions": 0}, {"max_bytes": -1}])
def test_a_bound_that_keeps_nothing_is_refused_by_name(bounds: dict[str, int]) -> None:
    with pytest.raises(InvalidInputError, match="must be positive"):
        LastDecisions(**bounds)


def test_a_header_timeout_that_is_not_positive_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="header timeout must be positive, got 0"):
        protocol_with_header_timeout(0)
