"""The bundled lexicons and VADER, as the built-in detectors read them on a turn.

Both are computed at most once per turn, on first use, and shared through the turn's
``TurnView.shared`` cache; the scanner, the analyser and VADER are built once per process.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Final, NamedTuple

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from escalate.core import TextAnalyser
from escalate.signals._lexicon import bundled_lexicon_names, load_lexicon, real_words
from escalate.signals._scanner import Scanner

if TYPE_CHECKING:
    from escalate.core import TurnView
    from escalate.signals._lexicon import LexiconMatch

__all__ = [
    "BUNDLED_LEXICONS",
    "Polarity",
    "bundled_analyser",
    "bundled_scanner",
    "matches",
    "polarity",
    "sentiment",
    "vader_analyser",
    "vader_words",
]

BUNDLED_LEXICONS: Final = bundled_lexicon_names()
"""The lexicon files the package ships; the built-in detectors declare which they read
(``lexicons`` on each class), and a test holds the two to the same set."""
_SCAN: Final = "escalate.lexicons"
_SENTIMENT: Final = "escalate.vader"


@cache
def vader_analyser() -> SentimentIntensityAnalyzer:
    """The process's VADER analyser (the stress detector's base, and eval's baseline)."""
    # Loading VADER's lexicon takes ~20 ms: once per process, shared by every Escalator.
    return SentimentIntensityAnalyzer()


@cache
def vader_words() -> frozenset[str]:
    """The words VADER knows: real words, never to be "corrected" as typos."""
    return frozenset(word for word in vader_analyser().lexicon if word.isalpha())


@cache
def bundled_scanner() -> Scanner:
    """The scanner for the bundled lexicons: built once per process."""
    return Scanner([load_lexicon(name) for name in BUNDLED_LEXICONS])


@cache
def bundled_analyser() -> TextAnalyser:
    """The text analyser that corrects typos of the bundled lexicons' words."""
    lexicons = [load_lexicon(name) for name in BUNDLED_LEXICONS]
    targets: set[str] = set().union(*(lexicon.fuzzy for lexicon in lexicons))
    known: set[str] = set().union(*(lexicon.words for lexicon in lexicons))
    return TextAnalyser(targets, known | vader_words() | real_words())


def matches(turn: TurnView, lexicon: str) -> list[LexiconMatch]:
    """Matches of a bundled lexicon in this turn (families read on this turn's role)."""
    scanner = bundled_scanner()
    if lexicon not in scanner.lexicons:
        raise KeyError(f"no lexicon {lexicon!r} in this scanner; have {sorted(scanner.lexicons)}")
    return turn.shared(_SCAN, _scan).get(lexicon, [])


def _scan(turn: TurnView) -> dict[str, list[LexiconMatch]]:
    return bundled_scanner().scan(turn.text, turn.role)


class Polarity(NamedTuple):
    """VADER's reading of a text."""

    compound: float
    """The compound score, -1..1."""
    negative: float
    """The share of the text VADER reads as negative, 0..1."""
    positive: float
    """The share it reads as positive, 0..1."""


def polarity(turn: TurnView) -> Polarity:
    """VADER's reading of this turn's text, computed once per turn."""
    return turn.shared(_SENTIMENT, _polarity)


def sentiment(turn: TurnView) -> float:
    """VADER's compound score of this turn's text (-1..1), computed once per turn."""
    return polarity(turn).compound


def _polarity(turn: TurnView) -> Polarity:
    scores = vader_analyser().polarity_scores(turn.text.raw)
    return Polarity(float(scores["compound"]), float(scores["neg"]), float(scores["pos"]))
