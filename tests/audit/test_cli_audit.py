"""``escalate audit verify|show|export`` and ``escalate replay``, end to end through the CLI.

Every trail here is written by ``escalate score --audit`` (JSON Lines or SQLite) from a small
transcript, except the keyed one: ``score`` has no ``--key``, so that trail is written with the
Python API and only checked through the CLI.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

import escalate.policy
from escalate import Escalator
from escalate.audit import AuditTrail, JsonlSink
from escalate.audit._chain import dumps, seal_record  # internal: forges records that verify
from escalate.cli import app
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from click.testing import Result

runner = CliRunner()

SECRET = "482913"
EMAIL = "jane.doe@example.com"
DEFAULT_POLICY = Path(escalate.policy.__file__).with_name("default.yaml")

TRANSCRIPT: list[dict[str, Any]] = [
    {"conversation_id": "human", "role": "user", "text": "I want to speak to a person"},
    {
        "conversation_id": "angry",
        "role": "user",
        "text": "This is ridiculous, I am furious, third time I ask!!!",
    },
    {"conversation_id": "routine", "role": "user", "text": "where is my order?"},
    {"conversation_id": "routine", "role": "bot", "text": "It arrives on Thursday."},
    {
        "conversation_id": "2fa",
        "role": "user",
        "text": f"I lost my phone and can't get the 2FA code, my code is {SECRET} and it fails",
    },
    {"conversation_id": "routine", "role": "user", "text": f"great, thanks, mail me at {EMAIL}"},
    {
        "conversation_id": "angry",
        "role": "user",
        "text": "You are useless, this is the worst service ever, I am so angry",
    },
]
# One decision record per turn (bot turns too), after the header on line 1.
RECORDS = 1 + len(TRANSCRIPT)
HEAD = re.compile(r"head (\d+:[0-9a-f]{64})")
# Wide enough that rich never folds a turn's text across lines in `audit show`.
WIDE = {"COLUMNS": "250"}


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, [str(arg) for arg in args], env=env)


def record_trail(directory: Path, name: str) -> Path:
    """Score the transcript with ``--audit`` and return the trail."""
    directory.mkdir(parents=True, exist_ok=True)
    transcript = directory / "transcript.jsonl"
    transcript.write_text("".join(json.dumps(row) + "\n" for row in TRANSCRIPT))
    trail = directory / name
    result = invoke("score", transcript, "--audit", trail)
    assert result.exit_code == 0, result.output
    return trail


@pytest.fixture(scope="module")
def jsonl_trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSON Lines trail; tests that change it work on a copy."""
    return record_trail(tmp_path_factory.mktemp("jsonl"), "trail.jsonl")


@pytest.fixture(scope="module")
def db_trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite trail; tests that change it work on a copy."""
    return record_trail(tmp_path_factory.mktemp("db"), "trail.db")


@pytest.fixture
def trail_copy(jsonl_trail: Path, tmp_path: Path) -> Path:
    """A copy of the JSON Lines trail this test may tamper with."""
    return Path(shutil.copy(jsonl_trail, tmp_path / "trail.jsonl"))


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def edit_a_field(lines: list[bytes]) -> list[bytes]:
    """Line 2 (the "human" handoff) says ``continue`` instead."""
    record = json.loads(lines[1])
    assert record["decision"]["action"] == "handoff"
    record["decision"]["action"] = "continue"
    return [*lines[:1], dumps(record) + b"\n", *lines[2:]]


def test_the_fixture_trail_holds_a_header_and_one_record_per_turn(jsonl_trail: Path) -> None:
    records = [json.loads(line) for line in lines_of(jsonl_trail)]
    assert [record["kind"] for record in records] == ["header"] + ["decision"] * len(TRANSCRIPT)
    assert [record["seq"] for record in records] == list(range(RECORDS))


class TestVerify:
    @pytest.mark.parametrize("trail", ["jsonl_trail", "db_trail"])
    def test_an_intact_trail_verifies(self, trail: str, request: pytest.FixtureRequest) -> None:
        path = request.getfixturevalue(trail)
        result = invoke("audit", "verify", path)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"ok: {RECORDS} records in 1 chain(s) verify, head ")
        assert HEAD.search(result.stdout)
        assert result.stderr == ""

    @pytest.mark.parametrize(
        ("tamper", "kind", "line"),
        [
            pytest.param(edit_a_field, "modified", 2, id="edit-a-field"),
            pytest.param(lambda ls: ls[:3] + ls[4:], "deleted", 4, id="delete-a-line"),
            pytest.param(
                lambda ls: [*ls[:3], ls[4], ls[3], *ls[5:]], "reordered", 4, id="swap-two-lines"
            ),
            pytest.param(lambda ls: [*ls[:4], ls[3], *ls[4:]], "inserted", 4, id="duplicate"),
        ],
    )
    def test_tampering_names_the_first_bad_record_and_its_kind(
        self, trail_copy: Path, tamper: Callable[[list[bytes]], list[bytes]], kind: str, line: int
    ) -> None:
        trail_copy.write_bytes(b"".join(tamper(lines_of(trail_copy))))
        result = invoke("audit", "verify", trail_copy)
        assert result.exit_code == 1, result.output
        assert f"FAILED: first bad record: {trail_copy}:{line}: {kind}: " in result.stderr
        assert "ok:" not in result.stdout

    def test_a_duplicated_line_names_both_copies(self, trail_copy: Path) -> None:
        lines = lines_of(trail_copy)
        trail_copy.write_bytes(b"".join([*lines[:4], lines[3], *lines[4:]]))
        result = invoke("audit", "verify", trail_copy)
        assert result.exit_code == 1
        assert "2 (trail.jsonl:4, trail.jsonl:5) records claim seq 3" in result.stderr
        assert "1 problem(s)" in result.stderr

    def test_a_changed_record_with_its_hash_recomputed_breaks_the_next_link(
        self, trail_copy: Path
    ) -> None:
        lines = lines_of(trail_copy)
        record = json.loads(lines[2])
        record["decision"]["action"] = "continue"
        trail_copy.write_bytes(b"".join([*lines[:2], seal_record(record), *lines[3:]]))
        result = invoke("audit", "verify", trail_copy)
        assert result.exit_code == 1
        assert f"first bad record: {trail_copy}:4: modified: record 2 was changed" in (
            result.stderr
        )

    def test_a_last_line_cut_short_is_reported_as_torn(self, trail_copy: Path) -> None:
        data = trail_copy.read_bytes()
        trail_copy.write_bytes(data[: len(data) - 100])
        result = invoke("audit", "verify", trail_copy)
        assert result.exit_code == 1
        assert f"first bad record: {trail_copy}:{RECORDS}: torn: " in result.stderr
        assert f"{RECORDS - 1} records verify" in result.stderr

    def test_a_missing_file_exits_2(self, tmp_path: Path) -> None:
        missing = tmp_path / "nope.jsonl"
        result = invoke("audit", "verify", missing)
        assert result.exit_code == 2
        assert f"no such file: {missing}" in result.stderr

    @pytest.mark.parametrize(
        "content",
        [
            pytest.param(json.dumps(TRANSCRIPT[0]) + "\n", id="a-transcript"),
            pytest.param("hello, world\n", id="plain-text"),
            pytest.param("", id="empty"),
        ],
    )
    def test_a_file_that_is_not_an_audit_trail_exits_2(self, tmp_path: Path, content: str) -> None:
        path = tmp_path / "other.jsonl"
        path.write_text(content)
        result = invoke("audit", "verify", path)
        assert result.exit_code == 2
        assert "does not start with an escalate audit header" in result.stderr
        assert "ok:" not in result.stdout

    def test_a_published_head_detects_that_the_last_records_were_removed(
        self, trail_copy: Path
    ) -> None:
        first = invoke("audit", "verify", trail_copy)
        match = HEAD.search(first.stdout)
        assert match is not None, first.stdout
        head = match.group(1)
        assert head.startswith(f"{RECORDS - 1}:")
        assert invoke("audit", "verify", trail_copy, "--head", head).exit_code == 0

        trail_copy.write_bytes(b"".join(lines_of(trail_copy)[:-2]))
        # Without the head, cutting whole records off the end leaves a valid (shorter) chain...
        assert invoke("audit", "verify", trail_copy).exit_code == 0
        # ...which the published head exposes.
        result = invoke("audit", "verify", trail_copy, "--head", head)
        assert result.exit_code == 1
        assert "truncated: " in result.stderr
        assert f"record {RECORDS - 1} of the published head is gone" in result.stderr
        assert f"cut after record {RECORDS - 3}" in result.stderr

    def test_a_malformed_head_exits_2(self, jsonl_trail: Path) -> None:
        result = invoke("audit", "verify", jsonl_trail, "--head", "7-abc")
        assert result.exit_code == 2
        assert "--head must be SEQ:HASH" in result.stderr

    def test_a_keyed_trail_needs_its_key(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("ESCALATE_AUDIT_KEY", raising=False)
        path = tmp_path / "keyed.jsonl"
        with AuditTrail(JsonlSink(path, key="s3cret")) as trail:
            escalator = Escalator(audit=trail, logger=quiet_logger())
            for row in TRANSCRIPT:
                escalator.evaluate(
                    row["conversation_id"], {"role": row["role"], "text": row["text"]}
                )

        without = invoke("audit", "verify", path)
        assert without.exit_code == 2
        assert "keyed (HMAC-SHA256): give its key" in without.stderr

        assert invoke("audit", "verify", path, "--key", "s3cret").exit_code == 0
        assert invoke("audit", "verify", path, env={"ESCALATE_AUDIT_KEY": "s3cret"}).exit_code == 0

        wrong = invoke("audit", "verify", path, "--key", "guess")
        assert wrong.exit_code == 1
        assert f"{path}:1: modified" in wrong.stderr


class TestShow:
    def test_shows_one_conversations_turns_actions_and_reasons(self, jsonl_trail: Path) -> None:
        result = invoke("audit", "show", jsonl_trail, "--conversation", "angry", env=WIDE)
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert TRANSCRIPT[1]["text"] in out
        assert TRANSCRIPT[6]["text"] in out
        assert "handoff" in out
        assert "emotional_stress" in out
        assert '"ridiculous"' in out  # the evidence quoted next to the reason
        for other in (TRANSCRIPT[0], TRANSCRIPT[2], TRANSCRIPT[3], TRANSCRIPT[4]):
            assert other["text"] not in out
        assert "human_requested" not in out

    def test_shows_the_redacted_text_not_the_secret(self, db_trail: Path) -> None:
        result = invoke("audit", "show", db_trail, "-c", "2fa", env=WIDE)
        assert result.exit_code == 0, result.output
        assert "I lost my phone and can't get the 2FA code" in result.stdout
        assert "security_dead_end" in result.stdout
        assert SECRET not in result.stdout

    def test_a_routine_conversation_shows_its_bot_turn_and_no_reason(
        self, jsonl_trail: Path
    ) -> None:
        result = invoke("audit", "show", jsonl_trail, "-c", "routine", env=WIDE)
        assert result.exit_code == 0
        assert "It arrives on Thursday." in result.stdout
        assert "continue" in result.stdout
        assert "handoff" not in result.stdout
        assert EMAIL not in result.stdout

    def test_an_unknown_conversation_exits_2(self, jsonl_trail: Path) -> None:
        result = invoke("audit", "show", jsonl_trail, "-c", "nobody")
        assert result.exit_code == 2
        assert f"no records of conversation 'nobody' in {jsonl_trail}" in result.stderr
        assert result.stdout == ""

    def test_text_that_looks_like_markup_is_shown_as_written(self, tmp_path: Path) -> None:
        transcript = tmp_path / "t.jsonl"
        text = "I clicked [/help] then [red]nothing[/red] happened"
        row = {"conversation_id": "m[x]", "role": "user", "text": text}
        transcript.write_text(json.dumps(row) + "\n")
        trail = tmp_path / "m.jsonl"
        assert invoke("score", transcript, "--audit", trail).exit_code == 0
        result = invoke("audit", "show", trail, "--conversation", "m[x]", env=WIDE)
        assert result.exit_code == 0, result.output
        assert text in result.output
        assert "m[x]" in result.output
        table = invoke("score", transcript, "--format", "table", env=WIDE)
        assert table.exit_code == 0, table.output
        assert text in table.output


class TestExport:
    def test_csv_to_stdout_has_one_row_per_decision(self, jsonl_trail: Path) -> None:
        result = invoke("audit", "export", jsonl_trail, "--format", "csv")
        assert result.exit_code == 0, result.output
        rows = csv_rows(result.stdout)
        assert len(rows) == len(TRANSCRIPT)
        columns = set(rows[0])
        assert {"action", "reasons", "conversation_id", "turn_index", "text"} <= columns
        assert {"signal_stress", "signal_human_request", "signal_security_dead_end"} <= columns
        assert [(row["conversation_id"], row["role"]) for row in rows] == [
            (turn["conversation_id"], turn["role"]) for turn in TRANSCRIPT
        ]
        assert [row["seq"] for row in rows] == [str(seq) for seq in range(1, RECORDS)]
        by_conversation = {row["conversation_id"]: row for row in rows if row["turn_index"] == "0"}
        assert by_conversation["human"]["action"] == "handoff"
        assert by_conversation["human"]["reasons"] == "human_requested"
        assert by_conversation["2fa"]["reasons"] == "security_dead_end"
        assert by_conversation["routine"]["action"] == "continue"
        assert by_conversation["routine"]["reasons"] == ""
        assert float(by_conversation["angry"]["signal_stress"]) >= 0.8
        assert float(by_conversation["routine"]["signal_stress"]) < 0.5
        assert SECRET not in result.stdout
        assert EMAIL not in result.stdout

    def test_csv_to_a_file_matches_stdout(self, jsonl_trail: Path, tmp_path: Path) -> None:
        out = tmp_path / "out.csv"
        result = invoke("audit", "export", jsonl_trail, "-o", out)
        assert result.exit_code == 0, result.output
        assert f"wrote {len(TRANSCRIPT)} rows to {out}" in result.stderr
        assert result.stdout == ""
        stdout = invoke("audit", "export", jsonl_trail).stdout
        assert csv_rows(out.read_text(encoding="utf-8")) == csv_rows(stdout)

    def test_the_sqlite_trail_exports_the_same_decisions(
        self, jsonl_trail: Path, db_trail: Path
    ) -> None:
        def decisions(path: Path) -> list[tuple[str, ...]]:
            rows = csv_rows(invoke("audit", "export", path).stdout)
            return [(r["seq"], r["conversation_id"], r["action"], r["reasons"]) for r in rows]

        assert decisions(db_trail) == decisions(jsonl_trail)

    def test_parquet_reads_back_as_the_csv_rows(self, jsonl_trail: Path, tmp_path: Path) -> None:
        import pyarrow as pa  # the parquet extra, in the test extras
        import pyarrow.parquet as pq

        out = tmp_path / "x.parquet"
        result = invoke("audit", "export", jsonl_trail, "--format", "parquet", "-o", out)
        assert result.exit_code == 0, result.output
        table = pq.read_table(out)
        assert table.schema.field("seq").type == pa.int64()
        assert table.schema.field("signal_stress").type == pa.float64()
        assert table.schema.field("action").type == pa.string()
        from_csv = csv_rows(invoke("audit", "export", jsonl_trail).stdout)
        assert table.column_names == list(from_csv[0])
        # CSV holds text: an empty cell is a null, every other value its str().
        as_text = [
            {name: "" if value is None else str(value) for name, value in row.items()}
            for row in table.to_pylist()
        ]
        assert as_text == from_csv

    def test_parquet_without_an_output_file_exits_2(self, jsonl_trail: Path) -> None:
        result = invoke("audit", "export", jsonl_trail, "--format", "parquet")
        assert result.exit_code == 2
        assert "--format parquet writes a binary file: give --output FILE" in result.stderr
        assert result.stdout == ""
        dash = invoke("audit", "export", jsonl_trail, "--format", "parquet", "-o", "-")
        assert dash.exit_code == 2
        assert dash.stdout == ""

    def test_dash_is_stdout(self, jsonl_trail: Path) -> None:
        dash = invoke("audit", "export", jsonl_trail, "-o", "-")
        assert dash.exit_code == 0, dash.output
        assert csv_rows(dash.stdout) == csv_rows(invoke("audit", "export", jsonl_trail).stdout)
        assert dash.stderr == ""


STRICT_POLICY = """\
extends: default
name: strict
version: "1"
signals:
  human_request:
    handoff: 0.99   # an explicit request (0.95) now only offers
"""


class TestReplay:
    @pytest.mark.parametrize("trail", ["jsonl_trail", "db_trail"])
    def test_the_recording_policy_changes_nothing(
        self, trail: str, request: pytest.FixtureRequest
    ) -> None:
        path = request.getfixturevalue(trail)
        result = invoke("replay", path, "--policy", DEFAULT_POLICY, "--fail-on-change")
        assert result.exit_code == 0, result.output
        assert f"replayed {len(TRANSCRIPT)} turns of 4 conversations" in result.stdout
        assert ": 0 would change" in result.stdout
        assert "warning" not in result.stdout

        summary = json.loads(
            invoke("replay", path, "--policy", DEFAULT_POLICY, "-f", "json").stdout
        )
        assert summary["changed"] == 0
        assert summary["same_policy_drift"] == 0
        assert summary["examples"] == []
        assert all(row["before"] == row["after"] for row in summary["by_action"])

    def test_a_stricter_policy_reports_what_would_change(
        self, jsonl_trail: Path, tmp_path: Path
    ) -> None:
        policy = tmp_path / "strict.yaml"
        policy.write_text(STRICT_POLICY)
        result = invoke("replay", jsonl_trail, "--policy", policy)
        assert result.exit_code == 0, result.output
        assert "under strict 1" in result.stdout
        assert ": 1 would change" in result.stdout
        assert "handoff -> offer_human" in result.stdout
        assert f'human #0: handoff -> offer_human (human_requested) "{TRANSCRIPT[0]["text"]}"' in (
            result.stdout
        )

    def test_the_json_summary_adds_up(self, jsonl_trail: Path, tmp_path: Path) -> None:
        policy = tmp_path / "strict.yaml"
        policy.write_text(STRICT_POLICY)
        result = invoke("replay", jsonl_trail, "--policy", policy, "--format", "json")
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary["policy"]["name"] == "strict"
        assert summary["turns"] == len(TRANSCRIPT)
        assert summary["conversations"] == 4
        assert sum(row["turns"] for row in summary["by_action"]) == summary["turns"]
        moved = sum(row["turns"] for row in summary["by_action"] if row["before"] != row["after"])
        assert moved == summary["changed"] == 1
        assert summary["same_policy_drift"] == 0
        [example] = summary["examples"]
        assert example["conversation_id"] == "human"
        assert (example["before"], example["after"]) == ("handoff", "offer_human")
        assert example["where"] == f"{jsonl_trail}:2"

    def test_the_summary_goes_to_a_file_and_old_json_still_works(
        self, jsonl_trail: Path, tmp_path: Path
    ) -> None:
        policy = tmp_path / "strict.yaml"
        policy.write_text(STRICT_POLICY)
        out = tmp_path / "replay.json"
        result = invoke("replay", jsonl_trail, "-p", policy, "-f", "json", "-o", out)
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert f"wrote {out}" in result.stderr
        summary = json.loads(out.read_text(encoding="utf-8"))
        assert summary["changed"] == 1
        old = invoke("replay", jsonl_trail, "-p", policy, "--json")
        assert old.exit_code == 0
        assert json.loads(old.stdout) == summary
        assert "warning: --json is deprecated" in old.stderr
        assert "use --format json" in old.stderr

    def test_fail_on_change_exits_1(self, jsonl_trail: Path, tmp_path: Path) -> None:
        policy = tmp_path / "strict.yaml"
        policy.write_text(STRICT_POLICY)
        result = invoke("replay", jsonl_trail, "--policy", policy, "--fail-on-change")
        assert result.exit_code == 1
        assert ": 1 would change" in result.stdout

    def test_replay_leaves_the_trail_untouched(self, trail_copy: Path, tmp_path: Path) -> None:
        policy = tmp_path / "strict.yaml"
        policy.write_text(STRICT_POLICY)
        before = trail_copy.read_bytes()
        files_before = sorted(tmp_path.iterdir())
        for extra in ([], ["-f", "json"], ["--fail-on-change"]):
            invoke("replay", trail_copy, "--policy", policy, *extra)
        assert trail_copy.read_bytes() == before
        assert sorted(tmp_path.iterdir()) == files_before  # no lock, journal or output files
        assert invoke("audit", "verify", trail_copy).exit_code == 0

    def test_a_broken_policy_exits_2_with_the_policy_error(
        self, jsonl_trail: Path, tmp_path: Path
    ) -> None:
        policy = tmp_path / "broken.yaml"
        policy.write_text("extends: default\nsignals:\n  stress: {offer: banana}\n")
        result = invoke("replay", jsonl_trail, "--policy", policy)
        assert result.exit_code == 2
        assert "broken.yaml is invalid" in result.stderr
        assert "signals.stress.offer" in result.stderr
        assert result.stdout == ""


@pytest.mark.parametrize("name", ["trail.jsonl", "trail.db"])
def test_secrets_never_reach_the_trail_files(tmp_path: Path, name: str) -> None:
    trail = record_trail(tmp_path, name)
    # Every file the sink left behind (an SQLite WAL or journal too, if any).
    data = b"".join(path.read_bytes() for path in tmp_path.glob(f"{name}*"))
    assert b"I lost my phone" in data  # the text is kept, redacted...
    assert SECRET.encode() not in data  # ...without the code
    assert EMAIL.encode() not in data
    assert invoke("audit", "verify", trail).exit_code == 0
