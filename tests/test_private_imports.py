"""No module imports another package's private module, or another module's private name.

A private module (``_name.py``) is its package's implementation: code outside the package
reaches it through the package's ``__init__``. A private name (``_name``) belongs to its
module. Both rules keep an implementation free to change without breaking its neighbours.
"""

from __future__ import annotations

import ast
from pathlib import Path

import escalate

SRC = Path(escalate.__file__).parent.parent


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _module_and_package(path: Path, root: Path) -> tuple[str, str]:
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        name = ".".join(parts[:-1])
        return name, name
    return ".".join(parts), ".".join(parts[:-1])


def _private_imports(path: Path, root: Path = SRC) -> list[str]:
    """Each import in ``path`` reaching a private module or name it does not own."""
    module, package = _module_and_package(path, root)
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module]
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            targets, names = [alias.name for alias in node.names], []
        else:
            continue
        for target in targets:
            if not target.startswith("escalate"):
                continue
            parts = target.split(".")
            owner = next(
                (".".join(parts[:i]) for i, part in enumerate(parts) if _private(part)), None
            )
            if owner is not None and package != owner and not package.startswith(owner + "."):
                found.append(f"{module}: {target}")
            found.extend(f"{module}: {target}.{name}" for name in names if _private(name))
    return found


def test_no_module_imports_a_private_module_or_name_across_modules() -> None:
    found = [
        hit for path in sorted(SRC.rglob("escalate/**/*.py")) for hit in _private_imports(path)
    ]
    assert found == []


def test_the_check_sees_each_kind_of_private_import(tmp_path: Path) -> None:
    # The scan must flag what the rule forbids and pass what it allows, or it proves nothing.
    package = tmp_path / "escalate" / "tools"
    package.mkdir(parents=True)
    stray = package / "report.py"
    stray.write_text(
        "from escalate.middleware import _Middleware, ReplyMode\n"
        "from escalate.signals._lexicon import load_lexicon\n"
        "import escalate.core._step\n"
        "from escalate.tools._helpers import helper\n"  # its own package's private module
        "from escalate.tools import __version__\n",
        "utf-8",
    )
    assert _private_imports(stray, tmp_path) == [
        "escalate.tools.report: escalate.middleware._Middleware",
        "escalate.tools.report: escalate.signals._lexicon",
        "escalate.tools.report: escalate.core._step",
    ]
