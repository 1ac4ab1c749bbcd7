"""Fixtures shared by the test suite."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from escalate import Escalator, InMemoryStore
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from escalate.audit import RecordBody


@pytest.fixture
def esc() -> Escalator:
    """A fresh engine with the bundled default policy and no decision output."""
    return Escalator(store=InMemoryStore(), logger=quiet_logger())


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio."""
    return "asyncio"


@pytest.fixture
def bodies() -> Callable[..., list[RecordBody]]:
    """Makes small audit records for a sink: ``bodies(3)``, ``bodies(2, start=3)``."""
    from escalate.audit import RecordBody
    from escalate.audit._chain import dumps  # internal: the chain's canonical JSON

    def make(count: int, start: int = 0) -> list[RecordBody]:
        return [
            RecordBody(
                "decision",
                "c-1",
                dumps({"kind": "decision", "conversation_id": "c-1", "turn_index": n, "n": n}),
            )
            for n in range(start, start + count)
        ]

    return make
