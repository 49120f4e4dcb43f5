"""graph.reach against NetworkX's own reachability: ``reachable`` is ``nx.descendants`` /
``nx.ancestors``, and ``carry_bits`` on the condensation gives, for every node at once, what
``nx.descendants`` / ``nx.ancestors`` give one node at a time, less the node's own strongly
connected component (the bottlenecks and gaps reports count a FEEDS cycle as one link)."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.reach import carry_bits, reachable


@st.composite
def digraphs(draw):
    """Random directed graphs on up to 12 nodes, cycles and self-loops allowed, some nodes with no link."""
    n = draw(st.integers(1, 12))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30))
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges)
    return G


def _carried_sets(G: nx.DiGraph, marked: set, downwards: bool) -> dict:
    """node → the marked nodes carry_bits puts before it (above it going down, below it going up)."""
    C = nx.condensation(G)
    component = C.graph["mapping"]
    position = {c: i for i, c in enumerate(nx.topological_sort(C))}
    inside: dict = {}
    for node in marked:
        inside[component[node]] = inside.get(component[node], 0) | (1 << node)
    forward, backward = (C.succ, C.pred) if downwards else (C.pred, C.succ)
    carried = carry_bits(forward, backward, inside, position, downwards=downwards)
    return {node: {m for m in G if carried.get(component[node], 0) >> m & 1} for node in G}


@settings(max_examples=200, deadline=None)
@given(digraphs(), st.data())
def test_carry_bits_is_descendants_and_ancestors_less_the_own_cycle(G, data):
    marked = data.draw(st.sets(st.sampled_from(sorted(G))))
    below = _carried_sets(G, marked, downwards=False)
    above = _carried_sets(G, marked, downwards=True)
    for node in G:
        cycle = next(c for c in nx.strongly_connected_components(G) if node in c)
        assert below[node] == (nx.descendants(G, node) - cycle) & marked
        assert above[node] == (nx.ancestors(G, node) - cycle) & marked


@settings(max_examples=200, deadline=None)
@given(digraphs())
def test_reachable_is_descendants_and_ancestors(G):
    for node in G:
        assert reachable(G.succ, node) == nx.descendants(G, node)
        assert reachable(G.pred, node) == nx.ancestors(G, node)


def test_carry_bits_on_a_chain_worked_by_hand():
    # 0 → 1 ⇄ 2 → 3, and 4 alone: 1 and 2 are one component, neither below the other
    G = nx.DiGraph([(0, 1), (1, 2), (2, 1), (2, 3)])
    G.add_node(4)
    below = _carried_sets(G, {0, 1, 2, 3, 4}, downwards=False)
    assert below == {0: {1, 2, 3}, 1: {3}, 2: {3}, 3: set(), 4: set()}
    above = _carried_sets(G, {0, 3}, downwards=True)
    assert above == {0: set(), 1: {0}, 2: {0}, 3: {0}, 4: set()}
