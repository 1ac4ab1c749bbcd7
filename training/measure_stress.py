"""AUC of negative vs non-negative text: bare VADER next to the stress scorer, per dataset.

    python training/measure_stress.py [--data ../shared/data/dev] [--weights PATH] [--timing N]

Each text is scored alone (no conversation context; ``../shared/tools/eval_ext.py`` measures
the engine in context). GoEmotions: only its held-out fifth (``stress_data.held_out``); the
other sets were never trained on. ``--timing N`` also times the scorer against VADER's
``polarity_scores`` on the first N GoEmotions and EmoWOZ texts, each seen once.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from stress_data import DEFAULT_DATA, held_out
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from escalate.signals._learned import LinearModel, stress_model

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Mann-Whitney AUC, ties counted half."""
    scored = sorted([(v, 1) for v in positive] + [(v, 0) for v in negative])
    rank_sum = 0.0
    i = 0
    while i < len(scored):
        j = i
        while j < len(scored) and scored[j][0] == scored[i][0]:
            j += 1
        rank_sum += (i + j + 1) / 2 * sum(label for _, label in scored[i:j])
        i = j
    n1, n0 = len(positive), len(negative)
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)


def _rows(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def datasets(data: Path) -> dict[str, list[tuple[str, int]]]:
    """Each evaluation set as (text, 1 if negative else 0)."""

    def pick(path: Path, keep: Callable[[dict[str, object]], bool]) -> list[tuple[str, int]]:
        return [
            (str(r["text"]), int(r["expect"] == "negative"))
            for r in _rows(path)
            if r.get("expect") in {"negative", "non_negative"} and keep(r)
        ]

    ext = data / "ext"
    return {
        "GoEmotions held-out": pick(
            ext / "goemotions_utterances.jsonl", lambda r: held_out(str(r["id"]))
        ),
        "EmoWOZ user turns": pick(ext / "emowoz_utterances.jsonl", lambda r: True),
        "SemEval-2018 EI-reg": pick(ext / "semeval2018_ei_reg.jsonl", lambda r: True),
        "DailyDialog user turns": pick(
            ext / "dailydialog_conversations.jsonl", lambda r: r.get("role") == "user"
        ),
        "airline tweets": pick(
            data / "real" / "utterances.jsonl", lambda r: r.get("source") == "airline"
        ),
    }


def table(data: Path, model: LinearModel) -> list[tuple[str, int, int, float, float]]:
    """(dataset, negatives, others, VADER AUC, scorer AUC) per dataset."""
    vader = SentimentIntensityAnalyzer()
    found = []
    for name, rows in datasets(data).items():
        vader_scores: list[list[float]] = [[], []]
        model_scores: list[list[float]] = [[], []]
        for text, label in rows:
            scores = vader.polarity_scores(text)
            compound = float(scores["compound"])
            shares = (float(scores["neg"]), float(scores["pos"]))
            vader_scores[label].append(-compound)
            model_scores[label].append(model.score(text, compound, shares=shares).probability)
        found.append(
            (
                name,
                len(vader_scores[1]),
                len(vader_scores[0]),
                auc(vader_scores[1], vader_scores[0]),
                auc(model_scores[1], model_scores[0]),
            )
        )
    return found


def timing(data: Path, model: LinearModel, n: int) -> tuple[float, float]:
    """Seconds per text for VADER and for the scorer, on real texts each seen once."""
    texts: list[str] = []
    for name in ("goemotions_utterances.jsonl", "emowoz_utterances.jsonl"):
        texts.extend(str(r["text"]) for r in islice(_rows(data / "ext" / name), n))
    vader = SentimentIntensityAnalyzer()
    vader_time = model_time = 0.0
    for text in texts:
        start = time.perf_counter()
        scores = vader.polarity_scores(text)
        middle = time.perf_counter()
        model.score(text, scores["compound"], shares=(scores["neg"], scores["pos"]))
        model_time += time.perf_counter() - middle
        vader_time += middle - start
    return vader_time / len(texts), model_time / len(texts)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table (and the timing)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--weights", type=Path, help="a weights file (default: the shipped one)")
    parser.add_argument("--timing", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    if args.weights:
        model = LinearModel.from_json(json.loads(gzip.decompress(args.weights.read_bytes())))
    else:
        model = stress_model()
    print(f"{'dataset':<24} {'negative':>8} {'other':>6}  {'VADER':>6}  {'scorer':>6}  {'diff':>6}")
    for name, pos, neg, vader_auc, model_auc in table(args.data, model):
        print(
            f"{name:<24} {pos:>8} {neg:>6}  {vader_auc:6.3f}  {model_auc:6.3f}  "
            f"{model_auc - vader_auc:+6.3f}"
        )
    if args.timing:
        vader_time, model_time = timing(args.data, model, args.timing)
        print(
            f"per text: VADER {vader_time * 1e6:.1f} us, scorer {model_time * 1e6:.1f} us "
            f"({model_time / vader_time:.2f}x VADER)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
