"""Read policies from YAML, TOML or JSON files, dicts, or the bundled default.

A policy may start with ``extends: default`` (the bundled policy) or ``extends: base.yaml`` (a
path, relative to the extending file): its fields are laid over the base's, mappings merged key
by key, ``rules`` merged by ``id`` (a rule with a base rule's id replaces that rule's fields),
everything else replaced. The result is validated as a whole, and every problem is reported
with the file, line and column that wrote it.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
import tomllib
from collections.abc import Collection, Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from escalate.exceptions import PolicyError, PolicyProblem
from escalate.policy._conditions import CONDITION_SUBJECTS, EvidenceCount
from escalate.policy._hours import Calendar
from escalate.policy._locate import (
    SourceMap,
    parse_toml_positions,
    too_long_number,
    yaml_problem,
    yaml_with_positions,
)
from escalate.policy._model import CooldownPolicy, OptOutPolicy, Policy, SignalPolicy
from escalate.policy._problems import problem_at, problem_from_pydantic
from escalate.policy._rules import Fallback, Route, Rule
from escalate.policy._suggest import did_you_mean

__all__ = ["PolicySource", "default_policy", "load_policy", "policy_data"]

PolicySource = Policy | Mapping[str, Any] | str | Path
"""What ``load_policy`` accepts: a Policy, a dict, or a .yaml/.yml/.toml/.json file path."""

_MERGED_BY_ID = "rules"
MAX_POLICY_BYTES = 1024 * 1024
"""A policy is a few kilobytes; a larger file is refused before it is read."""
MAX_NESTING = 64
"""The bundled policy nests 7 levels; far deeper is a broken or hostile file."""


@cache
def default_policy() -> Policy:
    """The bundled default policy (``policy/default.yaml``)."""
    text = resources.files("escalate.policy").joinpath("default.yaml").read_text(encoding="utf-8")
    return _validated(yaml.safe_load(text), "<bundled default.yaml>", SourceMap())


def load_policy(
    source: PolicySource | None = None,
    *,
    signals: Iterable[str] | None = None,
    evidence_kinds: Collection[str] | None = None,
) -> Policy:
    """Load and validate a policy; ``None`` gives the bundled default.

    Args:
        source: a ``Policy``, a dict, or a policy file path.
        signals: the signal names the detectors produce; every signal the policy names must be
            one of them (the ``Escalator`` passes its detectors' names).
        evidence_kinds: the evidence kinds the detectors can report; when given, ``evidence``
            conditions must name one of them.

    Raises:
        PolicyError: the file cannot be read or parsed, or the policy is invalid. Each problem
            names the field path, what was expected and, for files, the line and column.
    """
    if source is None:
        policy = default_policy()
        _check_names(
            policy,
            "<bundled default.yaml>",
            {},
            SourceMap(),
            signals=signals,
            evidence_kinds=evidence_kinds,
        )
        return policy
    data, label, positions = policy_data(source)
    return _validated(data, label, positions, signals, evidence_kinds)


def policy_data(source: PolicySource | None) -> tuple[Any, str, SourceMap]:
    """The policy's plain data after ``extends``, a label for messages, and its positions."""
    positions = SourceMap()
    if source is None:
        return _as_data(default_policy()), "<bundled default.yaml>", positions
    if isinstance(source, Policy):
        # Re-checked: a Policy built with model_construct or model_copy(update=...) skipped it.
        return _as_data(source), f"<Policy {source.name} {source.version}>", positions
    if isinstance(source, Mapping):
        return _extended(source, "<dict>", Path.cwd(), (), positions), "<dict>", positions
    path = Path(source)
    data = _read(path, positions)
    return (
        _extended(data, str(path), path.parent, (path.resolve(),), positions),
        str(path),
        positions,
    )


def _as_data(policy: Policy) -> dict[str, Any]:
    return policy.model_dump(mode="json", by_alias=True)


def _extended(
    data: Any, source: str, folder: Path, chain: tuple[Path, ...], positions: SourceMap
) -> Any:
    """``data`` laid over the policy it ``extends`` (recursively), as plain data."""
    if not isinstance(data, Mapping) or "extends" not in data:
        return data
    own = {key: value for key, value in data.items() if key != "extends"}
    for key in own:
        positions.copy_entry(own, key, data, key)
    base_name = data["extends"]
    if not isinstance(base_name, str) or not base_name:
        raise PolicyError(
            source,
            [problem_at(positions, data, ("extends",), "expected 'default' or a file path")],
        )
    if base_name == "default":
        base: Any = default_policy().model_dump(mode="json", by_alias=True, exclude_defaults=True)
    else:
        base_path = (folder / base_name).resolve()
        if base_path in chain:
            cycle = " -> ".join(str(p) for p in (*chain, base_path))
            raise PolicyError(
                source,
                [
                    problem_at(
                        positions, data, ("extends",), f"a policy cannot extend itself ({cycle})"
                    )
                ],
            )
        base = _extended(
            _read(base_path, positions),
            str(base_path),
            base_path.parent,
            (*chain, base_path),
            positions,
        )
    return _merged(base, own, positions, top=True)


def _merged(base: Any, over: Any, positions: SourceMap, *, top: bool = False) -> Any:
    if not (isinstance(base, Mapping) and isinstance(over, Mapping)):
        return over
    merged = dict(base)
    for key in base:
        positions.copy_entry(merged, key, base, key)
    for key, value in over.items():
        if key not in base:
            merged[key] = value
        elif top and key == _MERGED_BY_ID:
            merged[key] = _merged_by_id(base[key], value, positions)
        else:
            merged[key] = _merged(base[key], value, positions)
        positions.copy_entry(merged, key, over, key)
    return merged


def _merged_by_id(base: Any, over: Any, positions: SourceMap) -> Any:
    """Rules: an over rule with a base rule's id replaces that rule's fields; others append."""
    if not (isinstance(base, list) and isinstance(over, list)):
        return over
    merged = list(base)
    for position in range(len(base)):
        positions.copy_entry(merged, position, base, position)
    where = {item.get("id"): index for index, item in enumerate(base) if isinstance(item, Mapping)}
    for over_index, item in enumerate(over):
        rule_id = item.get("id") if isinstance(item, Mapping) else None
        index = where.get(rule_id) if rule_id is not None else None
        if index is None:
            merged.append(item)
            positions.copy_entry(merged, len(merged) - 1, over, over_index)
            continue
        replaced = {**merged[index], **item}
        for key in merged[index]:
            positions.copy_entry(replaced, key, merged[index], key)
        for key in item:
            positions.copy_entry(replaced, key, item, key)
        merged[index] = replaced
        positions.copy_entry(merged, index, over, over_index)
    return merged


def _read(path: Path, positions: SourceMap) -> Any:
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".toml", ".json"}:
        raise PolicyError(
            str(path), [f"unknown file type {suffix!r}: use .yaml, .yml, .toml or .json"]
        )
    try:
        data = _parse(text, suffix, str(path), positions)
    except RecursionError:  # the parsers recurse once per level of nesting
        data = None
    if data is None or _too_deep(data):
        raise PolicyError(str(path), [f"nested deeper than {MAX_NESTING} levels"]) from None
    return data


def _parse(text: str, suffix: str, file: str, positions: SourceMap) -> Any:
    if suffix in {".yaml", ".yml"}:
        return _read_yaml(text, file, positions)
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(file, [_toml_problem(exc, file)]) from exc
        except ValueError:  # an integer longer than Python converts
            raise PolicyError(file, [f"not valid TOML: {too_long_number()}"]) from None
        positions.update(parse_toml_positions(text, data, file))
        return data
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        problem = PolicyProblem(f"not valid JSON: {exc.msg}", "", file, exc.lineno, exc.colno)
        raise PolicyError(file, [problem]) from exc
    except ValueError as exc:  # a duplicate key, or an integer too long to convert
        what = str(exc) if isinstance(exc, _DuplicateKeyError) else too_long_number()
        raise PolicyError(file, [f"not valid JSON: {what}"]) from None
    try:  # JSON is (nearly always) YAML: borrow the YAML parser's positions
        same, found = yaml_with_positions(text, file)
    except (yaml.YAMLError, ValueError):
        return data
    if same != data:
        return data
    positions.update(found)
    return same


class _DuplicateKeyError(ValueError):
    pass


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKeyError(f"duplicate key {key!r}")
        data[key] = value
    return data


def _read_text(path: Path) -> str:
    """The file's text: a regular file of at most ``MAX_POLICY_BYTES``, in UTF-8.

    Checked on the open file before reading, so ``/dev/zero`` is not read until memory runs out
    and a FIFO does not block (it is opened without waiting for a writer).
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        # Not an invalid policy: a wrong path (relative ones are read from the working folder).
        missing = "no such file" if path.is_absolute() else f"no such file in {Path.cwd()}"
        raise PolicyError(str(path), [missing], found=False) from exc
    except OSError as exc:
        raise PolicyError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from exc
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise PolicyError(str(path), [f"not a regular file ({_file_kind(mode)})"])
    with os.fdopen(descriptor, "rb") as file:
        data = file.read(MAX_POLICY_BYTES + 1)  # bounded, even for a file that grows
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(
            str(path), [f"larger than {MAX_POLICY_BYTES // 1024} KiB: not a policy file"]
        )
    return _decoded(data, str(path))


def _file_kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a directory",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a file")


_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def _decoded(data: bytes, file: str) -> str:
    """UTF-8 text (a UTF-8 byte order mark is dropped); other encodings are named, not guessed."""
    for bom, name in _BOMS.items():  # UTF-32's LE mark starts with UTF-16's: it comes first
        if data.startswith(bom):
            raise PolicyError(file, [f"the file is {name}: save it as UTF-8"])
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        problem = PolicyProblem(
            f"not UTF-8 (byte 0x{data[exc.start]:02x}): save the file as UTF-8", "", file, line,
            column,
        )  # fmt: skip
        raise PolicyError(file, [problem]) from None


def _too_deep(data: Any) -> bool:
    """Whether ``data`` nests lists and mappings deeper than ``MAX_NESTING`` (no recursion)."""
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            return True
        if isinstance(item, Mapping):
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)
    return False


def _read_yaml(text: str, file: str, positions: SourceMap) -> Any:
    try:
        data, found = yaml_with_positions(text, file)
    except yaml.YAMLError as exc:
        raise PolicyError(file, [yaml_problem(exc, file)]) from exc
    positions.update(found)
    return data


def _toml_problem(exc: tomllib.TOMLDecodeError, file: str) -> PolicyProblem:
    found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
    if found is None:
        return PolicyProblem(f"not valid TOML: {message}", "", file)
    return PolicyProblem(
        f"not valid TOML: {message}", "", file, int(found.group(1)), int(found.group(2))
    )


def _validated(
    data: Any,
    source: str,
    positions: SourceMap,
    signals: Iterable[str] | None = None,
    evidence_kinds: Collection[str] | None = None,
) -> Policy:
    if not isinstance(data, Mapping):
        raise PolicyError(
            source, [f"expected a mapping of policy fields, got {type(data).__name__}"]
        )
    try:
        policy = Policy.model_validate(data, context={"references_checked_by_caller": True})
    except ValidationError as exc:
        misspelt = _unknown_signal_entries(data, signals, positions)
        # A misspelt signal first: its entry's own errors (a missing 'reason') are noise.
        problems = [problem for _, problem in misspelt] + [
            problem_from_pydantic(error, data, positions, _field_names())
            for error in exc.errors()
            if tuple(error["loc"][:2]) not in {path for path, _ in misspelt}
        ]
        raise PolicyError(source, problems, hint=_partial_policy_hint(data, exc)) from None
    problems = [
        problem_at(positions, data, reference.path, reference.message)
        for reference in policy.reference_problems()
    ]
    if problems:
        raise PolicyError(source, problems)
    _check_names(policy, source, data, positions, signals=signals, evidence_kinds=evidence_kinds)
    return policy


def _unknown_signal_entries(
    data: Mapping[str, Any], signals: Iterable[str] | None, positions: SourceMap
) -> list[tuple[tuple[str, str], PolicyProblem]]:
    """The ``signals`` entries that name no detector's signal, read from the raw data."""
    entries = data.get("signals")
    if signals is None or not isinstance(entries, Mapping):
        return []
    known = sorted(signals)
    return [
        (
            ("signals", name),
            problem_at(
                positions,
                data,
                ("signals", name),
                f"unknown signal {name!r}{did_you_mean(name, known)} (known: {', '.join(known)})",
                key=True,
            ),
        )
        for name in entries
        if isinstance(name, str) and name not in known
    ]


def _partial_policy_hint(data: Mapping[str, Any], exc: ValidationError) -> str | None:
    """Required fields missing from a policy that extends none: it meant to change a few values."""
    if "extends" in data or not any(error["type"] == "missing" for error in exc.errors()):
        return None
    return (
        "to change only some values of the bundled policy, start with 'extends: default' "
        "(or extend another policy file) and give only what differs"
    )


def _check_names(
    policy: Policy,
    source: str,
    data: Any,
    positions: SourceMap,
    *,
    signals: Iterable[str] | None,
    evidence_kinds: Collection[str] | None,
) -> None:
    problems = []
    if signals is not None:
        problems.extend(_signal_problems(policy, sorted(signals), data, positions))
    if evidence_kinds is not None:
        problems.extend(_evidence_problems(policy, evidence_kinds, data, positions))
    if problems:
        raise PolicyError(source, problems)


def _signal_problems(
    policy: Policy, known: list[str], data: Any, positions: SourceMap
) -> list[PolicyProblem]:
    used: list[tuple[tuple[str | int, ...], str]] = [
        (("signals", name), name) for name in policy.signals
    ]
    used.extend(policy.condition_signals())
    return [
        problem_at(
            positions,
            data,
            path,
            f"unknown signal {name!r}{did_you_mean(name, known)} (known: {', '.join(known)})",
            key=path[0] == "signals",
        )
        for path, name in used
        if name not in known
    ]


def _evidence_problems(
    policy: Policy, known: Collection[str], data: Any, positions: SourceMap
) -> list[PolicyProblem]:
    return [
        problem_at(
            positions,
            data,
            (*path, "evidence"),
            f"unknown evidence kind {condition.evidence!r}"
            f"{did_you_mean(condition.evidence, known)} (`escalate policy kinds` lists them)",
        )
        for path, condition in policy.rule_conditions()
        if isinstance(condition, EvidenceCount) and condition.evidence not in known
    ]


@cache
def _field_names() -> tuple[str, ...]:
    """Every field name a policy file can use (for "did you mean" on unknown fields)."""
    models: list[type[BaseModel]] = [
        Policy,
        SignalPolicy,
        CooldownPolicy,
        OptOutPolicy,
        Rule,
        Route,
        Fallback,
        Calendar,
    ]
    models.extend(CONDITION_SUBJECTS.values())
    names = {field.alias or name for model in models for name, field in model.model_fields.items()}
    return tuple(sorted(names))
