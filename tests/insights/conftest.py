from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from escalate import Escalator
from escalate.audit import Redactor
from escalate.insights import (
    DuckDBBackend,
    InsightsSummary,
    Loaded,
    ReportOptions,
    load_inputs,
    summarise,
)

TRANSCRIPT = Path(__file__).parent.parent / "fixtures" / "insights_transcript.jsonl"
"""12 conversations over three days: loops, dead ends, requests, a decline, a false alarm,
trust phrases, meta fields (channel, tier, and customer_id: one value per conversation)."""
if TYPE_CHECKING:
    from collections.abc import Callable

OPTIONS = ReportOptions(max_meta_values=5)


@pytest.fixture(scope="session")
def transcript() -> Path:
    return TRANSCRIPT


@pytest.fixture(scope="session")
def options() -> ReportOptions:
    return OPTIONS


@pytest.fixture(scope="session")
def loaded() -> Loaded:
    return load_inputs([TRANSCRIPT], Escalator, Redactor())


@pytest.fixture(scope="session")
def summary(loaded: Loaded) -> InsightsSummary:
    engine = DuckDBBackend(loaded.tables)
    try:
        return summarise(engine, OPTIONS, sources=[TRANSCRIPT.name])
    finally:
        engine.close()


@pytest.fixture(scope="session")
def summary_of(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[list[dict[str, object]]], InsightsSummary]:
    """The report's summary of a transcript given as its lines."""

    def summarise_lines(lines: list[dict[str, object]]) -> InsightsSummary:
        path = tmp_path_factory.mktemp("transcript") / "transcript.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        loaded = load_inputs([path], Escalator, Redactor())
        engine = DuckDBBackend(loaded.tables)
        try:
            return summarise(engine, sources=[path.name])
        finally:
            engine.close()

    return summarise_lines
