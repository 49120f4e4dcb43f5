"""The store interface every analysis, the API and the views use.

Two implementations sit behind it: :class:`graph.store.sqlite.SqliteStore` (embedded, the
default) and :class:`graph.store.neo4j.Neo4jStore` (a shared server over Bolt). One contract test
suite runs against both, so anything built on this interface behaves the same on either.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from graph.errors import NotFound
from graph.model import LABELS, REL_TYPES, GraphData, Node, Relationship, check_label, check_rel_type

__all__ = ["GraphStore", "WriteSummary", "Operation", "StageFirm", "search_rank", "Progress", "BATCH_SIZE", "ProjectionColumns", "projection_weight"]

Progress = Callable[[int], None]
BATCH_SIZE = 5_000


@dataclass(frozen=True)
class WriteSummary:
    nodes: int
    relationships: int
    changed: bool
    replaced: bool = False


@dataclass(frozen=True)
class Operation:
    """One OPERATES_IN relationship with what aggregations need: the enterprise's region and the
    capacity it states (None when not given)."""

    enterprise: str
    stage: str
    region: str | None
    capacity: float | None
    unit: str | None


class StageFirm(NamedTuple):
    """An enterprise operating in a stage, with what ranking it as a candidate needs
    (:meth:`GraphStore.stage_firms`): its name, ``region`` property and size. ``revenue_cny`` and
    ``employees`` are floats when the property is a number, else None. A plain tuple, since a
    national chain asks for a hundred thousand of them at once."""

    stage: str
    enterprise: str
    name: str
    region: str | None
    revenue_cny: float | None
    employees: float | None


@dataclass(frozen=True)
class ProjectionColumns:
    """A projection's nodes and relationships as columns, what fast projections are built from
    (:mod:`graph.fastproj`).

    ``ids`` in the order :meth:`GraphStore.nodes` gives them (by id), with each node's label,
    name and ``region`` property (None when absent). Relationship j runs ``ids[source[j]]`` →
    ``ids[target[j]]`` and weighs ``weight[j]`` (:func:`projection_weight`); relationships with an
    end outside the projection's labels are left out, parallel ones are kept.
    """

    ids: list[str]
    labels: list[str]
    names: list[str]
    regions: list
    source: np.ndarray
    target: np.ndarray
    weight: np.ndarray


def projection_weight(rel_type: str, props: dict) -> float:
    """What one relationship adds to its projection edge's ``weight``: 1 for a supply (a supply
    counts as one link whatever its volume); otherwise its numeric ``weight``, else its numeric
    ``volume``, else 1 (a ``weight`` that is not a number counts as 1 and hides ``volume``).

    >>> projection_weight("COLLABORATES_WITH", {"weight": 3}), projection_weight("SUPPLIES", {"volume": 9})
    (3.0, 1.0)
    """
    if rel_type == "SUPPLIES":
        return 1.0
    weight = props.get("weight", props.get("volume", 1.0))
    return float(weight) if isinstance(weight, (int, float)) else 1.0


def search_text(node: Node) -> str:
    """The lower-cased text a search matches against: id, name, English name and aliases."""
    parts = [node.id, node.name, str(node.props.get("name_en", ""))]
    aliases = node.props.get("aliases") or []
    parts.extend(str(a) for a in (aliases if isinstance(aliases, list) else [aliases]))
    return "\n".join(p for p in parts if p).lower()


def search_rank(node: Node, query: str) -> tuple:
    """Order search hits: exact id or name first, then names starting with the text, then the
    rest; shorter names before longer ones (a person typing 织造 wants 织造 before 喷水织造)."""
    q = query.lower()
    names = [node.id.lower(), node.name.lower()]
    if q in names:
        tier = 0
    elif any(n.startswith(q) for n in names):
        tier = 1
    else:
        tier = 2
    return (tier, len(node.name), node.name, node.id)


def _capacity(value) -> float | None:
    """A stated capacity as a number; None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


class GraphStore(ABC):
    """A graph of chain stages, enterprises, institutes, parks and regions."""

    uri: str

    # -- writing ---------------------------------------------------------------------------
    @abstractmethod
    def write(self, data: GraphData, *, replace: bool = False, progress: Progress | None = None) -> WriteSummary:
        """Write ``data`` in one transaction: all of it or none of it.

        Nodes and relationships are merged by identity (node id; relationship type, ends and
        key), so writing the same data twice changes nothing. With ``replace`` the store's graph
        is swapped for ``data``.
        """

    @abstractmethod
    def set_properties(self, values: dict[str, dict]) -> None:
        """Set properties on existing nodes: ``{node id: {property: value}}``, one transaction."""

    # -- reading ---------------------------------------------------------------------------
    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the graph changes; caches key on it."""

    @abstractmethod
    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """(nodes per label, relationships per type), for the labels and types present."""

    @abstractmethod
    def nodes(self, labels: Iterable[str] | None = None, ids: Iterable[str] | None = None) -> Iterator[Node]:
        """The nodes with one of ``labels`` (all when None), restricted to ``ids`` if given."""

    @abstractmethod
    def relationships(self, types: Iterable[str] | None = None) -> Iterator[Relationship]:
        """The relationships of the given types (all when None)."""

    @abstractmethod
    def incident(self, ids: Iterable[str], types: Iterable[str] | None = None) -> list[Relationship]:
        """Relationships with either end in ``ids`` — one step of a neighbourhood, by query."""

    @abstractmethod
    def _search_candidates(self, query: str, label: str | None) -> list[Node]:
        """Nodes whose id, name, English name or an alias contains ``query`` (lower-cased)."""

    @abstractmethod
    def close(self) -> None: ...

    # -- built on the primitives above -----------------------------------------------------
    def id_labels(self) -> dict[str, str]:
        """Every node id with its label."""
        return {node.id: node.label for node in self.nodes()}

    def stats(self) -> dict:
        """Counts per label and per relationship type, every known one listed (0 when absent)."""
        nodes, relationships = self.counts()
        return {
            "nodes": {label: nodes.get(label, 0) for label in LABELS},
            "relationships": {rel: relationships.get(rel, 0) for rel in REL_TYPES},
            "total_nodes": sum(nodes.get(label, 0) for label in LABELS),
            "total_relationships": sum(relationships.get(rel, 0) for rel in REL_TYPES),
        }

    def get_node(self, node_id: str, label: str | None = None) -> Node:
        """The node with ``node_id`` (of ``label``, if given); NotFound otherwise."""
        labels = [check_label(label)] if label else None
        found = next(iter(self.nodes(labels, ids=[node_id])), None)
        if found is None:
            kind = label.lower() if label else "node"
            raise NotFound(f"no {kind} with id {node_id!r}")
        return found

    def search(self, text: str, *, label: str | None = None, limit: int = 20, offset: int = 0) -> tuple[int, list[Node]]:
        """Nodes matching ``text`` in id, name, English name or alias (Chinese or English),
        best matches first. Returns (total matches, the page asked for)."""
        if label:
            check_label(label)
        query = text.strip().lower()
        hits = sorted(self._search_candidates(query, label), key=lambda n: search_rank(n, query))
        return len(hits), hits[offset : offset + limit]

    def incident_keys(self, ids: Iterable[str], types: Iterable[str] | None = None) -> set[tuple[str, str, str, str]]:
        """The identities (type, source, target, key) of :meth:`incident`'s relationships, without
        their properties: what a search that only needs the shape of a neighbourhood reads.
        Stores override this with a narrower query; this default reads the relationships whole."""
        return {rel.identity for rel in self.incident(ids, types)}

    def relationships_among(self, ids: Iterable[str]) -> list[Relationship]:
        """Every relationship whose two ends are both in ``ids``, sorted by identity."""
        wanted = set(ids)
        return [r for r in self.incident(wanted) if r.source in wanted and r.target in wanted]

    def neighborhood(self, node_id: str, depth: int = 1, types: Iterable[str] | None = None) -> GraphData:
        """The node and everything within ``depth`` relationships of it, either direction."""
        types = [check_rel_type(t) for t in types] if types else None
        self.get_node(node_id)
        seen, frontier = {node_id}, {node_id}
        rels: dict[tuple, Relationship] = {}
        for _ in range(depth):
            step = self.incident(frontier, types)
            new = set()
            for rel in step:
                rels[rel.identity] = rel
                new.update((rel.source, rel.target))
            frontier = new - seen
            seen |= new
            if not frontier:
                break
        # Relationships among the outermost ring were not fetched as incident to the frontier;
        # keep only those whose both ends are in the neighbourhood.
        kept = [r for r in rels.values() if r.source in seen and r.target in seen]
        nodes = sorted(self.nodes(ids=seen), key=lambda n: (n.label, n.id))
        return GraphData(nodes=nodes, relationships=sorted(kept, key=lambda r: r.identity))

    def operations(self, *, regions: Iterable[str] | None = None, stages: Iterable[str] | None = None) -> list[Operation]:
        """OPERATES_IN relationships, with the enterprise's ``region`` property and the capacity.

        Only enterprises whose region is one of ``regions`` and only the ``stages`` given, when
        given. Sorted by (stage, enterprise). Stores override this with one query; this default
        works from the primitives and reads every OPERATES_IN relationship.
        """
        region_set = set(regions) if regions is not None else None
        stage_set = set(stages) if stages is not None else None
        rels = [r for r in self.relationships(["OPERATES_IN"]) if stage_set is None or r.target in stage_set]
        region_of = {n.id: n.props.get("region") for n in self.nodes(["Enterprise"], ids={r.source for r in rels})}
        found = []
        for rel in rels:
            region = region_of.get(rel.source)
            if rel.source not in region_of or (region_set is not None and region not in region_set):
                continue
            found.append(Operation(rel.source, rel.target, region, _capacity(rel.props.get("capacity")), rel.props.get("unit")))
        return sorted(found, key=lambda op: (op.stage, op.enterprise))

    def stage_firms(self, stages: Iterable[str], *, exclude_regions: Iterable[str] = ()) -> list[StageFirm]:
        """The enterprises operating (OPERATES_IN) in one of ``stages``, except those whose
        ``region`` is one of ``exclude_regions`` (an enterprise with no region is kept): one row
        per (stage, enterprise), sorted by (stage, enterprise). What a candidate lookup needs,
        without reading whole nodes. Stores override this with one query; this default works
        from :meth:`operations` and :meth:`nodes`.
        """
        excluded = set(exclude_regions)
        ops = [op for op in self.operations(stages=stages) if op.region not in excluded]
        firms = {n.id: n for n in self.nodes(["Enterprise"], ids={op.enterprise for op in ops})}
        return [
            StageFirm(op.stage, op.enterprise, firms[op.enterprise].name, op.region,
                      _capacity(firms[op.enterprise].props.get("revenue_cny")), _capacity(firms[op.enterprise].props.get("employees")))
            for op in ops
        ]

    def links(self, types: Iterable[str]) -> list[tuple[str, str, str, str]]:
        """(type, source, target, key) of every relationship of ``types``, without properties, in
        :meth:`relationships`' order: what counting and reachability need, on a national graph
        (hundreds of thousands of supplies) without reading each relationship's properties.
        Stores override this with one query; this default reads the relationships."""
        return [(r.type, r.source, r.target, r.key) for r in self.relationships(types)]

    def enterprise_ids(self, regions: Iterable[str]) -> set[str]:
        """Ids of the enterprises whose ``region`` property is one of ``regions``. Stores
        override this with one indexed query; this default reads every enterprise."""
        wanted = set(regions)
        return {n.id for n in self.nodes(["Enterprise"]) if n.props.get("region") in wanted}

    def projection_columns(self, labels: Iterable[str], types: Iterable[str]) -> ProjectionColumns:
        """The nodes with one of ``labels`` and the relationships of ``types`` between them, as
        columns (see :class:`ProjectionColumns`). Stores override this with one query; this
        default reads the nodes and relationships one by one."""
        labels = [check_label(label) for label in labels]
        nodes = sorted(self.nodes(labels), key=lambda node: node.id)  # node order is id order, as documented
        index = {node.id: i for i, node in enumerate(nodes)}
        source, target, weight = [], [], []
        for rel in self.relationships([check_rel_type(t) for t in types]):
            if rel.source in index and rel.target in index:
                source.append(index[rel.source])
                target.append(index[rel.target])
                weight.append(projection_weight(rel.type, rel.props))
        return ProjectionColumns(
            ids=[n.id for n in nodes],
            labels=[n.label for n in nodes],
            names=[n.name for n in nodes],
            regions=[n.props.get("region") for n in nodes],
            source=np.array(source, dtype=np.int64),
            target=np.array(target, dtype=np.int64),
            weight=np.array(weight, dtype=np.float64),
        )

    def snapshot(self) -> GraphData:
        """The whole graph in memory (exports, tests)."""
        return GraphData(
            nodes=sorted(self.nodes(), key=lambda n: n.id),
            relationships=sorted(self.relationships(), key=lambda r: r.identity),
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
