"""Events never carry a customer's secrets unless the host asks for raw text."""

from __future__ import annotations

import logging
import traceback

import pytest

from escalate import Escalator
from escalate.audit import AuditTrail, Redactor
from escalate.exceptions import InvalidInputError
from escalate.testing import capture_events

BOT_WITH_EMAIL = "Please confirm the e-mail jane.doe@example.com so I can send the reset link."
SECRET = "jane.doe@example.com"


def _loop(escalator: Escalator) -> None:
    for _ in range(3):
        escalator.evaluate("c", {"role": "user", "text": "I still cannot log in"})
        escalator.evaluate("c", {"role": "bot", "text": BOT_WITH_EMAIL})


def _boom(self, view, state):
    raise ValueError(f"cannot read {view.text.raw}")


def test_decision_events_are_redacted_without_an_audit_trail() -> None:
    with capture_events() as events:
        _loop(Escalator())
    decisions = [event for event in events if event["event"] == "escalate.decision"]
    quotes = [
        item["text"]
        for event in decisions
        for reason in event["reasons"]
        for item in reason["evidence"]
        if item["kind"] == "bot_repeat"
    ]
    assert quotes
    assert all(SECRET not in quote and "[EMAIL]" in quote for quote in quotes)


def test_outcome_notes_are_redacted() -> None:
    escalator = Escalator()
    escalator.evaluate("c", {"role": "user", "text": "I want a human"})
    with capture_events() as events:
        escalator.record_outcome("c", "handed_off", f"call back on +44 20 7946 0958, {SECRET}")
    (event,) = [event for event in events if event["event"] == "escalate.outcome"]
    assert event["note"] == "call back on [PHONE], [EMAIL]"


def test_engine_error_messages_are_redacted_and_keep_type_and_frames(monkeypatch) -> None:
    escalator = Escalator()
    monkeypatch.setattr(type(escalator.detectors[0]), "observe", _boom)
    with capture_events() as events:
        escalator.evaluate("c", {"role": "user", "text": f"write to {SECRET}"})
    (event,) = [event for event in events if event["event"] == "escalate.engine_error"]
    exc = event["exc_info"]
    assert isinstance(exc, ValueError)
    assert str(exc) == "cannot read write to [EMAIL]"
    rendered = "".join(traceback.format_exception(exc))
    assert "_boom" in rendered  # the frame where it was raised
    assert SECRET not in rendered


def test_the_trails_redactor_is_used_when_there_is_one(tmp_path) -> None:
    from escalate.audit import JsonlSink

    redactor = Redactor(extra_patterns={"ticket": r"TKT-[0-9]+"})
    with AuditTrail(JsonlSink(tmp_path / "a.jsonl"), redactor=redactor) as trail:
        escalator = Escalator(audit=trail)
        escalator.evaluate("c", {"role": "user", "text": "I want a human"})
        with capture_events() as events:
            escalator.record_outcome("c", "handed_off", "see TKT-1234")
    assert events[-1]["note"] == "see [TICKET]"


def test_raw_text_is_kept_when_the_host_asks() -> None:
    with capture_events() as events:
        escalator = Escalator(event_text="raw")
        _loop(escalator)
        escalator.record_outcome("c", "handed_off", SECRET)
    assert any(SECRET in str(event.get("reasons")) for event in events)
    assert events[-1]["note"] == SECRET


def test_an_unknown_event_text_mode_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="event_text must be one of 'redacted', 'raw'"):
        Escalator(event_text="plain")


def test_exceptions_that_cannot_be_rebuilt_keep_their_type_name() -> None:
    from escalate.events import redacted_exception

    try:
        b"\xff".decode()
    except UnicodeDecodeError as error:
        copy = redacted_exception(error, str.upper)
    assert isinstance(copy, RuntimeError)
    assert str(copy).startswith("UnicodeDecodeError: ")
    assert copy.__traceback__ is not None
    logging.getLogger("escalate").debug("kept", exc_info=copy)  # renders without error
