"""The strings a pattern's every match contains: the check may skip only scans that find nothing."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.signals import BUNDLED_LEXICONS
from escalate.signals._lexicon import Mode, load_lexicon
from escalate.signals._literals import required_strings

# Small regexes over a small alphabet, so that texts often match them.
atoms = st.sampled_from(["a", "b", "ab", "ba", ".", "[ab]", "[^a]", r"\w", r"\b", "x"])


def _regex(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return atoms
    inner = _regex(depth - 1)
    return st.one_of(
        atoms,
        st.lists(inner, min_size=1, max_size=3).map("".join),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: "(?:" + "|".join(parts) + ")"),
        st.tuples(inner, st.sampled_from(["?", "*", "+", "{2}", "{0,2}", "+?", "++"])).map(
            lambda pair: f"(?:{pair[0]}){pair[1]}"
        ),
        inner.map(lambda body: f"(?=a){body}"),
        inner.map(lambda body: f"(?<!b){body}"),
        inner.map(lambda body: f"(?i:{body})"),
    )


regexes = _regex(3)
texts = st.text(alphabet="abxAB .", max_size=12)


@settings(max_examples=500)
@given(regexes, texts)
def test_every_match_contains_one_of_the_required_strings(pattern: str, text: str) -> None:
    required = required_strings(pattern)
    if required is None:
        return
    assert all(required), "no empty requirement: it would say nothing"
    for match in re.finditer(pattern, text):
        assert any(string in match.group() for string in required), (pattern, match.group())


def test_a_possessive_suffix_is_required() -> None:
    assert required_strings(r"(?:agent|person)x?'s") == frozenset({"agent", "person"})
    assert required_strings(r"(?:\w+)'s") == frozenset({"'s"})


def test_optional_or_open_patterns_require_nothing() -> None:
    assert required_strings(r"(?:abc)?") is None
    assert required_strings(r"abc|\w") is None
    assert required_strings(r"(?i)abc") is None  # folded case could differ


SCANNED = [
    pattern.source
    for name in BUNDLED_LEXICONS
    for family in load_lexicon(name).families.values()
    for pattern in family.patterns
    if pattern.mode in {Mode.ALWAYS, Mode.GATED, Mode.CHARS}
]
WORDS = sorted({w for source in SCANNED for w in re.findall(r"[a-z']{2,}", source)})
lexicon_texts = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from([".", ",", "!", "'s", "😡", " "])),
    max_size=20,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SCANNED), lexicon_texts)
def test_bundled_scanned_patterns_never_match_without_their_strings(source: str, text: str) -> None:
    required = required_strings(source)
    if required is not None and re.search(source, text):
        assert any(string in text for string in required)


def test_the_bundled_patterns_scanned_on_every_turn_have_requirements() -> None:
    always = [
        pattern.source
        for name in BUNDLED_LEXICONS
        for family in load_lexicon(name).families.values()
        for pattern in family.patterns
        if pattern.mode is Mode.ALWAYS
    ]
    assert always
    assert all(required_strings(source) is not None for source in always)
