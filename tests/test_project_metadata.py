"""What a newcomer reads before installing: the project's links and its extras."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# Sets for working on escalate itself, not for its users.
DEVELOPMENT_EXTRAS = {"test", "docs", "dev"}
USER_EXTRAS = sorted(set(PROJECT["optional-dependencies"]) - DEVELOPMENT_EXTRAS)


def test_the_project_links_home_source_issues_docs_and_changes() -> None:
    urls = PROJECT["urls"]
    assert {"Homepage", "Source", "Issues", "Documentation", "Changelog"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())


@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_every_extra_is_listed_with_its_install_command(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    listed = set(re.findall(r"pip install 'escalate\[([\w-]+)\]'", text))
    assert set(USER_EXTRAS) <= listed, f"{page} lacks {sorted(set(USER_EXTRAS) - listed)}"


def test_the_sdist_holds_what_its_tests_and_docs_need() -> None:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    included = set(tool["hatch"]["build"]["targets"]["sdist"]["include"])
    # conftest.py: the tests' shared fixtures; mkdocs.yml: the docs build and its test;
    # scripts/: how the bundled word list is rebuilt.
    needed = {"src/escalate", "tests", "docs", "examples", "benchmarks", "conftest.py"}
    assert needed | {"mkdocs.yml", "scripts", "CHANGELOG.md", "README.md"} <= included
    assert all((ROOT / path).exists() for path in included)
