"""What can be reached from one node along an adjacency: the walk the stage chain (downstream,
upstream, sub-stages) and the region tree (regions below a region) share.

>>> sorted(reachable({"a": ["b"], "b": ["c", "a"]}, "a"))
['b', 'c']
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

__all__ = ["reachable"]


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
