"""A request body size and time limit, enforced before any JSON is parsed."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from escalate.server._problems import PROBLEM_JSON

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    Scope = MutableMapping[str, Any]
    Message = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[Message]]
    Send = Callable[[Message], Awaitable[None]]
    ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["BodyLimit"]


class BodyLimit:
    """ASGI middleware: 413 for a body over ``max_bytes``, 408 for one slower than ``timeout``.

    A declared ``Content-Length`` is checked at once; a chunked body is read up to the limit
    and replayed to the app, so nothing over the limit is ever held in memory. ``timeout``
    bounds the wait for each piece of the body, so a client that stops sending mid-body
    does not hold a connection (and its buffer) for ever.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass requests within the limit through; answer the others with 413."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                await self._refuse(
                    scope,
                    send,
                    408,
                    "Request Timeout",
                    f"the request body did not arrive within {self.timeout:g} seconds",
                )
                return
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._too_large(scope, send)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        detail = f"the request body is over {self.max_bytes} bytes"
        await self._refuse(scope, send, 413, "Content Too Large", detail)

    async def _refuse(self, scope: Scope, send: Send, status: int, title: str, detail: str) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": title,
                "status": status,
                "detail": detail,
                "instance": scope.get("path", ""),
            }
        ).encode()
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if status == 408:  # noqa: PLR2004 - the client is gone or stalled: do not wait for more
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
