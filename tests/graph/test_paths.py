"""Explained shortest paths and neighbourhoods."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.analysis.paths import explained_path, neighbors
from graph.errors import InvalidParameter, NotFound
from graph.store import reads
from graph.store.sqlite import SqliteStore

from .small_graphs import E, I, R, S, rel, tie, write


def firms_and_university(store):
    return write(
        store,
        [E("hengli", "恒力集团"), E("shenghong", "盛虹集团"), I("dhu", "东华大学"), E("loner", "孤岛公司")],
        [tie("hengli", "dhu", "project"), tie("shenghong", "dhu", "joint_lab")],
    )


def test_a_path_through_a_university_reads_with_real_directions(sqlite_store):
    path = explained_path(firms_and_university(sqlite_store), "hengli", "shenghong").to_dict()
    assert path["text"] == "恒力集团 —COLLABORATES_WITH→ 东华大学 ←COLLABORATES_WITH— 盛虹集团"
    assert path["length"] == 2
    assert path["nodes"] == [{"id": "hengli", "name": "恒力集团", "kind": "Enterprise"},
                             {"id": "dhu", "name": "东华大学", "kind": "Institute"},
                             {"id": "shenghong", "name": "盛虹集团", "kind": "Enterprise"}]
    assert path["steps"] == [
        {"source": "hengli", "type": "COLLABORATES_WITH", "target": "dhu", "forward": True},
        {"source": "shenghong", "type": "COLLABORATES_WITH", "target": "dhu", "forward": False},
    ]
    # the other way round every arrow turns
    back = explained_path(sqlite_store, "shenghong", "hengli").to_dict()
    assert back["text"] == "盛虹集团 —COLLABORATES_WITH→ 东华大学 ←COLLABORATES_WITH— 恒力集团"


def test_of_several_shortest_paths_the_smallest_ids_win(sqlite_store):
    # a to b through x or through m: both two steps; written in the "wrong" order on purpose
    write(sqlite_store, [E("a"), E("b"), E("x"), E("m")],
          [rel("SUPPLIES", "x", "b"), rel("SUPPLIES", "a", "x"), rel("SUPPLIES", "m", "b"), rel("SUPPLIES", "a", "m")])
    assert [n["id"] for n in explained_path(sqlite_store, "a", "b").to_dict()["nodes"]] == ["a", "m", "b"]


def test_parallel_relationships_show_the_one_along_the_path(sqlite_store):
    write(sqlite_store, [E("a"), E("b")], [rel("SUPPLIES", "b", "a", "pta"), rel("SUPPLIES", "a", "b", "meg")])
    assert explained_path(sqlite_store, "a", "b").to_dict()["steps"] == [{"source": "a", "type": "SUPPLIES", "target": "b", "forward": True}]
    assert explained_path(sqlite_store, "b", "a").to_dict()["steps"] == [{"source": "b", "type": "SUPPLIES", "target": "a", "forward": True}]


def test_a_path_across_kinds(sqlite_store):
    write(sqlite_store, [S("spin", "纺丝"), S("weave", "织造"), E("e", "织造厂"), R("shengze", "盛泽镇")],
          [rel("FEEDS", "spin", "weave"), rel("OPERATES_IN", "e", "weave"), rel("LOCATED_IN", "e", "shengze")])
    assert explained_path(sqlite_store, "spin", "shengze").to_dict()["text"] == "纺丝 —FEEDS→ 织造 ←OPERATES_IN— 织造厂 —LOCATED_IN→ 盛泽镇"


def generic_input_shortcut(store):
    """oil → pta → fibre → cloth along FEEDS (3 steps); 能源 feeds oil and 化学品 feeds cloth,
    and both feed 产品: undirected, oil ← 能源 → 产品 ← 化学品 → cloth is 4 steps, and a firm in
    both oil and cloth makes it 2."""
    return write(store, [S("oil", "原油"), S("pta", "PTA"), S("fibre", "涤纶"), S("cloth", "面料"), S("energy", "能源"),
                         S("chem", "化学品"), S("product", "产品"), E("both", "两业公司")],
                 [rel("FEEDS", "oil", "pta"), rel("FEEDS", "pta", "fibre"), rel("FEEDS", "fibre", "cloth"), rel("FEEDS", "energy", "oil"),
                  rel("FEEDS", "chem", "cloth"), rel("FEEDS", "energy", "product"), rel("FEEDS", "chem", "product"),
                  rel("OPERATES_IN", "both", "oil"), rel("OPERATES_IN", "both", "cloth")])


def test_between_two_stages_the_path_follows_the_chain_downstream_or_upstream(sqlite_store):
    generic_input_shortcut(sqlite_store)
    down = explained_path(sqlite_store, "原油", "面料")
    assert (down.via, down.directed, down.text) == ("chain", True, "原油 —FEEDS→ PTA —FEEDS→ 涤纶 —FEEDS→ 面料")
    up = explained_path(sqlite_store, "面料", "原油")
    assert (up.via, up.text) == ("chain", "面料 ←FEEDS— 涤纶 ←FEEDS— PTA ←FEEDS— 原油")
    # asked for every relationship, the firm in both stages is the shortest way
    assert explained_path(sqlite_store, "oil", "cloth", via="all").text == "原油 ←OPERATES_IN— 两业公司 —OPERATES_IN→ 面料"
    # stages FEEDS does not join either way (siblings of a shared input): every relationship
    sideways = explained_path(sqlite_store, "oil", "product")
    assert (sideways.via, sideways.directed, sideways.text) == ("all", False, "原油 ←FEEDS— 能源 —FEEDS→ 产品")
    # directed asks for the arrows' way only: none joins cloth to oil that way
    with pytest.raises(NotFound):
        explained_path(sqlite_store, "cloth", "oil", via="chain", directed=True)


def test_no_path_and_unknown_ids_are_not_found(sqlite_store):
    firms_and_university(sqlite_store)
    with pytest.raises(NotFound, match=r"no path between 恒力集团 \(hengli\) and 孤岛公司 \(loner\)"):
        explained_path(sqlite_store, "hengli", "loner")
    with pytest.raises(NotFound, match="no node with id or name 'ghost'"):
        explained_path(sqlite_store, "hengli", "ghost")


def test_a_node_to_itself_is_a_path_of_length_zero(sqlite_store):
    path = explained_path(firms_and_university(sqlite_store), "dhu", "dhu").to_dict()
    assert path["length"] == 0 and path["steps"] == [] and path["text"] == "东华大学"


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=2, max_value=9).flatmap(
        lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20))
    )
)
def test_paths_are_the_lexicographically_smallest_shortest_paths(graph):
    n, edges = graph
    store = SqliteStore(":memory:", create=True)
    write(store, [E(f"n{i}") for i in range(n)], [rel("SUPPLIES", f"n{a}", f"n{b}") for a, b in edges if a != b])
    G = nx.Graph()
    G.add_nodes_from(f"n{i}" for i in range(n))
    G.add_edges_from((f"n{a}", f"n{b}") for a, b in edges if a != b)
    for target in (f"n{i}" for i in range(1, n)):
        if not nx.has_path(G, "n0", target):
            with pytest.raises(NotFound, match="no path"):
                explained_path(store, "n0", target).to_dict()
            continue
        path = explained_path(store, "n0", target).to_dict()
        ids = [node["id"] for node in path["nodes"]]
        assert ids == min(nx.all_shortest_paths(G, "n0", target))
        for step, (a, b) in zip(path["steps"], zip(ids, ids[1:])):
            assert (step["source"], step["target"]) == ((a, b) if step["forward"] else (b, a))
            assert (step["source"], step["target"]) in {(f"n{x}", f"n{y}") for x, y in edges}  # a real relationship
    store.close()


# -- neighbours -----------------------------------------------------------------------------


def chain_around(store):
    """a —SUPPLIES→ b —OPERATES_IN→ weave ←FEEDS— spin; dhu ties with a; c far away."""
    return write(
        store,
        [E("a"), E("b"), E("c"), S("weave"), S("spin"), I("dhu")],
        [rel("SUPPLIES", "a", "b"), rel("OPERATES_IN", "b", "weave"), rel("FEEDS", "spin", "weave"), tie("a", "dhu"),
         rel("OPERATES_IN", "c", "spin")],
    )


def test_neighbors_by_distance(sqlite_store):
    chain_around(sqlite_store)
    one = neighbors(sqlite_store, "a").to_dict()
    assert one["node"] == {"id": "a", "name": "A", "kind": "Enterprise"}
    assert [(n["id"], n["distance"]) for n in one["nodes"]] == [("b", 1), ("dhu", 1)]
    assert {(r["source"], r["type"], r["target"]) for r in one["relationships"]} == {
        ("a", "SUPPLIES", "b"), ("a", "COLLABORATES_WITH", "dhu")}
    three = neighbors(sqlite_store, "a", depth=3).to_dict()
    assert [(n["id"], n["distance"]) for n in three["nodes"]] == [("b", 1), ("dhu", 1), ("weave", 2), ("spin", 3)]
    assert three["total"] == 4 and three["truncated"] is False


def test_neighbors_kind_filter_and_limit(sqlite_store):
    chain_around(sqlite_store)
    stages = neighbors(sqlite_store, "a", depth=3, kind="Stage").to_dict()
    assert [n["id"] for n in stages["nodes"]] == ["weave", "spin"]
    # relationships only among the listed nodes and the centre
    assert [(r["source"], r["target"]) for r in stages["relationships"]] == [("spin", "weave")]
    limited = neighbors(sqlite_store, "a", depth=3, limit=2).to_dict()
    assert [n["id"] for n in limited["nodes"]] == ["b", "dhu"] and limited["total"] == 4 and limited["truncated"]


def test_neighbors_ask_the_store_not_the_whole_graph(sqlite_store, monkeypatch):
    chain_around(sqlite_store)

    def whole_graph(*args, **kwargs):
        raise AssertionError("neighbors must not read the whole graph")

    monkeypatch.setattr(sqlite_store, "relationships", whole_graph)
    monkeypatch.setattr(reads, "snapshot", whole_graph)
    assert [n["id"] for n in neighbors(sqlite_store, "a", depth=2).to_dict()["nodes"]] == ["b", "dhu", "weave"]


@pytest.mark.parametrize("kwargs, parameter", [({"depth": 0}, "depth"), ({"depth": 4}, "depth"), ({"kind": "Planet"}, "kind"),
                                               ({"limit": 0}, "limit")])
def test_bad_neighbor_parameters(sqlite_store, kwargs, parameter):
    chain_around(sqlite_store)
    with pytest.raises(InvalidParameter) as raised:
        neighbors(sqlite_store, "a", **kwargs).to_dict()
    assert raised.value.parameter == parameter


def test_neighbors_of_an_unknown_node(sqlite_store):
    chain_around(sqlite_store)
    with pytest.raises(NotFound, match="no node with id or name 'ghost'"):
        neighbors(sqlite_store, "ghost")


# -- both stores ----------------------------------------------------------------------------


def test_paths_and_neighbors_on_both_stores(store):
    firms_and_university(store)
    assert explained_path(store, "hengli", "shenghong").to_dict()["text"] == "恒力集团 —COLLABORATES_WITH→ 东华大学 ←COLLABORATES_WITH— 盛虹集团"
    with pytest.raises(NotFound, match="no path"):
        explained_path(store, "hengli", "loner").to_dict()
    around = neighbors(store, "hengli", depth=2).to_dict()
    assert [(n["id"], n["distance"]) for n in around["nodes"]] == [("dhu", 1), ("shenghong", 2)]
    assert [(r["source"], r["target"]) for r in around["relationships"]] == [("hengli", "dhu"), ("shenghong", "dhu")]


def test_paths_on_the_textile_dataset(sqlite_store):
    from loaders.pipeline import load_path
    from tests.conftest import TEXTILE

    data, _ = load_path(sqlite_store, TEXTILE)
    regions = {n.id for n in data.nodes if n.label == "Region"}
    # by default a path never passes through a region; through_regions=True walks every node
    for through, kept in ((False, lambda n: n not in regions), (True, lambda n: True)):
        G = nx.Graph()
        G.add_nodes_from(n.id for n in data.nodes if kept(n.id))
        G.add_edges_from((r.source, r.target) for r in data.relationships if kept(r.source) and kept(r.target))
        firms = sorted(n.id for n in data.nodes if n.label == "Enterprise")
        for source, target in zip(firms, reversed(firms)):
            if not nx.has_path(G, source, target):
                with pytest.raises(NotFound, match="no path"):
                    explained_path(sqlite_store, source, target, through_regions=through)
                continue
            path = explained_path(sqlite_store, source, target, through_regions=through).to_dict()
            assert path["length"] == nx.shortest_path_length(G, source, target)
            assert [n["id"] for n in path["nodes"]] == min(nx.all_shortest_paths(G, source, target))
            assert through or not {n["id"] for n in path["nodes"]} & regions


def test_a_path_follows_what_it_is_asked_to_walk_and_takes_names(sqlite_store):
    # oil → pta → fibre (FEEDS); two firms in one region; the region would be a shortcut
    from graph.model import GraphData, Node, Relationship

    sqlite_store.write(GraphData(
        nodes=[Node("Stage", "p:oil", "原油"), Node("Stage", "p:pta", "PTA", {"aliases": ["精对苯二甲酸"]}), Node("Stage", "p:fibre", "涤纶"),
               Node("Region", "cn", "中国"), Node("Enterprise", "a", "甲"), Node("Enterprise", "b", "乙")],
        relationships=[Relationship("FEEDS", "p:oil", "p:pta"), Relationship("FEEDS", "p:pta", "p:fibre"),
                       Relationship("LOCATED_IN", "a", "cn"), Relationship("LOCATED_IN", "b", "cn"),
                       Relationship("OPERATES_IN", "a", "p:oil"), Relationship("SUPPLIES", "b", "a", "p:pta")]))
    # names and aliases (width-folded) stand for ids
    path = explained_path(sqlite_store, "原油", "涤纶", via="chain", directed=True).to_dict()
    assert [n["id"] for n in path["nodes"]] == ["p:oil", "p:pta", "p:fibre"]
    assert explained_path(sqlite_store, "ＰＴＡ", "p:fibre").length == 1
    # against the FEEDS direction there is no chain path
    with pytest.raises(NotFound, match="no path"):
        explained_path(sqlite_store, "涤纶", "原油", via="chain", directed=True)
    # a —LOCATED_IN→ cn ←LOCATED_IN— b is 2 steps, but not a route: the supply is taken instead
    assert [n["id"] for n in explained_path(sqlite_store, "a", "b").to_dict()["nodes"]] == ["a", "b"]
    assert explained_path(sqlite_store, "甲", "乙", via="supply").steps[0].type == "SUPPLIES"
    with pytest.raises(InvalidParameter, match="via=supply walks Enterprise only"):
        explained_path(sqlite_store, "原油", "乙", via="supply")
    with pytest.raises(InvalidParameter, match="directed"):
        explained_path(sqlite_store, "a", "b", directed=True)


def test_a_name_of_several_nodes_lists_them_and_an_unknown_one_suggests(sqlite_store):
    from graph.model import GraphData, Node

    sqlite_store.write(GraphData(nodes=[Node("Stage", "s1", "印染"), Node("Enterprise", "e1", "印染"), Node("Stage", "s2", "织造")]))
    with pytest.raises(InvalidParameter, match=r"'印染' names 2 nodes: 印染 \(Enterprise e1\); 印染 \(Stage s1\); give the id"):
        neighbors(sqlite_store, "印染")
    with pytest.raises(NotFound, match=r"did you mean 织造 \(s2\)"):
        neighbors(sqlite_store, "织")
