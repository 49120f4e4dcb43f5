"""The briefing of one region: the gaps, bottlenecks and ties reports put together for a
promotion office to hand up (``chainx report``, ``GET /regions/{id}/report``).

Nothing is computed here that an analysis does not compute: the gaps report gives the stages,
counts and gaps (with their candidates and reasons), the bottlenecks report of the region its
chokepoints, single sources and critical enterprises, the ties report the enterprise–institute
ties. This module picks the first ``top`` gaps and the first ``top`` bottlenecks of each kind
(both reports list them best first), the ties rows of the region's enterprises, the names of the
candidates' regions, and counts the institutes located in the region; with ``peers``, the
compare report of the region and its peers on the same chain scope (its ``top`` busiest stages);
and the chain map, the gaps report's stages placed by :func:`graph.views_data.chain_layout` as the
chain view places them. viz/report.py lays the result out as HTML, Word or PDF.
"""

from __future__ import annotations

from ..errors import InvalidParameter
from ..names import resolve
from ..params import BRIEFING_PEERS, BRIEFING_TOP, CHAIN_SCOPE
from ..regions import enterprises_in, region_descendants
from ..reports import BriefingReport, ChainMap, MapStage
from ..scope import chain_in_scope
from ..store.base import GraphStore
from .bottlenecks import bottlenecks
from .gaps import compare, gaps
from .ties import ties_report

__all__ = ["briefing"]


def briefing(store: GraphStore, region: str, *, min_firms: int = 2, top_candidates: int = 5, top: int = 10, lang: str | None = None,
             scope: str = "auto", scope_depth: int | None = None, source: str | None = None, sink: str | None = None,
             rollup: str = "auto", pairs: str = "keep", chain: str | None = None, peers: str | list[str] | None = None) -> BriefingReport:
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
        Gaps shown, bottlenecks of each kind, and stages compared with the peers.
    peers : str or list of str, optional
        Peer regions (ids or names, comma-separated in one string or a list): the briefing holds
        :func:`graph.analysis.gaps.compare` of the region and them, with the same chain scope.
    """
    top = BRIEFING_TOP.check(top)
    peer_ids = []
    if peers is not None:
        peer_ids = [resolve(store, peer, ["Region"], parameter="peers", what="peer region") for peer in BRIEFING_PEERS.check(peers)]
    version = store.version()  # before the reports: the version they are computed at
    chain_scope = {"scope": scope, "scope_depth": scope_depth, "source": source, "sink": sink, "rollup": rollup, "pairs": pairs, "chain": chain}
    gaps_report = gaps(store, region, min_firms=min_firms, top_candidates=top_candidates, lang=lang, **chain_scope)
    region_id = gaps_report.region
    bottlenecks_report = bottlenecks(store, region_id, lang=gaps_report._lang, **chain_scope)
    ties = ties_report(store, lang=gaps_report._lang)
    compared = None
    if peer_ids:
        repeated = sorted({p for p in peer_ids if p == region_id or peer_ids.count(p) > 1})
        if repeated:
            raise InvalidParameter("peers", f"each peer once, and not the region itself: {', '.join(repeated)}")
        compared = compare(store, [region_id, *peer_ids], min_firms=min_firms, top=top, lang=gaps_report._lang, **chain_scope)
    chain_map = _chain_map(store, gaps_report, region_id, chain_scope)
    local = enterprises_in(store, region_id)
    regions = region_descendants(store, region_id)
    institutes = sum(1 for node in store.nodes(["Institute"]) if node.props.get("region") in regions)
    picked = []
    for kind in bottlenecks_report.counts:
        picked += [item for item in bottlenecks_report.items if item.kind == kind][:top]
    located = {c.region for gap in gaps_report.gaps[:top] for c in gap.candidates if c.region} | set(peer_ids)
    region_names = {node.id: node.name for node in store.nodes(["Region"], ids=sorted(located))} if located else {}
    parameters = {"region": region_id, "min_firms": min_firms, "top_candidates": top_candidates, "top": top, "lang": gaps_report._lang,
                  **({"peers": ",".join(peer_ids)} if peer_ids else {}),
                  **{name: value for name, value in chain_scope.items() if value is not None and name in CHAIN_SCOPE}}
    report = BriefingReport.model_construct(
        region=region_id, region_name=gaps_report.region_name, data_version=version, institutes=institutes, top=top,
        parameters=parameters, gaps=gaps_report, top_gaps=gaps_report.gaps[:top], bottlenecks=bottlenecks_report,
        top_bottlenecks=picked, ties=ties.summary, region_ties=[row for row in ties.enterprises if row.enterprise in local], region_names=region_names,
        chain_map=chain_map, peers=compared,
    )
    report._lang = gaps_report._lang
    return report


def _chain_map(store: GraphStore, report, region: str, chain_scope: dict) -> ChainMap:
    """The gaps report's stages where the chain view places them, and the FEEDS links among them
    (as :func:`graph.views_data.chain_view` draws them: the report's chain scope, cached)."""
    from ..views_data import chain_layout

    scoping = {name: value for name, value in chain_scope.items() if name != "scope_depth"}
    chain, _ = chain_in_scope(store, regions=region_descendants(store, region), depth=chain_scope["scope_depth"], **scoping)
    layout = chain_layout(store, chain)
    stages = [MapStage.model_construct(stage=row.stage, name=row.name, tier=row.tier, status=row.status, local_enterprises=row.local_enterprises,
                                       **layout[row.stage]) for row in report.stages]
    drawn = {s.stage for s in stages}
    links = [(u, v) for u, v in sorted(chain.graph.edges) if u in drawn and v in drawn]
    return ChainMap.model_construct(stages=stages, links=links)
