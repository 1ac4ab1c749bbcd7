"""Old names kept working for a while: a module's ``__getattr__`` hands them out with a warning.

Renames (issue 20) keep every documented import path alive as a deprecated alias, so a user's
code warns (``DeprecationWarning``, naming the new spelling) instead of breaking: ``renamed``
for a name that changed in its module, ``moved`` for the names of a module whose
implementation went private (``escalate.server.protocol`` -> ``escalate.server``).
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

__all__ = ["moved", "renamed"]


def renamed(
    module: str, name: str, renames: Mapping[str, str], namespace: Mapping[str, object]
) -> object:
    """The value of ``name``'s new spelling in ``namespace``, with a ``DeprecationWarning``.

    For a module's ``__getattr__``: ``renames`` maps each old name to the new one, which must be
    in ``namespace`` (the module's ``globals()``). Any other name is an ``AttributeError``, as
    Python raises for a missing module attribute.
    """
    new = _new_name(module, name, renames)
    _warn(f"{module}.{name}", f"{module}.{new}")
    return namespace[new]


def moved(
    module: str,
    name: str,
    to: str,
    names: Collection[str],
    renames: Mapping[str, str] | None = None,
) -> object:
    """``name`` as the module ``to`` now exports it, with a ``DeprecationWarning``.

    For the ``__getattr__`` of a module kept as an alias of its package: ``names`` are the ones
    it hands out under the same name, ``renames`` maps its older names to their new spelling in
    ``to``. Any other name is an ``AttributeError``.
    """
    new = name if name in names else _new_name(module, name, renames or {})
    _warn(f"{module}.{name}", f"{to}.{new}")
    return getattr(importlib.import_module(to), new)


def _new_name(module: str, name: str, renames: Mapping[str, str]) -> str:
    new = renames.get(name)
    if new is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    return new


def _warn(old: str, new: str) -> None:
    # stacklevel 4: past this function, renamed or moved, and the module's __getattr__.
    warnings.warn(f"{old} is deprecated: use {new}", DeprecationWarning, stacklevel=4)
