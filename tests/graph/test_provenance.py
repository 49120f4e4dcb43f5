"""Provenance (#14 E): the datasets a store has loaded, which of them state each node, unload.

Expected answers by construction: the tiny chain (tests/api/conftest.py) is dataset ``tiny``; a
town on top (``town``) adds an enterprise t1 and a supply out of it, restates the chain's e4
with a new revenue (100 → 250) and restates e4's OPERATES_IN weave unchanged.

"Identical to never having loaded it", on both stores, is that every node and relationship with
its properties, the datasets listed and which of them state each node are as they were with
``tiny`` alone; on Neo4j also every stored property map, provenance included (``~sources``,
``~before``), and the counts. On SQLite it is row-identity: every row of every table
(nodes, rels, and the provenance tables node_sources, rel_sources, datasets) equals, row by
row in key order, the rows of a store that loaded ``tiny`` alone, but for the time each dataset
was loaded at and the table ``meta`` (the store's own id and version counter, which are the
point of a version: it moves on every change). File bytes cannot be compared: SQLite's free
pages and page order depend on the history of writes, not on the content.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest

from graph.errors import DatasetError, StoreError
from graph.model import GraphData, Node, Relationship
from graph.store.base import BEFORE_PROVENANCE, Dataset
from graph.store.neo4j import Neo4jStore
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path, load_report
from tests.api.conftest import write_dataset

TOWN = {
    "stages": "id,name\n", "stage_links": None, "regions": None, "institutes": None, "ties": None,
    "enterprises": "id,name,region,park,revenue_cny,employees\nt1,天门新织造,tm,,,\ne4,天门织造厂,tm,,250,10\n",
    "enterprise_stages": "enterprise,stage\nt1,weave\ne4,weave\n",
    "supplies": "supplier,customer,stage\nt1,e3,weave\n",
}  # stated by the town alone: t1 and its OPERATES_IN, LOCATED_IN and SUPPLIES; shared: e4, e4 → weave, e4 → tm
BARRIER_SECONDS = 120  # a bound on a broken test, never a timing assertion


@pytest.fixture
def folders(tmp_path):
    return write_dataset(tmp_path / "tiny"), write_dataset(tmp_path / "town", **TOWN)


def rows(path) -> dict[str, list[tuple]]:
    """Every row of every table but meta, in key order; datasets without their loaded_at."""
    db = sqlite3.connect(path)
    try:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'meta' ORDER BY name")]
        found = {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall() for table in tables}
        found["datasets"] = db.execute("SELECT id, seq, source, kind, hash, nodes, relationships FROM datasets ORDER BY seq").fetchall()
        return found
    finally:
        db.close()


def snapshot(store) -> dict:
    """What "identical" compares on either store (see the module's docstring)."""
    nodes = list(store.nodes())
    found = {
        "nodes": nodes, "relationships": list(store.relationships()), "counts": store.counts(),
        "sources": store.provenance.sources(node.id for node in nodes),
        "datasets": [(d.id, d.source, d.kind, d.content_hash, d.nodes, d.relationships) for d in store.provenance.datasets()],
    }
    if isinstance(store, Neo4jStore):  # the raw maps: provenance left behind would show here
        found["stored nodes"] = sorted(repr(sorted(r["p"].items())) for r in store._read(
            "MATCH (n) WHERE NOT n:_ChainxMeta AND NOT n:_ChainxDataset RETURN properties(n) AS p"))
        found["stored relationships"] = sorted(repr(sorted(r["p"].items())) for r in store._read("MATCH ()-[r]->() RETURN properties(r) AS p"))
    return found


def dangling(store) -> list[tuple]:
    ids = {node.id for node in store.nodes()}
    return [rel.identity for rel in store.relationships() if rel.source not in ids or rel.target not in ids]


# -- both stores: the listing, a reload, an unknown name -------------------------------------------
def test_every_load_is_listed_and_the_same_content_again_is_unchanged(store, folders):
    tiny, town = folders
    load_path(store, tiny)
    load_path(store, town)
    listed = store.provenance.datasets()
    assert [d.id for d in listed] == ["tiny", "town"]
    assert [(d.nodes, d.relationships, d.kind) for d in listed] == [
        # stages, regions, enterprises, the institute; FEEDS, PART_OF sz → js, LOCATED_IN (4 firms, u1), OPERATES_IN, SUPPLIES, ties
        (5 + 3 + 4 + 1, 4 + 1 + 5 + 5 + 3 + 2, "load"),
        # t1, e4; OPERATES_IN t1 and e4 → weave, LOCATED_IN t1 and e4 → tm, SUPPLIES t1 → e3
        (2, 5, "load"),
    ]
    assert [d.source for d in listed] == [str(tiny), str(town)]
    assert all(len(d.content_hash) == 64 for d in listed) and listed[0].content_hash != listed[1].content_hash
    version = store.version()
    again = load_report(store, tiny)
    assert again.unchanged and not again.summary.changed and store.version() == version
    assert [d.loaded_at for d in store.provenance.datasets()] == [d.loaded_at for d in listed]


def test_unloading_an_unknown_dataset_names_the_nearest_and_changes_nothing(store, folders):
    load_path(store, folders[0])
    version = store.version()
    with pytest.raises(StoreError, match=r"no dataset 'tinny' in the store: did you mean 'tiny'\?"):
        store.provenance.unload("tinny")
    with pytest.raises(StoreError, match=r"no dataset 'zzz' in the store: the store holds 'tiny'"):
        store.provenance.unload("zzz")
    assert store.version() == version and [d.id for d in store.provenance.datasets()] == ["tiny"]


def test_a_replace_forgets_the_datasets_it_replaces(store, folders):
    tiny, town = folders
    load_path(store, tiny)
    load_path(store, town)
    load_path(store, tiny, replace=True)
    assert [d.id for d in store.provenance.datasets()] == ["tiny"]


# -- both stores: sources and unload ---------------------------------------------------------------
def test_sources_name_every_dataset_that_states_a_node(store, folders):
    for folder in folders:
        load_path(store, folder)
    assert store.provenance.sources(["e4", "t1", "e1", "nobody"]) == {"e4": ["tiny", "town"], "t1": ["town"], "e1": ["tiny"]}


def test_unloading_the_town_leaves_the_graph_as_the_chain_alone_left_it(store, folders):
    tiny, town = folders
    load_path(store, tiny)
    alone = snapshot(store)
    version = store.version()
    load_path(store, town)
    assert next(store.nodes(ids=["e4"])).props["revenue_cny"] == 250  # the town changed it
    done = store.provenance.unload("town")
    # went: t1, its OPERATES_IN, LOCATED_IN and SUPPLIES; shared: e4, e4 → weave, e4 → tm
    assert (done.removed_nodes, done.removed_relationships, done.shared_nodes, done.shared_relationships) == (1, 3, 1, 2)
    assert done.reverted == 1 and done.kept == ()  # e4's revenue back to 100
    assert snapshot(store) == alone
    assert store.version() != version  # identical, yet a new version: caches keyed by it must not serve the town's answers


def test_a_value_changed_since_the_dataset_wrote_it_is_kept_and_said(store, folders):
    tiny, town = folders
    load_path(store, tiny)
    load_path(store, town)
    store.set_properties({"e4": {"revenue_cny": 300}})
    done = store.provenance.unload("town")
    assert done.reverted == 0 and done.kept == ("Enterprise e4: revenue_cny kept, changed since 'town' wrote it",)
    assert next(store.nodes(ids=["e4"])).props["revenue_cny"] == 300


def test_unloading_the_chain_under_a_town_keeps_what_the_town_needs(store, folders):
    tiny, town = folders
    load_path(store, tiny)
    load_path(store, town)
    done = store.provenance.unload("tiny")
    ids = {node.id for node in store.nodes()}
    # the town states t1 and e4; its relationships need weave, tm (t1's region) and e3 (its supply's customer)
    assert {"t1", "e4", "weave", "e3", "tm"} <= ids and "e1" not in ids and "pta" not in ids
    assert dangling(store) == []
    assert any(line.startswith("Stage weave: kept") for line in done.kept), done.kept
    assert any(line.startswith("Enterprise e4: kept as it is") for line in done.kept), done.kept


def test_a_property_named_like_the_provenance_is_only_data(store):
    data = GraphData(nodes=[Node("Stage", "s1", "纺纱", {"~sources": "mine", "~before": 1, "~x": [1]}),
                            Node("Stage", "s2", "织造", {})],
                     relationships=[Relationship("FEEDS", "s1", "s2", "", {"~sources": ["a"], "key": "k"})])
    store.write(data, dataset=Dataset("d", "here", "load", "2026-01-01T00:00:00+00:00", "", 2, 1))
    assert list(store.nodes(ids=["s1"]))[0].props == {"~sources": "mine", "~before": 1, "~x": [1]}
    assert list(store.relationships())[0].props == {"~sources": ["a"], "key": "k"}
    assert store.provenance.sources(["s1", "s2"]) == {"s1": ["d"], "s2": ["d"]}
    store.provenance.unload("d")
    assert store.counts() == ({}, {})


@pytest.mark.neo4j
def test_a_dataset_loaded_before_neo4j_recorded_sources_is_not_unloaded_blind(neo4j_store, folders):
    load_path(neo4j_store, folders[0])
    neo4j_store._write(lambda: neo4j_store._session().run("MATCH (n) REMOVE n.`~sources` WITH n MATCH (n)-[r]->() REMOVE r.`~sources`").consume())
    before = snapshot(neo4j_store)
    with pytest.raises(StoreError, match=r"dataset 'tiny' was loaded before chainx recorded on Neo4j .* Nothing was changed"):
        neo4j_store.provenance.unload("tiny")
    assert snapshot(neo4j_store) == before


@pytest.mark.neo4j
def test_a_neo4j_store_from_before_provenance_has_its_graph_attributed_on_the_next_write(neo4j_store, folders):
    tiny, town = folders
    load_path(neo4j_store, tiny)
    alone = snapshot(neo4j_store)
    # as a store written before provenance: no sources, no dataset list, no mark on the version node
    neo4j_store._write(lambda: neo4j_store._session().run(
        "MATCH (n) REMOVE n.`~sources`, n.provenance WITH n OPTIONAL MATCH (n)-[r]->() REMOVE r.`~sources`").consume())
    neo4j_store._write(lambda: neo4j_store._session().run("MATCH (d:_ChainxDataset) DELETE d").consume())
    load_path(neo4j_store, town)
    assert neo4j_store.provenance.sources(["e1", "e4", "t1"]) == {"e1": [BEFORE_PROVENANCE], "e4": [BEFORE_PROVENANCE, "town"], "t1": ["town"]}
    [before, _] = neo4j_store.provenance.datasets()
    nodes, rels = alone["counts"]
    assert (before.id, before.nodes, before.relationships) == (BEFORE_PROVENANCE, sum(nodes.values()), sum(rels.values()))
    done = neo4j_store.provenance.unload("town")
    assert (done.removed_nodes, done.shared_nodes, done.reverted) == (1, 1, 1)  # e4 stays, its revenue put back
    assert (list(neo4j_store.nodes()), list(neo4j_store.relationships())) == (alone["nodes"], alone["relationships"])
    neo4j_store.provenance.unload(BEFORE_PROVENANCE)
    assert neo4j_store.counts() == ({}, {}) and neo4j_store.provenance.datasets() == []


# -- the embedded store: rows, a store from before provenance, a load racing an unload --------------
def test_unloading_the_town_leaves_rows_identical_to_never_loading_it(tmp_path, folders):
    tiny, town = folders
    alone = tmp_path / "alone.db"
    with SqliteStore(alone, create=True) as store:
        load_path(store, tiny)
    both = tmp_path / "both.db"
    with SqliteStore(both, create=True) as store:
        load_path(store, tiny)
        load_path(store, town)
        assert next(store.nodes(ids=["e4"])).props["revenue_cny"] == 250  # the town changed it
        done = store.provenance.unload("town")
        assert (done.removed_nodes, done.removed_relationships, done.shared_nodes, done.shared_relationships) == (1, 3, 1, 2)
        assert done.reverted == 1 and done.kept == ()  # e4's revenue back to 100
        assert [d.id for d in store.provenance.datasets()] == ["tiny"]
    assert rows(both) == rows(alone)


def test_a_store_made_before_provenance_opens_with_its_graph_attributed(tmp_path, folders):
    path = tmp_path / "old.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, folders[0])
        nodes, rels = store.counts()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE datasets; DROP TABLE node_sources; DROP TABLE rel_sources;")
    db.close()
    with SqliteStore(path) as store:
        [before] = store.provenance.datasets()
        assert (before.id, before.nodes, before.relationships) == (BEFORE_PROVENANCE, sum(nodes.values()), sum(rels.values()))
        assert store.provenance.sources(["e1"]) == {"e1": [BEFORE_PROVENANCE]}
        store.provenance.unload(BEFORE_PROVENANCE)
        assert store.counts() == ({}, {}) and store.provenance.datasets() == []


def test_a_load_validated_before_an_unload_is_validated_again(sqlite_store, folders):
    tiny, town = folders
    load_path(sqlite_store, tiny)
    validated, release = threading.Event(), threading.Event()
    calls = []

    def hold(data) -> None:
        calls.append(1)
        if len(calls) == 1:
            validated.set()
            assert release.wait(BARRIER_SECONDS)

    outcome: dict = {}

    def run() -> None:
        with SqliteStore(sqlite_store.path) as second:
            try:
                outcome["value"] = load_path(second, town, on_validated=hold)
            except BaseException as error:
                outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    assert validated.wait(BARRIER_SECONDS)
    sqlite_store.provenance.unload("tiny")  # the chain the town was checked against goes
    release.set()
    thread.join()
    error = outcome.get("error")
    assert isinstance(error, DatasetError), outcome
    assert "unknown region 'tm'" in str(error) and "unknown stage 'weave'" in str(error)
    assert sqlite_store.counts() == ({}, {}) and sqlite_store.provenance.datasets() == []
    assert len(calls) == 1  # validated again, refused before the hook: nothing was about to be written
