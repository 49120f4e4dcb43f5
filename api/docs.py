"""The interactive API docs (/docs, /redoc), served with their scripts and styles from an installed
package, so they work on a closed office network: FastAPI's own pages load Swagger UI and ReDoc
(and ReDoc's fonts) from a CDN, and are blank without the internet."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["install_offline_docs", "ASSETS_URL"]

ASSETS_URL = "/docs-assets"
# Swagger UI and ReDoc builds bundled by the fastapi-offline distribution; only the files are used.
_ASSETS = files("fastapi_offline") / "static"
# Nothing from elsewhere, even where the bundles ask for it (ReDoc's footer shows Redocly's logo
# from their CDN; refused, the footer hides it). The pages' own set-up scripts are inline.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'")


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CSP
    return page


def install_offline_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc from local assets (the app must be built with docs_url=None, redoc_url=None)."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(_ASSETS)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _offline(get_swagger_ui_html(
            openapi_url=root + app.openapi_url, title=f"{app.title} — API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        ))

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _offline(get_redoc_html(
            openapi_url=root + app.openapi_url, title=f"{app.title} — API", redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png", with_google_fonts=False,
        ))
