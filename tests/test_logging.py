"""escalate is quiet until its host configures logging (the logging HOWTO's rule for libraries)."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

from escalate import Escalator, Turn
from escalate.events import DECISION_EVENT, ENGINE_ERROR_EVENT, EventLogger
from escalate.testing import capture_decisions

if TYPE_CHECKING:
    import pytest

# A detector that fails on every turn: the engine logs an error and returns the fail-safe.
_HOST = textwrap.dedent(
    """
    from escalate import Escalator, Turn
    from escalate.signals import default_detectors

    class Exploding:
        name = "exploding"

        def observe(self, turn, state):
            raise RuntimeError("boom")

    esc = Escalator(detectors=[*default_detectors(), Exploding()])
    esc.evaluate("c", Turn(role="user", text="my card number is secret, get me a human"))
    Escalator().evaluate("c", Turn(role="user", text="I want a person"))
    Escalator().record_outcome("c", "handed_off")
    """
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )


def test_an_unconfigured_host_gets_no_output() -> None:
    done = _run(_HOST)
    assert done.stdout == ""
    assert done.stderr == ""


def test_a_host_that_configures_logging_gets_the_events() -> None:
    done = _run("import logging\nlogging.basicConfig(level=logging.INFO)\n" + _HOST)
    assert done.stdout == ""
    assert f"INFO:escalate:{DECISION_EVENT} " in done.stderr
    assert "I want a person" in done.stderr  # the evidence, as JSON
    assert f"ERROR:escalate:{ENGINE_ERROR_EVENT} " in done.stderr
    assert "RuntimeError: boom" in done.stderr  # the traceback, as the host formats it


def test_events_are_structured_on_the_log_record(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="escalate"):
        decision = Escalator().evaluate("c", Turn(role="user", text="operator"))
    (record,) = [r for r in caplog.records if r.name == "escalate"]
    assert record.levelno == logging.INFO
    assert record.escalate["event"] == DECISION_EVENT  # type: ignore[attr-defined]
    assert record.escalate["decision_id"] == decision.decision_id  # type: ignore[attr-defined]
    assert record.getMessage().startswith(f"{DECISION_EVENT} {{")


def test_decision_events_are_not_built_when_info_is_off() -> None:
    logger = logging.getLogger("escalate")
    assert not EventLogger(logger).is_enabled_for(logging.INFO)  # the root's WARNING applies
    with capture_decisions() as events:
        Escalator().evaluate("c", Turn(role="user", text="operator"))
    assert [event["action"] for event in events] == ["handoff"]
    assert logger.level == logging.NOTSET  # capture_decisions restored it
