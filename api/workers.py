"""Reports computed in worker processes, so the serving process's event loop never waits on them.

A report computing on one of the server's threads slows every thread of the process, the event
loop's included: igraph, NumPy, pydantic and json hold the GIL in C for long stretches, and a
report's NetworkX projection is millions of objects that every full garbage collection walks
while all threads wait (a single collection stopped /health for 120–700 ms under the costly mix
of tests/adversarial/test_load_mix.py: issue 15). In a process of its own a report only competes
for a core, which the operating system shares out; the serving process keeps routing,
validating and the cache.

:class:`ReportProcesses` runs ``func(store, *args, **kwargs)`` (a function of graph/, found by its
module and name) in a pool of ``size`` processes started by a fork server (never forked from the
serving process, whose threads may hold locks). A worker opens the embedded store's file itself
and reads it in one read transaction; the version it reads must be the one the request read
(:mod:`api.snapshot`), or it hands the report back (below) rather than compute one of another graph. A
report's errors come back as the same exception (class, message, attributes), with the worker's
traceback as a note for the log. Only embedded stores on a file go to the workers (a Neo4j store
or ``:memory:`` stays on the threads), and only functions a worker can import by name.

A worker never waits for the store's lock. The request holds its own snapshot (a shared lock)
while a worker computes; a load about to commit holds the pending lock and waits for that
snapshot to end, and a worker waiting for a shared lock behind the load would wait on the
request that waits on it, until the load gives up (StoreBusy after CHAINX_BUSY_SECONDS). So a
worker that finds the store locked, or holding a version a load committed after the request's
snapshot began, hands the report back, and the request's thread computes it on the snapshot it
already holds.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from graph.errors import StoreUnavailable
from graph.store import GraphStore
from graph.store.asof import AsOfStore, as_of
from graph.store.sqlite import BUSY_SECONDS_ENV, SqliteStore

__all__ = ["ReportProcesses", "NICENESS"]

# Workers yield the cores to the serving process when both want one: a report is batch work, an
# answer from memory should not wait behind it (the kernel's weight of nice 10 is a tenth of 0's)
NICENESS = 10
# A report of a graph smaller than this takes milliseconds on a thread: the hop to a worker (and
# a worker's own cold caches) would cost more than it saves, and hold a compute slot longer
MIN_RELATIONSHIPS = 10_000
# how often a worker checks that the server it works for is still there
WATCH_SECONDS = 1.0

# imported once by the fork server, so a worker starts with them in memory
PRELOAD = ["api.workers", "graph.analysis.bottlenecks", "graph.analysis.centrality", "graph.analysis.gaps",
           "graph.analysis.ties", "graph.views_data"]


class ReportProcesses:
    """At most ``size`` reports computed at once in worker processes (0: none, every report on the
    caller's thread)."""

    def __init__(self, size: int):
        self.size = size
        self.min_relationships = MIN_RELATIONSHIPS
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def accepts(self, store: GraphStore, func: Callable[..., Any], relationships: Callable[[GraphStore], int]) -> bool:
        """Whether ``func(store, ...)`` is computed by a worker: one can reach it, and the store holds
        :attr:`min_relationships` or more (``relationships(store)`` says how many)."""
        inner = store.inner if isinstance(store, AsOfStore) else store
        return (self.size > 0 and type(inner) is SqliteStore and str(inner.path) != ":memory:"
                and "<" not in func.__qualname__ and _resolve(func.__module__, func.__qualname__) is func
                and relationships(inner) >= self.min_relationships)

    def run(self, store: GraphStore, func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        """``func(store, *args, **kwargs)`` computed by a worker; the caller's thread waits (without the GIL)."""
        day = store.day if isinstance(store, AsOfStore) else None
        inner = store.inner if isinstance(store, AsOfStore) else store
        task = (str(inner.path), inner.version(), day, func.__module__, func.__qualname__, args, kwargs)
        pool = self._executor()
        try:
            ok, value = pool.submit(_compute, *task).result()
        except BrokenProcessPool:
            # a worker died (killed, out of memory): the next report gets a new pool
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            from .cache import Overloaded

            raise Overloaded("the process computing this report stopped (out of memory?); try again shortly, "
                             "or narrow the request") from None
        if ok is None:  # locked, or another version: computed here, on the request's snapshot (module docstring)
            return func(store, *args, **kwargs)
        if ok:
            return value
        raise _rebuilt(*value)

    def start(self) -> None:
        """Start the workers and wait until they answer: a server is ready once they are, rather
        than starting them (imports, on the cores the first requests need) under its first load."""
        if self.size > 0:
            executor = self._executor()
            for started in [executor.submit(int) for _ in range(self.size)]:
                started.result()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:  # made here, so an app started again after close() gets one
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._pool = ProcessPoolExecutor(self.size, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),))
            return self._pool

    def close(self) -> None:
        """Stop the workers, a report they compute included (the server is stopping)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            workers = list((pool._processes or {}).values())  # the executor stops idle workers only, and not before exit
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.join(5)


def _resolve(module: str, qualname: str) -> Any:
    try:
        found: Any = importlib.import_module(module)
        for name in qualname.split("."):
            found = getattr(found, name)
    except (ImportError, AttributeError):
        return None
    return found


# -- in the worker ------------------------------------------------------------------------------
_stores: dict[str, SqliteStore] = {}


def _start_worker(server: int) -> None:
    os.nice(NICENESS)
    os.environ[BUSY_SECONDS_ENV] = "0"  # never wait for a lock (module docstring)
    threading.Thread(target=_exit_with, args=(server,), name="chainx-worker-watch", daemon=True).start()


def _exit_with(server: int) -> None:
    """End this worker once the server is gone (killed: it could not stop its workers itself)."""
    while True:
        time.sleep(WATCH_SECONDS)
        try:
            os.kill(server, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # the pid is another user's process now: ours is gone
            os._exit(0)


def _compute(path: str, version: str, day: str | None, module: str, qualname: str, args: tuple, kwargs: dict):
    """(True, the report), (False, what :func:`_rebuilt` needs to raise its error again) or
    (None, None) when the store was locked or holds another version than the request's."""
    try:
        with contextlib.ExitStack() as snapshot:
            try:
                store = _stores.get(path)
                if store is None:
                    store = _stores[path] = SqliteStore(Path(path))
                view = snapshot.enter_context(store.reading())
            except StoreUnavailable:  # locked (or gone: the request's thread says which)
                return None, None
            if view.version() != version:  # a load committed since the request's snapshot began
                return None, None
            return True, _resolve(module, qualname)(as_of(view, day), *args, **kwargs)
    except Exception as error:
        cls = type(error)
        return False, (cls.__module__, cls.__qualname__, error.args, dict(getattr(error, "__dict__", {})), traceback.format_exc())


# -- back in the server -------------------------------------------------------------------------
def _rebuilt(module: str, qualname: str, args: tuple, attributes: dict, worker_traceback: str) -> Exception:
    """The worker's exception again: its class (RuntimeError when it cannot be imported), message and attributes."""
    cls = _resolve(module, qualname)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls, args, attributes = RuntimeError, (f"{module}.{qualname}: {args[0] if args else ''}",), {}
    error = cls.__new__(cls)
    error.args = args
    vars(error).update(attributes)
    error.add_note(f"computed in a worker process:\n{worker_traceback}")
    return error
