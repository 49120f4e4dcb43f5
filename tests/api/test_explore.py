"""Health, stats, node search and lookup, neighbourhoods and paths over the tiny chain."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_error


def test_health_names_the_store_and_its_version(client, db_path):
    from graph.store.sqlite import SqliteStore

    with SqliteStore(db_path) as store:
        version = store.version()
    assert client.get("/health").json() == {"status": "ok", "store": "embedded", "version": version}


def test_stats_counts_every_kind_and_type(client):
    body = client.get("/stats").json()
    assert body["nodes"] == {"Stage": 5, "Enterprise": 4, "Institute": 1, "Park": 0, "Region": 3, "Chain": 0}
    # FEEDS 4, PART_OF sz→js, OPERATES_IN 5, SUPPLIES 3, LOCATED_IN 4 firms + 1 institute, ties 2
    assert body["relationships"] == {"FEEDS": 4, "PART_OF": 1, "OPERATES_IN": 5, "SUPPLIES": 3, "LOCATED_IN": 5,
                                     "COLLABORATES_WITH": 2, "RESEARCHES": 0, "COOPERATES_WITH": 0, "COMPETES_WITH": 0,
                                     "INVESTS_IN": 0, "CONTROLS": 0, "JOINT_VENTURE": 0, "ACQUIRED": 0, "INCLUDES": 0}
    assert (body["total_nodes"], body["total_relationships"]) == (13, 20)


def test_search_finds_chinese_and_english_names_and_aliases(client):
    hits = client.get("/nodes", params={"q": "织造"}).json()
    assert hits["total"] == 2
    assert [r["id"] for r in hits["results"]] == ["weave", "e4"]  # the exact name first
    english = client.get("/nodes", params={"q": "weaving"}).json()
    assert [r["id"] for r in english["results"]] == ["weave"]
    assert english["results"][0] == {"id": "weave", "kind": "Stage", "name": "织造",
                                     "props": {"aliases": ["weaving"], "tier": "midstream"}}


def test_search_pages_with_the_total_and_filters_kind_and_region(client):
    everything = client.get("/nodes", params={"limit": 1000}).json()
    assert everything["total"] == 13 and len(everything["results"]) == 13
    page = client.get("/nodes", params={"kind": "Enterprise", "limit": 2, "offset": 1}).json()
    assert page["total"] == 4 and page["limit"] == 2 and page["offset"] == 1
    all_firms = [r["id"] for r in client.get("/nodes", params={"kind": "Enterprise"}).json()["results"]]
    assert [r["id"] for r in page["results"]] == all_firms[1:3]
    # js holds sz, so the firms of sz and js's own region nodes are in it; tm's are not
    in_js = client.get("/nodes", params={"region": "js"}).json()
    assert sorted(r["id"] for r in in_js["results"]) == ["e1", "e2", "e3", "js", "sz", "u1"]
    assert client.get("/nodes", params={"region": "tm", "kind": "Enterprise"}).json()["total"] == 1


def test_search_refuses_an_unknown_kind_and_region(client):
    assert_error(client.get("/nodes", params={"kind": "Person"}), 422, "ValidationError", contains="Enterprise", parameter="kind")
    assert_error(client.get("/nodes", params={"region": "atlantis"}), 404, "NotFound", contains="'atlantis'")
    assert_error(client.get("/nodes", params={"limit": 1001}), 422, "ValidationError", parameter="limit")


def test_a_node_with_all_its_properties(client):
    assert client.get("/nodes/Enterprise/e4").json() == {
        "id": "e4", "kind": "Enterprise", "name": "天门织造厂", "props": {"region": "tm", "revenue_cny": 100.0, "employees": 10},
        "sources": ["dataset"]}  # the folder the fixture loads it from


def test_a_node_of_another_kind_or_unknown_is_404_naming_it(client):
    assert_error(client.get("/nodes/Stage/e4"), 404, "NotFound", contains="'e4'")
    assert_error(client.get("/nodes/Enterprise/nobody"), 404, "NotFound", contains="'nobody'")


def test_neighbors_ring_by_ring(client):
    one = client.get("/nodes/Stage/pta/neighbors").json()
    assert [(n["id"], n["distance"]) for n in one["nodes"]] == [("e2", 1), ("poly", 1)]
    assert one["node"] == {"id": "pta", "name": "精对苯二甲酸", "kind": "Stage"}
    two = client.get("/nodes/Stage/pta/neighbors", params={"depth": 2}).json()
    # poly's neighbours: e1, spin; e2's: e1 (supplies), sz (located in)
    assert sorted((n["distance"], n["id"]) for n in two["nodes"]) == [(1, "e2"), (1, "poly"), (2, "e1"), (2, "spin"), (2, "sz")]
    stages = client.get("/nodes/Stage/pta/neighbors", params={"depth": 2, "only": "Stage"}).json()
    assert [n["id"] for n in stages["nodes"]] == ["poly", "spin"]


@pytest.mark.parametrize("depth", [0, 4, 100])
def test_neighbors_depth_outside_1_to_3_is_422(client, depth):
    assert_error(client.get("/nodes/Stage/pta/neighbors", params={"depth": depth}), 422, "ValidationError", parameter="depth")


def test_neighbors_of_an_unknown_node_is_404(client):
    assert_error(client.get("/nodes/Stage/nothing/neighbors"), 404, "NotFound", contains="'nothing'")


def test_path_spells_out_each_step(client):
    # e2 and e3 share their town: e2 —LOCATED_IN→ sz ←LOCATED_IN— e3 is the shortest path only
    # when asked to pass through regions; by default the supply route e2 → e1 → e4 → e3 is taken
    default = client.get("/paths", params={"from": "e2", "to": "e3"}).json()
    assert [n["id"] for n in default["nodes"]] == ["e2", "e1", "e4", "e3"] and {s["type"] for s in default["steps"]} == {"SUPPLIES"}
    path = client.get("/paths", params={"from": "e2", "to": "e3", "through_regions": "true"}).json()
    assert path["from"] == "e2" and path["to"] == "e3" and path["length"] == 2
    assert [n["id"] for n in path["nodes"]] == ["e2", "sz", "e3"]
    assert path["steps"] == [
        {"source": "e2", "type": "LOCATED_IN", "target": "sz", "forward": True},
        {"source": "e3", "type": "LOCATED_IN", "target": "sz", "forward": False},
    ]
    assert path["text"] == "盛虹集团 —LOCATED_IN→ 盛泽镇 ←LOCATED_IN— 盛泽印染厂"


def test_path_errors(client):
    assert_error(client.get("/paths", params={"from": "e2", "to": "ghost"}), 404, "NotFound", contains="'ghost'")
    assert_error(client.get("/paths", params={"from": "e2"}), 422, "ValidationError", parameter="to")


def test_ids_with_slashes_and_spaces_work_in_paths(client, db_path):
    from graph.model import GraphData, Node, Relationship
    from graph.store.sqlite import SqliteStore

    with SqliteStore(db_path) as store:
        store.write(GraphData(nodes=[Node("Stage", "GB/T 4146 fibre", "化学纤维")],
                              relationships=[Relationship("FEEDS", "GB/T 4146 fibre", "spin")]))
    assert client.get("/nodes/Stage/GB%2FT%204146%20fibre").json()["name"] == "化学纤维"
    assert client.get("/nodes/Stage/GB/T 4146 fibre").json()["id"] == "GB/T 4146 fibre"
    around = client.get("/nodes/Stage/GB%2FT%204146%20fibre/neighbors").json()
    assert [n["id"] for n in around["nodes"]] == ["spin"]
