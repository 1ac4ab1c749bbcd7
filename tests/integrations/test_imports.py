"""Every integration loads only when asked for, and says which extra it needs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from escalate import MissingDependencyError

# (module of escalate, the framework's top-level package, the extra)
INTEGRATIONS = [
    ("escalate.integrations.botbuilder", "botbuilder", "botbuilder"),
    ("escalate.integrations.langchain", "langchain", "langchain"),
    ("escalate.integrations.rasa", "rasa_sdk", "rasa"),
    ("escalate.server", "fastapi", "server"),
    ("escalate.state.redis", "redis", "redis"),
]


def python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_escalate_imports_no_framework() -> None:
    frameworks = [framework for _, framework, _ in INTEGRATIONS]
    loaded = python(
        f"import sys, escalate, escalate.middleware, escalate.handoff; "
        f"print([m for m in {frameworks!r} if m in sys.modules])"
    )
    assert loaded.strip() == "[]"


@pytest.mark.parametrize(("module", "framework", "extra"), INTEGRATIONS)
def test_without_its_framework_an_integration_names_its_extra(module, framework, extra) -> None:
    said = python(
        f"import sys; sys.modules[{framework!r}] = None\n"
        "try:\n"
        f"    import {module}\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    assert said.startswith(MissingDependencyError.__name__)
    assert f"pip install 'escalate[{extra}]'" in said
