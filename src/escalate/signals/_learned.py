"""Learned turn scorers: how likely a text is negative, or reports fraud.

Each is a logistic regression over the words and word pairs of the text and, for the stress
scorer, a few intensity cues (capitals, "!!!", "??") and VADER's compound score, trained on
public data whose licence allows shipping the weights (``training/train_stress.py``,
``training/train_intents.py``; ``docs/model-card.md``).
Inference is pure Python: one tokenising pass and a dictionary lookup per feature. The weights
ship in the package (``signals/weights/*.json.gz``, only the non-zero ones) and load once per
process, on first use.

Every word and word pair that raised the score is returned with its span, so the readings can
quote the customer's own words as evidence.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise
from typing import TYPE_CHECKING, Final, Literal, NamedTuple

from escalate.core import fold

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "FORMAT",
    "LinearModel",
    "Push",
    "TurnScore",
    "dense_features",
    "intent_model",
    "stress_model",
    "text_features",
    "word_valences",
]

FORMAT: Final = "escalate-linear-1"
"""The weights file's format tag; the trainer writes it, the loader checks it."""

# Words (with an inner apostrophe: "don't", "i've"), numbers, or runs of ! and ?.
_TOKEN: Final = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+|[!?]+")
_DIGIT: Final = re.compile(r"\d")
_NUMBER: Final = "0"
"""Every number reads as this one word."""
_SHOUTED_WORDS: Final = 2
_SHOUT_WORD: Final = re.compile(r"\b[A-Z][A-Z']*[A-Z]\b")
_LETTER_WORD: Final = re.compile(r"\b[^\W\d_]{2,}\b")
_TOKENISED_KEPT: Final = 32
"""Texts whose tokens are kept: a turn's few scorers run one after another on the same text."""
_VALENCE_SCALE: Final = 4.0
"""VADER's word valences run from -4 to 4."""
_EVIDENCE_MIN: Final = 0.75
"""A word's weight must add at least this much to the log-odds to be quoted as evidence."""


class Push(NamedTuple):
    """A word or word pair that raised the score, where it is, and by how much (log-odds)."""

    text: str
    span: tuple[int, int]
    weight: float


class TurnScore:
    """The scorer's verdict on one text."""

    __slots__ = ("_folded", "_pushing", "_raw", "probability")

    def __init__(
        self,
        probability: float,
        pushing: tuple[tuple[float, str], ...] = (),
        raw: str = "",
        folded: str = "",
    ) -> None:
        self.probability = probability
        """Probability that the text is negative, 0..1."""
        self._pushing = pushing
        self._raw = raw
        self._folded = folded

    @property
    def pushes(self) -> tuple[Push, ...]:
        """The words that pushed the probability up most, strongest first.

        Found in the text only when asked: most turns score too low for their words to be
        quoted, and finding each word's span is a regex search per word.
        """
        return _quote(self._raw, self._folded, self._pushing) if self._pushing else ()


def text_features(folded: str) -> dict[str, tuple[int, int]]:
    """Sparse features of a folded text, each with the span of its first occurrence.

    ``w:`` words (every number is ``0``), ``b:`` word pairs (not across ``!``/``?``), ``p:``
    punctuation runs (``!``, ``!!``, ``!!!``: capped at three; ``?`` likewise; mixed ``?!``).
    The trainer's reference; ``LinearModel.score`` computes the same sum faster.
    """
    found: dict[str, tuple[int, int]] = {}
    previous: tuple[str, int] | None = None
    for match in _TOKEN.finditer(folded):
        token = match.group()
        start, end = match.span()
        if token[0] in "!?":
            found.setdefault(_punctuation(token), (start, end))
            previous = None
            continue
        if token.isdecimal():
            token = _NUMBER
        found.setdefault("w:" + token, (start, end))
        if previous is not None:
            found.setdefault(f"b:{previous[0]} {token}", (previous[1], end))
        previous = (token, start)
    return found


def _punctuation(run: str) -> str:
    return "p:?!" if "!" in run and "?" in run else "p:" + run[:3]


def dense_features(
    raw: str,
    compound: float,
    shares: tuple[float, float] = (0.0, 0.0),
    valences: tuple[float, float] = (0.0, 0.0),
) -> dict[str, float]:
    """Real-valued features: VADER's compound by sign, its shares and word valences, shouting.

    ``shares`` are the parts of the text VADER reads negative and positive: how much of it is,
    where the compound saturates. ``valences`` are the text's most negative and most positive
    words (``word_valences``).
    """
    dense = {
        "v:neg": max(0.0, -compound),
        "v:pos": max(0.0, compound),
        "v:neg_share": shares[0],
        "v:pos_share": shares[1],
        "v:word_neg": valences[0],
        "v:word_pos": valences[1],
    }
    shouted = len(_SHOUT_WORD.findall(raw))
    if shouted >= _SHOUTED_WORDS:
        words = len(_LETTER_WORD.findall(raw))
        dense["s:shout"] = min(1.0, shouted / max(words, 1))
    return dense


def word_valences(folded: str, lexicon: Mapping[str, float]) -> tuple[float, float]:
    """The strongest negative and positive word of a folded text in a valence lexicon, 0..1.

    ``lexicon`` is VADER's (valence -4..4 per word). Read word by word, before VADER's rules
    for negation and contrast: "could not be happier" still holds a strongly positive word,
    which VADER's compound turns negative. Emotion words the scorer never saw in training
    ("elated", "dreadful") count through their valence.

    Examples:
        >>> word_valences("so glad, but the wait was horrible", {"glad": 2.0, "horrible": -2.5})
        (0.625, 0.5)
    """
    return _valences([lexicon[t] for t in set(_tokens(folded)) if t in lexicon])


def _valences(found: list[float]) -> tuple[float, float]:
    if not found:
        return 0.0, 0.0
    return max(0.0, -min(found)) / _VALENCE_SCALE, max(0.0, *found) / _VALENCE_SCALE


class LinearModel:
    """Linear weights over ``text_features`` and ``dense_features``.

    Scoring looks up each word, and builds a word pair only when its first word starts a
    weighted pair: most words and pairs have no weight, and building their keys is the cost.
    """

    __slots__ = (
        "_dense",
        "_lexicon_words",
        "_pair_set",
        "_pair_starts",
        "_pairs",
        "_punctuation",
        "_word_set",
        "_words",
        "bias",
        "lexicon",
        "threshold",
        "weights",
    )

    def __init__(
        self,
        weights: dict[str, float],
        bias: float,
        threshold: float = 0.5,
        lexicon: Mapping[str, float] | None = None,
    ) -> None:
        self.weights = weights
        self.bias = bias
        self.threshold = threshold
        """The probability from which the text counts as positive (the trainer's choice)."""
        self.lexicon = lexicon
        """The word valences of ``word_valences`` (VADER's), if the weights use them."""
        self._lexicon_words = frozenset(lexicon or ())
        self._words = {k[2:]: w for k, w in weights.items() if k.startswith("w:")}
        self._pairs = {k[2:]: w for k, w in weights.items() if k.startswith("b:")}
        self._pair_starts = frozenset(k.split(" ", 1)[0] for k in self._pairs)
        # Frozen key sets: ``set & frozenset`` walks the smaller side (a turn's few words).
        self._word_set = frozenset(self._words)
        self._pair_set = frozenset(self._pairs)
        self._punctuation = {k: w for k, w in weights.items() if k.startswith("p:")}
        self._dense = {k: w for k, w in weights.items() if k[0] in "vs"}

    @classmethod
    def from_json(
        cls, data: dict[str, object], lexicon: Mapping[str, float] | None = None
    ) -> LinearModel:
        """Build from the trainer's JSON (``{"format", "bias", "weights", ...}``)."""
        if data.get("format") != FORMAT:
            raise ValueError(f"not an {FORMAT} weights file: format {data.get('format')!r}")
        weights = data["weights"]
        bias = data["bias"]
        threshold = data.get("threshold", 0.5)
        if not isinstance(weights, dict) or not isinstance(bias, int | float):
            raise TypeError("weights file without a weights mapping and a numeric bias")
        if not isinstance(threshold, int | float):
            raise TypeError(f"weights file with a non-numeric threshold: {threshold!r}")
        parsed = {str(k): float(v) for k, v in weights.items()}
        return cls(parsed, float(bias), float(threshold), lexicon)

    def score(
        self,
        raw: str,
        compound: float,
        folded: str | None = None,
        top: int = 3,
        shares: tuple[float, float] = (0.0, 0.0),
    ) -> TurnScore:
        """Score ``raw``; ``folded`` is ``fold(raw)`` when the caller already has it.

        ``compound`` and ``shares`` (negative, positive) are VADER's reading of ``raw``.
        """
        if folded is None:
            folded = fold(raw)
        tokens = _tokens(folded)
        # Summed with fsum: exact, so the sum is the same in whatever order the sets yield
        # their members (that order changes with the process's hash seed; a replay must not).
        terms = [self.bias]
        pushing: list[tuple[float, str]] = []
        # Set operations run in C: each distinct word or pair counts once, as in training.
        distinct = set(tokens)
        words = self._words
        for word in distinct & self._word_set:
            weight = words[word]
            terms.append(weight)
            if weight >= _EVIDENCE_MIN:
                pushing.append((weight, word))
        if self._pairs:
            starts = self._pair_starts
            pairs = self._pairs
            candidates = {f"{a} {b}" for a, b in pairwise(tokens) if a in starts}
            for pair in candidates & self._pair_set:
                weight = pairs[pair]
                terms.append(weight)
                if weight >= _EVIDENCE_MIN:
                    pushing.append((weight, pair))
        if self._punctuation and ("!" in folded or "?" in folded):
            runs = {_punctuation(t) for t in distinct if t[0] in "!?"}
            terms.extend(self._punctuation.get(key, 0.0) for key in runs)
        if self._dense:  # the intent scorers have none: skip the shouting count
            lexicon = self.lexicon
            valences = (0.0, 0.0)
            if lexicon is not None:  # word_valences, on the distinct words already at hand
                valences = _valences([lexicon[t] for t in distinct & self._lexicon_words])
            dense = dense_features(raw, compound, shares, valences)
            terms.extend(self._dense.get(name, 0.0) * value for name, value in dense.items())
        logit = math.fsum(terms)
        strongest = tuple(sorted(pushing, reverse=True)[:top])
        return TurnScore(_sigmoid(logit), strongest, raw, folded)


@lru_cache(maxsize=_TOKENISED_KEPT)
def _tokens(folded: str) -> tuple[str, ...]:
    """The scorers' tokens of a folded text: the stress and intent scorers share one pass."""
    tokens = _TOKEN.findall(folded)
    if _DIGIT.search(folded):
        return tuple(_NUMBER if token.isdecimal() else token for token in tokens)
    return tuple(tokens)


def _quote(raw: str, folded: str, pushing: tuple[tuple[float, str], ...]) -> tuple[Push, ...]:
    """The pushing words and pairs with the span of their first occurrence in ``raw``."""
    found = []
    spans: dict[str, tuple[int, int]] | None = None
    for weight, key in pushing:
        # A word's (or a pair's, with anything but words between) first place in the text.
        words = key.split(" ")
        pattern = r"(?<![\w'])" + r"[^\w!?]+".join(map(re.escape, words)) + r"(?![\w'])"
        match = re.search(pattern, folded)
        if match is not None:
            span = match.span()
        else:  # numbers read as "0": find the feature the way training saw it
            if spans is None:
                spans = {f[2:]: s for f, s in text_features(folded).items() if f[0] in "wb"}
            span = spans.get(key, (0, 0))
        found.append(Push(raw[span[0] : span[1]], span, weight))
    return tuple(found)


def _sigmoid(logit: float) -> float:
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    odds = math.exp(logit)
    return odds / (1.0 + odds)


def _shipped(name: str, lexicon: Mapping[str, float] | None = None) -> LinearModel:
    path = resources.files("escalate.signals").joinpath("weights", f"{name}.json.gz")
    with path.open("rb") as handle:
        data = json.loads(gzip.decompress(handle.read()))
    return LinearModel.from_json(data, lexicon)


@cache
def stress_model() -> LinearModel:
    """The shipped stress scorer, loaded on first use (once per process)."""
    from escalate.signals._context import vader_analyser  # noqa: PLC0415 - VADER loads once

    return _shipped("stress", vader_analyser().lexicon)


@cache
def intent_model(name: Literal["fraud"]) -> LinearModel:
    """A shipped intent scorer (``fraud``), loaded on first use.

    Its probability says how likely the text reports that intent; from the model's
    ``threshold`` on (chosen by the trainer on held-out data), the turn reports it.
    """
    return _shipped(name)
