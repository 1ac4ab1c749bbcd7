"""The core imports nothing else from the package, and its modules import one way."""

from __future__ import annotations

import ast
from pathlib import Path

import escalate.core

CORE = Path(escalate.core.__file__).parent


def _imports(path: Path, *, runtime_only: bool) -> set[str]:
    """The ``escalate`` modules ``path`` imports (``runtime_only``: not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text("utf-8"))
    skipped: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(child) for child in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "escalate" or name.startswith("escalate.")}


def test_the_core_imports_nothing_outside_itself() -> None:
    outside = {
        f"{path.name}: {name}"
        for path in CORE.glob("*.py")
        for name in _imports(path, runtime_only=False)
        if name != "escalate.core" and not name.startswith("escalate.core.")
    }
    assert outside == set()


def test_the_core_modules_import_each_other_without_cycles() -> None:
    graph = {
        f"escalate.core.{path.stem}": {
            name for name in _imports(path, runtime_only=True) if name != "escalate.core"
        }
        for path in CORE.glob("_*.py")
    }
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, f"import cycle: {' -> '.join((*trail, module))}"
        if module in done:
            return
        for imported in graph.get(module, ()):
            visit(imported, (*trail, module))
        done.add(module)

    for module in graph:
        visit(module, ())
    assert len(done) == len(graph)


def test_the_checks_see_imports_that_break_the_rule(tmp_path: Path) -> None:
    # The scan above must notice a stray import, or the tests prove nothing.
    stray = tmp_path / "_stray.py"
    stray.write_text(
        "from typing import TYPE_CHECKING\n"
        "from escalate.signals import matches\n"
        "if TYPE_CHECKING:\n"
        "    from escalate.core._step import step\n",
        "utf-8",
    )
    assert _imports(stray, runtime_only=False) == {"escalate.signals", "escalate.core._step"}
    assert _imports(stray, runtime_only=True) == {"escalate.signals"}
