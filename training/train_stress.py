"""Train the stress scorer and write the weights that ship in the package.

    python training/train_stress.py [--data ../shared/data/dev] [--out PATH] [--c C]

Reads the trainable sets (``stress_data.py``) and fits the package's features with VADER's
(``linear.py``): the same data gives the same bytes. Needs the ``train`` extra.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import linear
from stress_data import DEFAULT_DATA, split

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stress_data import Example

OUT = Path(__file__).resolve().parents[1] / "src/escalate/signals/weights/stress.json.gz"
C = 0.25
"""Inverse L1 strength (larger: more weights kept). Strong: few, general words carry over to
text unlike Reddit's; weaker settings fit GoEmotions a little better and other sets worse."""
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


def fit(examples: Sequence[Example], c: float = C) -> dict[str, object]:
    """Train on ``examples`` and return the weights file's content."""
    return linear.fit(
        examples,
        model="stress",
        c=c,
        source_weight=SOURCE_WEIGHT,
        sentiment=True,
        labels=("calm", "negative"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Train and write the weights."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared dev data")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the weights")
    parser.add_argument("--c", type=float, default=C, help="inverse L1 regularisation strength")
    args = parser.parse_args(argv)
    train, held = split(args.data)
    content = fit(train, args.c)
    size = linear.write(content, args.out)
    weights = content["weights"]
    assert isinstance(weights, dict)
    print(
        f"trained on {len(train)} texts ({len(held)} held out): {len(weights)} non-zero "
        f"weights, {size:,} bytes -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
