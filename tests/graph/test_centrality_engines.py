"""Centrality reports computed by compiled code on large projections give NetworkX's own numbers.

Above :data:`graph.accel.MIN_SIZE` nodes + edges a report is computed from the fast projection
(arrays, igraph / SciPy / NumPy); below it by NetworkX itself. Either way every value must be what
NetworkX's function returns on the NetworkX projection, which these tests call directly.
"""

from __future__ import annotations

import os
import signal
import threading
from unittest import mock

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import accel
from graph.analysis.centrality import EIGENVECTOR_MAX_ITER, GRAPHS, centrality
from graph.errors import TooExpensive, WorkerLost
from graph.projection import PROJECTIONS, build_projection
from graph.store.sqlite import SqliteStore

from .small_graphs import E, rel, write

DIRECTED_ONLY = {"in_degree", "out_degree"}


def networkx_values(G: nx.Graph, metric: str, k: int | None = None, seed: int | None = None) -> dict:
    """NetworkX's own function for each metric, as the report's table documents it."""
    if metric == "core":
        G = G.copy()
        G.remove_edges_from(list(nx.selfloop_edges(G)))
    return {
        "degree": lambda: nx.degree_centrality(G),
        "in_degree": lambda: nx.in_degree_centrality(G),
        "out_degree": lambda: nx.out_degree_centrality(G),
        "betweenness": lambda: nx.betweenness_centrality(G, k=k, seed=seed),
        "closeness": lambda: nx.closeness_centrality(G),
        "harmonic": lambda: nx.harmonic_centrality(G),
        "pagerank": lambda: nx.pagerank(G, weight="weight"),
        "eigenvector": lambda: nx.eigenvector_centrality(G, max_iter=EIGENVECTOR_MAX_ITER),
        "core": lambda: nx.core_number(G),
    }[metric]()


def in_id_order(G: nx.Graph) -> nx.Graph:
    H = G.__class__()
    H.add_nodes_from(sorted(G.nodes(data=True)))
    H.add_edges_from(G.edges(data=True))
    return H


def report_values(report: dict) -> dict:
    return {row["node"]: row["value"] for row in report["rows"]}


CASES = [(graph, metric) for graph in GRAPHS for metric in accel.METRICS
         if PROJECTIONS[graph][2] or metric not in DIRECTED_ONLY]


@pytest.mark.parametrize("graph, metric", CASES)
def test_every_metric_on_a_large_projection_is_networkx_s_number(generated_store, graph, metric):
    G = build_projection(generated_store, graph)
    compiled = G.number_of_nodes() + G.number_of_edges() >= accel.MIN_SIZE
    k = 40 if metric == "betweenness" else None
    try:
        expected = networkx_values(in_id_order(G), metric, k=k, seed=3 if k else None)
    except nx.PowerIterationFailedConvergence:
        pytest.fail(f"NetworkX's {metric} does not converge on {graph!r}: pick another seed for the dataset")
    report = centrality(generated_store, metric, graph, top=1000, k=k, seed=3 if k else None).to_dict()
    assert report["engine"] == (accel.engine(metric) if compiled else "networkx")
    assert report["total"] == len(expected)
    listed = report_values(report)
    assert listed == pytest.approx({node: expected[node] for node in listed}, abs=1e-9)
    # and the rows are the top of NetworkX's ranking (ties by id)
    top = sorted(expected, key=lambda node: (-round(expected[node], 9), node))[: len(listed)]
    assert [round(expected[n], 9) for n in top] == [round(listed[n], 9) for n in sorted(listed, key=lambda n: (-round(listed[n], 9), n))]


def test_the_large_projections_really_take_the_compiled_path(generated_store):
    sizes = {g: build_projection(generated_store, g) for g in ("supply", "all")}
    assert all(G.number_of_nodes() + G.number_of_edges() >= accel.MIN_SIZE for G in sizes.values())
    assert centrality(generated_store, "betweenness", "all", k=10).to_dict()["engine"] == "igraph"
    assert centrality(generated_store, "pagerank", "supply").to_dict()["engine"] == "scipy"


def test_a_small_projection_stays_on_networkx(sqlite_store):
    write(sqlite_store, [E(x) for x in "abc"], [rel("SUPPLIES", "a", "b"), rel("SUPPLIES", "b", "c")])
    report = centrality(sqlite_store, "betweenness", "supply", top=3).to_dict()
    assert report["engine"] == "networkx"
    assert report_values(report) == {"a": 0.0, "b": 0.5, "c": 0.0}  # b lies on the one a→c path of 2 ordered pairs


def test_the_time_limit_uses_the_compiled_engine_s_estimate(generated_store):
    G = build_projection(generated_store, "all")
    seconds = accel.estimate_seconds(G, "betweenness")
    # refused just under the compiled estimate, allowed just over it
    with pytest.raises(TooExpensive, match=r"exact betweenness on 'all'"):
        centrality(generated_store, "betweenness", "all", max_seconds=seconds / 2).to_dict()
    assert centrality(generated_store, "betweenness", "all", max_seconds=seconds * 2).to_dict()["engine"] == "igraph"


@st.composite
def supply_graphs(draw):
    n = draw(st.integers(min_value=1, max_value=14))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(["x", "y"]))
    return n, draw(st.lists(pairs, max_size=40, unique=True))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(supply_graphs(), st.sampled_from([m for m in accel.METRICS]), st.sampled_from(["supply", "all"]))
def test_forced_onto_the_compiled_path_small_random_graphs_give_networkx_s_numbers(graph, metric, projection_name):
    n, rels = graph
    if projection_name == "all" and metric in DIRECTED_ONLY:
        return
    store = SqliteStore(":memory:", create=True)
    write(store, [E(f"n{i}") for i in range(n)], [rel("SUPPLIES", f"n{a}", f"n{b}", key) for a, b, key in rels])
    G = in_id_order(build_projection(store, projection_name))
    k = max(2, n // 2) if metric == "betweenness" and n >= 2 else None
    try:
        expected = networkx_values(G, metric, k=k, seed=5 if k else None)
    except nx.PowerIterationFailedConvergence:
        return  # the report's refusal of this is tested in test_centrality.py
    with mock.patch.object(accel, "MIN_SIZE", 0):
        report = centrality(store, metric, projection_name, top=1000, k=k, seed=5 if k else None).to_dict()
    assert report["engine"] != "networkx"
    assert report_values(report) == pytest.approx(expected, abs=1e-9, nan_ok=True)
    store.close()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, 1e-13, -1e-13, 0.9e-12, 1e-12, 2e-12, 0.25, 0.25 * (1 + 1e-13), 0.25 * (1 - 1e-14), 0.5, 3.0, 3, 7e-5, float("nan")]),
                min_size=1, max_size=60),
       st.integers(1, 12))
def test_the_top_rows_are_the_top_of_the_full_ranking(values, top):
    """Ranking only the nodes that can make the top gives the full sort's first rows, ties within
    12 significant digits (and around zero) included."""
    from graph.analysis.centrality import _rank_key, top_ranked

    by_node = {f"n{i:03d}": v for i, v in enumerate(values)}
    want = sorted(by_node.items(), key=_rank_key)[:top]
    got = top_ranked(list(by_node), by_node, top)
    assert [node for node, _ in got] == [node for node, _ in want]


# -- every core: the searches shared among forked processes ------------------------------------
PATH_CASES = [(graph, metric, k) for graph in ("supply", "all") for metric, k in
              (("betweenness", None), ("betweenness", 40), ("closeness", None), ("harmonic", None))]


@pytest.fixture
def two_cores(monkeypatch):
    """Two cores allowed, and the searches shared out however small the graph."""
    monkeypatch.setattr(accel, "available_threads", lambda: 2)
    monkeypatch.setattr(accel, "PARALLEL_MIN_SECONDS", 0.0)
    monkeypatch.delenv(accel.THREADS_ENV, raising=False)


@pytest.mark.parametrize("graph, metric, k", PATH_CASES)
def test_shared_among_two_processes_the_values_are_still_networkx_s(generated_store, two_cores, graph, metric, k):
    G = build_projection(generated_store, graph)
    expected = networkx_values(in_id_order(G), metric, k=k, seed=3 if k else None)
    report = centrality(generated_store, metric, graph, top=1000, k=k, seed=3 if k else None, force=True).to_dict()
    assert (report["engine"], report["threads"]) == ("igraph", 2)
    listed = report_values(report)
    assert listed == pytest.approx({node: expected[node] for node in listed}, abs=1e-9)


@pytest.mark.parametrize("directed", [True, False])
def test_two_processes_give_networkx_s_numbers_on_a_graph_with_isolates_and_self_loops(directed):
    G = nx.gnm_random_graph(60, 150, seed=4, directed=directed)
    G.add_nodes_from(range(60, 66))  # isolates
    G.add_edges_from([(3, 3), (61, 62)])  # a self-loop and a component of two
    a = accel.from_networkx(G)
    got = {
        "betweenness": accel.betweenness_centrality(a, workers=2),
        "sampled": accel.betweenness_centrality(a, k=20, seed=9, workers=2),
        "closeness": accel.closeness_centrality(a, workers=2),
        "harmonic": accel.harmonic_centrality(a, workers=2),
    }
    assert got["betweenness"] == pytest.approx(nx.betweenness_centrality(G), abs=1e-9)
    assert got["sampled"] == pytest.approx(nx.betweenness_centrality(G, k=20, seed=9), abs=1e-9)
    assert got["closeness"] == pytest.approx(nx.closeness_centrality(G), abs=1e-9)
    assert got["harmonic"] == pytest.approx(nx.harmonic_centrality(G), abs=1e-9)


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "fork-server"])
def test_forked_or_from_the_fork_server_the_shares_give_networkx_s_numbers(monkeypatch, fork):
    monkeypatch.setattr(accel, "_fork_is_safe", lambda: fork)
    G = nx.gnm_random_graph(50, 140, seed=8, directed=True)
    G.add_edge(7, 7)
    a = accel.from_networkx(G)
    assert accel.betweenness_centrality(a, workers=2) == pytest.approx(nx.betweenness_centrality(G), abs=1e-9)
    assert accel.closeness_centrality(a, workers=2) == pytest.approx(nx.closeness_centrality(G), abs=1e-9)


def failing_in_a_child(how):
    """A share that fails ``how`` in the forked child computing node 0 (the first part's), and is
    the real one elsewhere: this process computes the last part itself."""
    real = accel._share

    def share(part):
        if 0 in part:
            if how == "raises":
                raise ValueError("the child's share failed")
            os.kill(os.getpid(), signal.SIGKILL)
        return real(part)
    return share


def test_a_child_s_exception_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(accel, "_fork_is_safe", lambda: True)
    monkeypatch.setattr(accel, "_share", failing_in_a_child("raises"))
    a = accel.from_networkx(nx.path_graph(6, create_using=nx.DiGraph))
    with pytest.raises(ValueError, match="the child's share failed"):
        accel.closeness_centrality(a, workers=2)


def test_a_child_killed_mid_share_is_an_error_not_a_hang_or_a_partial_answer(monkeypatch):
    monkeypatch.setattr(accel, "_fork_is_safe", lambda: True)
    monkeypatch.setattr(accel, "_share", failing_in_a_child("killed"))
    a = accel.from_networkx(nx.path_graph(6, create_using=nx.DiGraph))
    with pytest.raises(WorkerLost, match=rf"closeness ended before it answered \(exit code -{signal.SIGKILL};"):
        accel.closeness_centrality(a, workers=2)


def test_a_process_running_other_threads_is_not_forked():
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert accel._fork_is_safe() is False
    finally:
        release.set()
        other.join()


def test_chainx_threads_caps_the_processes_and_the_estimate_counts_them(generated_store, two_cores, monkeypatch):
    G = build_projection(generated_store, "all")
    monkeypatch.setenv(accel.THREADS_ENV, "1")
    single = accel.estimate_seconds(G, "closeness")
    assert centrality(generated_store, "closeness", "all", force=True).to_dict()["threads"] == 1
    # between the one-process estimate and the two-process one (half of it): refused on one core
    limit = single * 0.75
    with pytest.raises(TooExpensive, match=r"exact closeness on 'all'"):
        centrality(generated_store, "closeness", "all", max_seconds=limit)
    monkeypatch.setenv(accel.THREADS_ENV, "2")
    assert accel.estimate_seconds(G, "closeness") == pytest.approx(single / 2)
    assert centrality(generated_store, "closeness", "all", max_seconds=limit).to_dict()["threads"] == 2
    monkeypatch.setenv(accel.THREADS_ENV, "8")  # more than the cores: capped at them
    assert accel.threads() == 2


@pytest.mark.parametrize("text", ["0", "two", "-1", "1.5"])
def test_a_bad_chainx_threads_is_named(monkeypatch, text):
    from graph.errors import InvalidParameter

    monkeypatch.setenv(accel.THREADS_ENV, text)
    with pytest.raises(InvalidParameter, match=rf"CHAINX_THREADS.*whole number of at least 1, not '{text}'"):
        accel.threads()


@pytest.mark.parametrize("limit", [1e-3, 0.02, 0.05, 2.0])
def test_the_affordable_sample_passes_the_check_it_is_offered_by(generated_store, monkeypatch, limit):
    """The k a refusal offers is one the same limit accepts, on one process or two."""
    from graph.analysis.centrality import affordable_k, analysis_graph

    monkeypatch.setattr(accel, "available_threads", lambda: 2)
    monkeypatch.setattr(accel, "PARALLEL_MIN_SECONDS", 0.01)
    monkeypatch.delenv(accel.THREADS_ENV, raising=False)
    G = analysis_graph(generated_store, "all")
    k = affordable_k(G, limit)
    if 2 < k < G.number_of_nodes():  # (2 is the floor, offered even when over the limit)
        assert accel.estimate_seconds(G, "betweenness", k) <= limit
