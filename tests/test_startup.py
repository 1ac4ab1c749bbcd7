"""What a process loads to decide its first turn: only what the decision needs."""

from __future__ import annotations

import subprocess
import sys

_FIRST_DECISION = """
import sys
from escalate import Escalator, Turn
Escalator().evaluate("c", Turn(role="user", text="I was charged twice, this is ridiculous"))
print(sorted(name for name in ("escalate.audit", "asyncio") if name in sys.modules))
"""


def test_a_first_decision_with_logging_off_leaves_the_audit_package_unloaded() -> None:
    # The default event redactor is built when an event is first written; with the standard
    # library's logging at its default level, none is.
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_DECISION], check=True, capture_output=True, text=True
    )
    assert done.stdout.strip() == "[]"


def test_an_event_written_loads_the_redactor_and_redacts() -> None:
    code = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
from escalate import Escalator, Turn
Escalator().evaluate("c", Turn(role="user", text="the code 482913 never came"))
print("escalate.audit" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stdout.strip().endswith("True")
    assert "never came" in done.stdout  # the evidence is in the event, its code is not
    assert "482913" not in done.stdout
