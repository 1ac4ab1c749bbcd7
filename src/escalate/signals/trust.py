"""Trust: how the customer takes the bot's answers, as six per-turn levels.

``doubt`` ("are you sure?"), ``cynicism`` ("of course it doesn't work"), ``irritation``
("come on", "this again"), ``hesitation`` ("I'm not sure", "let me think"), ``relief``
("phew", "finally it works") and ``appreciation`` ("thank you so much"). Each signal has its
detector (``TrustDetector("doubt")``), reading the families of ``lexicons/trust.yaml`` whose
kind is its signal; three of them also read the stress lexicon:

- ``irritation`` counts the annoyance the stress lexicon names (``mild_annoyance``,
  ``frustration``, ``anger``...), with weights of its own; a plain complaint ("my parcel is
  late") only adds to other annoyance;
- ``relief`` counts the stress lexicon's ``resolved`` ("works now", "found it") as evidence of
  kind ``resolved``, unless the turn is upset, the clause a question, or the trust lexicon's
  ``unresolved`` family covers the words ("I never got it", "when will it be fixed");
- ``appreciation`` is dropped from sarcastic or upset turns ("thanks for nothing", "great,
  thanks a lot" next to a complaint), sarcasm judged as the stress detector judges it.

The six readings of a turn are computed together, once, by whichever trust detector runs
first (``TurnContext.shared``). Each level belongs to its turn (no memory): a turn without a
match, or a turn that is not the customer's, reads 0. The default policy does not act on them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, ClassVar, Final

from escalate.exceptions import InvalidInputError
from escalate.models import Role
from escalate.signals._context import matches as lexicon_matches
from escalate.signals._context import sentiment
from escalate.signals._lexicon import load_lexicon
from escalate.signals.base import QUIET, SignalReading, TurnContext, evidence, noisy_or
from escalate.signals.stress import NEGATIVE_FAMILIES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from escalate.core import ConversationState
    from escalate.signals._lexicon import LexiconMatch

__all__ = ["RESOLVED", "TRUST_SIGNALS", "TrustDetector"]

TRUST_SIGNALS: Final = ("doubt", "cynicism", "irritation", "hesitation", "relief", "appreciation")
"""The trust signals, in the order ``default_detectors()`` runs them."""
RESOLVED: Final = "resolved"
"""Evidence kind of the stress lexicon's ``resolved`` matches, as ``relief`` reports them."""

_LEXICON: Final = "trust"
_FURTHER_MATCH: Final = 0.5
"""Each further match of a family adds half its score: "are you sure? that can't be right"
doubts more than either alone."""
_BORROWED: Final[Mapping[str, tuple[str, float]]] = {
    # stress family: (the trust signal it feeds, what one match gives that signal)
    "mild_annoyance": ("irritation", 0.5),
    "frustration": ("irritation", 0.55),
    "anger": ("irritation", 0.6),
    "frustrating": ("irritation", 0.5),
    "insult": ("irritation", 0.55),
    "sarcasm": ("irritation", 0.45),
    "sarcasm_cue": ("irritation", 0.45),
    "repeated_effort": ("irritation", 0.45),
    "impatience": ("irritation", 0.5),
    "profanity": ("irritation", 0.3),
    "mild_profanity": ("irritation", 0.2),
    "complaint": ("irritation", 0.15),
    "resolved": ("relief", 0.5),
}
_ONLY_IF_NEGATIVE: Final = frozenset({"sarcasm_cue"})
"""Stress families read only in a negative turn, as the stress detector reads them."""
_AMPLIFIERS: Final = frozenset({"complaint"})
"""Stress families that add to other evidence but do not count alone: reporting a problem
("my parcel is late", "never mind") is not being annoyed."""
_UPSET: Final = NEGATIVE_FAMILIES - {"complaint", "mild_annoyance"}
"""Stress families that make a turn upset, not merely negative: no thanks or relief in it is
taken at face value ("thanks, this is useless", "never mind, I'll go elsewhere")."""
_ANNOYED: Final = frozenset({"irritation", "cynicism"})
_CUE_SUFFIX: Final = "_cue"
_GUARD: Final = "unresolved"
_CLAUSE_END: Final = re.compile(r"[.!?;:,\n]")


class TrustDetector:
    """Scores one trust signal on each customer turn.

    Args:
        signal: one of ``TRUST_SIGNALS``.

    Examples:
        >>> from escalate.signals import default_detectors
        >>> [d.name for d in default_detectors() if isinstance(d, TrustDetector)]
        ['doubt', 'cynicism', 'irritation', 'hesitation', 'relief', 'appreciation']
    """

    signals: ClassVar[tuple[str, ...]] = TRUST_SIGNALS
    """The signals it can score, one per instance, in the order they run and reports show them."""
    lexicons: ClassVar[frozenset[str]] = frozenset({_LEXICON, "stress"})
    """The bundled lexicons ``observe`` reads (``signals.matches``)."""
    kinds_written: ClassVar[frozenset[str]] = frozenset({RESOLVED, *TRUST_SIGNALS})
    """Evidence kinds ``observe`` writes in code (lexicon kinds come from its lexicons)."""
    memory: ClassVar[type | None] = None
    """It keeps no memory between turns."""

    def __init__(self, signal: str) -> None:
        if signal not in TRUST_SIGNALS:
            raise InvalidInputError(
                f"unknown trust signal {signal!r}; expected one of {TRUST_SIGNALS}"
            )
        self.name = signal
        self._read = _reader().read

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Score a customer turn; every other turn reads 0."""
        if turn.role is not Role.USER:
            return QUIET
        return turn.shared(_LEXICON, self._read).get(self.name, QUIET)


class _TrustReader:
    """Reads all six trust signals of a turn in one pass over its matches."""

    def __init__(self) -> None:
        families = load_lexicon(_LEXICON).families.values()
        # Families scoring 0 only veto others or guard the stress lexicon's matches.
        self._counted = frozenset(f.name for f in families if f.score > 0)

    def read(self, turn: TurnContext) -> dict[str, SignalReading]:
        """The turn's trust readings by signal (signals at 0 left out)."""
        trust = lexicon_matches(turn, _LEXICON)
        stress = lexicon_matches(turn, "stress")
        own: dict[str, list[LexiconMatch]] = {}
        for match in trust:
            if match.family in self._counted:
                own.setdefault(match.kind, []).append(match)
        borrowed: dict[str, list[LexiconMatch]] = {}
        for match in stress:
            if match.family in _BORROWED:
                borrowed.setdefault(_BORROWED[match.family][0], []).append(match)
        if not own and not borrowed:
            return {}
        context = _Context(turn, trust, stress)
        readings = {}
        for signal in TRUST_SIGNALS:
            mine = own.get(signal, [])
            lent = borrowed.get(signal, [])
            if mine:
                mine = [m for m in mine if not m.family.endswith(_CUE_SUFFIX) or context.allows(m)]
                if signal == "appreciation" and mine and context.sarcastic_or_upset():
                    mine = []
            if lent:
                lent = _lent(signal, lent, context, counting=bool(mine))
            if mine or lent:
                readings[signal] = _reading(signal, turn.index, mine, lent)
        return readings


@cache
def _reader() -> _TrustReader:
    return _TrustReader()


def _lent(
    signal: str, matches: list[LexiconMatch], context: _Context, *, counting: bool
) -> list[LexiconMatch]:
    """The stress lexicon's matches that count for ``signal``, one per stretch of words."""
    if signal == "relief":
        matches = [m for m in matches if context.resolved(m)]
    elif any(m.family in _ONLY_IF_NEGATIVE for m in matches) and not context.negative():
        matches = [m for m in matches if m.family not in _ONLY_IF_NEGATIVE]
    if not counting and all(m.family in _AMPLIFIERS for m in matches):
        return []
    if len(matches) == 1:
        return matches
    # Families overlapping on the same words ("this is useless": insult and frustration) are
    # one piece of evidence: the strongest, then the longest.
    kept: list[LexiconMatch] = []
    for match in sorted(matches, key=lambda m: (-_BORROWED[m.family][1], m.start - m.end)):
        if not _overlaps_any(match, kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def _reading(
    signal: str, turn_index: int, own: list[LexiconMatch], lent: list[LexiconMatch]
) -> SignalReading:
    # A family's first match counts in full, further ones half. A stress match inside one
    # of the signal's own phrases ("finally it works") is the same evidence: quoted, not counted.
    components = []
    seen: set[str] = set()
    for match in own:
        components.append(match.score if match.family not in seen else match.score * _FURTHER_MATCH)
        seen.add(match.family)
    seen_lent: set[str] = set()
    for match in lent:
        if not _overlaps_any(match, own):
            score = _BORROWED[match.family][1]
            components.append(score if match.family not in seen_lent else score * _FURTHER_MATCH)
            seen_lent.add(match.family)
    kind = RESOLVED if signal == "relief" else signal
    found = [evidence(m.kind, m.text, turn_index, (m.start, m.end)) for m in own]
    found += [evidence(kind, m.text, turn_index, (m.start, m.end)) for m in lent]
    if own and lent:
        found.sort(key=lambda item: item.span or (0, 0))
    return SignalReading(min(1.0, noisy_or(components)), tuple(found))


class _Context:
    """How to read a turn's cues; each question is answered only when a signal asks it."""

    __slots__ = ("_negative", "_stress", "_stress_families", "_trust", "_turn")

    def __init__(
        self, turn: TurnContext, trust: list[LexiconMatch], stress: list[LexiconMatch]
    ) -> None:
        self._turn = turn
        self._trust = trust
        self._stress = stress
        self._stress_families = frozenset(m.family for m in stress)
        self._negative: bool | None = None

    def allows(self, match: LexiconMatch) -> bool:
        """Whether a ``_cue`` family's match counts in this turn."""
        if match.kind == "cynicism":
            return self.negative()
        # Relief cues ("Finally!") count in a calm turn only.
        return not any(m.kind in _ANNOYED for m in self._trust) and not self.negative()

    def negative(self) -> bool:
        """The stress detector's test: a negative stress family, or negative sentiment."""
        if self._negative is None:
            self._negative = (
                not NEGATIVE_FAMILIES.isdisjoint(self._stress_families)
                or sentiment(self._turn) < 0.0
            )
        return self._negative

    def sarcastic_or_upset(self) -> bool:
        """Sarcasm as the stress detector counts it, or a clearly upset turn."""
        families = self._stress_families
        if "sarcasm_cue" in families and self.negative():
            return True
        return not _UPSET.isdisjoint(families)

    def resolved(self, match: LexiconMatch) -> bool:
        """Whether a ``resolved`` stress match says the problem went away."""
        if not _UPSET.isdisjoint(self._stress_families):
            return False
        if any(m.family == _GUARD and _overlaps(m, match) for m in self._trust):
            return False
        # "Is it fixed?": the clause the match ends in is a question.
        end = _CLAUSE_END.search(self._turn.text.raw, match.end)
        return end is None or end.group() != "?"


def _overlaps(a: LexiconMatch, b: LexiconMatch) -> bool:
    return a.start < b.end and b.start < a.end


def _overlaps_any(match: LexiconMatch, others: list[LexiconMatch]) -> bool:
    return any(_overlaps(match, other) for other in others)
