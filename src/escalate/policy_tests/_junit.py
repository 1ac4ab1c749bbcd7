"""JUnit XML for policy test results, the format CI systems read to show test reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from escalate.policy_tests._run import CaseResult

__all__ = ["write_junit_xml"]


def write_junit_xml(results: list[CaseResult], path: Path, *, suite_name: str = "escalate") -> None:
    """Write one ``<testsuite>`` per case file, one ``<testcase>`` per case."""
    by_file: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        by_file[result.loaded.file].append(result)
    root = ET.Element(
        "testsuites",
        name=suite_name,
        tests=str(len(results)),
        failures=str(sum(not result.passed for result in results)),
        time=f"{sum(result.seconds for result in results):.3f}",
    )
    for file, file_results in by_file.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=file,
            tests=str(len(file_results)),
            failures=str(sum(not result.passed for result in file_results)),
            errors="0",
            skipped="0",
            time=f"{sum(result.seconds for result in file_results):.3f}",
        )
        for result in file_results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=file,
                name=result.name,
                file=file,
                line=str(result.loaded.line),
                time=f"{result.seconds:.3f}",
            )
            if not result.passed:
                first = result.failures[0]
                field, expected, got = first.mismatches[0]
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"turn {first.step}: {field}: expected {expected}, got {got}",
                    type="PolicyExpectationFailed",
                )
                failure.text = result.report()
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
