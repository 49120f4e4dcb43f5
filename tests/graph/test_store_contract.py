"""The store contract: every test taking ``store`` runs on the embedded SQLite store and on the
Neo4j store over a real Bolt connection (tests/bolt.py), and expects the same answers from both.

Expected answers are worked out by hand on the small graph below. Values are compared with
their types (1 and 1.0 differ), since ``==`` on dicts would let an int come back as a float.

Version, on both stores: it moves when a write changes the graph and on every set_properties,
and stays put when a write changes nothing (the Neo4j store compares each entity's properties
with what it holds before writing, as the embedded store's upsert does).
"""

from __future__ import annotations

import dataclasses
import inspect
import json

import pytest

from graph.errors import NotFound, StoreError
from graph.model import GraphData, Node, Relationship
from graph.neighbourhood import neighbourhood_data
from graph.store import reads
from graph.store.base import Operation
from graph.store.queries import queries
from loaders.pipeline import load_path
from tests.conftest import TEXTILE

# -- a small chain, every kind of node and relationship, every kind of property value ----------
N, R = Node, Relationship
NODES = [
    N("Stage", "px", "对二甲苯", {"tier": "upstream", "aliases": ["PX", "Paraxylene"]}),
    N("Stage", "pta", "精对苯二甲酸", {"tier": "upstream", "aliases": ["PTA"], "name_en": "Purified Terephthalic Acid"}),
    N("Stage", "poly", "聚合", {"tier": "midstream", "name_en": "Polymerisation", "description": "熔体直纺的上游"}),
    N("Stage", "spin", "纺丝", {"tier": "midstream", "aliases": ["Polyester filament", "涤纶长丝"], "name_en": "Spinning"}),
    N("Stage", "weave", "织造", {"tier": "midstream", "name_en": "Weaving", "aliases": []}),
    N("Stage", "jet", "喷水织造", {"tier": "midstream", "parent": "weave", "name_en": "Water-jet weaving"}),
    N("Region", "js", "江苏", {"level": "province"}),
    N("Region", "sz", "苏州", {"level": "city", "parent": "js"}),
    N("Region", "wj", "吴江", {"level": "district", "parent": "sz", "name_en": "Wujiang"}),
    N("Park", "p1", "盛泽纺织科技创新园", {"region": "wj", "kind": "innovation_park"}),
    N("Enterprise", "hengli", "恒力集团", {
        "region": "wj", "park": "p1", "revenue_cny": 150_000_000_000, "employees": 100_000,
        "founded": 1994, "tags": ["化纤", "PTA"], "name_en": "Hengli Group", "share": 0.25, "ratio": 2.0,
        "note": "unknown column: kept as text \\u4e2d \U0001f9f5",
    }),
    N("Enterprise", "shenghong", "盛虹", {"region": "wj", "revenue_cny": 1.5e11, "tags": ["illustrative"], "name_en": "Shenghong"}),
    N("Enterprise", "small", "小织厂", {"region": "sz", "employees": 12}),
    N("Institute", "dhu", "东华大学", {"kind": "university", "region": "js", "name_en": "Donghua University"}),
]
RELATIONSHIPS = [
    R("FEEDS", "px", "pta", "", {"weight": 1.0}),
    R("FEEDS", "pta", "poly", "", {"weight": 2.5}),
    R("FEEDS", "poly", "spin", "", {"weight": 1}),
    R("FEEDS", "spin", "weave"),
    R("PART_OF", "jet", "weave"),
    R("PART_OF", "sz", "js"),
    R("PART_OF", "wj", "sz"),
    R("LOCATED_IN", "p1", "wj"),
    R("LOCATED_IN", "hengli", "wj"),
    R("LOCATED_IN", "hengli", "p1"),
    R("LOCATED_IN", "shenghong", "wj"),
    R("LOCATED_IN", "small", "sz"),
    R("LOCATED_IN", "dhu", "js"),
    R("OPERATES_IN", "hengli", "pta", "", {"capacity": 660, "unit": "万吨"}),
    R("OPERATES_IN", "hengli", "poly", "", {"capacity": 12.5}),
    R("OPERATES_IN", "shenghong", "spin"),
    R("OPERATES_IN", "small", "weave"),
    # two parallel supplies, told apart by their key (the stage supplied)
    R("SUPPLIES", "hengli", "shenghong", "poly", {"stage": "poly", "volume": 10.5}),
    R("SUPPLIES", "hengli", "shenghong", "pta", {"stage": "pta", "volume": 3}),
    R("SUPPLIES", "shenghong", "small", "", {}),
    R("COLLABORATES_WITH", "shenghong", "dhu", "joint_lab", {"kind": "joint_lab", "year": 2019, "weight": 2.0}),
    R("COLLABORATES_WITH", "shenghong", "dhu", "project", {"kind": "project", "year": 2021}),
    R("RESEARCHES", "dhu", "spin"),
]
COUNTS = (
    {"Stage": 6, "Region": 3, "Park": 1, "Enterprise": 3, "Institute": 1},
    {"FEEDS": 4, "PART_OF": 3, "LOCATED_IN": 6, "OPERATES_IN": 4, "SUPPLIES": 3, "COLLABORATES_WITH": 2, "RESEARCHES": 1},
)


def chain() -> GraphData:
    return GraphData(nodes=list(NODES), relationships=list(RELATIONSHIPS))


def typed(value):
    """A value with its types spelled out, so 1 and 1.0 (and "1") compare unequal."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def canonical(data: GraphData) -> tuple[list, list]:
    """The graph as sorted rows of typed values: what two stores must agree on exactly."""
    nodes = sorted((n.id, n.label, n.name, typed(n.props)) for n in data.nodes)
    rels = sorted((*r.identity, typed(r.props)) for r in data.relationships)
    return nodes, rels


def ids(nodes) -> list[str]:
    return [node.id for node in nodes]


@pytest.fixture
def loaded(store):
    store.write(chain())
    return store


# -- writing and reading back ------------------------------------------------------------------
def test_a_write_reads_back_exactly_with_every_property_type(loaded):
    snapshot = reads.snapshot(loaded)
    assert canonical(snapshot) == canonical(chain())
    # snapshot order: nodes by id, relationships by (type, source, target, key)
    assert ids(snapshot.nodes) == sorted(n.id for n in NODES)
    assert [r.identity for r in snapshot.relationships] == sorted(r.identity for r in RELATIONSHIPS)
    hengli = reads.get_node(loaded, "hengli")
    assert hengli.props["tags"] == ["化纤", "PTA"]
    assert type(hengli.props["revenue_cny"]) is int and type(hengli.props["ratio"]) is float
    assert type(reads.get_node(loaded, "shenghong").props["revenue_cny"]) is float
    assert hengli.props["note"] == "unknown column: kept as text \\u4e2d \U0001f9f5"
    assert reads.get_node(loaded, "weave").props["aliases"] == []


def test_nodes_and_relationships_filter_and_order(loaded):
    assert ids(loaded.nodes(["Region"])) == ["js", "sz", "wj"]
    assert ids(loaded.nodes(["Park", "Institute"])) == ["dhu", "p1"]
    assert ids(loaded.nodes(ids=["wj", "px", "nope", "px"])) == ["px", "wj"]
    assert ids(loaded.nodes(["Stage"], ids=["wj", "px"])) == ["px"]
    assert list(loaded.nodes([])) == []
    assert [r.identity for r in loaded.relationships(["SUPPLIES"])] == [
        ("SUPPLIES", "hengli", "shenghong", "poly"),
        ("SUPPLIES", "hengli", "shenghong", "pta"),
        ("SUPPLIES", "shenghong", "small", ""),
    ]
    assert [r.type for r in loaded.relationships(["RESEARCHES", "PART_OF"])] == ["PART_OF"] * 3 + ["RESEARCHES"]
    assert list(loaded.relationships([])) == []
    assert queries(loaded).id_labels() == {n.id: n.label for n in NODES}


def test_counts_and_stats(loaded):
    nodes, rels = loaded.counts()
    assert (nodes, rels) == COUNTS
    stats = reads.stats(loaded).to_dict()
    assert stats["nodes"] == {"Stage": 6, "Enterprise": 3, "Institute": 1, "Park": 1, "Region": 3, "Chain": 0}
    assert stats["total_nodes"] == 14 and stats["total_relationships"] == 23
    assert list(stats["relationships"]) == ["FEEDS", "PART_OF", "OPERATES_IN", "SUPPLIES", "LOCATED_IN", "COLLABORATES_WITH", "RESEARCHES",
                                            "COOPERATES_WITH", "COMPETES_WITH", "INVESTS_IN", "CONTROLS", "JOINT_VENTURE", "ACQUIRED", "INCLUDES"]


def test_an_empty_store(store):
    assert store.counts() == ({}, {})
    assert reads.stats(store).to_dict()["total_nodes"] == 0
    assert reads.snapshot(store) == GraphData()
    assert store.search("x") == (0, [])


def test_a_relationship_property_named_key_is_kept_beside_the_relationships_own_key(store):
    # the key that tells parallel relationships apart and a data column that happens to be called
    # "key" are two things: both read back, and rewriting the column is a change like any other
    nodes = [Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B")]
    rels = [Relationship("SUPPLIES", "a", "b", "pta", {"key": "contract-7", "volume": 2}),
            Relationship("SUPPLIES", "a", "b", "", {"key": 3})]
    store.write(GraphData(nodes, rels))
    found = {r.key: r.props for r in store.relationships()}
    assert found == {"pta": {"key": "contract-7", "volume": 2}, "": {"key": 3}}
    assert {r.key: r.props for r in store.incident(["a"])} == found
    assert not store.write(GraphData(nodes, rels)).changed
    changed = [Relationship("SUPPLIES", "a", "b", "pta", {"key": "contract-8", "volume": 2}), rels[1]]
    assert store.write(GraphData(nodes, changed)).changed
    assert {r.key: r.props["key"] for r in store.relationships()} == {"pta": "contract-8", "": 3}


# -- idempotence, change, replace ----------------------------------------------------------------
def test_writing_the_same_data_again_changes_nothing(store):
    first = store.write(chain())
    version, snapshot = store.version(), reads.snapshot(store)
    second = store.write(chain())
    assert first.changed and not second.changed
    assert (second.nodes, second.relationships) == (14, 23)
    assert store.version() == version
    assert canonical(reads.snapshot(store)) == canonical(snapshot)


def test_a_changed_value_is_written_and_moves_the_version(loaded):
    version = loaded.version()
    summary = loaded.write(GraphData(
        nodes=[N("Enterprise", "small", "小织厂", {"region": "sz", "employees": 13})],
        relationships=[R("FEEDS", "spin", "weave", "", {"weight": 0.5})],
    ))
    assert summary.changed and loaded.version() != version
    assert reads.get_node(loaded, "small").props == {"region": "sz", "employees": 13}
    assert [r.props for r in loaded.incident(["weave"], ["FEEDS"])] == [{"weight": 0.5}]


def test_a_rewritten_node_loses_the_properties_it_no_longer_has(loaded):
    loaded.write(GraphData(nodes=[N("Enterprise", "hengli", "恒力", {"region": "wj"})]))
    assert reads.get_node(loaded, "hengli") == N("Enterprise", "hengli", "恒力", {"region": "wj"})
    assert reads.stats(loaded).to_dict()["total_relationships"] == 23  # its relationships stay


def test_an_int_rewritten_as_a_float_reads_back_as_a_float(loaded):
    version = loaded.version()
    summary = loaded.write(GraphData(nodes=[N("Enterprise", "small", "小织厂", {"region": "sz", "employees": 12.0})]))
    assert type(reads.get_node(loaded, "small").props["employees"]) is float
    assert summary.changed and loaded.version() != version  # 12.0 is not the 12 stored


def test_a_write_of_new_changed_and_unchanged_rows_writes_the_first_two(loaded):
    version, before = loaded.version(), canonical(reads.snapshot(loaded))
    summary = loaded.write(GraphData(
        nodes=[N("Enterprise", "small", "小织厂", {"region": "sz", "employees": 12}),  # as stored
               N("Stage", "weave", "织造", {"tier": "midstream", "name_en": "Weaving", "aliases": ["机织"]}),  # changed
               N("Enterprise", "new", "新企业", {"region": "sz"})],  # new
        relationships=[R("SUPPLIES", "shenghong", "small", "", {}),  # as stored
                       R("SUPPLIES", "hengli", "shenghong", "pta", {"stage": "pta", "volume": 4}),  # changed
                       R("SUPPLIES", "new", "small", "weave")],  # new
    ))
    assert summary.changed and loaded.version() != version
    after = canonical(reads.snapshot(loaded))
    assert len(after[0]) == len(before[0]) + 1 and len(after[1]) == len(before[1]) + 1
    assert reads.get_node(loaded, "weave").props["aliases"] == ["机织"]
    assert [r.props for r in loaded.incident(["new"])] == [{}]
    assert {r.key: r.props for r in loaded.incident(["hengli"], ["SUPPLIES"])}["pta"] == {"stage": "pta", "volume": 4}
    # and the same rows again change nothing
    version = loaded.version()
    assert not loaded.write(GraphData(nodes=[N("Enterprise", "new", "新企业", {"region": "sz"})],
                                      relationships=[R("SUPPLIES", "new", "small", "weave")])).changed
    assert loaded.version() == version


def test_a_write_adds_to_the_graph_and_may_point_at_nodes_already_stored(loaded):
    loaded.write(GraphData(
        nodes=[N("Enterprise", "new", "新企业", {"region": "wj"})],
        relationships=[R("LOCATED_IN", "new", "wj"), R("SUPPLIES", "hengli", "new", "", {"volume": 1})],
    ))
    nodes, rels = loaded.counts()
    assert nodes["Enterprise"] == 4 and rels["LOCATED_IN"] == 7 and rels["SUPPLIES"] == 4
    assert [r.identity for r in loaded.incident(["new"])] == [
        ("LOCATED_IN", "new", "wj", ""),
        ("SUPPLIES", "hengli", "new", ""),
    ]


def test_replace_swaps_the_graph(loaded):
    version = loaded.version()
    small = GraphData(
        nodes=[N("Stage", "a", "甲", {}), N("Stage", "b", "乙", {"tier": "downstream"})],
        relationships=[R("FEEDS", "a", "b", "", {"weight": 3})],
    )
    summary = loaded.write(small, replace=True)
    assert summary.replaced and summary.changed
    assert canonical(reads.snapshot(loaded)) == canonical(small)
    assert loaded.version() != version
    assert loaded.search("恒力") == (0, [])


def test_replace_with_nothing_empties_the_store(loaded):
    loaded.write(GraphData(), replace=True)
    assert loaded.counts() == ({}, {})


def test_progress_reports_the_rows_written(store):
    seen = []
    store.write(chain(), progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == len(NODES) + len(RELATIONSHIPS)


# -- all or nothing ----------------------------------------------------------------------------
class Boom(Exception):
    pass


@pytest.mark.parametrize("after", ["nodes", "relationships"])
def test_a_write_that_fails_midway_leaves_the_previous_graph(loaded, after):
    before, version = canonical(reads.snapshot(loaded)), loaded.version()
    bigger = GraphData(
        nodes=[*NODES[:3], N("Stage", "new", "新阶段", {}), N("Enterprise", "hengli", "改名", {})],
        relationships=[R("FEEDS", "new", "px"), R("SUPPLIES", "shenghong", "hengli")],
    )
    node_rows = len(bigger.nodes)

    def fail(done):
        # the progress callback runs between batches, inside the write's transaction
        if after == "nodes" or done > node_rows:
            raise Boom(done)

    with pytest.raises(Boom):
        loaded.write(bigger, progress=fail)
    assert canonical(reads.snapshot(loaded)) == before
    assert loaded.version() == version


def test_a_replace_that_fails_midway_leaves_the_previous_graph(loaded):
    before = canonical(reads.snapshot(loaded))

    def fail(done):
        raise Boom(done)

    with pytest.raises(Boom):
        loaded.write(GraphData(nodes=[N("Stage", "only", "唯一", {})]), replace=True, progress=fail)
    assert canonical(reads.snapshot(loaded)) == before


# -- set_properties --------------------------------------------------------------------------
def test_set_properties_merges_values_and_moves_the_version(loaded):
    version = loaded.version()
    loaded.set_properties({"hengli": {"pagerank": 0.125, "employees": 99}, "spin": {"betweenness": 0.5}})
    assert loaded.version() != version
    hengli = reads.get_node(loaded, "hengli")
    assert hengli.props["pagerank"] == 0.125 and hengli.props["employees"] == 99
    assert hengli.props["tags"] == ["化纤", "PTA"]  # untouched ones stay
    assert reads.get_node(loaded, "spin").props["betweenness"] == 0.5
    assert reads.stats(loaded).to_dict()["total_nodes"] == 14


def test_set_properties_on_an_unknown_node_changes_nothing(loaded):
    before, version = canonical(reads.snapshot(loaded)), loaded.version()
    with pytest.raises(StoreError, match="nope"):
        loaded.set_properties({"hengli": {"pagerank": 1.0}, "nope": {"pagerank": 2.0}})
    assert canonical(reads.snapshot(loaded)) == before
    assert loaded.version() == version


# -- lookup and search -------------------------------------------------------------------------
def test_get_node(loaded):
    assert reads.get_node(loaded, "dhu") == NODES[-1]
    assert reads.get_node(loaded, "dhu", label="Institute").name == "东华大学"
    with pytest.raises(NotFound, match="no node with id 'nope'"):
        reads.get_node(loaded, "nope")
    with pytest.raises(NotFound, match="no stage with id 'hengli'"):
        reads.get_node(loaded, "hengli", label="Stage")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("纺", ["spin", "p1"]),  # name starts with 纺 before a name that merely contains it
        ("涤纶", ["spin"]),  # by a Chinese alias
        ("pta", ["pta"]),  # exact id, and an alias
        ("POLY", ["poly", "spin"]),  # case-insensitive; exact id first, then the alias "Polyester filament"
        ("Weaving", ["weave", "jet"]),  # English names; the shorter name first
        ("donghua", ["dhu"]),
        ("  WuJiang ", ["wj"]),  # trimmed
        ("paraxylene", ["px"]),
        ("钢铁", []),
    ],
)
def test_search(loaded, text, expected):
    total, hits = loaded.search(text)
    assert ids(hits) == expected and total == len(expected)


def test_search_pages_and_label_filter(loaded):
    assert ids(loaded.search("盛")[1]) == ["shenghong", "p1"]
    assert loaded.search("weav", limit=1) == (2, [reads.get_node(loaded, "weave")])
    assert ids(loaded.search("weav", limit=1, offset=1)[1]) == ["jet"]
    assert loaded.search("weav", offset=5) == (2, [])
    total, hits = loaded.search("盛", label="Enterprise")
    assert (total, ids(hits)) == (1, ["shenghong"])
    assert loaded.search("纺丝", label="Region") == (0, [])


# -- plain aggregations pushed down to the store ---------------------------------------------------
def test_operations(loaded):
    # (stage, enterprise) order; capacity as a float, None when not stated
    assert queries(loaded).operations() == [
        Operation("hengli", "poly", "wj", 12.5, None),
        Operation("hengli", "pta", "wj", 660.0, "万吨"),
        Operation("shenghong", "spin", "wj", None, None),
        Operation("small", "weave", "sz", None, None),
    ]
    assert [(op.stage, op.enterprise) for op in queries(loaded).operations(regions=["wj"])] == [
        ("poly", "hengli"), ("pta", "hengli"), ("spin", "shenghong"),
    ]
    assert [op.enterprise for op in queries(loaded).operations(stages=["weave", "pta"])] == ["hengli", "small"]
    assert queries(loaded).operations(regions=["sz"], stages=["pta"]) == []
    assert queries(loaded).operations(regions=[]) == []


# -- neighbourhoods ----------------------------------------------------------------------------
def test_incident(loaded):
    assert [r.identity for r in loaded.incident(["shenghong"], ["SUPPLIES"])] == [
        ("SUPPLIES", "hengli", "shenghong", "poly"),
        ("SUPPLIES", "hengli", "shenghong", "pta"),
        ("SUPPLIES", "shenghong", "small", ""),
    ]
    # a relationship between two of the ids comes once
    assert [r.identity for r in loaded.incident(["sz", "wj", "js"], ["PART_OF"])] == [
        ("PART_OF", "sz", "js", ""),
        ("PART_OF", "wj", "sz", ""),
    ]
    assert {r.type for r in loaded.incident(["dhu"])} == {"LOCATED_IN", "COLLABORATES_WITH", "RESEARCHES"}
    assert loaded.incident(["nope"]) == []


def test_incident_keys_are_the_identities_of_the_incident_relationships(loaded):
    assert queries(loaded).incident_keys(["shenghong"], ["SUPPLIES"]) == {
        ("SUPPLIES", "hengli", "shenghong", "poly"),
        ("SUPPLIES", "hengli", "shenghong", "pta"),
        ("SUPPLIES", "shenghong", "small", ""),
    }
    assert queries(loaded).incident_keys(["dhu"]) == {
        ("LOCATED_IN", "dhu", "js", ""),
        ("COLLABORATES_WITH", "shenghong", "dhu", "joint_lab"),
        ("COLLABORATES_WITH", "shenghong", "dhu", "project"),
        ("RESEARCHES", "dhu", "spin", ""),
    }
    assert queries(loaded).incident_keys(["nope"]) == set()


def test_relationships_among_some_nodes(loaded):
    # hengli, shenghong, wj: the two parallel supplies and the two firms' links to wj, nothing
    # that leaves the three (hengli → p1, shenghong → spin, ...)
    found = queries(loaded).relationships_among(["hengli", "shenghong", "wj"])
    assert [r.identity for r in found] == [
        ("LOCATED_IN", "hengli", "wj", ""),
        ("LOCATED_IN", "shenghong", "wj", ""),
        ("SUPPLIES", "hengli", "shenghong", "poly"),
        ("SUPPLIES", "hengli", "shenghong", "pta"),
    ]
    assert found[2].props == {"stage": "poly", "volume": 10.5}
    assert queries(loaded).relationships_among(["hengli"]) == [] and queries(loaded).relationships_among([]) == []


def test_neighborhood_depth_1(loaded):
    found = neighbourhood_data(loaded, "spin", 1)
    # spin's own relationships: fed by poly, feeds weave, operated by shenghong, researched by dhu
    assert sorted(ids(found.nodes)) == ["dhu", "poly", "shenghong", "spin", "weave"]
    assert [r.identity for r in found.relationships] == [
        ("FEEDS", "poly", "spin", ""),
        ("FEEDS", "spin", "weave", ""),
        ("OPERATES_IN", "shenghong", "spin", ""),
        ("RESEARCHES", "dhu", "spin", ""),
    ]
    assert [n.label for n in found.nodes] == ["Enterprise", "Institute", "Stage", "Stage", "Stage"]


def test_neighborhood_depth_2(loaded):
    found = neighbourhood_data(loaded, "spin", 2)
    # ring 2: pta, hengli (via poly), jet, small (via weave), wj (via shenghong), js (via dhu)
    assert sorted(ids(found.nodes)) == sorted(
        ["spin", "poly", "weave", "shenghong", "dhu", "pta", "hengli", "jet", "small", "wj", "js"]
    )
    # ring 1's relationships plus those of the ring-1 nodes; not those joining two ring-2 nodes
    # (hengli→wj, hengli→pta), which were never reached
    assert [r.identity for r in found.relationships] == sorted([
        ("FEEDS", "poly", "spin", ""), ("FEEDS", "spin", "weave", ""),
        ("OPERATES_IN", "shenghong", "spin", ""), ("RESEARCHES", "dhu", "spin", ""),
        ("FEEDS", "pta", "poly", ""), ("OPERATES_IN", "hengli", "poly", ""),
        ("PART_OF", "jet", "weave", ""), ("OPERATES_IN", "small", "weave", ""),
        ("LOCATED_IN", "shenghong", "wj", ""), ("SUPPLIES", "hengli", "shenghong", "poly"),
        ("SUPPLIES", "hengli", "shenghong", "pta"), ("SUPPLIES", "shenghong", "small", ""),
        ("COLLABORATES_WITH", "shenghong", "dhu", "joint_lab"), ("COLLABORATES_WITH", "shenghong", "dhu", "project"),
        ("LOCATED_IN", "dhu", "js", ""),
    ])


def test_neighborhood_of_some_types_only(loaded):
    found = neighbourhood_data(loaded, "spin", 2, types=["FEEDS"])
    assert ids(found.nodes) == ["poly", "pta", "spin", "weave"]
    assert [r.identity for r in found.relationships] == [
        ("FEEDS", "poly", "spin", ""), ("FEEDS", "pta", "poly", ""), ("FEEDS", "spin", "weave", ""),
    ]
    with pytest.raises(NotFound):
        neighbourhood_data(loaded, "nope")


# -- hostile text is data ----------------------------------------------------------------------
HOSTILE = [
    "x'}) DETACH DELETE n //",
    "}) DETACH DELETE n //",
    'a"b',
    "`tick` MATCH (m) DETACH DELETE m",
    "\\u0027 OR 1=1 --",
    "$rows {label}",
    "名字'; DROP TABLE nodes; --",
    # the server orders strings by UTF-16 unit, Python and SQLite by code point: these two differ
    "\U0001f9f5线",
    "ｚ全角",
]


# property names that could end a backtick-quoted name in a query's text, if one were written there
HOSTILE_NAMES = ["`", "a`b", "x`}) DETACH DELETE n //", "a\\u0060b", "\\", "名 字"]


@pytest.mark.parametrize("into", ["an empty store", "a loaded store"])
def test_hostile_property_names_are_only_data(store, into):
    if into == "a loaded store":
        store.write(chain())
    props = {name: f"value of {name}" for name in HOSTILE_NAMES}
    # a batch where some rows lack some names, and one whose names are all plain
    odd = GraphData(
        nodes=[N("Enterprise", "odd1", "odd1", {**props, "region": "wj"}), N("Enterprise", "odd2", "odd2", {"a`b": 2}),
               N("Stage", "plain", "plain", {"step": 9})],
        relationships=[R("SUPPLIES", "odd1", "odd2", "k", props), R("SUPPLIES", "odd2", "odd1", "", {"volume": 3})],
    )
    store.write(odd)
    expected = odd if into == "an empty store" else GraphData(nodes=chain().nodes + odd.nodes,
                                                                relationships=chain().relationships + odd.relationships)
    assert canonical(reads.snapshot(store)) == canonical(expected)


def test_hostile_ids_names_and_search_text_are_only_data(loaded):
    hostile = GraphData(
        nodes=[N("Enterprise", text, text, {"region": "wj", "tags": [text]}) for text in HOSTILE],
        relationships=[R("SUPPLIES", text, "hengli", text, {"stage": text}) for text in HOSTILE],
    )
    loaded.write(hostile)
    nodes, rels = loaded.counts()
    assert nodes["Enterprise"] == 3 + len(HOSTILE) and rels["SUPPLIES"] == 3 + len(HOSTILE)
    for text in HOSTILE:
        assert reads.get_node(loaded, text).name == text
        total, hits = loaded.search(text)
        assert text in ids(hits)
        assert [r.key for r in loaded.incident([text])] == [text]
    expected = chain()
    expected.nodes += hostile.nodes
    expected.relationships += hostile.relationships
    assert canonical(reads.snapshot(loaded)) == canonical(expected)
    assert ids(reads.snapshot(loaded).nodes) == sorted(n.id for n in expected.nodes)


# -- the bundled dataset, loaded into both stores -------------------------------------------------
@pytest.mark.neo4j
def test_the_textile_dataset_gives_the_same_graph_in_both_stores(sqlite_store, neo4j_store):
    load_path(sqlite_store, TEXTILE)
    load_path(neo4j_store, TEXTILE)
    assert reads.stats(neo4j_store).to_dict() == reads.stats(sqlite_store).to_dict()
    assert reads.stats(sqlite_store).to_dict()["total_nodes"] > 100
    assert canonical(reads.snapshot(neo4j_store)) == canonical(reads.snapshot(sqlite_store))
    assert reads.snapshot(neo4j_store) == reads.snapshot(sqlite_store)
    # and again: nothing changes on either
    assert not load_path(neo4j_store, TEXTILE)[1].changed
    assert not load_path(sqlite_store, TEXTILE)[1].changed


# -- the interface, and the pushed-down queries against their reference --------------------------
INTERFACE = {"write", "set_properties", "version", "peek_version", "counts", "nodes", "relationships", "incident", "search", "close",
             "projection_columns", "reading"}


def public_methods(cls) -> set[str]:
    """Instance methods a caller may use (constructors such as classmethod from_env aside)."""
    return {name for name in dir(cls) if not name.startswith("_") and callable(getattr(cls, name))
            and not isinstance(inspect.getattr_static(cls, name), (classmethod, staticmethod))}


def test_the_store_interface_is_a_handful_of_primitives():
    from graph.store.base import GraphStore
    from graph.store.neo4j import Neo4jStore
    from graph.store.sqlite import SqliteStore

    assert public_methods(GraphStore) == INTERFACE and len(INTERFACE) <= 12
    assert public_methods(SqliteStore) == INTERFACE
    assert public_methods(Neo4jStore) == INTERFACE
    # provenance is an attribute of its own with three calls, not more primitives of the graph
    from graph.store.base import Provenance

    assert public_methods(Provenance) == {"datasets", "sources", "unload"}


# Data that makes pushed-down queries go wrong where they can: an enterprise with no region, a
# capacity that is text, a bool and a negative zero, parallel relationships, a dangling-looking
# region value, an id with quotes and a slash.
TRICKY = GraphData(
    nodes=[*NODES,
           N("Enterprise", "noregion", "无地区企业", {"revenue_cny": "很多"}),
           N("Enterprise", "o'brien/1", "奥布莱恩", {"region": "nowhere", "employees": True, "revenue_cny": -0.0}),
           N("Stage", "empty", "无人环节")],
    relationships=[*RELATIONSHIPS,
                   R("OPERATES_IN", "noregion", "spin", "", {"capacity": "很大"}),
                   R("OPERATES_IN", "o'brien/1", "spin", "", {"capacity": True, "unit": "吨"}),
                   R("OPERATES_IN", "o'brien/1", "weave", "", {"capacity": 0}),
                   R("OPERATES_IN", "o'brien/1", "weave", "second line", {"capacity": 7.5}),  # a tie: in key order
                   R("SUPPLIES", "o'brien/1", "small", "weave", {"stage": "weave"}),
                   R("SUPPLIES", "o'brien/1", "small", "spin", {"stage": "spin"})],
)

# tags as the kinds of value a file may give them that both stores hold (gaps reads a list or a text)
TAGGED = GraphData(nodes=[N("Enterprise", f"tagged_{i}", f"标签{i}", {"tags": tags}) for i, tags in enumerate(
    ["化纤; 纺织", "", 3, 2.5, True, None, [], ["a", "b; c"]])])


def with_types(value):
    """``value`` as comparable rows with every scalar's type beside it (dicts and sets in order)."""
    if dataclasses.is_dataclass(value):
        value = dataclasses.astuple(value)
    if isinstance(value, dict):
        return sorted((with_types(k), with_types(v)) for k, v in value.items())
    if isinstance(value, (set, frozenset)):
        return sorted(with_types(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [with_types(v) for v in value]
    if hasattr(value, "dtype"):  # a numpy array: its kind of number and its values
        return (value.dtype.kind, value.tolist())
    return (type(value).__name__, value)


def test_each_backend_s_pushed_down_queries_answer_as_the_reference(store):
    from graph.store.base import fold
    from graph.store.queries import Queries

    store.write(TRICKY)
    store.write(TAGGED)
    # an OPERATES_IN the contract refuses (an institute's), written past it: not an enterprise's operation
    store.write(GraphData(nodes=[N("Institute", "lab_x", "实验室")], relationships=[R("OPERATES_IN", "lab_x", "weave")]))
    own, reference = queries(store), Queries(store)
    assert type(own) is not Queries  # each backend pushes these down
    everyone = [n.id for n in TRICKY.nodes]
    firms = [n.id for n in TRICKY.nodes if n.label == "Enterprise"]
    stages = ["spin", "weave", "empty", "pta", "missing"]
    calls = [
        ("id_labels", (), {}),
        ("incident_keys", (["spin", "o'brien/1"],), {}),
        ("incident_keys", (["spin"], ["OPERATES_IN", "FEEDS"]), {}),
        ("incident_keys", ([],), {}),
        ("ring_counts", (["spin", "o'brien/1"],), {}),
        ("ring_counts", (everyone,), {}),
        ("ring_counts", (["hengli", "nope"],), {}),
        ("ring_counts", ([],), {}),
        ("relationships_among", (everyone,), {}),
        ("relationships_among", (["hengli", "shenghong", "o'brien/1", "small"],), {}),
        ("links_among", (everyone,), {}),
        ("links_among", (["hengli", "shenghong", "o'brien/1", "small"],), {}),
        ("operations", (), {}),
        ("operations", (), {"regions": ["wj", "nowhere"]}),
        ("operations", (), {"stages": stages}),
        ("operations", (), {"regions": ["sz"], "stages": ["weave"]}),
        ("operations", (), {"regions": []}),
        ("stage_firms", (stages,), {}),
        ("stage_firms", (stages,), {"exclude_regions": ["wj"]}),
        ("stage_firms", ([],), {}),
        ("links", (["SUPPLIES"],), {}),
        ("links", (["SUPPLIES", "FEEDS", "PART_OF"],), {}),
        ("links", ([],), {}),
        ("coded_operations", (firms,), {}),
        ("coded_operations", (firms[::-1] + ["lab_x", "nowhere"],), {}),  # an institute's and no node's id among them
        ("coded_operations", (firms[:2],), {"regions": ["wj", "nowhere"]}),
        ("coded_operations", ([],), {}),
        ("coded_links", ("SUPPLIES", firms), {}),
        ("coded_links", ("SUPPLIES", firms + ["nowhere"]), {}),  # an id no node has
        ("coded_links", ("SUPPLIES", []), {}),  # every end from the links
        ("coded_links", ("FEEDS", stages), {}),
        ("coded_links", ("RESEARCHES", firms), {}),  # none
        ("enterprise_tags", (), {}),
        ("enterprises_in", (stages,), {}),
        ("enterprises_in", (["weave"],), {}),
        ("enterprises_in", ([],), {}),
        ("enterprise_ids", (["wj", "nowhere"],), {}),
        ("enterprise_ids", ([],), {}),
        ("stage_rows", (), {}),
        ("stage_rows", (stages + ["hengli", "wj"],), {}),
        ("stage_rows", ([],), {}),
        ("stage_links", ("PART_OF",), {}),  # Region PART_OF Region is not a stage's link
        ("stage_links", ("FEEDS",), {}),
        ("stage_links", ("SUPPLIES",), {}),
        *(("named", (fold(text), labels), {}) for text in ("spin", "无人环节", "奥布莱恩", "O'BRIEN/1", "ｐｔａ", "nobody", "")
          for labels in (None, ["Stage"], ["Enterprise", "Region"])),
    ]
    for name, args, kwargs in calls:
        mine, expected = getattr(own, name)(*args, **kwargs), getattr(reference, name)(*args, **kwargs)
        if name == "relationships_among":
            mine, expected = canonical(GraphData(relationships=mine)), canonical(GraphData(relationships=expected))
        if name == "named":  # whole nodes, in id order
            mine, expected = [(n.id, n.label, n.name, typed(n.props)) for n in mine], [(n.id, n.label, n.name, typed(n.props)) for n in expected]
        # with the types: a capacity is a float or None on both, never an int on one and a float on the other
        assert with_types(mine) == with_types(expected), (name, args, kwargs)


@pytest.mark.parametrize("arrow", [True, False])
def test_the_embedded_store_reads_tags_as_the_reference_with_and_without_sqlite_s_arrow(sqlite_store, monkeypatch, arrow):
    """SQLite before 3.38 (Ubuntu 22.04's) has no ``->``: the tags come from each tagged node's whole
    JSON instead, and are the same."""
    from graph.store import sqlite
    from graph.store.queries import Queries

    if arrow and not sqlite._JSON_ARROW:
        pytest.fail(f"this SQLite ({sqlite.sqlite3.sqlite_version}) has no ->: the test cannot run the path that uses it")
    monkeypatch.setattr(sqlite, "_JSON_ARROW", arrow)
    sqlite_store.write(TRICKY)  # enterprises without tags among them
    sqlite_store.write(TAGGED)
    mine, expected = queries(sqlite_store).enterprise_tags(), Queries(sqlite_store).enterprise_tags()
    assert with_types(mine) == with_types(expected)
    # every enterprise whose JSON has tags (a null among them), by its own value
    written = {n.id: n.props["tags"] for n in [*TRICKY.nodes, *TAGGED.nodes] if n.label == "Enterprise" and "tags" in n.props}
    assert with_types(mine) == with_types(written)


def test_coded_links_of_keys_holding_the_separator_and_of_ends_outside_the_ids_are_the_reference(store):
    """SQLite joins each source's keys with the unit separator: a key that holds one is cut apart
    wrongly, which the count of pieces catches; an end outside the ids asked for, or not in the
    store at all (written past the contract), has no position there. Both are the reference's
    answer, worked out here by hand."""
    from graph.store.queries import Queries
    from graph.store.sqlite import SqliteStore

    store.write(GraphData(
        nodes=[N("Enterprise", "a\x1fb", "甲"), N("Enterprise", "c", "乙"), N("Enterprise", "d", "丙")],
        relationships=[R("SUPPLIES", "a\x1fb", "c", "x\x1fy"), R("SUPPLIES", "c", "d", "z"), R("SUPPLIES", "c", "a\x1fb", "")]))

    def plain(links):
        return links.ids, links.source.tolist(), links.target.tolist(), links.keys

    firms = ["a\x1fb", "c", "d"]
    assert plain(queries(store).coded_links("SUPPLIES", firms)) == plain(Queries(store).coded_links("SUPPLIES", firms))
    assert plain(queries(store).coded_links("SUPPLIES", firms)) == (firms, [0, 1, 1], [1, 0, 2], ["x\x1fy", "", "z"])
    if not isinstance(store, SqliteStore):
        return  # Neo4j refuses a relationship to no node; the embedded store takes one past the loaders' checks
    store.write(GraphData(relationships=[R("SUPPLIES", "d", "ghost", "z")]))
    assert plain(queries(store).coded_links("SUPPLIES", ["c", "d"])) == plain(Queries(store).coded_links("SUPPLIES", ["c", "d"]))
    assert plain(queries(store).coded_links("SUPPLIES", ["c", "d"])) == (
        ["a\x1fb", "c", "d", "ghost"], [0, 1, 1, 2], [1, 0, 2, 3], ["x\x1fy", "", "z", "z"])


# -- chains (graph/chains.py): a Chain node, by member stages (with INCLUDES) or by its ends ----
CHAINS = GraphData(
    nodes=[N("Chain", "front", "前段", {"stages": ["pta", "jet"], "description": "炼化到织造"}),
           N("Chain", "ends", "聚合到织造", {"source": "poly", "sink": "weave"})],
    relationships=[R("INCLUDES", "front", "pta"), R("INCLUDES", "front", "jet")],
)


def test_chains_read_back_and_are_read_as_scopes_alike(loaded):
    from graph.analysis.gaps import gaps
    from graph.chains import chain_detail, chain_listing

    loaded.write(CHAINS)
    assert canonical(GraphData([n for n in reads.snapshot(loaded).nodes if n.label == "Chain"],
                               list(loaded.relationships(["INCLUDES"])))) == canonical(CHAINS)
    # jet rolls up into weave; the ends poly → spin → weave hold three stages
    assert chain_listing(loaded) == [
        {"id": "ends", "name": "聚合到织造", "stages": 3, "defined_by": "poly → weave", "description": None},
        {"id": "front", "name": "前段", "stages": 2, "defined_by": "stages", "description": "炼化到织造"},
    ]
    detail = chain_detail(loaded, "聚合到织造")
    assert [s["id"] for s in detail["stages"]] == ["poly", "spin", "weave"]
    assert detail["links"] == [{"source": "poly", "target": "spin"}, {"source": "spin", "target": "weave"}]
    scope = gaps(loaded, "wj", chain="front").chain_scope
    assert (scope.kind, scope.chain, scope.stages, scope.of) == ("chain", "front", 2, 5)
    with pytest.raises(NotFound, match="unknown chain 'back'"):
        gaps(loaded, "wj", chain="back")


def test_a_node_is_found_by_the_names_it_has_now(loaded):
    from graph.store.base import fold
    from graph.store.queries import Queries

    def named(text):
        mine, reference = queries(loaded).named(fold(text)), Queries(loaded).named(fold(text))
        assert [(n.id, n.props) for n in mine] == [(n.id, n.props) for n in reference], text
        return [n.id for n in mine]

    assert named("Ｐａｒａｘｙｌｅｎｅ") == ["px"] and named("Polymerisation") == ["poly"]
    loaded.set_properties({"px": {"aliases": ["二甲苯"]}, "poly": {"name_en": "Polymerization"}})
    for text, found in (("paraxylene", []), ("二甲苯", ["px"]), ("Polymerisation", []), ("polymerization", ["poly"])):
        assert named(text) == found, text
    loaded.write(GraphData(nodes=[N("Stage", "px", "对二甲苯", {"aliases": ["PX甲苯"]})]))
    assert named("px甲苯") == ["px"] and named("二甲苯") == []
