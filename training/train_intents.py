"""Train the intent scorers (fraud) and write the weights that ship in the package.

    python training/train_intents.py [--data ../shared/data/dev] [--out DIR] [--c C]

Reads the trainable sets (``intent_data.py``), fits each model on the package's word features
(``linear.py``; no sentiment: these are about what happened, not how it is said) and prints,
on the held-out fifth, the share of each intent found and of other texts flagged at the
model's threshold (``THRESHOLD``, written into its file). The same data gives the same
bytes. Needs the ``train`` extra.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import linear
from intent_data import INTENTS, split
from stress_data import DEFAULT_DATA

from escalate.signals._learned import LinearModel

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stress_data import Example

OUT = Path(__file__).resolve().parents[1] / "src/escalate/signals/weights"
C = 1.0
"""Inverse L1 strength: the intents have few, distinctive phrasings."""
THRESHOLD = {"fraud": 0.9}
"""Each model's operating point, chosen on the held-out fifth with the texts of other sources
in mind: "payment" is a fraud word in BANKING77, whose routine intents rarely name payments, so
the fraud scorer acts only when it is sure."""
SOURCE_WEIGHT = {"banking77": 1.0, "camrest": 0.5, "goemotions": 0.3, "own": 5.0}
POSITIVE_WEIGHT = 10.0
"""The intents are rare among the texts: each example of one counts this many times, so that
the scorer's even odds (``INTENT_THRESHOLD``) mean "reports it", not "almost surely"."""
"""Everyday comments count less than the requests: they only keep topic words ("card",
"money", "code") from reading as a problem on their own. Our own lines count more: a few of them
stand for the routine payment questions BANKING77's requests here lack."""


def report(model: LinearModel, held: Sequence[Example]) -> str:
    """Share flagged at the package's threshold, per source and label, on held-out texts."""
    counts: dict[tuple[str, int], list[int]] = {}
    for example in held:
        flagged = model.score(example.text, 0.0).probability >= model.threshold
        counts.setdefault((example.source, example.label), [0, 0])[flagged] += 1
    return ", ".join(
        f"{source}{'+' if label else ''} {n[1] / sum(n):.3f} of {sum(n)}"
        for (source, label), n in sorted(counts.items())
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Train, report and write each model's weights."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared dev data")
    parser.add_argument("--out", type=Path, default=OUT, help="the folder for the weights")
    parser.add_argument("--c", type=float, default=C, help="inverse L1 regularisation strength")
    parser.add_argument("--positive-weight", type=float, default=POSITIVE_WEIGHT)
    args = parser.parse_args(argv)
    for name in INTENTS:
        train, held = split(args.data, name)
        content = linear.fit(
            train,
            model=name,
            c=args.c,
            source_weight=SOURCE_WEIGHT,
            sentiment=False,
            positive_weight=args.positive_weight,
            threshold=THRESHOLD[name],
        )
        size = linear.write(content, args.out / f"{name}.json.gz")
        weights = content["weights"]
        assert isinstance(weights, dict)
        print(f"{name}: {len(weights)} non-zero weights, {size:,} bytes")
        print(f"  held out, flagged: {report(LinearModel.from_json(content), held)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
