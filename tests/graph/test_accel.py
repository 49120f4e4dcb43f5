"""graph.accel gives NetworkX's own numbers: every metric, on random directed and undirected graphs
with isolates, self-loops and several components, against NetworkX's function on the same graph."""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import accel

TOLERANCE = 1e-9


@st.composite
def graphs(draw, max_nodes: int = 18):
    """A NetworkX Graph or DiGraph with string nodes in a shuffled order, self-loops allowed,
    edge weights from a few values (some edges without one)."""
    directed = draw(st.booleans())
    n = draw(st.integers(0, max_nodes))
    names = draw(st.permutations([f"n{i:02d}" for i in range(n)]))
    G = nx.DiGraph() if directed else nx.Graph()
    G.add_nodes_from(names)
    if n:
        pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
        for u, v in pairs:
            weight = draw(st.sampled_from([None, 1.0, 0.5, 2.0, 3.25]))
            G.add_edge(names[u], names[v], **({} if weight is None else {"weight": weight}))
    return G


def assert_same(got: dict, want: dict) -> None:
    assert list(got) == list(want) or set(got) == set(want)
    for node, value in want.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(got[node]), node
        else:
            assert got[node] == pytest.approx(value, abs=TOLERANCE, rel=0), node


def without_selfloops(G: nx.Graph) -> nx.Graph:
    H = G.copy()
    H.remove_edges_from(list(nx.selfloop_edges(H)))
    return H


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(graphs())
def test_degree_centralities(G):
    assert_same(accel.degree_centrality(G), nx.degree_centrality(G))
    if G.is_directed():
        assert_same(accel.degree_centrality(G, "in"), nx.in_degree_centrality(G))
        assert_same(accel.degree_centrality(G, "out"), nx.out_degree_centrality(G))
    else:
        with pytest.raises(nx.NetworkXNotImplemented):
            accel.degree_centrality(G, "in")


@SETTINGS
@given(graphs())
def test_exact_betweenness_normalised_and_not(G):
    assert_same(accel.betweenness_centrality(G), nx.betweenness_centrality(G))
    assert_same(accel.betweenness_centrality(G, normalized=False), nx.betweenness_centrality(G, normalized=False))


@SETTINGS
@given(graphs(), st.data())
def test_sampled_betweenness_draws_the_same_sources_and_scales_as_networkx(G, data):
    if len(G) == 0:
        return
    k = data.draw(st.integers(1, len(G)))
    seed = data.draw(st.integers(0, 2**32))
    normalized = data.draw(st.booleans())
    assert accel.sample_sources(G, k, seed) == random.Random(seed).sample(list(G), k)
    want = nx.betweenness_centrality(G, k=k, seed=seed, normalized=normalized)
    assert_same(accel.betweenness_centrality(G, k=k, seed=seed, normalized=normalized), want)


def test_sampled_betweenness_without_a_seed_draws_from_the_global_generator_as_networkx():
    G = nx.gnp_random_graph(40, 0.08, seed=3, directed=True)
    random.seed(11)
    want = nx.betweenness_centrality(G, k=7)
    random.seed(11)
    assert_same(accel.betweenness_centrality(G, k=7), want)


@SETTINGS
@given(graphs())
def test_closeness_with_and_without_the_wasserman_faust_scaling(G):
    assert_same(accel.closeness_centrality(G), nx.closeness_centrality(G))
    assert_same(accel.closeness_centrality(G, wf_improved=False), nx.closeness_centrality(G, wf_improved=False))


@SETTINGS
@given(graphs())
def test_harmonic(G):
    assert_same(accel.harmonic_centrality(G), nx.harmonic_centrality(G))


@SETTINGS
@given(graphs(), st.booleans(), st.data())
def test_pagerank_weighted_or_not_with_personalisation_and_dangling_weights(G, weighted, data):
    if len(G) == 0:
        assert accel.pagerank(G) == nx.pagerank(G) == {}
        return
    nodes = list(G)
    personal = data.draw(st.one_of(st.none(), st.dictionaries(st.sampled_from(nodes), st.sampled_from([1.0, 2.0, 0.5]), min_size=1)))
    dangling = data.draw(st.one_of(st.none(), st.dictionaries(st.sampled_from(nodes), st.sampled_from([1.0, 3.0]), min_size=1)))
    want = nx.pagerank(G, weight="weight" if weighted else None, personalization=personal, dangling=dangling)
    assert_same(accel.pagerank(G, weighted=weighted, personalization=personal, dangling=dangling), want)


@SETTINGS
@given(graphs(), st.booleans())
def test_eigenvector_converges_where_networkx_does_to_the_same_vector(G, weighted):
    if len(G) == 0:
        with pytest.raises(nx.NetworkXPointlessConcept):
            accel.eigenvector_centrality(G)
        return
    weight = "weight" if weighted else None
    try:
        want = nx.eigenvector_centrality(G, max_iter=1000, weight=weight)
    except nx.PowerIterationFailedConvergence:
        with pytest.raises(nx.PowerIterationFailedConvergence):
            accel.eigenvector_centrality(G, max_iter=1000, weighted=weighted)
        return
    assert_same(accel.eigenvector_centrality(G, max_iter=1000, weighted=weighted), want)


def _networkx_converges(G, max_iter: int, weight) -> bool:
    try:
        nx.eigenvector_centrality(G, max_iter=max_iter, weight=weight)
    except nx.PowerIterationFailedConvergence:
        return False
    return True


@SETTINGS
@given(graphs(), st.booleans())
def test_eigenvector_iterations_are_the_fewest_networkx_converges_in(G, weighted):
    # NetworkX gives no count: its own function converges with max_iter = the count and not with one fewer
    if len(G) == 0:
        return
    weight = "weight" if weighted else None
    found = accel.eigenvector_iterations(G, max_iter=200, weighted=weighted)
    if found is None:
        assert not _networkx_converges(G, 200, weight)
        return
    assert _networkx_converges(G, found, weight)
    assert found == 1 or not _networkx_converges(G, found - 1, weight)


@SETTINGS
@given(graphs())
def test_core_number_and_its_refusal_of_self_loops(G):
    if nx.number_of_selfloops(G):
        with pytest.raises(nx.NetworkXNotImplemented):
            accel.core_number(G)
        G = without_selfloops(G)
    assert accel.core_number(G) == nx.core_number(G)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.data())
def test_compute_is_the_centrality_reports_networkx_table(G, data):
    """accel.compute answers as graph.analysis.centrality.compute_metric's NetworkX calls do."""
    for metric in accel.METRICS:
        if metric in ("in_degree", "out_degree") and not G.is_directed():
            continue
        k = data.draw(st.integers(1, len(G))) if metric == "betweenness" and len(G) else None
        want = {
            "degree": lambda: nx.degree_centrality(G),
            "in_degree": lambda: nx.in_degree_centrality(G),
            "out_degree": lambda: nx.out_degree_centrality(G),
            "betweenness": lambda k=k: nx.betweenness_centrality(G, k=k, seed=5),
            "closeness": lambda: nx.closeness_centrality(G),
            "harmonic": lambda: nx.harmonic_centrality(G),
            "pagerank": lambda: nx.pagerank(G, weight="weight"),
            "eigenvector": lambda: nx.eigenvector_centrality(G, max_iter=accel.EIGENVECTOR_MAX_ITER),
            "core": lambda: nx.core_number(without_selfloops(G)),
        }[metric]
        if len(G) == 0:
            assert accel.compute(G, metric) == {}
            continue
        try:
            expected = want()
        except nx.PowerIterationFailedConvergence:
            with pytest.raises(nx.PowerIterationFailedConvergence):
                accel.compute(G, metric)
            continue
        assert_same(accel.compute(accel.from_networkx(G), metric, k=k, seed=5), expected)


@SETTINGS
@given(graphs(max_nodes=10), st.data())
def test_from_edges_collapses_parallel_edges_as_a_projection_adds_them_up(G, data):
    """Edges given with repeats (and, undirected, both ways round) make the graph NetworkX makes
    by adding their weights up."""
    nodes = list(G)
    if not nodes:
        return
    index = {node: i for i, node in enumerate(nodes)}
    rows = data.draw(st.lists(st.tuples(st.sampled_from(nodes), st.sampled_from(nodes), st.sampled_from([1.0, 0.5, 2.0])), max_size=30))
    H = G.__class__()
    H.add_nodes_from(nodes)
    for u, v, w in rows:
        if H.has_edge(u, v):
            H.edges[u, v]["weight"] += w
        else:
            H.add_edge(u, v, weight=w)
    arrays = accel.from_edges(nodes, [index[u] for u, _, _ in rows], [index[v] for _, v, _ in rows], [w for *_, w in rows], directed=G.is_directed())
    assert arrays.number_of_edges() == H.number_of_edges()
    back = arrays.to_networkx()
    assert list(back) == nodes
    assert {frozenset((u, v)) if not H.is_directed() else (u, v): d["weight"] for u, v, d in back.edges(data=True)} == pytest.approx(
        {frozenset((u, v)) if not H.is_directed() else (u, v): d["weight"] for u, v, d in H.edges(data=True)}
    )
    assert_same(accel.pagerank(arrays), nx.pagerank(H))


@pytest.mark.parametrize("directed", [True, False])
def test_a_larger_graph_with_many_components(directed):
    """Two hundred nodes in a few components plus isolates: the shapes where igraph's own closeness
    would differ from NetworkX's."""
    G = nx.disjoint_union_all([nx.gnp_random_graph(size, 0.06, seed=size, directed=directed) for size in (80, 60, 40, 5, 1, 1)])
    G.add_edge(3, 3)
    assert_same(accel.closeness_centrality(G), nx.closeness_centrality(G))
    assert_same(accel.harmonic_centrality(G), nx.harmonic_centrality(G))
    assert_same(accel.betweenness_centrality(G, k=32, seed=1), nx.betweenness_centrality(G, k=32, seed=1))
    assert_same(accel.betweenness_centrality(G), nx.betweenness_centrality(G))


def test_the_size_threshold():
    assert not accel.worth_accelerating(nx.path_graph(10))
    assert accel.worth_accelerating(nx.path_graph(10), min_size=19)
    assert accel.worth_accelerating(nx.path_graph(accel.MIN_SIZE))


def test_an_unknown_metric_and_graph_type_are_refused():
    with pytest.raises(ValueError, match="unknown metric"):
        accel.compute(nx.path_graph(3), "fame")
    with pytest.raises(TypeError):
        accel.compute([(1, 2)], "degree")
    with pytest.raises(ValueError):
        accel.from_edges(["a"], [0], [1], directed=True)


def test_directed_closeness_when_the_reach_sets_are_done_in_several_blocks(monkeypatch):
    """The bit sets of upstream components are split into column blocks when they would not fit
    in memory; forcing tiny blocks must give the same numbers."""
    monkeypatch.setattr(accel, "_BITSET_BYTES", 64)
    G = nx.gnp_random_graph(300, 0.006, seed=2, directed=True)
    G.add_edges_from([(0, 1), (1, 2), (2, 0), (2, 150), (150, 151), (151, 150)])  # a few cycles
    assert_same(accel.closeness_centrality(G), nx.closeness_centrality(G))
    assert_same(accel.closeness_centrality(G, wf_improved=False), nx.closeness_centrality(G, wf_improved=False))


def test_the_time_estimate_counts_each_search_within_its_component():
    one = nx.path_graph(1000)
    split = nx.disjoint_union(nx.path_graph(500), nx.path_graph(500))
    whole = accel.estimate_seconds(one, "closeness")
    assert whole == pytest.approx(1000 * (1000 + 999) / accel._WORK_PER_SECOND["closeness"])
    assert accel.estimate_seconds(split, "closeness") == pytest.approx(whole / 2, rel=0.01)  # half the reach each
    assert accel.estimate_seconds(one, "betweenness", k=100) == pytest.approx(accel.estimate_seconds(one, "betweenness") / 10)
    assert accel.estimate_seconds(one, "pagerank") == 0.0
