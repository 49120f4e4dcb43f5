"""The briefing of one region: the gaps, bottlenecks and ties reports put together for a
promotion office to hand up (``chainx report``, ``GET /regions/{id}/report``).

Nothing is computed here that an analysis does not compute: the gaps report gives the stages,
counts and gaps (with their candidates and reasons), the bottlenecks report of the region its
chokepoints, single sources and critical enterprises, the ties report the enterprise–institute
ties. This module picks the first ``top`` gaps and the first ``top`` bottlenecks of each kind
(both reports list them best first), the ties rows of the region's enterprises, the names of the
candidates' regions, and counts the institutes located in the region; viz/report.py lays the result out as HTML, Word or PDF.
"""

from __future__ import annotations

from ..params import BRIEFING_TOP, CHAIN_SCOPE
from ..regions import enterprises_in, region_descendants
from ..reports import BriefingReport
from ..store.base import GraphStore
from .bottlenecks import bottlenecks
from .gaps import gaps
from .ties import ties_report

__all__ = ["briefing"]


def briefing(store: GraphStore, region: str, *, min_firms: int = 2, top_candidates: int = 5, top: int = 10, lang: str | None = None,
             scope: str = "auto", scope_depth: int | None = None, source: str | None = None, sink: str | None = None,
             rollup: str = "auto", chain: str | None = None) -> BriefingReport:
    """The briefing of ``region``: its gaps report, its bottlenecks report and the ties report,
    with the first ``top`` gaps and bottlenecks of each kind picked out.

    Parameters
    ----------
    store : GraphStore
    region : str
        A region id or name; NotFound with the nearest names otherwise (as the gaps report says).
    min_firms, top_candidates, lang, scope, scope_depth, source, sink, rollup, chain
        As for :func:`graph.analysis.gaps.gaps` (the bottlenecks report reads the same chain scope).
    top : int
        Gaps shown, and bottlenecks of each kind.
    """
    top = BRIEFING_TOP.check(top)
    version = store.version()  # before the reports: the version they are computed at
    chain_scope = {"scope": scope, "scope_depth": scope_depth, "source": source, "sink": sink, "rollup": rollup, "chain": chain}
    gaps_report = gaps(store, region, min_firms=min_firms, top_candidates=top_candidates, lang=lang, **chain_scope)
    region_id = gaps_report.region
    bottlenecks_report = bottlenecks(store, region_id, lang=gaps_report._lang, **chain_scope)
    ties = ties_report(store, lang=gaps_report._lang)
    local = enterprises_in(store, region_id)
    regions = region_descendants(store, region_id)
    institutes = sum(1 for node in store.nodes(["Institute"]) if node.props.get("region") in regions)
    picked = []
    for kind in bottlenecks_report.counts:
        picked += [item for item in bottlenecks_report.items if item.kind == kind][:top]
    located = {c.region for gap in gaps_report.gaps[:top] for c in gap.candidates if c.region}
    region_names = {node.id: node.name for node in store.nodes(["Region"], ids=sorted(located))} if located else {}
    parameters = {"region": region_id, "min_firms": min_firms, "top_candidates": top_candidates, "top": top, "lang": gaps_report._lang,
                  **{name: value for name, value in chain_scope.items() if value is not None and name in CHAIN_SCOPE}}
    report = BriefingReport.model_construct(
        region=region_id, region_name=gaps_report.region_name, data_version=version, institutes=institutes, top=top,
        parameters=parameters, gaps=gaps_report, top_gaps=gaps_report.gaps[:top], bottlenecks=bottlenecks_report,
        top_bottlenecks=picked, ties=ties.summary, region_ties=[row for row in ties.enterprises if row.enterprise in local], region_names=region_names,
    )
    report._lang = gaps_report._lang
    return report
