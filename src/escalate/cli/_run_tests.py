"""``escalate test``: run policy test case files against a policy."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from escalate.cli._common import events_log, fail, make_escalator
from escalate.cli._help import Console

__all__ = ["run_policy_tests"]

EXIT_FAILED = 1


def run_policy_tests(
    policy: Annotated[Path, typer.Argument(help="The policy under test (.yaml, .toml, .json).")],
    cases: Annotated[
        list[Path], typer.Argument(help="Case files (*.escalate.yaml) to run against it.")
    ],
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", help="Also write the results as JUnit XML.")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print failures and the summary only.")
    ] = False,
) -> None:
    """Run policy test cases: exit 0 if all pass, 1 if any fails, 2 for a bad file."""
    from escalate.exceptions import CaseFileError  # noqa: PLC0415
    from escalate.policy_tests import (  # noqa: PLC0415
        CaseResult,
        load_case_file,
        run_case,
        write_junit_xml,
    )

    started = time.perf_counter()
    loaded_files = []
    for file in cases:
        try:
            loaded_files.append(load_case_file(file))
        except CaseFileError as error:
            fail(str(error))
    console = Console(highlight=False)
    results: list[CaseResult] = []
    with events_log(None) as logger:
        escalator = make_escalator(policy, logger)
        for loaded in loaded_files:
            for case in loaded.cases:
                result = run_case(escalator, case)
                results.append(result)
                if not result.passed:
                    console.print(f"[bold red]FAIL[/] {escape(result.name)}")
                    console.print(escape(result.report()), soft_wrap=True)
                elif not quiet:
                    console.print(f"[green]pass[/] {escape(result.name)}")
    failed = sum(not result.passed for result in results)
    elapsed = time.perf_counter() - started
    colour = "red" if failed else "green"
    console.print(
        f"[bold {colour}]{len(results) - failed} passed, {failed} failed[/]"
        f" ({len(loaded_files)} file(s), policy {escalator.policy.name}"
        f" {escalator.policy.version}) in {elapsed:.2f}s"
    )
    if junit_xml is not None:
        write_junit_xml(results, junit_xml)
    if failed:
        raise typer.Exit(EXIT_FAILED)
