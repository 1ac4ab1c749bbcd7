"""The report's SQL and shaping, on hand-made tables where every count is known."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.exceptions import InvalidInputError
from escalate.insights import DuckDBBackend, InsightsSummary, ReportOptions, summarise
from escalate.insights._rows import (  # the internal row builder: summaries of exact turns
    DecidedTurn,
    TableBuilder,
)

DAY = 86_400.0
T0 = 1_793_577_600.0  # 2026-11-02T00:00:00Z, a Monday


def decided(
    conversation: str,
    index: int,
    role: str = "user",
    action: str = "continue",
    *,
    user_turn: int | None = None,
    previous: str | None = None,
    reasons: tuple[str, ...] = (),
    ts: float | None = None,
    text: str | None = None,
    signals: dict[str, float] | None = None,
    evidence: tuple[tuple[str, str], ...] = (),
    cues: frozenset[str] = frozenset(),
    meta: dict[str, Any] | None = None,
) -> DecidedTurn:
    return DecidedTurn(
        conversation, index, index // 2 + 1 if user_turn is None else user_turn, role, ts,
        text, meta or {}, action, previous or "continue", reasons, signals or {}, evidence, cues,
    )  # fmt: skip


def summary_of(turns: list[DecidedTurn], **options: Any) -> InsightsSummary:
    builder = TableBuilder()
    builder.add_all(turns)
    engine = DuckDBBackend(builder.tables)
    try:
        return summarise(engine, ReportOptions(**options))
    finally:
        engine.close()


def calm(conversation: str, ts: float | None = None, **kw: Any) -> list[DecidedTurn]:
    return [
        decided(conversation, 0, ts=ts, signals={"stress": 0.1}, **kw),
        decided(conversation, 1, "bot", ts=None if ts is None else ts + 10, text="Here you go."),
        decided(conversation, 2, ts=None if ts is None else ts + 60, signals={"stress": 0.0}),
    ]


def requested(conversation: str, ts: float, **kw: Any) -> list[DecidedTurn]:
    """Asks for a person on the first turn and is handed off at once."""
    request = (("human_request", "direct_request"),)
    return [
        decided(conversation, 0, action="handoff", reasons=("human_requested",), ts=ts,
                evidence=request, text="agent please", **kw),
        decided(conversation, 1, "bot", "handoff", previous="handoff", ts=ts + 5,
                text="Connecting you now."),
    ]  # fmt: skip


class TestOverview:
    def test_counts_conversations_escalations_and_handoffs(self) -> None:
        s = summary_of(calm("a", T0) + calm("b", T0) + requested("c", T0 + 100))
        o = s.overview
        assert (o.conversations, o.turns, o.escalated, o.handed_off) == (3, 8, 1, 1)
        assert o.escalation_rate == pytest.approx(1 / 3, abs=1e-4)
        assert (o.first_ts, o.untimed) == (T0, 0)

    def test_untimed_conversations_are_counted_and_left_out_of_time_charts(self) -> None:
        s = summary_of(calm("a") + calm("b", T0))
        assert s.overview.untimed == 1
        assert {p.conversations for p in s.rate_over_time if p.series_kind == "action"} == {1}

    @pytest.mark.parametrize(
        ("span", "bucket"), [(DAY, 3600), (10 * DAY, 86_400), (200 * DAY, 7 * 86_400)]
    )
    def test_the_time_bucket_follows_the_span(self, span: float, bucket: int) -> None:
        s = summary_of(calm("a", T0) + calm("b", T0 + span))
        assert s.overview.bucket_seconds == bucket


def test_weeks_start_on_mondays() -> None:
    s = summary_of(calm("a", T0 + 3 * DAY) + calm("b", T0 + 200 * DAY))
    assert s.overview.bucket_seconds == 7 * 86_400
    assert min(p.bucket for p in s.rate_over_time) == T0  # the Monday before


def test_the_last_histogram_bar_holds_the_cap_and_more() -> None:
    long = [decided("long", i, user_turn=i + 1) for i in range(30)]
    s = summary_of(long, histogram_cap=20)
    assert [(b.value, b.conversations) for b in s.effort_histogram] == [(20, 1)]
    assert s.histogram_cap == 20


def test_rate_over_time_is_the_share_of_conversations_started_in_the_bucket() -> None:
    day2 = T0 + DAY
    s = summary_of(calm("a", T0) + requested("b", T0 + 50) + calm("c", day2) + calm("d", day2),
                   bucket_seconds=86_400)  # fmt: skip
    points = {(p.bucket, p.series_kind, p.series): p.rate for p in s.rate_over_time}
    assert points[(T0, "action", "handoff")] == 0.5
    assert points[(T0, "reason", "human_requested")] == 0.5
    assert points[(day2, "action", "continue")] == 1.0
    assert (day2, "action", "handoff") not in points


def test_the_first_escalation_gives_the_reason_and_later_reasons_count_anywhere() -> None:
    turns = [
        decided("a", 0, action="offer_human", reasons=("emotional_stress",)),
        decided("a", 2, action="handoff", previous="offer_human",
                reasons=("human_requested", "emotional_stress")),
    ]  # fmt: skip
    rows = {r.code: r for r in summary_of(turns).reasons}
    assert (rows["emotional_stress"].first_reason, rows["emotional_stress"].handed_off) == (1, 1)
    assert (rows["human_requested"].first_reason, rows["human_requested"].anywhere) == (0, 1)


class TestPrecedingBotMessages:
    def test_the_nearest_bot_message_before_an_escalation_is_counted_once_normalised(
        self,
    ) -> None:
        turns = []
        for n, order in enumerate(["A-1", "B-22"]):
            c = f"c{n}"
            turns += [
                decided(c, 0, text="where is my order"),
                decided(c, 1, "bot", text="An old answer"),
                decided(c, 2, text="and?"),
                decided(c, 3, "bot", text=f"Your order {order[-1]} is on its way"),
                decided(c, 4, action="offer_human", reasons=("emotional_stress",)),
            ]
        [top] = summary_of(turns).preceding_escalations
        assert (top.message, top.escalation, top.conversations) == (
            "your order # is on its way", 2, 2)  # fmt: skip
        assert top.examples == ("c0", "c1")
        assert top.example_text == "Your order 1 is on its way"

    def test_a_loop_counts_where_the_loop_level_first_crosses_the_onset(self) -> None:
        fallback = "Sorry, I didn't get that."
        turns = [
            decided("a", 0),
            decided("a", 1, "bot", text=fallback, signals={"loop": 0.3}),
            decided("a", 2, signals={"loop": 0.3}),
            decided("a", 3, "bot", text=fallback, signals={"loop": 0.6}),
            decided("a", 4, signals={"loop": 0.7}),  # still looping: not a new loop
            decided("a", 5, "bot", text=fallback, signals={"loop": 0.9}),
        ]
        [top] = summary_of(turns).preceding_escalations
        assert (top.message, top.loop, top.escalation) == ("sorry, i didn't get that.", 1, 0)

    def test_dead_ends_rank_the_security_step_asked_before_them(self) -> None:
        blocked = (("security_dead_end", "lost_access"),)
        turns = [
            decided("a", 0, text="I can't log in"),
            decided("a", 1, "bot", text="Enter the code we sent to [PHONE]"),
            decided("a", 2, action="offer_human", evidence=blocked,
                    reasons=("security_dead_end",)),
        ]  # fmt: skip
        s = summary_of(turns)
        [step] = s.preceding_dead_ends
        assert (step.message, step.dead_end) == ("enter the code we sent to <phone>", 1)
        [kind] = s.dead_end_kinds
        assert (kind.kind, kind.conversations, kind.escalated, kind.handed_off) == (
            "lost_access", 1, 1, 0)  # fmt: skip

    def test_top_limits_the_ranked_list(self) -> None:
        turns = []
        for n in range(5):
            turns += [
                decided(f"c{n}", 0),
                decided(f"c{n}", 1, "bot", text=f"message {'x' * n}"),
                decided(f"c{n}", 2, action="handoff", reasons=("human_requested",)),
            ]
        assert len(summary_of(turns, top=3).preceding_escalations) == 3


def test_stress_trajectories_align_escalations_at_their_turn_and_the_rest_at_the_end() -> None:
    escalated = [
        decided("e", 0, user_turn=1, signals={"stress": 0.2}),
        decided("e", 1, user_turn=2, signals={"stress": 0.4}),
        decided("e", 2, user_turn=3, action="offer_human", reasons=("emotional_stress",),
                signals={"stress": 0.8}),
        decided("e", 3, user_turn=4, action="offer_human", signals={"stress": 0.9}),
    ]  # fmt: skip
    automated = [decided("a", i, user_turn=i + 1, signals={"stress": 0.1}) for i in range(3)]
    trajectories = summary_of(escalated + automated, stress_window=1).stress_trajectories
    points = {(p.outcome, p.rel_turn): p.mean for p in trajectories}
    assert points == {("escalated", -1): 0.4, ("escalated", 0): 0.8,
                      ("automated", -1): 0.1, ("automated", 0): 0.1}  # fmt: skip


def test_effort_measures_turns_and_time_to_escalation_or_to_the_end() -> None:
    s = summary_of(calm("a", T0) + requested("b", T0))
    rows = {r.outcome: r for r in s.effort}
    assert (rows["automated"].median_user_turns, rows["automated"].median_seconds) == (2, 60)
    assert (rows["escalated"].median_user_turns, rows["escalated"].median_seconds) == (1, 0)
    bars = {(b.group, b.value): b.conversations for b in s.effort_histogram}
    assert bars == {("automated", 2): 1, ("escalated", 1): 1}


def test_declines_count_once_whether_seen_by_the_cue_or_reported_and_follow_what_came_next() -> (
    None
):
    turns = [
        decided("a", 0, user_turn=1, action="offer_human", reasons=("emotional_stress",)),
        decided("a", 1, user_turn=2, previous="offer_human", cues=frozenset({"offer_declined"})),
        decided("a", 2, user_turn=3),
        decided("a", 3, user_turn=4, action="offer_human", reasons=("conversation_loop",)),
        decided("a", 4, user_turn=5, action="handoff", previous="offer_human",
                reasons=("human_requested",)),
    ]  # fmt: skip
    builder = TableBuilder()
    builder.add_all(turns)
    builder.add_outcome("a", "offer_declined", 2, None)  # the host reported the same "no"
    engine = DuckDBBackend(builder.tables)
    declines = summarise(engine).declines
    assert (declines.offers, declines.declines, declines.offered_again) == (2, 1, 1)
    assert declines.median_turns_to_next_offer == 2
    assert (declines.handed_off_after_decline, declines.offered_then_handed_off) == (1, 1)
    assert declines.by_reason == {"emotional_stress": 1}


def test_meta_is_broken_down_by_value_and_id_like_fields_are_skipped() -> None:
    turns = []
    for n in range(4):
        channel = "web" if n < 3 else "app"
        meta = {"channel": channel, "customer": f"id-{n}", "vip": n == 0}
        turns += (requested if n == 0 else calm)(f"c{n}", T0, meta=meta)
    s = summary_of(turns, max_meta_values=2)
    rows = {(r.key, r.value): r for r in s.meta}
    web = rows[("channel", "web")]
    assert (web.conversations, web.escalated, web.escalation_rate, web.top_reason) == (
        3, 1, pytest.approx(1 / 3, abs=1e-4), "human_requested")  # fmt: skip
    assert rows[("vip", "true")].handed_off == 1
    assert s.meta_skipped == {"customer": 4}


class TestFalseAlarms:
    def retracted(self, *, agent_first: bool = False, later: int = 1) -> list[DecidedTurn]:
        turns = requested("a", T0)
        index = 2
        if agent_first:
            turns.append(decided("a", index, "agent", "handoff", previous="handoff", user_turn=1))
            index += 1
        for n in range(later - 1):
            turns.append(decided("a", index + n, action="handoff", previous="handoff",
                                 user_turn=2 + n))  # fmt: skip
        turns.append(
            decided("a", index + later - 1, action="handoff", previous="handoff",
                    user_turn=1 + later, ts=T0 + 30, text="never mind, found it",
                    evidence=(("relief", "resolved"),))
        )  # fmt: skip
        return turns

    def test_a_retraction_right_after_the_handoff_is_a_false_alarm(self) -> None:
        s = summary_of(self.retracted())
        [alarm] = s.false_alarms
        assert (alarm.conversation_id, alarm.reason, alarm.trigger_text) == (
            "a", "human_requested", "agent please")  # fmt: skip
        assert (alarm.retraction_text, alarm.user_turns_after, alarm.seconds_after) == (
            "never mind, found it", 1, 30)  # fmt: skip
        assert s.false_alarm_count == 1

    def test_not_once_an_agent_spoke_or_when_it_came_much_later(self) -> None:
        assert summary_of(self.retracted(agent_first=True)).false_alarm_count == 0
        assert summary_of(self.retracted(later=3), false_alarm_turns=2).false_alarm_count == 0


class TestTimeToHuman:
    def test_an_immediate_handoff_takes_zero_turns(self) -> None:
        [row] = summary_of(requested("a", T0)).time_to_human
        assert (row.started_by, row.conversations, row.same_turn, row.max_user_turns) == (
            "request", 1, 1, 0)  # fmt: skip

    def test_a_late_handoff_and_a_missing_one_are_listed_slowest_first(self) -> None:
        request = (("human_request", "direct_request"),)
        late = [
            decided("late", 0, user_turn=1, evidence=request, ts=T0),
            decided("late", 1, user_turn=2, action="offer_human", reasons=("human_requested",)),
            decided("late", 2, user_turn=3, action="handoff", reasons=("human_requested",),
                    ts=T0 + 90),
        ]  # fmt: skip
        never = [decided("never", 0, user_turn=1, evidence=request)]
        s = summary_of(late + never + requested("fast", T0))
        [row] = s.time_to_human
        assert (row.conversations, row.handed_off, row.same_turn, row.max_user_turns) == (
            3,
            2,
            1,
            2,
        )
        assert [(h.conversation_id, h.user_turns) for h in s.slowest_handoffs] == [
            ("never", None), ("late", 2)]  # fmt: skip
        assert s.slowest_handoffs[1].seconds == 90
        bars = {(b.group, b.value): b.conversations for b in s.time_to_human_histogram}
        assert bars == {("request", 0): 1, ("request", 2): 1}


def test_trust_signals_by_phase_and_relief_after_a_handoff() -> None:
    turns = [
        *requested("h", T0),
        decided("h", 2, "agent", "handoff", previous="handoff"),
        decided("h", 3, action="handoff", previous="handoff", user_turn=2,
                signals={"relief": 0.7, "doubt": 0.0}),
        decided("b", 0, signals={"doubt": 0.6, "relief": 0.0}, ts=T0),
    ]  # fmt: skip
    s = summary_of(turns)
    phases = {(p.phase, p.signal): (p.user_turns, p.present) for p in s.trust_by_phase}
    assert phases[("after_handoff", "relief")] == (1, 1)
    assert phases[("automated", "doubt")] == (1, 1)
    after = s.trust_after_handoff
    assert (after.handed_off, after.with_turns_after, after.relieved, after.share) == (1, 1, 1, 1.0)
    trend = {(p.bucket, p.signal): p.present for p in s.trust_trend}
    assert trend[(T0 - T0 % 3600, "doubt")] == 1


def test_an_empty_input_gives_an_empty_summary() -> None:
    s = summary_of([])
    assert s.overview.conversations == 0
    assert s.overview.escalation_rate is None
    assert s.rate_over_time == s.reasons == s.false_alarms == ()


def test_report_options_are_checked() -> None:
    with pytest.raises(ValueError, match=r"ReportOptions\.top must be a positive integer"):
        ReportOptions(top=0)
    with pytest.raises(ValueError, match=r"ReportOptions\.present must lie in"):
        ReportOptions(present=1.5)


ACTIONS = st.sampled_from(["continue", "offer_human", "handoff"])


@st.composite
def conversations(draw: st.DrawFn) -> list[DecidedTurn]:
    turns = []
    for c in range(draw(st.integers(0, 6))):
        user_turn = 0
        for i in range(draw(st.integers(1, 8))):
            role = draw(st.sampled_from(["user", "bot", "agent"]))
            user_turn += role == "user"
            action = draw(ACTIONS)
            reasons = () if action == "continue" else (draw(st.sampled_from(
                ["human_requested", "emotional_stress", "conversation_loop"])),)  # fmt: skip
            turns.append(decided(
                f"c{c}", i, role, action, user_turn=max(user_turn, 1), reasons=reasons,
                ts=draw(st.none() | st.floats(T0, T0 + 30 * DAY)),
                text=draw(st.none() | st.text(max_size=20)),
                signals={"stress": draw(st.floats(0, 1)), "loop": draw(st.floats(0, 1)),
                         "relief": draw(st.floats(0, 1))},
                evidence=draw(st.lists(st.sampled_from([("human_request", "direct_request"),
                    ("security_dead_end", "lost_access"), ("relief", "resolved")]), max_size=2)),
                cues=draw(st.sampled_from([frozenset(), frozenset({"offer_declined"})])),
                meta={"channel": draw(st.sampled_from(["web", "app"]))},
            ))  # fmt: skip
    return turns


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations())
def test_any_conversations_give_a_consistent_summary(turns: list[DecidedTurn]) -> None:
    s = summary_of(turns)
    o = s.overview
    assert o.handed_off <= o.escalated <= o.conversations
    assert sum(r.first_reason for r in s.reasons) == o.escalated
    assert all(0.0 <= p.rate <= 1.0 for p in s.rate_over_time)
    assert all(0.0 <= p.share <= 1.0 for p in s.trust_by_phase)
    assert sum(r.conversations for r in s.effort) == o.conversations
    assert all(t.handed_off <= t.conversations for t in s.time_to_human)
    assert s.false_alarm_count <= o.handed_off
    assert all(p.p25 <= p.mean + 1e-9 or p.turns > 1 for p in s.stress_trajectories)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"top": 0}, "ReportOptions.top must be a positive integer, got 0"),
        ({"present": 1.5}, r"ReportOptions.present must lie in \(0, 1\], got 1.5"),
        ({"bucket_seconds": 0}, "ReportOptions.bucket_seconds must be >= 1, got 0"),
    ],
)
def test_bad_report_options_are_invalid_input(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=f"^{message}$") as raised:
        ReportOptions(**options)
    assert isinstance(raised.value, ValueError)  # what it raised before the error tree
