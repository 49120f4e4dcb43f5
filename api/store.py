"""The app's store: opened once, dropped when it fails, reopened when it is back.

A store that is down must not stay broken in the app after it returns, so a request that meets
StoreUnavailable drops the connection it used and the next request opens a fresh one (at most
once per ``retry_seconds``, so an outage does not turn every request into a connection attempt).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator

from graph.errors import StoreUnavailable
from graph.store import GraphStore

__all__ = ["StoreHandle"]

log = logging.getLogger("chainx.api")


class StoreHandle:
    """Holds the store an app reads from.

    With an ``opener`` the handle owns its store: it opens it lazily, closes it on
    :meth:`drop` and at :meth:`close`, and opens separate connections for writes (so a load
    in progress is never visible to readers of the shared connection). With a ready ``store``
    (tests, notebooks) it only lends that store and never closes it.
    """

    def __init__(
        self,
        opener: Callable[[], GraphStore] | None = None,
        *,
        store: GraphStore | None = None,
        retry_seconds: float = 1.0,
        uri: str = "",
    ):
        if (opener is None) == (store is None):
            raise ValueError("give either an opener or a store")
        self._opener = opener
        self._store = store
        self.uri = store.uri if store is not None else uri
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._failed_at: float | None = None
        self._failure = ""
        self._failure_type: type[StoreUnavailable] = StoreUnavailable
        # the version /health last read, which it answers with while the store is busy
        self.last_version = ""
        # bumped by every write through writer() and by every store error a request met: an
        # answer /health gives again from memory (api/health.py) is of the same count only
        self.changes = 0

    @property
    def owned(self) -> bool:
        return self._opener is not None

    def get(self) -> GraphStore:
        """The open store, opening it first if needed; StoreUnavailable when it cannot be."""
        with self._lock:
            if self._store is not None:
                return self._store
            if self._failed_at is not None and time.monotonic() - self._failed_at < self._retry_seconds:
                raise self._failure_type(self._failure)
            try:
                self._store = self._opener()
            except StoreUnavailable as error:
                self._failed_at, self._failure, self._failure_type = time.monotonic(), str(error), type(error)
                raise
            self._failed_at = None
            return self._store

    @property
    def current(self) -> GraphStore | None:
        """The store open now, if any (without opening it)."""
        return self._store

    def drop(self, store: GraphStore | None) -> None:
        """Forget ``store`` after it failed, so the next request reconnects."""
        if not self.owned or store is None:
            return
        with self._lock:
            if self._store is not store:
                return  # another request already dropped (and maybe reopened) it
            self._store = None
            self._failed_at, self._failure, self._failure_type = time.monotonic(), "the store is unavailable", StoreUnavailable
        _close_quietly(store)

    @contextlib.contextmanager
    def writer(self) -> Iterator[GraphStore]:
        """A store to write through: its own connection when the handle owns the store."""
        try:
            if not self.owned:
                yield self.get()
                return
            self.get()  # fail fast (503) while the store is known to be down
            store = self._opener()
            try:
                yield store
            finally:
                _close_quietly(store)
        finally:
            self.changes += 1

    def close(self) -> None:
        """Close an owned store (a later request would open it again); a lent one stays open."""
        if not self.owned:
            return
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            _close_quietly(store)


def _close_quietly(store: GraphStore) -> None:
    try:
        store.close()
    except Exception as error:  # closing a broken connection may fail too; nothing to save
        log.debug("closing the store failed: %s", error)
