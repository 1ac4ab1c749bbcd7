"""Replay: the recorded readings, decided again under another policy, exactly."""

from __future__ import annotations

import hashlib

import pytest

from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink, TextMode, read_trail, replay
from escalate.exceptions import AuditError, PolicyError
from escalate.models import Action

# Each step: a conversation id, who speaks (or "outcome" for one the host reports), the text.
SCRIPT = [
    ("angry", "user", "This is the third time I'm asking, where is my refund?"),
    ("angry", "bot", "I'm sorry, I didn't understand that."),
    ("angry", "user", "Are you kidding me? This is useless, absolutely useless!!"),
    ("angry", "bot", "I'm sorry, I didn't understand that."),
    ("angry", "user", "WHERE IS MY REFUND"),
    ("asks", "user", "can I talk to a real person please"),
    ("asks", "outcome", "handed_off"),
    ("asks", "agent", "Hi, this is Sam, how can I help?"),
    ("asks", "outcome", "returned_to_bot"),
    ("asks", "user", "thanks, all sorted"),
    ("device", "user", "I lost my phone and can't get the 2FA code"),
    ("device", "bot", "Please enter the code we sent to your phone."),
    ("device", "user", "I told you I lost the phone, I can't log in at all"),
    ("declines", "user", "this is so frustrating, nothing works"),
    ("declines", "bot", "Would you like to talk to a person?"),
    ("declines", "user", "no thanks, I'll keep trying"),
    ("declines", "outcome", "offer_declined"),
    ("declines", "user", "ok it still doesn't work and I'm annoyed"),
    ("declines", "outcome", "ended"),
    ("declines", "user", "hello again, new question about my bill"),
    ("routine", "user", "what are your opening hours?"),
    ("routine", "bot", "We're open 9 to 5."),
    ("routine", "user", "great, thanks"),
]

STRICT = {
    "extends": "default",
    "name": "strict",
    "version": "2",
    "signals": {
        "human_request": {"offer": 0.5, "handoff": 0.99},
        "stress": {"offer": 0.95, "handoff": 0.99},
    },
}
EAGER = {
    "extends": "default",
    "name": "eager",
    "version": "3",
    "signals": {"stress": {"offer": 0.2, "handoff": 0.4, "release": 0.15}},
}


def play(esc: Escalator):
    decisions = []
    for conversation, role, text in SCRIPT:
        if role == "outcome":
            esc.record_outcome(conversation, text)
        else:
            decisions.append(esc.evaluate(conversation, {"role": role, "text": text}))
    return decisions


@pytest.fixture
def recorded(tmp_path):
    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path)) as trail:
        play(Escalator(audit=trail))
    return path


def test_the_recording_policy_changes_nothing(recorded):
    report = replay([recorded], None)
    assert report.turns == len([s for s in SCRIPT if s[1] != "outcome"])
    assert report.conversations == 5
    assert report.changed == 0
    assert report.same_policy_drift == 0
    assert sum(report.by_action.values()) == report.turns
    assert all(before is after for before, after in report.by_action)


@pytest.mark.parametrize("policy", [STRICT, EAGER], ids=["strict", "eager"])
def test_replay_equals_running_the_new_policy_live(recorded, policy):
    """Exactness: replaying under P gives what an engine running P would have decided."""
    live = play(Escalator(policy))
    report = replay([recorded], policy)
    changed = {change.where: change.after for change in report.changes}
    records = [r for r in read_trail([recorded]) if r.kind == "decision"]
    assert len(records) == len(live)
    for record, decision in zip(records, live, strict=True):
        where = f"{record.source}:{record.line}"
        expected = changed.get(where, Action(record.data["decision"]["action"]))
        assert expected is decision.action, where
    assert report.changed > 0


def test_strict_policy_reports_what_changes(recorded):
    report = replay([recorded], STRICT)
    assert report.policy.name == "strict"
    assert report.by_action[Action.HANDOFF, Action.OFFER_HUMAN] >= 1
    change = next(c for c in report.changes if c.conversation_id == "asks")
    assert (change.before, change.after) == (Action.HANDOFF, Action.OFFER_HUMAN)
    assert change.text == "can I talk to a real person please"
    assert change.where.startswith(str(recorded))
    summary = report.as_json(examples=2)
    assert len(summary["examples"]) == 2
    assert summary["changed"] == report.changed
    assert sum(row["turns"] for row in summary["by_action"]) == report.turns


def test_replay_works_without_any_text(tmp_path):
    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path), text=TextMode.NONE) as trail:
        play(Escalator(audit=trail))
    assert replay([path], None).changed == 0
    assert replay([path], STRICT).changed == replay([path], STRICT).changed > 0


def test_replay_leaves_the_trail_untouched(recorded):
    before = hashlib.sha256(recorded.read_bytes()).hexdigest()
    replay([recorded], EAGER)
    assert hashlib.sha256(recorded.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in recorded.parent.iterdir()) == ["audit.jsonl", "audit.jsonl.lock"]


def test_a_trail_that_starts_mid_conversation_is_flagged(recorded):
    lines = recorded.read_text().splitlines(keepends=True)
    # keep the header and drop the first decision of "angry"
    cut = recorded.with_name("cut.jsonl")
    cut.write_text(lines[0] + "".join(lines[2:]))
    report = replay([cut], None)
    assert "angry" in report.partial


def test_fail_safe_records_are_skipped(tmp_path):
    class Broken:
        name = "broken"

        def observe(self, turn, state):
            raise RuntimeError("bug")

    from escalate.signals import default_detectors

    path = tmp_path / "audit.jsonl"
    with AuditTrail(JsonlSink(path)) as trail:
        esc = Escalator(detectors=[*default_detectors(), Broken()], audit=trail)
        esc.evaluate("c", {"role": "user", "text": "hi"})
    report = replay([path], None)
    assert (report.turns, report.skipped) == (0, 1)


def test_bad_inputs(recorded, tmp_path):
    with pytest.raises(PolicyError):
        replay([recorded], {"name": "x"})
    junk = tmp_path / "junk.jsonl"
    junk.write_text("hello\n")
    with pytest.raises(AuditError, match="audit header"):
        replay([junk], "default")


def test_a_reused_conversation_id_starts_afresh(tmp_path):
    """Two runs appending to one trail: the second ``x`` is a new conversation, as live."""
    path = tmp_path / "audit.jsonl"
    for text in ("I want to speak to a person", "where is my order?"):
        with AuditTrail(JsonlSink(path)) as trail:
            Escalator(audit=trail).evaluate("x", {"role": "user", "text": text})
    report = replay([path], None)
    assert (report.turns, report.changed, report.same_policy_drift) == (2, 0, 0)
    assert report.partial == []
