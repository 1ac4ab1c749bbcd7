"""The lexicon data format: compiling patterns and matching them."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import LexiconError
from escalate.core import TextAnalyser
from escalate.models import Role
from escalate.signals import BUNDLED_LEXICONS
from escalate.signals._lexicon import (
    SEP,
    _alternation,
    _is_optional,
    _is_repeated,
    _split_items,
    _word_starts,
    compile_lexicon,
    load_lexicon,
)
from escalate.signals._scanner import Scanner


def matches(spec: dict[str, Any], text: str, role: Role = Role.USER) -> list[tuple[str, str]]:
    lexicon = compile_lexicon("t", spec)
    found = Scanner([lexicon], engine="python").scan(TextAnalyser().analyse(text), role)
    return [(m.family, m.text) for m in found.get("t", [])]


def family(*patterns: str, **extra: Any) -> dict[str, Any]:
    return {"vocab": VOCAB, "families": {"f": {"patterns": list(patterns), **extra}}}


VOCAB = {"verb": ["talk", "speak"], "noun": ["human", "real person"], "det": ["a", "an", "the"]}


class TestPatternSyntax:
    def test_a_space_is_any_separator_within_a_clause(self) -> None:
        assert matches(family("talk to"), "talk   to") == [("f", "talk   to")]
        assert matches(family("talk to"), "talk-to") == [("f", "talk-to")]
        assert matches(family("talk to"), "talk, to") == []
        assert matches(family("talk to"), "talk. to") == []

    def test_words_match_whole_words_only(self) -> None:
        assert matches(family("talk"), "talking") == []
        assert matches(family("talk"), "stalk") == []

    def test_vocabulary_lists(self) -> None:
        assert matches(family("{verb} to {det} {noun}"), "Speak to a real person!") == [
            ("f", "Speak to a real person")
        ]

    def test_optional_items_take_their_separator_with_them(self) -> None:
        spec = family("{verb} to {det}? {noun}")
        assert matches(spec, "talk to human") == [("f", "talk to human")]
        assert matches(spec, "talk to the human") == [("f", "talk to the human")]

    def test_optional_groups_work_like_optional_vocabulary(self) -> None:
        spec = family("waste of (?:my|our)? time")
        assert matches(spec, "a waste of time") == [("f", "waste of time")]
        assert matches(spec, "a waste of my time") == [("f", "waste of my time")]

    def test_spaces_inside_groups_are_separators(self) -> None:
        assert matches(family("(?:has been|was) hacked"), "has  been hacked") == [
            ("f", "has  been hacked")
        ]

    def test_repeated_items(self) -> None:
        spec = family("{verb} {det}* {noun}")
        assert matches(spec, "talk the a human") == [("f", "talk the a human")]

    def test_gaps_allow_other_words_but_not_clause_breaks(self) -> None:
        spec = family("{verb} ~2 {noun}")
        assert matches(spec, "talk to some human") == [("f", "talk to some human")]
        assert matches(spec, "talk to some other kind of human") == []
        assert matches(spec, "talk to. human") == []

    def test_loose_gaps_cross_punctuation(self) -> None:
        assert matches(family("withdrew ~~4 i didn't"), "it says I withdrew cash. I didn't") == [
            ("f", "withdrew cash. I didn't")
        ]

    def test_start_and_end_anchors(self) -> None:
        spec = family("^ {noun} $")
        assert matches(spec, "  human!! ") == [("f", "human")]
        assert matches(spec, "a human") == []

    def test_apostrophes_are_optional_in_vocabulary(self) -> None:
        spec = {"vocab": {"neg": ["don't"]}, "families": {"f": {"patterns": ["{neg} transfer"]}}}
        assert matches(spec, "dont transfer") == [("f", "dont transfer")]
        assert matches(spec, "don't transfer") == [("f", "don't transfer")]

    def test_matches_are_on_folded_text_but_quote_the_original(self) -> None:
        spec = {"families": {"f": {"patterns": ["parler a un conseiller"]}}}
        assert matches(spec, "PARLER À UN CONSEILLER") == [("f", "PARLER À UN CONSEILLER")]

    def test_two_phrasings_of_one_family_on_the_same_words_count_once(self) -> None:
        spec = family("{verb} to", "{verb} to {det} {noun}")
        assert matches(spec, "talk to a human") == [("f", "talk to a human")]


class TestFamilies:
    def test_vetoes_drop_overlapping_matches(self) -> None:
        spec = {
            "vocab": VOCAB,
            "families": {
                "request": {"patterns": ["{verb} to {det}? {noun}"]},
                "refusal": {"patterns": ["don't want to {verb}"], "vetoes": ["request"]},
            },
        }
        assert matches(spec, "I don't want to talk to a human") == [
            ("refusal", "don't want to talk")
        ]
        assert matches(spec, "talk to a human") == [("request", "talk to a human")]

    def test_families_are_read_on_their_roles_only(self) -> None:
        spec = {"families": {"offer": {"patterns": ["shall i connect you"], "roles": ["bot"]}}}
        assert matches(spec, "shall I connect you", Role.USER) == []
        assert matches(spec, "shall I connect you", Role.BOT) == [("offer", "shall I connect you")]

    def test_family_settings_are_kept(self) -> None:
        lexicon = compile_lexicon(
            "t", {"families": {"f": {"patterns": ["x"], "score": 0.4, "kind": "k"}}}
        )
        assert (lexicon.family("f").score, lexicon.family("f").kind) == (0.4, "k")


class TestErrors:
    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ([], "expected a mapping"),
            ({"familes": {}}, "unknown keys"),
            ({"families": {"f": {"patterns": ["{nope}"]}}}, r"unknown vocabulary \{nope\}"),
            ({"families": {"f": {"patterns": ["(unclosed"]}}}, "unbalanced brackets"),
            ({"families": {"f": {"patterns": ["a+++"]}}}, "not a valid expression"),
            (
                {"families": {"f": {"patterns": ["{x}?"]}}, "vocab": {"x": ["a"]}},
                "needs at least one required word",
            ),
            (
                {"families": {"f": {"patterns": ["a"], "score": 2}}},
                "score must be a number from 0 to 1",
            ),
            ({"families": {"f": {"patterns": ["a"], "roles": ["robot"]}}}, "robot"),
            (
                {"families": {"f": {"patterns": ["a"], "vetoes": ["g"]}}},
                "vetoes unknown family 'g'",
            ),
            ({"families": {"f": {"patterns": "a"}}}, "must be a list of strings"),
            (
                {"vocab": {"x": ["a", True]}, "families": {}},
                "item 2 must be a string, got True.*quote it",
            ),
            ({"families": {"f": {"pattern": ["a"]}}}, "unknown keys"),
        ],
    )
    def test_bad_lexicons_say_what_and_where(self, spec: Any, message: str) -> None:
        with pytest.raises(LexiconError, match=message):
            compile_lexicon("shop", spec)


@pytest.mark.parametrize("name", BUNDLED_LEXICONS)
def test_bundled_lexicons_compile(name: str) -> None:
    lexicon = load_lexicon(name)
    assert lexicon.families
    assert all(family.patterns for family in lexicon.families.values())


@pytest.mark.parametrize("name", BUNDLED_LEXICONS)
def test_every_bundled_pattern_is_a_valid_expression(name: str) -> None:
    # The bundled lexicons load without compiling their patterns (start-up cost), so this test
    # is what holds them valid.
    for family in load_lexicon(name).families.values():
        for pattern in family.patterns:
            assert isinstance(pattern.regex, re.Pattern)


def test_a_bad_expression_raises_at_compile_time_unless_unchecked() -> None:
    spec = {"families": {"f": {"patterns": ["talk (?<=x+)"]}}}
    with pytest.raises(LexiconError, match="not a valid expression"):
        compile_lexicon("shop", spec)
    unchecked = compile_lexicon("shop", spec, check=False)
    with pytest.raises(re.error):
        _ = unchecked.families["f"].patterns[0].regex


phrases = st.lists(
    st.text(alphabet="abcx' ", min_size=1, max_size=7).map(str.strip).filter(bool),
    min_size=1,
    max_size=10,
)


@given(phrases, st.lists(st.text(alphabet="abcx' -", max_size=9), max_size=20))
def test_a_trie_alternation_matches_exactly_the_listed_phrases(
    vocab: list[str], probes: list[str]
) -> None:
    listed = set(vocab) | {phrase.replace("'", "") for phrase in vocab}
    reference = re.compile("(?:" + "|".join(re.escape(p).replace(r"\ ", SEP) for p in listed) + ")")
    trie = re.compile(_alternation(vocab))
    for text in [*vocab, *listed, *probes]:
        assert bool(trie.fullmatch(text)) == bool(reference.fullmatch(text)), text


class TestNeeds:
    """``CompiledPattern.needs``: a turn whose words lack one cannot match, so it is skipped."""

    @pytest.mark.parametrize(
        ("item", "starts"),
        [
            ("{verb}", {"tal", "spe"}),
            ("{noun}", {"hum", "rea"}),
            ("{det}", {"a", "an", "the"}),  # short whole words are whole words of the text
            ("(?:has been|was)", {"has", "was"}),
            ("frustrat\\w*", {"fru"}),
            ("colou?r", {"col"}),
            ("(?:i|we)", {"i", "we"}),
            ("don't", {"don"}),  # "dont" starts so too
        ],
    )
    def test_the_starts_of_an_item(self, item: str, starts: set[str]) -> None:
        assert _word_starts(item, VOCAB) == starts

    @pytest.mark.parametrize(
        "item",
        [
            "do\\w*",  # a short head that may go on: any word starting "do"
            "i'm",  # also matched as "im", whose first word is not "i"
            "(?!not)",
            "(?:a|\\w+)",
            "cancel(?:led|ed)",
            "x{2}",
            "[ab]c",
        ],
    )
    def test_items_with_no_sure_start_need_nothing(self, item: str) -> None:
        assert _word_starts(item, VOCAB) is None

    def test_a_contraction_matches_without_its_apostrophe(self) -> None:
        spec = {"vocab": {"v": ["i'm", "don't"]}, "families": {"f": {"patterns": ["so {v}"]}}}
        assert compile_lexicon("t", spec).families["f"].patterns[0].needs == ()
        assert matches(spec, "so im late, so dont ask") == [("f", "so im"), ("f", "so dont")]

    def test_a_phrase_needs_its_second_word_right_after_its_first(self) -> None:
        spec = {
            "vocab": {"hard": ["lost my job", "lost touch", "can't afford", "e-mail me"]},
            "families": {"f": {"patterns": ["{hard}"]}},
        }
        pattern = compile_lexicon("t", spec).families["f"].patterns[0]
        # "can't afford" is also "cant afford": its second word is not sure; "e-mail" is "e".
        assert pattern.next_words == {"lost": frozenset({"my", "tou"})}
        found = matches(spec, "I lost my job. Lost, my job? I can't afford it. E-mail me")
        assert found == [("f", "lost my job"), ("f", "can't afford"), ("f", "E-mail me")]

    def test_words_a_pattern_needs_must_come_after_its_first(self) -> None:
        spec = family("{verb} ~3 {noun}")
        assert matches(spec, "a human? I want to talk") == []
        assert matches(spec, "a human? I want to talk to a human") == [("f", "talk to a human")]

    def test_patterns_missing_a_word_are_skipped_and_others_found(self) -> None:
        spec = family("{verb} ~2 {det} {noun}")
        pattern = compile_lexicon("t", spec).families["f"].patterns[0]
        assert set(pattern.needs) == {frozenset({"a", "an", "the"}), frozenset({"hum", "rea"})}
        assert matches(spec, "talk to a human") == [("f", "talk to a human")]
        assert matches(spec, "talk to a bot") == []


def _bundled_patterns() -> list[Any]:
    return [
        pattern
        for name in BUNDLED_LEXICONS
        for family in load_lexicon(name).families.values()
        for pattern in family.patterns
    ]


def _lexicon_words() -> list[str]:
    words: set[str] = set()
    for pattern in _bundled_patterns():
        words.update(re.findall(r"[a-z']{1,}", pattern.regex.pattern))
    return sorted(words)


LEXICON_WORDS = _lexicon_words()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(LEXICON_WORDS), st.sampled_from([".", ",", "?", "-", "_", "'"])),
        max_size=12,
    ).map(" ".join)
)
def test_a_bundled_pattern_matches_only_where_its_needs_hold(text: str) -> None:
    analysed = TextAnalyser().analyse(text)
    starts = {token[:3] for token in analysed.tokens}
    for pattern in _bundled_patterns():
        if pattern.regex.search(analysed.scan) is not None:
            missing = [need for need in pattern.needs if need.isdisjoint(starts)]
            assert not missing, (pattern.source, text)


def test_a_bundled_lexicon_is_compiled_once_per_process() -> None:
    # Every Escalator, the scanner and the evidence-kind list share one compiled copy.
    assert load_lexicon("stress") is load_lexicon("stress")


def _can_match_nothing(item: str) -> bool:
    # Drop every "(...)?" group (one level of nesting): what remains must match something.
    rest, before = item, None
    while rest != before:
        before, rest = rest, re.sub(r"\((?:[^()]|\([^()]*\))*\)\?", "", rest)
    return not rest.strip()


@pytest.mark.parametrize("name", BUNDLED_LEXICONS)
def test_optional_words_are_items_of_their_own(name: str) -> None:
    # "(?:for )?(?:over)? {number}" as one item needs a separator on each side even when it
    # matches nothing, so "waited 40 minutes" would not match; "(?:for)? (?:over)?" does.
    source = resources.files("escalate.signals").joinpath("lexicons", f"{name}.yaml")
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for family, spec in data["families"].items():
        for pattern in spec.get("patterns", []):
            for item in _split_items(f"{name}.{family}", pattern):
                optional = _is_optional(item) or _is_repeated(item)
                assert optional or not _can_match_nothing(item), (family, pattern, item)
