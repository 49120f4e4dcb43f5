"""Is the service up, and what does the graph hold."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from graph.reports import report_model
from graph.store import reads

from ..deps import ReportsDep
from ..models import Health, error_responses
from ..params import FILE_RESPONSES, FormatQuery
from ..snapshot import SnapshotRoute

__all__ = ["router", "live"]

router = APIRouter(route_class=SnapshotRoute, tags=["meta"], responses=error_responses(500, 503))
# /health reads no graph, only the version, and must answer while a load holds the store: not a
# snapshot route (its snapshot would wait on the lock it reports)
live = APIRouter(tags=["meta"], responses=error_responses(500, 503))


@live.get("/health", response_model=Health, response_model_exclude_none=True)  # message only while busy
async def health(request: Request) -> dict:
    """200 when the store answers, 503 (with the reason) when it does not; 200 with status busy,
    at once and with the last version read, while another connection holds the store."""
    # async, with no dependency run in the threadpool: the probe runs on the app's own health
    # thread (api/app.py), so /health never queues behind reports holding Starlette's threads
    return await request.app.state.health_probe.answer()


@router.get("/datasets", response_model=report_model(reads.datasets), responses={**error_responses(422), **FILE_RESPONSES})
def datasets(request: Request, reports: ReportsDep, format: FormatQuery = None) -> Response:
    """The datasets loaded into the store: name, source, kind, when (UTC), content hash, counts."""
    return reports.present(request, format, reads.datasets)


@router.get("/stats", response_model=report_model(reads.stats), responses={**error_responses(422), **FILE_RESPONSES})
def stats(request: Request, reports: ReportsDep, format: FormatQuery = None) -> Response:
    """Nodes per kind and relationships per type (every known one, 0 when absent)."""
    return reports.present(request, format, reads.stats)
