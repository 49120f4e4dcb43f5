"""The payloads behind the interactive views: what each picture shows, as plain JSON.

Every view in viz/ is drawn from one of these payloads, and the API serves the same payload as
the view's JSON twin, so whatever a picture shows can be checked in its JSON. Everything that
selects, counts or ranks lives here, and the chain map's columns; viz/ only turns a payload into
colours, shapes, text and (past a few hundred nodes) plain geometry.

Big graphs are cut to ``limit`` nodes (default :data:`NODE_LIMIT`), keeping the most relevant
part; the payload's ``omitted`` says what was left out and why, and the page says it too.

>>> from graph.views_data import NODE_LIMIT
>>> NODE_LIMIT
2000
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import networkx as nx

from .checks import whole_number
from .errors import InvalidParameter
from .model import LABELS, Node, Relationship
from .names import resolve
from .neighbourhood import MAX_DEPTH, check_depth, ring_beyond, rings
from .params import VIEW_REGIONS, split_list
from .projection import projection
from .regions import check_region, enterprises_in, region_descendants
from .store.base import GraphStore
from .store.queries import Link, queries
from .store.reads import get_node, stats

__all__ = [
    "NODE_LIMIT",
    "MAX_DEPTH",
    "VIEWS",
    "label_for_kind",
    "index_view",
    "search_view",
    "ego_view",
    "FOLD_ABOVE",
    "FOLD_KEEP",
    "chain_layout",
    "chain_view",
    "compare_view",
    "ties_view",
    "community_layout",
    "BROKERS_TOP",
    "bottlenecks_view",
    "PANORAMA_COLUMNS",
    "panorama_view",
    "heatmap_view",
]

NODE_LIMIT = 2000

# The views the index page links to: (name, title, what it needs).
VIEWS: tuple[tuple[str, str, str], ...] = (
    ("chain", "Chain map of a region", "region"),
    ("compare", "Two regions compared", "two regions"),
    ("ego", "A node and its neighbourhood", "search for it above"),
    ("ties", "Enterprise–institute ties", ""),
    ("bottlenecks", "Bottlenecks on the supply network", "region (optional)"),
    ("panorama", "Chain panorama of a region 产业链全景图", "region"),
    ("heatmap", "Regions × stages heat map 区域热力图", ""),
)

# Properties worth showing when a person hovers a node; the rest stays in the store.
_DETAIL_PROPS = (
    "name_en",
    "tier",
    "parent",
    "region",
    "park",
    "level",
    "kind",
    "revenue_cny",
    "employees",
    "founded",
    "tags",
    "aliases",
    "description",
)


def label_for_kind(kind: str) -> str:
    """The node label a URL or CLI ``kind`` names, case-insensitively ("enterprise" → "Enterprise")."""
    for label in LABELS:
        if kind.strip().lower() == label.lower():
            return label
    raise InvalidParameter("kind", f"unknown node kind {kind!r}; expected one of {', '.join(known.lower() for known in LABELS)}")


def _node_entry(node: Node, **extra) -> dict:
    details = {key: node.props[key] for key in _DETAIL_PROPS if node.props.get(key) not in (None, "", [])}
    return {"id": node.id, "name": node.name, "kind": node.label, "details": details, **extra}


def _region_names(store: GraphStore, ids: Iterable[str] | None = None) -> dict[str, str]:
    """Region id -> its name, so views show 盛泽镇 rather than ``shengze``; only ``ids`` when given."""
    return {n.id: n.name for n in store.nodes(["Region"], ids=ids)}


def _rel_entry(rel: Relationship | Link) -> dict:
    return {"type": rel.type, "source": rel.source, "target": rel.target, "key": rel.key}


# -- index and search --------------------------------------------------------------------------
def index_view(store: GraphStore) -> dict:
    """What the index page offers: the views, the regions to pick from, institutes, counts.

    Regions are listed as a tree walk (a province, then its cities, then their towns), each with
    its depth, so a picker can indent them. ``featured`` names the (up to) two regions holding
    the most enterprises directly, which the pickers start on.
    """
    regions = {n.id: n for n in store.nodes(["Region"])}
    children: dict[str | None, list[str]] = defaultdict(list)
    for region in regions.values():
        parent = region.props.get("parent")
        children[parent if parent in regions else None].append(region.id)
    ordered: list[dict] = []

    def walk(parent: str | None, depth: int) -> None:
        for region_id in sorted(children.get(parent, []), key=lambda r: (regions[r].name, r)):
            node = regions[region_id]
            ordered.append({"id": node.id, "name": node.name, "level": node.props.get("level"), "depth": depth})
            walk(region_id, depth + 1)

    walk(None, 0)
    # the regions the pickers start on: those holding the most enterprises themselves
    firms = defaultdict(int)
    for node in store.nodes(["Enterprise"]):
        if node.props.get("region") in regions:
            firms[node.props["region"]] += 1
    featured = sorted(regions, key=lambda r: (-firms[r], r))[:2]
    institutes = sorted(({"id": n.id, "name": n.name} for n in store.nodes(["Institute"])), key=lambda i: (i["name"], i["id"]))
    return {
        "view": "index",
        "views": [{"view": v, "title": t, "needs": needs} for v, t, needs in VIEWS],
        "regions": ordered,
        "featured": featured,
        "institutes": institutes,
        "stats": stats(store).to_dict(),
    }


def search_view(store: GraphStore, text: str, *, limit: int = 50) -> dict:
    """Nodes matching ``text`` (id, name, English name or alias), best first, for the search page."""
    text = (text or "").strip()
    if not text:
        return {"view": "search", "query": "", "total": 0, "results": []}
    total, hits = store.search(text, limit=whole_number("limit", limit))
    return {"view": "search", "query": text, "total": total, "results": [_node_entry(n) for n in hits]}


# -- ego network -------------------------------------------------------------------------------
def ego_view(store: GraphStore, node_id: str, *, depth: int = 1, kind: str | None = None, limit: int = NODE_LIMIT,
             tie_types: Iterable[str] | None = None) -> dict:
    """A node, everything within ``depth`` relationships of it (either direction), and every
    relationship among those nodes (the subgraph they induce, like ``networkx.ego_graph``).
    ``tie_types`` keeps only these of the firm ties (COOPERATES_WITH, CONTROLS, ...): the others are
    neither followed nor drawn; every other relationship type is.

    Each node carries its ``distance`` (relationships from the centre). When the neighbourhood
    holds more than ``limit`` nodes, the outermost rings are dropped (the depth is reduced);
    if even the first ring is too big, its best-connected nodes are kept. ``omitted`` counts what
    was left out.

    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> import tempfile, os
    >>> store = SqliteStore(os.path.join(tempfile.mkdtemp(), "g.db"), create=True)
    >>> _ = store.write(GraphData([Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B")],
    ...                           [Relationship("SUPPLIES", "a", "b")]))
    >>> view = ego_view(store, "a")
    >>> [(n["id"], n["distance"]) for n in view["nodes"]], len(view["relationships"])
    ([('a', 0), ('b', 1)], 1)
    """
    from .analysis.groups import followed_types

    check_depth(depth)
    whole_number("limit", limit)
    types = followed_types(tie_types)
    label = label_for_kind(kind) if kind else None
    node_id = resolve(store, node_id, [label] if label else None, parameter="node")
    centre = get_node(store, node_id, label)
    # The shape of the neighbourhood first, from relationship identities alone (graph.neighbourhood):
    # only the nodes and relationships kept are read whole.
    inner = rings(store, node_id, depth - 1, types) if depth > 1 else None
    beyond = None
    if inner is not None and len(inner.distance) > limit:
        # the outer ring cannot be drawn: the store counts it (for the ranking and what is left
        # out) instead of handing over its relationships (10^5 on a national hub); it counts every
        # relationship type, the ties not followed too
        beyond = ring_beyond(store, inner)
        distance, keys = inner.distance, set(inner.keys)
        ties = beyond.degrees
    else:
        found = rings(store, node_id, depth, types)
        distance, keys = found.distance, set(found.keys)
        linked: dict[str, set[str]] = defaultdict(set)  # each node's neighbours within the neighbourhood searched
        for _, source, target, _ in keys:
            linked[source].add(target)
            linked[target].add(source)
        ties = {node: len(others) for node, others in linked.items()}

    shown_depth = depth
    while shown_depth > 1 and sum(1 for d in distance.values() if d <= shown_depth) > limit:
        shown_depth -= 1
    ring = sorted(
        (n for n, d in distance.items() if d <= shown_depth),
        # nearest first, then the best connected (they carry the most of the picture), then id
        key=lambda n: (distance[n], -ties.get(n, 0), n),
    )
    kept = set(ring[:limit])
    # every relationship among the kept nodes: the subgraph they induce, as networkx.ego_graph
    # gives (links among the outer ring included, which the search above did not follow)
    # their identities and strengths only: the page draws no other property of a relationship
    relationships = queries(store).links_among(kept)
    if types is not None:
        relationships = [r for r in relationships if r.type in types]
    by_id = {n.id: n for n in store.nodes(ids=kept)}
    omitted_nodes = (beyond.nodes if beyond else len(distance)) - len(kept)
    omitted = None
    if omitted_nodes:
        outer = [n for n in kept if distance[n] == depth]
        if outer:
            keys |= {k for k in queries(store).incident_keys(outer, types) if k[1] in distance and k[2] in distance}
        reasons = []
        if shown_depth < depth:
            reasons.append(f"depth reduced from {depth} to {shown_depth} to stay within {limit} nodes")
        if len(ring) > limit:
            reasons.append(f"only the {limit} best-connected nodes within depth {shown_depth} are shown")
        omitted = {
            "nodes": omitted_nodes,
            "relationships": (beyond.relationships if beyond else len(keys)) - len(relationships),
            "reason": "; ".join(reasons),
        }
    region_names = _region_names(store, {n.props["region"] for n in by_id.values() if isinstance(n.props.get("region"), str)})
    nodes = [_node_entry(by_id[n], distance=distance[n]) for n in sorted(kept, key=lambda n: (distance[n], by_id[n].label, n))]
    for node in nodes:
        region = node["details"].get("region")
        if region in region_names:
            node["region_name"] = region_names[region]
    groups = _ego_groups(centre.id, kept, distance, by_id, relationships, store)
    return {
        "view": "ego",
        "node": {"id": centre.id, "name": centre.name, "kind": centre.label},
        "depth": depth,
        "shown_depth": shown_depth,
        "limit": limit,
        "nodes": nodes,
        "relationships": [_rel_entry(r) for r in relationships],
        "omitted": omitted,
        "groups": groups,
        "folded": sum(len(g["folded"]) for g in groups),
    }


# A hub with more than FOLD_ABOVE neighbours (one ring further out) has them folded into one
# cluster per kind and stage; the FOLD_KEEP of each with the strongest ties stay drawn beside it.
FOLD_ABOVE = 40
FOLD_KEEP = 5


def _ego_groups(centre: str, kept: set[str], distance: dict[str, int], by_id: dict[str, Node],
                relationships: list[Link], store: GraphStore) -> list[dict]:
    """The ego view's clusters: each kept node belongs to the hub one ring nearer the centre that
    it has the strongest tie with; a hub's members are grouped by kind and by the stage of that
    tie (a supply's stage, an enterprise's own stage for OPERATES_IN). A hub with more than
    :data:`FOLD_ABOVE` members has each group folded but for its :data:`FOLD_KEEP` strongest
    (a group that small stays drawn whole). Groups come nearest hub first, then biggest first;
    members strongest first, then by id."""
    tie: dict[str, tuple[float, str, str | None]] = {}  # member -> (strength, hub, stage)
    for rel in relationships:
        for hub, member in ((rel.source, rel.target), (rel.target, rel.source)):
            if hub not in kept or member not in kept or distance[member] != distance[hub] + 1:
                continue
            strength = rel.strength
            stage = rel.key if rel.type == "SUPPLIES" and rel.key else (rel.target if rel.type == "OPERATES_IN" and hub == rel.target else None)
            best = tie.get(member)
            if best is None or (-strength, hub) < (-best[0], best[1]):
                tie[member] = (strength, hub, stage)
    members: dict[tuple[str, str, str | None], list[str]] = defaultdict(list)
    for member, (_, hub, stage) in tie.items():
        members[(hub, by_id[member].label, stage)].append(member)
    stages = {s for _, _, s in members if s}
    stage_names = {n.id: n.name for n in store.nodes(["Stage"], ids=stages)} if stages else {}
    around: dict[str, int] = defaultdict(int)  # each hub's members, all groups
    for (hub, _, _), ids in members.items():
        around[hub] += len(ids)
    groups = []
    for (hub, label, stage), ids in members.items():
        ids.sort(key=lambda m: (-tie[m][0], m))
        folded = ids[FOLD_KEEP:] if around[hub] > FOLD_ABOVE else []
        groups.append({"hub": hub, "kind": label, "stage": stage, "stage_name": stage_names.get(stage, stage) if stage else None,
                       "count": len(ids), "members": ids, "folded": folded})
    groups.sort(key=lambda g: (distance[g["hub"]], g["hub"] != centre, -g["count"], g["hub"], g["kind"], g["stage"] or ""))
    return groups


# -- chain map ---------------------------------------------------------------------------------
def chain_layout(store: GraphStore, chain=None) -> dict[str, dict]:
    """Where each top-level stage sits on a chain map: ``{stage id: {"column", "row", "band"}}``.

    The map shows the chain the gap analysis works on: top-level stages, sub-stages rolled up
    into them (:func:`graph.analysis.stages.stage_chain`). Columns run upstream → downstream: a
    stage's column is the length of the longest FEEDS path reaching it from a stage nobody feeds
    (cycles are collapsed first, so any stage graph lays out). Support stages (tier ``support``:
    machinery, trade, logistics...) go into a band below the main chain, in the column after the
    last stage that feeds them. Within a column stages are ordered by the mean row of their
    inputs, which keeps most links from crossing.

    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData([Node("Stage", "a", "A"), Node("Stage", "b", "B"),
    ...     Node("Stage", "m", "M", {"tier": "support"})],
    ...     [Relationship("FEEDS", "a", "b"), Relationship("FEEDS", "m", "b")]))
    >>> layout = chain_layout(store)
    >>> [(s, layout[s]["column"], layout[s]["band"]) for s in ("a", "b", "m")]
    [('a', 0, 'main'), ('b', 1, 'main'), ('m', 0, 'support')]
    """
    from .analysis.stages import stage_chain

    graph = (chain or stage_chain(store)).graph  # a report's scope (graph.scope), or the whole chain
    support = {s for s in graph if graph.nodes[s].get("tier") == "support"}
    main = graph.subgraph(s for s in graph if s not in support)
    column: dict[str, int] = {}
    condensed = nx.condensation(main)
    for component in nx.topological_sort(condensed):
        level = max((column[next(iter(condensed.nodes[p]["members"]))] + 1 for p in condensed.predecessors(component)), default=0)
        for member in condensed.nodes[component]["members"]:
            column[member] = level
    # support stages fed by other support stages (testing → trade) come after them
    condensed_support = nx.condensation(graph.subgraph(support))
    for component in nx.topological_sort(condensed_support):
        for s in sorted(condensed_support.nodes[component]["members"]):
            fed_by = [column[p] for p in graph.predecessors(s) if p in column]
            feeds = [column[t] for t in graph.successors(s) if t in column and t not in support]
            column[s] = max(fed_by) + 1 if fed_by else (max(min(feeds) - 1, 0) if feeds else 0)

    rows: dict[str, int] = {}
    placed: dict[str, dict] = {}
    for band, members in (("main", sorted(main)), ("support", sorted(support))):
        by_column: dict[int, list[str]] = defaultdict(list)
        for s in members:
            by_column[column[s]].append(s)
        for col in sorted(by_column):
            def inputs_row(s: str) -> tuple:
                preds = [rows[p] for p in graph.predecessors(s) if p in rows and p not in support]
                return (sum(preds) / len(preds) if preds else float("inf"), graph.nodes[s].get("name", s), s)

            for row, s in enumerate(sorted(by_column[col], key=inputs_row)):
                rows[s] = row
                placed[s] = {"column": column[s], "row": row, "band": band}
    return placed


def chain_view(store: GraphStore, region: str, *, min_firms: int = 2, top_candidates: int = 5, scope: str = "auto",
               scope_depth: int | None = None, source: str | None = None, sink: str | None = None, rollup: str = "auto", pairs: str = "keep", chain: str | None = None) -> dict:
    """The chain map of ``region``: every top-level stage with its status there, its gap (if
    any) with the top candidates to attract, its local enterprises, and its place on the map.

    Statuses, local counts, gap kinds, scores and candidates are those of
    :func:`graph.analysis.gaps.gaps`; this adds who the local enterprises are (per stage and per
    sub-stage), the rolled-up FEEDS links and the layout. It lays out and links the chain of the
    report's scope (:mod:`graph.scope`; on a national chain, the region's neighbourhood), not the
    whole chain, whose columns would spread a few hundred stages over tens of thousands of places.
    """
    from .analysis.gaps import gaps
    from .analysis.stages import chain_size
    from .scope import chain_in_scope

    region = check_region(store, region)
    scoping = {"scope": scope, "source": source, "sink": sink, "rollup": rollup, "pairs": pairs, "chain": chain}
    report = gaps(store, region, min_firms=min_firms, top_candidates=top_candidates, scope_depth=scope_depth, **scoping)
    chain, _ = chain_in_scope(store, regions=region_descendants(store, region), depth=scope_depth, **scoping)  # the report's (cached)
    layout = chain_layout(store, chain)
    firm_ids = set().union(*(report.firms_in(row.stage) for row in report.stages))
    firm_names = {n.id: n.name for n in store.nodes(["Enterprise"], ids=firm_ids)} if firm_ids else {}
    by_sub_stage: dict[str, set[str]] = defaultdict(set)
    for op in queries(store).operations(regions=region_descendants(store, region)):
        by_sub_stage[op.stage].add(op.enterprise)
    sub_stages = {sub for row in report.stages for sub in row.sub_stages}
    stage_names = {stage: name for stage, name, _ in queries(store).stage_rows(sub_stages)} if sub_stages else {}
    gap_of = {g.stage: g for g in report.gaps}
    region_names = _region_names(store)

    def firms(ids) -> list[dict]:
        return [{"id": e, "name": firm_names.get(e, e)} for e in sorted(ids, key=lambda e: (firm_names.get(e, e), e))]

    stages = []
    for row in report.stages:
        stage_id = row.stage
        gap = gap_of.get(stage_id)
        stages.append({
            "stage": stage_id,
            "name": row.name,
            "tier": row.tier,
            "status": row.status,
            "local_enterprises": row.local_enterprises,
            "enterprises": firms(report.firms_in(stage_id)),
            "sub_stages": [
                {"stage": sub, "name": stage_names.get(sub, sub), "local_enterprises": len(by_sub_stage.get(sub, ()))}
                for sub in row.sub_stages
            ],
            "gap": None if gap is None else {
                "kind": gap.kind,
                "score": gap.score,
                "upstream_local": gap.upstream_local,
                "downstream_local": gap.downstream_local,
                "reasons": gap.reasons,
                "candidates": [dict(c.model_dump(include={"enterprise", "name", "region", "score", "reasons"}), region_name=region_names.get(c.region, c.region))
                               for c in gap.candidates],
            },
            **layout[stage_id],
        })
    # On a large chain the report lists some stages only (its listing rule): the map draws those
    # and the links among them, and says how much it left out
    drawn = {stage["stage"] for stage in stages}
    links = [{"source": u, "target": v, "type": "FEEDS"} for u, v in sorted(chain.graph.edges) if u in drawn and v in drawn]
    whole_stages, whole_links = chain_size(store, rollup=rollup, pairs=pairs)  # counted, the whole chain not built
    scope = report.chain_scope
    omitted = None
    if len(drawn) < whole_stages:
        why = report.listing.rule if report.listing.complete is False or scope.kind == "whole" else scope.rule
        widen = f" (to widen: {scope.widen})" if scope.kind != "whole" and scope.widen else ""
        omitted = {
            "nodes": whole_stages - len(drawn),
            "relationships": whole_links - len(links),
            "reason": f"only the stages the gaps report lists are drawn: {why}{widen}",
        }
    summary: dict[str, int] = defaultdict(int)
    for stage in stages:
        summary[stage["gap"]["kind"] if stage["gap"] else stage["status"]] += 1
    return {
        "view": "chain",
        "region": {"id": region, "name": report.region_name},
        "min_firms": min_firms,
        "completeness": report.completeness,
        "completeness_weighted": report.completeness_weighted,
        "local_enterprises": report.local_enterprises,
        "summary": dict(sorted(summary.items())),
        "stages": stages,
        "links": links,
        "omitted": omitted,
        "chain_scope": report.chain_scope.model_dump(),
        "cycles": report.cycles.model_dump(),
    }


def compare_view(store: GraphStore, regions: Iterable[str], *, min_firms: int = 2, top_candidates: int = 5) -> dict:
    """Chain maps of two or more regions on the same layout, with the coverage matrix of
    :func:`graph.analysis.gaps.compare` (which region has what the other lacks)."""
    from .analysis.gaps import compare

    regions = VIEW_REGIONS.check(list(dict.fromkeys(check_region(store, r) for r in split_list(regions))))
    maps = [chain_view(store, r, min_firms=min_firms, top_candidates=top_candidates) for r in regions]
    return {
        "view": "compare",
        "regions": [m["region"] for m in maps],
        "maps": maps,
        "matrix": compare(store, regions, min_firms=min_firms).to_dict(),
        "omitted": None,
    }


def snapshot_view(store: GraphStore, region: str, date_from: str, date_to: str, *, min_firms: int = 2) -> dict:
    """The chain map of ``region`` as of two days side by side (:mod:`graph.store.asof`), laid out
    alike, with the gaps closed and opened between them (:func:`graph.analysis.diff.diff`)."""
    from .analysis.diff import diff
    from .store.asof import as_of, check_day

    days = [check_day("from", date_from), check_day("to", date_to)]
    region = check_region(store, region)
    maps = [chain_view(as_of(store, day), region, min_firms=min_firms, top_candidates=0) for day in days]
    changes = diff(store, days[0], days[1], region)
    return {
        "view": "snapshot",
        "dates": days,
        "region": maps[0]["region"],
        "maps": maps,
        "gaps": [item.model_dump() for item in changes.gaps],
        "counts": changes.counts.model_dump(),
        "omitted": None,
    }


# -- ties --------------------------------------------------------------------------------------
BROKERS_TOP = 5


def ties_view(store: GraphStore, *, institute: str | None = None, seed: int = 0, limit: int = NODE_LIMIT,
              max_seconds: float | None = None) -> dict:
    """Enterprises and institutes joined by their ties, each with its community, brokers marked.

    Communities (Louvain, seeded) and brokers are those of
    :func:`graph.analysis.ties.ties_report` over the whole ties graph; brokers are the top
    :data:`BROKERS_TOP` by betweenness and by (lowest) Burt constraint. Only organisations with
    at least one tie are drawn. With ``institute`` the picture keeps that institute, its
    enterprises and the other institutes those enterprises work with. Above ``limit`` nodes the
    best-connected are kept. ``max_seconds``: the ties report's cost limit (TooExpensive above it).
    """
    from .analysis.ties import ties_report

    whole_number("limit", limit)
    if institute is not None:
        get_node(store, institute, "Institute")
    report = ties_report(store, seed=seed, top=BROKERS_TOP, max_seconds=max_seconds)
    graph = projection(store, "ties")
    if institute is not None:
        keep = {institute} | set(graph.neighbors(institute))
        keep |= {i for e in list(keep) for i in graph.neighbors(e)}
    else:
        keep = {n for n in graph if graph.degree(n)}
    omitted = None
    if len(keep) > limit:
        ranked = sorted(keep, key=lambda n: (n != institute, -graph.degree(n), n))
        dropped = len(keep) - limit
        total_edges = sum(1 for u, v in graph.edges if u in keep and v in keep)
        keep = set(ranked[:limit])
        omitted = {"nodes": dropped, "reason": f"only the {limit} best-connected of {limit + dropped} organisations are shown"}
    community = {member: c.community for c in report.communities for member in [*c.institutes, *c.enterprises]}
    region_names = _region_names(store)
    brokers = {b.node: b for b in report.brokers}
    nodes = []
    for node_id in sorted(keep, key=lambda n: (graph.nodes[n].get("kind"), n)):
        attrs = graph.nodes[node_id]
        broker = brokers.get(node_id)
        nodes.append({
            "id": node_id,
            "name": attrs.get("name", node_id),
            "kind": attrs.get("kind"),
            "region": attrs.get("region"),
            "region_name": region_names.get(attrs.get("region"), attrs.get("region")),
            "community": community.get(node_id),
            "ties": graph.degree(node_id),
            "broker": None if broker is None else {
                "betweenness_rank": broker.betweenness_rank,
                "constraint_rank": broker.constraint_rank,
                "reasons": broker.reasons,
            },
        })
    edges = [
        {"source": u, "target": v, "weight": d.get("weight", 1.0), "count": d.get("count", 1)}
        for u, v, d in sorted(graph.edges(data=True))
        if u in keep and v in keep
    ]
    if omitted is not None:
        omitted["relationships"] = total_edges - len(edges)
    institutes = sorted(
        ({"id": n, "name": graph.nodes[n].get("name", n)} for n in graph if graph.nodes[n].get("kind") == "Institute" and graph.degree(n)),
        key=lambda i: (i["name"], i["id"]),
    )
    return {
        "view": "ties",
        "institute": institute,
        "seed": seed,
        "institutes": institutes,
        "communities": len({n["community"] for n in nodes if n["community"] is not None}),
        "community_hubs": _community_hubs(nodes),
        "positions": community_layout(nodes),
        "brokers_method": report.brokers_method.model_dump(),
        "nodes": nodes,
        "edges": edges,
        "omitted": omitted,
    }


COMMUNITY_HUBS = 2  # a community is named by this many of its best-tied members
LAYOUT_SPACING = 90.0  # drawing units between two members of a community: room for a Chinese name


def community_layout(nodes: list[dict], *, spacing: float = LAYOUT_SPACING) -> dict[str, list[float]]:
    """Where each node of the ties view sits: ``{id: [x, y]}``, communities apart.

    Each community is a disc (a sunflower pattern, its best-tied members in the middle), of
    radius ``spacing * (sqrt(members) + 1)``; the discs' centres lie on one circle, biggest
    community first, each given an arc as long as its diameter plus ``spacing``, so no two
    discs overlap and a page can draw at once, without physics. Nodes with no community make
    one group of their own.

    Two one-member communities, spacing 40: discs of radius 80, centres at least 80 + 80 + 40 apart.

    >>> import math
    >>> pos = community_layout([{"id": "a", "community": 0, "ties": 2}, {"id": "b", "community": 1, "ties": 1}], spacing=40)
    >>> math.dist(pos["a"], pos["b"]) >= 200
    True
    """
    import math

    members: dict = defaultdict(list)
    for node in nodes:
        members[node.get("community")].append(node)
    groups = sorted(members.values(), key=lambda g: (-len(g), str(g[0].get("community"))))
    radii = [spacing * (math.sqrt(len(g)) + 1) for g in groups]
    circumference = sum(2 * r + spacing for r in radii)
    angles, arc = [], 0.0
    for radius in radii:
        angles.append(2 * math.pi * (arc + radius + spacing / 2) / circumference)
        arc += 2 * radius + spacing
    # the circle is wide enough that neighbouring discs' centres (a chord apart, shorter than
    # their arc) are at least both radii and a spacing apart
    ring = 0.0
    for i in range(len(groups) if len(groups) > 1 else 0):
        j = (i + 1) % len(groups)
        turn = abs(angles[j] - angles[i])
        turn = min(turn, 2 * math.pi - turn)
        ring = max(ring, (radii[i] + radii[j] + spacing) / (2 * math.sin(turn / 2)))
    golden = math.pi * (3 - math.sqrt(5))
    positions: dict[str, list[float]] = {}
    for group, angle in zip(groups, angles):
        cx, cy = ring * math.cos(angle), ring * math.sin(angle)
        for i, node in enumerate(sorted(group, key=lambda n: (-(n.get("ties") or 0), n["id"]))):
            r, a = spacing * math.sqrt(i), i * golden
            positions[node["id"]] = [round(cx + r * math.cos(a), 1), round(cy + r * math.sin(a), 1)]
    return positions


def _community_hubs(nodes: list[dict]) -> dict[str, list[str]]:
    """Community (as text, a JSON key) -> the names of its drawn members with the most ties."""
    members: dict = defaultdict(list)
    for node in nodes:
        if node["community"] is not None:
            members[node["community"]].append(node)
    return {str(c): [n["name"] for n in sorted(group, key=lambda n: (-n["ties"], n["id"]))[:COMMUNITY_HUBS]] for c, group in members.items()}


# -- bottlenecks -------------------------------------------------------------------------------
def bottlenecks_view(store: GraphStore, *, region: str | None = None, limit: int = NODE_LIMIT) -> dict:
    """The supply network (of ``region``, or all of it) with the bottlenecks of
    :func:`graph.analysis.bottlenecks.bottlenecks` laid over it.

    Nodes: the enterprises of the region (all enterprises without one), every flagged enterprise
    even from elsewhere (a refinery in Dalian can be critical to Tianmen), and the flagged
    stages (chokepoints, single sources). Edges: SUPPLIES between drawn enterprises (parallel
    supplies of different stages as one edge), and OPERATES_IN from drawn enterprises to the
    flagged stages, sub-stages rolled up as the analysis does. Above ``limit`` nodes the flagged
    nodes are kept first, then the enterprises with the most supply links.
    """
    from .analysis.bottlenecks import bottlenecks
    from .analysis.stages import stage_chain

    whole_number("limit", limit)
    region = check_region(store, region) if region else None
    report = bottlenecks(store, region)
    chain = stage_chain(store)
    flags: dict[str, list[dict]] = defaultdict(list)
    for item in report.items:
        flags[item.node].append({"kind": item.kind, "score": item.score, "reasons": item.reasons})
    supply = projection(store, "supply")
    scope = enterprises_in(store, region) if region else {n.id for n in store.nodes(["Enterprise"])}
    flagged_stages = {n for n in flags if n in chain.graph}
    enterprises = scope | {n for n in flags if n not in flagged_stages}
    regions = region_descendants(store, region) if region else None
    operates = sorted({
        (op.enterprise, chain.top[op.stage])
        for op in queries(store).operations(regions=regions)
        if chain.top.get(op.stage) in flagged_stages and op.enterprise in enterprises
    })
    degree = {n: sum(1 for m in (supply.pred[n] if n in supply else ()) if m in enterprises)
                 + sum(1 for m in (supply.succ[n] if n in supply else ()) if m in enterprises) for n in enterprises}
    candidates = enterprises | flagged_stages
    omitted = None
    if len(candidates) > limit:
        ranked = sorted(candidates, key=lambda n: (n not in flags, -degree.get(n, 0), n))
        omitted = {"nodes": len(candidates) - limit, "reason": f"flagged nodes first, then the enterprises with the most supply links: {limit} of {len(candidates)} shown"}
        all_edges = sum(1 for u, v in supply.edges if u in enterprises and v in enterprises) + len(operates)
        candidates = set(ranked[:limit])
    named = {n.id: n for n in store.nodes(["Enterprise", "Stage"], ids=candidates)}
    region_names = _region_names(store)
    nodes = []
    for node_id in sorted(candidates):
        node = named.get(node_id)
        is_stage = node_id in flagged_stages
        nodes.append({
            "id": node_id,
            "name": node.name if node else node_id,
            "kind": "Stage" if is_stage else "Enterprise",
            "region": None if is_stage or node is None else node.props.get("region"),
            "region_name": None if is_stage or node is None else region_names.get(node.props.get("region"), node.props.get("region")),
            "in_region": None if is_stage else node_id in scope,
            "supply_links": None if is_stage else degree.get(node_id, 0),
            "flags": flags.get(node_id, []),
        })
    edges = [
        {"source": u, "target": v, "type": "SUPPLIES", "count": d.get("count", 1)}
        for u, v, d in sorted(supply.edges(data=True))
        if u in candidates and v in candidates
    ]
    edges += [{"source": e, "target": s, "type": "OPERATES_IN", "count": 1} for e, s in operates if e in candidates and s in candidates]
    if omitted is not None:
        omitted["relationships"] = all_edges - len(edges)
    return {
        "view": "bottlenecks",
        "region": region,
        "counts": report.counts,
        "items": [item.model_dump(exclude_unset=True) for item in report.items],
        "nodes": nodes,
        "edges": edges,
        "omitted": omitted,
    }


# a proximity link is drawn when it is on the maximum spanning tree of the stage space or at
# least this strong (the product space of Hidalgo et al. 2007 draws the same two kinds)
SPACE_MIN_PROXIMITY = 0.5


def related_view(store: GraphStore, region: str, *, limit: int = NODE_LIMIT, **params) -> dict:
    """The stage space of :func:`graph.analysis.related.related`: stages as nodes, linked by
    proximity (the maximum spanning tree, and every link of φ ≥ :data:`SPACE_MIN_PROXIMITY`); the
    region's present stages filled, its feasible ones (listed in the report) ringed. Above
    ``limit`` stages the region's own and its feasible ones are kept first, then the most ubiquitous."""
    from .analysis.related import related

    whole_number("limit", limit)
    report = related(store, region, **params)
    stages, phi = report._space
    rows = {row.stage: row for row in report.stages}
    feasible = {f.stage: f for f in report.feasible}
    drawn = [s for s in stages if rows[s].ubiquity or rows[s].value or s in feasible]
    omitted = None
    if len(drawn) > limit:
        ranked = sorted(drawn, key=lambda s: (not rows[s].value, s not in feasible, -rows[s].ubiquity, s))
        omitted = {"nodes": len(drawn) - limit, "reason": f"the region's and its feasible stages first, then the most ubiquitous: {limit} of {len(drawn)} shown"}
        drawn = sorted(ranked[:limit])
    index = {s: i for i, s in enumerate(stages)}
    space = nx.Graph()
    space.add_nodes_from(drawn)
    for a_pos, a in enumerate(drawn):
        for b in drawn[a_pos + 1:]:
            weight = float(phi[index[a], index[b]])
            if weight > 0:
                space.add_edge(a, b, weight=weight)
    tree = set(map(frozenset, nx.maximum_spanning_tree(space).edges)) if space.number_of_edges() else set()
    edges = [{"source": a, "target": b, "proximity": round(d["weight"], 6), "tree": frozenset((a, b)) in tree}
             for a, b, d in sorted(space.edges(data=True)) if frozenset((a, b)) in tree or d["weight"] >= SPACE_MIN_PROXIMITY]
    nodes = [{"id": s, "name": rows[s].name, "value": rows[s].value, "present": rows[s].present, "rca": rows[s].rca,
              "density": rows[s].density, "ubiquity": rows[s].ubiquity,
              "feasible_rank": feasible[s].rank if s in feasible else None,
              "reasons": feasible[s].reasons if s in feasible else []} for s in drawn]
    return {
        "view": "related",
        "region": report.region,
        "region_name": report.region_name,
        "matrix": report.matrix.model_dump(),
        "peers": [p.model_dump() for p in report.peers],
        "nodes": nodes,
        "edges": edges,
        "omitted": omitted,
    }


# -- panorama and heat map ---------------------------------------------------------------------
# The panorama's columns, as a promotion office prints a chain: 上游 / 中游 / 下游, and the support
# industries (配套) beside them.
PANORAMA_COLUMNS = ("upstream", "midstream", "downstream", "support")


def _panorama_column(tier: str | None, place: dict, last_column: int, by_tier: bool) -> str:
    """A stage's column: its tier when the data's tiers tell the columns apart, else its third of
    the chain map's width (support stages, in the map's lower band, apart)."""
    if by_tier and tier in PANORAMA_COLUMNS:
        return tier
    if place["band"] == "support":
        return "support"
    third = place["column"] * 3 // (last_column + 1) if last_column else 0
    return PANORAMA_COLUMNS[min(third, 2)]


def panorama_view(store: GraphStore, region: str, *, min_firms: int = 2, top: int = 60, scope: str = "auto",
                  scope_depth: int | None = None, source: str | None = None, sink: str | None = None, rollup: str = "auto", pairs: str = "keep",
                  chain: str | None = None) -> dict:
    """The chain panorama of ``region`` (产业链全景图): the stages of the chain in columns upstream,
    midstream, downstream and support, each top-level stage a box with its local and national
    enterprise counts and its status, grouped within a column by the stages' ``group`` (when the
    data gives one), sub-stages inside their box.

    Statuses, gap kinds and local counts are those of :func:`graph.analysis.gaps.gaps` (the same
    scope, and its listing with ``top``: the ``top`` gaps by score and the ``top`` stages with
    the most local enterprises); national counts are :func:`graph.analysis.gaps.national_coverage`.
    A stage's column is its tier when the stages drawn have more than one of upstream, midstream
    and downstream (chainkg's are all "midstream"), else its third of the chain map
    (:func:`chain_layout`); ``columns_by`` says which.
    """
    from .analysis.gaps import gaps, national_coverage
    from .params import PANORAMA_TOP
    from .scope import chain_in_scope

    region = check_region(store, region)
    scoping = {"scope": scope, "source": source, "sink": sink, "rollup": rollup, "pairs": pairs, "chain": chain}
    report = gaps(store, region, min_firms=min_firms, top_candidates=0, top=PANORAMA_TOP.check(top), scope_depth=scope_depth, **scoping)
    chain, _ = chain_in_scope(store, regions=region_descendants(store, region), depth=scope_depth, **scoping)  # the report's (cached)
    layout = chain_layout(store, chain)
    last_column = max((p["column"] for p in layout.values() if p["band"] == "main"), default=0)
    by_tier = len({row.tier for row in report.stages} & {"upstream", "midstream", "downstream"}) > 1
    drawn = [row.stage for row in report.stages]
    national, national_member = national_coverage(store, chain, drawn)
    members = {m for row in report.stages for m in [row.stage, *row.sub_stages]}
    stage_nodes = {n.id: n for n in store.nodes(["Stage"], ids=members)}
    by_sub_stage: dict[str, set[str]] = defaultdict(set)
    for op in queries(store).operations(regions=region_descendants(store, region), stages=members):
        by_sub_stage[op.stage].add(op.enterprise)
    gap_of = {g.stage: g for g in report.gaps}

    columns: dict[str, list[dict]] = {c: [] for c in PANORAMA_COLUMNS}
    summary: dict[str, int] = defaultdict(int)
    for row in report.stages:
        gap = gap_of.get(row.stage)
        node = stage_nodes.get(row.stage)
        group = node.props.get("group") if node else None
        box = {
            "stage": row.stage,
            "name": row.name,
            "tier": row.tier,
            "status": row.status,
            "gap": gap.kind if gap else None,
            "local_enterprises": row.local_enterprises,
            "national_enterprises": national[row.stage],
            "sub_stages": [
                {"stage": sub, "name": stage_nodes[sub].name if sub in stage_nodes else sub,
                 "local_enterprises": len(by_sub_stage.get(sub, ())), "national_enterprises": national_member.get(sub, 0)}
                for sub in row.sub_stages
            ],
        }
        summary[box["gap"] or row.status] += 1
        groups = columns[_panorama_column(row.tier, layout[row.stage], last_column, by_tier)]
        found = next((g for g in groups if g["group"] == group), None)
        if found is None:  # groups in the order of their first stage, upstream to downstream
            found = {"group": group, "stages": []}
            groups.append(found)
        found["stages"].append(box)
    whole_stages = report.chain_scope.of  # top-level stages of the whole chain, counted without building it
    scope_used = report.chain_scope
    omitted = None
    if len(drawn) < whole_stages:
        why = report.listing.rule if report.listing.complete is False or scope_used.kind == "whole" else scope_used.rule
        widen = f" (to widen: {scope_used.widen})" if scope_used.kind != "whole" and scope_used.widen else ""
        omitted = {"nodes": whole_stages - len(drawn), "reason": f"only the stages the gaps report lists are drawn: {why}{widen}"}
    return {
        "view": "panorama",
        "region": {"id": region, "name": report.region_name},
        "min_firms": min_firms,
        "completeness": report.completeness,
        "local_enterprises": report.local_enterprises,
        "summary": dict(sorted(summary.items())),
        "columns_by": "tier" if by_tier else "position",
        "columns": [{"column": c, "groups": columns[c]} for c in PANORAMA_COLUMNS if columns[c]],
        "stages_drawn": len(drawn),
        "omitted": omitted,
        "chain_scope": scope_used.model_dump(),
        "cycles": report.cycles.model_dump(),
    }


def heatmap_view(store: GraphStore, regions: Iterable[str] | None = None, *, top_regions: int = 20, min_firms: int = 2,
                 scope: str = "auto", scope_depth: int | None = None, source: str | None = None, sink: str | None = None,
                 rollup: str = "auto", pairs: str = "keep", chain: str | None = None) -> dict:
    """A region × stage heat map: a row per region, a column per top-level stage of the chain
    read, each cell the region's enterprises in the stage and its status.

    Counts, statuses, the scope (the union of the regions' neighbourhoods on a national chain)
    and the stages listed are those of :func:`graph.analysis.gaps.compare`. Without ``regions``
    the rows are the ``top_regions`` regions holding the most enterprises themselves (located in
    them, not below them), most first, then by id.
    """
    from .analysis.gaps import compare
    from .params import HEATMAP_REGIONS, HEATMAP_TOP

    HEATMAP_TOP.check(top_regions)
    region_nodes = list(store.nodes(["Region"]))
    names = {n.id: n.name for n in region_nodes}
    # a placeholder region (中国, where an importer put firms its data gives no location) is no
    # place to compare: it is never a default row
    placeholders = {n.id for n in region_nodes if n.props.get("placeholder") not in (None, "", False)}
    firms: dict[str, int] = defaultdict(int)
    for node in store.nodes(["Enterprise"]):
        if node.props.get("region") in names and node.props["region"] not in placeholders:
            firms[node.props["region"]] += 1
    omitted = None
    if regions is not None and split_list(regions):
        chosen = list(dict.fromkeys(check_region(store, r) for r in HEATMAP_REGIONS.check(split_list(regions))))
        selection = "given"
    else:
        ranked = sorted(firms, key=lambda r: (-firms[r], r))
        if not ranked:
            raise InvalidParameter("regions", "no region holds any enterprise: give the regions to compare")
        chosen = ranked[:top_regions]
        selection = f"the {len(chosen)} regions holding the most enterprises"
        if len(ranked) > top_regions:
            omitted = {"regions": len(ranked) - top_regions,
                       "reason": f"only the {top_regions} regions holding the most enterprises are rows (top_regions)"}
    report = compare(store, chosen, min_firms=min_firms, scope=scope, scope_depth=scope_depth, source=source, sink=sink, rollup=rollup, pairs=pairs,
                     chain=chain)
    stages = [{"stage": row.stage, "name": row.name, "tier": row.tier} for row in report.stages]
    rows = []
    for region in report.regions:
        cells = [row.coverage(region) for row in report.stages]
        rows.append({
            "region": region,
            "name": names.get(region, region),
            "enterprises": firms.get(region, 0),
            "completeness": report.completeness[region],
            "counts": [c.local_enterprises for c in cells],
            "statuses": [c.status for c in cells],
        })
    if report.stages_listed < report.stages_total:
        omitted = dict(omitted or {}, nodes=report.stages_total - report.stages_listed,
                       reason="; ".join(filter(None, [(omitted or {}).get("reason"),
                                                      f"{report.stages_listed} of {report.stages_total} stages are columns: "
                                                      "those with the most enterprises of these regions"])))
    return {
        "view": "heatmap",
        "selection": selection,
        "min_firms": min_firms,
        "regions": rows,
        "stages": stages,
        "max": max((c for row in rows for c in row["counts"]), default=0),
        "omitted": omitted,
        "chain_scope": report.chain_scope.model_dump(),
    }
