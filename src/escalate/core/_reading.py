"""What a detector returns for a turn, and the helpers detectors build readings with."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from escalate.core._models import Evidence, Reason, ReasonCode, trusted

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["QUIET", "SignalReading", "all_cues", "evidence", "noisy_or", "reason"]


class SignalReading(NamedTuple):
    """A detector's verdict on a turn: a level from 0 to 1 and why.

    ``cues`` carry conversational facts the policy acts on besides the level, e.g.
    ``opt_out`` ("don't transfer me"), ``offer_declined``, ``human_offered``. The engine checks
    that ``score`` lies within 0..1 (a detector that breaks this fails the turn safely).
    """

    score: float
    evidence: tuple[Evidence, ...] = ()
    cues: frozenset[str] = frozenset()


QUIET = SignalReading(0.0)
"""The reading of a detector that found nothing and remembers nothing."""


def noisy_or(scores: Iterable[float]) -> float:
    """Combine independent pieces of evidence: each one closes part of the remaining gap.

    Examples:
        >>> round(noisy_or([0.5, 0.5]), 2)
        0.75
    """
    remaining = 1.0
    for score in scores:
        remaining *= 1.0 - score
    return 1.0 - remaining


def evidence(
    kind: str, text: str, turn_index: int, span: tuple[int, int] | None = None
) -> Evidence:
    """Build evidence on the hot path (fields are the engine's own: no validation needed)."""
    return trusted(Evidence, {"kind": kind, "text": text, "turn_index": turn_index, "span": span})


def reason(
    code: ReasonCode, score: float, evidence: tuple[Evidence, ...], rule: str | None
) -> Reason:
    """Build a reason on the hot path (the policy's own values: no validation needed)."""
    return trusted(
        Reason,
        {"code": code, "score": score, "evidence": evidence, "evidence_omitted": 0, "rule": rule},
    )


def all_cues(readings: Mapping[str, SignalReading]) -> frozenset[str]:
    """Every cue any detector raised on the turn."""
    cues: frozenset[str] = frozenset()
    for reading in readings.values():
        if reading.cues:
            cues = cues | reading.cues
    return cues
