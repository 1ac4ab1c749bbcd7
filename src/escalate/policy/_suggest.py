"""'Did you mean...?' for names in policies and case files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rapidfuzz import process

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["did_you_mean", "nearest"]

_CUTOFF: Final = 70
"""rapidfuzz WRatio (0-100) a candidate needs to be suggested."""


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name``, if any is close enough to be a typo of it."""
    found = process.extractOne(name, list(candidates), score_cutoff=_CUTOFF)
    return None if found is None else str(found[0])


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the nearest candidate, or ``""``."""
    best = nearest(name, candidates)
    return "" if best is None else f"; did you mean {best!r}?"
