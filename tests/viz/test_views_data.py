"""The view payloads of graph/views_data.py: what each picture shows, checked against answers
worked out here (by hand on tiny graphs, by NetworkX or the analysis reports on the textile chain)."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import views_data
from graph.analysis.bottlenecks import bottlenecks
from graph.analysis.gaps import gaps
from graph.analysis.ties import ties_report
from graph.errors import InvalidParameter, NotFound
from graph.model import GraphData, Node, Relationship
from graph.store.sqlite import SqliteStore

from .expected import bottleneck_counts, chain_counts, ego_counts, region_enterprises, related_space, ties_counts


def star(store, leaves: int, *, second_ring: int = 0) -> None:
    """hub —SUPPLIES→ l0000 … ; with ``second_ring``, l0000 —SUPPLIES→ m0000 … as well."""
    nodes = [Node("Enterprise", "hub", "Hub")] + [Node("Enterprise", f"l{i:04d}", f"L{i}") for i in range(leaves)]
    rels = [Relationship("SUPPLIES", "hub", f"l{i:04d}") for i in range(leaves)]
    nodes += [Node("Enterprise", f"m{i:04d}", f"M{i}") for i in range(second_ring)]
    rels += [Relationship("SUPPLIES", "l0000", f"m{i:04d}") for i in range(second_ring)]
    store.write(GraphData(nodes, rels))


# -- ego ---------------------------------------------------------------------------------------
def test_ego_distances_and_edges_match_networkx(textile_store):
    view = views_data.ego_view(textile_store, "e_hengli_group", depth=2)
    graph = nx.MultiGraph()
    for rel in textile_store.relationships():
        graph.add_edge(rel.source, rel.target, key=rel.identity)
    assert {n["id"]: n["distance"] for n in view["nodes"]} == nx.single_source_shortest_path_length(graph, "e_hengli_group", cutoff=2)
    assert [len(view["nodes"]), len(view["relationships"])] == ego_counts(textile_store, "e_hengli_group", 2)
    assert view["omitted"] is None and view["shown_depth"] == 2


def test_ego_includes_links_among_the_outer_ring(sqlite_store):
    # a → b, a → c, b → c: at depth 1 from a, the link b → c joins two nodes of the outer ring
    sqlite_store.write(GraphData(
        [Node("Enterprise", x, x.upper()) for x in "abc"],
        [Relationship("SUPPLIES", "a", "b"), Relationship("SUPPLIES", "a", "c"), Relationship("SUPPLIES", "b", "c")],
    ))
    view = views_data.ego_view(sqlite_store, "a")
    assert len(view["relationships"]) == 3


def test_ego_above_the_limit_keeps_the_nearest_best_connected_nodes(sqlite_store):
    star(sqlite_store, 30)
    view = views_data.ego_view(sqlite_store, "hub", limit=10)
    # the hub and the first 9 leaves by id (all leaves are equally connected)
    assert [n["id"] for n in view["nodes"]] == ["hub"] + [f"l{i:04d}" for i in range(9)]
    assert len(view["relationships"]) == 9
    assert view["omitted"]["nodes"] == 21 and view["omitted"]["relationships"] == 21


def test_ego_above_the_limit_reduces_the_depth_first(sqlite_store):
    star(sqlite_store, 5, second_ring=20)
    view = views_data.ego_view(sqlite_store, "hub", depth=2, limit=10)
    assert view["shown_depth"] == 1
    assert {n["id"] for n in view["nodes"]} == {"hub"} | {f"l{i:04d}" for i in range(5)}
    assert view["omitted"]["nodes"] == 20
    assert "depth reduced from 2 to 1" in view["omitted"]["reason"]


def expected_ego(graph: nx.MultiGraph, centre: str, depth: int, limit: int) -> dict:
    """What the ego view shows, worked out on a NetworkX multigraph keyed by identity: the
    neighbourhood is every relationship with an end within depth − 1 (as the store's search
    reaches it), nodes ranked by distance, then distinct neighbours in it, then id; the depth
    reduced, then the nearest ring cut, to stay within ``limit``."""
    distance = nx.single_source_shortest_path_length(graph, centre, cutoff=depth)
    inner = [(u, v, k) for u, v, k in graph.edges(keys=True) if min(distance.get(u, depth), distance.get(v, depth)) < depth]
    neighbours = {n: set() for n in distance}
    for u, v, _ in inner:
        neighbours[u].add(v)
        neighbours[v].add(u)
    shown = depth
    while shown > 1 and sum(1 for d in distance.values() if d <= shown) > limit:
        shown -= 1
    ring = sorted((n for n, d in distance.items() if d <= shown), key=lambda n: (distance[n], -len(neighbours[n]), n))
    kept = set(ring[:limit])
    among = {k for u, v, k in graph.edges(keys=True) if u in kept and v in kept}
    outer = {n for n in kept if distance[n] == depth}
    known = {k for _, _, k in inner} | {k for u, v, k in graph.edges(keys=True) if (u in outer or v in outer) and u in distance and v in distance}
    return {"nodes": {n: distance[n] for n in kept}, "relationships": among, "shown_depth": shown,
            "omitted": None if len(kept) == len(distance) else (len(distance) - len(kept), len(known) - len(among))}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.integers(2, 16).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(["", "x"])), max_size=45, unique=True),
    st.integers(1, 3), st.integers(1, 12))))
def test_ego_equals_its_networkx_reckoning_on_random_graphs(tmp_path_factory, case):
    n, links, depth, limit = case
    store = SqliteStore(tmp_path_factory.mktemp("ego") / "g.db", create=True)
    rels = [Relationship("SUPPLIES", f"n{a:02d}", f"n{b:02d}", key) for a, b, key in links]
    store.write(GraphData([Node("Enterprise", f"n{i:02d}", f"N{i}") for i in range(n)], rels))
    graph = nx.MultiGraph()
    graph.add_nodes_from(f"n{i:02d}" for i in range(n))
    for rel in rels:
        graph.add_edge(rel.source, rel.target, key=rel.identity)
    view = views_data.ego_view(store, "n00", depth=depth, limit=limit)
    want = expected_ego(graph, "n00", depth, limit)
    assert {node["id"]: node["distance"] for node in view["nodes"]} == want["nodes"]
    assert {(r["type"], r["source"], r["target"], r["key"]) for r in view["relationships"]} == want["relationships"]
    assert view["shown_depth"] == want["shown_depth"]
    omitted = view["omitted"] and (view["omitted"]["nodes"], view["omitted"]["relationships"])
    assert omitted == want["omitted"]
    store.close()


def fan(store, customers: int, *, stages: int = 3) -> None:
    """hub —SUPPLIES (stage weave, volume i+1)→ c0000 …, and hub —OPERATES_IN→ ``stages`` stages."""
    nodes = [Node("Enterprise", "hub", "中心"), Node("Stage", "weave", "织造")]
    nodes += [Node("Stage", f"s{i}", f"环节{i}") for i in range(stages)]
    nodes += [Node("Enterprise", f"c{i:04d}", f"客户{i}") for i in range(customers)]
    rels = [Relationship("SUPPLIES", "hub", f"c{i:04d}", "weave", {"stage": "weave", "volume": i + 1}) for i in range(customers)]
    rels += [Relationship("OPERATES_IN", "hub", f"s{i}") for i in range(stages)]
    store.write(GraphData(nodes, rels))


def test_ego_folds_a_group_above_the_threshold_but_its_strongest_ties(sqlite_store):
    customers = views_data.FOLD_ABOVE + 7
    fan(sqlite_store, customers)
    view = views_data.ego_view(sqlite_store, "hub")
    groups = {(g["hub"], g["kind"], g["stage"]): g for g in view["groups"]}
    assert set(groups) == {("hub", "Enterprise", "weave"), ("hub", "Stage", None)}
    firms = groups[("hub", "Enterprise", "weave")]
    # strongest first: c0046 has volume 47, c0000 volume 1
    assert firms["members"] == [f"c{i:04d}" for i in reversed(range(customers))]
    assert firms["count"] == customers and firms["stage_name"] == "织造"
    assert firms["folded"] == firms["members"][views_data.FOLD_KEEP:]
    assert groups[("hub", "Stage", None)]["folded"] == []  # 3 stages: nothing to fold
    assert view["folded"] == customers - views_data.FOLD_KEEP


def test_ego_folds_nothing_at_the_threshold(sqlite_store):
    fan(sqlite_store, views_data.FOLD_ABOVE - 3)  # and 3 stages: FOLD_ABOVE neighbours in all
    view = views_data.ego_view(sqlite_store, "hub")
    assert view["folded"] == 0 and all(not g["folded"] for g in view["groups"])
    assert sum(g["count"] for g in view["groups"]) == views_data.FOLD_ABOVE


def _tangle() -> GraphData:
    """A hub supplying 60 firms in two stages (volumes, a weight, a boolean volume and none, so each
    strength rule shows), each firm supplying two of 40 more, a tie, a loop and two parallel supplies."""
    nodes = [Node("Enterprise", "hub", "中心"), Node("Stage", "weave", "织造"), Node("Stage", "dye", "印染")]
    nodes += [Node("Enterprise", f"c{i:02d}", f"客户{i}", {"region": "sz" if i % 2 else "wj"}) for i in range(60)]
    nodes += [Node("Enterprise", f"d{i:02d}", f"二级{i}") for i in range(40)]
    strengths = [{"volume": 3}, {"weight": 2.5}, {"volume": True}, {}, {"volume": "lots", "weight": 7}]
    rels = [Relationship("SUPPLIES", "hub", f"c{i:02d}", stage, {"stage": stage, **strengths[i % 5]})
            for i in range(60) for stage in (["weave", "dye"] if i % 7 == 0 else ["weave" if i % 2 else "dye"])]
    rels += [Relationship("SUPPLIES", f"c{i:02d}", f"d{(i * 3 + k) % 40:02d}", "dye", {"volume": i + k}) for i in range(60) for k in (0, 1)]
    rels += [Relationship("OPERATES_IN", "hub", "weave"), Relationship("OPERATES_IN", "c01", "dye"),
             Relationship("COOPERATES_WITH", "c02", "c03", "", {"weight": 4}), Relationship("SUPPLIES", "c05", "c05", "dye")]
    return GraphData(nodes, rels)


@pytest.mark.parametrize(("args", "shows"), [
    ({"depth": 2, "limit": 30}, lambda v: v["shown_depth"] == 1 and "best-connected" in v["omitted"]["reason"]),  # ring 2 counted by the store
    ({"depth": 2, "limit": 80}, lambda v: v["shown_depth"] == 1 and v["folded"] > 0),  # depth reduced, folded
    ({"depth": 2}, lambda v: v["omitted"] is None and v["folded"] > 0),  # everything
    ({"depth": 1, "limit": 25}, lambda v: v["omitted"]["nodes"] == 62 - 25),
    ({"depth": 2, "limit": 70, "tie_types": ["CONTROLS"]}, lambda v: ("c02", "c03") not in {(r["source"], r["target"]) for r in v["relationships"]}),
])
def test_ego_pushed_down_is_the_reference_path(sqlite_store, monkeypatch, args, shows):
    # the store's own queries (rings counted and relationships read in SQL) against the reference
    # built on the store's primitives, which read whole relationships as the view once did
    from graph.cache import clear_all
    from graph.store.queries import Queries

    sqlite_store.write(_tangle())
    fast = views_data.ego_view(sqlite_store, "hub", **args)
    clear_all()
    monkeypatch.setattr(SqliteStore, "_queries", Queries)
    assert views_data.ego_view(sqlite_store, "hub", **args) == fast
    assert shows(fast)


def test_ties_communities_are_laid_out_apart(textile_store):
    view = views_data.ties_view(textile_store)
    positions = view["positions"]
    assert set(positions) == {n["id"] for n in view["nodes"]}
    members: dict = {}
    for node in view["nodes"]:
        members.setdefault(node["community"], []).append(positions[node["id"]])
    centre = {c: (sum(p[0] for p in ps) / len(ps), sum(p[1] for p in ps) / len(ps)) for c, ps in members.items()}
    # every member is nearer its own community's centre than any other community's
    for community, points in members.items():
        for x, y in points:
            own = (x - centre[community][0]) ** 2 + (y - centre[community][1]) ** 2
            assert all(own < (x - cx) ** 2 + (y - cy) ** 2 for other, (cx, cy) in centre.items() if other != community)


@pytest.mark.parametrize("kwargs, error", [
    ({"depth": 0}, InvalidParameter),
    ({"depth": 4}, InvalidParameter),
    ({"kind": "planet"}, InvalidParameter),
    ({"kind": "stage"}, NotFound),  # hengli is an enterprise
    ({"limit": 0}, InvalidParameter),
])
def test_ego_refuses_bad_parameters(textile_store, kwargs, error):
    with pytest.raises(error):
        views_data.ego_view(textile_store, "e_hengli_group", **kwargs)


def test_ego_of_an_unknown_node_is_not_found(textile_store):
    with pytest.raises(NotFound):
        views_data.ego_view(textile_store, "no-such-node")


# -- chain map ---------------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["shengze", "tianmen"])
def test_chain_view_shows_the_gap_analysis(textile_store, region):
    view = views_data.chain_view(textile_store, region)
    report = gaps(textile_store, region).to_dict()
    assert [len(view["stages"]), len(view["links"])] == chain_counts(textile_store)
    assert {s["stage"]: s["status"] for s in view["stages"]} == {s["stage"]: s["status"] for s in report["stages"]}
    assert {s["stage"]: s["gap"]["kind"] for s in view["stages"] if s["gap"]} == {g["stage"]: g["kind"] for g in report["gaps"]}
    assert view["completeness"] == report["completeness"]
    firms, _ = region_enterprises(textile_store, region)
    for stage in view["stages"]:
        # the names listed on hover are the firms the analysis counted, all of them local
        assert len(stage["enterprises"]) == stage["local_enterprises"]
        assert {e["id"] for e in stage["enterprises"]} <= firms


def test_tianmen_map_shows_breaks_between_spinning_and_garments(textile_store):
    """The Tianmen article's complaint, as the map colours it: weaving, dyeing and finishing are
    breaks (local firms on both sides), garments are present."""
    kinds = {s["stage"]: (s["gap"] or {}).get("kind") or s["status"] for s in views_data.chain_view(textile_store, "tianmen")["stages"]}
    assert kinds["printing_and_dyeing"] == "break"
    assert kinds["finishing"] == "break"
    assert kinds["garments"] == "present"


def test_chain_layout_runs_upstream_to_downstream(sqlite_store):
    #   a → b → d ;  a → c → d ;  m (support) → b
    sqlite_store.write(GraphData(
        [Node("Stage", s, s.upper(), {"tier": "support" if s == "m" else "midstream"}) for s in "abcdm"],
        [Relationship("FEEDS", u, v) for u, v in ("ab", "bd", "ac", "cd", "mb")],
    ))
    layout = views_data.chain_layout(sqlite_store)
    assert {s: (p["column"], p["band"]) for s, p in layout.items()} == {
        "a": (0, "main"), "b": (1, "main"), "c": (1, "main"), "d": (2, "main"), "m": (0, "support"),
    }
    assert sorted(layout[s]["row"] for s in "bc") == [0, 1]


def test_chain_layout_of_the_textile_chain_puts_every_main_link_left_to_right(textile_store):
    layout = views_data.chain_layout(textile_store)
    view = views_data.chain_view(textile_store, "shengze")
    for link in view["links"]:
        source, target = layout[link["source"]], layout[link["target"]]
        if source["band"] == target["band"] == "main":
            assert source["column"] < target["column"], link


def test_compare_view_draws_each_region_on_the_same_layout(textile_store):
    view = views_data.compare_view(textile_store, ["shengze", "tianmen"])
    assert [r["id"] for r in view["regions"]] == ["shengze", "tianmen"]
    first, second = view["maps"]
    assert [(s["stage"], s["column"], s["row"]) for s in first["stages"]] == [(s["stage"], s["column"], s["row"]) for s in second["stages"]]
    assert view["matrix"]["regions"] == ["shengze", "tianmen"]


@pytest.mark.parametrize("regions, error", [(["shengze"], InvalidParameter), (["shengze", "shengze"], InvalidParameter), (["shengze", "atlantis"], NotFound)])
def test_compare_view_refuses_bad_regions(textile_store, regions, error):
    with pytest.raises(error):
        views_data.compare_view(textile_store, regions)


# -- ties and bottlenecks ----------------------------------------------------------------------
def test_ties_view_colours_the_report_communities_and_marks_its_brokers(textile_store):
    view = views_data.ties_view(textile_store)
    report = ties_report(textile_store, top=views_data.BROKERS_TOP).to_dict()
    assert [len(view["nodes"]), len(view["edges"])] == ties_counts(textile_store)
    for community in report["communities"]:
        members = set(community["enterprises"]) | set(community["institutes"])
        assert {n["id"] for n in view["nodes"] if n["community"] == community["community"]} == members
    assert {n["id"] for n in view["nodes"] if n["broker"]} == {b["node"] for b in report["brokers"]}


def test_ties_view_of_one_institute(textile_store):
    view = views_data.ties_view(textile_store, institute="i_donghua_university")
    assert [len(view["nodes"]), len(view["edges"])] == ties_counts(textile_store, "i_donghua_university")
    with pytest.raises(NotFound):
        views_data.ties_view(textile_store, institute="e_hengli_group")


@pytest.mark.parametrize("region", [None, "tianmen"])
def test_bottlenecks_view_overlays_every_flagged_node(textile_store, region):
    view = views_data.bottlenecks_view(textile_store, region=region)
    report = bottlenecks(textile_store, region).to_dict()
    assert [len(view["nodes"]), len(view["edges"])] == bottleneck_counts(textile_store, report, region)
    flagged = {n["id"]: sorted(f["kind"] for f in n["flags"]) for n in view["nodes"] if n["flags"]}
    expected: dict[str, list[str]] = {}
    for item in report["items"]:
        expected.setdefault(item["node"], []).append(item["kind"])
    assert flagged == {k: sorted(v) for k, v in expected.items()}


def test_bottlenecks_view_above_the_limit_keeps_flagged_nodes_first(textile_store):
    view = views_data.bottlenecks_view(textile_store, limit=40)
    report = bottlenecks(textile_store).to_dict()
    flagged = {i["node"] for i in report["items"]}
    total = bottleneck_counts(textile_store, report, None)[0]
    assert len(view["nodes"]) == 40 and view["omitted"]["nodes"] == total - 40
    kept = {n["id"] for n in view["nodes"]}
    assert kept <= flagged or flagged <= kept


@pytest.mark.parametrize("region", ["shengze", "tianmen"])
def test_related_view_draws_the_stage_space(textile_store, region):
    view = views_data.related_view(textile_store, region)
    drawn, strong, links, present = related_space(textile_store, region)
    assert {n["id"] for n in view["nodes"]} == drawn
    assert {n["id"] for n in view["nodes"] if n["present"]} == present
    edges = {frozenset((e["source"], e["target"])) for e in view["edges"]}
    # a maximum spanning tree is not unique when weights tie, but its size and its weights are:
    # the strong links are all drawn, and as many links in all
    assert strong <= edges and len(edges) == links
    # ringed: the report's feasible stages, in its order
    ringed = sorted((n for n in view["nodes"] if n["feasible_rank"]), key=lambda n: n["feasible_rank"])
    assert all(not n["value"] for n in ringed) and len(ringed) == min(20, sum(1 for n in view["nodes"] if not n["value"]))


def test_related_view_above_the_limit_keeps_the_region_s_stages(textile_store):
    view = views_data.related_view(textile_store, "shengze", limit=10)
    assert len(view["nodes"]) == 10 and view["omitted"]["nodes"] == len(related_space(textile_store, "shengze")[0]) - 10
    assert all(n["value"] for n in view["nodes"])


def test_index_view_lists_regions_as_a_tree(textile_store):
    view = views_data.index_view(textile_store)
    ids = [r["id"] for r in view["regions"]]
    assert sorted(ids) == sorted(n.id for n in textile_store.nodes(["Region"]))
    # every region comes right after its parent's subtree starts, one level deeper
    depth = {r["id"]: r["depth"] for r in view["regions"]}
    for region in textile_store.nodes(["Region"]):
        parent = region.props.get("parent")
        if parent:
            assert ids.index(parent) < ids.index(region.id)
            assert depth[region.id] == depth[parent] + 1
    # the pickers start on the regions holding the most enterprises themselves
    firms: dict[str, int] = {}
    for node in textile_store.nodes(["Enterprise"]):
        firms[node.props["region"]] = firms.get(node.props["region"], 0) + 1
    assert [firms.get(r, 0) for r in view["featured"]] == sorted(firms.values(), reverse=True)[:2]


def test_the_chain_map_of_a_chain_too_large_to_list_draws_the_listed_stages_and_says_what_it_left_out(sqlite_store):
    # 600 stages in a line (over the 500 listed in full); the region's one firm sits at stage 300,
    # and there is one gap per other stage (599 gaps, of which the report lists its top 200)
    n = 600
    stages = [Node("Stage", f"s{i:03d}", f"环节{i}") for i in range(n)]
    links = [Relationship("FEEDS", f"s{i:03d}", f"s{i + 1:03d}") for i in range(n - 1)]
    sqlite_store.write(GraphData(
        nodes=[*stages, Node("Region", "town", "镇"), Node("Enterprise", "e1", "厂", {"region": "town"})],
        relationships=[*links, Relationship("LOCATED_IN", "e1", "town"), Relationship("OPERATES_IN", "e1", "s300")]))
    view = views_data.chain_view(sqlite_store, "town")
    drawn = {s["stage"] for s in view["stages"]}
    listed = {row["stage"] for row in gaps(sqlite_store, "town").to_dict()["stages"]}
    assert drawn == listed and "s300" in drawn and len(drawn) < n
    # every link drawn joins two drawn stages; the links of the line between drawn stages, by construction
    assert all(link["source"] in drawn and link["target"] in drawn for link in view["links"])
    expected = {(f"s{i:03d}", f"s{i + 1:03d}") for i in range(n - 1) if f"s{i:03d}" in drawn and f"s{i + 1:03d}" in drawn}
    assert {(link["source"], link["target"]) for link in view["links"]} == expected
    assert view["omitted"]["nodes"] == n - len(drawn)
    assert view["omitted"]["relationships"] == (n - 1) - len(expected)
    assert view["omitted"]["reason"].startswith("only the stages the gaps report lists are drawn: ")
