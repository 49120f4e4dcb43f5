"""The queries a few reports push down into the store, for speed on a national chain.

:class:`Queries` works from :class:`~graph.store.base.GraphStore`'s primitives only: it is the
reference. Each backend overrides it beside its own code with one query per method
(``SqliteQueries`` in graph/store/sqlite.py, ``Neo4jQueries`` in graph/store/neo4j.py), and the
store contract suite (tests/graph/test_store_contract.py) holds each override to the reference
on the same data. Reports ask :func:`queries` for the store's own.

>>> from graph.model import GraphData, Node, Relationship
>>> from graph.store.sqlite import SqliteStore
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(nodes=[Node("Stage", "spin", "纺丝"), Node("Enterprise", "e1", "甲", {"region": "sz"})],
...                           relationships=[Relationship("OPERATES_IN", "e1", "spin")]))
>>> queries(store).operations(regions=["sz"]) == Queries(store).operations(regions=["sz"])
True
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from graph.model import Node, Relationship

if TYPE_CHECKING:
    import numpy as np

    from .base import GraphStore

__all__ = ["Queries", "queries", "Operation", "StageFirm", "RingCounts", "Link", "CodedLinks", "CodedOperations", "number_or_none", "tie_strength"]


class Operation(NamedTuple):
    """One OPERATES_IN relationship with what aggregations need: the enterprise's region and the
    capacity it states (None when not given). A plain tuple, as :class:`StageFirm`: a national
    chain reads a few hundred thousand of them at once."""

    enterprise: str
    stage: str
    region: str | None
    capacity: float | None
    unit: str | None


class StageFirm(NamedTuple):
    """An enterprise operating in a stage, with what ranking it as a candidate needs
    (:meth:`Queries.stage_firms`): its name, ``region`` property and size. ``revenue_cny`` and
    ``employees`` are floats when the property is a number, else None. A plain tuple, since a
    national chain asks for a hundred thousand of them at once."""

    stage: str
    enterprise: str
    name: str
    region: str | None
    revenue_cny: float | None
    employees: float | None


class RingCounts(NamedTuple):
    """The size of the relationships around some nodes, counted without reading them
    (:meth:`Queries.ring_counts`). ``degrees``: each of the nodes with at least one relationship
    -> how many distinct nodes it is linked to, either direction (a loop links a node to
    itself); ``relationships``: how many distinct
    relationships have an end among the nodes; ``nodes``: how many distinct nodes the nodes and
    the far ends of those relationships make."""

    degrees: dict[str, int]
    relationships: int
    nodes: int


class CodedLinks(NamedTuple):
    """The relationships of one type in :meth:`Queries.links` order, as columns: the ``i``-th runs
    from ``ids[source[i]]`` to ``ids[target[i]]`` and has key ``keys[i]``. ``ids`` are the ids
    asked for and any other end of one of the relationships, sorted; ``source`` and ``target``
    are numpy integer arrays."""

    ids: list[str]
    source: np.ndarray
    target: np.ndarray
    keys: list[str]


class CodedOperations(NamedTuple):
    """Operations (:meth:`Queries.operations`) as columns, in its order: the ``i``-th is enterprise
    ``ids[firm[i]]`` (of the ids asked for) operating in ``stage[i]`` with ``capacity[i]`` and
    ``unit[i]``. ``firm`` is a numpy integer array."""

    firm: np.ndarray
    stage: list[str]
    capacity: list[float | None]
    unit: list[str | None]


class Link(NamedTuple):
    """A relationship's identity and how strong it is (:func:`tie_strength`), without the rest of
    its properties (:meth:`Queries.links_among`): what a view that draws relationships needs."""

    type: str
    source: str
    target: str
    key: str
    strength: float


def number_or_none(value) -> float | None:
    """A stated amount (capacity, revenue) as a number; None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def tie_strength(props: dict) -> float:
    """How strong a relationship is: its ``volume`` (supplies) or ``weight`` (ties) when a number,
    else 1.

    >>> tie_strength({"volume": 3}), tie_strength({"weight": True, "stage": "x"}), tie_strength({})
    (3.0, 1.0, 1.0)
    """
    for key in ("volume", "weight"):
        value = number_or_none(props.get(key))
        if value is not None:
            return value
    return 1.0


def queries(store: GraphStore) -> Queries:
    """The report queries of ``store``'s backend."""
    return store._queries(store)


class Queries:
    """Report queries built on the store's primitives (the reference; see the module docstring)."""

    def __init__(self, store: GraphStore):
        self.store = store

    def id_labels(self) -> dict[str, str]:
        """Every node id with its label."""
        return {node.id: node.label for node in self.store.nodes()}

    def stage_rows(self, ids: Iterable[str] | None = None) -> list[tuple[str, str, object]]:
        """(id, name, tier) of every stage (of those of ``ids`` that are stages, when given), in id
        order (the tier None when it has none): what the rolled-up chain is built from, without
        the rest of each stage's properties."""
        return [(n.id, n.name, n.props.get("tier")) for n in self.store.nodes(["Stage"], ids=None if ids is None else set(ids))]

    def stage_links(self, type: str) -> list[tuple[str, str]]:
        """(source, target) of every relationship of ``type`` whose two ends are stages, in
        :meth:`links` order: the stage hierarchy (PART_OF) or the product links (FEEDS), without
        reading the stages themselves."""
        stages = {row[0] for row in self.stage_rows()}
        return [(source, target) for _, source, target, _ in self.links([type]) if source in stages and target in stages]

    def named(self, folded: str, labels: Iterable[str] | None = None) -> list[Node]:
        """The nodes (of ``labels``, all when None) with an id, name, English name or alias whose
        folded form (:func:`graph.store.base.fold`) is ``folded``, in id order: what resolving a
        typed name asks, without reading every node's names when the store keeps them folded."""
        from .base import fold, name_forms

        found = (n for n in self.store.nodes(list(labels) if labels else None) if any(fold(f) == folded for f in name_forms(n) if f.strip()))
        return sorted(found, key=lambda n: n.id)

    def incident_keys(self, ids: Iterable[str], types: Iterable[str] | None = None) -> set[tuple[str, str, str, str]]:
        """The identities (type, source, target, key) of the store's ``incident`` relationships,
        without their properties: what a search that only needs the shape of a neighbourhood reads."""
        return {rel.identity for rel in self.store.incident(ids, types)}

    def ring_counts(self, ids: Iterable[str]) -> RingCounts:
        """How many nodes each of ``ids`` is linked to, and how many relationships and nodes the
        next ring out from ``ids`` holds (see :class:`RingCounts`): what an ego view needs to
        rank and cut a neighbourhood too big to draw whole, without reading it."""
        wanted = set(ids)
        rels = {rel.identity: rel for rel in self.store.incident(wanted)}
        linked: dict[str, set[str]] = {}
        for _, source, target, _ in rels:
            for end, other in ((source, target), (target, source)):
                if end in wanted:
                    linked.setdefault(end, set()).add(other)
        degrees = {node: len(others) for node, others in linked.items()}
        return RingCounts(degrees, len(rels), len(wanted | {end for key in rels for end in key[1:3]}))

    def relationships_among(self, ids: Iterable[str]) -> list[Relationship]:
        """Every relationship whose two ends are both in ``ids``, sorted by identity."""
        wanted = set(ids)
        return [r for r in self.store.incident(wanted) if r.source in wanted and r.target in wanted]

    def links_among(self, ids: Iterable[str]) -> list[Link]:
        """:meth:`relationships_among` as :class:`Link` rows (identity and strength), sorted by
        identity: no relationship's other properties are read."""
        return [Link(*r.identity, tie_strength(r.props)) for r in self.relationships_among(ids)]

    def operations(self, *, regions: Iterable[str] | None = None, stages: Iterable[str] | None = None) -> list[Operation]:
        """OPERATES_IN relationships, with the enterprise's ``region`` property and the capacity.

        Only enterprises whose region is one of ``regions`` and only the ``stages`` given, when
        given. Sorted by (stage, enterprise).
        """
        region_set = set(regions) if regions is not None else None
        stage_set = set(stages) if stages is not None else None
        rels = [r for r in self.store.relationships(["OPERATES_IN"]) if stage_set is None or r.target in stage_set]
        region_of = {n.id: n.props.get("region") for n in self.store.nodes(["Enterprise"], ids={r.source for r in rels})}
        found = []
        for rel in rels:
            region = region_of.get(rel.source)
            if rel.source not in region_of or (region_set is not None and region not in region_set):
                continue
            found.append(Operation(rel.source, rel.target, region, number_or_none(rel.props.get("capacity")), rel.props.get("unit")))
        return sorted(found, key=lambda op: (op.stage, op.enterprise))

    def coded_operations(self, ids: list[str], *, regions: Iterable[str] | None = None) -> CodedOperations:
        """:meth:`operations` (of ``regions``, when given) of the enterprises among ``ids`` (distinct
        ids), their enterprises coded as positions in ``ids`` (see :class:`CodedOperations`)."""
        import numpy as np

        position = dict(zip(ids, range(len(ids))))
        ops = [op for op in self.operations(regions=regions) if op.enterprise in position]
        return CodedOperations(np.fromiter((position[op.enterprise] for op in ops), dtype=np.int64, count=len(ops)),
                               [op.stage for op in ops], [op.capacity for op in ops], [op.unit for op in ops])

    def stage_firms(self, stages: Iterable[str], *, exclude_regions: Iterable[str] = ()) -> list[StageFirm]:
        """The enterprises operating (OPERATES_IN) in one of ``stages``, except those whose
        ``region`` is one of ``exclude_regions`` (an enterprise with no region is kept): one row
        per (stage, enterprise), sorted by (stage, enterprise). What a candidate lookup needs,
        without reading whole nodes."""
        excluded = set(exclude_regions)
        ops = [op for op in self.operations(stages=stages) if op.region not in excluded]
        firms = {n.id: n for n in self.store.nodes(["Enterprise"], ids={op.enterprise for op in ops})}
        return [
            StageFirm(op.stage, op.enterprise, firms[op.enterprise].name, op.region,
                      number_or_none(firms[op.enterprise].props.get("revenue_cny")), number_or_none(firms[op.enterprise].props.get("employees")))
            for op in ops
        ]

    def links(self, types: Iterable[str]) -> list[tuple[str, str, str, str]]:
        """(type, source, target, key) of every relationship of ``types``, without properties, in
        the store's ``relationships`` order: what counting and reachability need on a national
        graph (hundreds of thousands of supplies) without reading each relationship's properties."""
        return [(r.type, r.source, r.target, r.key) for r in self.store.relationships(types)]

    def coded_links(self, type: str, ids: Iterable[str]) -> CodedLinks:
        """:meth:`links` of ``type`` with their ends coded as positions (see :class:`CodedLinks`):
        what a national graph's supplies are analysed as, without a tuple and two id strings per
        relationship."""
        import numpy as np  # here: a load, a search or a stats call never needs it

        links = self.links([type])
        everyone = sorted(set(ids).union(map(itemgetter(1), links), map(itemgetter(2), links)))
        position = dict(zip(everyone, range(len(everyone))))
        source = np.fromiter((position[link[1]] for link in links), dtype=np.int64, count=len(links))
        target = np.fromiter((position[link[2]] for link in links), dtype=np.int64, count=len(links))
        return CodedLinks(everyone, source, target, [link[3] for link in links])

    def enterprises_in(self, stages: Iterable[str]) -> set[str]:
        """Ids of the enterprises operating (OPERATES_IN) in one of ``stages``: the firms of
        :meth:`operations` of those stages, without reading their regions and capacities."""
        return {op.enterprise for op in self.operations(stages=stages)}

    def enterprise_tags(self) -> dict[str, object]:
        """Every enterprise that has a ``tags`` property → that property as stored (a list, or a
        ``;``-separated text), in id order: what weighing industries by tags needs, without
        reading each enterprise's other properties."""
        return {n.id: n.props["tags"] for n in self.store.nodes(["Enterprise"]) if "tags" in n.props}

    def enterprise_ids(self, regions: Iterable[str]) -> set[str]:
        """Ids of the enterprises whose ``region`` property is one of ``regions``."""
        wanted = set(regions)
        return {n.id for n in self.store.nodes(["Enterprise"]) if n.props.get("region") in wanted}
