"""Train the stress scorer and write the weights that ship in the package.

    python training/train_stress.py [--data ../shared/data/dev] [--out PATH] [--c C]

Reads the trainable sets (``stress_data.py``), builds the features the package computes at
inference (``escalate.signals._learned``), fits an L1-regularised logistic regression
(liblinear, seeded) and writes only the non-zero weights, rounded, as gzipped JSON with a fixed
header: the same data gives the same bytes. Needs the ``train`` extra (scikit-learn, numpy).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from stress_data import DEFAULT_DATA, SEED, split
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from escalate.core import fold
from escalate.signals._learned import FORMAT, dense_features, text_features

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stress_data import Example

OUT = Path(__file__).resolve().parents[1] / "src/escalate/signals/weights/stress.json.gz"
MIN_COUNT = 2
"""A word or pair must occur in this many training texts to become a feature."""
C = 0.25
"""Inverse L1 strength (larger: more weights kept). Strong: few, general words carry over to
text unlike Reddit's; weaker settings fit GoEmotions a little better and other sets worse."""
DIGITS = 4
SOURCE_WEIGHT = {
    "goemotions": 1.0,
    "goemotions_mixed": 0.2,
    "banking77": 0.2,
    "camrest": 0.2,
    "own": 1.0,
}
"""The service requests anchor calm support language, lightly: at full weight their topic words
("card", "restaurant") become strong signs of calm, and complaints about cards would read calm.
Mixed comments, once with each label, pull their words (questions, confusion) towards the
middle: on the dev sets this ranks task-dialog dissatisfaction (EmoWOZ) better, at some cost on
DailyDialog."""


def featurise(
    examples: Sequence[Example],
) -> list[dict[str, float]]:
    """Each example's features, as the package computes them (VADER included)."""
    vader = SentimentIntensityAnalyzer()
    rows = []
    for example in examples:
        compound = float(vader.polarity_scores(example.text)["compound"])
        row: dict[str, float] = dict.fromkeys(text_features(fold(example.text)), 1.0)
        row.update(dense_features(example.text, compound))
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


def fit(examples: Sequence[Example], c: float = C, l1_ratio: float = 1.0) -> dict[str, object]:
    """Train on ``examples`` and return the weights file's content."""
    rows = featurise(examples)
    names = vocabulary(rows)
    x = matrix(rows, names)
    y = np.array([example.label for example in examples])
    model = LogisticRegression(
        C=c, l1_ratio=l1_ratio, solver="liblinear", random_state=SEED, max_iter=1000, tol=1e-6
    )
    model.fit(x, y, sample_weight=np.array([SOURCE_WEIGHT[e.source] for e in examples]))
    weights = {
        name: round(float(w), DIGITS)
        for name, w in zip(names, model.coef_[0], strict=True)
        if round(float(w), DIGITS) != 0.0
    }
    sources: dict[str, list[int]] = {}
    for example in examples:
        sources.setdefault(example.source, [0, 0])[example.label] += 1
    return {
        "format": FORMAT,
        "model": "stress",
        "trained_on": {
            name: {"calm": n[0], "negative": n[1]} for name, n in sorted(sources.items())
        },
        "c": c,
        "bias": round(float(model.intercept_[0]), DIGITS),
        "weights": dict(sorted(weights.items())),
    }


def write(content: dict[str, object], out: Path) -> int:
    """Write gzipped JSON with no timestamp (reproducible bytes); return its size."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    packed = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(packed)
    return len(packed)


def main(argv: Sequence[str] | None = None) -> int:
    """Train and write the weights."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared dev data")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the weights")
    parser.add_argument("--c", type=float, default=C, help="inverse L1 regularisation strength")
    args = parser.parse_args(argv)
    train, held = split(args.data)
    content = fit(train, args.c)
    size = write(content, args.out)
    weights = content["weights"]
    assert isinstance(weights, dict)
    print(
        f"trained on {len(train)} texts ({len(held)} held out): {len(weights)} non-zero "
        f"weights, {size:,} bytes -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
