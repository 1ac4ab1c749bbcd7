from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest

from escalate import PolicyError, load_policy
from escalate.policy import default_policy
from escalate.policy._loader import MAX_NESTING, MAX_POLICY_BYTES  # internal: the loader's bounds

if TYPE_CHECKING:
    from pathlib import Path

MINIMAL = {
    "name": "shop",
    "version": "3",
    "signals": {"human_request": {"reason": "human_requested", "handoff": 0.8}},
}


def test_no_source_gives_the_bundled_default() -> None:
    policy = load_policy()
    assert policy is default_policy()
    assert policy.name == "default"
    assert set(policy.signals) == {
        "human_request",
        "stress",
        "loop",
        "security_dead_end",
        "sensitive_topic",
        "effort",
        "dissatisfaction",
        "friction",
    }


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (
            ".yaml",
            (
                "name: shop\nversion: '3'\nsignals:\n"
                "  human_request: {reason: human_requested, handoff: 0.8}\n"
            ),
        ),
        (
            ".yml",
            (
                "name: shop\nversion: '3'\nsignals:\n"
                "  human_request: {reason: human_requested, handoff: 0.8}\n"
            ),
        ),
        (
            ".toml",
            (
                'name = "shop"\nversion = "3"\n[signals.human_request]\n'
                'reason = "human_requested"\nhandoff = 0.8\n'
            ),
        ),
        (".json", json.dumps(MINIMAL)),
    ],
)
def test_reads_yaml_toml_and_json(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"policy{suffix}"
    path.write_text(text)
    policy = load_policy(path)
    assert policy == load_policy(MINIMAL)
    assert policy.content_hash == load_policy(MINIMAL).content_hash


def test_the_hash_changes_with_the_content() -> None:
    changed = {
        **MINIMAL,
        "signals": {"human_request": {"reason": "human_requested", "handoff": 0.7}},
    }
    assert load_policy(MINIMAL).content_hash != load_policy(changed).content_hash


def _problems(source: object) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(source)  # type: ignore[arg-type]
    return [str(problem) for problem in caught.value.problems]


def test_unknown_fields_are_named() -> None:
    assert _problems({**MINIMAL, "treshold": 1}) == ["treshold: unknown field"]


def test_bad_values_name_the_path_and_what_was_given() -> None:
    bad = {**MINIMAL, "signals": {"stress": {"reason": "emotional_stress", "offer": 1.5}}}
    (problem,) = _problems(bad)
    assert problem.startswith("signals.stress.offer: Input should be less than or equal to 1")
    assert "(got 1.5)" in problem


def test_offer_above_handoff_is_an_error() -> None:
    bad = {
        **MINIMAL,
        "signals": {"stress": {"reason": "emotional_stress", "offer": 0.9, "handoff": 0.5}},
    }
    assert _problems(bad) == ["signals.stress: 'offer' (0.9) must not be above 'handoff' (0.5)"]


def test_unknown_reason_codes_list_the_valid_ones() -> None:
    bad = {**MINIMAL, "signals": {"stress": {"reason": "angry", "offer": 0.5}}}
    (problem,) = _problems(bad)
    assert "signals.stress.reason" in problem
    assert "emotional_stress" in problem


def test_missing_fields_are_named() -> None:
    assert _problems({"signals": {}}) == [
        "name: required field is missing",
        "version: required field is missing",
    ]


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("- just\n- a list\n")
    assert _problems(path) == ["expected a mapping of policy fields, got list"]


def test_broken_syntax_names_the_file_and_format(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("name = \n")
    with pytest.raises(PolicyError, match=r"p\.toml") as caught:
        load_policy(path)
    (problem,) = caught.value.problems
    assert problem.message.startswith("not valid TOML")
    assert (problem.line, problem.column) == (1, 8)


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    assert _problems(tmp_path / "missing.yaml") == ["no such file"]
    assert _problems(tmp_path) == ["not a regular file (a directory)"]
    odd = tmp_path / "policy.ini"
    odd.write_text("x")
    assert _problems(odd) == ["unknown file type '.ini': use .yaml, .yml, .toml or .json"]


class TestExtends:
    def test_a_policy_extends_the_bundled_default(self) -> None:
        policy = load_policy(
            {
                "extends": "default",
                "name": "mine",
                "signals": {"stress": {"offer": 0.4, "release": 0.3}},
            }
        )
        base = load_policy(None)
        assert (policy.name, policy.version) == ("mine", base.version)
        assert policy.signals["stress"].offer == 0.4
        assert policy.signals["stress"].handoff == base.signals["stress"].handoff
        assert policy.signals["loop"] == base.signals["loop"]
        assert policy.opt_out == base.opt_out
        assert policy.content_hash != base.content_hash

    def test_a_file_extends_another_relative_to_itself(self, tmp_path: Path) -> None:
        (tmp_path / "base").mkdir()
        (tmp_path / "base" / "shop.yaml").write_text(
            "extends: default\nname: shop\nversion: '1'\nfail_safe: handoff\n", encoding="utf-8"
        )
        child = tmp_path / "base" / "night.yaml"
        child.write_text("extends: shop.yaml\nname: night\nmax_text_chars: 900\n", encoding="utf-8")
        policy = load_policy(child)
        assert (policy.name, policy.version, policy.max_text_chars) == ("night", "1", 900)
        assert policy.fail_safe == "handoff"

    def test_a_cycle_is_an_error_not_a_hang(self, tmp_path: Path) -> None:
        (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n", encoding="utf-8")
        (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n", encoding="utf-8")
        with pytest.raises(PolicyError, match="cannot extend itself"):
            load_policy(tmp_path / "a.yaml")

    def test_the_merged_policy_is_validated_as_a_whole(self) -> None:
        with pytest.raises(PolicyError, match=r"signals\.stress: 'release' \(0\.45\)"):
            load_policy({"extends": "default", "signals": {"stress": {"offer": 0.4}}})

    @pytest.mark.parametrize("value", [3, "", None])
    def test_a_bad_extends_says_what_was_expected(self, value: object) -> None:
        with pytest.raises(PolicyError, match="extends: expected 'default' or a file path"):
            load_policy({"extends": value, "name": "x"})

    def test_a_missing_base_names_the_file(self, tmp_path: Path) -> None:
        child = tmp_path / "child.yaml"
        child.write_text("extends: nowhere.yaml\n", encoding="utf-8")
        with pytest.raises(PolicyError, match=r"nowhere\.yaml"):
            load_policy(child)


class TestHostileFiles:
    """Files a CI job validating pull requests may be handed: errors, never a traceback or hang."""

    def test_devices_fifos_and_folders_are_refused_before_reading(self, tmp_path: Path) -> None:
        assert _problems("/dev/zero") == ["not a regular file (a character device)"]
        fifo = tmp_path / "policy.yaml"
        os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
        assert _problems(fifo) == ["not a regular file (a FIFO)"]
        extends = tmp_path / "extends.yaml"
        extends.write_text("extends: /dev/zero\n")
        with pytest.raises(PolicyError) as caught:
            load_policy(extends)
        assert caught.value.source == "/dev/zero"

    def test_an_oversized_file_is_refused(self, tmp_path: Path) -> None:
        big = tmp_path / "big.yaml"
        big.write_text("# " + "x" * MAX_POLICY_BYTES + "\nextends: default\n")
        assert _problems(big) == ["larger than 1024 KiB: not a policy file"]

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
    def test_utf16_and_utf32_are_named(self, tmp_path: Path, encoding: str) -> None:
        policy = tmp_path / "p.yaml"
        policy.write_text("extends: default\n", encoding=encoding)
        name = encoding.upper()
        assert _problems(policy) == [f"the file is {name}: save it as UTF-8"]

    def test_bytes_that_are_not_utf8_are_located(self, tmp_path: Path) -> None:
        policy = tmp_path / "p.yaml"
        policy.write_bytes("extends: default\nname: caf\xe9\n".encode("latin-1"))
        with pytest.raises(PolicyError) as caught:
            load_policy(policy)
        (problem,) = caught.value.problems
        assert problem.message == "not UTF-8 (byte 0xe9): save the file as UTF-8"
        assert (problem.line, problem.column) == (2, 10)

    def test_a_utf8_byte_order_mark_is_fine(self, tmp_path: Path) -> None:
        policy = tmp_path / "p.yaml"
        policy.write_bytes(b"\xef\xbb\xbfextends: default\nname: bom\n")
        assert load_policy(policy).name == "bom"

    @pytest.mark.parametrize(
        ("suffix", "text"),
        [
            (".json", "[" * 50_000 + "]" * 50_000),
            (".yaml", "a: " + "[" * 50_000 + "]" * 50_000),
            (".toml", "a = " + "[" * 50_000 + "]" * 50_000),
            (".yaml", "".join(" " * i + "k:\n" for i in range(200))),
        ],
        ids=["json", "yaml-flow", "toml", "yaml-block"],
    )
    def test_deep_nesting_is_an_error(self, tmp_path: Path, suffix: str, text: str) -> None:
        policy = tmp_path / f"p{suffix}"
        policy.write_text(text)
        assert _problems(policy) == [f"nested deeper than {MAX_NESTING} levels"]

    @pytest.mark.parametrize(
        ("suffix", "text", "where"),
        [
            (".toml", "max_text_chars = {digits}\n", "not valid TOML"),
            (".json", '{{"max_text_chars": {digits}}}', "not valid JSON"),
            (".yaml", "extends: default\nmax_text_chars: {digits}\n", "2:17: not valid YAML"),
        ],
    )
    def test_a_huge_integer_is_an_error(
        self, tmp_path: Path, suffix: str, text: str, where: str
    ) -> None:
        policy = tmp_path / f"p{suffix}"
        policy.write_text(text.format(digits="9" * 5000))
        with pytest.raises(PolicyError) as caught:
            load_policy(policy)
        assert f"{where}: a number longer than 4300 digits" in str(caught.value)

    def test_a_key_written_twice_is_an_error_with_its_line(self, tmp_path: Path) -> None:
        policy = tmp_path / "p.yaml"
        policy.write_text("extends: default\nname: a\nversion: '1'\nname: b\n")
        with pytest.raises(PolicyError) as caught:
            load_policy(policy)
        (problem,) = caught.value.problems
        assert problem.message == "not valid YAML: duplicate key 'name' (first at line 2)"
        assert (problem.line, problem.column) == (4, 1)
        as_json = tmp_path / "p.json"
        as_json.write_text('{"extends": "default", "name": "a", "name": "b"}')
        assert _problems(as_json) == ["not valid JSON: duplicate key 'name'"]

    def test_yaml_merge_keys_may_still_be_overridden(self, tmp_path: Path) -> None:
        policy = tmp_path / "p.yaml"
        policy.write_text(
            "extends: default\nsignals:\n  stress: &s {offer: 0.5, handoff: 0.9}\n"
            "  loop:\n    <<: *s\n    offer: 0.6\n"
        )
        assert load_policy(policy).signals["loop"].offer == 0.6

    @pytest.mark.parametrize(
        ("field", "value"),
        [("signals.stress.offer", "'0.5'"), ("max_text_chars", "'4000'")],
    )
    def test_a_number_written_as_a_string_is_an_error(
        self, tmp_path: Path, field: str, value: str
    ) -> None:
        policy = tmp_path / "p.yaml"
        if field.startswith("signals"):
            policy.write_text(f"extends: default\nsignals:\n  stress:\n    offer: {value}\n")
            line = 4
        else:
            policy.write_text(f"extends: default\nmax_text_chars: {value}\n")
            line = 2
        with pytest.raises(PolicyError) as caught:
            load_policy(policy)
        (problem,) = caught.value.problems
        assert problem.path == field
        assert problem.line == line
        assert "valid" in problem.message

    def test_whole_numbers_still_count_as_thresholds(self, tmp_path: Path) -> None:
        policy = tmp_path / "p.yaml"
        policy.write_text("extends: default\nsignals:\n  stress:\n    handoff: 1\n")
        assert load_policy(policy).signals["stress"].handoff == 1.0
