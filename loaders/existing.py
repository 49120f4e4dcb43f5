"""What a dataset does to the nodes and relationships a store already holds.

A store is shared: a national chain imported once, towns' workbooks loaded on top. A dataset that
names a node the store holds changes it only where it says something new: a property the
dataset gives a different value is changed, one it leaves empty or does not have keeps the
store's value (so values written back by ``centrality --write-back`` survive a reload), and a
value the loader filled in by default (a stage's tier) is not something the dataset says.

The shared definition of a stage — its name, aliases, description and source — belongs to the
dataset that defined it: a town's file naming the stage does not rewrite it unless asked
(``update_existing``); a value the stored stage lacks is added. The report lists every changed
property of every existing node and relationship (old → new) and every definition kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.model import GraphData, Node, Relationship
from graph.store.base import GraphStore

__all__ = ["STAGE_DEFINITION", "ExistingReport", "merge_existing"]

# A stage's shared definition: what a town's file does not rewrite without update_existing.
STAGE_DEFINITION = ("name", "aliases", "description", "source")

# A dataset with at least 1/_SCAN_SHARE as many nodes (relationships) as the store is compared by one scan of the store's.
_SCAN_SHARE = 4


def _show(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


@dataclass
class ExistingReport:
    """The effect of a dataset on the store's graph, before or after it is written."""

    nodes: int = 0  # in the dataset
    relationships: int = 0
    new_nodes: int = 0  # of those, not yet in the store
    new_relationships: int = 0
    # {"kind", "id", "name", "property", "old", "new"}: every property changed on an existing node
    changed: list[dict] = field(default_factory=list)
    # {"type", "source", "target", "key", "property", "old", "new"}: on an existing relationship
    changed_relationships: list[dict] = field(default_factory=list)
    # {"kind", "id", "name", "property", "store", "dataset"}: a stage's definition left as the store has it
    kept: list[dict] = field(default_factory=list)
    replaced: bool = False
    # with replace: what the store held, all of which the dataset's graph takes the place of
    store_nodes: int = 0
    store_relationships: int = 0

    @property
    def changes_graph(self) -> bool:
        if self.replaced:
            return True
        return bool(self.new_nodes or self.new_relationships or self.changed or self.changed_relationships)

    def as_dict(self) -> dict:
        return {
            "new_nodes": self.new_nodes, "new_relationships": self.new_relationships,
            "changed": self.changed, "changed_relationships": self.changed_relationships, "kept": self.kept,
        }

    def lines(self) -> list[str]:
        """The whole report, line by line (no item left out: every change is a line)."""
        if self.replaced:
            return [f"Replaces the store's graph ({self.store_nodes} nodes, {self.store_relationships} relationships) "
                    f"with the dataset's ({self.nodes} nodes, {self.relationships} relationships)."]
        existing_nodes, existing_rels = self.nodes - self.new_nodes, self.relationships - self.new_relationships
        lines = [f"{_count(self.new_nodes, 'new node')}, {_count(self.new_relationships, 'new relationship')}"
                 + (f"; {_count(existing_nodes, 'node')} and {_count(existing_rels, 'relationship')} already in the store." if existing_nodes or existing_rels
                    else ".")]
        if self.changed:
            lines.append(f"{len(self.changed)} propert{'ies' if len(self.changed) != 1 else 'y'} of nodes already in the store changed (old → new):")
            lines += [f"  {c['kind']} {c['id']} ({c['name']}): {c['property']}: {_show(c['old'])} → {_show(c['new'])}" for c in self.changed]
        if self.changed_relationships:
            lines.append(f"{len(self.changed_relationships)} propert{'ies' if len(self.changed_relationships) != 1 else 'y'} "
                         "of relationships already in the store changed (old → new):")
            lines += [f"  {c['type']} {c['source']} → {c['target']}{' [' + c['key'] + ']' if c['key'] else ''}: {c['property']}: "
                      f"{_show(c['old'])} → {_show(c['new'])}" for c in self.changed_relationships]
        if self.kept:
            many = len(self.kept) != 1
            lines.append(f"{len(self.kept)} stage definition value{'s' if many else ''} kept as the store has {'them' if many else 'it'} "
                         "(--update-existing to rewrite):")
            lines += [f"  {k['kind']} {k['id']} ({k['name']}): {k['property']}: {_show(k['store'])} (the dataset says {_show(k['dataset'])})"
                      for k in self.kept]
        return lines


def _merge_node(node: Node, stored: Node, defaulted: frozenset[str], update_existing: bool, report: ExistingReport) -> Node:
    """``stored`` with what ``node`` says new; the changes and kept definitions into ``report``."""
    definition = node.label == "Stage" and not update_existing
    name = stored.name
    if node.name != stored.name:
        if definition:
            report.kept.append({"kind": node.label, "id": node.id, "name": stored.name, "property": "name", "store": stored.name, "dataset": node.name})
        else:
            report.changed.append({"kind": node.label, "id": node.id, "name": stored.name, "property": "name", "old": stored.name, "new": node.name})
            name = node.name
    props = dict(stored.props)
    for key, value in node.props.items():
        old = stored.props.get(key)
        if old == value or (key in defaulted and key in stored.props):
            continue
        if definition and key in STAGE_DEFINITION and key in stored.props:
            report.kept.append({"kind": node.label, "id": node.id, "name": stored.name, "property": key, "store": old, "dataset": value})
            continue
        report.changed.append({"kind": node.label, "id": node.id, "name": stored.name, "property": key, "old": old, "new": value})
        props[key] = value
    return Node(node.label, node.id, name, props)


def _merge_relationship(rel: Relationship, stored: Relationship, report: ExistingReport) -> Relationship:
    props = dict(stored.props)
    for key, value in rel.props.items():
        old = stored.props.get(key)
        if old != value:
            report.changed_relationships.append({"type": rel.type, "source": rel.source, "target": rel.target, "key": rel.key,
                                                 "property": key, "old": old, "new": value})
            props[key] = value
    return Relationship(rel.type, rel.source, rel.target, rel.key, props)


def merge_existing(store: GraphStore, data: GraphData, *, replace: bool = False, update_existing: bool = False) -> tuple[GraphData, ExistingReport]:
    """``data`` as it is to be written onto ``store``: each node and relationship the store holds
    merged with the stored one (see the module's docstring), and the report of what that changes.

    Parameters
    ----------
    store
        The store the data goes into; only read.
    data
        The validated dataset.
    replace
        The dataset takes the place of the store's graph: nothing is merged.
    update_existing
        Let the dataset rewrite the definitions (name, aliases, description, source) of stages
        the store holds.

    Returns
    -------
    (GraphData, ExistingReport)
        The data to write (``data`` itself when nothing in it exists yet) and the report.
    """
    report = ExistingReport(nodes=len(data.nodes), relationships=len(data.relationships), replaced=replace)
    node_counts, rel_counts = store.counts()
    if replace:
        report.store_nodes, report.store_relationships = sum(node_counts.values()), sum(rel_counts.values())
        report.new_nodes, report.new_relationships = len(data.nodes), len(data.relationships)
        return data, report
    if not node_counts and not rel_counts:
        report.new_nodes, report.new_relationships = len(data.nodes), len(data.relationships)
        return data, report

    # A dataset as large as a good part of the store (a national chain reloaded) reads the store
    # in one scan; a town's reads only its own ids (a batched lookup costs more per row than a scan).
    ids = {node.id for node in data.nodes}
    if len(ids) * _SCAN_SHARE >= sum(node_counts.values()):
        stored_nodes = {node.id: node for node in store.nodes() if node.id in ids}
    else:
        stored_nodes = {node.id: node for node in store.nodes(ids=ids)}
    nodes = []
    for node in data.nodes:
        stored = stored_nodes.get(node.id)
        if stored is None or stored.label != node.label:  # another kind: the write refuses it, naming both
            report.new_nodes += stored is None
            nodes.append(node)
        elif stored == node:
            nodes.append(node)
        else:
            nodes.append(_merge_node(node, stored, data.defaults.get(node.id, frozenset()), update_existing, report))

    wanted = {rel.identity for rel in data.relationships}
    types = sorted({rel.type for rel in data.relationships})
    if not types:
        found = []
    elif len(wanted) * _SCAN_SHARE >= sum(rel_counts.get(t, 0) for t in types):
        found = store.relationships(types)
    else:
        found = store.incident({rel.source for rel in data.relationships}, types)
    stored_rels = {rel.identity: rel for rel in found if rel.identity in wanted}
    relationships = []
    for rel in data.relationships:
        stored = stored_rels.get(rel.identity)
        if stored is None:
            report.new_relationships += 1
            relationships.append(rel)
        elif stored.props == rel.props:
            relationships.append(rel)
        else:
            relationships.append(_merge_relationship(rel, stored, report))
    merged = GraphData(nodes=nodes, relationships=relationships, manifest=data.manifest, defaults=data.defaults)
    return merged, report
