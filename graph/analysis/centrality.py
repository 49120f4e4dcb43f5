"""Centrality reports: who sits at the centre of a projection, by NetworkX's own measures.

Every value is exactly what NetworkX's function returns on the named projection (see
:mod:`graph.projection`), called with NetworkX's defaults unless said otherwise:

==============  ==========================================  =====================================
metric          NetworkX call                               notes
==============  ==========================================  =====================================
degree          ``nx.degree_centrality(G)``                 unweighted
in_degree       ``nx.in_degree_centrality(G)``              directed projections only
out_degree      ``nx.out_degree_centrality(G)``             directed projections only
betweenness     ``nx.betweenness_centrality(G)``            unweighted, normalised; sampled with
                                                            ``k`` sources and ``seed``
closeness       ``nx.closeness_centrality(G)``              unweighted; on a directed projection
                                                            NetworkX measures incoming distance
harmonic        ``nx.harmonic_centrality(G)``               unweighted, not normalised
pagerank        ``nx.pagerank(G)``                          weight = the projection's ``weight``
eigenvector     ``nx.eigenvector_centrality(G,              unweighted; ``max_iter`` raised from
                max_iter=1000)``                            100 so chain-shaped graphs converge
core            ``nx.core_number(G)`` without self-loops    an int, the k-core a node belongs to
==============  ==========================================  =====================================

Why only PageRank is weighted: a projection's edge ``weight`` is a strength (parallel
relationships add up, ties carry their strength), which PageRank reads as such. The path-based
measures would read it as a distance, the opposite, so they count hops.

On a Neo4j store whose server has Graph Data Science, ``engine="gds"`` (the default there with
``CHAINX_NEO4J_GDS=1``) computes the values inside the server instead (:mod:`graph.gds`): the
graph stays in Neo4j and only one value per node comes back. They are NetworkX's where the
definitions match (the table in :mod:`graph.gds`); where they do not (PageRank with nodes that
have no outgoing edge, eigenvector, sampled betweenness) the report's note says so.

Values are computed on the whole projection; ``kind`` and ``region`` only choose which nodes the
report lists, so an enterprise's betweenness in ``all`` counts paths through stages and regions
too. Ranks are positions in the listed rows.

Notebook use:

>>> from graph.model import GraphData, Node, Relationship
>>> from graph.store.sqlite import SqliteStore
>>> from graph.projection import projection
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(
...     nodes=[Node("Enterprise", i, i.upper()) for i in "abc"],
...     relationships=[Relationship("SUPPLIES", "a", "b"), Relationship("SUPPLIES", "c", "b")]))
>>> projection(store, "supply").number_of_edges()        # the NetworkX graph itself
2
>>> report = centrality(store, "in_degree", "supply", top=2)
>>> [(row.rank, row.node, row.value) for row in report.rows]
[(1, 'b', 1.0), (2, 'a', 0.0)]
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from graph import accel, gds
from graph.cache import VersionedCache, of_one_version
from graph.checks import one_of
from graph.errors import InvalidParameter, TooExpensive
from graph.fastproj import FastProjection, fast_projection, without_nodes
from graph.model import check_label
from graph.params import CENTRALITY_TOP, ENGINE, SAMPLES, SEED
from graph.params import MAX_SECONDS as MAX_SECONDS_PARAM
from graph.projection import PROJECTIONS, placeholder_regions, projection
from graph.regions import check_region, region_descendants
from graph.reports import CentralityReport, CentralityRow
from graph.store.base import GraphStore

__all__ = [
    "METRICS",
    "GRAPHS",
    "MAX_TOP",
    "MAX_SECONDS",
    "EIGENVECTOR_MAX_ITER",
    "centrality",
    "centrality_values",
    "analysis_graph",
    "compute_metric",
    "resolve_engine",
    "estimate_seconds",
    "affordable_k",
    "property_name",
    "tie_value",
    "top_ranked",
    "write_back",
]

METRICS: tuple[str, ...] = (
    "degree",
    "in_degree",
    "out_degree",
    "betweenness",
    "closeness",
    "harmonic",
    "pagerank",
    "eigenvector",
    "core",
)
GRAPHS: tuple[str, ...] = tuple(PROJECTIONS)
DIRECTED_ONLY = frozenset({"in_degree", "out_degree"})
MAX_TOP = int(CENTRALITY_TOP.maximum)
EIGENVECTOR_MAX_ITER = 1000

# Exact betweenness, closeness and harmonic centrality run one search from every node. A search
# visits the nodes and adjacency entries of its source's component (an undirected edge is two
# entries); betweenness also sets up a dict over the whole graph for every source. Rates in units
# of that work per second, measured on pure-Python NetworkX on one core of the 2-core reference
# machine on hub-heavy chain graphs (small random graphs run up to 5x faster), turn it into a
# rough, cautious time; a computation estimated above MAX_SECONDS is refused unless forced.
MAX_SECONDS = MAX_SECONDS_PARAM.default
_WORK_PER_SECOND = {"betweenness": 4e5, "closeness": 2.5e6, "harmonic": 2e6}
_SETUP_PER_SECOND = 1e6  # betweenness: per node of the graph, per source

# Floating-point sums taken in a different order differ in the last bits; values that agree to
# 12 significant digits count as tied (and values within 1e-12 of zero as zero), so symmetric
# nodes are ordered by id, not by rounding noise.
_TIE_DIGITS = 12
_ZERO = 1e-12


def tie_value(value: float) -> float:
    """``value`` as compared for ranking: 12 significant digits, and 0 within 1e-12 of zero.

    >>> tie_value(0.1 + 0.2) == tie_value(0.3), tie_value(5e-13) == tie_value(0.0)
    (True, True)
    """
    value = float(value)
    return 0.0 if abs(value) < _ZERO else float(f"{value:.{_TIE_DIGITS}g}")


def _search_work(G: nx.Graph) -> float:
    """Work of one search from every node: sum over components of nodes × (nodes + entries)."""
    parts = nx.weakly_connected_components(G) if G.is_directed() else nx.connected_components(G)
    # G.adj holds successors on a directed graph (m entries), both ends on an undirected one (2m)
    return float(sum(len(part) * (len(part) + sum(len(G.adj[v]) for v in part)) for part in parts))


def _connected(G: nx.Graph) -> list:
    return [v for v in G if G.degree(v)]


def _seconds_per_source(G: nx.Graph, metric: str) -> float:
    n = G.number_of_nodes()
    seconds = _search_work(G) / max(1, n) / _WORK_PER_SECOND[metric]
    if metric == "betweenness":
        seconds += n / _SETUP_PER_SECOND
    return seconds


def estimate_seconds(G: nx.Graph, metric: str, k: int | None = None) -> float:
    """Roughly how long ``metric`` takes on ``G`` (0 for the metrics that are cheap anyway).

    Deliberately cautious: hub-heavy graphs of 100k edges run close to it, small or random
    graphs faster.

    >>> round(estimate_seconds(nx.path_graph(1000), "betweenness"), 1)
    8.5

    On a fast projection the estimate is the compiled path's (:func:`graph.accel.estimate_seconds`),
    since that is what will run.
    """
    if isinstance(G, FastProjection):
        return accel.estimate_seconds(G, metric, k)
    if metric not in _WORK_PER_SECOND or G.number_of_nodes() == 0:
        return 0.0
    if metric == "betweenness" and k is not None:
        return k * _seconds_per_source(G, metric)
    if metric == "betweenness":
        # exact betweenness skips isolated nodes (see compute_metric)
        G = G.subgraph(_connected(G))
    return G.number_of_nodes() * _seconds_per_source(G, metric)


def affordable_k(G: nx.Graph, max_seconds: float | None = None) -> int:
    """The most betweenness sources that fit in ``max_seconds`` (default :data:`MAX_SECONDS`).

    >>> affordable_k(nx.path_graph(1000), max_seconds=1.0)
    117
    """
    limit = MAX_SECONDS if max_seconds is None else max_seconds
    n = G.number_of_nodes()
    if n == 0:
        return 2
    if isinstance(G, FastProjection):
        fit = accel.affordable_sources(G, limit)  # counts the processes a run of that size uses
    else:
        per_source = _seconds_per_source(G, "betweenness")
        fit = int(limit / per_source) if per_source > 0 else n
    return max(2, min(fit, G.number_of_nodes()))


def _in_id_order(G: nx.Graph) -> nx.Graph:
    """``G`` with its nodes in id order: NetworkX samples sources from the node list, so a seed
    picks the same sources whatever order a store returned the nodes in."""
    nodes = list(G)
    if nodes == sorted(nodes):
        return G
    H = G.__class__()
    H.add_nodes_from(sorted(G.nodes(data=True)))
    H.add_edges_from(G.edges(data=True))
    return H


def _exact_betweenness(G: nx.Graph) -> dict:
    """``nx.betweenness_centrality(G)``, without the isolated nodes' cost.

    NetworkX sets up a dict over the whole graph for every source, so the ties projection (every
    enterprise, most without a tie) costs nodes² even though isolated nodes lie on no path and
    start none. Their raw counts are all zero, so computing on the rest and rescaling from its
    normalisation, 1/((n'-1)(n'-2)), to the whole graph's, 1/((n-1)(n-2)), gives NetworkX's values.
    """
    connected = _connected(G)
    n, n_connected = G.number_of_nodes(), len(connected)
    if n_connected == n:
        return nx.betweenness_centrality(G)
    values = dict.fromkeys(G, 0.0)
    if n_connected > 2:
        scale = (n_connected - 1) * (n_connected - 2) / ((n - 1) * (n - 2))
        # a copy, not a subgraph view: NetworkX walks the graph millions of times, views filter each walk
        for node, value in nx.betweenness_centrality(G.subgraph(connected).copy()).items():
            values[node] = value * scale
    return values


def analysis_graph(store: GraphStore, graph: str) -> nx.Graph | FastProjection:
    """The projection ``graph`` as centralities compute on it: NetworkX's own graph while it is
    small, the fast projection (arrays, for :mod:`graph.accel`) once compiled code pays off
    (:func:`graph.accel.worth_accelerating`). Both list the same nodes with the same ``kind``,
    ``name`` and ``region``; both are cached per store version. Placeholder regions
    (:func:`graph.projection.placeholder_regions`) are left out of ``all``."""
    return _analysis_graphs.get(store, graph, lambda: _analysis_graph(store, graph))


def _analysis_graph(store: GraphStore, graph: str) -> nx.Graph | FastProjection:
    fast = fast_projection(store, graph)
    left_out = set(placeholder_regions(store, graph))
    if accel.worth_accelerating(fast):
        return without_nodes(fast, left_out) if left_out else fast
    G = projection(store, graph)
    return nx.freeze(G.subgraph(n for n in G if n not in left_out).copy()) if left_out else G


_analysis_graphs = VersionedCache("centrality graph", size=8)


def _not_converged() -> InvalidParameter:
    return InvalidParameter(
        "metric",
        f"eigenvector centrality did not converge in {EIGENVECTOR_MAX_ITER} iterations on this "
        "graph (its largest eigenvalue is not dominant, as on bipartite or chain-shaped graphs); "
        "use pagerank instead",
    )


def compute_metric(G: nx.Graph | FastProjection, metric: str, k: int | None = None, seed: int | None = None) -> dict:
    """``{node: value}`` of ``metric`` on ``G``, by NetworkX's own function (table above).

    The one place a metric is computed. A fast projection (see :func:`analysis_graph`) goes to
    :func:`graph.accel.compute`, which returns NetworkX's numbers from compiled code (held to
    NetworkX's own functions by tests/graph/test_accel.py); a NetworkX graph to NetworkX.

    >>> compute_metric(nx.star_graph(3), "betweenness")
    {0: 1.0, 1: 0.0, 2: 0.0, 3: 0.0}
    """
    if G.number_of_nodes() == 0:
        return {}
    if isinstance(G, FastProjection):
        try:
            if metric == "eigenvector":
                return accel.eigenvector_centrality(G, max_iter=EIGENVECTOR_MAX_ITER)
            return accel.compute(G, metric, k=k, seed=seed)
        except nx.PowerIterationFailedConvergence:
            raise _not_converged() from None
    if metric == "degree":
        return nx.degree_centrality(G)
    if metric == "in_degree":
        return nx.in_degree_centrality(G)
    if metric == "out_degree":
        return nx.out_degree_centrality(G)
    if metric == "betweenness":
        if k is not None:
            return nx.betweenness_centrality(_in_id_order(G), k=k, seed=seed)
        return _exact_betweenness(G)
    if metric == "closeness":
        return nx.closeness_centrality(G)
    if metric == "harmonic":
        return nx.harmonic_centrality(G)
    if metric == "pagerank":
        return nx.pagerank(G, weight="weight")
    if metric == "eigenvector":
        try:
            return nx.eigenvector_centrality(G, max_iter=EIGENVECTOR_MAX_ITER)
        except nx.PowerIterationFailedConvergence:
            raise _not_converged() from None
    if metric == "core":
        if nx.number_of_selfloops(G):
            # core_number refuses self-loops; a firm supplying itself says nothing about its core
            G = G.copy()
            G.remove_edges_from(list(nx.selfloop_edges(G)))
        return nx.core_number(G)
    raise InvalidParameter("metric", f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")


def _check_arguments(G, metric: str, graph: str, k: int | None) -> None:
    if metric in DIRECTED_ONLY and not G.is_directed():
        directed = ", ".join(name for name, spec in PROJECTIONS.items() if spec[2])
        raise InvalidParameter("metric", f"{metric} needs a directed graph; {graph!r} is undirected (directed: {directed})")
    if k is not None:
        if metric != "betweenness":
            raise InvalidParameter("k", "only betweenness can be sampled; drop k for other metrics")
        SAMPLES.check(k)
        if k > G.number_of_nodes():
            raise InvalidParameter("k", f"{k} samples but the {graph!r} graph has only {G.number_of_nodes()} nodes")


def _check(G: nx.Graph, metric: str, graph: str, k: int | None, force: bool, max_seconds: float | None) -> None:
    _check_arguments(G, metric, graph, k)
    limit = MAX_SECONDS if max_seconds is None else max_seconds
    seconds = estimate_seconds(G, metric, k)
    if seconds > limit and not force:
        n, m = G.number_of_nodes(), G.number_of_edges()
        how = f"sampled {metric} (k={k})" if k is not None else f"exact {metric}"
        advice = "force it to run anyway"
        if metric == "betweenness":
            advice = f"sample fewer sources (k={affordable_k(G, limit)} fits the limit) or force it"
        raise TooExpensive(
            "metric",
            f"{how} on {graph!r} ({n:,} nodes, {m:,} edges) would take about {_duration(seconds)}, "
            f"over the {_duration(limit)} limit; {advice}",
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


_values = VersionedCache("centrality values", size=32)


def resolve_engine(store: GraphStore, engine: str = "auto") -> str:
    """What computes ``store``'s centralities for the ``engine`` asked: ``gds`` (inside the Neo4j
    server, :mod:`graph.gds`) or ``chainx`` (in this process). ``auto`` is ``gds`` on a Neo4j
    store opened with ``gds=True`` (``CHAINX_NEO4J_GDS=1``) whose server has Graph Data Science;
    ``gds`` asked of any other store is an InvalidParameter saying why.

    >>> from graph.store.sqlite import SqliteStore
    >>> resolve_engine(SqliteStore(":memory:", create=True))
    'chainx'
    """
    ENGINE.check(engine)
    if engine == "gds":
        if not gds.has_gds(store):
            raise InvalidParameter("engine", gds.why_not(store))
        return "gds"
    if engine == "auto" and gds.served(store):
        return "gds"
    return "chainx"


# the values are keyed by the version of the graph they are computed from, not by one read after
# it (graph.cache says what a replace in between did)
@of_one_version
def centrality_values(
    store: GraphStore,
    metric: str,
    graph: str = "all",
    *,
    k: int | None = None,
    seed: int | None = None,
    force: bool = False,
    max_seconds: float | None = None,
    engine: str = "auto",
) -> dict:
    """``{node id: value}`` of ``metric`` for every node of projection ``graph``.

    Cached per store version (:mod:`graph.cache`), so a report followed by :func:`write_back` computes once. With
    ``k`` betweenness samples ``k`` sources; ``seed`` (0 when not given) makes that repeatable.
    ``engine`` as :func:`resolve_engine` takes it.
    Raises InvalidParameter for an unknown metric or graph or a bad ``k`` or ``engine``, and TooExpensive when
    the estimated time exceeds ``max_seconds`` (default :data:`MAX_SECONDS`) unless ``force``.
    """
    one_of("metric", metric, METRICS)
    one_of("graph", graph, GRAPHS)
    SEED.check(seed)
    if k is not None and seed is None:
        seed = 0
    if resolve_engine(store, engine) == "gds":
        _check_arguments(gds.server_projection(store, graph), metric, graph, k)
        # no time estimate: it is calibrated on NetworkX in this process, not on the server
        key = ("gds", metric, graph, k, seed if k is not None else None)
        return _values.get(store, key, lambda: gds.values(store, metric, graph, k=k, seed=seed))
    G = analysis_graph(store, graph)
    _check(G, metric, graph, k, force, max_seconds)
    key = (metric, graph, k, seed if k is not None else None)
    return _values.get(store, key, lambda: compute_metric(G, metric, k, seed))


def _rank_key(item: tuple[str, float]) -> tuple:
    node, value = item
    value = tie_value(value)
    # a NaN (a value NetworkX cannot estimate) after every number, so the order stays total
    return (math.inf if value != value else -value, node)


def top_ranked(nodes: list, values: dict, top: int) -> list[tuple]:
    """The first ``top`` of ``nodes`` as (node, value), highest value first, tied values
    (:func:`tie_value`) by node id: ``sorted(..., key=_rank_key)[:top]``, sorting only the nodes
    that can be among them. On a national graph the ranking of every node would cost more than
    the compiled computation of the values.

    >>> top_ranked(["a", "b", "c", "d"], {"a": 0.5, "b": 0.9, "c": 0.5, "d": 0.1}, 3)
    [('b', 0.9), ('a', 0.5), ('c', 0.5)]
    """
    if len(nodes) > 4 * top:
        raw = np.fromiter((values[node] for node in nodes), dtype=np.float64, count=len(nodes))
        if not np.isnan(raw).any():  # (NaNs, ranked last, are too rare to be worth a special case)
            kth = np.partition(raw, len(raw) - top)[len(raw) - top]  # the top-th highest value
            # a value can tie with the top-th only within 12 significant digits of it (or both
            # within _ZERO of zero); a wider margin than that costs nothing
            keep = raw >= kth - abs(kth) * 1e-10 - 2 * _ZERO
            nodes = [node for node, kept in zip(nodes, keep.tolist()) if kept]
    return sorted(((node, values[node]) for node in nodes), key=_rank_key)[:top]


def centrality(
    store: GraphStore,
    metric: str,
    graph: str = "all",
    *,
    kind: str | None = None,
    region: str | None = None,
    top: int = 20,
    k: int | None = None,
    seed: int | None = None,
    force: bool = False,
    max_seconds: float | None = None,
    engine: str = "auto",
) -> CentralityReport:
    """Rank the nodes of projection ``graph`` by ``metric``.

    Parameters
    ----------
    store : GraphStore
    metric : str
        One of :data:`METRICS`; ``in_degree`` and ``out_degree`` need a directed projection
        (``supply`` or ``chain``).
    graph : str
        One of :data:`GRAPHS`: ``supply``, ``chain``, ``ties`` or ``all``.
    kind : str, optional
        List only nodes of this label (``Enterprise``, ``Stage``, ...).
    region : str, optional
        List only nodes in this region or below it (by their ``region`` property; regions by
        their place in the region tree). Stages have no region and drop out.
    top : int
        How many rows, 1 to :data:`MAX_TOP`.
    k, seed : int, optional
        Betweenness only: sample ``k`` source nodes with ``seed`` (0 when not given) instead of
        all of them; the report then says ``exact: False``. Sources are drawn from the nodes
        in id order, so a seed means the same sample on either store; the values equal
        ``nx.betweenness_centrality(G, k=k, seed=seed)`` on a graph whose nodes were added in
        id order.
    force, max_seconds
        Exact betweenness, closeness and harmonic centrality estimate their time first and
        raise TooExpensive above ``max_seconds`` (default :data:`MAX_SECONDS`) unless ``force``
        (not under ``gds``: the server's time is not estimated here).
    engine : str
        ``chainx``, ``gds`` or ``auto`` (:func:`resolve_engine`): ``gds`` computes the values inside
        the Neo4j server by Graph Data Science.

    Returns
    -------
    CentralityReport
        ``metric``, ``graph``, ``kind``, ``region``, ``exact``, ``k``, ``seed``, ``total``,
        ``engine``, ``threads``, ``note``, ``rows`` (rank, node, name, kind, value). ``threads``: how many
        processes shared the searches (:func:`graph.accel.threads_used`, at most ``CHAINX_THREADS``). ``engine`` says what computed the
        values: ``networkx`` itself, or on a large projection ``igraph``, ``scipy`` or ``numpy``
        (compiled code giving NetworkX's numbers; see :func:`analysis_graph`), or ``gds`` (the Neo4j server; the
        note says where its definition is not NetworkX's). Values are computed on the whole
        projection before ``kind``/``region`` filter the rows; ``total`` counts the nodes that
        passed the filter. Rows run from the highest value down; values that agree to 12
        significant digits (:func:`tie_value`) are tied and ordered by node id.

    Examples
    --------
    A star: the hub lies on every path between two leaves.

    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Institute", "hub", "Hub")] + [Node("Enterprise", f"e{i}", f"E{i}") for i in range(3)],
    ...     relationships=[Relationship("COLLABORATES_WITH", f"e{i}", "hub") for i in range(3)]))
    >>> report = centrality(store, "betweenness", "ties", top=2)
    >>> [(r.rank, r.node, r.value) for r in report.rows], report.exact
    ([(1, 'hub', 1.0), (2, 'e0', 0.0)], True)
    """
    CENTRALITY_TOP.check(top)
    if kind is not None:
        check_label(kind)
    engine = resolve_engine(store, engine)
    values = centrality_values(store, metric, graph, k=k, seed=seed, force=force, max_seconds=max_seconds, engine=engine)
    seed = (0 if seed is None else seed) if k is not None else None
    G = gds.server_projection(store, graph) if engine == "gds" else analysis_graph(store, graph)
    region = check_region(store, region) if region is not None else None
    regions = region_descendants(store, region) if region is not None else None

    def listed(node: str) -> bool:
        attrs = G.nodes[node]
        if kind is not None and attrs.get("kind") != kind:
            return False
        if regions is not None:
            in_region = node in regions if attrs.get("kind") == "Region" else attrs.get("region") in regions
            if not in_region:
                return False
        return True

    chosen = list(values) if kind is None and regions is None else [node for node in values if listed(node)]
    rows = [
        CentralityRow.model_construct(rank=rank, node=node, name=G.nodes[node].get("name", node), kind=G.nodes[node].get("kind"), value=value)
        for rank, (node, value) in enumerate(top_ranked(chosen, values, top), start=1)
    ]
    if k is not None:
        note = (
            f"sampled: betweenness from {k} of {G.number_of_nodes()} source nodes (seed {seed}), "
            "scaled as NetworkX does; an estimate of the exact value"
        )
    else:
        note = f"exact {metric} on the whole {graph!r} projection ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)"
    left_out = placeholder_regions(store, graph)
    if left_out:
        note += f"; placeholder region(s) left out: {', '.join(left_out)} (every imported firm is in it)"
    if kind is not None or region is not None:
        note += "; computed on the whole projection, then filtered"
    if engine == "gds":
        note += "; computed inside the Neo4j server by Graph Data Science"
        differs = gds.SAMPLED_DIFFERS if k is not None else gds.DIFFERS.get(metric)
        note += f" ({differs})" if differs else ", equal to NetworkX's values"
    return CentralityReport.model_construct(
        metric=metric,
        graph=graph,
        kind=kind,
        region=region,
        exact=k is None,
        k=k,
        seed=seed,
        total=len(chosen),
        engine="gds" if engine == "gds" else accel.engine(metric) if isinstance(G, FastProjection) else "networkx",
        threads=accel.threads_used(G, metric, k) if engine != "gds" and isinstance(G, FastProjection) else 1,
        note=note,
        rows=rows,
    )


def property_name(metric: str, graph: str) -> str:
    """The node property :func:`write_back` stores a metric under.

    >>> property_name("pagerank", "supply")
    'centrality_pagerank_supply'
    """
    return f"centrality_{one_of('metric', metric, METRICS)}_{one_of('graph', graph, GRAPHS)}"


def write_back(store: GraphStore, report: CentralityReport) -> int:
    """Store the values of ``report``'s metric as node properties; return how many nodes.

    Every node of the projection gets ``centrality_<metric>_<graph>``, not only the report's
    rows: the rows are a top-N view of one computation whose values all belong to their nodes.
    The values are the same computation the report came from (same ``k`` and ``seed``).

    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(nodes=[Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B")],
    ...                           relationships=[Relationship("SUPPLIES", "a", "b")]))
    >>> write_back(store, centrality(store, "out_degree", "supply"))
    2
    >>> next(store.nodes(ids=["a"])).props["centrality_out_degree_supply"]
    1.0
    """
    metric, graph = report.metric, report.graph
    name = property_name(metric, graph)
    # force: the report was already computed (or allowed), so the values are in the cache
    values = centrality_values(store, metric, graph, k=report.k, seed=report.seed, force=True,
                               engine="gds" if report.engine == "gds" else "chainx")
    if not values:
        return 0
    store.set_properties({node: {name: value} for node, value in values.items()})
    return len(values)
