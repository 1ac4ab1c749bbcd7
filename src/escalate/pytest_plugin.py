"""pytest plugin: every ``*.escalate.yaml`` policy test case file is collected, one test a case.

Installed with escalate (entry point ``pytest11``); nothing to configure::

    pytest policies/                                  # collects policies/**/*.escalate.yaml
    pytest --escalate-policy policies/bank.yaml       # the policy under test, for every file

Which policy a case file runs against: ``--escalate-policy`` if given, else the file's own
``policy:``, else the ``escalate_policy`` ini option (relative to the rootdir), else the
bundled default. A failing case reports the turn, expected against got and the rule trace,
without a Python traceback.

This module is imported by every pytest run of a project that has escalate installed, so it
imports escalate only when a case file is found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from escalate.engine import Escalator
    from escalate.policy_tests import LoadedCase

_SUFFIXES = (".escalate.yaml", ".escalate.yml")
_escalators: dict[str, Escalator] = {}
"""One engine per policy per session: building one costs about a second."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--escalate-policy`` and the ``escalate_policy`` ini option."""
    group = parser.getgroup("escalate", "escalate policy test cases")
    group.addoption(
        "--escalate-policy",
        dest="escalate_policy",
        default=None,
        help="Policy file every *.escalate.yaml case file runs against.",
    )
    parser.addini(
        "escalate_policy",
        help="Policy file for case files that name none (relative to the rootdir).",
        default="",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect ``*.escalate.yaml`` files."""
    if file_path.name.endswith(_SUFFIXES):
        return CaseFileCollector.from_parent(parent, path=file_path)
    return None


class BrokenPolicyError(Exception):
    """The policy a case file runs against is invalid (reported without a traceback)."""


class CaseExpectationError(Exception):
    """A case's expectations did not hold; ``args[0]`` is the readable report."""


class CaseFileCollector(pytest.File):
    """A case file: one item per case."""

    def collect(self) -> Iterator[pytest.Item]:
        """Load the file and yield its cases."""
        from escalate.exceptions import CaseFileError as InvalidCaseFile  # noqa: PLC0415 - lazy
        from escalate.policy_tests import load_case_file  # noqa: PLC0415

        try:
            loaded = load_case_file(self.path)
        except InvalidCaseFile as error:
            raise self.CollectError(str(error)) from None
        policy = _policy_for(self.config, loaded.policy)
        for case in loaded.cases:
            yield CaseItem.from_parent(self, name=case.case.name, case=case, policy=policy)


class CaseItem(pytest.Item):
    """One case of a case file."""

    def __init__(self, *, case: LoadedCase, policy: Path | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.policy = policy

    def runtest(self) -> None:
        """Run the case against its policy."""
        from escalate.policy_tests import run_case  # noqa: PLC0415 - lazy

        result = run_case(_escalator(self.policy), self.case)
        if not result.passed:
            raise CaseExpectationError(result.report())

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        """The case report, or the policy's problems; a traceback only for anything else."""
        if isinstance(excinfo.value, CaseExpectationError | BrokenPolicyError):
            return str(excinfo.value.args[0])
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the case is written (0-based line, as pytest counts)."""
        return self.path, self.case.line - 1, f"escalate case: {self.name}"


def _policy_for(config: pytest.Config, named_by_file: Path | None) -> Path | None:
    option = config.getoption("escalate_policy")
    if option:
        return Path(option)
    if named_by_file is not None:
        return named_by_file
    ini = str(config.getini("escalate_policy") or "")
    return Path(config.rootpath, ini) if ini else None


def _escalator(policy: Path | None) -> Escalator:
    from escalate.engine import Escalator  # noqa: PLC0415 - lazy
    from escalate.exceptions import PolicyError  # noqa: PLC0415
    from escalate.testing import quiet_logger  # noqa: PLC0415

    key = str(policy.resolve()) if policy is not None else "<default>"
    if key not in _escalators:
        try:
            _escalators[key] = Escalator(policy, logger=quiet_logger())
        except PolicyError as error:
            raise BrokenPolicyError(str(error)) from None
    return _escalators[key]
