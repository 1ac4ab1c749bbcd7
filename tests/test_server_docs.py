"""``/docs``, ``/redoc`` and ``/openapi.json``: offline, behind the key, with "Authorize".

Real uvicorn servers on 127.0.0.1; the pages are opened in headless Chromium with every request
that is not to the service sent to a dead proxy, as on a machine without internet.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx
import pytest

from escalate import Escalator
from escalate.server import DocsAccess, create_app
from escalate.testing import quiet_logger
from test_server import AUTH, KEY, Server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PAGES = ["/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js"]


def serve(*, api_key: str | None = KEY, docs: DocsAccess = DocsAccess.KEY) -> Server:
    return Server(create_app(Escalator(logger=quiet_logger()), api_key=api_key, docs=docs))


@pytest.fixture(scope="module")
def keyed() -> Iterator[str]:
    with serve() as url:
        yield url


@pytest.fixture(scope="module")
def open_docs() -> Iterator[str]:
    with serve(docs=DocsAccess.OPEN) as url:
        yield url


@pytest.mark.parametrize("path", PAGES)
def test_the_docs_follow_the_key_by_default(keyed: str, path: str) -> None:
    refused = httpx.get(keyed + path)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert httpx.get(keyed + path, headers=AUTH).status_code == 200
    assert httpx.get(keyed + path, headers={"X-API-Key": KEY}).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_open_docs_need_no_key_while_the_api_still_does(open_docs: str, path: str) -> None:
    assert httpx.get(open_docs + path).status_code == 200
    assert httpx.post(open_docs + "/v1/conversations/c/turns", json={}).status_code == 401


def test_docs_can_be_switched_off() -> None:
    with serve(docs=DocsAccess.OFF) as url:
        for path in PAGES:
            assert httpx.get(url + path, headers=AUTH).status_code == 404
        assert httpx.get(url + "/healthz").status_code == 200


def test_the_schema_declares_the_key_for_the_api_only(open_docs: str) -> None:
    spec = httpx.get(open_docs + "/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer KEY",
    }
    assert schemes["apiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            wanted = [{"bearer": []}, {"apiKey": []}] if path.startswith("/v1/") else None
            assert operation.get("security") == wanted, path
    assert "/docs" not in spec["paths"]


def test_without_a_key_there_is_nothing_to_authorize() -> None:
    with serve(api_key=None) as url:
        spec = httpx.get(url + "/openapi.json").json()
        assert "securitySchemes" not in spec.get("components", {})
        assert httpx.get(url + "/docs").status_code == 200


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_pages_load_nothing_from_elsewhere(open_docs: str, page: str) -> None:
    html = httpx.get(open_docs + page).text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
    assert sources, html
    assert all(source.startswith("/") for source in sources), sources
    assert "fonts.googleapis" not in html


def test_only_the_named_assets_are_served(open_docs: str) -> None:
    css = httpx.get(open_docs + "/docs/assets/swagger-ui.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    for name in ("core.py", "__init__.py", "..%2F..%2Fpyproject.toml", "nope.js"):
        assert httpx.get(f"{open_docs}/docs/assets/{name}").status_code == 404


def test_without_the_assets_the_pages_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "fastapi_offline", None)  # as if not installed
    with serve(docs=DocsAccess.OPEN) as url:
        for page in ("/docs", "/redoc"):
            response = httpx.get(url + page)
            assert response.status_code == 404
            assert "pip install 'escalate[api-docs]'" in response.text
        assert httpx.get(url + "/docs/assets/swagger-ui.css").status_code == 404
        assert httpx.get(url + "/openapi.json").status_code == 200


# -- in a browser, offline -------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian chromium is not on PATH (.ci/run installs it)"
)


def chromium_dom(url: str, profile: Path) -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran, and its console lines (errors, failed loads)."""
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync",
        f"--user-data-dir={profile}",
        # No internet: everything but the service (loopback bypasses proxies) goes nowhere.
        "--proxy-server=http://127.0.0.1:9",
        "--virtual-time-budget=15000", "--enable-logging=stderr", "--v=0", "--dump-dom",
    ]  # fmt: skip
    run = subprocess.run(
        ["chromium", *flags, url], capture_output=True, text=True, timeout=180, check=False
    )
    assert run.returncode == 0, run.stderr
    return run.stdout, [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


@needs_chromium
@pytest.mark.slow
class TestChromium:
    def test_the_dead_proxy_blocks_what_is_not_the_service(self, tmp_path: Path) -> None:
        page = tmp_path / "cdn.html"
        page.write_text(
            "<!doctype html><script src='https://cdn.jsdelivr.net/npm/x.js'></script>"
            "<script>document.write(typeof window.x === 'undefined' ? 'blocked' : 'fetched')"
            "</script>",
            encoding="utf-8",
        )
        dom, _ = chromium_dom(page.as_uri(), tmp_path / "profile")
        assert "blocked" in dom

    def test_swagger_ui_renders_offline_with_authorize(
        self, open_docs: str, tmp_path: Path
    ) -> None:
        dom, console = chromium_dom(open_docs + "/docs", tmp_path / "profile")
        assert "swagger-ui" in dom
        assert re.search(r'class="[^"]*\bbtn authorize\b', dom), "no Authorize button"
        assert "/v1/conversations/{conversation_id}/turns" in dom
        assert not [line for line in console if "Failed" in line or "Error" in line], console

    def test_redoc_renders_offline(self, open_docs: str, tmp_path: Path) -> None:
        dom, console = chromium_dom(open_docs + "/redoc", tmp_path / "profile")
        assert "Decide, turn by turn" in dom or "/v1/conversations" in dom
        assert "redoc-wrap" in dom or 'class="api-content"' in dom
        assert not [line for line in console if "Failed" in line], console
