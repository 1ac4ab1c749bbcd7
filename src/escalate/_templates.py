"""The Jinja templates of the HTML reports (``escalate eval`` and ``escalate report``)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from escalate.exceptions import MissingDependencyError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from jinja2 import Template

__all__ = ["html_template"]


def html_template(
    package: str, name: str, filters: Mapping[str, Callable[..., Any]], *, report: str, extra: str
) -> Template:
    """``package``'s template ``name``: every value escaped, an undefined name an error.

    Raises:
        MissingDependencyError: jinja2 is not installed (``report`` needs ``escalate[extra]``).
    """
    try:
        import jinja2  # noqa: PLC0415 - optional
    except ImportError:
        raise MissingDependencyError(report, extra) from None
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters.update(filters)
    return environment.from_string(resources.files(package).joinpath(name).read_text("utf-8"))
