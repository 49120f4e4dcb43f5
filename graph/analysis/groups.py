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

from graph.errors import InvalidParameter
from graph.model import FIRM_TIES, REL_TYPES
from graph.params import TIE_TYPES
from graph.store.base import GraphStore

__all__ = ["control_groups", "group_of", "check_tie_types", "followed_types"]


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


def check_tie_types(tie_types) -> list[str]:
    """The firm-tie types asked for (all of :data:`graph.model.FIRM_TIES` when None), each checked."""
    if tie_types is None:
        return list(FIRM_TIES)
    chosen = TIE_TYPES.check(tie_types)
    unknown = [t for t in chosen if t.upper() not in FIRM_TIES]
    if unknown:
        raise InvalidParameter("tie_types", f"unknown firm tie {unknown[0]!r}; expected some of {', '.join(FIRM_TIES)}")
    return [t for t in FIRM_TIES if t in {c.upper() for c in chosen}]


def followed_types(tie_types) -> list[str] | None:
    """The relationship types a neighbourhood follows when only ``tie_types`` of the firm ties are
    asked for: every other type, and those (None, all of them, when ``tie_types`` is None)."""
    if tie_types is None:
        return None
    chosen = check_tie_types(tie_types)
    return [t for t in REL_TYPES if t not in FIRM_TIES or t in chosen]
