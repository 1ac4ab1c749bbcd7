"""Errors as RFC 9457 problem details (``application/problem+json``), with the field at fault."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["PROBLEM_JSON", "problem", "validation_problem"]

PROBLEM_JSON: Final = "application/problem+json"


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem details response: ``type``, ``title``, ``status``, ``detail`` (+ ``errors``)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def validation_problem(errors: Sequence[Any], instance: str) -> JSONResponse:
    """422 for a request that does not match the schema: each error with its location."""
    listed = [
        {
            "loc": ".".join(str(part) for part in error.get("loc", ())),
            "msg": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in errors
    ]
    first = listed[0] if listed else {"loc": "", "msg": "invalid request"}
    detail = f"{first['loc']}: {first['msg']}" if first["loc"] else str(first["msg"])
    if len(listed) > 1:
        detail += f" (and {len(listed) - 1} more)"
    return problem(422, detail, instance=instance, errors=listed)
