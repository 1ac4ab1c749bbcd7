"""The two scanning engines give the same matches; RE2's patterns never match less."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import MissingDependencyError
from escalate.models import Role
from escalate.signals import BUNDLED_LEXICONS, detector_set
from escalate.signals._lexicon import load_lexicon
from escalate.signals._scanner import Scanner, _re2_source, re2_available

NAMES = BUNDLED_LEXICONS

needs_re2 = pytest.mark.skipif(not re2_available(), reason="escalate[fast] is not installed")


def vocabulary() -> list[str]:
    """Words and phrases the lexicons know, to build texts that actually match something."""
    words: set[str] = set()
    for name in NAMES:
        for family in load_lexicon(name).families.values():
            for pattern in family.patterns:
                words.update(re.findall(r"[a-z']{2,}", pattern.regex.pattern))
    return sorted(words)


WORDS = vocabulary()


@cache
def engines() -> tuple[Scanner, Scanner]:
    lexicons = [load_lexicon(name) for name in NAMES]
    return Scanner(lexicons, "re2"), Scanner(lexicons, "python")


def agree(text: str, role: Role) -> None:
    analyser = detector_set().analyser
    analysed = analyser.analyse(text)
    with_re2, pure_python = engines()
    assert with_re2.scan(analysed, role) == pure_python.scan(analysed, role)


texts = st.lists(
    st.one_of(
        st.sampled_from(WORDS), st.sampled_from([".", ",", "!", "?", "😡", "ß", "中文", "  "])
    ),
    max_size=25,
).map(" ".join)


@needs_re2
@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from([Role.USER, Role.BOT]))
def test_both_engines_find_the_same_matches(text: str, role: Role) -> None:
    agree(text, role)


@needs_re2
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from([Role.USER, Role.BOT]))
def test_both_engines_agree_on_arbitrary_text(text: str, role: Role) -> None:
    agree(text, role)


@needs_re2
def test_engines_agree_on_every_example_in_the_demo() -> None:
    rows = resources.files("escalate.demo").joinpath("conversations.jsonl").read_text().splitlines()
    for row in map(json.loads, rows):
        agree(row["text"], Role(row["role"]))


@pytest.mark.parametrize(
    ("python", "text"),
    [
        (r"(?<![^\W_])talk(?![^\W_])", "_talk"),
        (r"(?<![^\W_])caf[^\W_]", "café"),
        (r"\w+\s+\d", "naïve ٣"),
        (r"(?:ok)[\W_]*$", "ok\n"),
        (r"[^\w.!?;:,]+x", "—x"),
    ],
)
def test_re2_translations_match_whatever_python_matches(python: str, text: str) -> None:
    re2 = pytest.importorskip("re2")
    assert re.search(python, text)
    assert re2.search(_re2_source(python), text)


def test_translation_drops_lookarounds_and_boundaries() -> None:
    assert _re2_source(r"(?<![^\W_])a\b(?=x)(?!y)") == "a"


def test_asking_for_re2_without_it_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import escalate.signals._scanner as scanner

    monkeypatch.setattr(scanner, "_re2", lambda: None)
    with pytest.raises(MissingDependencyError, match=r"escalate\[fast\]"):
        Scanner([load_lexicon("loop")], "re2")
    assert Scanner([load_lexicon("loop")], "auto").engine == "python"
