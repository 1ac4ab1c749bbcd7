"""Names a package hands out on first access, so importing it does not load what they need.

A package's ``__getattr__`` calls :func:`on_first_use` with a table of the names it loads late
and the module each lives in; the value is then kept in the package's namespace, so later
lookups are plain attribute reads.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

__all__ = ["on_first_use"]


def on_first_use(
    package: str, name: str, table: Mapping[str, str], namespace: MutableMapping[str, object]
) -> object:
    """``name`` imported from the module ``table`` names for it, and kept in ``namespace``.

    ``namespace`` is the package's ``globals()``. A name not in ``table`` is an
    ``AttributeError``, as Python raises for a missing module attribute.
    """
    module = table.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    namespace[name] = value  # later lookups skip the package's __getattr__
    return value
