"""A signal is declared once, on its detector: every other list of signals derives from it.

Each test fails when a signal, an evidence kind or a detector memory is added in one place and
not registered: the policy, the insight tables, the evidence kinds a policy may name and the
memories forgotten when a person hands the conversation back to the bot.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from functools import partial
from pathlib import Path

import pytest

import escalate.signals
from escalate import Escalator, InMemoryStore, Turn, load_policy
from escalate.exceptions import InvalidInputError
from escalate.insights import SIGNAL_COLUMNS, TABLES, TRUST_SIGNALS
from escalate.signals import (
    BUNDLED_LEXICONS,
    REGISTERED,
    TrustDetector,
    detector_memories,
    evidence_kinds,
    lexicons_read,
    signal_names,
)
from escalate.state import ConversationState
from escalate.testing import quiet_logger

SIGNALS_DIR = Path(escalate.signals.__file__).parent


def _detector_class(build: object) -> type:
    cls = build.func if isinstance(build, partial) else build
    assert isinstance(cls, type)
    return cls


def _kinds_written_in(path: Path) -> set[str]:
    """The string literals ``path`` passes as the kind of ``evidence(kind, ...)``."""
    tree = ast.parse(path.read_text("utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "evidence"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def test_the_default_policy_decides_on_every_registered_signal_but_the_trust_ones() -> None:
    decided = set(load_policy().signals)
    assert decided | set(TRUST_SIGNALS) == set(signal_names())
    assert not decided & set(TRUST_SIGNALS)


def test_signal_names_are_unique_and_in_the_order_detectors_run() -> None:
    names = signal_names()
    assert len(set(names)) == len(names)
    assert [detector.name for detector in escalate.signals.default_detectors()] == list(names)
    assert names[-len(TrustDetector.signals) :] == TrustDetector.signals


def test_a_decision_reports_every_registered_signal_in_order() -> None:
    esc = Escalator(logger=quiet_logger())
    decision = esc.evaluate("c", {"role": "user", "text": "I want to talk to a person"})
    assert tuple(decision.signals) == signal_names()


def test_the_insight_tables_have_a_column_per_registered_signal() -> None:
    assert signal_names() == SIGNAL_COLUMNS
    assert TrustDetector.signals == TRUST_SIGNALS
    columns = [name for name, _ in TABLES["turns"]]
    start = columns.index(SIGNAL_COLUMNS[0])
    assert tuple(columns[start : start + len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS


def test_every_kind_written_in_code_is_declared_by_its_module_detectors() -> None:
    declared: dict[str, set[str]] = {}
    for registration in REGISTERED:
        module = _detector_class(registration.build).__module__
        declared.setdefault(module, set()).update(registration.kinds_written)
    for path in sorted(SIGNALS_DIR.glob("*.py")):
        module = f"escalate.signals.{path.stem}"
        written = _kinds_written_in(path)
        assert written <= declared.get(module, set()), f"{module} writes undeclared kinds"


def test_declared_kinds_are_written_and_can_be_named_by_a_policy() -> None:
    written_anywhere = set().union(*(_kinds_written_in(p) for p in SIGNALS_DIR.glob("*.py")))
    for registration in REGISTERED:
        assert registration.kinds_written <= evidence_kinds()
        if registration.name not in TRUST_SIGNALS:
            # Trust writes its signal names and "resolved" through variables, not literals.
            stale = registration.kinds_written - written_anywhere
            assert not stale, f"{registration.name} declares kinds it never writes: {stale}"


def test_the_scan_sees_an_undeclared_kind(tmp_path: Path) -> None:
    # The AST scan above must see a literal kind, or the test proves nothing.
    stray = tmp_path / "stray.py"
    stray.write_text('found.append(evidence("brand_new_kind", text, 3))\n', "utf-8")
    assert _kinds_written_in(stray) == {"brand_new_kind"}


def test_every_detector_class_in_the_package_is_registered() -> None:
    registered = {_detector_class(registration.build) for registration in REGISTERED}
    for path in SIGNALS_DIR.glob("[!_]*.py"):
        module = importlib.import_module(f"escalate.signals.{path.stem}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if name.endswith("Detector") and cls.__module__ == module.__name__:
                assert cls in registered, f"{name} is not in REGISTERED"


def test_the_state_keeps_registered_memories_only_by_detector_name() -> None:
    esc = Escalator(logger=quiet_logger())
    for text in ("THIS IS USELESS!!!", "I lost my phone, I can't get the code", "a person please"):
        esc.evaluate("c", {"role": "bot", "text": "Please enter the code we sent you."})
        esc.evaluate("c", {"role": "user", "text": text})
    state = esc.state("c")
    assert state is not None
    declared = detector_memories()
    assert set(declared) == {r.name for r in REGISTERED if r.memory is not None}
    assert state.memories
    for name, memory in state.memories.items():
        assert type(memory) is declared[name], name


def test_every_memory_type_has_defaults_and_round_trips() -> None:
    for name, kind in detector_memories().items():
        assert dataclasses.is_dataclass(kind), name
        state = ConversationState("c")
        state.memory(name, kind)
        assert ConversationState.from_json(state.to_json()) == state


def test_returning_to_the_bot_forgets_every_registered_memory() -> None:
    store = InMemoryStore()
    esc = Escalator(store=store, logger=quiet_logger())
    for text in ("THIS IS USELESS!!!", "I lost my phone, I can't get the code", "a person please"):
        esc.evaluate("c", {"role": "bot", "text": "Please enter the code we sent you."})
        esc.evaluate("c", {"role": "user", "text": text})
    before = store.get("c")
    assert before is not None
    fresh = ConversationState("c")
    assert any(
        before.memory(name, kind) != fresh.memory(name, kind)
        for name, kind in detector_memories().items()
    )

    esc.record_outcome("c", "returned_to_bot")

    after = store.get("c")
    assert after is not None
    assert after.memories == {}
    assert after.extra == {}
    assert after.user_turns == before.user_turns
    assert after.handoff == before.handoff  # the notes for a person are not a detector's


def test_two_detectors_of_one_signal_are_refused() -> None:
    twice = [registration.build() for registration in REGISTERED[:1] * 2]
    with pytest.raises(
        InvalidInputError, match=r"^two detectors produce the same signal: human_request$"
    ) as raised:
        escalate.signals.detector_set(twice)
    assert isinstance(raised.value, ValueError)  # what it raised before the error tree


def test_reading_memories_never_changes_the_shared_defaults() -> None:
    # Detectors read a memory they have not written yet with ``peek``, which hands out one
    # default shared by every conversation: a detector writing to it would leak into all.
    esc = Escalator(logger=quiet_logger())
    busy = [
        ("bot", "Please enter the code we sent you."),
        ("user", "I lost my phone, I can't get the code"),
        ("bot", "Before you go, we can offer you 50% off!"),
        ("user", "no, cancel my subscription, I said cancel"),
        ("bot", "Is there anything else I can help with?"),
        ("user", "THIS IS USELESS!!! let me talk to a person"),
        ("bot", "Would you like me to connect you with a person?"),
        ("user", "no thanks"),
    ]
    for number in range(3):
        for role, text in busy[number:]:
            esc.evaluate(f"c-{number}", {"role": role, "text": text})
        esc.handoff_context(esc.evaluate(f"c-{number}", {"role": "user", "text": "a human"}))
    for name, kind in detector_memories().items():
        assert ConversationState("fresh").peek(name, kind) == kind(), name


def test_every_bundled_lexicon_is_read_by_a_registered_detector() -> None:
    assert lexicons_read() == set(BUNDLED_LEXICONS)


def test_detectors_read_only_the_lexicons_they_declare(monkeypatch: pytest.MonkeyPatch) -> None:
    read: dict[str, set[str]] = {}
    for registration in REGISTERED:
        module = importlib.import_module(_detector_class(registration.build).__module__)
        real = getattr(module, "lexicon_matches", None)
        if real is None:  # a detector that imports no lexicon reader reads none
            assert registration.lexicons == frozenset(), registration.name
            continue

        def spy(turn: object, lexicon: str, *, _name: str = module.__name__, _real=real):  # type: ignore[no-untyped-def]
            read.setdefault(_name, set()).add(lexicon)
            return _real(turn, lexicon)

        monkeypatch.setattr(module, "lexicon_matches", spy)
    esc = Escalator(logger=quiet_logger())
    turns = [
        ("user", "I want to cancel, this is ridiculous, are you sure?"),
        ("bot", "Unfortunately I can't find that. Please enter the code we sent."),
        ("user", "the code never arrives and I lost my phone, let me talk to a person"),
        ("bot", "Before you go, here is 20% off your next month."),
        ("user", "no, I said cancel. is my data safe? I don't trust this"),
    ]
    for role, text in turns:
        esc.evaluate("c-lexicons", Turn(role=role, text=text))
    declared = {_detector_class(r.build).__module__: set(r.lexicons) for r in REGISTERED}
    assert read, "no detector read a lexicon"
    for module, lexicons in read.items():
        assert lexicons <= declared[module], module
