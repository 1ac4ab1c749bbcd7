"""Where a policy file's values were written: YAML and TOML positions, and dotted paths."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

# Internals, tested directly: where each value of a file was written.
from escalate.policy._locate import (
    Location,
    SourceMap,
    dotted_path,
    parse_toml_positions,
    yaml_with_positions,
)

BLOCK = """\
name: shop
rules:
  - name: first
    when:
      all:
        - signal: stress
          above: 0.5
  - name: second
    when:
      all:
        - signal: loop
"""


def text_at(text: str, where: Location | None) -> str:
    """The rest of the line from ``where``: what the reader sees at that position."""
    assert where is not None
    return text.splitlines()[where.line - 1][where.column - 1 :]


class TestDottedPath:
    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            (("rules", 2, "when"), "rules[2].when"),
            (("rules", 0, "when", "all", 1, "signal"), "rules[0].when.all[1].signal"),
            (("name",), "name"),
            ((0, "name"), "[0].name"),
            (("matrix", 0, 1), "matrix[0][1]"),
            ((), "(top level)"),
        ],
    )
    def test_reads_like_python(self, path: tuple[str | int, ...], expected: str) -> None:
        assert dotted_path(path) == expected


class TestLocation:
    def test_prints_as_file_line_column(self) -> None:
        assert str(Location("policy.yaml", 12, 5)) == "policy.yaml:12:5"

    def test_unpacks_as_a_tuple(self) -> None:
        file, line, column = Location("policy.yaml", 12, 5)
        assert (file, line, column) == ("policy.yaml", 12, 5)


class TestYamlBlockStyle:
    def test_parses_the_same_data_as_safe_load(self) -> None:
        data, _ = yaml_with_positions(BLOCK, "policy.yaml")
        assert data == yaml.safe_load(BLOCK)

    def test_a_deep_value(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        where = positions.locate(data, ("rules", 1, "when", "all", 0, "signal"))
        assert where == Location("policy.yaml", 11, 19)
        assert text_at(BLOCK, where) == "loop"

    def test_the_same_path_in_another_list_item(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        where = positions.locate(data, ("rules", 0, "when", "all", 0, "signal"))
        assert where is not None
        assert where.line == 6
        assert text_at(BLOCK, where) == "stress"

    def test_key_true_gives_the_keys_own_position(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        where = positions.locate(data, ("rules", 1, "when", "all", 0, "signal"), key=True)
        assert where == Location("policy.yaml", 11, 11)
        assert text_at(BLOCK, where) == "signal: loop"

    def test_a_top_level_scalar(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        assert positions.locate(data, ("name",)) == Location("policy.yaml", 1, 7)
        assert positions.locate(data, ("name",), key=True) == Location("policy.yaml", 1, 1)

    def test_a_list_item_starts_at_its_content(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        assert positions.locate(data, ("rules", 1)) == Location("policy.yaml", 8, 5)
        assert text_at(BLOCK, positions.locate(data, ("rules", 1))) == "name: second"

    def test_a_nested_block_starts_on_its_first_line(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        assert positions.locate(data, ("rules",)) == Location("policy.yaml", 3, 3)
        assert positions.locate(data, ("rules", 0, "when")) == Location("policy.yaml", 5, 7)

    def test_a_path_past_a_leaf_gives_the_leaf(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        deeper = ("rules", 1, "when", "all", 0, "signal", "name", 3)
        assert positions.locate(data, deeper) == Location("policy.yaml", 11, 19)

    def test_an_unknown_key_gives_its_parent(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        where = positions.locate(data, ("rules", 0, "when", "any", 0))
        assert where == positions.locate(data, ("rules", 0, "when"))

    def test_an_index_past_the_end_gives_the_list(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        assert positions.locate(data, ("rules", 7, "name")) == Location("policy.yaml", 3, 3)

    def test_nothing_recorded_gives_none(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "policy.yaml")
        assert positions.locate(data, ()) is None
        assert positions.locate(data, ("version",)) is None

    def test_positions_are_per_document(self) -> None:
        data, _ = yaml_with_positions(BLOCK, "a.yaml")
        _, other = yaml_with_positions(BLOCK, "b.yaml")
        assert other.locate(data, ("name",)) is None


class TestYamlFlowStyle:
    TEXT = "rules: [{name: a, when: {all: [{signal: stress}, {signal: loop}]}}]\n"

    def test_values_on_one_line(self) -> None:
        data, positions = yaml_with_positions(self.TEXT, "flow.yaml")
        where = positions.locate(data, ("rules", 0, "when", "all", 1, "signal"))
        assert where is not None
        assert where.line == 1
        assert text_at(self.TEXT, where).startswith("loop}")

    def test_keys_on_one_line(self) -> None:
        data, positions = yaml_with_positions(self.TEXT, "flow.yaml")
        where = positions.locate(data, ("rules", 0, "when"), key=True)
        assert text_at(self.TEXT, where).startswith("when: {all:")

    def test_a_flow_mapping_starts_at_its_brace(self) -> None:
        data, positions = yaml_with_positions(self.TEXT, "flow.yaml")
        assert text_at(self.TEXT, positions.locate(data, ("rules", 0))).startswith("{name: a")
        assert text_at(self.TEXT, positions.locate(data, ("rules",))).startswith("[{name")

    def test_json_is_yaml(self) -> None:
        text = '{\n  "name": "shop",\n  "weights": [1, 2]\n}\n'
        data, positions = yaml_with_positions(text, "policy.json")
        assert data == {"name": "shop", "weights": [1, 2]}
        assert positions.locate(data, ("weights", 1)) == Location("policy.json", 3, 18)
        assert positions.locate(data, ("name",), key=True) == Location("policy.json", 2, 3)


class TestYamlLists:
    def test_a_top_level_list(self) -> None:
        text = "- first\n- second\n"
        data, positions = yaml_with_positions(text, "list.yaml")
        assert data == ["first", "second"]
        assert positions.locate(data, (1,)) == Location("list.yaml", 2, 3)

    def test_a_list_items_key_is_the_item(self) -> None:
        text = "- first\n- second\n"
        data, positions = yaml_with_positions(text, "list.yaml")
        assert positions.locate(data, (1,), key=True) == positions.locate(data, (1,))

    def test_nested_lists_in_both_styles(self) -> None:
        text = "matrix:\n  - [1, 2]\n  - - 3\n    - 4\n"
        data, positions = yaml_with_positions(text, "m.yaml")
        assert data == {"matrix": [[1, 2], [3, 4]]}
        assert positions.locate(data, ("matrix", 0, 1)) == Location("m.yaml", 2, 9)
        assert positions.locate(data, ("matrix", 1, 0)) == Location("m.yaml", 3, 7)
        assert positions.locate(data, ("matrix", 1, 1)) == Location("m.yaml", 4, 7)

    def test_an_empty_list_is_located_but_has_no_items(self) -> None:
        text = "rules: []\n"
        data, positions = yaml_with_positions(text, "e.yaml")
        assert positions.locate(data, ("rules", 0)) == Location("e.yaml", 1, 8)


class TestYamlOddities:
    def test_an_empty_document_is_none(self) -> None:
        data, positions = yaml_with_positions("", "empty.yaml")
        assert data is None
        assert positions.locate(data, ("name",)) is None

    def test_comments_do_not_shift_positions(self) -> None:
        text = "# a policy\nname: shop  # the shop\n\n# rules follow\nversion: '3'\n"
        data, positions = yaml_with_positions(text, "c.yaml")
        assert positions.locate(data, ("version",)) == Location("c.yaml", 5, 10)

    def test_merged_keys_point_where_they_were_written(self) -> None:
        text = "base: &base {x: 1, z: 3}\nchild:\n  <<: *base\n  y: 2\n  z: 4\n"
        data, positions = yaml_with_positions(text, "m.yaml")
        assert data["child"] == {"x": 1, "y": 2, "z": 4}
        assert positions.locate(data, ("child", "x")) == Location("m.yaml", 1, 17)
        assert positions.locate(data, ("child", "z")) == Location("m.yaml", 5, 6)

    def test_integer_keys_are_located(self) -> None:
        text = "codes:\n  404: missing\n  500: broken\n"
        data, positions = yaml_with_positions(text, "k.yaml")
        assert positions.locate(data, ("codes", 500)) == Location("k.yaml", 3, 8)

    def test_unsafe_tags_are_refused(self) -> None:
        with pytest.raises(yaml.constructor.ConstructorError):
            yaml_with_positions("x: !!python/object/apply:os.system [echo]\n", "bad.yaml")


class TestSourceMap:
    def test_copy_entry_moves_a_position_to_a_merged_container(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "base.yaml")
        merged = {"title": data["name"]}
        positions.copy_entry(merged, "title", data, "name")
        assert positions.locate(merged, ("title",)) == Location("base.yaml", 1, 7)

    def test_copy_entry_of_an_unknown_key_records_nothing(self) -> None:
        data, positions = yaml_with_positions(BLOCK, "base.yaml")
        merged = {"title": "x"}
        positions.copy_entry(merged, "title", data, "missing")
        assert positions.locate(merged, ("title",)) is None

    def test_update_takes_in_another_files_positions(self) -> None:
        base, positions = yaml_with_positions("name: base\n", "base.yaml")
        child, child_positions = yaml_with_positions("\nversion: '2'\n", "child.yaml")
        positions.update(child_positions)
        assert positions.locate(base, ("name",)) == Location("base.yaml", 1, 7)
        assert positions.locate(child, ("version",)) == Location("child.yaml", 2, 10)

    def test_record_by_hand(self) -> None:
        positions = SourceMap()
        data: dict[str, Any] = {"a": [0, 1]}
        positions.record(data, "a", Location("f", 1, 1), Location("f", 1, 4))
        assert positions.locate(data, ("a",)) == Location("f", 1, 4)
        assert positions.locate(data, ("a",), key=True) == Location("f", 1, 1)
        assert positions.locate(data, ("a", 1)) == Location("f", 1, 4)


TOML = """\
name = "shop"
version = "3"

[signals.stress]
reason = "emotional_stress"
  handoff = 0.8

[[rules]]
name = "first"

[rules.when]
signal = "stress"

[[rules]]
name = "second"

[rules.when]  # the second rule's condition
signal = "loop"
"quoted key" = 1
limits.max_turns = 5
route = { team = "billing", hours = "support" }
"""


def toml_at(line: int, column: int) -> Location:
    return Location("policy.toml", line, column)


def toml(text: str = TOML) -> tuple[dict[str, Any], SourceMap]:
    data = tomllib.loads(text)
    return data, parse_toml_positions(text, data, "policy.toml")


class TestToml:
    def test_top_level_keys(self) -> None:
        data, positions = toml()
        assert positions.locate(data, ("version",)) == toml_at(2, 1)

    def test_keys_under_a_sub_table_header(self) -> None:
        data, positions = toml()
        assert positions.locate(data, ("signals", "stress", "reason")) == toml_at(5, 1)

    def test_an_indented_key_starts_at_its_first_character(self) -> None:
        data, positions = toml()
        assert positions.locate(data, ("signals", "stress", "handoff")) == toml_at(6, 3)

    def test_a_sub_table_is_located_at_its_header(self) -> None:
        data, positions = toml()
        assert positions.locate(data, ("signals", "stress")) == toml_at(4, 1)

    def test_an_implicit_parent_table_is_not_located(self) -> None:
        data, positions = toml()
        assert positions.locate(data, ("signals",)) is None

    def test_each_array_element_is_located_at_its_header(self) -> None:
        data, positions = toml()
        assert positions.locate(data, ("rules", 0)) == toml_at(8, 1)
        assert positions.locate(data, ("rules", 1)) == toml_at(14, 1)
        assert positions.locate(data, ("rules", 1, "name")) == toml_at(15, 1)

    def test_a_sub_table_belongs_to_the_latest_array_element(self) -> None:
        data, positions = toml()
        assert data["rules"][1]["when"]["signal"] == "loop"
        assert positions.locate(data, ("rules", 0, "when")) == toml_at(11, 1)
        assert positions.locate(data, ("rules", 1, "when")) == toml_at(17, 1)
        assert positions.locate(data, ("rules", 0, "when", "signal")) == toml_at(12, 1)
        assert positions.locate(data, ("rules", 1, "when", "signal")) == toml_at(18, 1)

    def test_quoted_keys(self) -> None:
        data, positions = toml()
        where = positions.locate(data, ("rules", 1, "when", "quoted key"))
        assert where == toml_at(19, 1)

    def test_dotted_keys(self) -> None:
        data, positions = toml()
        where = positions.locate(data, ("rules", 1, "when", "limits", "max_turns"))
        assert where == toml_at(20, 1)

    def test_a_dotted_keys_parent_falls_back_to_the_table(self) -> None:
        data, positions = toml()
        where = positions.locate(data, ("rules", 1, "when", "limits"))
        assert where == toml_at(17, 1)

    def test_inline_table_values_are_located_at_their_key(self) -> None:
        data, positions = toml()
        assert positions.locate(data, ("rules", 1, "when", "route", "hours")) == toml_at(21, 1)

    def test_key_true_is_the_same_place(self) -> None:
        data, positions = toml()
        path = ("rules", 1, "when", "signal")
        assert positions.locate(data, path, key=True) == positions.locate(data, path)

    def test_an_unknown_key_gives_its_table(self) -> None:
        data, positions = toml()
        where = positions.locate(data, ("rules", 0, "when", "any"), key=True)
        assert where == toml_at(11, 1)

    def test_nested_arrays_of_tables_count_per_parent_element(self) -> None:
        text = """\
[[rules]]
name = "a"
[[rules.actions]]
do = "offer"
[[rules.actions]]
do = "handoff"
[[rules]]
name = "b"
[[rules.actions]]
do = "tag"
"""
        data, positions = toml(text)
        assert data["rules"][1]["actions"][0]["do"] == "tag"
        assert positions.locate(data, ("rules", 0, "actions", 1, "do")) == toml_at(6, 1)
        assert positions.locate(data, ("rules", 1, "actions", 0)) == toml_at(9, 1)
        assert positions.locate(data, ("rules", 1, "actions", 0, "do")) == toml_at(10, 1)

    def test_quoted_names_in_headers_and_keys_keep_their_dots(self) -> None:
        text = '[hours."eu.support"]\ntimezone = "Europe/Berlin"\nsite."example.com" = 1\n'
        data, positions = toml(text)
        assert data["hours"]["eu.support"]["site"]["example.com"] == 1
        assert positions.locate(data, ("hours", "eu.support")) == toml_at(1, 1)
        assert positions.locate(data, ("hours", "eu.support", "site", "example.com")) == toml_at(
            3, 1
        )

    def test_an_indented_header(self) -> None:
        data, positions = toml("  [ signals . loop ]\nhandoff = 0.9\n")
        assert positions.locate(data, ("signals", "loop")) == toml_at(1, 3)
        assert positions.locate(data, ("signals", "loop", "handoff")) == toml_at(2, 1)


# Keys a YAML dumper writes bare; leaves that stay on their key's line.
keys = st.text(alphabet="abxyz_", min_size=1, max_size=4)
leaves = st.integers(-1000, 1000) | st.text(alphabet="ab xyz:#", max_size=10)
trees = st.dictionaries(
    keys,
    st.recursive(
        leaves, lambda inner: st.dictionaries(keys, inner, min_size=1, max_size=4), max_leaves=25
    ),
    min_size=1,
    max_size=4,
)


def leaf_paths(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(node, dict):
        return [path]
    return [found for key, value in node.items() for found in leaf_paths(value, (*path, key))]


@given(tree=trees)
def test_every_leaf_of_a_dumped_tree_is_located(tree: dict[str, Any]) -> None:
    text = yaml.safe_dump(tree)
    data, positions = yaml_with_positions(text, "tree.yaml")
    assert data == tree
    lines = text.splitlines()
    for path in leaf_paths(tree):
        value_at = positions.locate(data, path)
        key_at = positions.locate(data, path, key=True)
        assert value_at is not None
        assert key_at is not None
        assert path[-1] in lines[value_at.line - 1]
        assert text_at(text, key_at).lstrip("'\"").startswith(path[-1])
        assert value_at.line == key_at.line
        assert value_at.column > key_at.column
