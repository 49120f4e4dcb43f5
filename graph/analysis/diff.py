"""What changed between two dates: the graph as of ``date_from`` against the graph as of ``date_to``
(:mod:`graph.store.asof`), compared item by item.

Nodes compare by id, relationships by identity (type, ends, key). Gaps are the region's gaps
(:func:`graph.analysis.gaps.gaps`, with ``top`` off so every gap counts): one on ``from`` and not on
``to`` closed, the reverse opened. Bottlenecks compare by (kind, node). Ranks are degree-centrality
ranks on the whole-graph projection (degree descending, then id), so a node that gained many ties
moves up; a node absent on one date is ranked one past the last there.
"""

from __future__ import annotations

from graph.params import CENTRALITY_TOP
from graph.projection import projection
from graph.reports import DiffCounts, DiffItem, DiffReport, RankMove
from graph.store.asof import as_of, check_day
from graph.store.base import GraphStore

from .bottlenecks import bottlenecks
from .gaps import gaps

__all__ = ["diff"]


def _ranks(store: GraphStore) -> tuple[dict[str, int], dict[str, str]]:
    graph = projection(store, "all")
    order = sorted(graph.nodes, key=lambda node: (-graph.degree(node), node))
    return {node: i + 1 for i, node in enumerate(order)}, {node: graph.nodes[node]["name"] for node in order}


def _changes(before: dict, after: dict, gone: str, came: str) -> list[DiffItem]:
    """Items of ``before`` not in ``after`` (``gone``), then of ``after`` not in ``before`` (``came``); by key."""
    return ([DiffItem(change=gone, **before[key]) for key in sorted(before.keys() - after.keys())]
            + [DiffItem(change=came, **after[key]) for key in sorted(after.keys() - before.keys())])


def diff(store: GraphStore, date_from: str, date_to: str, region: str | None = None, *, top: int = 20) -> DiffReport:
    """What changed in ``store`` from ``date_from`` to ``date_to`` (ISO dates).

    Parameters
    ----------
    store : GraphStore
        The store, with ``since`` / ``until`` on what changes over time.
    date_from, date_to : str
        The two days compared, YYYY-MM-DD.
    region : str, optional
        A region id: its gaps are compared too, and bottlenecks are looked for in it.
    top : int
        How many of the largest rank moves to list.

    Returns
    -------
    DiffReport
        Nodes and relationships that appeared or disappeared, gaps closed or opened, bottlenecks
        that appeared or went, and the nodes whose degree rank moved most.
    """
    day_from, day_to = check_day("from", date_from), check_day("to", date_to)
    top = CENTRALITY_TOP.check(top)
    then, now = as_of(store, day_from), as_of(store, day_to)

    def nodes(view):
        return {n.id: {"kind": n.label, "id": n.id, "name": n.name} for n in view.nodes()}

    def rels(view):
        return {r.identity: {"kind": r.type, "id": f"{r.source}->{r.target}", "name": r.key or ""} for r in view.relationships()}

    def gap_items(view):
        return {g.stage: {"kind": g.status, "id": g.stage, "name": g.name} for g in gaps(view, region, top_candidates=0, top=100_000).gaps}

    def bottleneck_items(view):
        return {(b.kind, b.node): {"kind": b.kind, "id": b.node, "name": b.name} for b in bottlenecks(view, region, top=100_000).items}

    node_changes = _changes(nodes(then), nodes(now), "disappeared", "appeared")
    rel_changes = _changes(rels(then), rels(now), "disappeared", "appeared")
    gap_changes = _changes(gap_items(then), gap_items(now), "closed", "opened") if region else []
    bottleneck_changes = _changes(bottleneck_items(then), bottleneck_items(now), "disappeared", "appeared")

    ranks_then, names_then = _ranks(then)
    ranks_now, names_now = _ranks(now)
    moves = []
    for node in ranks_then.keys() | ranks_now.keys():
        before, after = ranks_then.get(node), ranks_now.get(node)
        moved = (before or len(ranks_then) + 1) - (after or len(ranks_now) + 1)
        if moved:
            moves.append(RankMove(node=node, name=names_now.get(node) or names_then[node], rank_from=before, rank_to=after, moved=moved))
    moves.sort(key=lambda m: (-abs(m.moved), m.node))

    def count(items, change):
        return sum(1 for item in items if item.change == change)

    return DiffReport(
        date_from=day_from, date_to=day_to, region=region,
        counts=DiffCounts(
            nodes_appeared=count(node_changes, "appeared"), nodes_disappeared=count(node_changes, "disappeared"),
            relationships_appeared=count(rel_changes, "appeared"), relationships_disappeared=count(rel_changes, "disappeared"),
            gaps_closed=count(gap_changes, "closed"), gaps_opened=count(gap_changes, "opened"),
            bottlenecks_appeared=count(bottleneck_changes, "appeared"), bottlenecks_gone=count(bottleneck_changes, "disappeared"),
        ),
        nodes=node_changes, relationships=rel_changes, gaps=gap_changes, bottlenecks=bottleneck_changes, ranks=moves[:top],
    )
