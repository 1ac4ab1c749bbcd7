"""Read policies from YAML, TOML or JSON files, dicts, or the bundled default.

A policy may start with ``extends: default`` (the bundled policy) or ``extends: base.yaml`` (a
path, relative to the extending file): its fields are laid over the base's, mappings merged key
by key, everything else replaced. The result is validated as a whole.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rapidfuzz import process

from escalate.exceptions import PolicyError
from escalate.policy.model import Policy

__all__ = ["PolicySource", "check_signal_names", "default_policy", "load_policy"]

PolicySource = Policy | Mapping[str, Any] | str | Path
"""What ``load_policy`` accepts: a Policy, a dict, or a .yaml/.yml/.toml/.json file path."""

_SUGGESTION_CUTOFF = 70


@cache
def default_policy() -> Policy:
    """The bundled default policy (``policy/default.yaml``)."""
    text = resources.files("escalate.policy").joinpath("default.yaml").read_text(encoding="utf-8")
    return _validate(yaml.safe_load(text), "<bundled default.yaml>")


def load_policy(source: PolicySource | None = None) -> Policy:
    """Load and validate a policy; ``None`` gives the bundled default.

    Raises:
        PolicyError: the file cannot be read or parsed, or the policy is invalid. The message
            names the source and, for each problem, the field path and what was expected.
    """
    if source is None:
        return default_policy()
    if isinstance(source, Policy):
        # Re-checked: a Policy built with model_construct or model_copy(update=...) skipped it.
        return _validate(source.model_dump(), f"<Policy {source.name} {source.version}>")
    if isinstance(source, Mapping):
        return _validate(_extended(source, "<dict>", Path.cwd(), ()), "<dict>")
    path = Path(source)
    return _validate(_extended(_read(path), str(path), path.parent, (path.resolve(),)), str(path))


def _extended(data: Any, source: str, folder: Path, chain: tuple[Path, ...]) -> Any:
    """``data`` laid over the policy it ``extends`` (recursively), as plain data."""
    if not isinstance(data, Mapping) or "extends" not in data:
        return data
    own = {key: value for key, value in data.items() if key != "extends"}
    base_name = data["extends"]
    if not isinstance(base_name, str) or not base_name:
        raise PolicyError(
            source, [f"extends: expected 'default' or a file path, got {base_name!r}"]
        )
    if base_name == "default":
        base: Any = default_policy().model_dump(mode="json", exclude_defaults=True)
    else:
        base_path = (folder / base_name).resolve()
        if base_path in chain:
            cycle = " -> ".join(str(p) for p in (*chain, base_path))
            raise PolicyError(source, [f"extends: a policy cannot extend itself ({cycle})"])
        base = _extended(_read(base_path), str(base_path), base_path.parent, (*chain, base_path))
    return _merged(base, own)


def _merged(base: Any, over: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merged(base[key], value) if key in base else value
        return merged
    return over


def check_signal_names(policy: Policy, available: Iterable[str], source: str = "policy") -> None:
    """Raise ``PolicyError`` if the policy names a signal no detector produces."""
    known = sorted(available)
    problems = []
    for name in policy.signals:
        if name not in known:
            hint = ""
            best = process.extractOne(name, known, score_cutoff=_SUGGESTION_CUTOFF)
            if best is not None:
                hint = f"; did you mean {best[0]!r}?"
            problems.append(
                f"signals.{name}: unknown signal {name!r}{hint} (known: {', '.join(known)})"
            )
    if problems:
        raise PolicyError(f"{source} ({policy.name} {policy.version})", problems)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from exc
    suffix = path.suffix.lower()
    try:
        if suffix in {".yaml", ".yml"}:
            return yaml.safe_load(text)
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix == ".json":
            return json.loads(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise PolicyError(str(path), [f"not valid {suffix[1:].upper()}: {exc}"]) from exc
    raise PolicyError(str(path), [f"unknown file type {suffix!r}: use .yaml, .yml, .toml or .json"])


def _validate(data: Any, source: str) -> Policy:
    if not isinstance(data, Mapping):
        raise PolicyError(
            source, [f"expected a mapping of policy fields, got {type(data).__name__}"]
        )
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(source, [_describe(error) for error in exc.errors()]) from exc


def _describe(error: Mapping[str, Any]) -> str:
    path = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{path}: unknown field"
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    if error["type"] != "missing" and not isinstance(given, Mapping):
        message += f" (got {given!r})"
    return f"{path}: {message}"
