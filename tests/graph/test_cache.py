"""The one versioned cache (graph/cache.py): keyed by the store's version, bounded, shared values
frozen, one value per key however many ask at once, and one clear_all for every cache."""

from __future__ import annotations

import threading

import networkx as nx
import pytest

from graph.analysis.stages import stage_chain
from graph.cache import VersionedCache, clear_all, one_version
from graph.fastproj import fast_projection
from graph.projection import projection
from graph.store.sqlite import SqliteStore
from tests.graph.small_graphs import E, S, rel, write


@pytest.fixture
def store():
    store = SqliteStore(":memory:", create=True)
    write(store, [E("a"), E("b"), S("spin"), S("weave")], [rel("SUPPLIES", "a", "b"), rel("FEEDS", "spin", "weave")])
    yield store
    store.close()


def counting(calls: list, value=None):
    def compute():
        calls.append(1)
        return {"n": len(calls)} if value is None else value
    return compute


def test_a_value_is_computed_once_per_store_version(store):
    cache, calls = VersionedCache("test once", size=4), []
    first = cache.get(store, ("x", [1, 2]), counting(calls))
    assert cache.get(store, ("x", [1, 2]), counting(calls)) is first and len(calls) == 1
    assert (cache.hits, cache.misses) == (1, 1)
    write(store, [E("c")])  # a write changes the version: the value is computed again
    assert cache.get(store, ("x", [1, 2]), counting(calls)) == {"n": 2}


def test_the_key_tells_stores_and_arguments_apart(store):
    other = SqliteStore(":memory:", create=True)  # the same address, another store
    cache, calls = VersionedCache("test keys", size=8), []
    cache.get(store, "x", counting(calls))
    cache.get(other, "x", counting(calls))
    cache.get(store, "y", counting(calls))
    cache.get(store, {"b": 1, "a": [2]}, counting(calls))
    cache.get(store, {"a": [2], "b": 1}, counting(calls))  # the same dict, another order
    assert len(calls) == 4
    other.close()


def test_the_cache_keeps_at_most_its_size(store):
    cache, calls = VersionedCache("test size", size=2), []
    for args in ("a", "b", "c"):
        cache.get(store, args, counting(calls))
    assert len(cache) == 2
    cache.get(store, "c", counting(calls))  # kept
    cache.get(store, "a", counting(calls))  # the oldest, dropped
    assert len(calls) == 4
    off, calls = VersionedCache("test off", size=0), []
    off.get(store, "a", counting(calls))
    off.get(store, "a", counting(calls))
    assert len(calls) == 2 and len(off) == 0


def test_concurrent_requests_for_one_key_compute_it_once(store):
    cache, calls, release = VersionedCache("test concurrent", size=4), [], threading.Event()

    def slow():
        calls.append(1)
        release.wait()
        return object()

    got: list = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(store, "k", slow))) for _ in range(8)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(got) == 8 and all(value is got[0] for value in got)


def test_a_failed_computation_is_not_kept(store):
    cache, calls = VersionedCache("test failure", size=4), []

    def failing():
        calls.append(1)
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        cache.get(store, "k", failing)
    assert len(cache) == 0
    assert cache.get(store, "k", counting(calls, "fine")) == "fine" and len(calls) == 2


def test_a_value_computed_across_a_write_is_not_kept(store):
    cache, calls = VersionedCache("test write", size=4), []

    def writing():
        calls.append(1)
        write(store, [E(f"w{len(calls)}")])
        return len(calls)

    assert cache.get(store, "k", writing) == 1
    assert len(cache) == 0  # it may hold the graph before the write or after it
    assert cache.get(store, "k", writing) == 2


def ids_of(store) -> frozenset[str]:
    return frozenset(node.id for node in store.nodes())


def read_then_derive(store, read: VersionedCache, derived: VersionedCache) -> int:
    """A report combining two cached values, the second computed from the first, with a write
    committed between the two (as the ties report's graph and its betweenness, graph/cache.py)."""
    ids = read.get(store, "ids", lambda: ids_of(store))
    write(store, [E(f"w{len(ids)}")])
    return derived.get(store, "count", lambda: len(ids))


def test_a_value_derived_from_an_earlier_read_is_not_kept_under_a_later_version(store):
    read, derived = VersionedCache("test read", size=4), VersionedCache("test derived", size=4)
    with one_version(store):  # an API request or a CLI command: one version for all it asks
        assert read_then_derive(store, read, derived) == 4  # a, b, spin, weave: the graph before the write
    # the count of the graph after the write (5 nodes), not the 4 of the graph before it
    assert derived.get(store, "count", lambda: len(ids_of(store))) == 5 == len(ids_of(store))


def test_a_cached_computation_keys_what_it_asks_for_by_its_own_version(store):
    report, read, derived = (VersionedCache(f"test {name}", size=4) for name in ("report", "read", "derived"))
    assert report.get(store, "r", lambda: read_then_derive(store, read, derived)) == 4
    assert len(report) == 0  # computed across the write: not kept
    assert derived.get(store, "count", lambda: len(ids_of(store))) == 5


def test_a_pinned_version_is_one_store_s_alone(store):
    other = SqliteStore(":memory:", create=True)  # the same address, another store
    write(other, [E("z")])
    cache = VersionedCache("test pinned stores", size=4)
    with one_version(store) as version:
        assert cache.get(other, "ids", lambda: ids_of(other)) == {"z"}
        with one_version(other) as others:
            assert others != version == store.version()
    assert cache.get(store, "ids", lambda: ids_of(store)) == {"a", "b", "spin", "weave"}
    other.close()


def test_shared_graphs_are_frozen(store):
    assert nx.is_frozen(projection(store, "supply"))
    assert nx.is_frozen(stage_chain(store).graph)
    with pytest.raises(nx.NetworkXError):
        projection(store, "chain").add_node("x")


def test_clear_all_forgets_every_cache(store):
    before = projection(store, "supply"), fast_projection(store, "supply"), stage_chain(store)
    assert (projection(store, "supply"), fast_projection(store, "supply"), stage_chain(store)) == before
    clear_all()
    after = projection(store, "supply"), fast_projection(store, "supply"), stage_chain(store)
    assert all(new is not old for new, old in zip(after, before))


def test_clear_all_by_name_forgets_only_those(store):
    kept, dropped, calls = VersionedCache("test kept", size=2), VersionedCache("test dropped", size=2), []
    kept.get(store, "k", counting(calls))
    dropped.get(store, "k", counting(calls))
    clear_all("test dropped")
    assert (len(kept), len(dropped)) == (1, 0)
    with pytest.raises(ValueError, match="no cache called nowhere"):
        clear_all("nowhere")
