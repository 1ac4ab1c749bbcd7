"""The tables every insight is computed from, whatever produced them.

Scoring (live, from an audit trail, or on Spark executors) ends in the same five tables; the
aggregation (``escalate/insights/sql/``) reads only these. Their columns are declared once here,
and turned into an Arrow schema for DuckDB or a Spark schema for a cluster.

``turns``: one row per decided turn. ``reasons``: the reasons that drove each escalating
decision, strongest first. ``evidence``: evidence found *on* a turn (carried evidence is not
repeated). ``meta``: a conversation's meta fields, first value per key. ``outcomes``: outcomes
the host reported (audit trails only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from escalate.exceptions import MissingDependencyError
from escalate.signals import TrustDetector, signal_names

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "SIGNAL_COLUMNS",
    "TABLES",
    "TRUST_SIGNALS",
    "ColumnType",
    "TurnTables",
]

ColumnType = Literal["string", "int", "double", "bool"]

TRUST_SIGNALS: Final = TrustDetector.signals
"""The per-turn trust signals, in the order reports show them."""
SIGNAL_COLUMNS: Final = signal_names()
"""Signal levels kept per turn (other signals, from custom detectors, are not reported)."""

TABLES: Final[Mapping[str, tuple[tuple[str, ColumnType], ...]]] = {
    "turns": (
        ("conversation_id", "string"),
        ("turn_index", "int"),
        ("user_turn", "int"),
        ("role", "string"),
        ("ts", "double"),
        ("text", "string"),
        ("bot_message", "string"),
        ("action", "string"),
        ("previous_action", "string"),
        ("primary_reason", "string"),
        *((name, "double") for name in SIGNAL_COLUMNS),
        ("requested_human", "bool"),
        ("dead_end", "bool"),
        ("declined_offer", "bool"),
        ("resolved", "bool"),
    ),
    "reasons": (
        ("conversation_id", "string"),
        ("turn_index", "int"),
        ("ordinal", "int"),
        ("code", "string"),
    ),
    "evidence": (
        ("conversation_id", "string"),
        ("turn_index", "int"),
        ("detector", "string"),
        ("kind", "string"),
    ),
    "meta": (
        ("conversation_id", "string"),
        ("key", "string"),
        ("value", "string"),
    ),
    "outcomes": (
        ("conversation_id", "string"),
        ("outcome", "string"),
        ("user_turns", "int"),
        ("ts", "double"),
    ),
}


def _empty() -> dict[str, dict[str, list[Any]]]:
    return {name: {column: [] for column, _ in columns} for name, columns in TABLES.items()}


@dataclass(slots=True)
class TurnTables:
    """The five tables as columns of Python values, filled row by row."""

    columns: dict[str, dict[str, list[Any]]] = field(default_factory=_empty)

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        """Append ``row`` (every column of ``table``; a missing one is ``None``)."""
        for column, values in self.columns[table].items():
            values.append(row.get(column))

    def rows(self, table: str) -> int:
        """How many rows ``table`` has."""
        return len(self.columns[table]["conversation_id"])

    def extend(self, other: TurnTables) -> None:
        """Append every row of ``other``."""
        for table, columns in other.columns.items():
            for column, values in columns.items():
                self.columns[table][column].extend(values)

    def to_arrow(self) -> dict[str, Any]:
        """Each table as a ``pyarrow.Table`` (needs ``escalate[insights]``)."""
        try:
            import pyarrow as pa  # noqa: PLC0415 - an optional dependency
        except ImportError:
            raise MissingDependencyError("the escalation report", "insights") from None

        types = {"string": pa.string(), "int": pa.int64(), "double": pa.float64(),
                 "bool": pa.bool_()}  # fmt: skip
        return {
            name: pa.table(
                {
                    column: pa.array(self.columns[name][column], type=types[kind])
                    for column, kind in columns
                }
            )
            for name, columns in TABLES.items()
        }
