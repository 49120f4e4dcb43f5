"""Analysis results cached per store version, so a repeated report costs one lookup.

The app's :class:`ReportCache` is a :class:`graph.cache.VersionedCache` of its own (the app sets
its bound, ``CHAINX_CACHE_SIZE``), keyed by the analysis function and its arguments; why the key
holds the store's version, and what that guarantees, is said in :mod:`graph.cache`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from graph.cache import VersionedCache
from graph.errors import ChainxError
from graph.store import GraphStore

from .workers import ReportProcesses

__all__ = ["ReportCache", "Overloaded", "ComputeSlots"]


class Overloaded(ChainxError):
    """Every slot for computing a report is taken: the client is to come back shortly (503 with
    Retry-After), rather than queue behind reports that take minutes."""


class ComputeSlots:
    """At most ``size`` reports computed at once (0: no bound). A report found in the cache
    takes no slot, nor does /health, so cheap requests stay fast while the costly ones run.

    >>> slots = ComputeSlots(1)
    >>> with slots.taken():
    ...     with slots.taken():
    ...         pass
    Traceback (most recent call last):
    ...
    api.cache.Overloaded: 1 report is being computed already, the most this server computes at once; ...
    """

    def __init__(self, size: int):
        self.size = size
        self._free = threading.BoundedSemaphore(size) if size > 0 else None

    @contextlib.contextmanager
    def taken(self) -> Iterator[None]:
        if self._free is None:
            yield
            return
        # no waiting: a queue of minute-long reports would hold the request and its thread
        if not self._free.acquire(blocking=False):
            many = f"{self.size} reports are" if self.size != 1 else "1 report is"
            raise Overloaded(f"{many} being computed already, the most this server computes at once; try again shortly "
                             "(a report computed once is served from the cache), or raise CHAINX_MAX_CONCURRENT_REPORTS")
        try:
            yield
        finally:
            self._free.release()


class ReportCache(VersionedCache):
    """The reports of one app and their rendered bodies.

    >>> from graph.store.sqlite import SqliteStore
    >>> cache, store, calls = ReportCache(4), SqliteStore(":memory:", create=True), []
    >>> def report(store, x):
    ...     calls.append(x)
    ...     return {"x": x}
    >>> cache.run(store, report, x=1), cache.run(store, report, x=1), calls
    ({'x': 1}, {'x': 1}, [1])
    """

    def __init__(self, size: int = 128, concurrent: int = 0, processes: ReportProcesses | None = None):
        super().__init__("report", size)
        self.slots = ComputeSlots(concurrent)
        self.processes = processes or ReportProcesses(0)

    def run(self, store: GraphStore, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``func(store, *args, **kwargs)``, from the cache when the store has not changed since.

        The result is shared between requests: callers must not change it.
        """
        key = (func.__module__, func.__qualname__, args, kwargs)

        def compute() -> Any:
            with self.slots.taken():
                if self.processes.accepts(store, func, self._relationships):  # off this process: api/workers.py says why
                    return self.processes.run(store, func, args, kwargs)
                return func(store, *args, **kwargs)

        return self.get(store, key, compute)

    def _relationships(self, store: GraphStore) -> int:
        return self.get(store, ("relationships",), lambda: sum(store.counts()[1].values()))

    def rendered(self, store: GraphStore, render: Callable[[Any], Any], render_key: Hashable,
                 func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``render(report)`` of the report :meth:`run` gives, cached beside it under
        ``render_key`` (what distinguishes one rendering from another): a response body made once
        per store version, so a repeated report costs a lookup, not a re-serialisation.

        >>> from graph.store.sqlite import SqliteStore
        >>> cache, store, renders = ReportCache(4), SqliteStore(":memory:", create=True), []
        >>> def render(report):
        ...     renders.append(report)
        ...     return str(report).encode()
        >>> [cache.rendered(store, render, "str", lambda store: {"x": 1}) for _ in "ab"], len(renders)
        ([b"{'x': 1}", b"{'x': 1}"], 1)
        """
        key = ("rendered", render_key, func.__module__, func.__qualname__, args, kwargs)
        return self.get(store, key, lambda: render(self.run(store, func, *args, **kwargs)))
