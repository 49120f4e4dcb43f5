"""The interactive views: HTML pages drawn by viz/ from the payloads of graph/views_data.py.

Every view has a JSON twin: the same URL with ``?format=json`` returns the payload the page was
drawn from. A missing node or region, or a bad parameter, gives an HTML error page with the
status the JSON API would give (JSON with ``?format=json``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse

from graph import params as P
from graph import views_data
from graph.errors import InvalidParameter, NotFound
from viz.pages import index_page, render, search_page

from ..deps import ReportsDep, SettingsDep, StoreDep
from ..errors import status_of
from ..models import error_responses
from ..params import ChainScope, query
from ..snapshot import SnapshotRoute

__all__ = ["router", "BASE"]


def _view_errors(*codes: int) -> dict:
    """Error responses of a view: the API's JSON error with ?format=json, else an HTML page.
    (ErrorResponse is in the schema's components: every other route declares it.)"""
    responses = error_responses(*codes)
    for response in responses.values():
        # described by hand: a "model" would also be claimed for the HTML page
        response.pop("model", None)
        response["content"] = {
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}},
            "text/html": {"schema": {"type": "string"}},
        }
    return responses


router = APIRouter(route_class=SnapshotRoute, tags=["views"], responses=_view_errors(404, 422, 500, 503))

BASE = "/views"


class ViewFormat(str, Enum):
    html = "html"
    json = "json"


FormatQuery = Annotated[ViewFormat, Query(alias="format", description="html (the page) or json (the payload it is drawn from).")]
RegionQuery = Annotated[str, query(P.REGION)]
_HTML = {200: {"content": {"text/html": {}, "application/json": {}}, "description": "The page, or its payload with ?format=json."}}


def _error_page(status: int, message: str) -> HTMLResponse:
    text = html.escape(message)
    body = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>chainx: error</title>'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<style>body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",'
        '"WenQuanYi Micro Hei",sans-serif;margin:2em}</style></head>'
        f'<body><h1>{status}</h1><p id="error">{text}</p><p><a href="{BASE}">← All views 全部视图</a></p></body></html>'
    )
    return HTMLResponse(body, status_code=status)


def _respond(format: ViewFormat, build: Callable[[], dict], page: Callable[[dict], str]) -> Any:
    try:
        payload = build()
    except (NotFound, InvalidParameter) as error:
        if format == ViewFormat.json:
            raise
        return _error_page(status_of(error), str(error))
    if format == ViewFormat.json:
        return JSONResponse(payload)
    return HTMLResponse(page(payload))


def _page(payload: dict) -> str:
    return render(payload, base=BASE)


def _optional(value: str | None) -> str | None:
    # an empty choice in a form ("All regions") means no filter
    return value.strip() or None if value is not None else None


@router.get("/", response_class=HTMLResponse, responses=_HTML, include_in_schema=False)
@router.get(BASE, response_class=HTMLResponse, responses=_HTML)
def index(reports: ReportsDep, format: FormatQuery = ViewFormat.html):
    """The start page: a search box, a region picker and links to every view."""
    return _respond(format, lambda: reports(views_data.index_view), lambda p: index_page(p, base=BASE))


@router.get(f"{BASE}/search", response_class=HTMLResponse, responses=_HTML)
def search(
    store: StoreDep,
    reports: ReportsDep,
    q: Annotated[str, Query(max_length=200, description="Text in an id, name, English name or alias.")] = "",
    format: FormatQuery = ViewFormat.html,
):
    """Nodes matching the text, each linking to its neighbourhood view."""
    return _respond(
        format,
        lambda: views_data.search_view(store, q),
        lambda p: search_page(p, base=BASE, index=reports(views_data.index_view)),
    )


@router.get(f"{BASE}/chain", response_class=HTMLResponse, responses=_HTML)
def chain(
    reports: ReportsDep,
    scope: ChainScope,
    region: RegionQuery,
    min_firms: Annotated[int, query(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top_candidates: Annotated[int, query(P.TOP_CANDIDATES)] = P.TOP_CANDIDATES.default,
    format: FormatQuery = ViewFormat.html,
):
    """The chain map of a region: stages upstream → downstream, coloured by status, gaps marked."""
    return _respond(format, lambda: reports(views_data.chain_view, region, min_firms=min_firms, top_candidates=top_candidates, **scope), _page)


@router.get(f"{BASE}/compare", response_class=HTMLResponse, responses=_HTML)
def compare(
    reports: ReportsDep,
    regions: Annotated[list[str], Query(min_length=1, max_length=int(P.VIEW_REGIONS.maximum),
                                        description=P.VIEW_REGIONS.help + " Or repeated: regions=a&regions=b.")],
    min_firms: Annotated[int, query(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    format: FormatQuery = ViewFormat.html,
):
    """Chain maps of two to four regions on one layout, with their coverage side by side."""
    ids = tuple(P.split_list(regions))
    return _respond(format, lambda: reports(views_data.compare_view, ids, min_firms=min_firms), _page)


@router.get(f"{BASE}/panorama", response_class=HTMLResponse, responses=_HTML)
def panorama(
    reports: ReportsDep,
    scope: ChainScope,
    region: RegionQuery,
    min_firms: Annotated[int, query(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top: Annotated[int, query(P.PANORAMA_TOP)] = P.PANORAMA_TOP.default,
    format: FormatQuery = ViewFormat.html,
):
    """The chain panorama of a region (产业链全景图): a box per stage in upstream to downstream columns, static to print."""
    return _respond(format, lambda: reports(views_data.panorama_view, region, min_firms=min_firms, top=top, **scope), _page)


@router.get(f"{BASE}/heatmap", response_class=HTMLResponse, responses=_HTML)
def heatmap(
    reports: ReportsDep,
    scope: ChainScope,
    regions: Annotated[str | None, query(P.HEATMAP_REGIONS)] = None,
    top_regions: Annotated[int, query(P.HEATMAP_TOP)] = P.HEATMAP_TOP.default,
    min_firms: Annotated[int, query(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    format: FormatQuery = ViewFormat.html,
):
    """Regions as rows, stages as columns, each cell a region's enterprises in a stage."""
    chosen = tuple(P.split_list(regions)) if regions else None
    return _respond(format, lambda: reports(views_data.heatmap_view, chosen, top_regions=top_regions, min_firms=min_firms, **scope), _page)


@router.get(f"{BASE}/snapshot", response_class=HTMLResponse, responses=_HTML)
def snapshot(
    reports: ReportsDep,
    region: Annotated[str, query(P.REGION)],
    date_from: Annotated[str, query(P.DIFF_FROM, alias="from")],
    date_to: Annotated[str, query(P.DIFF_TO, alias="to")],
    min_firms: Annotated[int, query(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    format: FormatQuery = ViewFormat.html,
):
    """A region's chain map on two days side by side, with the gaps closed and opened between them."""
    return _respond(format, lambda: reports(views_data.snapshot_view, region, date_from, date_to, min_firms=min_firms), _page)


@router.get(f"{BASE}/ego/{{kind}}/{{node_id:path}}", response_class=HTMLResponse, responses=_HTML)
def ego(
    reports: ReportsDep,
    kind: Annotated[str, Path(max_length=20, description="The node's kind: stage, enterprise, institute, park or region.")],
    node_id: Annotated[str, Path(min_length=1, max_length=500, description="The node's id.")],
    depth: Annotated[int, query(P.DEPTH)] = P.DEPTH.default,
    tie_types: Annotated[str | None, query(P.TIE_TYPES)] = None,
    format: FormatQuery = ViewFormat.html,
):
    """A node and its neighbourhood, coloured by kind, edges labelled by relationship type."""
    chosen = P.split_list(tie_types) if tie_types else None
    return _respond(format, lambda: reports(views_data.ego_view, node_id, depth=depth, kind=kind, tie_types=chosen), _page)


@router.get(f"{BASE}/ties", response_class=HTMLResponse, responses=_HTML)
def ties(
    reports: ReportsDep,
    settings: SettingsDep,
    institute: Annotated[str | None, Query(max_length=200, description="Keep one institute, its enterprises and their other institutes.")] = None,
    seed: Annotated[int, query(P.COMMUNITY_SEED)] = P.COMMUNITY_SEED.default,
    format: FormatQuery = ViewFormat.html,
):
    """Enterprises and institutes, coloured by community, brokers emphasised."""
    return _respond(format, lambda: reports(views_data.ties_view, institute=_optional(institute), seed=seed,
                                                   max_seconds=settings.max_ties_seconds), _page)


@router.get(f"{BASE}/bottlenecks", response_class=HTMLResponse, responses=_HTML)
def bottlenecks(
    reports: ReportsDep,
    region: Annotated[str | None, Query(max_length=200, description="Region id; the whole graph when absent.")] = None,
    format: FormatQuery = ViewFormat.html,
):
    """The supply network with chokepoint stages and critical enterprises highlighted."""
    return _respond(format, lambda: reports(views_data.bottlenecks_view, region=_optional(region)), _page)


@router.get(f"{BASE}/related", response_class=HTMLResponse, responses=_HTML)
def related(
    reports: ReportsDep,
    region: Annotated[str, query(P.REGION)],
    level: Annotated[str | None, query(P.REGION_LEVEL)] = None,
    measure: Annotated[str, query(P.MEASURE)] = P.MEASURE.default,
    presence: Annotated[str, query(P.PRESENCE)] = P.PRESENCE.default,
    top: Annotated[int, query(P.RELATED_TOP)] = P.RELATED_TOP.default,
    format: FormatQuery = ViewFormat.html,
):
    """The stage space by proximity: the region's present stages filled, its feasible ones ringed."""
    return _respond(format, lambda: reports(views_data.related_view, region, level=level, measure=measure, presence=presence, top=top), _page)
