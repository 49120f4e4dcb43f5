"""The embedded store's node numbers: every relationship's ``source_num`` and ``target_num`` are the
``num`` of the node of that id (NULL while there is none), whatever loads, unloads, replaces and
late-arriving ends did before; projections coded from them are the ones coded from the ids; and a
store made before the numbers gets them on open, every answer as it was."""

from __future__ import annotations

import sqlite3

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.model import GraphData, Node, Relationship
from graph.store.base import Dataset, GraphStore
from graph.store.queries import Queries, queries
from graph.store.sqlite import SqliteStore

IDS = ["a", "b", "c", "d", "e", "f"]

# a node's number that is not the num of the node of that id: none may ever be found
MISNUMBERED = """
SELECT count(*) FROM rels r LEFT JOIN nodes s ON s.id = r.source LEFT JOIN nodes t ON t.id = r.target
WHERE r.source_num IS NOT s.num OR r.target_num IS NOT t.num
"""


def columns(store, labels, types):
    found = store.projection_columns(labels, types)
    return found.ids, found.labels, found.names, found.regions, found.source.tolist(), found.target.tolist(), found.weight.tolist()


def coded(links):
    return links.ids, links.source.tolist(), links.target.tolist(), links.keys


def assert_numbered(store: SqliteStore) -> None:
    assert store._db.execute(MISNUMBERED).fetchone()[0] == 0
    for labels, types in ((["Enterprise"], ["SUPPLIES"]), (["Enterprise", "Stage"], ["SUPPLIES", "OPERATES_IN"])):
        assert columns(store, labels, types) == columns(_Reference(store), labels, types)
    for ids in ([], ["a", "b", "c"], IDS):
        assert coded(queries(store).coded_links("SUPPLIES", ids)) == coded(Queries(store).coded_links("SUPPLIES", ids))
        ops, expected = queries(store).coded_operations(ids), Queries(store).coded_operations(ids)
        assert (ops.firm.tolist(), ops[1:]) == (expected.firm.tolist(), expected[1:])


class _Reference:
    """projection_columns as GraphStore reads it (node by node, relationship by relationship)."""

    def __init__(self, store):
        self.store = store

    def projection_columns(self, labels, types):
        return GraphStore.projection_columns(self.store, labels, types)


nodes = st.lists(st.tuples(st.sampled_from(IDS), st.sampled_from(["Enterprise", "Stage"])), max_size=5)
rels = st.lists(st.tuples(st.sampled_from(["SUPPLIES", "OPERATES_IN"]), st.sampled_from(IDS), st.sampled_from(IDS),
                          st.sampled_from(["", "k"])), max_size=8)
steps = st.lists(st.one_of(
    st.tuples(st.just("write"), nodes, rels),
    st.tuples(st.just("replace"), nodes, rels),
    st.tuples(st.just("unload"), st.integers(0, 5)),
), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_every_relationship_s_ends_carry_the_numbers_of_their_nodes_after_any_writes_and_unloads(tmp_path_factory, steps):
    # relationships may name ends that are no node (the store takes them past the loaders'
    # checks): their numbers wait for the node, and a later write of it gives them
    store = SqliteStore(tmp_path_factory.mktemp("numbers") / "s.db", create=True)
    loaded: list[str] = []
    try:
        for number, step in enumerate(steps):
            if step[0] == "unload":
                if loaded:
                    store.provenance.unload(loaded.pop(step[1] % len(loaded)))
            else:
                _, node_rows, rel_rows = step
                labels = {}
                for node_id, label in node_rows:
                    labels.setdefault(node_id, label)  # one label per id, as the store requires
                held = dict(store._db.execute("SELECT id, label FROM nodes"))
                data = GraphData(nodes=[Node(held.get(i, label), i, i.upper()) for i, label in labels.items()],
                                 relationships=[Relationship(*row) for row in dict.fromkeys(rel_rows)])
                dataset = Dataset(f"d{number}", "here", "load", "2026-01-01T00:00:00+00:00", "", len(data.nodes), len(data.relationships))
                store.write(data, replace=step[0] == "replace", dataset=dataset)
                loaded = [dataset.id] if step[0] == "replace" else [*loaded, dataset.id]
            assert_numbered(store)
    finally:
        store.close()


def test_a_relationship_written_before_its_end_gets_the_number_when_the_end_comes(tmp_path):
    with SqliteStore(tmp_path / "s.db", create=True) as store:
        store.write(GraphData(nodes=[Node("Enterprise", "a", "甲")], relationships=[Relationship("SUPPLIES", "a", "b", "x")]))
        assert store._db.execute("SELECT source_num, target_num FROM rels").fetchall() == [(1, None)]
        store.write(GraphData(nodes=[Node("Enterprise", "b", "乙")]))
        assert store._db.execute("SELECT source_num, target_num FROM rels").fetchall() == [(1, 2)]
        assert coded(queries(store).coded_links("SUPPLIES", ["a", "b"])) == (["a", "b"], [0], [1], ["x"])


# the schema of the stores made before the numbers (2026-12-07): nodes keyed by id, rels without numbers
OLD_SCHEMA = """
CREATE TABLE nodes (id TEXT PRIMARY KEY, label TEXT NOT NULL, name TEXT NOT NULL, props TEXT NOT NULL,
                    search TEXT NOT NULL, names TEXT NOT NULL DEFAULT '');
CREATE INDEX nodes_label ON nodes (label);
CREATE INDEX nodes_region ON nodes (json_extract(props, '$.region'));
CREATE TABLE rels (type TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, key TEXT NOT NULL, props TEXT NOT NULL,
                   PRIMARY KEY (type, source, target, key)) WITHOUT ROWID;
CREATE INDEX rels_source ON rels (source, type);
CREATE INDEX rels_target ON rels (target, type);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def test_a_store_made_before_the_numbers_gets_them_on_open_and_answers_as_before(tmp_path):
    # made by hand in the old schema, with a gap in the rowids (a node deleted) and a relationship
    # to no node, so the numbers are the old rowids, not positions
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO meta VALUES ('store_id', 'old'), ('version', '3')")
    for node_id, label, region in [("x", "Enterprise", "sz"), ("gone", "Enterprise", None), ("y", "Enterprise", "wj"), ("spin", "Stage", None)]:
        props = "{}" if region is None else f'{{"region":"{region}"}}'
        db.execute("INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?)", (node_id, label, node_id.upper(), props, node_id, f"\n{node_id}\n"))
    db.execute("DELETE FROM nodes WHERE id = 'gone'")
    db.executemany("INSERT INTO rels VALUES (?, ?, ?, ?, '{}')", [
        ("SUPPLIES", "y", "x", "spin"), ("SUPPLIES", "x", "y", "spin"), ("SUPPLIES", "x", "ghost", ""), ("OPERATES_IN", "x", "spin", "")])
    db.commit()
    rowids = dict(db.execute("SELECT id, rowid FROM nodes"))
    db.close()
    with SqliteStore(path) as store:
        assert dict(store._db.execute("SELECT id, num FROM nodes")) == rowids == {"x": 1, "y": 3, "spin": 4}
        assert store._db.execute("SELECT source, target, source_num, target_num FROM rels WHERE type = 'SUPPLIES' ORDER BY 1, 2").fetchall() == [
            ("x", "ghost", 1, None), ("x", "y", 1, 3), ("y", "x", 3, 1)]
        assert {row[1] for row in store._db.execute("PRAGMA index_list(nodes)")} >= {"nodes_label", "nodes_region"}
        assert [n.id for n in queries(store).named("x")] == ["x"]
        assert store.version().endswith(":3")
        assert_numbered(store)
        # and it takes loads as a new store does
        store.write(GraphData(nodes=[Node("Enterprise", "ghost", "幽灵", {"region": "sz"})]))
        assert_numbered(store)
        assert dict(store._db.execute("SELECT id, num FROM nodes"))["ghost"] == 5
    with SqliteStore(path) as store:  # opened again: nothing more to add
        assert_numbered(store)


def test_vacuum_keeps_the_numbers(tmp_path):
    # SQLite documents that VACUUM may renumber an implicit rowid; the numbers are the table's
    # INTEGER PRIMARY KEY, which it keeps
    path = tmp_path / "s.db"
    with SqliteStore(path, create=True) as store:
        store.write(GraphData(nodes=[Node("Enterprise", i, i.upper()) for i in IDS],
                              relationships=[Relationship("SUPPLIES", "e", "f", "x"), Relationship("SUPPLIES", "f", "e", "x")]))
        store._db.execute("DELETE FROM nodes WHERE id IN ('a', 'b', 'c')")
    db = sqlite3.connect(path)
    db.execute("VACUUM")
    db.close()
    with SqliteStore(path) as store:
        assert dict(store._db.execute("SELECT id, num FROM nodes")) == {"d": 4, "e": 5, "f": 6}
        assert_numbered(store)


def test_the_operations_of_a_few_enterprises_among_many_are_the_reference_s(tmp_path):
    # few ids (fewer than an eighth of the enterprises) are looked up by the source key, many in
    # one scan: both answer as the reference, an institute's and a missing end's included
    firms = [f"f{i:02d}" for i in range(40)]
    with SqliteStore(tmp_path / "s.db", create=True) as store:
        store.write(GraphData(
            nodes=[*(Node("Enterprise", f, f.upper()) for f in firms), Node("Institute", "lab", "实验室"),
                   *(Node("Stage", s, s.upper()) for s in ("spin", "weave"))],
            relationships=[*(Relationship("OPERATES_IN", f, s, "", {"capacity": i, "unit": "t"})
                             for i, f in enumerate(firms) for s in ("spin", "weave")[: 1 + i % 2]),
                           Relationship("OPERATES_IN", "lab", "spin"), Relationship("OPERATES_IN", "ghost", "spin")]))
        for ids in (["f03", "f01", "lab", "ghost", "nobody"], firms[:4], firms, firms + ["lab"]):
            ops, expected = queries(store).coded_operations(ids), Queries(store).coded_operations(ids)
            assert (ops.firm.tolist(), ops[1:]) == (expected.firm.tolist(), expected[1:])
        few = queries(store).coded_operations(["f03", "f01"])
        # f01 and f03 (odd) operate in both stages, with their number as capacity; by (stage, enterprise)
        assert (few.firm.tolist(), few.stage, few.capacity) == ([1, 0, 1, 0], ["spin", "spin", "weave", "weave"], [1.0, 3.0, 1.0, 3.0])


def test_numbers_this_read_did_not_see_and_missing_ends_have_no_position(tmp_path):
    # a read outside a snapshot may meet a node written after it took the highest number
    import numpy as np

    from graph.store.sqlite import _Positions

    with SqliteStore(tmp_path / "s.db", create=True) as store:
        store.write(GraphData(nodes=[Node("Enterprise", i, i.upper()) for i in ("a", "b", "c")]))
        positions = _Positions(store._db, [1, 3])  # a and c asked for; b is no position
        assert positions[np.array([1, 2, 3, 4, 9, -1])].tolist() == [0, -1, 1, -1, -1, -1]


def test_the_positions_of_ids_are_their_places_in_the_list_asked_for(tmp_path):
    import numpy as np

    from graph.store.sqlite import _Positions

    with SqliteStore(tmp_path / "s.db", create=True) as store:
        store.write(GraphData(nodes=[Node("Enterprise", "a", "A"), Node("Stage", "b", "B"), Node("Enterprise", "c", "C")]))
        numbers = dict(store._db.execute("SELECT id, num FROM nodes").fetchall())
        asked = np.array([numbers["a"], numbers["b"], numbers["c"]])
        # c first, the stage b second, a third, then an id the store does not hold
        assert _Positions.of_ids(store._db, ["c", "b", "a", "zz"])[asked].tolist() == [2, 1, 0]
        assert _Positions.of_ids(store._db, ["c", "b", "a"], "Enterprise")[asked].tolist() == [2, -1, 0]
        assert _Positions.of_ids(store._db, ["zz"])[asked].tolist() == [-1, -1, -1]
        assert _Positions.of_ids(store._db, [])[asked].tolist() == [-1, -1, -1]
