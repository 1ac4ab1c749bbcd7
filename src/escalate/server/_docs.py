"""The API's docs pages, served without the internet, and the schema's API-key security schemes.

FastAPI's ``/docs`` (Swagger UI) and ``/redoc`` load their scripts and styles from a CDN, so
they are blank pages offline or behind a strict proxy. Here they load them from this service:
the assets ship in the ``fastapi-offline`` package (``escalate[api-docs]``), imported only when
a page asks for them; without it the pages say what to install, and ``/openapi.json`` still
answers.

Who may read them is ``DocsAccess``: by default they follow the API key (open when the service
has none, the key otherwise), ``open`` serves them to anyone (the pages and the schema say
nothing secret; an internal network may want them browsable), ``off`` answers 404.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["ASSETS_EXTRA", "DocsAccess", "add_api_docs", "declare_api_key"]

ASSETS_EXTRA: Final = "api-docs"
_ASSETS_PACKAGE: Final = "fastapi_offline"
_ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_ASSETS_URL: Final = "/docs/assets"
_SECURITY_SCHEMES: Final = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer KEY"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


class DocsAccess(StrEnum):
    """Who may read ``/docs``, ``/redoc`` and ``/openapi.json``."""

    KEY = "key"
    """As ``/v1``: open when the service has no API key, the key otherwise (the default)."""
    OPEN = "open"
    """Anyone, even when ``/v1`` needs a key."""
    OFF = "off"
    """Nobody: 404, as for any unknown path."""


def declare_api_key(schema: dict[str, Any], prefix: str = "/v1") -> dict[str, Any]:
    """Declare the key's two headers in an OpenAPI schema, required by every ``prefix`` path.

    Swagger UI shows "Authorize" for them and sends the key with "Try it out".
    """
    schema.setdefault("components", {})["securitySchemes"] = _SECURITY_SCHEMES
    either: list[dict[str, list[str]]] = [{name: []} for name in _SECURITY_SCHEMES]  # or
    for path, operations in schema.get("paths", {}).items():
        if path.startswith(prefix):
            for operation in operations.values():
                operation["security"] = either
    return schema


def add_api_docs(
    app: FastAPI, access: DocsAccess, *, keyed: bool, check_key: Callable[..., Awaitable[None]]
) -> None:
    """Serve ``/openapi.json``, ``/docs``, ``/redoc`` and the pages' assets on ``app``.

    ``app`` is built with ``openapi_url=None``, ``docs_url=None`` and ``redoc_url=None``.
    """
    if access is DocsAccess.OFF:
        return
    guard = [Depends(check_key)] if access is DocsAccess.KEY else []

    @app.get("/openapi.json", include_in_schema=False, dependencies=guard)
    async def openapi() -> JSONResponse:
        schema = app.openapi()
        return JSONResponse(declare_api_key(schema) if keyed else schema)

    @app.get("/docs", include_in_schema=False, dependencies=guard)
    async def swagger_ui() -> HTMLResponse:
        if not _assets_installed():
            return _assets_missing("/docs")
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{_ASSETS_URL}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False, dependencies=guard)
    async def redoc() -> HTMLResponse:
        if not _assets_installed():
            return _assets_missing("/redoc")
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{_ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{_ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    @app.get(f"{_ASSETS_URL}/{{name}}", include_in_schema=False, dependencies=guard)
    async def asset(name: str) -> Response:
        # Only the four files by name: nothing else of the package is reachable.
        if name not in _ASSETS or not _assets_installed():
            return Response(status_code=404)
        data = resources.files(_ASSETS_PACKAGE).joinpath("static", name).read_bytes()
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response(data, media_type=_ASSETS[name], headers=headers)


def _assets_installed() -> bool:
    try:
        resources.files(_ASSETS_PACKAGE)
    except ModuleNotFoundError:
        return False
    return True


def _assets_missing(page: str) -> HTMLResponse:
    """A page that says why it is not there and what to install; the schema still answers."""
    install = f"pip install 'escalate[{ASSETS_EXTRA}]'"
    body = (
        "<!doctype html><meta charset=utf-8><title>API docs not installed</title>"
        f"<p>{page} needs the Swagger UI and ReDoc files, which escalate serves itself (no CDN):"
        f" <code>{install}</code>, then restart the service.</p>"
        '<p>The schema is at <a href="/openapi.json">/openapi.json</a>.</p>'
    )
    return HTMLResponse(body, status_code=404)
