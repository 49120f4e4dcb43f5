"""/docs and /redoc work on a closed network: every script and style comes from the server itself."""

from __future__ import annotations

import httpx
import pytest

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _operations(server) -> list[dict]:
    schema = httpx.get(f"{server.url}/openapi.json").json()
    return [op for methods in schema["paths"].values() for op in methods.values()]


def test_swagger_ui_renders_every_operation_offline(visit, textile_server):
    page = visit(f"{textile_server.url}/docs", networks=False)
    page.page.wait_for_selector(".opblock", timeout=30_000)
    assert page.blocked == [], f"/docs tried to reach the network: {page.blocked}"
    assert page.errors == []
    assert page.page.locator(".opblock").count() == len(_operations(textile_server))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.shot("docs-swagger")


def test_redoc_renders_offline(visit, textile_server):
    page = visit(f"{textile_server.url}/redoc", networks=False)
    summary = next(op["summary"] for op in _operations(textile_server) if "gaps" in op.get("operationId", ""))
    # the operation's heading is drawn once ReDoc has rendered the schema (its menu entry may be folded)
    page.page.get_by_role("heading", name=summary).first.wait_for(timeout=30_000)
    assert page.blocked == [], f"/redoc tried to reach the network: {page.blocked}"
    # the one thing the page's policy refuses: Redocly's logo from their CDN (the footer then hides it)
    assert [e for e in page.errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in e] == []
    page.shot("docs-redoc")


def test_fastapi_s_cdn_pages_are_not_what_is_served(textile_server):
    for path in ("/docs", "/redoc"):
        html = httpx.get(f"{textile_server.url}{path}").text
        assert "cdn.jsdelivr.net" not in html and "fonts.googleapis.com" not in html
        assert "/docs-assets/" in html
