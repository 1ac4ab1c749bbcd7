"""Escalation insights: what escalations say about the process, across many conversations.

``escalate report`` reads audit trails or scores raw transcripts into five tables
(``TurnTables``; ``load_inputs``), aggregates them with DuckDB (``DuckDBBackend``, or Spark SQL
on a cluster: ``report_from_archive``) into an ``InsightsSummary`` (``summarise``), and renders
it as a self-contained HTML page (``render_html``), JSON or Markdown (``render_markdown``).
Needs ``escalate[insights]`` (and ``escalate[spark]`` for Spark), imported only when used.
"""

from typing import Final

from escalate._deprecated import renamed
from escalate.insights._aggregate import DuckDBBackend, ReportOptions, SqlBackend, summarise
from escalate.insights._html import chart, render_html
from escalate.insights._markdown import render_markdown
from escalate.insights._sources import (
    InputKind,
    Loaded,
    input_kind,
    load_inputs,
    tables_from_audit,
    tables_from_transcripts,
)
from escalate.insights._spark import (
    ERRORS,
    SCORED_COLUMNS,
    SparkBackend,
    read_transcripts,
    report_from_archive,
    score_archive,
)
from escalate.insights._summary import (
    BUCKETS,
    BotMessage,
    DeadEndKind,
    Declines,
    EffortRow,
    FalseAlarm,
    HistogramBar,
    InsightsSummary,
    MetaRow,
    Overview,
    RatePoint,
    ReasonRow,
    SlowHandoff,
    StressPoint,
    TimeToHuman,
    TrustAfterHandoff,
    TrustPhase,
    TrustPoint,
)
from escalate.insights._tables import (
    SIGNAL_COLUMNS,
    TABLES,
    TRUST_SIGNALS,
    ColumnType,
    TurnTables,
)

__all__ = [
    "BUCKETS",
    "ERRORS",
    "SCORED_COLUMNS",
    "SIGNAL_COLUMNS",
    "TABLES",
    "TRUST_SIGNALS",
    "BotMessage",
    "ColumnType",
    "DeadEndKind",
    "Declines",
    "DuckDBBackend",
    "EffortRow",
    "FalseAlarm",
    "HistogramBar",
    "InputKind",
    "InsightsSummary",
    "Loaded",
    "MetaRow",
    "Overview",
    "RatePoint",
    "ReasonRow",
    "ReportOptions",
    "SlowHandoff",
    "SparkBackend",
    "SqlBackend",
    "StressPoint",
    "TimeToHuman",
    "TrustAfterHandoff",
    "TrustPhase",
    "TrustPoint",
    "TurnTables",
    "chart",
    "input_kind",
    "load_inputs",
    "read_transcripts",
    "render_html",
    "render_markdown",
    "report_from_archive",
    "score_archive",
    "summarise",
    "tables_from_audit",
    "tables_from_transcripts",
]


_RENAMED: Final = {"DuckDBEngine": "DuckDBBackend", "SqlEngine": "SqlBackend"}
"""Old names (issue 20): "engine" means the ``Escalator`` alone; these run SQL."""


def __getattr__(name: str) -> object:
    return renamed(__name__, name, _RENAMED, globals())
