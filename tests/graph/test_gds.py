"""Centralities computed inside Neo4j by Graph Data Science (graph/gds.py) equal NetworkX's own
functions on the same projection, where the definitions match. They run on the GDS test server
(the ``gds_server`` fixture: neo4j/pom.xml's GDS jars in its plugins folder); the session's own
server has none."""

from __future__ import annotations

import networkx as nx
import pytest

from graph import gds
from graph.analysis.centrality import compute_metric
from graph.model import GraphData, Node, Relationship
from graph.projection import projection

pytestmark = pytest.mark.neo4j

SUPPLIES = [("e0", "e1"), ("e1", "e2"), ("e2", "e0"), ("e2", "e3"), ("e3", "e4"), ("e0", "e4"), ("e4", "e5"), ("e5", "e4")]
MATCHING = ("degree", "in_degree", "out_degree", "betweenness", "closeness", "harmonic", "core")


def small_graph() -> GraphData:
    """A 3-cycle, a sink pair and an isolated firm; a parallel supply; stages with a weight, a
    self-loop and an isolated stage; enterprises operating in stages (the 'all' projection)."""
    nodes = [Node("Enterprise", f"e{i}", f"E{i}", {"region": "r"}) for i in range(7)]
    nodes += [Node("Stage", f"s{i}", f"S{i}") for i in range(4)]
    rels = [Relationship("SUPPLIES", a, b, key=f"k{i}") for i, (a, b) in enumerate(SUPPLIES)]
    rels += [Relationship("SUPPLIES", "e0", "e1", key="other"),
             Relationship("FEEDS", "s0", "s1", props={"weight": 2}), Relationship("FEEDS", "s1", "s2"),
             Relationship("FEEDS", "s2", "s2"), Relationship("OPERATES_IN", "e0", "s0"),
             Relationship("OPERATES_IN", "e1", "s0", props={"weight": 3.5})]
    return GraphData(nodes=nodes, relationships=rels)


@pytest.fixture
def loaded(gds_store):
    gds_store.write(small_graph())
    return gds_store


@pytest.mark.parametrize("graph", ["supply", "chain", "all"])
def test_gds_values_are_networkx_values_where_the_definitions_match(loaded, graph):
    G = projection(loaded, graph)
    for metric in MATCHING:
        if metric in ("in_degree", "out_degree") and not G.is_directed():
            continue
        got, want = gds.values(loaded, metric, graph), compute_metric(G, metric)
        assert set(got) == set(want), metric
        assert all(got[n] == pytest.approx(want[n], abs=1e-9) for n in want), (metric, got, want)


def test_gds_pagerank_is_networkx_pagerank_without_dangling_nodes(loaded):
    # undirected 'all': every node but the isolated ones has edges both ways, and an isolated
    # node's rank is the same under both definitions; the self-loop s2-s2 counts once, as in NetworkX
    want = nx.pagerank(projection(loaded, "all"), weight="weight", tol=1e-12, max_iter=1000)
    got = gds.values(loaded, "pagerank", "all")
    assert all(got[n] == pytest.approx(want[n], abs=1e-7) for n in want)


def test_sampled_betweenness_with_every_source_is_the_exact_value(loaded):
    G = projection(loaded, "supply")
    got = gds.values(loaded, "betweenness", "supply", k=G.number_of_nodes(), seed=3)
    want = nx.betweenness_centrality(G)
    assert all(got[n] == pytest.approx(want[n], abs=1e-9) for n in want)


def test_gds_is_used_only_when_asked_and_the_server_has_it(loaded, gds_server, bolt_server):
    assert gds.served(loaded)
    with gds_server.store() as not_asked:
        assert not gds.served(not_asked)
    if bolt_server.local:  # the session's server starts without GDS (an empty plugins folder)
        with bolt_server.store(gds=True) as without:
            assert not gds.served(without)
