"""What can be reached from one node along an adjacency: the walk the stage chain (downstream,
upstream, sub-stages) and the region tree (regions below a region) share; and, for every node of
a DAG at once, the union of what lies above or below it (:func:`carry_bits`).

>>> sorted(reachable({"a": ["b"], "b": ["c", "a"]}, "a"))
['b', 'c']
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

__all__ = ["reachable", "carry_bits"]


def reachable(adjacency: Mapping[Hashable, Iterable[Hashable]], start: Hashable) -> set:
    """The nodes reachable from ``start`` along ``adjacency`` (node → the nodes it leads to; a
    node missing from it leads nowhere), ``start`` itself left out even on a cycle, as
    ``nx.descendants`` / ``nx.ancestors`` leave it out. ``graph.succ`` walks a NetworkX graph
    downstream, ``graph.pred`` upstream.

    >>> import networkx as nx
    >>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    >>> sorted(reachable(g.succ, "a")), sorted(reachable(g.pred, "d"))
    (['b', 'c', 'd'], ['a', 'b', 'c'])
    """
    seen, stack = {start}, [start]
    while stack:
        for nxt in adjacency.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    seen.discard(start)
    return seen


def carry_bits(forward: Mapping, backward: Mapping, inside: Mapping[Hashable, int], position: Mapping[Hashable, int], *,
               downwards: bool) -> dict[Hashable, int]:
    """For the nodes of a DAG (a condensation: cycles collapsed) reached from those in ``inside``
    along ``forward``: the OR of the bitsets ``inside`` (Python ints) over the nodes before each,
    along ``backward``, transitively; nodes with nothing before them left out. ``position`` is
    each node's place in topological order. With ``forward=dag.pred, backward=dag.succ,
    downwards=False``: the union of what lies below each node, itself left out.

    One pass in topological order (reversed going up) instead of a search from every node: each
    edge ORs one bitset in, and only the part of the DAG reached from ``inside`` is visited, so
    a few marked nodes cost a few searches, not the whole DAG.

    >>> import networkx as nx
    >>> dag = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "d")])
    >>> position = {n: i for i, n in enumerate(nx.topological_sort(dag))}
    >>> carry_bits(dag.pred, dag.succ, {"c": 0b01, "d": 0b10}, position, downwards=False)
    {'b': 1, 'a': 3}
    """
    reached: set = set()
    stack = list(inside)
    while stack:
        for nxt in forward[stack.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                stack.append(nxt)
    carried: dict = {}
    # in topological order (reversed going up): every node before c is done when c is
    for c in sorted(reached, key=position.__getitem__, reverse=not downwards):
        bits = 0
        for before in backward[c]:
            bits |= carried.get(before, 0) | inside.get(before, 0)
        if bits:
            carried[c] = bits
    return carried
