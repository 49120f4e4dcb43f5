"""The one cache of chainx: what is worked out from a store, kept per store version.

Projections, fast projections, the rolled-up stage chain, centrality values, the bottlenecks'
supply world and the API's reports are all kept here, each in its own bounded
:class:`VersionedCache`, and :func:`clear_all` forgets every one of them.

Why the key holds the version: a cached value is only ever right for the graph it was computed
from, and the store's :meth:`~graph.store.base.GraphStore.version` changes on every write that
changes the graph. With the version in the key a write invalidates everything computed before it
without anyone having to remember to clear anything: the old entries are simply never asked for
again and age out of the LRU. The key is ``(store.uri, store.version(), name, args)``; the
version carries the store's own random id, so two stores at one address (two ``":memory:"``
databases, a Neo4j database dropped and re-created) never share entries. A value is only kept
when the version is still the same once it has been computed, so a write during a computation
cannot leave a value of the new graph under the old version.

Nor the reverse, which that check alone does not stop: a value computed from something read
*before* its key's version was (the ties report's betweenness, computed from the ties graph it
held, keyed by the version read after a replace committed B) would be A's under B's version, and
every later report of B would meet A's nodes in it (a KeyError: a 500). So one computation keys
everything it asks for by one version, the one read when it began: :func:`one_version` pins it
for the block and for everything called in it (threads the API hands the request to included:
it is a context variable), and :meth:`VersionedCache.get` runs its computation in such a block.
Whatever is read inside the block comes after the pinned version was read; a value is kept only
if a read after it still gives that version; so a kept value is of that version alone. The
entry points (each API request: api/snapshot.py; each CLI command; graph.store.reads.consistent)
pin the version they compare at the end, so their reports key every part by it.

Values are shared by everyone who asks: they are frozen where they can be (projections are
``nx.freeze``-d graphs) and read-only by contract everywhere else. Concurrent requests for one
key compute it once: the first computes, the others wait for its value.

>>> from graph.store.sqlite import SqliteStore
>>> store, calls = SqliteStore(":memory:", create=True), []
>>> cache = VersionedCache("example", size=4)
>>> def compute():
...     calls.append(1)
...     return {"x": 1}
>>> cache.get(store, "x", compute) is cache.get(store, "x", compute), len(calls)
(True, 1)
>>> clear_all(); cache.get(store, "x", compute) == {"x": 1}, len(calls)
(True, 2)
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .store.base import GraphStore

__all__ = ["VersionedCache", "clear_all", "frozen_key", "one_version"]

T = TypeVar("T")

# Every cache ever made, so clear_all reaches them all (weakly: a closed app's cache may go).
_caches: weakref.WeakSet[VersionedCache] = weakref.WeakSet()
_caches_lock = threading.Lock()


# (store, version) of the computations running in this context, innermost last. By the store
# object, not its address: two ":memory:" stores share one, and one store's version must not key
# another's values.
_pinned: contextvars.ContextVar[tuple[tuple[GraphStore, str], ...]] = contextvars.ContextVar("chainx_pinned_versions", default=())


@contextlib.contextmanager
def one_version(store: GraphStore, version: str | None = None) -> Iterator[str]:
    """Key every cached value of ``store`` asked for in the block by one version (the module's
    docstring says why): the one an enclosing block pinned, else ``version`` (read by the caller
    just now), else ``store.version()`` read here. Yields it.

    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> with one_version(store) as outer:
    ...     with one_version(store, "another") as inner:
    ...         outer == inner == store.version()
    True
    """
    pinned = _pinned.get()
    held = next((v for s, v in pinned if s is store), None)
    if held is not None:
        yield held
        return
    version = store.version() if version is None else version
    token = _pinned.set((*pinned, (store, version)))
    try:
        yield version
    finally:
        _pinned.reset(token)


def frozen_key(value: Any) -> Hashable:
    """A hashable stand-in for an argument: lists become tuples, dicts and sets sorted tuples.

    >>> frozen_key({"b": [1, 2], "a": {3}})
    (('a', (3,)), ('b', (1, 2)))
    """
    if isinstance(value, (list, tuple)):
        return tuple(frozen_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, frozen_key(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(frozen_key(v) for v in value))
    return value


class _Pending:
    """A value being computed by one thread, which the others asking for it wait on."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.value: Any = None


class VersionedCache:
    """A thread-safe LRU of values computed from a store, keyed by its version (module docstring).

    ``name`` says what the cache holds (it is part of every key); ``size`` bounds how many values
    it keeps (0 or less: none, every call computes). ``hits`` and ``misses`` count lookups.
    """

    def __init__(self, name: str, size: int):
        self.name = name
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._pending: dict[tuple, _Pending] = {}
        self._lock = threading.Lock()
        with _caches_lock:
            _caches.add(self)

    def get(self, store: GraphStore, args: Any, compute: Callable[[], T]) -> T:
        """The value of ``compute()`` for ``args`` on the current version of ``store``.

        ``args`` is what distinguishes one value from another in this cache (made hashable with
        :func:`frozen_key`). The value is shared: callers must not change it.
        """
        if self.size <= 0:
            return compute()
        # asked before looking (a store that cannot say its version serves nothing from here),
        # unless the computation this is part of pinned one
        with one_version(store) as version:
            return self._get(store, version, args, compute)

    def _get(self, store: GraphStore, version: str, args: Any, compute: Callable[[], T]) -> T:
        key = (store.uri, version, self.name, frozen_key(args))
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return self._entries[key]
                pending = self._pending.get(key)
                if pending is None:
                    pending = self._pending[key] = _Pending()
                    self.misses += 1
                    break
            pending.done.wait()
            # a value computed across a write too (its version did not hold, so it was not kept):
            # the waiter's own version read after it, which comes after the computing thread's
            # check, sees that write as well, so the waiter's caller answers again (api/snapshot.py)
            if pending.ok:
                with self._lock:
                    self.hits += 1
                return pending.value
            # the computing thread failed: try again, computing it here if nobody else is
        try:
            value = compute()
            unchanged = store.version() == version
        except BaseException:
            with self._lock:
                del self._pending[key]
            pending.done.set()
            raise
        with self._lock:
            del self._pending[key]
            if unchanged:
                self._entries[key] = value
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        pending.value, pending.ok = value, True
        pending.done.set()
        return value

    def clear(self) -> None:
        """Forget every value kept (values being computed now are still handed to their waiters)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"VersionedCache({self.name!r}, size={self.size}, kept={len(self)})"


def clear_all(*names: str) -> None:
    """Forget every value of every cache, or only of the caches called ``names``: the next
    analysis is cold, as in a fresh process (benchmarks measure cold reports with it; a write
    needs no clearing, see the module docstring).

    >>> kept = VersionedCache("kept", size=1)
    >>> clear_all("kept")  # that cache only (the benchmark keeps projections warm this way)
    >>> clear_all("misspelt")
    Traceback (most recent call last):
    ...
    ValueError: no cache called misspelt
    """
    with _caches_lock:
        caches = [cache for cache in _caches if not names or cache.name in names]
    unknown = set(names) - {cache.name for cache in caches}
    if unknown:  # a misspelt name would otherwise clear nothing, silently
        raise ValueError(f"no cache called {', '.join(sorted(unknown))}")
    for cache in caches:
        cache.clear()
