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


PACKAGE = CORE.parent

# The layers of CONTRIBUTING.md, bottom first: a part imports its own layer or those below,
# never one above. A "part" is a subpackage or a top-level module of ``escalate``.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    # Public faces of the core (the names users import, re-exported); deprecated aliases.
    frozenset({"models", "exceptions", "typing", "_deprecated", "_lazy"}),
    frozenset({"signals", "policy"}),
    # I/O for a turn, and what the shell and the tools share.
    frozenset(
        {"state", "audit", "events", "handoff", "transcript", "policy_tests", "_io_steps"}
        | {"_templates"}
    ),
    frozenset({"engine"}),
    frozenset({"middleware", "testing"}),
    frozenset(
        {"integrations", "server", "evaluation", "insights", "cli", "pytest_plugin", "demo"}
        | {"__main__"}
    ),
)


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _layer(part: str) -> int:
    found = [index for index, layer in enumerate(LAYERS) if part in layer]
    assert found, f"escalate.{part} is in no layer: add it to LAYERS and CONTRIBUTING.md"
    return found[0]


def _modules() -> dict[str, set[str]]:
    """Each module of the package and the ``escalate`` modules it imports at run time."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[name] = _imports(path, runtime_only=True)
    return graph


def test_each_part_of_the_package_imports_only_its_layer_and_those_below() -> None:
    upward = sorted(
        f"escalate.{_part(path)} -> {name}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" or path.parent != PACKAGE
        for name in _imports(path, runtime_only=True)
        if name != "escalate" and _layer(name.split(".")[1]) > _layer(_part(path))
    )
    assert upward == []


def test_the_package_imports_without_cycles_at_run_time() -> None:
    graph = _modules()
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
    assert "escalate.engine" in done


def test_the_layer_check_sees_an_upward_import() -> None:
    # The table must rank what it is asked about, or the check above proves nothing.
    assert _layer("signals") > _layer("core")
    assert _layer("state") > _layer("signals")  # a detector importing a store goes upward
    assert _layer("engine") > _layer("audit")
    assert _layer("cli") > _layer("engine")


def test_the_package_never_imports_its_users_test_helpers() -> None:
    # escalate.testing is for policy owners' tests; the tools share what they need elsewhere.
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "testing.py" and "escalate.testing" in _imports(path, runtime_only=False)
    )
    assert importers == []
