"""The report on Apache Spark: score large transcript archives and aggregate them on a cluster.

``escalate report`` scores transcripts in one process and aggregates the five tables
(``TurnTables``) with DuckDB. Here every conversation is scored in one Spark
task, the tables travel stacked in one DataFrame, and the same SQL (``queries.sql``) runs on
Spark SQL, so the summary is the one the single machine gives for the same lines::

    from escalate.insights import report_from_archive

    summary, errors = report_from_archive(spark, ["archive/2026-11-01.jsonl", ...])

The steps, for more control: ``read_transcripts`` (numbered lines), ``score_archive`` (the
stacked tables), ``SparkBackend`` (the tables as views, for ``summarise``).

A conversation's turns are scored in the order of the lines in their file, and across files in
the order the paths are given; never by ``ts``. Needs ``escalate[spark]`` (PySpark, pandas)
on the driver and on every executor, and a classic Spark session (the reader uses RDDs, which
Spark Connect does not offer).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from escalate.exceptions import TranscriptError
from escalate.insights._aggregate import ReportOptions, summarise
from escalate.insights._sources import score_transcript_lines
from escalate.insights._tables import TABLES, ColumnType, TurnTables

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

    from escalate.audit import Redactor
    from escalate.engine import Escalator
    from escalate.insights._summary import InsightsSummary
    from escalate.policy import Policy, PolicySource

__all__ = [
    "ERRORS",
    "SCORED_COLUMNS",
    "SparkBackend",
    "read_transcripts",
    "report_from_archive",
    "score_archive",
]

ERRORS: Final = "errors"
"""The pseudo-table of ``score_archive``'s output holding the lines that could not be scored."""
_ERROR_COLUMNS: Final[tuple[tuple[str, ColumnType], ...]] = (
    ("file", "int"),  # the position of the line's file among the paths given
    ("line", "int"),  # 1-based, blank lines counted, as in an editor
    ("source", "string"),
    ("field", "string"),
    ("message", "string"),
)


def _scored_columns() -> tuple[tuple[str, ColumnType], ...]:
    columns: dict[str, ColumnType] = {"table": "string"}
    for name, table in (*TABLES.items(), (ERRORS, _ERROR_COLUMNS)):
        for column, kind in table:
            if columns.setdefault(column, kind) != kind:
                raise TypeError(
                    f"column {column!r} of {name} has two types: {kind}, {columns[column]}"
                )
    return tuple(columns.items())


SCORED_COLUMNS: Final = _scored_columns()
"""The columns of ``score_archive``'s output: ``table`` (which table a row belongs to, or
``errors``), then every column of every table (``None`` where a table has no such column)."""

_SPARK_TYPES: Final[Mapping[ColumnType, str]] = {
    "string": "STRING", "int": "BIGINT", "double": "DOUBLE", "bool": "BOOLEAN",
}  # fmt: skip
_BUCKET: Final = "_escalate_bucket"
_BUCKETS_PER_PARTITION: Final = 16
_LINES_SCHEMA: Final = (
    "conversation_id STRING, file BIGINT, line BIGINT, source STRING, text STRING"
)
_VIEW: Final = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+TEMP(?:ORARY)?\s+VIEW\s+(\w+)", re.I)


def _schema(columns: Iterable[tuple[str, ColumnType]]) -> str:
    return ", ".join(f"`{name}` {_SPARK_TYPES[kind]}" for name, kind in columns)


# --- reading -------------------------------------------------------------------------------


def read_transcripts(
    spark: SparkSession,
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    min_partitions: int | None = None,
) -> DataFrame:
    """The non-blank lines of JSON Lines transcripts, numbered, with their conversation id.

    Columns: ``conversation_id`` (``None`` unless the line is a JSON object with a non-empty
    string there; such lines are grouped together and reported as not scored), ``file``
    (the position of the file in ``paths``), ``line`` (1-based within the file, blank lines
    counted), ``source`` (the path as given) and ``text``. ``(file, line)`` is the order the
    turns are scored in.

    Args:
        spark: a classic (not Spark Connect) session.
        paths: files, in the order their lines are to be read; any URL Hadoop reads
            (``hdfs://``, ``s3a://``...). One path is one file: expand directories and globs
            yourself, in the order you mean.
        min_partitions: splits per file at least (default: one per file system block).
    """
    sources = (
        [os.fspath(paths)]
        if isinstance(paths, (str, os.PathLike))
        else [os.fspath(p) for p in paths]
    )
    if not sources:
        raise ValueError("read_transcripts needs at least one path")
    context = spark.sparkContext
    # zipWithIndex numbers a file's lines in order (its splits are partitions in file order);
    # Spark's DataFrame reader packs splits by size, so its row ids would not follow the file.
    numbered = context.union(
        [
            context.textFile(source, min_partitions or 1)
            .zipWithIndex()
            .flatMap(_NumberedLine(position, source))
            for position, source in enumerate(sources)
        ]
    )
    return spark.createDataFrame(numbered, _LINES_SCHEMA, verifySchema=False)


class _NumberedLine:
    """(text, 0-based index) -> (conversation id, file, line, source, text), or nothing."""

    def __init__(self, file: int, source: str) -> None:
        self.file = file
        self.source = source

    def __call__(self, item: tuple[str, int]) -> tuple[tuple[str | None, int, int, str, str], ...]:
        text, index = item
        if not text.strip():
            return ()
        return ((_conversation_id(text), self.file, index + 1, self.source, text),)


def _conversation_id(text: str) -> str | None:
    """The id as the single machine reads it.

    Python's JSON reader, not Spark's: Spark's refuses what Python accepts (NaN, Infinity) and
    reads a number as a string.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return None
    found = data.get("conversation_id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and found else None


# --- scoring -------------------------------------------------------------------------------


def score_archive(
    lines: DataFrame,
    policy: PolicySource | None = None,
    *,
    partitions: int | None = None,
    buckets: int | None = None,
) -> DataFrame:
    """Score every conversation of ``read_transcripts``' lines, each whole in one task.

    Conversations are grouped by a hash of their id into ``buckets`` groups, and
    ``applyInPandas`` scores each group's conversations one after the other: one call per
    conversation would cost Spark more than the scoring (a few milliseconds a call, to move a
    frame of 40 columns to Python and back).

    Returns the five tables stacked (``SCORED_COLUMNS``; ``table`` says which table a row
    belongs to) and the lines that could not be scored as ``errors`` rows (``file``, ``line``,
    ``source``, ``field``, ``message``): lines that are not JSON, lack a field, or have no
    conversation id. Lazy: nothing runs until the result is used (``SparkBackend`` caches it).

    Args:
        lines: ``read_transcripts``' output.
        policy: as ``Escalator`` takes it; read and checked here, on the driver, so a policy
            file need not exist on the executors.
        partitions: how many partitions the conversations are spread over, and the scored
            tables kept in (default: twice the cluster's cores). Every query of the report
            reads each of them, so far more than the cores only adds task overhead; far fewer
            leaves cores idle while scoring.
        buckets: how many groups the conversations are scored in (default: 16 per
            partition). A group is one pandas frame in memory: raise it for archives whose
            groups would hold more than a few hundred thousand lines.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415, N812 - an optional dependency

    loaded = _checked_policy(policy)
    key = loaded.model_dump_json()
    count = (
        2 * lines.sparkSession.sparkContext.defaultParallelism if partitions is None else partitions
    )
    if count < 1:
        raise ValueError(f"score_archive needs at least one partition, got {count}")
    groups = _BUCKETS_PER_PARTITION * count if buckets is None else buckets
    if groups < 1:
        raise ValueError(f"score_archive needs at least one bucket, got {groups}")

    def score(group: pd.DataFrame) -> pd.DataFrame:
        return _score_bucket(key, loaded, group)

    bucket = F.pmod(F.xxhash64("conversation_id"), F.lit(groups)).alias(_BUCKET)
    # Hash-partitioned by bucket already, so the grouping adds no second shuffle.
    return (
        lines.select(bucket, *lines.columns)
        .repartition(count, _BUCKET)
        .groupBy(_BUCKET)
        .applyInPandas(score, _schema(SCORED_COLUMNS))
    )


def _checked_policy(policy: PolicySource | None) -> Policy:
    from escalate.engine import Escalator  # noqa: PLC0415 - loads the lexicons

    return Escalator(policy, logger=_quiet_logger()).policy


_scorers: dict[str, tuple[Escalator, Redactor]] = {}
"""One escalator per policy in each Python worker, built on its first conversation."""


def _scorer(key: str, policy: Policy) -> tuple[Escalator, Redactor]:
    scorer = _scorers.get(key)
    if scorer is None:
        from escalate.audit import Redactor  # noqa: PLC0415
        from escalate.engine import Escalator  # noqa: PLC0415
        from escalate.state import InMemoryStore  # noqa: PLC0415

        # A task scores one conversation at a time and forgets it: no eviction, no expiry.
        escalator = Escalator(policy, store=InMemoryStore(ttl_seconds=None), logger=_quiet_logger())
        scorer = _scorers[key] = (escalator, Redactor())
    return scorer


def _quiet_logger() -> Any:
    """Warnings and errors to the worker's stderr (the executor log); no decision events."""
    import structlog  # noqa: PLC0415

    return structlog.wrap_logger(
        structlog.PrintLogger(sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    ).bind()


def _score_bucket(key: str, policy: Policy, group: pd.DataFrame) -> pd.DataFrame:
    """A bucket's lines as stacked tables, scored conversation by conversation."""
    conversations: dict[str | None, list[tuple[int, int, str, str]]] = {}
    for conversation_id, *line in zip(
        group["conversation_id"].tolist(),
        group["file"].tolist(),
        group["line"].tolist(),
        group["source"].tolist(),
        group["text"].tolist(),
        strict=True,
    ):
        conversations.setdefault(conversation_id, []).append(tuple(line))
    escalator, redactor = _scorer(key, policy)
    tables = TurnTables()
    errors: list[tuple[tuple[int, int, str], TranscriptError]] = []
    for lines in conversations.values():
        ordered = sorted(lines)
        # Numbered by position: a conversation may span files, and its errors are put back at
        # their file and line. The lines without an id (key None) go the same way: each fails
        # to parse, with the error the single machine gives.
        scored, found = score_transcript_lines(
            enumerate(text for *_, text in ordered), escalator, redactor, "<group>"
        )
        tables.extend(scored)
        errors.extend((ordered[error.line][:3], error) for error in found)
    return _stacked(tables, errors)


def _stacked(
    tables: TurnTables, errors: list[tuple[tuple[int, int, str], TranscriptError]]
) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415 - an optional dependency

    columns: dict[str, list[Any]] = {name: [] for name, _ in SCORED_COLUMNS}
    for table, table_columns in tables.columns.items():
        rows = tables.rows(table)
        columns["table"].extend([table] * rows)
        for name, _ in SCORED_COLUMNS[1:]:
            columns[name].extend(table_columns.get(name) or [None] * rows)
    for (file, line, source), error in errors:
        row = {"table": ERRORS, "file": file, "line": line, "source": source,
               "field": error.field, "message": _message(error)}  # fmt: skip
        for name, stacked in columns.items():
            stacked.append(row.get(name))
    # Python objects, None for a gap: Spark converts each column to the schema's Arrow type
    # itself, faster than pandas' nullable arrays are built for a frame this small.
    return pd.DataFrame(columns, dtype=object)


def _message(error: TranscriptError) -> str:
    """What is wrong with the line, without where it is (``TranscriptError`` adds that)."""
    where = f"{error.source}:{error.line}" + (f": field '{error.field}'" if error.field else "")
    return str(error).removeprefix(f"{where}: ")


# --- aggregating ---------------------------------------------------------------------------


class SparkBackend:
    """``score_archive``'s output as the report's tables, for ``summarise`` (``SqlBackend``).

    The scored frame is persisted, so the archive is scored once however many queries read it.
    The tables and the report's own views live in a session of their own (sharing the
    SparkContext), so they neither see nor replace the caller's temporary views.

    Values come back as DuckDB gives them (see ``query``), so ``summarise`` shapes the same
    summary from the same tables.

    Args:
        scored: ``score_archive``'s output.
    """

    def __init__(self, scored: DataFrame) -> None:
        self._scored = scored.persist()
        self._shared = f"escalate_scored_{uuid.uuid4().hex}"
        self._scored.createGlobalTempView(self._shared)
        self._spark = scored.sparkSession.newSession()
        # The report's queries aggregate small views of the scored tables: as many shuffle
        # partitions as those tables have, not Spark's default of 200 per query.
        partitions = self._scored.rdd.getNumPartitions()
        self._spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
        self._cached: list[str] = []
        for name, columns in (*TABLES.items(), (ERRORS, _ERROR_COLUMNS)):
            listed = ", ".join(f"`{column}`" for column, _ in columns)
            # Names from TABLES and a uuid, never data.
            self._spark.sql(
                f"CREATE TEMP VIEW {name} AS SELECT {listed}"  # noqa: S608
                f" FROM global_temp.{self._shared} WHERE `table` = '{name}'"
            )

    def execute(self, sql: str) -> None:
        """Run a statement; a view the report creates is cached, as several queries read it."""
        self._spark.sql(sql)
        view = _VIEW.match(sql)
        if view is not None:
            self._spark.catalog.cacheTable(view.group(1))
            self._cached.append(view.group(1))

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a query, as dicts by column name."""
        return [_as_duckdb(row.asDict()) for row in self._spark.sql(sql).collect()]

    def errors(self) -> list[TranscriptError]:
        """The lines that could not be scored, in the order of the paths and lines."""
        rows = self._spark.sql(f"SELECT * FROM {ERRORS} ORDER BY file, line").collect()  # noqa: S608
        return [TranscriptError(row.source, row.line, row.message, row.field) for row in rows]

    def close(self) -> None:
        """Drop the views and free the cached frames."""
        for view in self._cached:
            self._spark.catalog.uncacheTable(view)
        self._spark.catalog.dropGlobalTempView(self._shared)
        self._scored.unpersist()


def _as_duckdb(row: dict[str, Any]) -> dict[str, Any]:
    """Spark types a decimal literal's arithmetic as DECIMAL; DuckDB hands back floats."""
    return {
        name: float(value) if isinstance(value, Decimal) else value for name, value in row.items()
    }


# --- the whole report ----------------------------------------------------------------------


def report_from_archive(
    spark: SparkSession,
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    options: ReportOptions | None = None,
    policy: PolicySource | None = None,
    *,
    partitions: int | None = None,
) -> tuple[InsightsSummary, list[TranscriptError]]:
    """Read, score and aggregate transcripts on Spark: the summary, and the lines skipped.

    The summary equals ``escalate report --on-error skip``'s for the same files in the same
    order (but ``sources``), which counts the skipped lines in ``notices``.

    Args:
        spark: a classic (not Spark Connect) session.
        paths: transcript files, in the order their lines are to be read.
        options: what the report counts and lists.
        policy: the policy to score with (default: the bundled one).
        partitions: as ``score_archive`` takes it.
    """
    sources = (
        [os.fspath(paths)]
        if isinstance(paths, (str, os.PathLike))
        else [os.fspath(p) for p in paths]
    )
    backend = SparkBackend(
        score_archive(read_transcripts(spark, sources), policy, partitions=partitions)
    )
    try:
        errors = backend.errors()
        notices = {"skipped_lines": len(errors)} if errors else {}
        summary = summarise(backend, options, sources=sources, notices=notices)
    finally:
        backend.close()
    return summary, errors
