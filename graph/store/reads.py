"""Reads built on the store's primitives alone: counts with every kind listed, one node by id,
the whole graph in memory. Plain functions of a store, the same on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from graph.cache import one_version
from graph.errors import NotFound, StoreChanged
from graph.model import LABELS, REL_TYPES, GraphData, Node, check_label

from ..reports import DatasetRow, DatasetsReport, Stats, UnloadReport
from .base import GraphStore

__all__ = ["stats", "datasets", "unload", "get_node", "snapshot", "consistent", "READ_TRIES"]

T = TypeVar("T")

# How many times a read is made again while writes keep changing the graph under it.
READ_TRIES = 5


def stats(store: GraphStore) -> Stats:
    """Counts per label and per relationship type, every known one listed (0 when absent), and
    the FEEDS cycles of the stages (:func:`graph.analysis.stages.feeds_cycles`)."""
    from graph.analysis.stages import feeds_cycles  # the analyses import the store

    nodes, relationships = store.counts()
    return Stats.model_construct(
        cycles=feeds_cycles(store),
        nodes={label: nodes.get(label, 0) for label in LABELS},
        relationships={rel: relationships.get(rel, 0) for rel in REL_TYPES},
        total_nodes=sum(nodes.get(label, 0) for label in LABELS),
        total_relationships=sum(relationships.get(rel, 0) for rel in REL_TYPES),
    )


def datasets(store: GraphStore) -> DatasetsReport:
    """The datasets loaded into the store (:meth:`GraphStore.datasets`)."""
    return DatasetsReport.model_construct(datasets=[DatasetRow.model_construct(**vars(d)) for d in store.provenance.datasets()])


def unload(store: GraphStore, dataset_id: str) -> UnloadReport:
    """Unload ``dataset_id`` (:meth:`GraphStore.unload`) and say what it did."""
    done = store.provenance.unload(dataset_id)
    return UnloadReport.model_construct(dataset=done.dataset, removed_nodes=done.removed_nodes, removed_relationships=done.removed_relationships,
                                        shared_nodes=done.shared_nodes, shared_relationships=done.shared_relationships,
                                        reverted=done.reverted, kept=list(done.kept), version=store.version())


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


def consistent(store: GraphStore, read: Callable[[GraphStore], T], tries: int = READ_TRIES) -> T:
    """``read(view)`` of one version of the graph: in the store's snapshot (:meth:`GraphStore.reading`),
    made again when the version changed while it read (a store without snapshots, Neo4j), at
    most ``tries`` times; then StoreChanged. A replace meanwhile gives the old graph's answer or
    the new one's, never a mix of the two."""
    for _ in range(tries):
        # every cached part of the read keyed by the version compared below (graph.cache says why)
        with store.reading() as view, one_version(view) as before:
            value = read(view)
            if view.version() == before:
                return value
    raise StoreChanged(f"{store.uri} changed {tries} times while it was read (other loads are writing to it); try again")
