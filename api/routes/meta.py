"""Is the service up, and what does the graph hold."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from graph.errors import StoreUnavailable
from graph.reports import report_model
from graph.store import is_bolt_uri, reads

from ..deps import HandleDep, ReportsDep
from ..models import Health, error_responses
from ..params import FILE_RESPONSES, FormatQuery

__all__ = ["router"]

router = APIRouter(tags=["meta"], responses=error_responses(500, 503))


@router.get("/health", response_model=Health)
def health(handle: HandleDep) -> dict:
    """200 when the store answers, 503 (with the reason) when it does not."""
    store = handle.get()
    try:
        version = store.version()
    except StoreUnavailable:
        handle.drop(store)
        raise
    return {"status": "ok", "store": "neo4j" if is_bolt_uri(store.uri) else "embedded", "version": version}


@router.get("/stats", response_model=report_model(reads.stats), responses={**error_responses(422), **FILE_RESPONSES})
def stats(request: Request, reports: ReportsDep, format: FormatQuery = None) -> Response:
    """Nodes per kind and relationships per type (every known one, 0 when absent)."""
    return reports.present(request, format, reads.stats)
