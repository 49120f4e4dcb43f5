"""NetworkX projections of a store: the graphs analyses run on.

Each named projection reads only the labels and relationship types it needs. Projections are
cached per store version (:mod:`graph.cache`), so a repeated report does not rebuild its graph
and any write (which changes the version) invalidates them.

>>> from graph.projection import PROJECTIONS
>>> sorted(PROJECTIONS)
['all', 'chain', 'supply', 'ties']
"""

from __future__ import annotations

import networkx as nx

from .cache import VersionedCache
from .errors import InvalidParameter
from .model import FIRM_TIES
from .store.base import GraphStore, projection_weight

__all__ = ["PROJECTIONS", "projection_spec", "projection", "build_projection", "WITHOUT_PLACEHOLDERS", "placeholder_regions"]

# name → (node labels, relationship types, directed)
PROJECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "supply": (("Enterprise",), ("SUPPLIES",), True),
    "chain": (("Stage",), ("FEEDS",), True),
    "ties": (("Enterprise", "Institute"), ("COLLABORATES_WITH",), False),
    "all": (("Stage", "Enterprise", "Institute", "Park", "Region"), ("FEEDS", "PART_OF", "OPERATES_IN", "SUPPLIES", "LOCATED_IN", "COLLABORATES_WITH", "RESEARCHES", *FIRM_TIES), False),
}

# Projections whose centralities leave out placeholder regions (a Region with a ``placeholder``
# property: one an importer invents, such as chainkg's 中国 that all 4,586 listed companies are
# LOCATED_IN). On ``all`` it would top every measure and be the bridge between firms that share
# nothing but the country.
WITHOUT_PLACEHOLDERS = frozenset({"all"})


def placeholder_regions(store: GraphStore, name: str) -> list[str]:
    """The ids of the placeholder regions centralities on projection ``name`` leave out (none
    unless ``name`` is in :data:`WITHOUT_PLACEHOLDERS`), in id order."""
    if name not in WITHOUT_PLACEHOLDERS:
        return []
    return sorted(n.id for n in store.nodes(["Region"]) if n.props.get("placeholder") not in (None, "", False))


def projection_spec(name: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(node labels, relationship types, directed) of projection ``name``; InvalidParameter
    naming the known projections otherwise."""
    try:
        return PROJECTIONS[name]
    except KeyError:
        raise InvalidParameter("graph", f"unknown projection {name!r}; expected one of {', '.join(PROJECTIONS)}") from None


_NODE_ATTRS = ("tier", "parent", "region", "park", "revenue_cny", "employees", "kind")


def build_projection(store: GraphStore, name: str) -> nx.Graph:
    """Build the projection ``name`` from ``store`` (uncached).

    Node keys are node ids; every node has ``kind`` (its label) and ``name``. Parallel
    relationships between two nodes (two supplies of different stages, two ties of different
    kinds) collapse into one edge whose ``weight`` adds up their weights (1 each when absent)
    and whose ``count`` counts them.
    """
    labels, types, directed = projection_spec(name)
    graph: nx.Graph = nx.DiGraph() if directed else nx.Graph()
    graph.graph["name"] = name
    for node in store.nodes(labels):
        attrs = {"kind": node.label, "name": node.name}
        for key in _NODE_ATTRS:
            if key in node.props and key != "kind":
                attrs[key] = node.props[key]
        if node.label == "Institute" and "kind" in node.props:
            attrs["institute_kind"] = node.props["kind"]
        graph.add_node(node.id, **attrs)
    for rel in store.relationships(types):
        if rel.source not in graph or rel.target not in graph:
            continue
        weight = projection_weight(rel.type, rel.props)
        if graph.has_edge(rel.source, rel.target):
            edge = graph.edges[rel.source, rel.target]
            edge["weight"] += weight
            edge["count"] += 1
            edge.setdefault("types", set()).add(rel.type)
        else:
            graph.add_edge(rel.source, rel.target, weight=weight, count=1, type=rel.type, types={rel.type})
    return graph


_projections = VersionedCache("projection", size=16)


def projection(store: GraphStore, name: str) -> nx.Graph:
    """The projection ``name`` of ``store``, cached per store version (:mod:`graph.cache`).

    The returned graph is shared and frozen: ``graph.copy()`` before changing it.
    """
    return _projections.get(store, name, lambda: nx.freeze(build_projection(store, name)))
