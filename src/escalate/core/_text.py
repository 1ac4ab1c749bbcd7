"""Text normalisation shared by every detector: done once per turn, read by all.

Matching happens on a *folded* copy of the text: lower case, accents removed, curly quotes
straightened, control characters blanked. Folding keeps the length, so a match's offsets are
also offsets into the original text and evidence can quote the customer's own words.

Misspelt key words ("humna", "reprsentative") are corrected on a second copy (``scan``) before
the lexicons run; ``raw_span`` maps offsets on that copy back to the original.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "LONG_WORD",
    "MIN_TYPO_LENGTH",
    "AnalysedText",
    "TextAnalyser",
    "content_words",
    "fold",
]

WORD = re.compile(r"[^\W_]+")
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'}


class _FoldTable(dict[int, str]):
    """``str.translate`` table built lazily: each code point is folded once per process."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


def _fold_char(char: str) -> str:
    if char in _QUOTES:
        return _QUOTES[char]
    category = unicodedata.category(char)
    if char.isspace() and char not in "\n\t":
        return " "  # every kind of space is a plain one, so patterns need only know that
    if category in {"Cc", "Cf"}:
        return " "
    lowered = char.lower()
    if len(lowered) != 1:  # "İ" lowers to "i" + a combining dot; keep offsets aligned
        lowered = _without_marks(char).lower()
        if len(lowered) != 1:
            return char
    base = _without_marks(lowered)
    return base if len(base) == 1 else lowered


def _without_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lower-case, strip accents and blank control characters, keeping the length.

    Examples:
        >>> fold("Je voudrais parler à un Conseiller")
        'je voudrais parler a un conseiller'
    """
    return text.translate(_FOLD_TABLE)


@dataclass(frozen=True, slots=True)
class AnalysedText:
    """A turn's text in the forms the detectors read."""

    raw: str
    """The text as received (after truncation)."""
    folded: str
    """``raw`` folded; same length, so offsets are shared."""
    scan: str
    """``folded`` with misspelt key words corrected; what lexicons match against."""
    tokens: tuple[str, ...]
    """Words of ``scan``."""
    _scan_starts: tuple[int, ...] = field(default=(), repr=False)
    _raw_starts: tuple[int, ...] = field(default=(), repr=False)

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``scan`` back to ``raw``."""
        if not self._scan_starts:
            return start, end
        return self._to_raw(start), self._to_raw(end)

    def _to_raw(self, offset: int) -> int:
        # Each recorded point starts a stretch where scan and raw advance together.
        i = bisect_right(self._scan_starts, offset) - 1
        if i < 0:
            return offset
        return self._raw_starts[i] + (offset - self._scan_starts[i])


class TextAnalyser:
    """Builds ``AnalysedText`` for every turn; owns the typo-correction vocabulary.

    Args:
        targets: words whose misspellings are corrected (``"humna"`` -> ``"human"``).
        known: real words that must never be "corrected" even when they are one edit
            away from a target (``"contract"`` is not a typo of ``"contact"``).
    """

    def __init__(self, targets: Iterable[str] = (), known: Iterable[str] = ()) -> None:
        self._targets = frozenset(t for t in targets if len(t) >= MIN_TYPO_LENGTH)
        self._known = frozenset(known) | self._targets
        # A misspelling is corrected to a target unless a real word is strictly nearer:
        # "assistanec" is nearer "assistance" than "assistant", so it is left alone.
        self._targets_by_letter = _by_first_letter(self._targets)
        self._others_by_letter = _by_first_letter(
            w for w in self._known - self._targets if len(w) >= MIN_TYPO_LENGTH
        )
        self._correct = lru_cache(maxsize=65536)(self._correction)
        # rapidfuzz loads with the first analyser, not with ``import escalate``.
        from rapidfuzz import process  # noqa: PLC0415
        from rapidfuzz.distance import OSA  # noqa: PLC0415

        self._nearest, self._distance = process.extractOne, OSA.distance

    def analyse(self, raw: str) -> AnalysedText:
        """Fold, correct and tokenise ``raw``."""
        folded = fold(raw)
        tokens = WORD.findall(folded)
        fixes = self._fixes(tokens) if self._targets else None
        if not fixes:
            return AnalysedText(raw, folded, folded, tuple(tokens))
        pieces: list[str] = []
        scan_starts: list[int] = []
        raw_starts: list[int] = []
        last = 0
        shift = 0
        for match in WORD.finditer(folded):
            fixed = fixes.get(match.group())
            if fixed is None:
                continue
            start, end = match.span()
            pieces.append(folded[last:start])
            pieces.append(fixed)
            last = end
            # From the corrected word's end onwards, scan offsets are shifted by this much.
            shift += len(fixed) - (end - start)
            scan_starts.append(end + shift)
            raw_starts.append(end)
        pieces.append(folded[last:])
        corrected = tuple(fixes.get(token, token) for token in tokens)
        return AnalysedText(
            raw, folded, "".join(pieces), corrected, tuple(scan_starts), tuple(raw_starts)
        )

    def _fixes(self, tokens: list[str]) -> dict[str, str]:
        fixes = {}
        for token in set(tokens).difference(self._known):
            if len(token) >= MIN_TYPO_LENGTH and token.isalpha():
                fixed = self._correct(token)
                if fixed != token:
                    fixes[token] = fixed
        return fixes

    def _correction(self, token: str) -> str:
        # Typos rarely touch the first letter; requiring it keeps "peak" from becoming "speak"
        # and narrows the search to one bucket.
        allowed = 1 if len(token) < LONG_WORD else 2
        targets = self._targets_by_letter.get(token[0])
        if not targets:
            return token
        target = self._nearest(token, targets, scorer=self._distance, score_cutoff=allowed)
        if target is None:
            return token
        others = self._others_by_letter.get(token[0], [])
        nearer = self._nearest(token, others, scorer=self._distance, score_cutoff=target[1] - 1)
        return token if nearer is not None else str(target[0])


def _by_first_letter(words: Iterable[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for word in sorted(words):
        grouped.setdefault(word[0], []).append(word)
    return grouped


MIN_TYPO_LENGTH = 5
LONG_WORD = 10


@cache
def _stopwords() -> frozenset[str]:
    text = resources.files("escalate.core").joinpath("stopwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line and not line.startswith("#")
    )


def content_words(tokens: tuple[str, ...]) -> str:
    """The tokens that carry the request, joined: what two turns are compared on."""
    stop = _stopwords()
    return " ".join([token for token in tokens if token not in stop])
