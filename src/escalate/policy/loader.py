"""Read policies from YAML, TOML or JSON files, dicts, or the bundled default."""

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
        return _validate(source, "<dict>")
    path = Path(source)
    return _validate(_read(path), str(path))


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
