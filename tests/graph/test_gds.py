"""Centralities computed inside Neo4j by Graph Data Science (graph/gds.py) equal NetworkX's own
functions on the same projection, where the definitions match. They run on the GDS test server
(the ``gds_server`` fixture: neo4j/pom.xml's GDS jars in its plugins folder); the session's own
server has none."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph import gds
from graph.analysis.centrality import centrality, compute_metric, write_back
from graph.errors import InvalidParameter
from graph.model import GraphData, Node, Relationship
from graph.projection import projection
from graph.store.neo4j import clear_database

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


# -- the reports over GDS ------------------------------------------------------------------------
def path_and_isolated() -> GraphData:
    """a → b → c, and d on its own: a disconnected directed supply graph."""
    nodes = [Node("Enterprise", i, i.upper(), {"region": "north" if i in "ab" else "south"}) for i in "abcd"]
    return GraphData(nodes=nodes, relationships=[Relationship("SUPPLIES", "a", "b"), Relationship("SUPPLIES", "b", "c")])


# worked by hand on a → b → c plus d (n = 4): betweenness normalised by (n-1)(n-2) = 6 ordered
# pairs, b lies on a→c; closeness counts distances *to* a node, scaled by the share of the others
# that reach it (Wasserman-Faust, NetworkX's rule on a disconnected graph): c is reached by 2 of 3
# at distances 1 and 2, (2/3)·(2/3); b by 1 of 3 at distance 1, (1/3)·1
WORKED = {
    "betweenness": {"b": 1 / 6, "a": 0.0, "c": 0.0, "d": 0.0},
    "closeness": {"c": 4 / 9, "b": 1 / 3, "a": 0.0, "d": 0.0},
    "harmonic": {"c": 1.5, "b": 1.0, "a": 0.0, "d": 0.0},
    "degree": {"b": 2 / 3, "a": 1 / 3, "c": 1 / 3, "d": 0.0},
    "in_degree": {"b": 1 / 3, "c": 1 / 3, "a": 0.0, "d": 0.0},
    "core": {"a": 1, "b": 1, "c": 1, "d": 0},
}


@pytest.mark.parametrize("metric", list(WORKED))
def test_a_gds_report_has_the_worked_values_and_says_gds(gds_store, metric):
    gds_store.write(path_and_isolated())
    report = centrality(gds_store, metric, "supply", engine="gds")
    assert report.engine == "gds" and "Graph Data Science" in report.note and "equal to NetworkX's" in report.note
    assert {row.node: row.value for row in report.rows} == pytest.approx(WORKED[metric], abs=1e-12)
    ranked = sorted(WORKED[metric], key=lambda node: (-WORKED[metric][node], node))
    assert [row.node for row in report.rows] == ranked and report.total == 4


@pytest.mark.parametrize("graph", ["supply", "chain", "all"])
def test_gds_reports_equal_the_chainx_engine_s_reports(loaded, graph):
    directed = projection(loaded, graph).is_directed()
    for metric in MATCHING:
        if metric in ("in_degree", "out_degree") and not directed:
            continue
        ours = centrality(loaded, metric, graph, top=1000, engine="chainx")
        server = centrality(loaded, metric, graph, top=1000, engine="gds")
        assert ours.engine != "gds" and server.engine == "gds"
        assert [r.node for r in server.rows] == [r.node for r in ours.rows], metric
        assert [r.value for r in server.rows] == pytest.approx([r.value for r in ours.rows], abs=1e-9), metric
        assert [(r.name, r.kind) for r in server.rows] == [(r.name, r.kind) for r in ours.rows]


def test_filters_and_sampling_over_gds(loaded):
    report = centrality(loaded, "degree", "all", kind="Enterprise", top=3, engine="gds")
    want = centrality(loaded, "degree", "all", kind="Enterprise", top=3, engine="chainx")
    assert [(r.node, r.kind) for r in report.rows] == [(r.node, r.kind) for r in want.rows] and report.total == want.total == 7
    sampled = centrality(loaded, "betweenness", "supply", k=3, seed=1, engine="gds")
    assert not sampled.exact and sampled.engine == "gds" and gds.SAMPLED_DIFFERS in sampled.note


@pytest.mark.parametrize("metric", ["pagerank", "eigenvector"])
def test_a_gds_report_says_where_the_definition_differs(loaded, metric):
    # (the supply graph's isolated e6 is a node without outgoing edges: the PageRanks do differ)
    report = centrality(loaded, metric, "supply", engine="gds")
    assert report.engine == "gds" and gds.DIFFERS[metric] in report.note and "equal to NetworkX's" not in report.note


def test_write_back_stores_the_gds_report_s_values(loaded):
    report = centrality(loaded, "in_degree", "supply", engine="gds")
    assert write_back(loaded, report) == 7
    want = nx.in_degree_centrality(projection(loaded, "supply"))
    stored = {node.id: node.props["centrality_in_degree_supply"] for node in loaded.nodes(ids=list(want))}
    assert stored == pytest.approx(want, abs=1e-12)


def test_chainx_neo4j_gds_makes_gds_the_cli_s_default(gds_server, loaded):
    env = {**gds_server.env(), "CHAINX_NEO4J_GDS": "1"}
    args = ["centrality", "--metric", "in_degree", "--graph", "supply", "--format", "json", "--store", gds_server.uri]
    by_default = json.loads(CliRunner().invoke(cli, args, env=env).output)
    assert by_default["engine"] == "gds"
    asked_not = CliRunner().invoke(cli, [*args, "--engine", "chainx"], env=env)
    assert json.loads(asked_not.output)["engine"] == "networkx"
    assert json.loads(asked_not.output)["rows"] == by_default["rows"]
    without = CliRunner().invoke(cli, args, env={**env, "CHAINX_NEO4J_GDS": ""})
    assert json.loads(without.output)["engine"] == "networkx"


def test_engine_gds_on_a_server_without_it_is_one_clear_error(bolt_server):
    if not bolt_server.local:
        pytest.skip("an external CHAINX_TEST_NEO4J_URI server may have GDS")
    with bolt_server.store() as store:
        clear_database(store)
        store.write(path_and_isolated())
        with pytest.raises(InvalidParameter) as caught:
            centrality(store, "degree", "supply", engine="gds")
        assert str(caught.value) == (f"engine: the Neo4j server at {bolt_server.uri} has no Graph Data Science "
                                     "(gds.version() is unknown there): install its plugin or use engine chainx")
        assert centrality(store, "degree", "supply").engine == "networkx"  # auto: chainx


def test_the_api_s_engine_parameter_reaches_gds(loaded):
    with TestClient(create_app(Settings(store=loaded.uri), store=loaded)) as client:
        params = {"metric": "degree", "graph": "supply", "top": 10}
        server = client.get("/centrality", params={**params, "engine": "gds"}).json()
        ours = client.get("/centrality", params={**params, "engine": "chainx"}).json()
    assert (server["engine"], ours["engine"]) == ("gds", "networkx")
    assert [r["node"] for r in server["rows"]] == [r["node"] for r in ours["rows"]]
    assert [r["value"] for r in server["rows"]] == pytest.approx([r["value"] for r in ours["rows"]], abs=1e-12)


def test_the_k_core_projection_can_be_built_before_the_metric(loaded):
    # (what the bench does, so that the core row times gds.kcore alone): projected once, then reused
    name = gds.catalog_graph(loaded, "supply", "core")
    assert loaded._read("RETURN gds.graph.exists($name) AS e", name=name)[0]["e"]
    assert gds.catalog_graph(loaded, "supply", "core") == name
    assert gds.values(loaded, "core", "supply") == compute_metric(projection(loaded, "supply"), "core")
    with pytest.raises(InvalidParameter, match="unknown GDS projection variant 'sideways'"):
        gds.catalog_graph(loaded, "supply", "sideways")
