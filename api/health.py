"""/health's answer, worked out on a thread of its own.

A report holds a Starlette threadpool thread for as long as it computes, and requests that wait
for a report another request is computing (the same key, graph/cache.py) hold one too; a
/health run in that pool queues behind them (268 ms p99, up to 4.5 s, under load: issue 15).
So the /health route is async, runs no dependency in the pool, and hands its probe (open the
store if needed, read its version without waiting on any lock: ``peek_version``) to the
:class:`HealthProbe`'s own single thread. Requests that arrive while a probe runs share its answer
instead of queueing for another one, and an answer probed less than :data:`FRESH_SECONDS` ago
on the store open now is given again from memory, with no thread involved at all: under load every
hop to a thread waits for the GIL the reports hold (~5 ms a switch), which is most of /health's time.
A write through the app, or a store error any request met (busy, down), ends that reuse at once
(``StoreHandle.changes``); a load by another process shows after at most FRESH_SECONDS.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future, ThreadPoolExecutor

from graph.errors import StoreBusy, StoreUnavailable
from graph.store import is_bolt_uri

from .store import StoreHandle

__all__ = ["HealthProbe", "FRESH_SECONDS"]

# how long an "ok" answer is given again without probing the store
FRESH_SECONDS = 0.5


class HealthProbe:
    """Probes ``handle``'s store on one thread of its own; one probe at a time, shared."""

    def __init__(self, handle: StoreHandle):
        self.handle = handle
        self._executor: ThreadPoolExecutor | None = None
        self._running: Future | None = None
        self._fresh: tuple[float, object, int, dict] | None = None  # (when, the store probed, its changes, the answer)

    async def answer(self) -> dict:
        """The health body (raises StoreUnavailable, rendered 503 by the error handlers)."""
        fresh = self._fresh
        if (fresh is not None and time.monotonic() - fresh[0] < FRESH_SECONDS and self.handle.current is fresh[1]
                and self.handle.changes == fresh[2]):
            return dict(fresh[3])
        # only the event loop's thread reads and sets _running: no lock needed
        if self._running is None or self._running.done():
            if self._executor is None:  # made here, so an app started again after close() gets one
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="chainx-health")
            self._running = self._executor.submit(self.probe)
        return await asyncio.wrap_future(self._running)

    def probe(self) -> dict:
        handle = self.handle
        changes = handle.changes  # before the probe: a change during it makes its answer stale
        try:
            store = handle.get()
            kind = "neo4j" if is_bolt_uri(store.uri) else "embedded"
            version = store.peek_version()
        except StoreBusy as busy:
            # answered from memory: the store's kind is in its uri, which a locked file cannot hide
            kind = "neo4j" if is_bolt_uri(handle.uri) else "embedded"
            return {"status": "busy", "store": kind, "version": handle.last_version, "message": str(busy)}
        except StoreUnavailable:
            handle.drop(handle.current)
            raise
        handle.last_version = version
        answer = {"status": "ok", "store": kind, "version": version}
        self._fresh = (time.monotonic(), store, changes, answer)
        return dict(answer)

    def close(self) -> None:
        executor, self._executor, self._running = self._executor, None, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
