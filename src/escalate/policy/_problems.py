"""Problems found in a data file (a policy, a case file), located and with a hint."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from escalate.exceptions import PolicyProblem
from escalate.policy._conditions import CONDITION_SUBJECTS, CONDITION_TAGS
from escalate.policy._locate import Location, SourceMap, dotted_path
from escalate.policy._suggest import did_you_mean

__all__ = ["problem_at", "problem_from_pydantic"]


def problem_at(
    positions: SourceMap,
    data: Any,
    path: tuple[str | int, ...],
    message: str,
    *,
    key: bool = False,
) -> PolicyProblem:
    """A problem at ``path``, located in the file that wrote it when known."""
    location: Location | None = positions.locate(data, path, key=key)
    if location is None:
        return PolicyProblem(message, dotted_path(path))
    return PolicyProblem(message, dotted_path(path), *location)


def problem_from_pydantic(
    error: Mapping[str, Any], data: Any, positions: SourceMap, field_names: Collection[str]
) -> PolicyProblem:
    """A pydantic error as a problem: the file's path (no union tags), line and a hint."""
    path = tuple(part for part in error["loc"] if part not in CONDITION_TAGS)
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        name = str(path[-1])
        return problem_at(
            positions,
            data,
            path,
            f"unknown field{did_you_mean(name, field_names)}",
            key=True,
        )
    if kind == "missing":
        return problem_at(positions, data, path, "required field is missing")
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "condition_subject" and isinstance(given, Mapping):
        keys = ", ".join(repr(key) for key in given) or "none"
        hints = [did_you_mean(str(key), CONDITION_SUBJECTS) for key in given]
        message += f"; got {keys}" + next((hint for hint in hints if hint), "")
    elif kind in {"enum", "literal_error"} and isinstance(given, str):
        options = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        message += f" (got {given!r}){did_you_mean(given, options)}"
    elif not isinstance(given, Mapping | list):
        message += f" (got {given!r})"
    return problem_at(positions, data, path, message)
