"""What each view must draw, worked out here straight from the store (and, for the flagged nodes,
from the analysis report), without the code under test."""

from __future__ import annotations

import networkx as nx


def _top_stage(store) -> dict[str, str]:
    """stage id → the stage it rolls up into (itself when it is PART_OF nothing)."""
    stages = {n.id for n in store.nodes(["Stage"])}
    parent = {r.source: r.target for r in store.relationships(["PART_OF"]) if r.source in stages}
    top = {}
    for stage in stages:
        current = stage
        while current in parent:
            current = parent[current]
        top[stage] = current
    return top


def chain_counts(store) -> list[int]:
    """[top-level stages, distinct FEEDS links between different top-level stages]."""
    top = _top_stage(store)
    links = {(top[r.source], top[r.target]) for r in store.relationships(["FEEDS"]) if top[r.source] != top[r.target]}
    return [len(set(top.values())), len(links)]


def ego_counts(store, node_id: str, depth: int) -> list[int]:
    """[nodes within depth relationships (either direction), relationships among them]."""
    graph = nx.MultiGraph()
    graph.add_nodes_from(n.id for n in store.nodes())
    for rel in store.relationships():
        graph.add_edge(rel.source, rel.target, key=rel.identity)
    ego = nx.ego_graph(graph, node_id, radius=depth)
    return [ego.number_of_nodes(), ego.number_of_edges()]


def ties_counts(store, institute: str | None = None) -> list[int]:
    """[organisations with a tie, distinct tied pairs]; with ``institute``: it, its enterprises and
    their other institutes, and the pairs among those."""
    pairs = {(r.source, r.target) for r in store.relationships(["COLLABORATES_WITH"])}
    if institute is None:
        keep = {x for pair in pairs for x in pair}
    else:
        firms = {e for e, i in pairs if i == institute}
        keep = {institute} | firms | {i for e, i in pairs if e in firms}
    return [len(keep), sum(1 for e, i in pairs if e in keep and i in keep)]


def region_enterprises(store, region: str) -> tuple[set[str], set[str]]:
    """(enterprises in the region or below it, the region and its sub-regions)."""
    regions = {region}
    part_of = [(r.source, r.target) for r in store.relationships(["PART_OF"])]
    grew = True
    while grew:
        more = {child for child, parent in part_of if parent in regions}
        grew = not more <= regions
        regions |= more
    return {n.id for n in store.nodes(["Enterprise"]) if n.props.get("region") in regions}, regions


def bottleneck_counts(store, report: dict, region: str | None) -> list[int]:
    """[region's enterprises + flagged enterprises + flagged stages, distinct SUPPLIES pairs among
    those enterprises + distinct (enterprise of the region, flagged top-level stage) pairs]."""
    top = _top_stage(store)
    flagged = {item["node"] for item in report["items"]}
    stages = {n for n in flagged if n in top}
    if region is None:
        scope = {n.id for n in store.nodes(["Enterprise"])}
        regions = None
    else:
        scope, regions = region_enterprises(store, region)
    firms = scope | (flagged - stages)
    supplies = {(r.source, r.target) for r in store.relationships(["SUPPLIES"]) if r.source in firms and r.target in firms}
    region_of = {n.id: n.props.get("region") for n in store.nodes(["Enterprise"])}
    operates = {
        (r.source, top[r.target])
        for r in store.relationships(["OPERATES_IN"])
        if top.get(r.target) in stages and r.source in firms and (regions is None or region_of.get(r.source) in regions)
    }
    return [len(firms) + len(stages), len(supplies) + len(operates)]


def related_space(store, region: str) -> tuple[set[str], set[frozenset], int, set[str]]:
    """(stages drawn, the links of φ ≥ 0.5, how many links are drawn, stages present by RCA ≥ 1) of the stage space of
    ``region``, from the store by the formulas: rows are the regions enterprises are located in
    (``region``'s sub-regions folded into it), x the distinct enterprises per top-level stage;
    drawn are stages present somewhere or where the region has activity; links the maximum
    spanning tree of φ and every φ ≥ 0.5."""
    top = _top_stage(store)
    regions = {n.id for n in store.nodes(["Region"])}
    parent = {r.source: r.target for r in store.relationships(["PART_OF"]) if r.source in regions}

    def row_of(place):
        current = place
        while current is not None:
            if current == region:
                return region
            current = parent.get(current)
        return place

    located = {n.id: row_of(n.props.get("region")) for n in store.nodes(["Enterprise"])}
    cells: dict[tuple[str, str], set[str]] = {}
    for rel in store.relationships(["OPERATES_IN"]):
        if rel.source in located and rel.target in top:
            cells.setdefault((located[rel.source], top[rel.target]), set()).add(rel.source)
    rows = sorted({r for r, _ in cells} | {region})
    stages = sorted(set(top.values()))
    x = {(r, s): len(cells.get((r, s), ())) for r in rows for s in stages}
    total = sum(x.values())
    row_sum = {r: sum(x[r, s] for s in stages) for r in rows}
    col_sum = {s: sum(x[r, s] for r in rows) for s in stages}
    present = {(r, s) for r in rows for s in stages
               if row_sum[r] and col_sum[s] and (x[r, s] / row_sum[r]) / (col_sum[s] / total) >= 1}
    ubiquity = {s: sum((r, s) in present for r in rows) for s in stages}
    drawn = {s for s in stages if ubiquity[s] or x[region, s]}
    space = nx.Graph()
    space.add_nodes_from(drawn)
    for a in drawn:
        for b in drawn:
            if a < b:
                both = sum((r, a) in present and (r, b) in present for r in rows)
                if both:
                    space.add_edge(a, b, weight=both / max(ubiquity[a], ubiquity[b]))
    strong = {frozenset((a, b)) for a, b, w in space.edges(data="weight") if w >= 0.5}
    links = {frozenset(e) for e in nx.maximum_spanning_tree(space).edges} | strong
    return drawn, strong, len(links), {s for r, s in present if r == region}
