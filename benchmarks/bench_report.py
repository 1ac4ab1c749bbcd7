"""Throughput of ``escalate report``: scoring, reading audit trails, aggregating a million turns.

    python benchmarks/bench_report.py [--quick] [--turns N] [--spark] [--json PATH]

Figures, all in turns per second on this machine, in the same run:

- **score**: ``Escalator.evaluate()`` over a transcript: what ``escalate score`` does per turn
  (the baseline);
- **report from transcripts**: scoring with every reading kept plus building the report's
  tables (``load_inputs`` on a transcript), as a ratio to **score**;
- **report from an audit trail**: reading decision records back into the tables (nothing is
  scored again);
- **aggregate**: the DuckDB queries and shaping (``summarise``) over ``--turns`` turns (default
  a million): the scored tables, copied with new conversation ids and later dates until they
  hold that many turns, so the mix of escalations, loops and dead ends stays realistic;
- **1M turns from an audit trail**: a trail of ``--turns`` decision records (the recorded
  sample's lines repeated under new conversation ids) read and aggregated end to end;
- **Spark** (``--spark``, needs ``escalate[spark]`` and Java): ``report_from_archive`` in local
  mode on every core against ``escalate report``'s path on the same transcript, end to end,
  one after the other; the two summaries are checked equal.

Score and report-from-transcripts alternate in rounds on the same turns, so machine load hits
both alike.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_turn import BOT_TEXTS, USER_TEXTS  # the same texts as the per-turn benchmark

CONVERSATION_LENGTH = 10
START = datetime(2026, 10, 1, tzinfo=UTC)
CHANNELS = ("web", "app", "whatsapp")
TIERS = ("standard", "gold")


def _transcript(path: Path, conversations: int, prefix: str) -> int:
    """Write ``conversations`` 10-turn chats over 30 days; return the turn count."""
    lines = []
    for number in range(conversations):
        start = START + timedelta(minutes=number * 43_200 / conversations)
        meta = {"channel": CHANNELS[number % 3], "tier": TIERS[number % 2]}
        for i in range(CONVERSATION_LENGTH):
            user = i % 2 == 0
            texts = USER_TEXTS if user else BOT_TEXTS
            line = {
                "conversation_id": f"{prefix}{number}",
                "role": "user" if user else "bot",
                "text": texts[(number * 7 + i // 2) % len(texts)],
                "ts": (start + timedelta(seconds=35 * i)).isoformat(),
            }
            if user:
                line["meta"] = meta
            lines.append(json.dumps(line))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def _quiet() -> None:
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )


def measure_scoring(directory: Path, rounds: int, conversations: int) -> dict[str, Any]:
    from escalate import Escalator
    from escalate.audit import Redactor
    from escalate.insights import tables_from_transcripts
    from escalate.transcript import read_transcript

    score_rates, report_rates = [], []
    for round_number in range(rounds):
        path = directory / f"round{round_number}.jsonl"
        turns = _transcript(path, conversations, f"r{round_number}-")
        with path.open(encoding="utf-8") as file:
            parsed = list(read_transcript(file))

        def score(parsed: list[Any] = parsed) -> None:
            escalator = Escalator()
            for item in parsed:
                escalator.evaluate(item.conversation_id, item.turn)

        def report(path: Path = path) -> None:
            tables_from_transcripts([path], Escalator(), Redactor())

        # Alternate which goes first; the transcript parse is outside the score timing (and
        # inside the report's), which favours score slightly.
        order = [("score", score), ("report", report)]
        for name, run in order if round_number % 2 == 0 else order[::-1]:
            begin = time.perf_counter()
            run()
            rate = turns / (time.perf_counter() - begin)
            (score_rates if name == "score" else report_rates).append(rate)
    score_rate = statistics.median(score_rates)
    report_rate = statistics.median(report_rates)
    return {
        "turns_per_round": conversations * CONVERSATION_LENGTH,
        "score_turns_per_s": score_rate,
        "report_from_transcripts_turns_per_s": report_rate,
        "report_vs_score": report_rate / score_rate,
    }


def _scored_sample(directory: Path, conversations: int) -> tuple[Any, Path]:
    """The tables of a scored transcript, and an audit trail of the same turns."""
    from escalate import Escalator
    from escalate.audit import AuditTrail, JsonlSink, Redactor
    from escalate.insights import tables_from_transcripts
    from escalate.transcript import read_transcript

    path = directory / "sample.jsonl"
    _transcript(path, conversations, "s")
    tables = tables_from_transcripts([path], Escalator(), Redactor()).tables
    trail_path = directory / "sample-audit.jsonl"
    with AuditTrail(JsonlSink(trail_path)) as trail, path.open(encoding="utf-8") as file:
        escalator = Escalator(audit=trail)
        for item in read_transcript(file):
            escalator.evaluate(item.conversation_id, item.turn)
    return tables, trail_path


def _replicated(tables: Any, turns: int) -> Any:
    """``tables`` copied under new conversation ids (and 30 days later each) to ``turns``."""
    from escalate.insights import TurnTables

    out = TurnTables()
    base = tables.rows("turns")
    copies = -(-turns // base)
    for copy in range(copies):
        shift = copy * 30 * 86_400.0
        for name, columns in tables.columns.items():
            target = out.columns[name]
            for column, values in columns.items():
                if column == "conversation_id":
                    target[column].extend(f"{value}#{copy}" for value in values)
                elif column == "ts":
                    target[column].extend(None if v is None else v + shift for v in values)
                else:
                    target[column].extend(values)
    return out


def measure_aggregation(tables: Any, turns: int) -> dict[str, Any]:
    from escalate.insights import DuckDBBackend, summarise

    big = _replicated(tables, turns)
    rows = big.rows("turns")
    begin = time.perf_counter()
    engine = DuckDBBackend(big)
    loaded = time.perf_counter()
    summary = summarise(engine)
    done = time.perf_counter()
    engine.close()
    return {
        "turns": rows,
        "conversations": summary.overview.conversations,
        "to_duckdb_s": loaded - begin,
        "summarise_s": done - loaded,
        "aggregate_turns_per_s": rows / (done - begin),
    }


def _big_trail(sample: Path, target: Path, turns: int) -> int:
    """A trail of ``turns`` decision records: the sample's repeated under new ids."""
    header, *records = sample.read_bytes().splitlines(keepends=True)
    decisions = [line for line in records if b'"kind":"decision"' in line]
    written = 0
    with target.open("wb") as out:
        out.write(header)
        copy = 0
        while written < turns:
            tag = f"#{copy}".encode()
            for line in decisions[: turns - written]:
                # Every conversation id in a record is quoted as "s<number>".
                out.write(line.replace(b'_id":"s', b'_id":"s' + tag + b"-"))
            written += min(len(decisions), turns - written)
            copy += 1
    return written


def measure_trail(sample: Path, directory: Path, turns: int) -> dict[str, Any]:
    from escalate.insights import DuckDBBackend, summarise, tables_from_audit

    big = directory / "big-audit.jsonl"
    written = _big_trail(sample, big, turns)
    size = big.stat().st_size
    begin = time.perf_counter()
    loaded = tables_from_audit([big])
    read = time.perf_counter()
    engine = DuckDBBackend(loaded.tables)
    summary = summarise(engine)
    done = time.perf_counter()
    engine.close()
    big.unlink()
    return {
        "records": written,
        "bytes": size,
        "conversations": summary.overview.conversations,
        "read_s": read - begin,
        "read_turns_per_s": written / (read - begin),
        "aggregate_s": done - read,
        "total_s": done - begin,
    }


def measure_spark(directory: Path, conversations: int) -> dict[str, Any]:
    from pyspark.sql import SparkSession

    from escalate import Escalator
    from escalate.audit import Redactor
    from escalate.insights import DuckDBBackend, load_inputs, report_from_archive, summarise

    path = directory / "spark.jsonl"
    turns = _transcript(path, conversations, "k")
    begin = time.perf_counter()
    loaded = load_inputs([path], Escalator, Redactor())
    engine = DuckDBBackend(loaded.tables)
    local = summarise(engine, sources=[str(path)], notices=loaded.notices)
    engine.close()
    local_s = time.perf_counter() - begin

    begin = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[*]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    on_spark, _ = report_from_archive(spark, [str(path)])
    done = time.perf_counter()
    cores = spark.sparkContext.defaultParallelism
    spark.stop()
    if on_spark != local:
        raise SystemExit("Spark's summary differs from the single machine's")
    return {
        "turns": turns,
        "cores": cores,
        "single_machine_s": local_s,
        "single_machine_turns_per_s": turns / local_s,
        "spark_start_s": started - begin,
        "spark_report_s": done - started,
        "spark_turns_per_s": turns / (done - started),
    }


def run(*, quick: bool, turns: int, spark: bool = False) -> dict[str, Any]:
    _quiet()
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        scoring = measure_scoring(directory, rounds=2 if quick else 4,
                                  conversations=100 if quick else 400)  # fmt: skip
        tables, trail = _scored_sample(directory, 200 if quick else 2000)
        aggregation = measure_aggregation(tables, turns)
        from_trail = measure_trail(trail, directory, turns)
        on_spark = measure_spark(directory, 200 if quick else 5000) if spark else None
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "quick": quick,
        "scoring": scoring,
        "aggregation": aggregation,
        "from_trail": from_trail,
        "spark": on_spark,
    }


def render(report: dict[str, Any]) -> None:
    s, a, t = report["scoring"], report["aggregation"], report["from_trail"]
    print(f"score (evaluate only)          {s['score_turns_per_s']:>10,.0f} turns/s")
    print(f"report from transcripts        {s['report_from_transcripts_turns_per_s']:>10,.0f}"
          f" turns/s  ({s['report_vs_score']:.2f}x score)")  # fmt: skip
    print(f"aggregate {a['turns']:,} turns       {a['aggregate_turns_per_s']:>10,.0f} turns/s"
          f"  ({a['to_duckdb_s']:.1f} s to DuckDB + {a['summarise_s']:.1f} s queries,"
          f" {a['conversations']:,} conversations)")  # fmt: skip
    print(f"audit trail of {t['records']:,} records ({t['bytes'] / 1e9:.2f} GB):"
          f" read {t['read_s']:.1f} s ({t['read_turns_per_s']:,.0f} turns/s),"
          f" aggregate {t['aggregate_s']:.1f} s, total {t['total_s']:.1f} s")  # fmt: skip
    k = report["spark"]
    if k:
        print(f"spark, local[{k['cores']}], {k['turns']:,} turns: {k['spark_report_s']:.1f} s"
              f" ({k['spark_turns_per_s']:,.0f} turns/s; session start {k['spark_start_s']:.1f} s)"
              f" vs single machine {k['single_machine_s']:.1f} s"
              f" ({k['single_machine_turns_per_s']:,.0f} turns/s); same summary")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small rounds: rough figures")
    parser.add_argument("--turns", type=int, default=None, help="turns to aggregate (1,000,000)")
    parser.add_argument("--spark", action="store_true", help="also time the report on Spark")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    turns = args.turns or (50_000 if args.quick else 1_000_000)
    report = run(quick=args.quick, turns=turns, spark=args.spark)
    render(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
