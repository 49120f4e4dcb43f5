"""Centrality reports: hand-worked answers, NetworkX equality on random graphs, ranks, write-back."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.analysis import centrality as centrality_module
from graph.analysis.centrality import GRAPHS, METRICS, centrality, centrality_values, write_back
from graph.errors import InvalidParameter, NotFound, TooExpensive
from graph.store import reads
from graph.store.sqlite import SqliteStore

from .small_graphs import E, I, R, S, rel, star, tie, write


def values(report):
    return {row["node"]: row["value"] for row in report["rows"]}


# -- a star, by hand ------------------------------------------------------------------------
# ties projection: hub joined to e1..e4, n = 5.


def test_star_degree_betweenness_closeness_harmonic_by_hand(sqlite_store):
    star(sqlite_store)
    assert values(centrality(sqlite_store, "degree", "ties").to_dict()) == {"hub": 1.0, "e1": 0.25, "e2": 0.25, "e3": 0.25, "e4": 0.25}
    # all 6 leaf pairs pass through the hub; normalised by (n-1)(n-2)/2 = 6
    assert values(centrality(sqlite_store, "betweenness", "ties").to_dict()) == {"hub": 1.0, "e1": 0.0, "e2": 0.0, "e3": 0.0, "e4": 0.0}
    closeness = values(centrality(sqlite_store, "closeness", "ties").to_dict())
    assert closeness["hub"] == 1.0
    assert closeness["e1"] == pytest.approx(4 / 7, abs=1e-12)  # 4 others at distances 1, 2, 2, 2
    harmonic = values(centrality(sqlite_store, "harmonic", "ties").to_dict())
    assert harmonic["hub"] == 4.0 and harmonic["e1"] == pytest.approx(1 + 3 * 0.5)
    assert set(values(centrality(sqlite_store, "core", "ties").to_dict()).values()) == {1}


def test_star_pagerank_and_eigenvector_by_hand(sqlite_store):
    star(sqlite_store)
    # PageRank: h = 0.15/5 + 0.85·4·l and l = 0.15/5 + 0.85·h/4  →  h = 0.132 / 0.2775
    hub = 0.132 / 0.2775
    leaf = 0.03 + 0.2125 * hub
    pagerank = values(centrality(sqlite_store, "pagerank", "ties").to_dict())
    assert pagerank["hub"] == pytest.approx(hub, abs=1e-5) and pagerank["e3"] == pytest.approx(leaf, abs=1e-5)
    # Eigenvector of K1,4 (λ = 2): hub 1/√2, each leaf half of that
    eigen = values(centrality(sqlite_store, "eigenvector", "ties").to_dict())
    assert eigen["hub"] == pytest.approx(1 / math.sqrt(2), abs=1e-5)
    assert eigen["e2"] == pytest.approx(1 / (2 * math.sqrt(2)), abs=1e-5)


def test_in_and_out_degree_on_a_directed_supply_chain_by_hand(sqlite_store):
    # a supplies b and c; b supplies c.  n - 1 = 2
    write(sqlite_store, [E("a"), E("b"), E("c")], [rel("SUPPLIES", "a", "b"), rel("SUPPLIES", "a", "c"), rel("SUPPLIES", "b", "c")])
    assert values(centrality(sqlite_store, "out_degree", "supply").to_dict()) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert values(centrality(sqlite_store, "in_degree", "supply").to_dict()) == {"c": 1.0, "b": 0.5, "a": 0.0}
    # betweenness on the directed graph: only a→b→c could pass through b, but a→c is direct
    assert values(centrality(sqlite_store, "betweenness", "supply").to_dict()) == {"a": 0.0, "b": 0.0, "c": 0.0}


def test_pagerank_reads_parallel_supplies_as_weight(sqlite_store):
    # a supplies b two stages (two relationships, weight 2) and c one: b ranks above c
    write(sqlite_store, [E("a"), E("b"), E("c")],
          [rel("SUPPLIES", "a", "b", "pta"), rel("SUPPLIES", "a", "b", "meg"), rel("SUPPLIES", "a", "c", "pta")])
    pagerank = values(centrality(sqlite_store, "pagerank", "supply").to_dict())
    expected = nx.pagerank(nx.DiGraph([("a", "b", {"weight": 2.0}), ("a", "c", {"weight": 1.0})]))
    assert pagerank == pytest.approx(expected, abs=1e-12)
    assert pagerank["b"] > pagerank["c"]


def test_core_ignores_self_loops(sqlite_store):
    # a triangle plus a firm that supplies itself and one triangle member
    write(sqlite_store, [E(x) for x in "abcd"],
          [rel("SUPPLIES", "a", "b"), rel("SUPPLIES", "b", "c"), rel("SUPPLIES", "c", "a"),
           rel("SUPPLIES", "d", "d"), rel("SUPPLIES", "d", "a")])
    # undirected 'all': triangle members are in the 2-core, d (one real neighbour) in the 1-core
    assert values(centrality(sqlite_store, "core", "all").to_dict()) == {"a": 2, "b": 2, "c": 2, "d": 1}


# -- rows: rank, tie-break, top, filters ------------------------------------------------------


def test_rows_rank_by_value_then_id_and_top_limits(sqlite_store):
    star(sqlite_store)
    report = centrality(sqlite_store, "degree", "ties", top=3).to_dict()
    assert [(r["rank"], r["node"]) for r in report["rows"]] == [(1, "hub"), (2, "e1"), (3, "e2")]
    assert report["rows"][0] == {"rank": 1, "node": "hub", "name": "枢纽大学", "kind": "Institute", "value": 1.0}
    assert report["total"] == 5 and report["exact"] is True and report["k"] is None and report["seed"] is None


def test_kind_filter_lists_values_computed_on_the_whole_projection(sqlite_store):
    star(sqlite_store)
    report = centrality(sqlite_store, "closeness", "ties", kind="Enterprise").to_dict()
    # the leaves keep the closeness they have through the hub (4/7), and are re-ranked from 1
    assert [r["node"] for r in report["rows"]] == ["e1", "e2", "e3", "e4"]
    assert [r["rank"] for r in report["rows"]] == [1, 2, 3, 4]
    assert all(r["value"] == pytest.approx(4 / 7) for r in report["rows"])
    assert "then filtered" in report["note"]


def test_region_filter_includes_sub_regions(sqlite_store):
    write(sqlite_store,
          [R("jiangsu"), R("suzhou"), R("hubei"), E("a", region="suzhou"), E("b", region="jiangsu"), E("c", region="hubei"), S("weave")],
          [rel("PART_OF", "suzhou", "jiangsu"), rel("LOCATED_IN", "a", "suzhou"), rel("LOCATED_IN", "b", "jiangsu"),
           rel("LOCATED_IN", "c", "hubei"), rel("OPERATES_IN", "a", "weave"), rel("OPERATES_IN", "c", "weave")])
    assert {r["node"] for r in centrality(sqlite_store, "degree", "all", region="jiangsu").to_dict()["rows"]} == {"jiangsu", "suzhou", "a", "b"}
    assert {r["node"] for r in centrality(sqlite_store, "degree", "all", region="suzhou", kind="Enterprise").to_dict()["rows"]} == {"a"}
    with pytest.raises(NotFound, match="unknown region 'mars'"):
        centrality(sqlite_store, "degree", "all", region="mars").to_dict()


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        ({"metric": "fame"}, "metric"),
        ({"graph": "friends"}, "graph"),
        ({"top": 0}, "top"),
        ({"top": 1001}, "top"),
        ({"top": 2.5}, "top"),
        ({"kind": "Planet"}, "kind"),
        ({"metric": "in_degree", "graph": "all"}, "metric"),
        ({"metric": "out_degree", "graph": "ties"}, "metric"),
        ({"metric": "degree", "k": 2}, "k"),
        ({"metric": "betweenness", "k": 0}, "k"),
        ({"metric": "betweenness", "k": 1}, "k"),  # NetworkX's estimate is NaN with one sample
        ({"metric": "betweenness", "k": 99}, "k"),
    ],
)
def test_bad_parameters_are_invalid(sqlite_store, kwargs, parameter):
    star(sqlite_store)
    args = {"metric": "degree", "graph": "ties", **kwargs}
    with pytest.raises(InvalidParameter) as raised:
        centrality(sqlite_store, args.pop("metric"), args.pop("graph"), **args).to_dict()
    assert raised.value.parameter == parameter


def test_an_empty_store_gives_empty_reports(sqlite_store):
    for graph in GRAPHS:
        for metric in METRICS:
            directed = graph in ("supply", "chain")
            if metric in ("in_degree", "out_degree") and not directed:
                continue
            assert centrality(sqlite_store, metric, graph).to_dict()["rows"] == []


# -- cost, sampling, convergence ----------------------------------------------------------


def test_exact_betweenness_refuses_an_expensive_graph_unless_forced(sqlite_store):
    write(sqlite_store, [E(f"e{i:03}") for i in range(200)], [rel("SUPPLIES", f"e{i:03}", f"e{i + 1:03}") for i in range(199)])
    with pytest.raises(TooExpensive, match=r"exact betweenness on 'supply' \(200 nodes, 199 edges\) would take about") as raised:
        centrality(sqlite_store, "betweenness", "supply", max_seconds=0.001).to_dict()
    assert "k=" in str(raised.value)  # it says how many samples would fit
    forced = centrality(sqlite_store, "betweenness", "supply", max_seconds=0.001, force=True, top=1000).to_dict()
    expected = nx.betweenness_centrality(nx.DiGraph([(f"e{i:03}", f"e{i + 1:03}") for i in range(199)]))
    assert values(forced) == pytest.approx(expected, abs=1e-12)
    # closeness is all-pairs as well; degree is not
    with pytest.raises(TooExpensive):
        centrality(sqlite_store, "closeness", "supply", max_seconds=0.0001).to_dict()
    centrality(sqlite_store, "degree", "supply", max_seconds=0.0001).to_dict()


def test_sampled_betweenness_equals_networkx_with_the_same_seed(sqlite_store):
    edges = [(f"n{a}", f"n{b}") for a, b in nx.gnm_random_graph(30, 60, seed=4).edges]
    write(sqlite_store, [E(f"n{i}") for i in range(30)], [rel("SUPPLIES", a, b) for a, b in edges])
    expected_graph = nx.Graph()
    # sources are sampled from the nodes in id order (n0, n1, n10, ...), whatever the store's order
    expected_graph.add_nodes_from(sorted(f"n{i}" for i in range(30)))
    expected_graph.add_edges_from(edges)
    report = centrality(sqlite_store, "betweenness", "all", k=7, seed=11, top=1000).to_dict()
    assert values(report) == pytest.approx(nx.betweenness_centrality(expected_graph, k=7, seed=11), abs=1e-9)
    assert report["exact"] is False and report["k"] == 7 and report["seed"] == 11
    assert "sampled" in report["note"] and "7 of 30" in report["note"]
    # no seed given: seeded with 0, so the result is repeatable
    unseeded = centrality(sqlite_store, "betweenness", "all", k=7, top=1000).to_dict()
    assert unseeded["seed"] == 0
    assert values(unseeded) == pytest.approx(nx.betweenness_centrality(expected_graph, k=7, seed=0), abs=1e-9)


def test_eigenvector_non_convergence_is_a_clear_error(sqlite_store, monkeypatch):
    write(sqlite_store, [E(x) for x in "abcd"], [rel("SUPPLIES", "a", "b"), rel("SUPPLIES", "b", "c"), rel("SUPPLIES", "c", "d")])
    monkeypatch.setattr(centrality_module, "EIGENVECTOR_MAX_ITER", 1)
    with pytest.raises(nx.PowerIterationFailedConvergence):
        nx.eigenvector_centrality(nx.path_graph(4), max_iter=1)  # NetworkX itself gives up here
    with pytest.raises(InvalidParameter, match="did not converge in 1 iterations.*use pagerank"):
        centrality(sqlite_store, "eigenvector", "all").to_dict()


# -- write-back -----------------------------------------------------------------------------


def test_write_back_stores_every_value_and_changes_the_version(sqlite_store):
    star(sqlite_store)
    report = centrality(sqlite_store, "betweenness", "ties", kind="Enterprise", top=1)
    before = sqlite_store.version()
    assert write_back(sqlite_store, report) == 5  # all nodes of the projection, not only the row shown
    assert sqlite_store.version() != before
    stored = {n.id: n.props["centrality_betweenness_ties"] for n in sqlite_store.nodes()}
    assert stored == {"hub": 1.0, "e1": 0.0, "e2": 0.0, "e3": 0.0, "e4": 0.0}
    assert reads.get_node(sqlite_store, "hub").name == "枢纽大学"  # other properties untouched


def test_write_back_of_a_sampled_report_stores_the_sampled_values(sqlite_store):
    edges = [(f"n{a}", f"n{b}") for a, b in nx.gnm_random_graph(15, 30, seed=2).edges]
    write(sqlite_store, [E(f"n{i}") for i in range(15)], [rel("SUPPLIES", a, b) for a, b in edges])
    report = centrality(sqlite_store, "betweenness", "supply", k=5, seed=3)
    write_back(sqlite_store, report)
    expected_graph = nx.DiGraph()
    expected_graph.add_nodes_from(sorted(f"n{i}" for i in range(15)))
    expected_graph.add_edges_from(edges)
    expected = nx.betweenness_centrality(expected_graph, k=5, seed=3)
    stored = {n.id: n.props["centrality_betweenness_supply"] for n in sqlite_store.nodes()}
    assert stored == pytest.approx(expected, abs=1e-12)


# -- equal to NetworkX on random graphs ---------------------------------------------------


def expected_values(G: nx.Graph, metric: str):
    """What NetworkX itself says, on a graph built independently of graph.projection."""
    if metric == "core":
        H = G.copy()
        H.remove_edges_from(list(nx.selfloop_edges(H)))
        return nx.core_number(H)
    return {
        "degree": nx.degree_centrality,
        "in_degree": nx.in_degree_centrality,
        "out_degree": nx.out_degree_centrality,
        "betweenness": nx.betweenness_centrality,
        "closeness": nx.closeness_centrality,
        "harmonic": nx.harmonic_centrality,
        "pagerank": nx.pagerank,
        "eigenvector": lambda g: nx.eigenvector_centrality(g, max_iter=centrality_module.EIGENVECTOR_MAX_ITER),
    }[metric](G)


node_counts = st.integers(min_value=1, max_value=10)


@st.composite
def supply_graphs(draw):
    """Firms n0..n(k-1) and SUPPLIES relationships, some parallel (another stage key)."""
    n = draw(node_counts)
    ends = st.integers(min_value=0, max_value=n - 1)
    rels = draw(st.lists(st.tuples(ends, ends, st.sampled_from(["", "pta"])), max_size=25, unique=True))
    return n, rels


def same(a: float, b: float) -> bool:
    """The documented tie rule: equal to 12 significant digits, anything within 1e-12 of 0 is 0."""
    a, b = (0.0 if abs(x) < 1e-12 else x for x in (a, b))
    return f"{a:.12g}" == f"{b:.12g}"


def check_rows_order(report):
    rows = report["rows"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    for a, b in zip(rows, rows[1:]):
        if same(a["value"], b["value"]):
            assert a["node"] < b["node"]
        else:
            assert a["value"] > b["value"]


def test_values_equal_up_to_noise_are_tied_and_ordered_by_id(sqlite_store):
    # four symmetric leaves: their closeness is computed by separate sums, equal up to noise at most
    star(sqlite_store)
    report = centrality(sqlite_store, "closeness", "ties", kind="Enterprise").to_dict()
    assert [r["node"] for r in report["rows"]] == ["e1", "e2", "e3", "e4"]
    assert same(0.1 + 0.2, 0.3) and same(5.8e-13, 6e-16) and not same(0.3, 0.3000001)


def assert_matches_networkx(store, graph_name: str, G: nx.Graph):
    for metric in METRICS:
        if metric in ("in_degree", "out_degree") and not G.is_directed():
            with pytest.raises(InvalidParameter):
                centrality(store, metric, graph_name).to_dict()
            continue
        try:
            expected = expected_values(G, metric)
        except nx.PowerIterationFailedConvergence:
            with pytest.raises(InvalidParameter, match="did not converge"):
                centrality(store, metric, graph_name).to_dict()
            continue
        report = centrality(store, metric, graph_name, top=1000).to_dict()
        got = values(report)
        assert set(got) == set(expected)
        for node, value in expected.items():
            assert abs(got[node] - value) <= 1e-9, (metric, node, got[node], value)
        check_rows_order(report)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(supply_graphs())
def test_supply_and_all_projections_equal_networkx(graph):
    n, rels = graph
    store = SqliteStore(":memory:", create=True)
    write(store, [E(f"n{i}") for i in range(n)], [rel("SUPPLIES", f"n{a}", f"n{b}", key) for a, b, key in rels])
    directed, undirected = nx.DiGraph(), nx.Graph()
    for G in (directed, undirected):
        G.add_nodes_from(f"n{i}" for i in range(n))
    for a, b, _ in rels:
        # every SUPPLIES relationship weighs 1; parallel ones (and, undirected, a↔b) add up
        for G in (directed, undirected):
            u, v = f"n{a}", f"n{b}"
            if G.has_edge(u, v):
                G.edges[u, v]["weight"] += 1.0
            else:
                G.add_edge(u, v, weight=1.0)
    assert_matches_networkx(store, "supply", directed)
    assert_matches_networkx(store, "all", undirected)
    store.close()


@st.composite
def tie_graphs(draw):
    firms = draw(st.integers(min_value=1, max_value=8))
    institutes = draw(st.integers(min_value=1, max_value=4))
    pairs = st.tuples(st.integers(0, firms - 1), st.integers(0, institutes - 1), st.sampled_from(["project", "joint_lab"]),
                      st.sampled_from([0.5, 1.0, 3.0]))
    return firms, institutes, draw(st.lists(pairs, max_size=20, unique_by=lambda t: t[:3]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tie_graphs())
def test_ties_projection_equals_networkx(graph):
    firms, institutes, ties = graph
    store = SqliteStore(":memory:", create=True)
    write(store, [E(f"f{i}") for i in range(firms)] + [I(f"u{i}") for i in range(institutes)],
          [tie(f"f{f}", f"u{u}", kind, weight=w) for f, u, kind, w in ties])
    G = nx.Graph()
    G.add_nodes_from([f"f{i}" for i in range(firms)] + [f"u{i}" for i in range(institutes)])
    for f, u, _, w in ties:
        a, b = f"f{f}", f"u{u}"
        if G.has_edge(a, b):
            G.edges[a, b]["weight"] += w
        else:
            G.add_edge(a, b, weight=w)
    assert_matches_networkx(store, "ties", G)
    store.close()


@settings(max_examples=25, deadline=None)
@given(supply_graphs(), st.integers(min_value=0, max_value=2**16))
def test_sampled_betweenness_equals_networkx_on_random_graphs(graph, seed):
    n, rels = graph
    store = SqliteStore(":memory:", create=True)
    write(store, [E(f"n{i}") for i in range(n)], [rel("SUPPLIES", f"n{a}", f"n{b}", key) for a, b, key in rels])
    G = nx.DiGraph()
    G.add_nodes_from(sorted(f"n{i}" for i in range(n)))
    G.add_edges_from((f"n{a}", f"n{b}") for a, b, _ in rels)
    k = max(2, n // 2)
    if k > n:
        with pytest.raises(InvalidParameter, match="only 1 nodes"):
            centrality(store, "betweenness", "supply", k=k, seed=seed).to_dict()
        return
    report = centrality(store, "betweenness", "supply", k=k, seed=seed, top=1000).to_dict()
    expected = nx.betweenness_centrality(G, k=k, seed=seed)
    assert values(report) == pytest.approx(expected, abs=1e-9)
    store.close()


def test_values_are_cached_per_store_version(sqlite_store):
    star(sqlite_store)
    first = centrality_values(sqlite_store, "degree", "ties")
    assert centrality_values(sqlite_store, "degree", "ties") is first
    write(sqlite_store, [E("e5")], [tie("e5", "hub")])
    assert centrality_values(sqlite_store, "degree", "ties")["hub"] == 1.0
    assert centrality_values(sqlite_store, "degree", "ties")["e1"] == 0.2


# -- both stores ----------------------------------------------------------------------------


def test_star_by_hand_on_both_stores(store):
    star(store)
    assert values(centrality(store, "betweenness", "ties").to_dict()) == {"hub": 1.0, "e1": 0.0, "e2": 0.0, "e3": 0.0, "e4": 0.0}
    assert values(centrality(store, "degree", "ties", kind="Enterprise").to_dict()) == {"e1": 0.25, "e2": 0.25, "e3": 0.25, "e4": 0.25}
    assert write_back(store, centrality(store, "closeness", "ties")) == 5
    assert reads.get_node(store, "e3").props["centrality_closeness_ties"] == pytest.approx(4 / 7, abs=1e-12)


def test_both_stores_give_the_same_reports(store):
    edges = [(f"n{a:02}", f"n{b:02}") for a, b in nx.gnm_random_graph(25, 50, seed=9, directed=True).edges]
    nodes = [E(f"n{i:02}", region="r1" if i % 2 else "r2") for i in range(25)] + [R("r1"), R("r2")]
    rels = [rel("SUPPLIES", a, b) for a, b in edges] + [rel("LOCATED_IN", f"n{i:02}", "r1" if i % 2 else "r2") for i in range(25)]
    write(store, nodes, rels)
    reference = write(SqliteStore(":memory:", create=True), nodes, rels)
    for graph in ("supply", "all"):
        for metric in METRICS:
            if metric in ("in_degree", "out_degree") and graph == "all":
                continue
            kwargs = {"top": 1000, **({"k": 6, "seed": 1} if metric == "betweenness" else {})}
            got, expected = centrality(store, metric, graph, **kwargs).to_dict(), centrality(reference, metric, graph, **kwargs).to_dict()
            assert [r["node"] for r in got["rows"]] == [r["node"] for r in expected["rows"]], (metric, graph)
            assert values(got) == pytest.approx(values(expected), abs=1e-12)
    reference.close()


# -- the textile dataset --------------------------------------------------------------------


@pytest.fixture(scope="module")
def textile_store(tmp_path_factory):
    from loaders.pipeline import load_path
    from tests.conftest import TEXTILE

    store = SqliteStore(tmp_path_factory.mktemp("textile") / "chainx.db", create=True)
    load_path(store, TEXTILE)
    yield store
    store.close()


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("metric", METRICS)
def test_every_metric_on_every_projection_of_the_textile_dataset(textile_store, metric, graph):
    if metric in ("in_degree", "out_degree") and graph in ("ties", "all"):
        with pytest.raises(InvalidParameter):
            centrality(textile_store, metric, graph).to_dict()
        return
    report = centrality(textile_store, metric, graph, top=1000).to_dict()
    assert report["rows"] and report["total"] == len(report["rows"])
    assert all(math.isfinite(r["value"]) for r in report["rows"])
    check_rows_order(report)
