"""Prometheus metrics of the service: decisions by action and reason, latency, outcomes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

if TYPE_CHECKING:
    from escalate.models import Decision

__all__ = ["ServiceMetrics"]

# Most turns take well under a millisecond; a slow store or a wall of text takes more.
_LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class ServiceMetrics:
    """One registry per app, so several apps (tests, workers) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "escalate_decisions",
            "Decisions by action and leading reason (reason 'none' for continue).",
            ["action", "reason"],
            registry=self.registry,
        )
        self.escalations = Counter(
            "escalate_escalations",
            "Conversations newly escalated, by action and leading reason.",
            ["action", "reason"],
            registry=self.registry,
        )
        self.outcomes = Counter(
            "escalate_outcomes",
            "Outcomes reported by the host.",
            ["outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "escalate_turn_seconds",
            "Time to decide a turn, request parsing excluded.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, decision: Decision, seconds: float) -> None:
        """Count a decision and its latency."""
        reason = decision.reasons[0].code.value if decision.reasons else "none"
        self.decisions.labels(decision.action.value, reason).inc()
        if decision.action.rank > decision.previous_action.rank:
            self.escalations.labels(decision.action.value, reason).inc()
        self.latency.observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
