"""Centralities inside the Neo4j server, by Graph Data Science (GDS), where the server has it.

A national graph stays in Neo4j: the projection is built in the server (a Cypher projection,
``gds.graph.project``, of the same nodes and the same collapsed, weighted edges as
:mod:`graph.projection`), the algorithm runs there, and only one value per node comes back —
never the relationships. Used when the store was opened with ``gds=True``
(``CHAINX_NEO4J_GDS=1``) and the server answers ``gds.version()``; reports then say
``engine: gds``.

Why it is asked for, not automatic: some of GDS's definitions are not NetworkX's, so a report
would change meaning with the server it ran on. Where they match, the values are NetworkX's
(tests/graph/test_gds.py holds them to NetworkX's own functions):

==============  ==============================================================================
metric          GDS call, and how its value is made NetworkX's
==============  ==============================================================================
degree          ``gds.degree`` (orientation UNDIRECTED on a directed projection: in + out),
                divided by n − 1
in_degree       ``gds.degree`` orientation REVERSE, divided by n − 1
out_degree      ``gds.degree`` orientation NATURAL, divided by n − 1
betweenness     ``gds.betweenness``, scaled as NetworkX normalises; with ``k``:
                ``samplingSize`` k and ``samplingSeed`` — **differs**: GDS draws its own sources,
                so a sampled value is an estimate from another sample than NetworkX's
closeness       ``gds.closeness`` with ``useWassermanFaust`` (NetworkX's formula on disconnected
                graphs); like NetworkX it measures the distances to a node on a directed one
harmonic        ``gds.closeness.harmonic`` times n − 1 (GDS normalises, NetworkX does not)
pagerank        ``gds.pageRank`` (damping 0.85, weight = the projection's ``weight``), scaled to
                sum 1 — **differs** where a node has no outgoing edge: NetworkX hands a dangling
                node's rank to every node, GDS lets it go
eigenvector     ``gds.eigenvector`` (unweighted) — **differs**: a power iteration without
                NetworkX's shift; on small graphs where NetworkX converges it agrees to about
                1e-5, on the benchmark's 100k chains up to 0.19 apart, and on bipartite or
                nearly bipartite graphs (where NetworkX refuses) it stops anywhere
core            ``gds.kcore`` without self-loops; a directed projection's edges each count once
                for both ends, as ``nx.core_number`` counts in + out degree
==============  ==============================================================================
"""

from __future__ import annotations

import logging
import re
import threading

from graph.cache import VersionedCache
from graph.errors import InvalidParameter, StoreError, StoreUnavailable
from graph.model import check_label, check_rel_type
from graph.params import SAMPLES
from graph.projection import WITHOUT_PLACEHOLDERS, placeholder_regions, projection_spec
from graph.store.neo4j import _union

__all__ = ["DIFFERS", "SAMPLED_DIFFERS", "VARIANTS", "has_gds", "served", "why_not", "ServerProjection", "server_projection",
           "catalog_graph", "values"]

log = logging.getLogger(__name__)

# what the report's note says where GDS's definition is not NetworkX's
DIFFERS = {
    "pagerank": "GDS's PageRank lets a node without outgoing edges lose its rank (NetworkX spreads it over every node), "
                "so values differ where the projection has such nodes",
    "eigenvector": "GDS's eigenvector iteration has no shift and stops by its own rule: values agree with NetworkX's "
                   "to about 1e-5 on small graphs where NetworkX converges, but not in general (up to 0.19 apart on the "
                   "benchmark's 100k-relationship chains), nor on bipartite graphs",
}
SAMPLED_DIFFERS = "GDS draws its own k sources, not NetworkX's: another estimate of the same exact value"

PAGERANK_ITERATIONS = 1000  # NetworkX's 100 with tol 1e-6·n stops later than GDS's default 20
PAGERANK_TOLERANCE = 1e-10
# NetworkX's max_iter; where the iteration does not converge (a DAG: no dominant eigenvector) GDS runs
# every one of them, at tens of milliseconds each in the server (1,000 took a minute on 7 nodes)
EIGENVECTOR_ITERATIONS = 100

_available: dict[tuple[str, str | None], bool] = {}
_warned: set[tuple[str, str | None]] = set()
_available_lock = threading.Lock()


def has_gds(store) -> bool:
    """Whether ``store`` is a Neo4j store whose server has GDS (``gds.version()``, asked once per
    address and database)."""
    from graph.store.neo4j import Neo4jStore

    if not isinstance(store, Neo4jStore):
        return False
    where = (store.uri, store.database)
    with _available_lock:
        if where in _available:
            return _available[where]
    try:
        version = store._read("RETURN gds.version() AS v")[0]["v"]
        found = True
        log.info("Graph Data Science %s at %s", version, store.uri)
    except StoreError as error:
        if isinstance(error, StoreUnavailable):
            raise  # the server is away: that says nothing about GDS, and is not remembered
        found = False  # the server does not know the function
    with _available_lock:
        _available[where] = found
    return found


def served(store) -> bool:
    """Whether ``store``'s centralities run in the server by default: a Neo4j store opened with
    ``gds=True`` (``CHAINX_NEO4J_GDS=1``) whose server has GDS."""
    if not getattr(store, "gds", False):
        return False
    if has_gds(store):
        return True
    with _available_lock:
        first = (store.uri, store.database) not in _warned
        _warned.add((store.uri, store.database))
    if first:
        log.warning("%s has no Graph Data Science (gds.version() unknown): centralities run in chainx", store.uri)
    return False


def why_not(store) -> str:
    """Why ``store``'s centralities cannot be computed by GDS (for :func:`has_gds` False)."""
    from graph.store.neo4j import Neo4jStore

    if not isinstance(store, Neo4jStore):
        return "gds computes inside a Neo4j server with Graph Data Science; this store is not Neo4j (use engine chainx)"
    return (f"the Neo4j server at {store.uri} has no Graph Data Science (gds.version() is unknown there): "
            "install its plugin or use engine chainx")


# -- the projection in the server ---------------------------------------------------------------
def _weight(rel: str) -> str:
    """Cypher for graph.store.base.projection_weight of relationship ``rel``."""
    def number(prop: str) -> str:
        return (f"CASE WHEN valueType({rel}.{prop}) STARTS WITH 'INTEGER' OR valueType({rel}.{prop}) STARTS WITH 'FLOAT'"
                f" THEN toFloat({rel}.{prop}) ELSE 1.0 END")
    return (f"CASE WHEN type({rel}) = 'SUPPLIES' THEN 1.0 WHEN {rel}.weight IS NOT NULL THEN {number('weight')}"
            f" WHEN {rel}.volume IS NOT NULL THEN {number('volume')} ELSE 1.0 END")


def _project_query(graph: str, variant: str) -> str:
    """The Cypher projection of ``graph``: every node of its labels (isolated ones too), and one
    edge per pair of nodes with relationships between them, whose ``weight`` sums theirs, as
    :func:`graph.projection.build_projection` collapses parallel relationships.

    Edges carry ``weight`` (PageRank's) and ``unit`` (1: the unweighted measures'); on an
    undirected projection a self-loop carries half of each, since GDS stores it in both
    directions where NetworkX counts it once. Variants: ``natural`` (the projection as it is),
    ``core`` (undirected, without self-loops; a directed projection's a→b and b→a stay
    two edges, as its in + out degree counts them).
    """
    labels, types, directed = projection_spec(graph)
    # placeholder regions left out, as graph.analysis.centrality.analysis_graph leaves them out
    is_node = " OR ".join("({v}:Region AND {v}.placeholder IS NULL)" if label == "Region" and graph in WITHOUT_PLACEHOLDERS
                          else f"{{v}}:{check_label(label)}" for label in labels)
    rel_types = "|".join(check_rel_type(t) for t in types)
    if directed:
        pair = f"WITH a AS s, b AS t, sum({_weight('r')}) AS w, 1.0 AS u"
    else:
        # an undirected edge is one pair whichever way its relationships point
        pair = (f"WITH CASE WHEN elementId(a) <= elementId(b) THEN a ELSE b END AS s,"
                f" CASE WHEN elementId(a) <= elementId(b) THEN b ELSE a END AS t, sum({_weight('r')}) AS w"
                # GDS keeps an undirected self-loop in both directions, NetworkX once: half each
                " WITH s, t, CASE WHEN s = t THEN w / 2 ELSE w END AS w, CASE WHEN s = t THEN 0.5 ELSE 1.0 END AS u")
    loops = " AND a <> b" if variant == "core" else ""
    undirected = "['*']" if not directed or variant == "core" else "[]"
    return f"""
CALL () {{
  MATCH (n) WHERE {is_node.format(v='n')}
  RETURN n AS s, null AS t, null AS w, null AS u
  UNION ALL
  MATCH (a)-[r:{rel_types}]->(b) WHERE ({is_node.format(v='a')}) AND ({is_node.format(v='b')}){loops}
  {pair}
  RETURN s, t, w, u
}}
WITH gds.graph.project($name, s, t, CASE WHEN t IS NULL THEN {{}} ELSE {{relationshipProperties: {{weight: w, unit: u}}}} END,
                       {{undirectedRelationshipTypes: {undirected}}}) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS relationships
"""


class ServerProjection:
    """What a report needs of a projection held in the server: its node ids with ``kind``,
    ``name`` and ``region`` (``nodes[id]``, as on a NetworkX graph), and its size."""

    def __init__(self, graph: str, nodes: dict[str, dict], edges: int, directed: bool):
        self.graph = graph
        self.nodes = nodes
        self.edges = edges
        self.directed = directed

    def number_of_nodes(self) -> int:
        return len(self.nodes)

    def number_of_edges(self) -> int:
        return self.edges

    def is_directed(self) -> bool:
        return self.directed


_graphs = VersionedCache("GDS projections", size=16)
_lock = threading.Lock()


def _catalog_name(store, graph: str, variant: str) -> str:
    version = re.sub(r"[^0-9A-Za-z]", "_", store.version())
    return f"chainx_{graph}_{variant}_{version}"


def _ensure_projected(store, graph: str, variant: str) -> str:
    """The GDS catalog name of ``graph``'s ``variant`` at the store's version, projected first
    when missing; older versions' projections of the same graph are dropped (they hold memory in
    the server and no one asks for them again)."""
    name = _catalog_name(store, graph, variant)
    with _lock:
        exists = store._read("RETURN gds.graph.exists($name) AS e", name=name)[0]["e"]
        if not exists:
            prefix = f"chainx_{graph}_{variant}_"
            for record in store._read("CALL gds.graph.list() YIELD graphName RETURN graphName"):
                old = record["graphName"]
                if old.startswith(prefix):
                    store._read("CALL gds.graph.drop($name, false) YIELD graphName RETURN graphName", name=old)
            store._read(_project_query(graph, variant), name=name)
    return name


VARIANTS = ("natural", "core")  # the projections of one graph in GDS's catalog (core: for gds.kcore)


def catalog_graph(store, graph: str, variant: str = "natural") -> str:
    """The GDS catalog name of ``graph``'s ``variant`` (:data:`VARIANTS`) at the store's version,
    projected in the server first when missing (the k-core variant is otherwise projected by the
    first ``core`` asked: a caller timing the metrics projects it here beforehand)."""
    if variant not in VARIANTS:
        raise InvalidParameter("variant", f"unknown GDS projection variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    return _ensure_projected(store, graph, variant)


def server_projection(store, graph: str) -> ServerProjection:
    """The projection ``graph`` in the server (projected when missing), cached per store version."""
    def build() -> ServerProjection:
        name = _ensure_projected(store, graph, "natural")
        edges = store._read("CALL gds.graph.list($name) YIELD relationshipCount RETURN relationshipCount AS m", name=name)[0]["m"]
        labels, _, directed = projection_spec(graph)
        left_out = set(placeholder_regions(store, graph))
        nodes = {
            r["id"]: {"kind": r["kind"], "name": r["name"] or r["id"], "region": r["region"]}
            for r in store._rows(_union("MATCH (n:{label}) RETURN n.id AS id, '{label}' AS kind, n.name AS name, n.region AS region", labels),
                                 ("id", "kind", "name", "region"))
            if r["id"] not in left_out
        }
        if not directed:
            edges //= 2  # GDS counts an undirected edge once per direction
        return ServerProjection(graph, nodes, edges, directed)

    return _graphs.get(store, ("projection", graph), build)


# -- the algorithms -----------------------------------------------------------------------------
def _stream(store, procedure: str, name: str, config: dict, column: str = "score") -> dict[str, float]:
    query = (f"CALL {procedure}($name, $config) YIELD nodeId, {column} AS value"
             " RETURN gds.util.asNode(nodeId).id AS id, value")
    return {r["id"]: r["value"] for r in store._rows(query, ("id", "value"), name=name, config=config)}


def values(store, metric: str, graph: str, k: int | None = None, seed: int | None = None) -> dict[str, float]:
    """``{node id: value}`` of ``metric`` on projection ``graph``, computed in the server by GDS
    and put on NetworkX's scale (module table). InvalidParameter as
    :func:`graph.analysis.centrality.centrality_values` raises it."""
    P = server_projection(store, graph)
    directed = P.is_directed()
    if metric in ("in_degree", "out_degree") and not directed:
        raise InvalidParameter("metric", f"{metric} needs a directed graph; {graph!r} is undirected")
    if k is not None:
        if metric != "betweenness":
            raise InvalidParameter("k", "only betweenness can be sampled; drop k for other metrics")
        SAMPLES.check(k)
        if k > P.number_of_nodes():
            raise InvalidParameter("k", f"{k} samples but the {graph!r} graph has only {P.number_of_nodes()} nodes")
    n = P.number_of_nodes()
    if n == 0:
        return {}
    natural = _ensure_projected(store, graph, "natural")
    if metric in ("degree", "in_degree", "out_degree"):
        if n == 1:
            return dict.fromkeys(P.nodes, 1.0)  # NetworkX's convention for a single node
        orientation = {"in_degree": "REVERSE", "out_degree": "NATURAL"}.get(metric, "UNDIRECTED" if directed else "NATURAL")
        raw = _stream(store, "gds.degree.stream", natural, {"orientation": orientation})
        return {node: value / (n - 1) for node, value in raw.items()}
    if metric == "betweenness":
        config = {} if k is None else {"samplingSize": k, "samplingSeed": 0 if seed is None else seed}
        raw = _stream(store, "gds.betweenness.stream", natural, config)
        if n <= 2:
            return dict.fromkeys(raw, 0.0)
        # NetworkX normalises by the ordered pairs of other nodes (each unordered pair once on an
        # undirected graph, where GDS counts both directions), and scales a sample by n / k
        scale = 1 / ((n - 1) * (n - 2)) * (1 if directed else 2) * (n / k if k is not None else 1)
        return {node: value * scale for node, value in raw.items()}
    if metric in ("closeness", "harmonic"):
        # (GDS, like NetworkX, measures the distances from the other nodes to a node)
        if metric == "closeness":
            return _stream(store, "gds.closeness.stream", natural, {"useWassermanFaust": True})
        raw = _stream(store, "gds.closeness.harmonic.stream", natural, {})
        return {node: value * (n - 1) for node, value in raw.items()}
    if metric == "pagerank":
        raw = _stream(store, "gds.pageRank.stream", natural, {
            "dampingFactor": 0.85, "maxIterations": PAGERANK_ITERATIONS, "tolerance": PAGERANK_TOLERANCE,
            "relationshipWeightProperty": "weight"})
        total = sum(raw.values()) or 1.0
        return {node: value / total for node, value in raw.items()}
    if metric == "eigenvector":
        return _stream(store, "gds.eigenvector.stream", natural,
                       {"maxIterations": EIGENVECTOR_ITERATIONS, "relationshipWeightProperty": "unit"})
    if metric == "core":
        raw = _stream(store, "gds.kcore.stream", _ensure_projected(store, graph, "core"), {}, column="coreValue")
        return {node: int(value) for node, value in raw.items()}
    raise InvalidParameter("metric", f"unknown metric {metric!r}")
