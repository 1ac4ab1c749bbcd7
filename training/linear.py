"""Fit a sparse linear text model and write it as the package's weights file.

Shared by the trainers (``train_stress.py``, ``train_intents.py``): the features are the ones
the package computes at inference (``escalate.signals._learned``), the fit is an L1-regularised
logistic regression (liblinear, seeded), and the file holds only the non-zero weights, rounded,
as gzipped JSON with a fixed header: the same data gives the same bytes. Needs the ``train``
extra (scikit-learn, numpy).
"""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from stress_data import SEED
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from escalate.core import fold
from escalate.signals._learned import FORMAT, dense_features, text_features, word_valences

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from stress_data import Example

MIN_COUNT = 2
"""A word or pair must occur in this many training texts to become a feature."""
DIGITS = 4


def featurise(examples: Sequence[Example], *, sentiment: bool) -> list[dict[str, float]]:
    """Each example's features, as the package computes them (VADER's when ``sentiment``)."""
    vader = SentimentIntensityAnalyzer() if sentiment else None
    rows = []
    for example in examples:
        folded = fold(example.text)
        row: dict[str, float] = dict.fromkeys(text_features(folded), 1.0)
        if vader is not None:
            scores = vader.polarity_scores(example.text)
            shares = (float(scores["neg"]), float(scores["pos"]))
            valences = word_valences(folded, vader.lexicon)
            compound = float(scores["compound"])
            row.update(dense_features(example.text, compound, shares, valences))
        rows.append(row)
    return rows


def vocabulary(rows: list[dict[str, float]]) -> list[str]:
    """Features seen in at least ``MIN_COUNT`` texts (dense ones always), sorted."""
    counts: dict[str, int] = {}
    for row in rows:
        for feature in row:
            counts[feature] = counts.get(feature, 0) + 1
    return sorted(f for f, n in counts.items() if n >= MIN_COUNT or f[0] in "vs")


def matrix(rows: list[dict[str, float]], names: list[str]) -> sparse.csr_matrix:
    """The rows as a sparse matrix over ``names``."""
    index = {name: i for i, name in enumerate(names)}
    data: list[float] = []
    columns: list[int] = []
    pointers = [0]
    for row in rows:
        for feature, value in sorted(row.items()):
            column = index.get(feature)
            if column is not None:
                columns.append(column)
                data.append(value)
        pointers.append(len(columns))
    return sparse.csr_matrix(
        (np.array(data), np.array(columns), np.array(pointers)), shape=(len(rows), len(names))
    )


def fit(
    examples: Sequence[Example],
    *,
    model: str,
    c: float,
    source_weight: Mapping[str, float],
    sentiment: bool,
    labels: tuple[str, str] = ("other", "positive"),
    positive_weight: float = 1.0,
    threshold: float | None = None,
) -> dict[str, object]:
    """Train on ``examples`` and return the weights file's content (``labels`` name 0 and 1)."""
    rows = featurise(examples, sentiment=sentiment)
    names = vocabulary(rows)
    x = matrix(rows, names)
    y = np.array([example.label for example in examples])
    regression = LogisticRegression(
        C=c, l1_ratio=1.0, solver="liblinear", random_state=SEED, max_iter=1000, tol=1e-6
    )
    weight = [source_weight[e.source] * (positive_weight if e.label else 1.0) for e in examples]
    regression.fit(x, y, sample_weight=np.array(weight))
    weights = {
        name: round(float(w), DIGITS)
        for name, w in zip(names, regression.coef_[0], strict=True)
        if round(float(w), DIGITS) != 0.0
    }
    sources: dict[str, list[int]] = {}
    for example in examples:
        sources.setdefault(example.source, [0, 0])[example.label] += 1
    content: dict[str, object] = {
        "format": FORMAT,
        "model": model,
        "trained_on": {
            name: dict(zip(labels, n, strict=True)) for name, n in sorted(sources.items())
        },
        "c": c,
        "bias": round(float(regression.intercept_[0]), DIGITS),
        "weights": dict(sorted(weights.items())),
    }
    if threshold is not None:
        content["threshold"] = threshold
    return content


def write(content: dict[str, object], out: Path) -> int:
    """Write gzipped JSON with no timestamp (reproducible bytes); return its size."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    packed = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(packed)
    return len(packed)
