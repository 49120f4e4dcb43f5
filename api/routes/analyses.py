"""The analyses: gaps, relatedness, comparison, bottlenecks, what-if, centrality and ties.

Each route parses its parameters and calls the function of graph/analysis that the CLI calls too,
through the app's cache (a repeated report with the store unchanged costs one lookup).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from graph import __version__
from graph import params as P
from graph.analysis.bottlenecks import bottlenecks, whatif
from graph.analysis.briefing import briefing
from graph.analysis.centrality import centrality, property_name, write_back
from graph.analysis.diff import diff
from graph.analysis.gaps import compare, gaps
from graph.analysis.related import related
from graph.analysis.ties import ties_report
from graph.reports import CentralityReport, report_model

from ..deps import HandleDep, Reports, ReportsDep, SettingsDep, _ascii, require_api_key
from ..models import (
    GraphName,
    Kind,
    Metric,
    WhatIfRequest,
    WriteBackRequest,
    WriteBackResult,
    error_responses,
)
from ..params import FILE_RESPONSES, ChainScope, FormatQuery, LangQuery, SectionQuery, asked_lang, path, query
from ..settings import Settings
from ..snapshot import SnapshotRoute

__all__ = ["router"]

router = APIRouter(route_class=SnapshotRoute, tags=["analyses"], responses=error_responses(404, 422, 500, 503))

RegionId = Annotated[str, path(P.REGION)]
RegionQuery = Annotated[str | None, query(P.REGION, description="Only this region (and below).")]


@router.get("/regions/{region:path}/gaps", response_model=report_model(gaps), responses=FILE_RESPONSES)  # :path: ids may hold slashes
def region_gaps(
    request: Request,
    reports: ReportsDep,
    scope: ChainScope,
    region: RegionId,
    min_firms: Annotated[int, query(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top_candidates: Annotated[int, query(P.TOP_CANDIDATES)] = P.TOP_CANDIDATES.default,
    top: Annotated[int | None, query(P.LISTING_TOP)] = P.LISTING_TOP.default,
    lang: LangQuery = P.LANG.default,
    groups: Annotated[bool, query(P.GROUPS)] = P.GROUPS.default,
    format: FormatQuery = None,
    section: SectionQuery = None,
) -> Response:
    """Missing and weak stages of a region's chain (补链 / 延链 / 强链), scored, with candidates to attract."""
    return reports.present(request, format, gaps, region, section=section, min_firms=min_firms, top_candidates=top_candidates, top=top,
                           lang=asked_lang(request, lang), groups=groups, **scope)


_BRIEFING_TYPES = {media.split(";")[0]: name for name, media in P.BRIEFING_MEDIA_TYPES.items()}
BriefingFormatQuery = Annotated[Literal[P.BRIEFING_FORMAT.choices] | None, query(P.BRIEFING_FORMAT)]


# declared before the gaps route's neighbour: {region:path} would otherwise take "tianmen/report" as a region id
@router.get("/regions/{region:path}/report", response_class=Response, responses={**error_responses(406), 200: {
    "model": report_model(briefing),  # the JSON; the documents are files
    "content": {media.split(";")[0]: {"schema": {"type": "string"}} for name, media in P.BRIEFING_MEDIA_TYPES.items() if name != "json"},
    "description": "The briefing of the region: html (default), docx, pdf, xlsx or json, by format= or the Accept header."}})
def region_report(
    request: Request,
    reports: ReportsDep,
    scope: ChainScope,
    region: RegionId,
    min_firms: Annotated[int, query(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top_candidates: Annotated[int, query(P.TOP_CANDIDATES)] = P.TOP_CANDIDATES.default,
    top: Annotated[int, query(P.BRIEFING_TOP)] = P.BRIEFING_TOP.default,
    peers: Annotated[str | None, query(P.BRIEFING_PEERS)] = None,
    lang: LangQuery = P.LANG.default,
    format: BriefingFormatQuery = None,
) -> Response:
    """A briefing of the region to hand up: summary, chain map and panorama, top gaps and candidates, bottlenecks, the comparison
    with the peers, ties, method."""
    import datetime

    from viz.report import render

    if format is None:
        accepted = [part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(",")]
        format = next((_BRIEFING_TYPES[t] for t in accepted if t in _BRIEFING_TYPES), "html")
    about = {"report": f"{request.method} {request.url.path}", "chainx": __version__, "data version": reports.store.version(),
             **{name: value for name, value in request.query_params.multi_items() if name != "format"}}
    today = datetime.date.today().isoformat()
    # made once per store version, format and day (a PDF costs a Chromium run)
    body = reports.cache.rendered(reports.store, lambda report: render(report, format, date=today, about=about), ("briefing", format, today),
                                  briefing, region, min_firms=min_firms, top_candidates=top_candidates, top=top,
                                  peers=peers, lang=asked_lang(request, lang), **scope)
    headers = {} if format in ("html", "json") else {"Content-Disposition": f'attachment; filename="{_ascii(region)}-report.{format}"'}
    return Response(body, media_type=P.BRIEFING_MEDIA_TYPES[format], headers=headers)


@router.get("/regions/{region:path}/related", response_model=report_model(related), responses=FILE_RESPONSES)
def region_related(
    request: Request,
    reports: ReportsDep,
    scope: ChainScope,
    region: RegionId,
    level: Annotated[str | None, query(P.REGION_LEVEL)] = None,
    measure: Annotated[str, query(P.MEASURE)] = P.MEASURE.default,
    presence: Annotated[str, query(P.PRESENCE)] = P.PRESENCE.default,
    top: Annotated[int, query(P.RELATED_TOP)] = P.RELATED_TOP.default,
    peers: Annotated[int, query(P.PEERS)] = P.PEERS.default,
    lang: LangQuery = P.LANG.default,
    format: FormatQuery = None,
    section: SectionQuery = None,
) -> Response:
    """Missing stages a region could grow, ranked by relatedness density, and its peer regions."""
    return reports.present(request, format, related, region, section=section, level=level, measure=measure, presence=presence,
                           top=top, peers=peers, lang=asked_lang(request, lang), **scope)


@router.get("/compare", response_model=report_model(compare), responses=FILE_RESPONSES)
def compare_regions(
    request: Request,
    reports: ReportsDep,
    scope: ChainScope,
    regions: Annotated[str, query(P.REGIONS)],
    min_firms: Annotated[int, query(P.MIN_FIRMS)] = P.MIN_FIRMS.default,
    top: Annotated[int | None, query(P.LISTING_TOP)] = P.LISTING_TOP.default,
    peers: Annotated[int, query(P.COMPARE_PEERS)] = P.COMPARE_PEERS.default,
    lang: LangQuery = P.LANG.default,
    format: FormatQuery = None,
    section: SectionQuery = None,
) -> Response:
    """Stage-by-stage coverage of several regions side by side (and, with peers, the regions most like each)."""
    ids = P.split_list(regions)
    return reports.present(request, format, compare, ids, section=section, min_firms=min_firms, top=top, peers=peers,
                           lang=asked_lang(request, lang), **scope)


@router.get("/bottlenecks", response_model=report_model(bottlenecks), responses=FILE_RESPONSES)
def get_bottlenecks(
    request: Request,
    reports: ReportsDep,
    settings: SettingsDep,
    scope: ChainScope,
    region: RegionQuery = None,
    hhi_threshold: Annotated[float, query(P.HHI_THRESHOLD)] = P.HHI_THRESHOLD.default,
    min_firms: Annotated[int, query(P.CRITICAL_MIN_FIRMS)] = P.CRITICAL_MIN_FIRMS.default,
    top: Annotated[int | None, query(P.LISTING_TOP)] = P.LISTING_TOP.default,
    lang: LangQuery = P.LANG.default,
    format: FormatQuery = None,
) -> Response:
    """Chokepoint stages, single-source stages and critical enterprises, each with the reasons."""
    return reports.present(request, format, bottlenecks, region, hhi_threshold=hhi_threshold, min_firms=min_firms, top=top,
                           lang=asked_lang(request, lang), max_listed=settings.max_listed_items, **scope)


@router.post("/whatif", response_model=report_model(whatif), responses={**error_responses(400, 413), **FILE_RESPONSES})
def post_whatif(request: Request, reports: ReportsDep, body: WhatIfRequest, format: FormatQuery = None) -> Response:
    """What the chain loses if these nodes (enterprises, stages, ...) were taken out."""
    return reports.present(request, format, whatif, body.remove, given=body.model_dump(), region=body.region, min_firms=body.min_firms,
                           lang=asked_lang(request, body.lang), **body.model_dump(include=set(P.CHAIN_SCOPE)))


@router.get(
    "/centrality",
    response_model=report_model(centrality),
    responses=FILE_RESPONSES,
)
def get_centrality(
    request: Request,
    reports: ReportsDep,
    settings: SettingsDep,
    metric: Metric,
    graph: GraphName = GraphName("all"),
    kind: Annotated[Kind | None, Query(description="List only nodes of this kind.")] = None,
    region: RegionQuery = None,
    top: Annotated[int, query(P.CENTRALITY_TOP)] = P.CENTRALITY_TOP.default,
    k: Annotated[int | None, query(P.SAMPLES)] = P.SAMPLES.default,
    seed: Annotated[int | None, query(P.SEED)] = P.SEED.default,
    engine: Annotated[str, query(P.ENGINE)] = P.ENGINE.default,
    format: FormatQuery = None,
):
    """Rank nodes of a projection by a NetworkX centrality measure; JSON, CSV or xlsx."""
    return reports.present(request, format, centrality, metric.value, graph.value, **_centrality_options(
        settings, kind=kind, region=region, top=top, k=k, seed=seed, engine=engine))


def _centrality_options(settings: Settings, *, kind: Kind | None = None, region: str | None = None, top: int = 20,
                        k: int | None = None, seed: int | None = None, engine: str = P.ENGINE.default) -> dict:
    return {"kind": kind.value if kind else None, "region": region, "top": top, "k": k, "seed": seed,
            "max_seconds": settings.max_centrality_seconds, "engine": engine}


def _centrality(reports: Reports, settings: Settings, metric: Metric, graph: GraphName, **options) -> CentralityReport:
    return reports(centrality, metric.value, graph.value, **_centrality_options(settings, **options))


@router.post(
    "/centrality/write-back",
    response_model=WriteBackResult,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(400, 401, 403, 409, 413, 507),
)
def post_write_back(handle: HandleDep, reports: ReportsDep, settings: SettingsDep, body: WriteBackRequest) -> dict:
    """Store a metric's values on every node of the projection as ``centrality_<metric>_<graph>``."""
    # the report first: it enforces the time limit, and write_back reuses its cached values
    report = _centrality(reports, settings, body.metric, body.graph, top=1, k=body.k, seed=body.seed)
    with handle.writer() as store:
        count = write_back(store, report)
        version = store.version()
    return {"metric": report.metric, "graph": report.graph, "property": property_name(report.metric, report.graph),
            "nodes": count, "version": version}


# exclude_unset: "focus" is there only with an institute, as in the report itself
@router.get("/ties", response_model=report_model(ties_report), response_model_exclude_unset=True, responses=FILE_RESPONSES)
def get_ties(
    request: Request,
    reports: ReportsDep,
    settings: SettingsDep,
    institute: Annotated[str | None, Query(min_length=1, max_length=200, description="Focus on this institute.", examples=["i_donghua_university"])] = None,
    seed: Annotated[int, query(P.COMMUNITY_SEED)] = P.COMMUNITY_SEED.default,
    top: Annotated[int, query(P.TIES_TOP)] = P.TIES_TOP.default,
    tie_types: Annotated[str | None, query(P.TIE_TYPES)] = None,
    groups: Annotated[bool, query(P.GROUPS)] = P.GROUPS.default,
    lang: LangQuery = P.LANG.default,
    format: FormatQuery = None,
    section: SectionQuery = None,
) -> Response:
    """Enterprise–institute ties (counts, projections, communities, brokers, research gaps) and firm ties."""
    return reports.present(request, format, ties_report, section=section, institute=institute, seed=seed, top=top,
                           tie_types=P.split_list(tie_types) if tie_types else None, groups=groups, lang=asked_lang(request, lang),
                           max_seconds=settings.max_ties_seconds)


@router.get("/diff", response_model=report_model(diff), responses=FILE_RESPONSES)
def get_diff(
    request: Request,
    reports: ReportsDep,
    date_from: Annotated[str, query(P.DIFF_FROM, alias="from")],
    date_to: Annotated[str, query(P.DIFF_TO, alias="to")],
    region: RegionQuery = None,
    top: Annotated[int, query(P.CENTRALITY_TOP)] = P.CENTRALITY_TOP.default,
    format: FormatQuery = None,
    section: SectionQuery = None,
) -> Response:
    """What changed from one day to another: nodes, relationships, gaps (with a region), bottlenecks, degree ranks."""
    return reports.present(request, format, diff, date_from, date_to, region, section=section, top=top)
