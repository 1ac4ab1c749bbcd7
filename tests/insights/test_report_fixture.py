"""The report on the 12 fixture conversations: what a reader should find, found."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escalate.insights import InsightsSummary


def test_the_fallback_that_loops_tops_the_bot_messages(summary: InsightsSummary) -> None:
    top = summary.preceding_escalations[0]
    assert top.message == "sorry, i didn't understand that. can you rephrase?"
    assert (top.escalation, top.loop, top.examples) == (2, 2, ("c03", "c04"))


def test_the_code_step_is_the_security_step_that_strands_people(
    summary: InsightsSummary,
) -> None:
    [step] = summary.preceding_dead_ends
    assert step.message == "please enter the code we sent to your phone ending <code>."
    assert step.examples == ("c05", "c06")
    assert step.example_text == "Please enter the code we sent to your phone ending [CODE]."
    kinds = {row.kind for row in summary.dead_end_kinds}
    assert {"lost_access", "step_failed"} <= kinds


def test_the_default_policy_hands_off_a_request_for_a_person_on_the_same_turn(
    summary: InsightsSummary,
) -> None:
    [request] = [row for row in summary.time_to_human if row.started_by == "request"]
    assert request.conversations >= 2
    assert request.same_turn == request.handed_off == request.conversations
    assert request.max_user_turns == 0


def test_the_declined_offer_is_seen_and_not_repeated(summary: InsightsSummary) -> None:
    declines = summary.declines
    assert (declines.declines, declines.declined_conversations) == (1, 1)
    assert declines.offered_again == 0
    assert declines.by_reason == {"emotional_stress": 1}


def test_never_mind_right_after_a_handoff_is_queued_as_a_false_alarm(
    summary: InsightsSummary,
) -> None:
    [alarm] = summary.false_alarms
    assert (alarm.conversation_id, alarm.reason) == ("c08", "human_requested")
    assert alarm.retraction_text == "never mind, I found it"
    assert alarm.user_turns_after == 1


def test_relief_and_thanks_after_a_handoff_show_it_worked(summary: InsightsSummary) -> None:
    after = summary.trust_after_handoff
    # c02 thanks the agent, c11 is relieved; c08 took the request back.
    assert after.relieved == 2
    assert after.with_turns_after >= 3
    phases = {(p.phase, p.signal): p.present for p in summary.trust_by_phase}
    assert phases[("after_handoff", "appreciation")] >= 1
    assert phases[("automated", "doubt")] >= 1  # c09: "are you sure? that doesn't sound right"
    assert phases[("automated", "cynicism")] >= 1  # c09: "typical, as usual..."
    assert phases[("automated", "hesitation")] >= 1  # c10: "hmm I'm not sure, maybe..."


def test_meta_breaks_down_by_channel_and_tier_and_skips_the_customer_id(
    summary: InsightsSummary,
) -> None:
    assert {row.key for row in summary.meta} == {"channel", "tier"}
    assert summary.meta_skipped == {"customer_id": 12}
    web = next(row for row in summary.meta if (row.key, row.value) == ("channel", "web"))
    assert web.conversations == 7


def test_over_three_days_the_chart_buckets_by_day(summary: InsightsSummary) -> None:
    assert summary.overview.bucket_seconds == 86_400
    assert len({point.bucket for point in summary.rate_over_time}) == 3
