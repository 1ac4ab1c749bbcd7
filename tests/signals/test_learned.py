from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate.core import fold
from escalate.signals._learned import (
    FORMAT,
    LinearModel,
    dense_features,
    stress_model,
    text_features,
    word_valences,
)
from escalate.signals.stress import vader_analyser


def probability(text: str) -> float:
    compound = vader_analyser().polarity_scores(text)["compound"]
    return stress_model().score(text, compound).probability


def test_the_weights_ship_in_the_package_and_are_compact() -> None:
    path = resources.files("escalate.signals").joinpath("weights", "stress.json.gz")
    packed = path.read_bytes()
    assert len(packed) < 1_000_000
    data = json.loads(gzip.decompress(packed))
    assert data["format"] == FORMAT
    assert data["weights"]
    assert all(weight != 0 for weight in data["weights"].values())


def test_the_model_is_loaded_once() -> None:
    assert stress_model() is stress_model()


def test_plain_anger_in_new_words_ranks_above_calm_text() -> None:
    angry = [
        "This is a terrible mess and I am sick of your awful excuses",
        "I hate this, the worst experience I have had with any shop",
    ]
    calm = [
        "Could you tell me how to update my postal address?",
        "I would like to order two more of the blue ones please",
        "Thank you, that was quick and easy",
    ]
    assert min(map(probability, angry)) > max(map(probability, calm))
    assert max(map(probability, calm)) < 0.3


def test_evidence_spans_point_at_the_words_in_the_text() -> None:
    text = "Honestly this is AWFUL and I'm so disappointed"
    compound = vader_analyser().polarity_scores(text)["compound"]
    scored = stress_model().score(text, compound)
    assert scored.pushes
    for push in scored.pushes:
        start, end = push.span
        assert text[start:end] == push.text
        assert push.weight > 0
    assert [p.weight for p in scored.pushes] == sorted(
        (p.weight for p in scored.pushes), reverse=True
    )
    assert "AWFUL" in {p.text for p in scored.pushes}


def test_a_pair_is_quoted_across_punctuation_between_its_words() -> None:
    model = LinearModel({"b:how dare": 2.0, "w:dare": 0.1}, -1.0)
    scored = model.score("How, dare you", 0.0)
    assert scored.pushes[0].text == "How, dare"
    assert scored.pushes[0].span == (0, 9)


def test_numbers_read_as_one_word() -> None:
    model = LinearModel({"w:0": 1.0, "b:0 times": 1.0}, 0.0)
    scored = model.score("I called 12 times", 0.0)
    assert {p.text for p in scored.pushes} == {"12", "12 times"}


def test_a_file_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        LinearModel.from_json({"format": "other", "weights": {}, "bias": 0})


def reference(model: LinearModel, text: str, compound: float) -> float:
    """The logit the trainer's features give, the slow way."""
    logit = model.bias
    for feature in text_features(fold(text)):
        logit += model.weights.get(feature, 0.0)
    folded = fold(text)
    valences = word_valences(folded, model.lexicon) if model.lexicon is not None else (0.0, 0.0)
    for feature, value in dense_features(text, compound, valences=valences).items():
        logit += model.weights.get(feature, 0.0) * value
    return logit


@given(st.text(), st.floats(min_value=-1, max_value=1))
def test_scores_are_probabilities_and_match_the_training_features(
    text: str, compound: float
) -> None:
    model = stress_model()
    scored = model.score(text, compound)
    assert 0.0 <= scored.probability <= 1.0
    expected = 1 / (1 + math.exp(-reference(model, text, compound)))
    assert math.isclose(scored.probability, expected, rel_tol=1e-9, abs_tol=1e-12)


@given(st.text(alphabet=st.sampled_from(["\ud800", "\udfff", "a", "!", " ", "?", "1", "'"])))
def test_never_raises_on_surrogates_or_empty_text(text: str) -> None:
    assert 0.0 <= stress_model().score(text, 0.0).probability <= 1.0


def test_empty_text_is_the_prior() -> None:
    scored = stress_model().score("", 0.0)
    assert 0.0 < scored.probability < 0.5
    assert scored.pushes == ()


def test_a_weights_file_may_set_the_threshold() -> None:
    data = {"format": FORMAT, "bias": 0.0, "weights": {"w:x": 1.0}, "threshold": 0.8}
    assert LinearModel.from_json(data).threshold == 0.8
    assert LinearModel.from_json({**data, "threshold": 0.5}).threshold == 0.5
    with pytest.raises(TypeError):
        LinearModel.from_json({**data, "threshold": "high"})


def test_scores_are_the_same_in_every_process() -> None:
    """Set order follows the hash seed; the sum must not (a replayed turn gets the same level)."""
    code = (
        "from escalate.signals._learned import stress_model;"
        "print(repr(stress_model().score("
        "'WHY ON EARTH IS THE APP BROKEN AGAIN', -0.6"
        ").probability))"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(8)
    }
    assert len(seen) == 1


_WORDS = st.sampled_from(["calm", "awful", "great", "no"])


@given(st.text(), st.dictionaries(_WORDS, st.floats(-4, 4)))
def test_word_valences_are_the_strongest_words_of_the_text(
    text: str, lexicon: dict[str, float]
) -> None:
    negative, positive = word_valences(fold(text), lexicon)
    words = set(fold(text).split())
    seen = [lexicon[w] for w in lexicon if w in words]
    assert 0.0 <= negative <= 1.0
    assert 0.0 <= positive <= 1.0
    # A word standing alone between spaces is always one of the scorer's tokens.
    assert negative >= max([-v / 4 for v in seen], default=0.0)
    assert positive >= max([v / 4 for v in seen], default=0.0)


def test_a_positive_word_the_scorer_never_saw_lowers_the_score_through_its_valence() -> None:
    weights = {"v:word_pos": -2.0, "v:word_neg": 2.0}
    lexicon = {"elated": 3.2, "dreadful": -3.4}
    with_valences = LinearModel(weights, 0.0, lexicon=lexicon)
    without = LinearModel(weights, 0.0)
    assert with_valences.score("I am elated", 0.0).probability < 0.5
    assert with_valences.score("it was dreadful", 0.0).probability > 0.5
    assert without.score("I am elated", 0.0).probability == 0.5


def test_the_shipped_stress_scorer_reads_word_valences_from_vader() -> None:
    model = stress_model()
    assert model.lexicon is vader_analyser().lexicon
    assert model.weights.get("v:word_neg", 0.0) > 0.0
    assert model.weights.get("v:word_pos", 0.0) < 0.0
