"""The two scanning engines give the same matches; RE2's patterns never match less.

The default engine also finds exactly what running each pattern with ``re`` wherever its
anchors let it be tried finds (the reference), though it skips most patterns without compiling
them.

Also: overlap resolution and vetoes agree with their simple quadratic definitions and stay
linear on hit-dense text; lone surrogates (valid JSON) never break the RE2 prefilter.
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Escalator, MissingDependencyError, ReasonCode, Turn
from escalate.core import TextAnalyser
from escalate.models import Role
from escalate.signals import BUNDLED_LEXICONS, detector_set
from escalate.signals._context import bundled_scanner
from escalate.signals._lexicon import (
    ANCHOR_LENGTH,
    PREFIX_MARK,
    LexiconMatch,
    Mode,
    compile_lexicon,
    load_lexicon,
)
from escalate.signals._scanner import (
    _WORD,
    Scanner,
    _leftmost,
    _longest_disjoint,
    _re2_source,
    _unvetoed,
    re2_available,
)
from escalate.testing import quiet_logger

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


def reference_scan(scanner: Scanner, text: str, role: Role) -> dict[str, list[LexiconMatch]]:
    """The definition: each pattern run with ``re`` wherever its anchors let the scanner try it.

    A pattern keyed by its first words is tried (``match``) at each place where one of them
    begins, one gated by a word is run across the text when the word
    occurs, the others across every text (emoji patterns when one of their characters does).
    No pattern is skipped for want of its other words, as the scanner does before compiling.
    (The keys are the scanner's: a first word written with an apostrophe, "i'm crying", is
    keyed "i", so "im crying" is not tried there, though the whole regex would match it.)
    """
    analysed = detector_set().analyser.analyse(text)
    scan, words = analysed.scan, set(analysed.tokens)
    prefixes = {word[:ANCHOR_LENGTH] + PREFIX_MARK for word in words if len(word) >= 3}

    def present(key: str) -> bool:
        return key in words or key in prefixes

    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for lexicon in scanner.lexicons.values():
        for family in lexicon.families.values():
            if role not in family.roles:
                continue
            found: list[tuple[int, int]] = []
            for pattern in family.patterns:
                if pattern.mode is Mode.AT_WORDS:
                    at_words: list[tuple[int, int]] = []
                    for key in pattern.anchors:
                        if present(key):
                            word = re.escape(key.removesuffix(PREFIX_MARK))
                            end = "" if key.endswith(PREFIX_MARK) else r"(?![^\W_])"
                            for place in re.finditer(rf"(?<![^\W_]){word}{end}", scan):
                                hit = pattern.regex.match(scan, place.start())
                                at_words += [hit.span()] if hit else []
                    found += _leftmost(at_words)
                elif pattern.mode is Mode.AT_START:
                    hit = pattern.regex.match(scan)
                    found += [hit.span()] if hit else []
                elif (
                    pattern.mode is Mode.ALWAYS
                    or (pattern.mode is Mode.GATED and any(map(present, pattern.anchors)))
                    or (pattern.mode is Mode.CHARS and not pattern.anchors.isdisjoint(scan))
                ):
                    found += [hit.span() for hit in pattern.regex.finditer(scan)]
            if found:
                spans[(lexicon.name, family.name)] = [analysed.raw_span(*span) for span in found]
    return scanner._matches(spans, analysed) if spans else {}


def same_as_reference(text: str, role: Role) -> None:
    pure_python = engines()[1]
    analysed = detector_set().analyser.analyse(text)
    assert pure_python.scan(analysed, role) == reference_scan(pure_python, text, role)


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from([Role.USER, Role.BOT]))
def test_the_default_engine_finds_what_re_finds_where_it_tries(text: str, role: Role) -> None:
    same_as_reference(text, role)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from([Role.USER, Role.BOT]))
def test_the_default_engine_finds_what_re_finds_on_arbitrary_text(text: str, role: Role) -> None:
    same_as_reference(text, role)


def test_the_default_engine_finds_what_re_finds_on_every_example_in_the_demo() -> None:
    rows = resources.files("escalate.demo").joinpath("conversations.jsonl").read_text().splitlines()
    for row in map(json.loads, rows):
        same_as_reference(row["text"], Role(row["role"]))


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, st.text(max_size=60)))
def test_the_scanner_splits_words_as_the_analyser_does(text: str) -> None:
    # The scanner finds a word's places with its own split of ``scan``; a typo correction
    # that broke the split would make it look for words at the wrong places.
    analysed = detector_set().analyser.analyse(text)
    assert tuple(_WORD.findall(analysed.scan)) == analysed.tokens


@needs_re2
def test_engines_agree_on_every_example_in_the_demo() -> None:
    rows = resources.files("escalate.demo").joinpath("conversations.jsonl").read_text().splitlines()
    for row in map(json.loads, rows):
        agree(row["text"], Role(row["role"]))


@needs_re2
def test_the_default_scanner_is_pure_python_even_with_re2_installed() -> None:
    # On text seen for the first time RE2 was the slower engine (benchmarks/bench_turn.py).
    assert Scanner([load_lexicon("loop")]).engine == "python"
    assert bundled_scanner().engine == "python"
    assert Scanner([load_lexicon("loop")], "re2").engine == "re2"


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


def test_translation_drops_possessive_quantifiers_not_escaped_plus_signs() -> None:
    assert _re2_source(r"^[\W_]*+a++b?+c{1,2}+") == "^[^0-9A-Za-z]*a+b?c{1,2}"
    assert _re2_source(r"\++x[+]+") == r"\++x[+]+"


def test_asking_for_re2_without_it_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import escalate.signals._scanner as scanner

    monkeypatch.setattr(scanner, "_re2", lambda: None)
    with pytest.raises(MissingDependencyError, match=r"escalate\[fast\]"):
        Scanner([load_lexicon("loop")], "re2")
    assert Scanner([load_lexicon("loop")], "auto").engine == "python"


def greedy_longest_disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The definition: longest first, then leftmost; keep what overlaps nothing kept."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda span: (span[0] - span[1], span[0])):
        if all(end <= other_start or other_end <= start for other_start, other_end in kept):
            kept.append((start, end))
    return sorted(kept)


# Short spans over a short stretch, so that they overlap, nest, touch and repeat; empty ones too.
span_lists = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 9)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=30,
)


@settings(max_examples=500, deadline=None)
@given(span_lists)
def test_overlap_resolution_is_the_longest_first_greedy(spans: list[tuple[int, int]]) -> None:
    assert _longest_disjoint(spans) == greedy_longest_disjoint(spans)


def as_matches(spans: list[tuple[int, int]]) -> list[LexiconMatch]:
    return [LexiconMatch("f", "k", 0.5, start, end, "") for start, end in spans]


@settings(max_examples=500, deadline=None)
@given(span_lists, span_lists)
def test_vetoes_remove_exactly_the_overlapping_hits(
    hits: list[tuple[int, int]], vetoes: list[tuple[int, int]]
) -> None:
    def overlaps(hit: LexiconMatch, veto: LexiconMatch) -> bool:
        return veto.start <= hit.start < veto.end or hit.start <= veto.start < hit.end

    hit_matches, veto_matches = as_matches(hits), as_matches(vetoes)
    expected = [h for h in hit_matches if not any(overlaps(h, v) for v in veto_matches)]
    assert _unvetoed(hit_matches, veto_matches) == expected


@pytest.mark.parametrize(
    "unit",
    [
        # Emoji and keyword hits, with two phrasings of one family overlapping ("don't know
        # how", "how to") in every repeat: overlap resolution was quadratic in the matches.
        "I don't know how to, need it ASAP 😡 ",
        # No word at all: a pattern anchored at the start ("^ .*?") backtracked over the
        # leading punctuation, quadratic in its length.
        "!? ",
        "😡 ",
        ".\n",
    ],
)
@pytest.mark.parametrize("engine", ["python", "re2"])
def test_a_hit_dense_or_wordless_text_scans_in_time_linear_in_its_length(
    unit: str, engine: str
) -> None:
    # 20x the text must not cost ~400x the time: the bound is relative to the short text,
    # timed in the same test (best of a few, in CPU time of this thread).
    if engine == "re2" and not re2_available():
        pytest.skip("escalate[fast] is not installed")
    analyser = detector_set().analyser
    scanner = engines()[0] if engine == "re2" else engines()[1]
    short, long = analyser.analyse(unit * 350), analyser.analyse(unit * 7000)

    def best_time(text: object, repeats: int) -> tuple[float, int]:
        times = []
        for _ in range(repeats):
            begin = time.thread_time()
            found = scanner.scan(text, Role.USER)  # type: ignore[arg-type]
            times.append(time.thread_time() - begin)
        return min(times), sum(map(len, found.values()))

    short_time, short_hits = best_time(short, 5)
    long_time, long_hits = best_time(long, 3)
    assert long_hits == 20 * short_hits >= (20_000 if "ASAP" in unit else 0)
    assert long_time < 60 * max(short_time, 1e-3)


surrogate_texts = st.tuples(
    st.lists(
        st.one_of(
            st.sampled_from(WORDS),
            st.sampled_from([".", "😡", "ß", "  "]),
            st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([" ", ""]),
).map(lambda parts: parts[1].join(parts[0]))


@needs_re2
@settings(max_examples=300, deadline=None)
@given(surrogate_texts, st.sampled_from([Role.USER, Role.BOT]))
def test_both_engines_agree_on_text_with_lone_surrogates(text: str, role: Role) -> None:
    agree(text, role)


@cache
def escalator() -> Escalator:
    return Escalator(logger=quiet_logger())


@settings(max_examples=200, deadline=None)
@given(surrogate_texts, st.sampled_from(["user", "bot"]))
def test_lone_surrogates_never_make_a_turn_fail(text: str, role: str) -> None:
    decision = escalator().evaluate("surrogates", Turn(role=role, text=text))  # type: ignore[arg-type]
    assert ReasonCode.ENGINE_ERROR not in decision.reason_codes


def test_a_request_for_a_person_with_a_lone_surrogate_is_handed_off() -> None:
    decision = escalator().evaluate(
        "one", Turn(role="user", text="I want to talk to a person \ud800")
    )
    assert decision.action.value == "handoff"
    assert decision.reason_codes == (ReasonCode.HUMAN_REQUESTED,)


def test_words_are_found_where_they_are_even_when_a_correction_is_not_one_word() -> None:
    # A custom analyser may correct "emails" to "e-mails": two words of the scanned text, one
    # token; the scanner must still try "now" where each "now" begins.
    analysed = TextAnalyser(targets=["e-mails"]).analyse("now emails now")
    assert analysed.scan == "now e-mails now"
    assert analysed.tokens == ("now", "e-mails", "now")
    lexicon = compile_lexicon("t", {"families": {"f": {"patterns": ["now"]}}})
    found = Scanner([lexicon], "python").scan(analysed, Role.USER)
    assert [(m.start, m.end) for m in found["t"]] == [(0, 3), (11, 14)]  # in the raw text
