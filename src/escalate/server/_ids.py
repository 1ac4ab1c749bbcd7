"""Conversation ids as they arrive in a URL path: exact, or refused with a reason.

The server percent-decodes the path before routing, replacing bytes that are not UTF-8 with
U+FFFD: ``a%FFb``, ``a%FEb`` and ``a%C3b`` would all be the one conversation ``a\ufffdb``. The
raw path still has the bytes, so such an id is refused rather than merged with others. A ``/``
cannot be part of an id (``%2F`` is decoded before routing too): such a path matches no route,
and the 404 says why.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote_to_bytes

from fastapi import Request  # noqa: TC002 - FastAPI reads the dependency's annotation
from starlette.exceptions import HTTPException

__all__ = ["CONVERSATIONS", "check_conversation_id", "not_found_detail"]

CONVERSATIONS: Final = "/v1/conversations/"
_ROUTES: Final = re.compile(r"^/v1/conversations/[^/]+(?:/(?:turns|outcomes|handoff))?$")


async def check_conversation_id(request: Request) -> None:
    """400 when the id's percent-decoded bytes are not UTF-8 (they would merge with others).

    ``async`` although it never awaits: FastAPI runs a plain function in its thread pool, two
    thread hops per request for a few microseconds of work.
    """
    raw = request.scope.get("raw_path") or b""
    prefix = CONVERSATIONS.encode()
    if not raw.startswith(prefix):
        return
    segment = raw[len(prefix) :].split(b"/", 1)[0].split(b"?", 1)[0]
    try:
        unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError as error:
        shown = segment.decode("ascii", "backslashreplace")
        raise HTTPException(
            400,
            f"conversation id {shown!r}: byte 0x{error.object[error.start]:02x} is not UTF-8"
            " once percent-decoded; ids are UTF-8 text",
        ) from None


def not_found_detail(path: str) -> str | None:
    """Why a path under ``/v1/conversations/`` matched no route, when an id holds a ``/``."""
    if not path.startswith(CONVERSATIONS) or _ROUTES.match(path):
        return None
    return (
        "no such endpoint: a conversation id cannot contain '/' (nor %2F, which is decoded"
        " before routing); use ids without slashes"
    )
