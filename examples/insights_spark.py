"""The escalation report over a transcript archive, scored and aggregated on Apache Spark.

Locally (Spark in local mode, on every core)::

    python examples/insights_spark.py tests/fixtures/insights_transcript.jsonl --html report.html

On a cluster, the same script through ``spark-submit`` (see docs/how-to/spark.md)::

    spark-submit --master yarn examples/insights_spark.py \
        hdfs:///support/transcripts/2026-11-01.jsonl hdfs:///support/transcripts/2026-11-02.jsonl \
        --html report.html

The summary is small: it is shaped on the driver, and the page and JSON are written there.
Prints the Markdown report when neither ``--html`` nor ``--json`` is given, and one line on
stderr per transcript line that could not be scored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from escalate import MissingDependencyError

try:
    from pyspark.sql import SparkSession
except ModuleNotFoundError:  # a newcomer's first run: say what to install, not a traceback
    sys.exit(str(MissingDependencyError("examples/insights_spark.py", "spark")))

from escalate.insights import ReportOptions, render_html, render_markdown, report_from_archive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="transcript files, in the order to read them")
    parser.add_argument("--html", type=Path, help="write the page here")
    parser.add_argument("--json", type=Path, help="write the summary here")
    parser.add_argument("--policy", help="policy file (default: the bundled policy)")
    parser.add_argument("--top", type=int, default=15, help="rows of the ranked tables")
    args = parser.parse_args()

    # spark-submit's --master wins; run with plain python, Spark runs in local mode.
    spark = SparkSession.builder.appName("escalate-report").getOrCreate()
    try:
        summary, errors = report_from_archive(
            spark, args.paths, ReportOptions(top=args.top), policy=args.policy
        )
    finally:
        spark.stop()
    for error in errors:
        print(f"skipped {error}", file=sys.stderr)
    if args.html:
        args.html.write_text(render_html(summary), encoding="utf-8")
    if args.json:
        args.json.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if not (args.html or args.json):
        sys.stdout.write(render_markdown(summary))
    overview = summary.overview
    print(
        f"{overview.conversations} conversations, {overview.turns} turns,"
        f" {overview.escalated} escalated, {overview.handed_off} handed off",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
