"""Strings a regex's every match must contain: a check that skips a scan that cannot match.

Some patterns cannot be indexed by a first word (``{human_noun}'s``, or a group of several
openings) and are scanned across every turn, each costing about half a VADER. But every match
of ``{human_noun}'s`` contains ``'s``, and every match of ``... (?:cancelled|terminated)``
contains ``cancel`` or ``terminated``: when none of them is in the text, the scan is skipped.
The strings are read off the parsed regex, conservatively: any doubt gives no requirement, so
a skipped scan is always one that would have found nothing.
"""

from __future__ import annotations

import re
from functools import cache

# The parser behind re.compile and its opcodes (CPython 3.11+; typeshed does not list them).
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

__all__ = ["required_strings"]

_REPEATS = frozenset({sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT})
_CASE_FLAGS = re.IGNORECASE | re.LOCALE


@cache
def required_strings(pattern: str) -> frozenset[str] | None:
    r"""Strings one of which every match of ``pattern`` contains; ``None`` when none is known.

    Examples:
        >>> sorted(required_strings(r"(?:agent|human)'s"))
        ['agent', 'human']
        >>> sorted(required_strings(r"x?(?:cancel+ed|terminated)"))
        ['cance', 'terminated']
        >>> print(required_strings(r"\w+|now"))
        None
    """
    parsed = parser.parse(pattern)
    if parsed.state.flags & _CASE_FLAGS:
        return None
    return _best(_requirements(list(parsed)))


def _requirements(items: list[tuple[Any, Any]]) -> list[frozenset[str]]:
    """Sets of strings such that every match of the sequence contains one of each set."""
    found: list[frozenset[str]] = []
    run: list[str] = []
    for op, argument in items:
        if op is sre.LITERAL:
            run.append(chr(argument))
            continue
        if run:  # anything else ends a run of literal characters
            found.append(frozenset({"".join(run)}))
            run = []
        if op is sre.SUBPATTERN:
            _, add_flags, _, body = argument
            if not add_flags & _CASE_FLAGS:
                found.extend(_requirements(list(body)))
        elif op is sre.ATOMIC_GROUP:
            found.extend(_requirements(list(argument)))
        elif op in _REPEATS and argument[0] >= 1:  # occurs at least once
            found.extend(_requirements(list(argument[2])))
        elif op is sre.BRANCH:
            alternatives = [_best(_requirements(list(branch))) for branch in argument[1]]
            if all(alternative is not None for alternative in alternatives):
                found.append(frozenset().union(*alternatives))  # type: ignore[arg-type]
    if run:
        found.append(frozenset({"".join(run)}))
    return found


def _best(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    """The most telling requirement: longest shortest string, then fewest strings."""
    if not candidates:
        return None
    return max(candidates, key=lambda strings: (min(map(len, strings)), -len(strings)))
