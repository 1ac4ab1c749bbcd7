import subprocess
import sys

import pytest

import escalate


def test_all_is_exactly_the_public_api() -> None:
    assert escalate.__all__ == sorted(escalate.__all__)
    assert set(escalate.__all__) == {
        "Action",
        "AsyncStateStore",
        "AuditError",
        "AuditSink",
        "ConversationState",
        "Decision",
        "Detector",
        "EscalateError",
        "Escalator",
        "Evidence",
        "HandoffContext",
        "InMemoryStore",
        "InvalidInputError",
        "LexiconError",
        "MissingDependencyError",
        "Outcome",
        "Policy",
        "PolicyError",
        "PolicyProblem",
        "PolicyRef",
        "Reason",
        "ReasonCode",
        "Role",
        "StateStore",
        "TranscriptError",
        "Turn",
        "__version__",
        "load_policy",
    }


def test_every_exported_name_resolves() -> None:
    for name in escalate.__all__:
        assert getattr(escalate, name) is not None


def test_version_comes_from_package_metadata() -> None:
    from importlib.metadata import version

    assert escalate.__version__ == version("escalate")


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        escalate.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_importing_escalate_loads_no_optional_or_heavy_dependency() -> None:
    # The CLI (typer, rich), the RE2 accelerator, logging setup and future integrations are
    # loaded only when used, and the engine (lexicons, YAML, VADER) only when first asked for.
    code = (
        "import sys, escalate; "
        "print(' '.join(m for m in ('typer', 'rich', 're2', 'structlog', 'redis', 'fastapi', "
        "'botbuilder', 'langchain', 'rasa_sdk', 'escalate.engine', 'yaml', 'rapidfuzz', "
        "'vaderSentiment') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == ""


def test_exceptions_form_one_tree_with_the_builtin_they_refine() -> None:
    assert issubclass(escalate.PolicyError, escalate.EscalateError)
    assert issubclass(escalate.PolicyError, ValueError)
    assert issubclass(escalate.InvalidInputError, ValueError)
    assert issubclass(escalate.TranscriptError, ValueError)
    assert issubclass(escalate.LexiconError, ValueError)
    assert issubclass(escalate.MissingDependencyError, ImportError)
    assert "pip install 'escalate[fast]'" in str(escalate.MissingDependencyError("x", "fast"))


def test_the_engine_loads_on_first_access() -> None:
    code = (
        "import sys, escalate; assert 'escalate.engine' not in sys.modules; "
        "from escalate import Escalator; import escalate.engine; "
        "assert Escalator is escalate.engine.Escalator; "
        "print(set(escalate.__all__) <= set(dir(escalate)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


def test_the_audit_package_exports_exactly_its_api() -> None:
    import escalate.audit

    assert set(escalate.audit.__all__) == {
        "DEFAULT_KINDS",
        "FORMAT",
        "UNREDACTED_EVENT_KEYS",
        "AuditRecord",
        "AuditStats",
        "AuditTrail",
        "ChainHead",
        "JsonlSink",
        "ProblemKind",
        "RecordBody",
        "Redaction",
        "Redactor",
        "ReplayReport",
        "SqliteSink",
        "TextMode",
        "TrailProblem",
        "TurnChange",
        "VerifyReport",
        "export_csv",
        "export_parquet",
        "is_sqlite",
        "read_trail",
        "redact_decision",
        "replay",
        "verify",
    }
    for name in escalate.audit.__all__:
        assert getattr(escalate.audit, name) is not None


def test_the_audit_functions_stay_functions_when_their_old_modules_are_imported() -> None:
    # escalate.audit.replay and .verify are also deprecated alias modules: importing those
    # must not rebind the package's functions to them, in whatever order it happens.
    code = (
        "import sys, escalate.audit.verify, escalate.audit.replay, escalate.audit as audit; "
        "old = sys.modules['escalate.audit.verify']; "
        "print(callable(audit.verify), callable(audit.replay), callable(old), type(old).__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "False", "module"]


def test_the_server_package_exports_exactly_its_api() -> None:
    import escalate.server

    assert set(escalate.server.__all__) == {
        "DEFAULT_BODY_TIMEOUT_SECONDS",
        "DEFAULT_HEADER_TIMEOUT_SECONDS",
        "DEFAULT_MAX_BODY_BYTES",
        "BodyLimit",
        "ConversationView",
        "DocsAccess",
        "LastDecisions",
        "OutcomeReport",
        "create_app",
        "protocol_with_header_timeout",
    }
    for name in escalate.server.__all__:
        assert getattr(escalate.server, name) is not None


def test_the_server_loads_the_httptools_protocol_only_when_asked_for_it() -> None:
    # create_app runs on any ASGI server: only protocol_with_header_timeout needs httptools.
    code = (
        "import sys, escalate.server; "
        "assert 'escalate.server._protocol' not in sys.modules; "
        "escalate.server.protocol_with_header_timeout; "
        "print('escalate.server._protocol' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


def test_the_insights_package_exports_exactly_its_api() -> None:
    import escalate.insights

    assert set(escalate.insights.__all__) == {
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
    }
    for name in escalate.insights.__all__:
        assert getattr(escalate.insights, name) is not None


def test_the_insights_package_loads_no_optional_dependency_until_used() -> None:
    # DuckDB, plotly, jinja2, PySpark and pandas are imported by the functions that need them.
    code = (
        "import sys, escalate.insights; "
        "print([m for m in ('duckdb', 'plotly', 'jinja2', 'pyspark', 'pandas', 'pyarrow') "
        "if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_policy_package_exports_exactly_its_api() -> None:
    import escalate.policy

    assert set(escalate.policy.__all__) == {
        "NEAR_MISS_MARGIN",
        "Calendar",
        "ConditionCheck",
        "CooldownPolicy",
        "Fallback",
        "OptOutPolicy",
        "Policy",
        "PolicySource",
        "Route",
        "Rule",
        "RuleFacts",
        "RuleTrace",
        "SignalPolicy",
        "SignalTrace",
        "TurnTrace",
        "Verdict",
        "apply_outcome",
        "decide",
        "default_policy",
        "load_policy",
        "markdown_reference",
        "policy_step",
        "problem_at",
        "problem_from_pydantic",
        "record_decline",
        "remember_verdict",
        "rule_facts",
        "scored_by",
        "trace_turn",
        "yaml_problem",
        "yaml_with_positions",
    }
    for name in escalate.policy.__all__:
        assert getattr(escalate.policy, name) is not None


def test_the_state_package_exports_exactly_its_api() -> None:
    import escalate.state

    assert set(escalate.state.__all__) == {
        "DEFAULT_PREFIX",
        "SCHEMA_VERSION",
        "AsyncRedisStore",
        "ConversationState",
        "InMemoryStore",
        "OnUnavailable",
        "RedisStore",
        "StateUnavailableError",
        "StoreUnavailableError",
        "offline_note",
    }
    for name in escalate.state.__all__:
        assert getattr(escalate.state, name) is not None


def test_the_state_package_loads_redis_only_when_a_redis_store_is_asked_for() -> None:
    code = (
        "import sys, escalate.state; "
        "print([m for m in ('redis', 'escalate.state._redis') if m in sys.modules]); "
        "escalate.state.StoreUnavailableError; "
        "print([m for m in ('redis', 'escalate.state._redis') if m in sys.modules]); "
        "escalate.state.RedisStore; "
        "print([m for m in ('redis', 'escalate.state._redis') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["[]", "[]", "['redis', 'escalate.state._redis']"]


def test_without_redis_the_state_package_imports_and_its_redis_stores_name_the_extra() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "from escalate.state import InMemoryStore, StateUnavailableError, StoreUnavailableError\n"
        "try:\n"
        "    from escalate.state import RedisStore\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.startswith(escalate.MissingDependencyError.__name__)
    assert "pip install 'escalate[redis]'" in done.stdout
