"""Read case files, remembering the line of every case and step for failure messages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from escalate.exceptions import CaseFileError, PolicyProblem
from escalate.policy import (
    problem_at,
    problem_from_pydantic,
    yaml_problem,
    yaml_with_positions,
)
from escalate.policy_tests._model import ActionBounds, Case, CaseFile, Expectation, Step

__all__ = ["LoadedCase", "LoadedFile", "load_case_file"]


@dataclass(frozen=True, slots=True)
class LoadedCase:
    """A case with where it was written."""

    case: Case
    file: str
    line: int
    step_lines: tuple[int, ...]
    """The line of each of ``case.turns``."""


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A case file's cases and the policy it names (resolved against the file's folder)."""

    path: Path
    policy: Path | None
    cases: tuple[LoadedCase, ...]


def load_case_file(path: Path | str) -> LoadedFile:
    """Read and validate a case file.

    Raises:
        CaseFileError: the file cannot be read, is not YAML, or breaks the schema; each
            problem names the line, column and field.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CaseFileError(source, [f"cannot read the file: {exc.strerror or exc}"]) from exc
    try:
        data, positions = yaml_with_positions(text, source)
    except yaml.YAMLError as exc:
        raise CaseFileError(source, [yaml_problem(exc, source)]) from exc
    try:
        parsed = CaseFile.model_validate(data)
    except ValidationError as exc:
        names = _field_names()
        raise CaseFileError(
            source, [problem_from_pydantic(error, data, positions, names) for error in exc.errors()]
        ) from None
    cases = []
    for index, case in enumerate(parsed.cases):
        line = _line(problem_at(positions, data, ("cases", index), ""))
        step_lines = tuple(
            _line(problem_at(positions, data, ("cases", index, "turns", step), ""), line)
            for step in range(len(case.turns))
        )
        cases.append(LoadedCase(case, source, line, step_lines))
    policy = None if parsed.policy is None else (path.parent / parsed.policy)
    return LoadedFile(path, policy, tuple(cases))


def _line(problem: PolicyProblem, default: int = 1) -> int:
    return problem.line if problem.line is not None else default


@cache
def _field_names() -> tuple[str, ...]:
    models: list[type[BaseModel]] = [CaseFile, Case, Step, Expectation, ActionBounds]
    return tuple(sorted({name for model in models for name in model.model_fields}))
