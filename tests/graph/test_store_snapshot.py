"""One version per read: a SQLite snapshot (GraphStore.reading) is not moved by a commit, and
reads.consistent makes a read again when the graph changed under it (Neo4j)."""

from __future__ import annotations

import pytest

from graph.errors import StoreBusy
from graph.store import reads
from graph.store.neo4j import Neo4jStore
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.api.conftest import FILES, write_dataset

OTHER = {name: None for name in FILES} | {"stages": "id,name\nx,别的环节\n"}


def test_a_sqlite_snapshot_reads_one_version_and_a_write_waits_for_it(tmp_path, monkeypatch):
    path = tmp_path / "chainx.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, write_dataset(tmp_path / "tiny"))
        other_graph = write_dataset(tmp_path / "other", **OTHER)
        monkeypatch.setenv("CHAINX_BUSY_SECONDS", "0")  # the writer gives up at once instead of waiting
        with SqliteStore(path) as writer:
            with store.reading() as view:
                before = (view.version(), view.counts(), reads.snapshot(view))
                # a replace cannot commit under the snapshot: it says so, one clear error, nothing written
                with pytest.raises(StoreBusy, match="busy"):
                    load_path(writer, other_graph, replace=True)
                assert (view.version(), view.counts(), reads.snapshot(view)) == before
            load_path(writer, other_graph, replace=True)  # the snapshot over, it goes through
        assert {n.id for n in store.nodes()} == {"x"}


def test_consistent_reads_again_when_the_graph_changed_under_the_read(store, tmp_path):
    load_path(store, write_dataset(tmp_path / "tiny"))
    other_graph = write_dataset(tmp_path / "other", **OTHER)
    if isinstance(store, SqliteStore):
        second = SqliteStore(store.path)
    else:
        second = Neo4jStore(store.uri, user=store.user, password=store._password, database=store.database)
    calls = []

    def read(view) -> set[str]:
        ids = {n.id for n in view.nodes(["Stage"])}
        if not calls and isinstance(store, Neo4jStore):
            load_path(second, other_graph, replace=True)  # a replace lands in the middle of the first read
        calls.append(ids)
        return ids | {n.id for n in view.nodes(["Enterprise"])}

    try:
        found = reads.consistent(store, read)
    finally:
        second.close()
    if isinstance(store, Neo4jStore):
        assert len(calls) == 2 and found == {"x"}  # the mixed first answer thrown away
    else:
        assert len(calls) == 1 and found == {"pta", "poly", "spin", "weave", "dye", "e1", "e2", "e3", "e4"}
