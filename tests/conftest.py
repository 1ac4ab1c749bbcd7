"""Fixtures shared by the test suite."""

from __future__ import annotations

import pytest

from escalate import Escalator, InMemoryStore
from escalate.testing import quiet_logger


@pytest.fixture
def esc() -> Escalator:
    """A fresh engine with the bundled default policy and no decision output."""
    return Escalator(store=InMemoryStore(), logger=quiet_logger())


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio."""
    return "asyncio"
