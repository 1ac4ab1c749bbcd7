"""uvicorn's HTTP protocol with a deadline for the request line and headers.

uvicorn bounds idle keep-alive connections and nothing else: a client that sends its headers
a byte a minute holds a connection (and a file descriptor) for ever. This protocol closes a
connection whose request head is not complete ``header_timeout`` seconds after the connection
opened or the request began. The body has its own deadline (``BodyLimit``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from escalate.exceptions import InvalidInputError

if TYPE_CHECKING:
    import asyncio

__all__ = ["DEFAULT_HEADER_TIMEOUT_SECONDS", "protocol_with_header_timeout"]

DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0


class _HeadDeadline(HttpToolsProtocol):
    header_timeout: float = DEFAULT_HEADER_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a client that connects and sends nothing is bounded too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # the next request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


@functools.cache
def protocol_with_header_timeout(seconds: float) -> type[asyncio.Protocol]:
    """The protocol class to give uvicorn (``http=``) for a head deadline of ``seconds``."""
    if seconds <= 0:
        raise InvalidInputError(f"the header timeout must be positive, got {seconds}")
    return type("HeadDeadlineProtocol", (_HeadDeadline,), {"header_timeout": seconds})
