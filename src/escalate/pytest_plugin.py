"""pytest plugin: run policy test case files (``*.escalate.yaml``) as ordinary tests.

Installing ``escalate`` registers this plugin (entry point ``pytest11``, name ``escalate``).
pytest then collects every file whose name ends in ``.escalate.yaml`` (or ``.escalate.yml``)
in the folders it searches, one test per case, named after the case::

    $ pytest tests/policies -v
    tests/policies/bank.escalate.yaml::asks for a person PASSED
    tests/policies/bank.escalate.yaml::calm question FAILED

A failing case shows where and why instead of a traceback: the file and line of the turn,
each expected and actual value, the decision and the policy's trace of the turn. An invalid
case file is a collection error listing each problem with its line.

The policy the cases run against is, first found:

1. ``--escalate-policy PATH`` on the command line (relative to the current directory);
2. the case file's own ``policy:`` key (relative to the case file);
3. the ini option ``escalate_policy`` (relative to the rootdir), e.g. in ``pyproject.toml``::

       [tool.pytest.ini_options]
       escalate_policy = "policies/support.yaml"

4. the policy bundled with escalate.

Each policy is built into one ``Escalator`` per test session, shared by every case that
uses it; each case runs as a conversation of its own. Disable the plugin with
``-p no:escalate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

# The error tree costs nothing here: ``import escalate`` has loaded it (and pydantic) already.
from escalate.exceptions import CaseFailedError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    # Type-only: pytest annotates repr_failure with these but does not export them.
    from _pytest._code.code import TerminalRepr, TracebackStyle

    from escalate.engine import Escalator
    from escalate.exceptions import CaseFileError, PolicyError
    from escalate.policy_tests import LoadedCase

__all__ = ["CaseFailedError", "EscalateCaseFile", "EscalateCaseItem"]

_SUFFIXES = (".escalate.yaml", ".escalate.yml")
_OPTION = "escalate_policy"
# Policy file (None: the bundled one) -> its engine, for the whole session.
_ESCALATORS = pytest.StashKey["dict[Path | None, Escalator]"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--escalate-policy`` and the ini option ``escalate_policy``."""
    group = parser.getgroup("escalate", "escalate policy test case files (*.escalate.yaml)")
    group.addoption(
        "--escalate-policy",
        dest=_OPTION,
        metavar="PATH",
        default=None,
        help="Run every *.escalate.yaml case against this policy, whatever policy the file names.",
    )
    parser.addini(
        _OPTION,
        type="string",
        default="",
        help="Policy for *.escalate.yaml files that name none (relative to the rootdir).",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> EscalateCaseFile | None:
    """Collect ``*.escalate.yaml`` and ``*.escalate.yml`` files as policy test case files."""
    if file_path.name.endswith(_SUFFIXES):
        return EscalateCaseFile.from_parent(parent, path=file_path)
    return None


class EscalateCaseFile(pytest.File):
    """A policy test case file: one ``EscalateCaseItem`` per case."""

    def collect(self) -> Iterator[EscalateCaseItem]:
        """Read the file and yield its cases; an invalid file is a collection error."""
        import dataclasses  # noqa: PLC0415 - the plugin's module stays import-free for pytest

        from escalate.exceptions import CaseFileError  # noqa: PLC0415 - keep the plugin light
        from escalate.policy_tests import load_case_file  # noqa: PLC0415 - keep the plugin light

        try:
            loaded = load_case_file(self.path)
        except CaseFileError as error:
            # CollectError prints its message alone: the problems, without our traceback.
            raise self.CollectError(_listed(error, self.config)) from None
        policy = _chosen_policy(self.config, loaded.policy)
        shown = _shown_path(str(self.path), self.config)
        for case in loaded.cases:
            yield EscalateCaseItem.from_parent(
                self,
                name=case.case.name,
                loaded=dataclasses.replace(case, file=shown),
                policy=policy,
            )


class EscalateCaseItem(pytest.Item):
    """One case of a case file, run against its policy's shared ``Escalator``."""

    def __init__(self, *, loaded: LoadedCase, policy: Path | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.policy = policy

    def runtest(self) -> None:
        """Run the case; raise ``CaseFailedError`` when an expectation fails."""
        from escalate.policy_tests import run_case  # noqa: PLC0415 - keep the plugin light

        result = run_case(_escalator(self.config, self.policy), self.loaded)
        if not result.passed:
            raise CaseFailedError(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        """The case's failure report, or a bad policy's problems; no traceback for either."""
        from escalate.exceptions import PolicyError  # noqa: PLC0415 - keep the plugin light

        error = excinfo.value
        if isinstance(error, CaseFailedError):
            return error.result.report()
        if isinstance(error, PolicyError):
            return _listed(error, self.config)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        """The case file and the case's line (0-based, as pytest counts), and its name."""
        return self.path, self.loaded.line - 1, self.loaded.case.name


def _chosen_policy(config: pytest.Config, own: Path | None) -> Path | None:
    """The command line's policy, else the file's own, else the ini option's, else None."""
    option: str | None = config.getoption(_OPTION)
    if option:
        return (config.invocation_params.dir / option).resolve()
    if own is not None:
        return own.resolve()
    ini = str(config.getini(_OPTION))
    if ini:
        return (config.rootpath / ini).resolve()
    return None


def _escalator(config: pytest.Config, policy: Path | None) -> Escalator:
    """The session's engine for ``policy``, built on first use (that takes about a second)."""
    from escalate.engine import Escalator  # noqa: PLC0415 - keep the plugin light
    from escalate.events import quiet_logger  # noqa: PLC0415 - keep the plugin light

    escalators = config.stash.setdefault(_ESCALATORS, {})
    if policy not in escalators:
        # A PolicyError propagates to repr_failure; it is not cached, so each case shows it.
        escalators[policy] = Escalator(policy, logger=quiet_logger())
    return escalators[policy]


def _shown_path(file: str, config: pytest.Config) -> str:
    """``file`` relative to where pytest was started when it lies below, as pytest shows paths."""
    from pathlib import Path  # noqa: PLC0415 - the plugin's module stays import-free for pytest

    try:
        return str(Path(file).relative_to(config.invocation_params.dir))
    except ValueError:
        return file


def _listed(error: CaseFileError | PolicyError, config: pytest.Config) -> str:
    """The error's message with its files relative to where pytest was started."""
    import dataclasses  # noqa: PLC0415 - the plugin's module stays import-free for pytest

    problems = [
        problem
        if problem.file is None
        else dataclasses.replace(problem, file=_shown_path(problem.file, config))
        for problem in error.problems
    ]
    from escalate.exceptions import PolicyError  # noqa: PLC0415 - keep the plugin light

    source = _shown_path(error.source, config)
    if isinstance(error, PolicyError):
        return str(PolicyError(source, problems, found=error.found, hint=error.hint))
    return str(type(error)(source, problems))
