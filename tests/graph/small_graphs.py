"""Tiny hand-built graphs for the centrality, ties and path tests (answers worked out in the tests)."""

from __future__ import annotations

from graph.model import GraphData, Node, Relationship


def E(id_: str, name: str | None = None, **props) -> Node:
    return Node("Enterprise", id_, name or id_.upper(), props)


def I(id_: str, name: str | None = None, **props) -> Node:  # noqa: E743 - I for Institute reads well here
    return Node("Institute", id_, name or id_.upper(), props)


def S(id_: str, name: str | None = None, **props) -> Node:
    return Node("Stage", id_, name or id_.upper(), props)


def R(id_: str, name: str | None = None, **props) -> Node:
    return Node("Region", id_, name or id_.upper(), props)


def rel(type_: str, source: str, target: str, key: str = "", **props) -> Relationship:
    return Relationship(type_, source, target, key, props)


def tie(enterprise: str, institute: str, kind: str = "", **props) -> Relationship:
    if kind:
        props["kind"] = kind
    return Relationship("COLLABORATES_WITH", enterprise, institute, kind, props)


def write(store, nodes, relationships=()):
    store.write(GraphData(nodes=list(nodes), relationships=list(relationships)))
    return store


def star(store):
    """Institute ``hub`` tied to enterprises e1..e4 (the ties projection is a star K1,4)."""
    return write(
        store,
        [I("hub", "枢纽大学")] + [E(f"e{i}") for i in range(1, 5)],
        [tie(f"e{i}", "hub") for i in range(1, 5)],
    )


def two_communities(store):
    """Two groups, each two institutes tied to three firms (K2,3), bridged by one tie a3–u2.

    Group A: u1, v1 with a1, a2, a3.   Group B: u2, v2 with b1, b2, b3.   Bridge: a3 — u2.
    a1 has two ties with u1 (a joint lab and a project).
    """
    nodes = [I("u1"), I("v1"), I("u2"), I("v2")] + [E(x) for x in ("a1", "a2", "a3", "b1", "b2", "b3")]
    ties = [tie(a, u, "project") for a in ("a1", "a2", "a3") for u in ("u1", "v1")]
    ties += [tie(b, u, "project") for b in ("b1", "b2", "b3") for u in ("u2", "v2")]
    ties += [tie("a1", "u1", "joint_lab"), tie("a3", "u2", "training")]
    return write(store, nodes, ties)
