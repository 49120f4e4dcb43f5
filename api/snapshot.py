"""Each answer of the API reads one version of the graph.

A report reads the store many times (its nodes, its relationships, a projection, a page of
rows); a replace committed between two of those reads would give an answer made of two graphs,
or a KeyError (a 500) where a node of one meets a relationship of the other. Every read route is
a :class:`SnapshotRoute`: its dependencies and its endpoint run on the store's snapshot
(:meth:`graph.store.base.GraphStore.reading`: one read transaction on SQLite), and the whole
request is answered again when the version changed meanwhile (a store without snapshots,
Neo4j, whose reads may even meet a replace half-committed: an error then is not the answer
either), at most :data:`graph.store.reads.READ_TRIES` times, then 409 StoreChanged. Write routes
(those that require the API key) are left as they are: answering them again would write again.
"""

from __future__ import annotations

import contextlib

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from graph.cache import one_version
from graph.errors import StoreBusy, StoreChanged, StoreUnavailable
from graph.store.reads import READ_TRIES

from .deps import require_api_key

__all__ = ["SnapshotRoute"]


def _open(handle, snapshot: contextlib.ExitStack):
    """(the store, its snapshot, the snapshot's version), on a worker thread: one hop from the
    event loop instead of three (each hop costs a cached answer some 0.1 ms)."""
    store = handle.get()  # StoreUnavailable: 503, as every route says
    try:
        view = snapshot.enter_context(store.reading())
        return store, view, view.version()
    except StoreBusy:  # locked by a load: the connection is fine, the answer a 503 with Retry-After
        snapshot.close()
        raise
    except StoreUnavailable:
        snapshot.close()
        handle.drop(store)  # the next request reconnects
        raise


def _close(handle, store, view, snapshot: contextlib.ExitStack):
    """The snapshot's version once the answer is made, and the snapshot closed (one hop)."""
    try:
        return view.version()
    except StoreUnavailable:
        handle.drop(store)
        raise
    finally:
        snapshot.close()


class SnapshotRoute(APIRoute):
    """A read route answered from one version of the graph (the module's docstring)."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        if any(dependency.dependency is require_api_key for dependency in self.dependencies):
            return handler

        async def answer_of_one_version(request: Request):
            handle = request.app.state.store_handle
            for _ in range(READ_TRIES):
                snapshot = contextlib.ExitStack()
                store, view, before = await run_in_threadpool(_open, handle, snapshot)
                request.state.snapshot, request.state.snapshot_of = view, store
                failure: Exception | None = None
                try:
                    # every cached part of the answer keyed by the version compared below (graph.cache
                    # says why); a context variable, so the threads the handler runs on see it
                    with one_version(view, before):
                        response = await handler(request)
                except Exception as error:  # what a read across two graphs may raise: asked again below
                    failure = error
                finally:
                    request.state.snapshot = None
                    after = await run_in_threadpool(_close, handle, store, view, snapshot)
                if after == before:
                    if failure is not None:
                        raise failure
                    return response
            raise StoreChanged(f"the graph changed {READ_TRIES} times while this answer was read (loads are writing to it); try again")

        return answer_of_one_version
