"""Throughput of ``escalate eval``: labelled utterances scored and reported per second.

    python benchmarks/bench_eval.py [--utterances 100000] [--jobs N]

Utterances are generated (support-chat openers with random real words mixed in, so no two are
alike and no cache helps); half are labelled routine, the rest split between escalations and
stress grades, so every part of the report is computed. The issue's target: 100,000 utterances
in under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import tempfile
import time
from pathlib import Path

import structlog

from escalate import Escalator
from escalate.evaluation import load_cases, run_evaluation
from escalate.signals._lexicon import real_words
from escalate.signals.stress import vader_analyser

OPENERS = [
    ("where is my order", "continue", None),
    ("how do I change my delivery address", "continue", None),
    ("can I pay by bank transfer", "continue", None),
    ("I want to talk to a person about", "escalate", "human_requested"),
    ("the verification code never arrives for", "escalate", "security_dead_end"),
    ("there is a payment I don't recognise for", "escalate", "sensitive_topic"),
    ("this is ridiculous, I have asked three times about", "negative", None),
    ("thanks, the crew were lovely on", "non_negative", None),
]


def generate(count: int, path: Path) -> None:
    """Write ``count`` labelled utterances to ``path``."""
    chooser = random.Random(42)
    words = sorted(real_words())
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            opener, expect, reason = OPENERS[number % len(OPENERS)]
            text = f"{opener} {' '.join(chooser.sample(words, 4))}"
            row = {"id": f"u{number}", "text": text, "expect": expect, "source": "synthetic"}
            if reason:
                row["reason"] = reason
            out.write(json.dumps(row) + "\n")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labelled.jsonl"
        generate(args.utterances, path)
        started = time.perf_counter()
        cases = load_cases(path)
        loaded = time.perf_counter()
        vader = vader_analyser()
        report = run_evaluation(
            Escalator(),
            cases,
            baseline=lambda text: -vader.polarity_scores(text)["compound"],
            jobs=args.jobs,
        )
        done = time.perf_counter()
    total = done - started
    print(
        f"{args.utterances} utterances, {args.jobs} jobs: load {loaded - started:.1f} s, "
        f"score and report {done - loaded:.1f} s, total {total:.1f} s "
        f"({args.utterances / total:,.0f} utterances/s; {report.checks} checks)"
    )


if __name__ == "__main__":
    main()
