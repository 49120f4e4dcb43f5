"""/health's answer, worked out on a thread of its own.

A report holds a Starlette threadpool thread for as long as it computes, and requests that wait
for a report another request is computing (the same key, graph/cache.py) hold one too; a
/health run in that pool queues behind them (268 ms p99, up to 4.5 s, under load: issue 15).
So the /health route is async, runs no dependency in the pool, and hands its probe (open the
store if needed, read its version without waiting on any lock: ``peek_version``) to the
:class:`HealthProbe`'s own single thread. Requests that arrive while a probe runs share its answer
instead of queueing for another one.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor

from graph.errors import StoreBusy, StoreUnavailable
from graph.store import is_bolt_uri

from .store import StoreHandle

__all__ = ["HealthProbe"]


class HealthProbe:
    """Probes ``handle``'s store on one thread of its own; one probe at a time, shared."""

    def __init__(self, handle: StoreHandle):
        self.handle = handle
        self._executor: ThreadPoolExecutor | None = None
        self._running: Future | None = None

    async def answer(self) -> dict:
        """The health body (raises StoreUnavailable, rendered 503 by the error handlers)."""
        # only the event loop's thread reads and sets _running: no lock needed
        if self._running is None or self._running.done():
            if self._executor is None:  # made here, so an app started again after close() gets one
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="chainx-health")
            self._running = self._executor.submit(self.probe)
        return await asyncio.wrap_future(self._running)

    def probe(self) -> dict:
        handle = self.handle
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
        return {"status": "ok", "store": kind, "version": version}

    def close(self) -> None:
        executor, self._executor, self._running = self._executor, None, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
