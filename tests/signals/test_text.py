from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from escalate.core import TextAnalyser, fold
from escalate.signals import detector_set


@given(st.text())
def test_folding_keeps_the_length(text: str) -> None:
    assert len(fold(text)) == len(text)


def test_folding_lowers_strips_accents_and_blanks_controls() -> None:
    assert fold("Ça Möchte ÉTÉ") == "ca mochte ete"
    assert fold("don\u2019t\x00stop\u00a0now") == "don't stop now"
    assert fold("İ") == "i"


def test_typos_of_key_words_are_corrected_on_the_scan_copy_only() -> None:
    analyser = TextAnalyser(targets=["human", "representative"])
    text = analyser.analyse("Get me a HUMNA or a reprsentative!")
    assert text.scan == "get me a human or a representative!"
    assert text.folded == "get me a humna or a reprsentative!"
    assert text.tokens == ("get", "me", "a", "human", "or", "a", "representative")


def test_real_words_near_a_key_word_are_left_alone() -> None:
    analyser = detector_set().analyser
    for word in ("assistance", "contract", "personal", "managers", "assistanec"):
        assert analyser.analyse(word).scan == word


def test_misspellings_of_the_first_letter_are_not_guessed() -> None:
    analyser = TextAnalyser(targets=["speak"])
    assert analyser.analyse("xpeak").scan == "xpeak"
    assert analyser.analyse("speek").scan == "speak"


def test_a_known_word_one_edit_from_a_target_is_not_a_typo() -> None:
    assert TextAnalyser(targets=["speak"]).analyse("steak").scan == "speak"
    assert TextAnalyser(targets=["speak"], known=["steak"]).analyse("steak").scan == "steak"


@given(
    st.lists(
        st.sampled_from(["humna", "persn", "reprsentative", "ok", "é", " ", "!!", "agnet", "a"]),
        max_size=20,
    )
)
def test_spans_on_the_corrected_copy_map_back_to_the_original(pieces: list[str]) -> None:
    analyser = TextAnalyser(targets=["human", "person", "representative", "agent"])
    raw = " ".join(pieces)
    text = analyser.analyse(raw)
    # Every corrected word maps back onto the misspelt word it replaced.
    for match in re.finditer(r"human|person|representative|agent", text.scan):
        start, end = text.raw_span(*match.span())
        assert text.folded[start:end] in {
            "humna",
            "persn",
            "reprsentative",
            "agnet",
            "human",
            "person",
            "agent",
        }
    # And the end of the text maps to the end of the text.
    assert text.raw_span(len(text.scan), len(text.scan)) == (len(raw), len(raw))
