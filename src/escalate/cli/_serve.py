"""``escalate serve``: the HTTP service (``escalate[server]``)."""

from __future__ import annotations

import asyncio
import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from escalate.cli._common import PolicyOption, audit_trail, fail, make_escalator
from escalate.exceptions import MissingDependencyError

__all__ = ["serve"]


class Docs(StrEnum):
    """``escalate.server.DocsAccess``, without importing the optional server extra."""

    KEY = "key"
    OPEN = "open"
    OFF = "off"


def serve(  # noqa: PLR0917 - typer: one parameter per option
    policy: PolicyOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    api_key_env: Annotated[
        str,
        typer.Option(
            help="Environment variable holding the API key; when it is set, /v1 requires it."
        ),
    ] = "ESCALATE_API_KEY",
    max_body_bytes: Annotated[
        int, typer.Option(help="Larger request bodies get 413 before they are parsed.")
    ] = 64 * 1024,
    audit: Annotated[
        Path | None,
        typer.Option(help="Record every decision in this audit trail (.jsonl, or .db)."),
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(help="Keep conversation state in Redis (escalate[redis]): workers share it."),
    ] = None,
    docs: Annotated[
        Docs,
        typer.Option(
            help="Who may read /docs, /redoc and /openapi.json: key (as /v1), open (anyone) or"
            " off.",
        ),
    ] = Docs.KEY,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
    events: Annotated[
        bool,
        typer.Option(
            help="Print every escalate.decision event to stdout as JSON (--no-events: only "
            "warnings and errors)."
        ),
    ] = True,
    header_timeout: Annotated[
        float,
        typer.Option(help="Seconds a client has to send a request's line and headers."),
    ] = 10.0,
    body_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each piece of a request body (then 408).")
    ] = 10.0,
    keep_alive_timeout: Annotated[
        int, typer.Option(help="Seconds an idle keep-alive connection stays open.")
    ] = 5,
    shutdown_timeout: Annotated[
        int,
        typer.Option(
            help="On SIGTERM/SIGINT, seconds to let requests in flight finish before the audit"
            " trail is closed."
        ),
    ] = 30,
) -> None:
    """Serve decisions over HTTP: POST /v1/conversations/{id}/turns; docs at /docs.

    Conversations live in this process's memory, or in Redis with --redis-url. On SIGTERM or
    SIGINT the requests in flight are answered and the audit trail is written out before exit.
    """
    api_key = os.environ.get(api_key_env)
    if api_key is not None and not api_key.strip():
        fail(
            f"{api_key_env} is set but empty: the service would run without authentication;"
            f" set a key, or unset {api_key_env} to serve without one"
        )
    try:
        import uvicorn  # noqa: PLC0415 - optional extra

        from escalate.server import DocsAccess, create_app  # noqa: PLC0415
    except ImportError:  # MissingDependencyError is an ImportError too
        fail(str(MissingDependencyError("escalate serve", "server")))
    import structlog  # noqa: PLC0415

    # One JSON object per line on stdout, as log collectors expect from a service.
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.INFO if events else logging.WARNING
        ),
        cache_logger_on_first_use=True,
    )
    store = None
    if redis_url is not None:
        try:
            from escalate.state import AsyncRedisStore  # noqa: PLC0415 - optional extra
        except ImportError:
            fail(str(MissingDependencyError("escalate serve --redis-url", "redis")))
        store = AsyncRedisStore(url=redis_url)
    with audit_trail(audit) as trail:
        escalator = make_escalator(
            policy, structlog.get_logger("escalate"), audit=trail, store=store
        )
        app = create_app(
            escalator,
            api_key=api_key,
            max_body_bytes=max_body_bytes,
            body_timeout=body_timeout,
            docs=DocsAccess(docs.value),
        )
        # The app's shutdown closes the trail: uvicorn re-raises the signal once it is done,
        # which ends the process before this block's own exit could.
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=log_level,
            http=_http_protocol(header_timeout),
            timeout_keep_alive=keep_alive_timeout,
            timeout_graceful_shutdown=shutdown_timeout,
        )


def _http_protocol(header_timeout: float) -> type[asyncio.Protocol] | str:
    """The protocol for uvicorn: httptools with a deadline for the request head, if installed."""
    if header_timeout <= 0:
        fail(f"--header-timeout must be positive, got {header_timeout}")
    try:
        from escalate.server import protocol_with_header_timeout  # noqa: PLC0415
    except ImportError:  # httptools is missing (uvicorn without [standard]): no head deadline
        logging.getLogger("escalate").warning(
            "httptools is not installed: --header-timeout is not enforced"
        )
        return "auto"
    return protocol_with_header_timeout(header_timeout)
