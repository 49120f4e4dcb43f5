"""Reads built on the store's primitives alone: counts with every kind listed, one node by id,
the whole graph in memory. Plain functions of a store, the same on every backend."""

from __future__ import annotations

from graph.errors import NotFound
from graph.model import LABELS, REL_TYPES, GraphData, Node, check_label

from ..reports import Stats
from .base import GraphStore

__all__ = ["stats", "get_node", "snapshot"]


def stats(store: GraphStore) -> Stats:
    """Counts per label and per relationship type, every known one listed (0 when absent)."""
    nodes, relationships = store.counts()
    return Stats.model_construct(
        nodes={label: nodes.get(label, 0) for label in LABELS},
        relationships={rel: relationships.get(rel, 0) for rel in REL_TYPES},
        total_nodes=sum(nodes.get(label, 0) for label in LABELS),
        total_relationships=sum(relationships.get(rel, 0) for rel in REL_TYPES),
    )


def get_node(store: GraphStore, node_id: str, label: str | None = None) -> Node:
    """The node with ``node_id`` (of ``label``, if given); NotFound otherwise."""
    labels = [check_label(label)] if label else None
    found = next(iter(store.nodes(labels, ids=[node_id])), None)
    if found is None:
        kind = label.lower() if label else "node"
        raise NotFound(f"no {kind} with id {node_id!r}")
    return found


def snapshot(store: GraphStore) -> GraphData:
    """The whole graph in memory (exports, tests)."""
    return GraphData(
        nodes=sorted(store.nodes(), key=lambda n: n.id),
        relationships=sorted(store.relationships(), key=lambda r: r.identity),
    )
