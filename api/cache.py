"""Analysis results cached per store version, so a repeated report costs one lookup.

The key is (store, store version, analysis function, its arguments). Any write changes the
store's version, so results computed before it are never served after it; they simply age out of
the LRU. A result is only kept when the version did not change while it was being computed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from graph.store import GraphStore

__all__ = ["ReportCache"]


def _frozen(value: Any) -> Any:
    """A hashable stand-in for an argument (lists become tuples, dicts sorted item tuples)."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(_frozen(v) for v in value))
    return value


class ReportCache:
    """A small thread-safe LRU of analysis results.

    >>> from graph.store.sqlite import SqliteStore
    >>> cache, store, calls = ReportCache(4), SqliteStore(":memory:", create=True), []
    >>> def report(store, x):
    ...     calls.append(x)
    ...     return {"x": x}
    >>> cache.run(store, report, x=1), cache.run(store, report, x=1), calls
    ({'x': 1}, {'x': 1}, [1])
    """

    def __init__(self, size: int = 128):
        self.size = size
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def run(self, store: GraphStore, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``func(store, *args, **kwargs)``, from the cache when the store has not changed since.

        The result is shared between requests: callers must not change it.
        """
        key = (func.__module__, func.__qualname__, _frozen(args), _frozen(kwargs))
        return self._cached(store, key, lambda: func(store, *args, **kwargs))

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
        key = ("rendered", render_key, func.__module__, func.__qualname__, _frozen(args), _frozen(kwargs))
        return self._cached(store, key, lambda: render(self.run(store, func, *args, **kwargs)))

    def _cached(self, store: GraphStore, key: tuple, compute: Callable[[], Any]) -> Any:
        if self.size <= 0:
            return compute()
        version = store.version()
        key = (store.uri, version, *key)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        result = compute()
        if store.version() == version:
            with self._lock:
                self._entries[key] = result
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return result

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
