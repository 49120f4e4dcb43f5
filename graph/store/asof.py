"""The graph as it stood on a day: a read-only view of a store through ``since`` / ``until``.

A node or relationship may carry ``since`` and ``until`` (ISO dates, both inclusive, a missing one
open-ended: loaders/contract.py). On ``day`` a node holds when ``since <= day <= until``; a
relationship holds when it does and both its ends do (a supply cannot outlive its supplier).
ISO dates compare as text, so no date is parsed per row.

:func:`as_of` is the one place a report's ``as_of`` is applied: every report reads its store
through it, so projections, pushed-down queries (answered here by the reference
:class:`~graph.store.queries.Queries` on the filtered primitives) and caches all see the day's
graph. Without a day it returns the store itself: no cost for the common case. The view's
``uri`` carries the day, so :mod:`graph.cache` keys a day's projection apart from the whole graph's.

>>> from graph.model import GraphData, Node, Relationship
>>> from graph.store.sqlite import SqliteStore
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(
...     nodes=[Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B", {"since": "2023-01-01"})],
...     relationships=[Relationship("SUPPLIES", "a", "b")]))
>>> view = as_of(store, "2022-06-30")
>>> [n.id for n in view.nodes()], list(view.relationships()), view.counts()
(['a'], [], ({'Enterprise': 1}, {}))
>>> as_of(store, None) is store
True
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Iterator

from graph.errors import InvalidParameter, StoreError
from graph.model import GraphData, Node, Relationship

from .base import GraphStore, WriteSummary

__all__ = ["AsOfStore", "as_of", "holds", "check_day"]


def check_day(name: str, value: str | None) -> str | None:
    """``value`` when it is an ISO date (YYYY-MM-DD) or None; InvalidParameter naming ``name`` otherwise."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError
        datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(name, f"must be a date written YYYY-MM-DD, not {value!r}") from None
    return text


def holds(props: dict, day: str) -> bool:
    """Whether something with these properties held on ``day`` (module docstring)."""
    since, until = props.get("since"), props.get("until")
    return (since is None or str(since) <= day) and (until is None or day <= str(until))


class AsOfStore(GraphStore):
    """``store`` as it stood on ``day``; read-only."""

    def __init__(self, store: GraphStore, day: str):
        self.inner = store
        self.day = day
        self.uri = f"{store.uri}@{day}"
        self._alive: set[str] | None = None

    def _alive_ids(self) -> set[str]:
        if self._alive is None:
            self._alive = {node.id for node in self.inner.nodes() if holds(node.props, self.day)}
        return self._alive

    def _holds(self, rel: Relationship) -> bool:
        alive = self._alive_ids()
        return holds(rel.props, self.day) and rel.source in alive and rel.target in alive

    def write(self, data: GraphData, *, replace: bool = False, progress=None, expect_version: str | None = None, dataset=None) -> WriteSummary:
        raise StoreError(f"{self.uri} is the graph as of {self.day}: read-only")

    def _datasets(self):
        return self.inner.provenance.datasets()

    def _sources(self, ids):
        return self.inner.provenance.sources(ids)

    def _unload(self, dataset_id: str):
        raise StoreError(f"{self.uri} is the graph as of {self.day}: read-only")

    def set_properties(self, values: dict[str, dict]) -> None:
        raise StoreError(f"{self.uri} is the graph as of {self.day}: read-only")

    def version(self) -> str:
        return self.inner.version()

    def peek_version(self) -> str:
        return self.inner.peek_version()

    @contextlib.contextmanager
    def reading(self) -> Iterator[GraphStore]:
        with self.inner.reading() as view:
            yield self if view is self.inner else AsOfStore(view, self.day)

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        nodes: dict[str, int] = {}
        for node in self.nodes():
            nodes[node.label] = nodes.get(node.label, 0) + 1
        rels: dict[str, int] = {}
        for rel in self.relationships():
            rels[rel.type] = rels.get(rel.type, 0) + 1
        return nodes, rels

    def nodes(self, labels: Iterable[str] | None = None, ids: Iterable[str] | None = None) -> Iterator[Node]:
        return (node for node in self.inner.nodes(labels, ids) if holds(node.props, self.day))

    def relationships(self, types: Iterable[str] | None = None) -> Iterator[Relationship]:
        return (rel for rel in self.inner.relationships(types) if self._holds(rel))

    def incident(self, ids: Iterable[str], types: Iterable[str] | None = None) -> list[Relationship]:
        return [rel for rel in self.inner.incident(ids, types) if self._holds(rel)]

    def _search_candidates(self, query: str, label: str | None) -> list[Node]:
        return [node for node in self.inner._search_candidates(query, label) if holds(node.props, self.day)]

    def close(self) -> None:
        self.inner.close()


def as_of(store: GraphStore, day: str | None) -> GraphStore:
    """``store`` as it stood on ``day`` (an ISO date), or ``store`` itself when ``day`` is None."""
    day = check_day("as_of", day)
    if day is None:
        return store
    if isinstance(store, AsOfStore):
        store = store.inner
    return AsOfStore(store, day)
