"""Old names kept working for a while: a module's ``__getattr__`` hands them out with a warning.

Renames (issue 20) keep every documented import path alive as a deprecated alias, so a user's
code warns (``DeprecationWarning``, naming the new spelling) instead of breaking.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["renamed"]


def renamed(
    module: str, name: str, renames: Mapping[str, str], namespace: Mapping[str, object]
) -> object:
    """The value of ``name``'s new spelling in ``namespace``, with a ``DeprecationWarning``.

    For a module's ``__getattr__``: ``renames`` maps each old name to the new one, which must be
    in ``namespace`` (the module's ``globals()``). Any other name is an ``AttributeError``, as
    Python raises for a missing module attribute.
    """
    new = renames.get(name)
    if new is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    warnings.warn(
        f"{module}.{name} is deprecated: use {module}.{new}", DeprecationWarning, stacklevel=3
    )
    return namespace[new]
