"""Deprecated alias: import ``InsightsSummary`` and its parts from ``escalate.insights``."""

from escalate._deprecated import moved

_MOVED = ("BUCKETS", "BotMessage", "DeadEndKind", "Declines", "EffortRow", "FalseAlarm",
          "HistogramBar", "InsightsSummary", "MetaRow", "Overview", "RatePoint", "ReasonRow",
          "SlowHandoff", "StressPoint", "TimeToHuman", "TrustAfterHandoff", "TrustPhase",
          "TrustPoint")  # fmt: skip


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.insights", _MOVED)
