"""What a detector receives for a turn and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar, cast

from pydantic import JsonValue

from escalate.models import Evidence, Role
from escalate.signals._lexicon import LexiconMatch
from escalate.signals._scanner import Scanner
from escalate.signals._text import AnalysedText

__all__ = ["QUIET", "SignalReading", "TurnContext", "evidence", "evidence_from", "noisy_or"]

T = TypeVar("T")


class SignalReading(NamedTuple):
    """A detector's verdict on a turn: a level from 0 to 1 and why.

    ``cues`` carry conversational facts the policy acts on besides the level, e.g.
    ``opt_out`` ("don't transfer me"), ``offer_declined``, ``human_offered``. The engine checks
    that ``score`` lies within 0..1 (a detector that breaks this fails the turn safely).
    """

    score: float
    evidence: tuple[Evidence, ...] = ()
    cues: frozenset[str] = frozenset()


@dataclass(slots=True)
class TurnContext:
    """One turn as the detectors see it."""

    index: int
    """0-based over all turns of the conversation."""
    user_turn: int
    """User turns so far, this one included."""
    role: Role
    text: AnalysedText
    ts: float | None
    """Unix seconds, when the host gave a time."""
    meta: Mapping[str, JsonValue]
    scanner: Scanner
    """The bundled lexicons, run once per turn on first use (see ``matches``)."""
    readings: dict[str, SignalReading] = field(default_factory=dict)
    """Readings of the detectors that already ran on this turn, by signal name."""
    _matches: dict[str, list[LexiconMatch]] | None = None
    _sentiment: float | None = None
    _shared: dict[str, Any] | None = None

    def matches(self, lexicon: str) -> list[LexiconMatch]:
        """Matches of a bundled lexicon in this turn (families read on this turn's role)."""
        if lexicon not in self.scanner.lexicons:
            raise KeyError(
                f"no lexicon {lexicon!r} in this scanner; have {sorted(self.scanner.lexicons)}"
            )
        if self._matches is None:
            self._matches = self.scanner.scan(self.text, self.role)
        return self._matches.get(lexicon, [])

    def sentiment(self) -> float:
        """VADER's compound score of this turn's text (-1..1), computed once per turn."""
        if self._sentiment is None:
            # Imported here: the stress module builds on this one.
            from escalate.signals.stress import vader_analyser  # noqa: PLC0415

            scores = vader_analyser().polarity_scores(self.text.raw)
            self._sentiment = float(scores["compound"])
        return self._sentiment

    def shared(self, key: str, compute: Callable[[TurnContext], T]) -> T:
        """``compute(self)``, run once per turn for all the detectors that ask for ``key``.

        For work several detectors need: the trust detectors read their six signals in one
        pass, and each takes its own reading from it.
        """
        shared = self._shared
        if shared is None:
            shared = self._shared = {}
        elif key in shared:
            return cast("T", shared[key])
        value = shared[key] = compute(self)
        return value


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


QUIET = SignalReading(0.0)
"""The reading of a detector that found nothing and remembers nothing."""


def evidence(
    kind: str, text: str, turn_index: int, span: tuple[int, int] | None = None
) -> Evidence:
    """Build evidence on the hot path (fields are the engine's own: no validation needed)."""
    return Evidence.model_construct(kind=kind, text=text, turn_index=turn_index, span=span)


def evidence_from(matches: Iterable[LexiconMatch], turn_index: int) -> tuple[Evidence, ...]:
    """Quote lexicon matches as evidence."""
    return tuple(evidence(m.kind, m.text, turn_index, (m.start, m.end)) for m in matches)
