"""What a detector receives for a turn and what it returns (defined in ``escalate.core``).

``TurnContext`` is the name this module has always given ``escalate.core.TurnView``; lexicon
matches and VADER's score, which the built-in detectors share, are read with
``escalate.signals.matches`` and ``escalate.signals.sentiment``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from escalate.core import QUIET, SignalReading, TurnView, evidence, noisy_or

if TYPE_CHECKING:
    from collections.abc import Iterable

    from escalate.core import Evidence
    from escalate.signals._lexicon import LexiconMatch

__all__ = ["QUIET", "SignalReading", "TurnContext", "evidence", "evidence_from", "noisy_or"]

TurnContext = TurnView
"""One turn as the detectors see it (``escalate.core.TurnView``)."""


def evidence_from(matches: Iterable[LexiconMatch], turn_index: int) -> tuple[Evidence, ...]:
    """Quote lexicon matches as evidence."""
    return tuple(evidence(m.kind, m.text, turn_index, (m.start, m.end)) for m in matches)
