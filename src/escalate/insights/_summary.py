"""What ``escalate report`` found: every table of the report, as data (``--json``).

The same summary renders as HTML (``render_html``) and Markdown
(``render_markdown``). Rates and shares are fractions (0..1); times are Unix
seconds; ``None`` means "not measurable here" (no times in the input, nothing to measure).
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict

__all__ = [
    "BUCKETS",
    "DAY",
    "HOUR",
    "WEEK",
    "BotMessage",
    "DeadEndKind",
    "Declines",
    "EffortRow",
    "FalseAlarm",
    "HistogramBar",
    "InsightsSummary",
    "MetaRow",
    "Overview",
    "RatePoint",
    "ReasonRow",
    "SlowHandoff",
    "StressPoint",
    "TimeToHuman",
    "TrustAfterHandoff",
    "TrustPhase",
    "TrustPoint",
]

HOUR: Final = 3600
DAY: Final = 86_400
WEEK: Final = 7 * DAY
BUCKETS: Final = {"hour": HOUR, "day": DAY, "week": WEEK}
"""The named widths of the time buckets (``Overview.bucket_seconds``), in seconds."""

FORMAT = "escalate-insights/1"

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Overview(BaseModel):
    """The input at a glance."""

    model_config = _FROZEN

    conversations: int
    turns: int
    user_turns: int
    escalated: int
    """Conversations offered a human or handed off."""
    handed_off: int
    escalation_rate: float | None
    handoff_rate: float | None
    untimed: int
    """Conversations without any time: left out of the charts over time."""
    first_ts: float | None
    last_ts: float | None
    bucket_seconds: int
    """Width of a time bucket in the charts over time (an hour, a day or a week)."""


class RatePoint(BaseModel):
    """Conversations started in a time bucket, by their highest action or first reason."""

    model_config = _FROZEN

    bucket: float
    series_kind: str
    """``action`` or ``reason``."""
    series: str
    conversations: int
    rate: float
    """Share of the conversations started in the bucket."""


class ReasonRow(BaseModel):
    """One reason code across escalated conversations."""

    model_config = _FROZEN

    code: str
    first_reason: int
    """Conversations whose first escalation gave this as its main reason."""
    handed_off: int
    offered_only: int
    anywhere: int
    """Conversations where any escalating decision gave this reason."""
    share: float | None
    """``first_reason`` among escalated conversations."""


class BotMessage(BaseModel):
    """A bot message (normalised) that came right before escalations, loops or dead ends."""

    model_config = _FROZEN

    message: str
    escalation: int
    loop: int
    dead_end: int
    conversations: int
    examples: tuple[str, ...]
    """Conversation ids to read."""
    example_text: str | None
    """One message as sent (redacted)."""


class DeadEndKind(BaseModel):
    """A kind of security blocker and where it led."""

    model_config = _FROZEN

    kind: str
    turns: int
    conversations: int
    escalated: int
    handed_off: int


class StressPoint(BaseModel):
    """Stress over the user turns before an escalation (0 is the escalating turn) or the end."""

    model_config = _FROZEN

    outcome: str
    """``escalated`` or ``automated`` (never offered a human)."""
    rel_turn: int
    turns: int
    mean: float
    p25: float
    p75: float


class EffortRow(BaseModel):
    """User turns and time until the first escalation, or until the end when none."""

    model_config = _FROZEN

    outcome: str
    conversations: int
    median_user_turns: float | None
    p90_user_turns: float | None
    median_seconds: float | None
    p90_seconds: float | None


class HistogramBar(BaseModel):
    """How many conversations took ``value`` user turns (the last bar holds "or more")."""

    model_config = _FROZEN

    group: str
    value: int
    conversations: int


class Declines(BaseModel):
    """Offers of a human, the ones declined, and what followed."""

    model_config = _FROZEN

    offers: int
    offered_conversations: int
    offered_then_handed_off: int
    declines: int
    declined_conversations: int
    offered_again: int
    """Declines followed by another offer later in the conversation."""
    median_turns_to_next_offer: float | None
    handed_off_after_decline: int
    by_reason: dict[str, int]
    """Declines by the main reason of the offer declined."""


class MetaRow(BaseModel):
    """Conversations with one value of a meta field."""

    model_config = _FROZEN

    key: str
    value: str
    conversations: int
    escalated: int
    handed_off: int
    requested_human: int
    dead_end: int
    escalation_rate: float
    handoff_rate: float
    top_reason: str | None


class FalseAlarm(BaseModel):
    """A handoff the customer took back ("never mind, found it") before an agent spoke."""

    model_config = _FROZEN

    conversation_id: str
    handoff_turn: int
    reason: str | None
    trigger_text: str | None
    retraction_turn: int
    user_turns_after: int
    seconds_after: float | None
    retraction_text: str | None


class TimeToHuman(BaseModel):
    """From the first request for a person (or first security dead end) to the handoff."""

    model_config = _FROZEN

    started_by: str
    """``request`` or ``dead_end``."""
    conversations: int
    handed_off: int
    same_turn: int
    """Handed off on the very turn: the exit was immediate."""
    offered_same_turn: int
    """Offered a human or handed off on the very turn."""
    median_user_turns: float | None
    p90_user_turns: float | None
    max_user_turns: int | None
    median_seconds: float | None
    p90_seconds: float | None


class SlowHandoff(BaseModel):
    """A conversation where the handoff came late, or never (``user_turns`` is ``None``)."""

    model_config = _FROZEN

    conversation_id: str
    started_by: str
    user_turns: int | None
    seconds: float | None


class TrustPoint(BaseModel):
    """A trust signal over the user turns of a time bucket."""

    model_config = _FROZEN

    bucket: float
    signal: str
    user_turns: int
    mean: float
    present: int
    """User turns where the signal reached the report's threshold."""


class TrustPhase(BaseModel):
    """A trust signal in automated conversations, before a handoff, and after it."""

    model_config = _FROZEN

    phase: str
    signal: str
    user_turns: int
    present: int
    share: float


class TrustAfterHandoff(BaseModel):
    """Handed-off conversations where the customer showed relief or thanks afterwards.

    Relief in a turn that took the request back before an agent spoke ("never mind, found
    it": a false alarm) does not count.
    """

    model_config = _FROZEN

    handed_off: int
    with_turns_after: int
    """Of those, conversations with a user turn after the handoff that has trust levels."""
    relieved: int
    share: float | None
    """``relieved`` among conversations with user turns after the handoff."""


class InsightsSummary(BaseModel):
    """Everything ``escalate report`` shows, as data."""

    model_config = _FROZEN

    format: str = FORMAT
    library_version: str
    sources: tuple[str, ...]
    notices: dict[str, int]
    """Audit-trail notices met on the way (records dropped or failed), by kind."""
    overview: Overview
    rate_over_time: tuple[RatePoint, ...]
    reasons: tuple[ReasonRow, ...]
    preceding_escalations: tuple[BotMessage, ...]
    preceding_dead_ends: tuple[BotMessage, ...]
    dead_end_kinds: tuple[DeadEndKind, ...]
    stress_trajectories: tuple[StressPoint, ...]
    effort: tuple[EffortRow, ...]
    effort_histogram: tuple[HistogramBar, ...]
    histogram_cap: int
    """The last bar of the turn histograms holds this many user turns or more."""
    declines: Declines
    meta: tuple[MetaRow, ...]
    meta_skipped: dict[str, int]
    """Meta fields with too many values to break down (ids), with their count of values."""
    false_alarms: tuple[FalseAlarm, ...]
    false_alarm_count: int
    time_to_human: tuple[TimeToHuman, ...]
    time_to_human_histogram: tuple[HistogramBar, ...]
    slowest_handoffs: tuple[SlowHandoff, ...]
    trust_trend: tuple[TrustPoint, ...]
    trust_by_phase: tuple[TrustPhase, ...]
    trust_after_handoff: TrustAfterHandoff
