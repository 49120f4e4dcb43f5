"""The store interface every analysis, the API and the views use.

Two implementations sit behind it: :class:`graph.store.sqlite.SqliteStore` (embedded, the
default) and :class:`graph.store.neo4j.Neo4jStore` (a shared server over Bolt). One contract test
suite runs against both, so anything built on this interface behaves the same on either.
"""

from __future__ import annotations

import contextlib
import json
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from graph.model import GraphData, Node, Relationship, check_label, check_rel_type

from .queries import Operation, Queries, StageFirm

if TYPE_CHECKING:
    import numpy as np

__all__ = ["GraphStore", "Provenance", "WriteSummary", "Dataset", "UnloadSummary", "BEFORE_PROVENANCE", "unknown_dataset",
           "Operation", "StageFirm", "search_rank", "search_text", "fold", "name_forms", "folded_names", "Progress", "BATCH_SIZE", "ProjectionColumns",
           "projection_weight"]

Progress = Callable[[int], None]
BATCH_SIZE = 5_000


@dataclass(frozen=True)
class WriteSummary:
    nodes: int
    relationships: int
    changed: bool
    replaced: bool = False


# The dataset a store's graph from before provenance was recorded is attributed to.
BEFORE_PROVENANCE = "(before provenance)"


@dataclass(frozen=True)
class Dataset:
    """One loaded dataset as the store records it: its id (from its name, or its folder's or
    file's), where it came from, how (``load``, ``import chainkg``, ...), when (UTC, ISO 8601),
    the hash of its content as validated, and how many nodes and relationships it stated."""

    id: str
    source: str
    kind: str
    loaded_at: str
    content_hash: str
    nodes: int
    relationships: int


@dataclass(frozen=True)
class UnloadSummary:
    """What unloading a dataset did: what went (stated by it alone), what stayed because another
    dataset states it too, and of those the properties put back as they were before it and the
    ones kept (changed since, or it created the node): ``kept`` lists them, one line each."""

    dataset: str
    removed_nodes: int
    removed_relationships: int
    shared_nodes: int
    shared_relationships: int
    reverted: int
    kept: tuple[str, ...] = ()


def unknown_dataset(dataset_id: str, known: list[str]) -> str:
    """The message for a dataset the store does not hold, with the nearest ids it does."""
    import difflib

    close = difflib.get_close_matches(dataset_id, known, n=3, cutoff=0.5)
    if close:
        hint = f"did you mean {', '.join(repr(c) for c in close)}?"
    elif known:
        hint = "the store holds " + ", ".join(repr(k) for k in sorted(known)[:10]) + (" ..." if len(known) > 10 else "")
    else:
        hint = "the store holds no dataset"
    return f"no dataset {dataset_id!r} in the store: {hint} (chainx datasets lists them)"


# A node's name among its properties, in a ``before`` record: what a dataset's write changed on
# a node or relationship the store already held ({"old": {property: value}, "absent": [property],
# "new": {property: value}}), so that unloading it can put that back. Both stores keep these
# records (as JSON text) and read them back with the two functions below.
NAME_KEY = "\u0000name"
_RECORD_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def changes(old: dict, new: dict, recorded: str | None) -> str:
    """The ``before`` record of writing ``new`` over ``old`` (properties; a name as NAME_KEY),
    merged into what this dataset's earlier write recorded (its first old values stand)."""
    record = json.loads(recorded) if recorded else {"old": {}, "absent": [], "new": {}}
    for key in sorted(set(old) | set(new)):
        if key not in new or old.get(key) == new.get(key) and key in old:
            continue
        if key not in record["old"] and key not in record["absent"]:
            if key in old:
                record["old"][key] = old[key]
            else:
                record["absent"].append(key)
        record["new"][key] = new[key]
    return _RECORD_ENCODER.encode(record)


def revert(values: dict, before: str | None, what: str, dataset_id: str, kept: list[str]) -> tuple[dict, int]:
    """``values`` with what ``before`` records put back, where each still holds what the
    dataset wrote; the rest is kept and said so in ``kept``. Returns (values, how many put back)."""
    if before is None:
        kept.append(f"{what}: kept as it is, {dataset_id!r} created it and another dataset states it too")
        return values, 0
    record = json.loads(before)
    reverted = 0
    for key, wrote in record["new"].items():
        shown = "name" if key == NAME_KEY else key
        if values.get(key) != wrote:
            kept.append(f"{what}: {shown} kept, changed since {dataset_id!r} wrote it")
            continue
        if key in record["old"]:
            values[key] = record["old"][key]
        else:
            values.pop(key, None)
        reverted += 1
    return values, reverted


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


def fold(text: str) -> str:
    """The form names are compared in (graph/names.py): NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def name_forms(node: Node) -> list[str]:
    """What a node may be named by: its id, name, English name and aliases (as given)."""
    aliases = node.props.get("aliases") or []
    aliases = aliases if isinstance(aliases, list) else str(aliases).split(";")
    return [node.id, node.name, str(node.props.get("name_en") or ""), *map(str, aliases)]


def folded_names(node: Node) -> str:
    """The node's :func:`name_forms`, folded, one a line between newlines ("\\n原油\\nyuanyou\\n"):
    what an embedded store keeps to find a node by an exact name (a folded form holds no newline)."""
    return "\n" + "".join(f"{form}\n" for form in sorted({fold(n) for n in name_forms(node) if n.strip()}))


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


class Provenance:
    """What a store records of the datasets loaded into it (``store.provenance``): kept apart
    from the graph's primitives, three calls of its own, each the store's own implementation."""

    def __init__(self, store: GraphStore):
        self._store = store

    def datasets(self) -> list[Dataset]:
        """The datasets loaded into the store, in the order they were first loaded."""
        return self._store._datasets()

    def sources(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """{node id: the datasets that state it, in load order} (see GraphStore._sources)."""
        return self._store._sources(ids)

    def unload(self, dataset_id: str) -> UnloadSummary:
        """Remove what only ``dataset_id`` states, atomically (see GraphStore._unload)."""
        return self._store._unload(dataset_id)


class GraphStore(ABC):
    """A graph of chain stages, enterprises, institutes, parks and regions.

    A handful of primitives, nothing report-specific: what reports push down into a backend for
    speed lives in :mod:`graph.store.queries` (``queries(store)``), and what is built on these
    primitives alone (stats, a node by id, a snapshot) in :mod:`graph.store.reads`.
    """

    uri: str
    # the backend's report queries (graph.store.queries); each backend sets its own
    _queries: ClassVar[type[Queries]] = Queries

    # -- writing ---------------------------------------------------------------------------
    @abstractmethod
    def write(self, data: GraphData, *, replace: bool = False, progress: Progress | None = None,
              expect_version: str | None = None, dataset: Dataset | None = None) -> WriteSummary:
        """Write ``data`` in one transaction: all of it or none of it.

        Nodes and relationships are merged by identity (node id; relationship type, ends and
        key), so writing the same data twice changes nothing. With ``replace`` the store's graph
        is swapped for ``data``. An id the store holds under another label is refused
        (StoreError naming both kinds): labels are part of a node's identity.

        ``expect_version``: the :meth:`version` the data was validated against. Checked under
        the write's own lock, before anything is written: a store at another version (a
        concurrent load got in first) raises StoreChanged and is left as it was.

        ``dataset``: the dataset ``data`` is, recorded in the same transaction with every node
        and relationship it states (``store.provenance``); for each node and relationship the store held, the values the write
        changed, so that unloading it can put them back. A replace forgets every dataset.
        """

    @property
    def provenance(self) -> Provenance:
        """The datasets loaded, which state each node, unload (:class:`Provenance`)."""
        return Provenance(self)

    @abstractmethod
    def _datasets(self) -> list[Dataset]:
        """The datasets loaded into the store, in the order they were first loaded."""

    @abstractmethod
    def _sources(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """{node id: the ids of the datasets that state it, in load order} for ``ids`` the store
        holds (a node no recorded dataset states maps to []); a node the store does not hold is
        missing from the map."""

    @abstractmethod
    def _unload(self, dataset_id: str) -> UnloadSummary:
        """Remove what only ``dataset_id`` states, in one transaction under the write lock.

        A node or relationship another dataset also states stays, with each property this
        dataset changed put back as it was, unless it has changed since (kept, and said so). A
        node only this dataset states goes with its relationships, unless a relationship
        another dataset states needs it (kept, and said so). An unknown id is StoreError
        naming the nearest ids the store holds."""

    @abstractmethod
    def set_properties(self, values: dict[str, dict]) -> None:
        """Set properties on existing nodes: ``{node id: {property: value}}``, one transaction."""

    # -- reading ---------------------------------------------------------------------------
    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the graph changes; caches key on it."""

    @contextlib.contextmanager
    def reading(self) -> Iterator[GraphStore]:
        """A store that reads one version of the graph for as long as the block lasts, where the
        backend can hold one (SQLite: one read transaction on a connection of its own); else
        this store itself, and the caller compares :meth:`version` before and after
        (:func:`graph.store.reads.consistent` does both)."""
        yield self

    def peek_version(self) -> str:
        """:meth:`version` without waiting on another connection's lock (StoreBusy at once
        instead), for a health check; a backend whose reads never wait on writers reads version."""
        return self.version()

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

    def search(self, text: str, *, label: str | None = None, limit: int = 20, offset: int = 0) -> tuple[int, list[Node]]:
        """Nodes matching ``text`` in id, name, English name or alias (Chinese or English),
        best matches first. Returns (total matches, the page asked for)."""
        if label:
            check_label(label)
        query = text.strip().lower()
        hits = sorted(self._search_candidates(query, label), key=lambda n: search_rank(n, query))
        return len(hits), hits[offset : offset + limit]

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
        import numpy as np  # here: a load, a search or a stats call never needs it

        return ProjectionColumns(
            ids=[n.id for n in nodes],
            labels=[n.label for n in nodes],
            names=[n.name for n in nodes],
            regions=[n.props.get("region") for n in nodes],
            source=np.array(source, dtype=np.int64),
            target=np.array(target, dtype=np.int64),
            weight=np.array(weight, dtype=np.float64),
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
