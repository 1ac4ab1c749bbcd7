"""What a record holds, and what it must never hold."""

from __future__ import annotations

import json
import string
from datetime import datetime

import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import Decision, Escalator, load_policy
from escalate.audit import AuditTrail, JsonlSink, Redactor, TextMode, read_trail
from escalate.events import library_version
from escalate.signals import TRUST_SIGNALS, default_detectors


class ListSink:
    def __init__(self) -> None:
        self.bodies: list[dict] = []

    def append(self, bodies):
        self.bodies.extend(json.loads(record.fields) for record in bodies)

    def close(self):
        pass


def record_turns(turns, **trail_options):
    sink = ListSink()
    with AuditTrail(sink, **trail_options) as trail:
        esc = Escalator(audit=trail)
        decisions = [esc.evaluate("conv-1", turn) for turn in turns]
    return sink.bodies, decisions


def test_decision_record_fields():
    (record,), (decision,) = record_turns(
        [{"role": "user", "text": "I want a human", "meta": {"channel": "web"}}]
    )
    assert record["kind"] == "decision"
    assert record["conversation_id"] == "conv-1"
    assert record["turn_index"] == 0
    assert datetime.fromisoformat(record["at"]) == decision.created_at
    assert Decision.model_validate(record["decision"]) == decision  # round-trips
    assert record["turn"] == {
        "role": "user",
        "text": "I want a human",
        "ts": None,
        "meta": {"channel": "web"},
    }
    inputs = record["inputs"]
    assert set(inputs["readings"]) == set(decision.signals)
    human = inputs["readings"]["human_request"]
    assert round(human["score"], 4) == decision.signals["human_request"]
    assert human["evidence"][0] == ["direct_request", 0]
    assert (inputs["turns"], inputs["user_turns"]) == (1, 1)
    trace = record["trace"]
    # The trace weighs the signals the policy has thresholds for: not the trust signals.
    assert {s["name"] for s in trace["signals"]} == set(load_policy().signals)
    assert set(decision.signals) - set(load_policy().signals) == set(TRUST_SIGNALS)
    reached = {s["name"]: s["reached"] for s in trace["signals"]}
    assert reached["human_request"] == "handoff"


def test_header_and_records_name_the_library_version(tmp_path):
    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path)) as trail:
        Escalator(audit=trail).evaluate("c", {"role": "user", "text": "hi"})
    header, decision = (record.data for record in read_trail([path]))
    assert header["library_version"] == library_version()
    assert decision["library_version"] == library_version()


def test_rule_trace_is_recorded():
    sink = ListSink()
    policy = {
        "extends": "default",
        "name": "vip",
        "version": "1",
        "rules": [
            {
                "id": "vip-offer",
                "when": {"meta": "tier", "equals": "gold"},
                "action": "offer_human",
                "reason": "high_effort",
            }
        ],
    }
    with AuditTrail(sink) as trail:
        Escalator(policy, audit=trail).evaluate(
            "c", {"role": "user", "text": "hello", "meta": {"tier": "gold"}}
        )
    (rule,) = sink.bodies[0]["trace"]["rules"]
    assert rule == {
        "id": "vip-offer",
        "action": "offer_human",
        "reason": "high_effort",
        "matched": True,
        "distance": 0.0,
    }
    assert sink.bodies[0]["decision"]["reasons"][0]["rule"] == "vip-offer"


def test_fail_safe_decisions_are_recorded_without_inputs():
    class Broken:
        name = "broken"

        def observe(self, turn, state):
            raise RuntimeError("detector bug")

    sink = ListSink()
    with AuditTrail(sink) as trail:
        esc = Escalator(detectors=[*default_detectors(), Broken()], audit=trail)
        decision = esc.evaluate("c", {"role": "user", "text": "hi"})
    (record,) = sink.bodies
    assert record["decision"]["reasons"] or record["decision"]["suppressed"]
    assert record["decision"]["decision_id"] == decision.decision_id
    assert record["inputs"] is None
    assert record["trace"] is None


def test_outcome_record():
    sink = ListSink()
    with AuditTrail(sink) as trail:
        esc = Escalator(audit=trail)
        esc.evaluate("c", {"role": "user", "text": "hi"})
        esc.evaluate("c", {"role": "user", "text": "hi again"})
        esc.record_outcome("c", "offer_declined", note="call me on 07700 900123")
    outcome = sink.bodies[-1]
    assert outcome["kind"] == "outcome"
    assert outcome["outcome"] == "offer_declined"
    assert outcome["user_turns"] == 2
    assert "900123" not in outcome["note"]


SECRET_TURN = (
    "my email is jane.doe@example.com and the code 482913 never arrives;"
    " my password is Hunter2!x and card 4111 1111 1111 1111"
)
SECRETS = ("jane.doe@example.com", "482913", "Hunter2!x", "4111 1111 1111 1111")


def test_text_is_redacted_everywhere_in_the_record():
    bodies, _ = record_turns([{"role": "user", "text": SECRET_TURN, "meta": {"email": "a@b.io"}}])
    written = str(bodies)
    for secret in (*SECRETS, "a@b.io"):
        assert secret not in written
    assert "[EMAIL]" in bodies[0]["turn"]["text"]
    assert bodies[0]["turn"]["meta"] == {"email": "[EMAIL]"}


def test_keyed_tokens_correlate_without_revealing():
    redactor = Redactor(key="k")
    bodies, _ = record_turns(
        [
            {"role": "user", "text": "reach me at jane@example.com"},
            {"role": "user", "text": "I said JANE@example.com !!"},
        ],
        redactor=redactor,
    )
    first, second = (body["turn"]["text"] for body in bodies)
    token = first.split()[-1]
    assert token.startswith("[EMAIL:")
    assert token in second
    assert "jane" not in first.lower()


def test_no_text_mode_keeps_signals_and_spans_only():
    bodies, decisions = record_turns(
        [{"role": "user", "text": "I want a human, this is useless"}], text=TextMode.NONE
    )
    (record,) = bodies
    assert record["turn"]["text"] is None
    evidence = record["decision"]["reasons"][0]["evidence"][0]
    assert evidence["text"] == ""
    assert evidence["span"] is not None
    assert "useless" not in str(record)
    assert record["decision"]["signals"] == decisions[0].signals


def test_decision_events_are_redacted_when_auditing():
    with structlog.testing.capture_logs() as events, AuditTrail(ListSink()) as trail:
        Escalator(audit=trail, logger=structlog.get_logger()).evaluate(
            "c", {"role": "user", "text": "my code is 482913 and it never arrives"}
        )
    (event,) = [e for e in events if e["event"] == "escalate.decision"]
    assert "482913" not in str(event)
    assert event["conversation_id"] == "c"


safe_words = st.text(alphabet=string.ascii_letters + " ", min_size=0, max_size=30)


@st.composite
def luhn_cards(draw):
    digits = draw(st.lists(st.integers(0, 9), min_size=15, max_size=15))
    digits = [4, *digits[1:]]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        value = digit * 2 if i % 2 == 0 else digit
        total += value - 9 if value > 9 else value
    return "".join(map(str, [*digits, (10 - total % 10) % 10]))


secrets = st.one_of(
    st.builds(
        lambda user, host: f"{user}@{host}.com",
        st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=10),
        st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=10),
    ),
    st.integers(100_000, 999_999).map(str),
    luhn_cards(),
    st.text(alphabet=string.ascii_letters + string.digits + "!#%", min_size=8, max_size=16).map(
        lambda s: f"pw{s}9"
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=safe_words, secret=secrets, after=safe_words, use_key=st.booleans())
def test_a_generated_secret_never_reaches_the_file(
    tmp_path_factory, before, secret, after, use_key
):
    """Property: through the engine and the writer to the bytes on disk, no secret survives."""
    intro = "my password is " if secret.startswith("pw") else "here: "
    text = f"{before} {intro}{secret} , {after}"
    path = tmp_path_factory.mktemp("secret") / "audit.jsonl"
    redactor = Redactor(key="k" if use_key else None)
    with AuditTrail(JsonlSink(path), redactor=redactor) as trail:
        esc = Escalator(audit=trail)
        esc.evaluate("c", {"role": "user", "text": text, "meta": {"note": text}})
        esc.evaluate("c", {"role": "user", "text": f"again: {text}"})
        esc.record_outcome("c", "offer_declined", note=text)
    assert secret not in path.read_text()
