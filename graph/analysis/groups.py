"""Control groups: a parent company and its subsidiaries (CONTROLS, parent → subsidiary), as one.

A group is a connected set of enterprises under CONTROLS (taken without direction, so a
subsidiary with two parents joins both parents' groups into one). It is named by its head: the
member no one controls (the smallest id when several are, or when control runs in a circle).
Enterprises outside every CONTROLS relationship are groups of their own and are not listed.

>>> from graph.model import GraphData, Node, Relationship
>>> from graph.store.sqlite import SqliteStore
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(
...     nodes=[Node("Enterprise", e, e.upper()) for e in ("p", "s1", "s2", "x")],
...     relationships=[Relationship("CONTROLS", "p", "s1"), Relationship("CONTROLS", "s1", "s2")]))
>>> control_groups(store)
{'p': 'p', 's1': 'p', 's2': 'p'}
"""

from __future__ import annotations

import networkx as nx

from graph.store.base import GraphStore

__all__ = ["control_groups", "group_of"]


def control_groups(store: GraphStore) -> dict[str, str]:
    """Each enterprise in a CONTROLS relationship → the head of its control group."""
    G = nx.DiGraph()
    G.add_edges_from((rel.source, rel.target) for rel in store.relationships(["CONTROLS"]))
    groups = {}
    for members in nx.weakly_connected_components(G):
        heads = sorted(n for n in members if G.in_degree(n) == 0) or sorted(members)
        groups.update(dict.fromkeys(members, heads[0]))
    return dict(sorted(groups.items()))


def group_of(groups: dict[str, str], node: str) -> str:
    """The group ``node`` belongs to (itself when in none)."""
    return groups.get(node, node)
