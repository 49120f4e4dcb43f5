"""Dependencies the routes declare: the settings, the store, cached reports, write access.

Tests replace any of them with ``app.dependency_overrides``.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from graph import __version__
from graph import params as P
from graph.errors import InvalidParameter, StoreBusy, StoreUnavailable
from graph.reports import report_model
from graph.store import GraphStore
from graph.store.asof import as_of as as_of_day
from graph.store.asof import check_day

from .cache import ReportCache
from .params import query
from .settings import Settings
from .store import StoreHandle

__all__ = [
    "get_settings",
    "get_store",
    "get_reports",
    "require_api_key",
    "Reports",
    "get_handle",
    "SettingsDep",
    "HandleDep",
    "StoreDep",
    "ReportsDep",
    "API_KEY_HEADER",
]

API_KEY_HEADER = "X-API-Key"


# The pure dependencies are coroutines: FastAPI runs a plain function on a worker thread, a hop
# that cost each cached answer some 0.1 ms (a report route's dependencies took several).
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_handle(request: Request) -> StoreHandle:
    return request.app.state.store_handle


async def get_store(request: Request, handle: Annotated[StoreHandle, Depends(get_handle)],
                    as_of: Annotated[str | None, query(P.AS_OF)] = None) -> AsyncIterator[GraphStore]:
    """The app's store (as the request's snapshot reads it: api/snapshot.py), as it stood on
    ``as_of`` when given (every report takes it: graph.store.asof); a request that finds it down
    drops it so a later one reconnects. What may wait on the network (opening the store, closing
    one that failed) runs on a worker thread; the rest needs none."""
    day = check_day("as_of", as_of)
    snapshot = getattr(request.state, "snapshot", None)
    if snapshot is not None:
        try:
            yield as_of_day(snapshot, day)
        except StoreUnavailable:
            await run_in_threadpool(handle.drop, request.state.snapshot_of)
            raise
        return
    store = await run_in_threadpool(handle.get)
    try:
        yield as_of_day(store, day)
    except StoreBusy:
        raise  # the connection is fine: another one holds the lock
    except StoreUnavailable:
        await run_in_threadpool(handle.drop, store)
        raise


SettingsDep = Annotated[Settings, Depends(get_settings)]
HandleDep = Annotated[StoreHandle, Depends(get_handle)]
StoreDep = Annotated[GraphStore, Depends(get_store)]


@dataclass
class Reports:
    """Runs analysis functions of graph/ on the app's store, through the app's result cache."""

    store: GraphStore
    cache: ReportCache

    def __call__(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return self.cache.run(self.store, func, *args, **kwargs)

    def json(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Response:
        """``func``'s report as the JSON response of a route with ``response_model=
        report_model(func)``, rendered once per store version: a cached report's rows are not
        serialised again on every request. Parts the analysis left out (a ties report's
        ``focus`` without an institute) stay out, as in the CLI's JSON."""
        model = report_model(func)

        def render(report: Any) -> bytes:
            if type(report) is not model:
                raise TypeError(f"{func.__qualname__} returned a {type(report).__name__}, not its {model.__name__}")
            return JSONResponse(report.model_dump(mode="json", by_alias=True, exclude_unset=True)).body

        body = self.cache.rendered(self.store, render, "json", func, *args, **kwargs)
        return Response(body, media_type="application/json")


    def present(self, request: Request, format: str | None, func: Callable[..., Any], /, *args: Any, section: str | None = None,
                given: dict[str, Any] | None = None, **kwargs: Any) -> Response:
        """``func``'s report in the format asked for by ``format`` or else the request's Accept
        header: JSON (:meth:`json`), one table as CSV (``section``, default the first), or an
        .xlsx workbook whose 说明 About sheet names the route, its parameters (the query's, and
        ``given``: a request body's) and the data version."""
        from viz.formats import report_csv
        from viz.workbook import report_xlsx

        format = format or _accepted(request.headers.get("accept", ""))
        model = report_model(func)
        if section is not None and section not in model.tables:
            raise InvalidParameter("section", f"{model.__name__} has the tables {', '.join(model.tables)}, not {section!r}")
        if format == "csv":
            body = self.cache.rendered(self.store, lambda report: report_csv(report, section).encode("utf-8"), ("csv", section),
                                       func, *args, **kwargs)
            return Response(body, media_type="text/csv; charset=utf-8")
        if format == "xlsx":
            version = self.store.version()  # before the report: the version it was computed at
            report = self(func, *args, **kwargs)
            about = {"report": f"{request.method} {request.url.path}", "chainx": __version__, "data version": version,
                     **{name: value for name, value in request.query_params.multi_items() if name not in ("format", "section")},
                     **{name: value for name, value in (given or {}).items() if value is not None}}
            name = request.url.path.strip("/").replace("/", "-") or "report"
            return Response(report_xlsx(report, about), media_type=P.XLSX_MEDIA_TYPE,
                            headers={"Content-Disposition": f'attachment; filename="{_ascii(name)}.xlsx"'})
        return self.json(func, *args, **kwargs)


def _accepted(accept: str) -> str:
    """json, csv or xlsx: the first of them the Accept header lists (json when it lists none)."""
    by_type = {"application/json": "json", "text/csv": "csv", P.XLSX_MEDIA_TYPE: "xlsx"}
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return next((by_type[t] for t in types if t in by_type), "json")


def _ascii(name: str) -> str:
    # a header value is latin-1: a Chinese region id in the filename becomes underscores
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)


async def get_reports(request: Request, store: StoreDep) -> Reports:
    return Reports(store, request.app.state.report_cache)


ReportsDep = Annotated[Reports, Depends(get_reports)]

_api_key = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    scheme_name="ApiKey",
    description="The server's CHAINX_API_KEY; write endpoints need it, reads do not.",
)


def require_api_key(settings: SettingsDep, given: Annotated[str | None, Security(_api_key)] = None) -> None:
    """Let a write through only with the configured key (compared in constant time)."""
    if settings.api_key is None:
        raise HTTPException(403, "writes are disabled: the server has no CHAINX_API_KEY set")
    expected = settings.api_key.get_secret_value().encode()
    if given is None or not hmac.compare_digest(given.encode(), expected):
        raise HTTPException(
            401,
            f"a valid API key is required in the {API_KEY_HEADER} header" if given is None else "wrong API key",
            headers={"WWW-Authenticate": "ApiKey"},
        )
