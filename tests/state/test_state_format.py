"""The stored state: what the previous release wrote loads, and every state round-trips.

``tests/fixtures/state/*-v1.json`` were written by the release before memories were kept by
detector name (schema 1), from the conversations in ``busy`` and ``shop`` below.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from escalate.core import (
    SCHEMA_VERSION,
    Action,
    ConversationState,
    DissatisfactionMemory,
    EffortMemory,
    EscalationMemory,
    Evidence,
    FrictionMemory,
    HandoffMemory,
    HumanRequestMemory,
    LoopMemory,
    Reason,
    ReasonCode,
    RecentTurn,
    SecurityMemory,
    SensitiveMemory,
    StressMemory,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "state"

# Schema 1's top-level fields: the detector each memory belonged to, and its type.
V1_MEMORIES: dict[str, tuple[str, type]] = {
    "stress": ("stress", StressMemory),
    "loop": ("loop", LoopMemory),
    "security": ("security_dead_end", SecurityMemory),
    "sensitive": ("sensitive_topic", SensitiveMemory),
    "human": ("human_request", HumanRequestMemory),
    "effort": ("effort", EffortMemory),
    "dissatisfaction": ("dissatisfaction", DissatisfactionMemory),
    "friction": ("friction", FrictionMemory),
}


def _json(value: object) -> Any:
    return TypeAdapter(type(value)).dump_python(value, mode="json")


def _as_v1(state: ConversationState) -> dict[str, Any]:
    """The state in schema 1's shape, every memory written out (absent ones as defaults)."""
    stored = json.loads(state.to_json())
    v1 = {key: value for key, value in stored.items() if key not in {"memories", "extra"}}
    v1["schema_version"] = 1
    for field, (detector, kind) in V1_MEMORIES.items():
        v1[field] = _json(state.memory(detector, kind))
    v1["extra"] = dict(state.extra)
    return v1


@pytest.mark.parametrize("name", ["busy-v1.json", "shop-v1.json"])
def test_a_state_written_by_the_previous_release_loads_whole(name: str) -> None:
    written = (FIXTURES / name).read_bytes()
    state = ConversationState.from_json(written)
    # Every field of schema 1 reads back as it was written: nothing lost, nothing changed.
    assert _as_v1(state) == json.loads(written)
    # And it is written in the current schema, from which it loads the same again.
    again = ConversationState.from_json(state.to_json())
    assert again == state
    assert json.loads(again.to_json())["schema_version"] == SCHEMA_VERSION


def test_the_v1_fixture_keeps_what_the_detectors_and_the_policy_remembered() -> None:
    state = ConversationState.from_json((FIXTURES / "busy-v1.json").read_bytes())
    assert state.human.requests == 1
    assert state.friction.retention_replies == 1
    assert state.security.step == "code"
    assert state.loop.bot_texts[-1] == "sorry didn t understand rephrase"
    assert state.escalation.last_action is Action.HANDOFF
    assert state.escalation.declines == 1
    assert state.handoff.goal is not None
    assert state.extra == {"vip_turns": 2}
    shop = ConversationState.from_json((FIXTURES / "shop-v1.json").read_bytes())
    assert shop.escalation.meta == {"tier": "gold"}
    assert shop.escalation.windows
    assert shop.first_ts is not None


def test_memories_at_their_default_are_not_stored() -> None:
    state = ConversationState("c")
    state.memory("friction", FrictionMemory)
    state.memory("stress", StressMemory).level = 0.5
    stored = json.loads(state.to_json())
    assert set(stored["memories"]) == {"stress"}
    assert ConversationState.from_json(state.to_json()) == state


# --- the round trip, on arbitrary states ---

_text = st.text(max_size=30)
_level = st.floats(0.0, 1.0, allow_nan=False)
_count = st.integers(0, 10_000)
_evidence = st.builds(
    Evidence,
    kind=st.text(min_size=1, max_size=12),
    text=_text,
    turn_index=_count,
    span=st.none() | st.tuples(_count, _count),
)
_evidences = st.lists(_evidence, max_size=3).map(tuple)
_flags = st.lists(st.booleans(), max_size=4).map(tuple)
_texts = st.lists(_text, max_size=4).map(tuple)
_levels = st.dictionaries(st.text(max_size=12), _level, max_size=4)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _text | _level,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)

_MEMORIES = {
    "stress": st.builds(
        StressMemory, _level, _level, st.lists(_level, max_size=3).map(tuple), _evidences
    ),
    "loop": st.builds(
        LoopMemory, _texts, _flags, _count, _texts, _flags, _flags, _level, _evidences
    ),
    "security_dead_end": st.builds(
        SecurityMemory,
        st.none() | st.sampled_from(["code", "link", "identity_check"]),
        _count,
        st.booleans(),
        _text,
        _count,
        _count,
        st.booleans(),
        st.booleans(),
        st.booleans(),
        _count,
        _level,
        _evidences,
    ),
    "sensitive_topic": st.builds(SensitiveMemory, _level, _evidences),
    "human_request": st.builds(HumanRequestMemory, _level, _count, _evidences),
    "effort": st.builds(EffortMemory, _count, _level),
    "dissatisfaction": st.builds(
        DissatisfactionMemory, _level, st.booleans(), st.booleans(), _flags, _evidences
    ),
    "friction": st.builds(FrictionMemory, st.booleans(), _count, _count, _level, _evidences),
}
_reason = st.builds(
    Reason, code=st.sampled_from(list(ReasonCode)), score=_level, evidence=_evidences
)
_escalation = st.builds(
    EscalationMemory,
    st.sampled_from(list(Action)),
    st.lists(st.sampled_from([c.value for c in ReasonCode]), max_size=3).map(tuple),
    st.booleans(),
    st.none() | _count,
    _levels,
    _count,
    st.none() | _count,
    st.booleans(),
    st.lists(_reason, max_size=3).map(tuple),
    st.none() | _text,
    _levels,
    st.dictionaries(st.text(max_size=12), _count, max_size=3),
    st.dictionaries(st.text(max_size=12), _json_values, max_size=3),
)
_handoff = st.builds(
    HandoffMemory,
    st.none() | _text,
    st.none() | _count,
    st.lists(
        st.builds(
            RecentTurn,
            st.sampled_from(["user", "bot", "agent"]),
            _text,
            _count,
            st.none() | st.floats(0, 2e9, allow_nan=False),
        ),
        max_size=6,
    ).map(tuple),
)


@st.composite
def states(draw: st.DrawFn) -> ConversationState:
    state = ConversationState(
        draw(st.text(min_size=1, max_size=20)),
        turns=draw(_count),
        user_turns=draw(_count),
        first_ts=draw(st.none() | st.floats(0, 2e9, allow_nan=False)),
        last_ts=draw(st.none() | st.floats(0, 2e9, allow_nan=False)),
        escalation=draw(_escalation),
        handoff=draw(_handoff),
    )
    for name in draw(st.lists(st.sampled_from(sorted(_MEMORIES)), unique=True)):
        state.memories[name] = draw(_MEMORIES[name])
    for key, value in draw(st.dictionaries(_text, _json_values, max_size=2)).items():
        state.extra[key] = value
    return state


@settings(max_examples=150, deadline=None)
@given(states())
def test_every_state_round_trips_through_json(state: ConversationState) -> None:
    restored = ConversationState.from_json(state.to_json())
    assert restored == state
    assert restored.to_json() == state.to_json()
    # Each memory reads back as the type its detector declares, equal to what was written.
    for name, memory in state.memories.items():
        assert restored.memory(name, type(memory)) == memory
    assert restored.escalation == state.escalation
    assert restored.handoff == state.handoff


# --- hostile input ---


@pytest.mark.parametrize(
    ("data", "where", "expected"),
    [
        (b'{"conversation_id": 5}', ("conversation_id",), "string"),
        (b'{"conversation_id": "c", "turns": "many"}', ("turns",), "integer"),
        (b'{"conversation_id": "c", "memories": []}', ("memories",), "object"),
        (b'{"conversation_id": "c", "memories": {"loop": 3}}', ("memories", "loop"), "object"),
        (
            b'{"conversation_id": "c", "escalation": {"last_action": "dance"}}',
            ("escalation", "last_action"),
            "'continue'",
        ),
        (
            b'{"conversation_id": "c", "handoff": {"recent": [{"role": "user"}]}}',
            ("handoff", "recent", 0, "text"),
            "required",
        ),
        (b'{"conversation_id": "c", "stress": "high"}', ("stress",), "object"),
        (b"[1, 2]", (), "object"),
        (b'{"conversation_id": "c"', (), "EOF|json"),
    ],
)
def test_a_foreign_state_is_refused_naming_the_field_and_what_it_expected(
    data: bytes, where: tuple[object, ...], expected: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        ConversationState.from_json(data)
    assert raised.value.title == "ConversationState"
    problem = raised.value.errors()[0]
    assert tuple(problem["loc"]) == where
    assert any(word in problem["msg"] for word in expected.split("|")), problem["msg"]


def test_a_stored_memory_that_does_not_fit_is_logged_and_started_afresh(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = ConversationState.from_json(
        b'{"conversation_id": "c", "memories": {"loop": {"level": 0.5, "bot_texts": 7}}}'
    )
    with caplog.at_level(logging.WARNING, logger="escalate"):
        memory = state.memory("loop", LoopMemory)
    assert memory == LoopMemory()
    assert "memories.loop.bot_texts" in caplog.text
    assert "c" in caplog.text


_hostile = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_fields = st.sampled_from(
    [
        "turns",
        "first_ts",
        "escalation",
        "handoff",
        "memories",
        "extra",
        "stress",
        "loop",
        "security",
        "human",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_fields, _hostile, max_size=4))
def test_hostile_json_loads_or_is_refused_and_never_breaks_a_detector(
    fields: dict[str, Any],
) -> None:
    data = json.dumps({"conversation_id": "c", **fields})
    try:
        state = ConversationState.from_json(data)
    except ValidationError as error:
        # Every problem names where it is, within the fields given.
        for problem in error.errors():
            assert problem["loc"], problem
            assert problem["loc"][0] in fields, problem
        return
    # What loads is usable: every built-in memory reads as its type (a misfit starts afresh),
    # and the state serialises and loads again.
    logging.disable(logging.WARNING)
    try:
        for detector, kind in V1_MEMORIES.values():
            assert isinstance(state.memory(detector, kind), kind)
    finally:
        logging.disable(logging.NOTSET)
    assert ConversationState.from_json(state.to_json()) == state
