"""The application factory: settings and (optionally) a store in, a FastAPI app out.

Nothing happens at import time. ``create_app`` builds the app; the store is opened when the app
starts (its lifespan), or on the first request when the app is used without one (a bare
TestClient), and closed when the app stops.

    uvicorn --factory api.app:create_app        # settings from CHAINX_* variables
"""

from __future__ import annotations

import gc
import logging
import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

import graph
from graph.errors import StoreUnavailable
from graph.store import GraphStore, open_store

from .cache import ReportCache
from .deps import API_KEY_HEADER
from .docs import install_offline_docs
from .errors import install_error_handlers
from .health import HealthProbe
from .hosts import HostCheckMiddleware
from .limits import BodyLimitMiddleware
from .routes import analyses, chains, datasets, meta, nodes, views
from .settings import Settings
from .store import StoreHandle
from .workers import ReportProcesses

__all__ = ["create_app", "tune_serving_process", "SWITCH_INTERVAL"]

# The GIL switch interval of a serving process (tune_serving_process)
SWITCH_INTERVAL = 0.001

log = logging.getLogger("chainx.api")

DESCRIPTION = """Industrial-chain graph explorer: gaps (补链/延链/强链), bottlenecks, centrality and
enterprise–institute ties of a regional industrial chain, computed by the same functions as the
`chainx` command.

Errors always come as `{"error": {"type", "message", "parameter"?, "problems"?}}`. Write endpoints
need the server's `CHAINX_API_KEY` in the `X-API-Key` header; without a key configured they are
disabled (403)."""


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the API app.

    Parameters
    ----------
    settings : Settings, optional
        Read from the environment (CHAINX_*) when not given.
    store : GraphStore, optional
        Serve this open store (the caller keeps owning it). Without one the app opens
        ``settings.store`` itself, and reopens it after an outage.
    """
    settings = settings or Settings()
    if store is not None:
        handle = StoreHandle(store=store)
    else:
        handle = StoreHandle(lambda: open_store(settings.store), retry_seconds=settings.store_retry_seconds, uri=settings.store)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # FastAPI builds an included router's routes (dependants, validators) on the first request
        # that reaches it, on the event loop: up to 300 ms in which /health waits (issue 15). The
        # OpenAPI schema walks every route, so building it now, before serving, builds them all.
        app.openapi()
        await run_in_threadpool(app.state.report_cache.processes.start)
        try:
            await run_in_threadpool(handle.get)
        except StoreUnavailable as error:
            # Start anyway: /health says 503 until the store is reachable, then all recovers.
            log.warning("the store is not available yet: %s", error)
        yield
        app.state.health_probe.close()
        app.state.report_cache.processes.close()
        handle.close()

    app = FastAPI(title="chainx", version=graph.__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)  # install_offline_docs serves them without a CDN
    app.state.settings = settings
    app.state.store_handle = handle
    app.state.report_cache = ReportCache(settings.cache_size, settings.max_concurrent_reports, ReportProcesses(settings.report_processes))
    app.state.health_probe = HealthProbe(handle)

    install_error_handlers(app)
    install_offline_docs(app)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, limits={"/datasets": settings.max_upload_bytes})
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Accept", API_KEY_HEADER],
        )
    # added last, so outermost: a request under a foreign Host name reaches nothing else
    app.add_middleware(HostCheckMiddleware, allowed=settings.allowed_hosts)
    app.include_router(meta.live)
    for module in (meta, nodes, analyses, chains, datasets):
        app.include_router(module.router)
    app.include_router(views.router)
    return app


def tune_serving_process() -> None:
    """Tune the process a server owns (``chainx serve`` calls it, once the app is built) so that
    /health and the cached answers stay quick while reports compute (issue 15).

    A report computing on one of its threads keeps the GIL until the interpreter asks it to let
    go, every switch interval (5 ms by default), and the event loop needs the GIL back after every
    wait, several times per request: with :data:`SWITCH_INTERVAL` a hop costs 1 ms. And what is
    alive now (modules, the app) lives as long as the server: frozen out of the collector's sight,
    a full collection no longer walks it while every thread waits (one took 120–700 ms of
    /health's time under the costly mix of tests/adversarial/test_load_mix.py). Reports in
    worker processes (api/workers.py) keep their own objects out of this process altogether.
    """
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.collect()
    gc.freeze()
