"""Spark in local mode gives the single machine's report for the same lines.

The archive is the fixture's conversations split over two files, lines interleaved, a
conversation continued in the second file, blank lines, and lines that cannot be scored.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from escalate import Escalator
from escalate.audit import Redactor
from escalate.cli import app
from escalate.insights import TABLES, DuckDBBackend, load_inputs, summarise

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import SparkSession

    from escalate.insights import InsightsSummary, Loaded, ReportOptions, SparkBackend

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None, reason="Spark needs Java 17 on PATH (.ci/run installs it)"
)

BAD_LINES = [
    "this is not json",
    json.dumps({"conversation_id": "c01", "role": "user"}),  # no text
    json.dumps({"role": "user", "text": "who am I?"}),  # no conversation id
    json.dumps({"conversation_id": 7, "role": "user", "text": "a number for an id"}),
    json.dumps({"conversation_id": "c02", "role": "robot", "text": "hello"}),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, transcript: Path) -> list[Path]:
    """The fixture's conversations interleaved turn by turn (each in its own order), the first
    half of the lines in one file and the rest in another, with bad and blank lines between."""
    conversations: dict[str, list[str]] = {}
    for line in transcript.read_text(encoding="utf-8").splitlines():
        conversations.setdefault(json.loads(line)["conversation_id"], []).append(line)
    lines = [
        line
        for turn in itertools.zip_longest(*conversations.values())
        for line in turn
        if line is not None
    ]
    # Python's JSON reader takes NaN, Spark's does not: the line is still scored.
    lines[0] = lines[0].removesuffix("}") + ', "nps": NaN}'
    half = len(lines) // 2
    folder = tmp_path_factory.mktemp("archive")
    first, second = folder / "2026-11-a.jsonl", folder / "2026-11-b.jsonl"
    first.write_text(
        "\n".join([*lines[:5], "", BAD_LINES[0], *lines[5:half], BAD_LINES[1], ""]),
        encoding="utf-8",
    )
    second.write_text("\n".join([*BAD_LINES[2:], "   ", *lines[half:]]) + "\n", encoding="utf-8")
    return [first, second]


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("escalate-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def single_machine(archive: list[Path]) -> Loaded:
    return load_inputs(archive, Escalator, Redactor(), skip_errors=True)


@pytest.fixture(scope="module")
def engine(spark: SparkSession, archive: list[Path]) -> Iterator[SparkBackend]:
    from escalate.insights import SparkBackend, read_transcripts, score_archive

    # Four splits per file: a file's lines are numbered across partitions. Three buckets for
    # twelve conversations and the lines without an id: each call scores several.
    lines = read_transcripts(spark, [str(path) for path in archive], min_partitions=4)
    scored = SparkBackend(score_archive(lines, buckets=3))
    yield scored
    scored.close()


def _rows(table: str, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    columns = [column for column, _ in TABLES[table]]
    return sorted(
        (tuple(row[column] for column in columns) for row in rows),
        key=lambda row: tuple((value is None, str(value)) for value in row),
    )


@pytest.mark.parametrize("table", sorted(TABLES))
def test_spark_scores_every_table_as_the_single_machine_does(
    engine: SparkBackend, single_machine: Loaded, table: str
) -> None:
    expected = single_machine.tables.columns[table]
    local = [
        dict(zip(expected, values, strict=True)) for values in zip(*expected.values(), strict=True)
    ]
    assert _rows(table, engine.query(f"SELECT * FROM {table}")) == _rows(table, local)


def test_turns_are_scored_in_the_order_of_the_paths_and_lines(
    engine: SparkBackend, single_machine: Loaded
) -> None:
    turns = engine.query("SELECT conversation_id, turn_index, text FROM turns")
    spark_order = {(row["conversation_id"], row["turn_index"]): row["text"] for row in turns}
    columns = single_machine.tables.columns["turns"]
    local_order = dict(
        zip(
            zip(columns["conversation_id"], columns["turn_index"], strict=True),
            columns["text"],
            strict=True,
        )
    )
    assert spark_order == local_order
    assert len(spark_order) == 54


def test_lines_that_cannot_be_scored_are_reported_where_they_are(
    engine: SparkBackend, single_machine: Loaded, archive: list[Path]
) -> None:
    errors = engine.errors()
    assert [(e.source, e.line, e.field, str(e)) for e in errors] == [
        (e.source, e.line, e.field, str(e)) for e in single_machine.skipped
    ]
    assert [(error.source, error.line) for error in errors] == [
        (str(archive[0]), 7),
        (str(archive[0]), 30),
        (str(archive[1]), 1),
        (str(archive[1]), 2),
        (str(archive[1]), 3),
    ]
    assert errors[1].field == "text"
    assert errors[2].field == errors[3].field == "conversation_id"
    assert errors[4].field == "role"


def test_the_report_on_spark_equals_the_single_machine_report(
    spark: SparkSession,
    archive: list[Path],
    single_machine: Loaded,
    options: ReportOptions,
    summary: InsightsSummary,
) -> None:
    from escalate.insights import report_from_archive

    sources = [str(path) for path in archive]
    on_spark, errors = report_from_archive(spark, sources, options)
    local = _summary(single_machine, sources, options)
    assert on_spark.model_dump() == local.model_dump()
    assert on_spark.notices == {"skipped_lines": 5}
    assert len(errors) == 5
    # Interleaving and splitting the conversations changed nothing but the sources.
    unchanged = {"sources": summary.sources, "notices": summary.notices}
    assert on_spark.model_copy(update=unchanged) == summary


def _summary(loaded: Loaded, sources: list[str], options: ReportOptions) -> InsightsSummary:
    engine = DuckDBBackend(loaded.tables)
    try:
        return summarise(engine, options, sources=sources, notices=loaded.notices)
    finally:
        engine.close()


def test_no_paths_partitions_or_buckets_are_refused(
    spark: SparkSession, archive: list[Path]
) -> None:
    from escalate.insights import read_transcripts, score_archive

    with pytest.raises(ValueError, match="at least one path"):
        read_transcripts(spark, [])
    lines = read_transcripts(spark, str(archive[0]))
    with pytest.raises(ValueError, match="at least one partition, got 0"):
        score_archive(lines, partitions=0)
    with pytest.raises(ValueError, match="at least one bucket, got 0"):
        score_archive(lines, buckets=0)


@pytest.mark.slow
def test_the_spark_example_writes_the_report_the_cli_writes(
    archive: list[Path], tmp_path: Path
) -> None:
    """examples/insights_spark.py (the driver docs/how-to/spark.md submits to a cluster), run
    in local mode, against ``escalate report --on-error skip`` on the same files."""
    paths = [str(path) for path in archive]
    on_spark, local = tmp_path / "spark.json", tmp_path / "local.json"
    example = Path(__file__).parents[2] / "examples" / "insights_spark.py"
    done = subprocess.run(
        [sys.executable, str(example), *paths, "--json", str(on_spark)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 5
    assert skipped[0] == f"skipped {paths[0]}:7: not valid JSON: Expecting value at column 1"
    assert "12 conversations, 54 turns" in done.stderr
    result = CliRunner().invoke(
        app, ["report", *paths, "--on-error", "skip", "-f", "json", "-o", str(local)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(on_spark.read_text()) == json.loads(local.read_text())
