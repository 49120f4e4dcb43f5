"""Fast projections are the NetworkX projections as arrays: same nodes in the same order, same
edges, same summed weights and counts; the SQLite query gives what the generic default gives."""

from __future__ import annotations

import numpy as np
import pytest

from graph import accel
from graph.fastproj import build_fast_projection, fast_projection
from graph.model import GraphData, Node, Relationship
from graph.projection import PROJECTIONS, build_projection
from graph.store.base import GraphStore
from graph.store.sqlite import SqliteStore


def edge_table(G) -> dict:
    """{edge: (weight, count)}, an undirected edge keyed by its two ends whichever way round."""
    key = (lambda u, v: (u, v)) if G.is_directed() else (lambda u, v: frozenset((u, v)))
    return {key(u, v): (d["weight"], d["count"]) for u, v, d in G.edges(data=True)}


@pytest.mark.parametrize("name", sorted(PROJECTIONS))
def test_the_fast_projection_is_the_networkx_projection(generated_store, name):
    G = build_projection(generated_store, name)
    P = build_fast_projection(generated_store, name)
    assert list(P) == list(G)  # node order decides which sources sampled betweenness draws
    assert (P.number_of_nodes(), P.number_of_edges(), P.is_directed()) == (G.number_of_nodes(), G.number_of_edges(), G.is_directed())
    assert edge_table(P.to_networkx()) == edge_table(G)
    for node in G:
        assert P.nodes[node] == {k: v for k, v in G.nodes[node].items() if k in ("kind", "name", "region")}
    # and the metrics computed from it are NetworkX's on the NetworkX projection
    for metric in ("pagerank", "betweenness", "core"):
        want = accel.compute(G, metric, k=5 if metric == "betweenness" else None, seed=1)
        got = accel.compute(P, metric, k=5 if metric == "betweenness" else None, seed=1)
        assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("name", sorted(PROJECTIONS))
def test_the_sqlite_query_gives_what_the_generic_default_gives(generated_store, name):
    labels, types, _ = PROJECTIONS[name]
    fast = generated_store.projection_columns(labels, types)
    slow = GraphStore.projection_columns(generated_store, labels, types)
    assert (fast.ids, fast.labels, fast.names, fast.regions) == (slow.ids, slow.labels, slow.names, slow.regions)
    got = sorted(zip(fast.source.tolist(), fast.target.tolist(), fast.weight.tolist()))
    assert got == sorted(zip(slow.source.tolist(), slow.target.tolist(), slow.weight.tolist()))


def test_weights_follow_the_projection_rule(store):
    """A supply weighs 1 whatever its volume; a tie its weight; a stage link without weight its
    volume; a weight that is not a number counts as 1 (and hides the volume); true counts as 1;
    parallel relationships add up; a relationship to a node outside the projection is left out.
    On both stores, whose own projection queries give what the generic default gives."""
    store.write(GraphData(
        nodes=[Node("Enterprise", "a", "A", {"region": "r1"}), Node("Enterprise", "b", "B"), Node("Institute", "i", "I"),
               Node("Stage", "s", "S"), Node("Stage", "t", "T"), Node("Stage", "u", "U"), Node("Region", "r1", "R")],
        relationships=[
            Relationship("SUPPLIES", "a", "b", "s", {"volume": 900}),
            Relationship("SUPPLIES", "a", "b", "t", {"volume": 5}),
            Relationship("COLLABORATES_WITH", "a", "i", "lab", {"weight": 2.5}),
            Relationship("COLLABORATES_WITH", "a", "i", "post", {"weight": 1}),
            Relationship("FEEDS", "s", "t", "", {"volume": 4}),
            Relationship("FEEDS", "t", "u", "", {"weight": "heavy", "volume": 7}),
            Relationship("FEEDS", "u", "s", "", {"weight": True}),
            Relationship("OPERATES_IN", "a", "s"),
            Relationship("LOCATED_IN", "a", "r1"),
        ],
    ))
    supply = build_fast_projection(store, "supply")
    assert (supply.arrays.weight.tolist(), supply.count.tolist()) == ([2.0], [2])
    ties = build_fast_projection(store, "ties")
    assert (ties.arrays.weight.tolist(), ties.count.tolist(), ties.number_of_nodes()) == ([3.5], [2], 3)
    chain = build_fast_projection(store, "chain")
    assert dict(zip(zip(chain.arrays.src.tolist(), chain.arrays.dst.tolist()), chain.arrays.weight.tolist())) == {(0, 1): 4.0, (1, 2): 1.0, (2, 0): 1.0}
    for name in PROJECTIONS:
        assert edge_table(build_fast_projection(store, name).to_networkx()) == edge_table(build_projection(store, name))
    assert supply.nodes["a"] == {"kind": "Enterprise", "name": "A", "region": "r1"}
    assert "i" not in supply and "a" in supply
    for labels, types, _ in PROJECTIONS.values():
        fast, slow = store.projection_columns(labels, types), GraphStore.projection_columns(store, labels, types)
        assert (fast.ids, fast.labels, fast.names, fast.regions) == (slow.ids, slow.labels, slow.names, slow.regions)
        assert (fast.source.tolist(), fast.target.tolist(), fast.weight.tolist()) == (slow.source.tolist(), slow.target.tolist(), slow.weight.tolist())


def test_fast_projections_are_cached_per_store_version(tmp_path):
    store = SqliteStore(tmp_path / "c.db", create=True)
    store.write(GraphData(nodes=[Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B")]))
    first = fast_projection(store, "supply")
    assert fast_projection(store, "supply") is first and first.number_of_edges() == 0
    store.write(GraphData(relationships=[Relationship("SUPPLIES", "a", "b")]))
    again = fast_projection(store, "supply")
    assert again is not first and again.number_of_edges() == 1
    assert np.array_equal(again.arrays.src, [0]) and np.array_equal(again.arrays.dst, [1])


def test_an_unknown_projection_is_refused(sqlite_store):
    from graph.errors import InvalidParameter

    with pytest.raises(InvalidParameter, match="unknown projection"):
        build_fast_projection(sqlite_store, "everything")
