"""Errors as RFC 9457 problem details (``application/problem+json``), with the field at fault."""

from __future__ import annotations

import sys
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["PROBLEM_JSON", "problem", "unparsable_body", "validation_problem"]

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


def validation_problem(errors: Sequence[Any], instance: str, body: object = None) -> JSONResponse:
    """422 for a request that does not match the schema: each error with its location.

    ``body`` is the request's text, for malformed JSON: its error then names the line and
    column, not the character offset FastAPI puts in its location (``body.9``).
    """
    listed = [
        _json_error(error, body)
        if error.get("type") == "json_invalid"
        else {
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


def _json_error(error: Any, body: object) -> dict[str, Any]:
    """A JSON decode error as ``body: not valid JSON at line L, column C: what``."""
    loc = tuple(error.get("loc", ()))
    what = (error.get("ctx") or {}).get("error") or error.get("msg", "")
    offset = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if offset is None or not isinstance(text, str):
        return {"loc": "body", "msg": f"not valid JSON: {what}", "type": "json_invalid"}
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)  # 1-based (rfind is -1 on the first line)
    message = f"not valid JSON at line {line}, column {column}: {what}"
    return {"loc": "body", "msg": message, "type": "json_invalid"}


def unparsable_body(cause: BaseException, instance: str) -> JSONResponse:
    """422 for a body the JSON parser gave up on, naming why.

    FastAPI answers such bodies (not UTF-8, nested too deeply, a number too long) with a bare
    "400: There was an error parsing the body".
    """
    if isinstance(cause, UnicodeDecodeError):
        data = cause.object if isinstance(cause.object, bytes) else b""
        before = data[: cause.start]
        line = before.count(b"\n") + 1
        column = cause.start - (before.rfind(b"\n") + 1) + 1
        byte = data[cause.start] if cause.start < len(data) else 0
        what = f"not UTF-8 at line {line}, column {column} (byte 0x{byte:02x})"
    elif isinstance(cause, RecursionError):
        what = "not valid JSON: nested too deeply"
    elif isinstance(cause, ValueError) and "digits" in str(cause):
        what = f"not valid JSON: a number longer than {sys.get_int_max_str_digits()} digits"
    else:
        what = f"cannot be read as JSON ({type(cause).__name__})"
    error = {"loc": "body", "msg": what, "type": "body_unreadable"}
    return problem(422, f"body: {what}", instance=instance, errors=[error])
