"""Escalation insights: what escalations say about the process, across many conversations.

``escalate report`` reads audit trails or scores raw transcripts into five tables
(``escalate.insights.tables``), aggregates them with DuckDB (or Spark SQL on a cluster, see
``escalate.insights.spark``) into an ``InsightsSummary``, and renders it as a self-contained
HTML page, JSON or Markdown. Needs ``escalate[insights]``.
"""

from typing import Final

from escalate._deprecated import renamed
from escalate.insights.aggregate import DuckDBBackend, ReportOptions, SqlBackend, summarise
from escalate.insights.sources import InputKind, Loaded, input_kind, load_inputs
from escalate.insights.summary import InsightsSummary
from escalate.insights.tables import SIGNAL_COLUMNS, TRUST_SIGNALS, TurnTables

__all__ = [
    "SIGNAL_COLUMNS",
    "TRUST_SIGNALS",
    "DuckDBBackend",
    "InputKind",
    "InsightsSummary",
    "Loaded",
    "ReportOptions",
    "SqlBackend",
    "TurnTables",
    "input_kind",
    "load_inputs",
    "summarise",
]


_RENAMED: Final = {"DuckDBEngine": "DuckDBBackend", "SqlEngine": "SqlBackend"}
"""Old names (issue 20): "engine" means the ``Escalator`` alone; these run SQL."""


def __getattr__(name: str) -> object:
    return renamed(__name__, name, _RENAMED, globals())
