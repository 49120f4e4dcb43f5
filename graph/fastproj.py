"""Fast projections: the graphs of :mod:`graph.projection` as arrays, straight from the store.

:func:`graph.projection.projection` builds a NetworkX graph, one Python object per node and per
edge; on a national chain (a million relationships) that alone takes seconds. A fast projection
asks the store for columns (:meth:`GraphStore.projection_columns`: one query on SQLite), collapses
parallel relationships with NumPy, and keeps the result as :class:`graph.accel.Arrays`, which
:func:`graph.accel.compute` reads directly. Same nodes, same node order (by id), same edges and
the same summed ``weight`` as the NetworkX projection; cached per store version likewise.

It behaves like the NetworkX projection where centrality reports look: ``len``, iteration over
node ids, ``in``, ``number_of_nodes()``, ``number_of_edges()``, ``is_directed()`` and
``nodes[id]`` giving ``{"kind", "name", "region"}`` (only those: the other node attributes of the
NetworkX projection are not read).

>>> from graph.model import GraphData, Node, Relationship
>>> from graph.store.sqlite import SqliteStore
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(
...     nodes=[Node("Enterprise", i, i.upper(), {"region": "r"}) for i in "abc"],
...     relationships=[Relationship("SUPPLIES", "a", "b", "x"), Relationship("SUPPLIES", "a", "b", "y"),
...                    Relationship("SUPPLIES", "c", "b")]))
>>> P = fast_projection(store, "supply")
>>> P.number_of_nodes(), P.number_of_edges(), P.nodes["b"]["name"]
(3, 2, 'B')
>>> P.arrays.weight.tolist(), P.count.tolist()
([2.0, 1.0], [2, 1])
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np

from .accel import Arrays
from .cache import VersionedCache
from .projection import projection_spec
from .store.base import GraphStore

__all__ = ["FastProjection", "fast_projection", "build_fast_projection", "without_nodes"]


class _NodeAttrs(Mapping):
    """``P.nodes[id]`` → ``{"kind", "name", "region"}``, made on demand."""

    def __init__(self, projection: FastProjection):
        self._p = projection

    def __getitem__(self, node: str) -> dict:
        i = self._p.arrays.index[node]
        attrs = {"kind": self._p.kinds[i], "name": self._p.names[i]}
        if self._p.regions[i] is not None:
            attrs["region"] = self._p.regions[i]
        return attrs

    def __iter__(self):
        return iter(self._p.arrays.ids)

    def __len__(self) -> int:
        return len(self._p.arrays.ids)


class FastProjection:
    """A projection as arrays (``arrays``) with its nodes' ``kinds``, ``names`` and ``regions``
    and each edge's ``count`` of relationships."""

    def __init__(self, name: str, arrays: Arrays, kinds: list[str], names: list[str], regions: list, count: np.ndarray):
        self.name = name
        self.arrays = arrays
        self.kinds = kinds
        self.names = names
        self.regions = regions
        self.count = count
        self.graph = {"name": name}
        self.nodes = _NodeAttrs(self)

    def number_of_nodes(self) -> int:
        return len(self.arrays.ids)

    def number_of_edges(self) -> int:
        return len(self.arrays.src)

    def is_directed(self) -> bool:
        return self.arrays.directed

    def __len__(self) -> int:
        return len(self.arrays.ids)

    def __iter__(self):
        return iter(self.arrays.ids)

    def __contains__(self, node) -> bool:
        return node in self.arrays.index

    def to_networkx(self) -> nx.Graph:
        """The same graph in NetworkX: ``kind``, ``name`` (and ``region``) on nodes, ``weight``
        and ``count`` on edges."""
        G = self.arrays.to_networkx()
        G.graph["name"] = self.name
        for node in G:
            G.nodes[node].update(self.nodes[node])
        ids = self.arrays.ids
        for u, v, c in zip(self.arrays.src.tolist(), self.arrays.dst.tolist(), self.count.tolist()):
            G.edges[ids[u], ids[v]]["count"] = c
        return G


def build_fast_projection(store: GraphStore, name: str) -> FastProjection:
    """Build the projection ``name`` of ``store`` as arrays (uncached)."""
    labels, types, directed = projection_spec(name)
    columns = store.projection_columns(labels, types)
    n = len(columns.ids)
    src, dst, weight = columns.source, columns.target, columns.weight
    if directed:
        a, b = src, dst
    else:  # (u, v) and (v, u) are one undirected edge, oriented as it first appears
        a, b = np.minimum(src, dst), np.maximum(src, dst)
    code = a * max(n, 1) + b
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    # edges in the order they first appear, as the NetworkX projection adds them
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    slot = rank[inverse.reshape(-1)]
    keep = first[order]
    summed = np.bincount(slot, weights=weight, minlength=len(keep)) if len(slot) else np.zeros(0)
    count = np.bincount(slot, minlength=len(keep)).astype(np.int64)
    arrays = Arrays(columns.ids, src[keep], dst[keep], summed, directed)
    return FastProjection(name, arrays, columns.labels, columns.names, columns.regions, count)


def without_nodes(P: FastProjection, ids: set) -> FastProjection:
    """``P`` less the nodes ``ids`` and their edges (nodes keep their order, edges theirs), as
    ``G.subgraph(others)`` of its NetworkX graph."""
    keep = np.fromiter((node not in ids for node in P.arrays.ids), dtype=bool, count=len(P.arrays.ids))
    new_index = np.cumsum(keep) - 1
    a = P.arrays
    inside = keep[a.src] & keep[a.dst] if len(a.src) else np.zeros(0, dtype=bool)
    arrays = Arrays([i for i, k in zip(a.ids, keep.tolist()) if k], new_index[a.src[inside]], new_index[a.dst[inside]],
                    None if a.weight is None else a.weight[inside], a.directed)
    pick = lambda values: [v for v, k in zip(values, keep.tolist()) if k]  # noqa: E731
    return FastProjection(P.name, arrays, pick(P.kinds), pick(P.names), pick(P.regions), P.count[inside])


_fast_projections = VersionedCache("fast projection", size=16)


def fast_projection(store: GraphStore, name: str) -> FastProjection:
    """The fast projection ``name`` of ``store``, cached per store version (read-only)."""
    return _fast_projections.get(store, name, lambda: build_fast_projection(store, name))
