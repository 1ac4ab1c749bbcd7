"""The HTTP service (``escalate[server]``): ``escalate serve``, or ``create_app()`` for uvicorn.

Endpoints: ``POST /v1/conversations/{id}/turns`` (a turn in, the decision out),
``POST /v1/conversations/{id}/outcomes``, ``GET /v1/conversations/{id}``,
``GET /v1/conversations/{id}/handoff``, ``GET /healthz``, ``GET /metrics`` (Prometheus),
and the OpenAPI docs at ``/docs`` and ``/redoc`` (served offline with ``escalate[api-docs]``).
Errors are ``application/problem+json``.
"""

try:
    import fastapi  # noqa: F401
    import prometheus_client  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without the extra installed
    from escalate.exceptions import MissingDependencyError

    raise MissingDependencyError("the HTTP service", "server") from error

from escalate.server.app import ConversationView, OutcomeReport, create_app
from escalate.server.docs import DocsAccess

__all__ = ["ConversationView", "DocsAccess", "OutcomeReport", "create_app"]
