"""Audit records as a flat table, for analysts: CSV (stdlib) or Parquet (``escalate[parquet]``).

One row per decision or outcome; one ``signal_<name>`` column per signal the trail recorded.
Headers and notices (``dropped``, ``write_failed``) are left out: ``audit verify`` reports on
those.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any, Final

from escalate.exceptions import MissingDependencyError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path
    from typing import TextIO

    from escalate.audit._read import AuditRecord

__all__ = ["COLUMNS", "export_csv", "export_parquet", "rows"]

COLUMNS: Final = (
    "seq",
    "kind",
    "at",
    "conversation_id",
    "turn_index",
    "user_turn",
    "role",
    "text",
    "action",
    "previous_action",
    "reasons",
    "route",
    "rules",
    "policy_name",
    "policy_version",
    "policy_hash",
    "latency_ms",
    "outcome",
    "note",
)
"""The fixed columns, in order; ``signal_<name>`` columns follow, sorted by name."""


def rows(records: Iterable[AuditRecord]) -> tuple[list[str], list[dict[str, Any]]]:
    """The column names and one row per decision or outcome record."""
    table = []
    signals: set[str] = set()
    for record in records:
        data = record.data
        if record.kind == "outcome":
            table.append(
                {
                    "seq": record.seq,
                    "kind": "outcome",
                    "at": data.get("at"),
                    "conversation_id": record.conversation_id,
                    "outcome": data.get("outcome"),
                    "note": data.get("note"),
                }
            )
        elif record.kind == "decision":
            decision = data["decision"]
            levels = decision.get("signals", {})
            signals.update(levels)
            table.append(
                {
                    "seq": record.seq,
                    "kind": "decision",
                    "at": data.get("at"),
                    "conversation_id": record.conversation_id,
                    "turn_index": data.get("turn_index"),
                    "user_turn": decision.get("user_turn"),
                    "role": data["turn"].get("role"),
                    "text": data["turn"].get("text"),
                    "action": decision.get("action"),
                    "previous_action": decision.get("previous_action"),
                    "reasons": ";".join(reason["code"] for reason in decision["reasons"]),
                    "route": decision.get("route"),
                    "rules": ";".join(
                        reason["rule"] for reason in decision["reasons"] if reason.get("rule")
                    ),
                    "policy_name": decision["policy"]["name"],
                    "policy_version": decision["policy"]["version"],
                    "policy_hash": decision["policy"]["hash"],
                    "latency_ms": decision.get("latency_ms"),
                    **{f"signal_{name}": level for name, level in levels.items()},
                }
            )
    columns = [*COLUMNS, *(f"signal_{name}" for name in sorted(signals))]
    return columns, table


def export_csv(records: Iterable[AuditRecord], out: TextIO) -> int:
    """Write the table as CSV to ``out``; the number of rows."""
    columns, table = rows(records)
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return len(table)


def export_parquet(records: Iterable[AuditRecord], path: Path) -> int:
    """Write the table as a Parquet file; the number of rows."""
    try:
        import pyarrow as pa  # noqa: PLC0415 - optional extra
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError as error:
        raise MissingDependencyError("audit export to Parquet", "parquet") from error
    columns, table = rows(records)
    schema = pa.schema([(name, _arrow_type(pa, name)) for name in columns])
    arrays = {name: [row.get(name) for row in table] for name in columns}
    pq.write_table(pa.table(arrays, schema=schema), path)
    return len(table)


_INTEGER_COLUMNS: Final = frozenset({"seq", "turn_index", "user_turn"})
_FLOAT_COLUMNS: Final = frozenset({"latency_ms"})


def _arrow_type(pa: Any, name: str) -> Any:
    if name in _INTEGER_COLUMNS:
        return pa.int64()
    if name in _FLOAT_COLUMNS or name.startswith("signal_"):
        return pa.float64()
    return pa.string()
