"""The HTTP service (``escalate[server]``): ``escalate serve``, or ``create_app()`` for uvicorn.

Endpoints: ``POST /v1/conversations/{id}/turns`` (a turn in, the decision out),
``POST /v1/conversations/{id}/outcomes``, ``GET /v1/conversations/{id}``,
``GET /v1/conversations/{id}/handoff``, ``GET /healthz``, ``GET /metrics`` (Prometheus),
and the OpenAPI docs at ``/docs`` and ``/redoc`` (served offline with ``escalate[api-docs]``).
Errors are ``application/problem+json``.

``protocol_with_header_timeout`` (uvicorn's httptools protocol with a deadline for the request
head) is imported on first use: it needs httptools (``uvicorn[standard]``), which
``create_app`` does not.
"""

from typing import TYPE_CHECKING

from escalate._lazy import on_first_use

try:
    import fastapi  # noqa: F401
    import prometheus_client  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without the extra installed
    from escalate.exceptions import MissingDependencyError

    raise MissingDependencyError("the HTTP service", "server") from error

from escalate.server._app import (
    DEFAULT_BODY_TIMEOUT_SECONDS,
    DEFAULT_MAX_BODY_BYTES,
    ConversationView,
    OutcomeReport,
    create_app,
)
from escalate.server._docs import DocsAccess
from escalate.server._limits import BodyLimit
from escalate.server._recent import LastDecisions

if TYPE_CHECKING:
    from escalate.server._protocol import (
        DEFAULT_HEADER_TIMEOUT_SECONDS,
        protocol_with_header_timeout,
    )

__all__ = [
    "DEFAULT_BODY_TIMEOUT_SECONDS",
    "DEFAULT_HEADER_TIMEOUT_SECONDS",
    "DEFAULT_MAX_BODY_BYTES",
    "BodyLimit",
    "ConversationView",
    "DocsAccess",
    "LastDecisions",
    "OutcomeReport",
    "create_app",
    "protocol_with_header_timeout",
]

_NEED_HTTPTOOLS = dict.fromkeys(
    ("DEFAULT_HEADER_TIMEOUT_SECONDS", "protocol_with_header_timeout"), "escalate.server._protocol"
)


def __getattr__(name: str) -> object:
    return on_first_use(__name__, name, _NEED_HTTPTOOLS, globals())
