"""Fuzzing the engine's entry point with hostile turns (issue 18): never an error, never a
decision whose size grows with the text."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import Escalator, ReasonCode
from escalate.core._bounds import EVIDENCE_PER_REASON, EVIDENCE_TEXT_CHARS

# Pieces that stress the scanner, the scorers and the redactor: lexicon hits, lone surrogates,
# control and bidi characters, emoji, shouting and long runs.
PIECES = st.sampled_from(
    [
        "😡", "!!!", "???", "\ud800", "\x00", "\x1b[31m", "\u202e", "NOW", "TWICE",
        "talk to a person", "useless bot", "this is theft", "lol", "my card payment",
        "code never arrives", "I never made this payment", "f***", "a" * 300, " ", "\n",
    ]
)  # fmt: skip
hostile_texts = st.lists(PIECES | st.text(max_size=20), max_size=60).map("".join)
roles = st.sampled_from(["user", "bot", "agent", "system"])
turns = st.lists(st.tuples(roles, hostile_texts), min_size=1, max_size=6)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns)
def test_hostile_turns_get_bounded_decisions_and_no_engine_error(
    conversation: list[tuple[str, str]],
) -> None:
    esc = Escalator()
    for role, text in conversation:
        decision = esc.evaluate("fuzz", {"role": role, "text": text})
        assert ReasonCode.ENGINE_ERROR not in decision.reason_codes
        assert all(0.0 <= level <= 1.0 for level in decision.signals.values())
        for reason in (*decision.reasons, *decision.suppressed):
            assert len(reason.evidence) <= EVIDENCE_PER_REASON
            assert all(len(item.text) <= EVIDENCE_TEXT_CHARS for item in reason.evidence)
        json.loads(decision.model_dump_json())  # serialisable, surrogates and all


def test_a_request_for_a_person_survives_a_flood_of_anger() -> None:
    text = "😡" * 3000 + " I want to talk to a person \ud800 " + "!!!" * 500
    decision = Escalator().evaluate("flood", {"role": "user", "text": text})
    assert ReasonCode.HUMAN_REQUESTED in decision.reason_codes
    assert ReasonCode.ENGINE_ERROR not in decision.reason_codes


@given(
    st.text(alphabet=st.characters(categories=["Cs", "Ll", "Zs"]), max_size=40),
    st.sampled_from(["my card payment ", "I want to talk to a person ", ""]),
)
def test_lone_surrogates_read_as_replacement_characters_and_keep_every_span(
    noise: str, words: str
) -> None:
    text = words + noise
    decision = Escalator().evaluate("surrogates", {"role": "user", "text": text})
    json.loads(decision.model_dump_json())  # evidence quoting the text encodes as UTF-8
    for reason in decision.reasons:
        for item in reason.evidence:
            # One character for one: spans still point into the customer's text.
            assert item.span is None or 0 <= item.span[0] <= item.span[1] <= len(text)
