"""Renamed public names (issue 20) keep working for a while, with a warning naming the new one."""

from __future__ import annotations

import importlib
import re
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("escalate.insights", "DuckDBEngine", "DuckDBBackend"),
        ("escalate.insights", "SqlEngine", "SqlBackend"),
    ],
)
def test_an_old_name_is_the_new_object_with_a_deprecation_warning(
    module: str, old: str, new: str
) -> None:
    imported = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{old} is deprecated: use .*\.{new}"):
        value = getattr(imported, old)
    assert value is getattr(imported, new)


def test_a_name_never_defined_is_still_an_attribute_error() -> None:
    import escalate.insights

    with pytest.raises(AttributeError, match="no_such_name"):
        escalate.insights.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_the_policy_engine_module_is_a_deprecated_alias_of_the_policy_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import escalate.policy

    monkeypatch.delitem(sys.modules, "escalate.policy.engine", raising=False)
    with pytest.warns(DeprecationWarning, match="import policy_step, decide and the rest from"):
        old = importlib.import_module("escalate.policy.engine")
    assert old.policy_step is escalate.policy.policy_step
    assert old.decide is escalate.policy.decide


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("escalate.evaluation", "Case", "LabelledCase"),
        ("escalate.evaluation", "Check", "LabelledCheck"),
        ("escalate.evaluation", "Expect", "ExpectedAction"),
        ("escalate.audit", "Problem", "TrailProblem"),
    ],
)
def test_names_that_meant_two_things_keep_their_old_spelling_for_now(
    module: str, old: str, new: str
) -> None:
    imported = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{old} is deprecated: use .*\.{new}"):
        value = getattr(imported, old)
    assert value is getattr(imported, new)
    assert old not in imported.__all__  # the new name is the one exported


def test_an_old_name_imports_with_from_import() -> None:
    with pytest.warns(DeprecationWarning, match="use escalate.evaluation.LabelledCase"):
        from escalate.evaluation import Case  # type: ignore[attr-defined]
    from escalate.evaluation import LabelledCase

    assert Case is LabelledCase


MOVED: dict[str, tuple[str, str]] = {
    # old module: (the package that exports its names now, the names it hands out)
    "escalate.server.app": (
        "escalate.server",
        (
            "DEFAULT_BODY_TIMEOUT_SECONDS DEFAULT_MAX_BODY_BYTES ConversationView OutcomeReport"
            " create_app"
        ),
    ),
    "escalate.server.protocol": (
        "escalate.server",
        "DEFAULT_HEADER_TIMEOUT_SECONDS protocol_with_header_timeout",
    ),
    "escalate.server.recent": ("escalate.server", "LastDecisions"),
    "escalate.insights.aggregate": (
        "escalate.insights",
        "DuckDBBackend ReportOptions SqlBackend summarise",
    ),
    "escalate.insights.html": ("escalate.insights", "chart render_html"),
    "escalate.insights.markdown": ("escalate.insights", "render_markdown"),
    "escalate.insights.spark": (
        "escalate.insights",
        "ERRORS SCORED_COLUMNS SparkBackend read_transcripts report_from_archive score_archive",
    ),
    "escalate.insights.summary": (
        "escalate.insights",
        (
            "BUCKETS BotMessage DeadEndKind Declines EffortRow FalseAlarm HistogramBar"
            " InsightsSummary MetaRow Overview RatePoint ReasonRow SlowHandoff StressPoint"
            " TimeToHuman TrustAfterHandoff TrustPhase TrustPoint"
        ),
    ),
    "escalate.insights.tables": (
        "escalate.insights",
        "SIGNAL_COLUMNS TABLES TRUST_SIGNALS ColumnType TurnTables",
    ),
    "escalate.audit.records": ("escalate.audit", "RecordBody TextMode"),
    "escalate.audit.redact": (
        "escalate.audit",
        "DEFAULT_KINDS UNREDACTED_EVENT_KEYS Redaction Redactor redact_decision",
    ),
    "escalate.audit.replay": ("escalate.audit", "ReplayReport TurnChange replay"),
    "escalate.audit.verify": ("escalate.audit", "ProblemKind TrailProblem VerifyReport verify"),
    "escalate.policy.compiled": ("escalate.policy", "ConditionCheck RuleFacts"),
    "escalate.state.conversation": (
        "escalate.core",
        (
            "EVIDENCE_KEPT RECENT_TEXTS RECENT_TURNS_KEPT SCHEMA_VERSION TEXT_KEPT"
            " ConversationState DissatisfactionMemory EffortMemory EscalationMemory FrictionMemory"
            " HandoffMemory HumanRequestMemory LoopMemory RecentTurn SecurityMemory"
            " SensitiveMemory StressMemory newest_first remember remembered remembered_flag"
        ),
    ),
    "escalate.state.redis": (
        "escalate.state",
        (
            "DEFAULT_PREFIX AsyncRedisStore OnUnavailable RedisStore StateUnavailableError"
            " StoreUnavailableError"
        ),
    ),
}
"""Modules made private (issue 20) whose old path a user may have imported from."""


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        *(
            (module, name, f"{package}.{name}")
            for module, (package, names) in MOVED.items()
            for name in names.split()
        ),
        # Names renamed before their module was made private: the new name in the package.
        ("escalate.insights.aggregate", "DuckDBEngine", "escalate.insights.DuckDBBackend"),
        ("escalate.insights.aggregate", "SqlEngine", "escalate.insights.SqlBackend"),
        ("escalate.insights.spark", "SparkEngine", "escalate.insights.SparkBackend"),
        ("escalate.audit.verify", "Problem", "escalate.audit.TrailProblem"),
        ("escalate.policy.compiled", "Check", "escalate.policy.ConditionCheck"),
    ],
)
def test_a_module_made_private_hands_out_its_names_from_the_package_with_a_warning(
    module: str, old: str, new: str
) -> None:
    imported = importlib.import_module(module)
    package, _, name = new.rpartition(".")
    warning = rf"^{re.escape(module)}\.{old} is deprecated: use {re.escape(new)}$"
    with pytest.warns(DeprecationWarning, match=warning):
        value = getattr(imported, old)
    assert value is getattr(importlib.import_module(package), name)


def test_an_old_module_path_imports_with_from_import() -> None:
    with pytest.warns(DeprecationWarning, match="use escalate.server.protocol_with_header_timeout"):
        from escalate.server.protocol import protocol_with_header_timeout  # type: ignore[attr-defined]
    from escalate.server import protocol_with_header_timeout as new

    assert protocol_with_header_timeout is new


@pytest.mark.parametrize("module", sorted(MOVED))
def test_an_old_module_hands_out_only_what_it_had(module: str) -> None:
    imported = importlib.import_module(module)
    with pytest.raises(AttributeError, match="no_such_name"):
        imported.no_such_name  # noqa: B018
    with pytest.raises(ImportError, match="no_such_name"):
        exec(f"from {module} import no_such_name")
