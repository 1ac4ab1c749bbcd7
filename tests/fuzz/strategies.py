"""Hypothesis strategies for outside input: JSON values, transcript lines, policy documents."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
)
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
ROLES = st.sampled_from(["user", "bot", "agent", "system", "customer", "", "USER"])
TURN_KEYS = ("conversation_id", "role", "text", "ts", "meta")


@st.composite
def transcript_objects(draw: st.DrawFn) -> dict[str, Any]:
    """A turn object, mostly well-formed, with any field replaced by any value now and then."""
    line: dict[str, Any] = {
        "conversation_id": draw(st.text(min_size=1, max_size=20)),
        "role": draw(ROLES),
        "text": draw(st.text(max_size=80)),
    }
    for key in draw(st.lists(st.sampled_from(TURN_KEYS), max_size=3)):
        line[key] = draw(JSON_VALUES)
    return line


def transcript_line_bytes() -> st.SearchStrategy[bytes]:
    """One line as bytes: a turn object, any JSON, or any bytes at all."""
    as_json = transcript_objects().map(lambda obj: json.dumps(obj).encode())
    return (
        as_json | JSON_VALUES.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=60)
    )


POLICY_FIELDS = st.sampled_from(
    [
        "extends", "name", "version", "description", "signals", "cooldown", "opt_out",
        "sticky_handoff", "fail_safe", "max_text_chars", "rules", "routes", "hours", "messages",
    ]
)  # fmt: skip
SIGNALS = st.sampled_from(["stress", "human_request", "loop", "stres", "effort"])


@st.composite
def policy_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A policy mapping: real field names with any values, often extending the default."""
    document: dict[str, Any] = {}
    if draw(st.booleans()):
        document["extends"] = "default"
    for field in draw(st.lists(POLICY_FIELDS, max_size=4)):
        document[field] = draw(JSON_VALUES)
    if draw(st.booleans()):
        document["signals"] = {
            draw(SIGNALS): {
                draw(st.sampled_from(["offer", "handoff", "release", "reason"])): draw(JSON_VALUES)
            }
        }
    if draw(st.booleans()):
        document["rules"] = [
            {"id": draw(st.text(max_size=5)), "when": draw(JSON_VALUES), "action": "handoff"}
        ]
    return document
