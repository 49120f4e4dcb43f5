"""The analysis endpoints over the tiny chain: answers worked out by hand or by NetworkX itself."""

from __future__ import annotations

import csv
import io

import networkx as nx
import pytest

from tests.api.conftest import assert_error


def test_gaps_finds_the_broken_link_scores_it_and_names_a_candidate(client):
    report = client.get("/regions/sz/gaps", params={"min_firms": 1}).json()
    assert report["region"] == "sz" and report["region_name"] == "盛泽镇"
    statuses = {s["stage"]: s["status"] for s in report["stages"]}
    assert statuses == {"pta": "present", "poly": "present", "spin": "present", "weave": "missing", "dye": "present"}
    (gap,) = report["gaps"]
    # sz has e1, e2 upstream of weaving and e3 downstream: a break (补链)
    assert (gap["stage"], gap["kind"], gap["upstream_local"], gap["downstream_local"]) == ("weave", "break", 2, 1)
    # weave lies on the 3 shortest paths pta/poly/spin → dye of the 5-stage line: 3 / (4·3) = 0.25
    betweenness = nx.betweenness_centrality(nx.DiGraph([("pta", "poly"), ("poly", "spin"), ("spin", "weave"), ("weave", "dye")]))
    assert betweenness["weave"] == 0.25
    assert gap["score"] == pytest.approx((1 / 3 + 2 / 3 + 0.25) / 3, abs=1e-6)
    # e4 trades with e1 and e3 (S=2), shares 东华大学 with e1 (I=1), is the largest candidate (Z=1)
    (candidate,) = gap["candidates"]
    assert (candidate["enterprise"], candidate["score"]) == ("e4", 2 * 2 + 1 + 1.0)
    assert all(isinstance(r, str) and r for r in gap["reasons"] + candidate["reasons"])
    assert report["completeness"] == pytest.approx(4 / 5)


def test_gaps_of_an_unknown_region_is_404_naming_it(client):
    assert_error(client.get("/regions/atlantis/gaps"), 404, "NotFound", contains="'atlantis'")


def test_gaps_parameters_are_bounded(client):
    assert_error(client.get("/regions/sz/gaps", params={"min_firms": 0}), 422, "ValidationError", parameter="min_firms")
    assert_error(client.get("/regions/sz/gaps", params={"top_candidates": "many"}), 422, "ValidationError", parameter="top_candidates")


def test_compare_puts_regions_side_by_side(client):
    report = client.get("/compare", params={"regions": "sz,tm", "min_firms": 1}).json()
    assert report["regions"] == ["sz", "tm"]
    weave = next(row for row in report["stages"] if row["stage"] == "weave")
    assert weave["sz"] == {"status": "missing", "local_enterprises": 0}
    assert weave["tm"] == {"status": "present", "local_enterprises": 1}
    assert (weave["present_in"], weave["lacking_in"]) == (["tm"], ["sz"])
    assert report["completeness"] == {"sz": pytest.approx(0.8), "tm": pytest.approx(0.2)}


def test_compare_errors(client):
    assert_error(client.get("/compare", params={"regions": "sz,atlantis"}), 404, "NotFound", contains="'atlantis'")
    assert_error(client.get("/compare", params={"regions": "sz,sz"}), 422, "InvalidParameter", parameter="regions")
    assert_error(client.get("/compare", params={"regions": ",".join(f"r{i}" for i in range(21))}), 422, "InvalidParameter",
                 contains="give 1 to 20 regions, not 21", parameter="regions")
    assert_error(client.get("/compare"), 422, "ValidationError", parameter="regions")


def test_bottlenecks_lists_each_kind_with_reasons(client):
    report = client.get("/bottlenecks").json()
    assert report["region"] is None
    # a straight line from the one source to the one end product: every path to dye passes
    # through each stage before it (the source included), so each of them dominates dye
    chokepoints = [i["node"] for i in report["items"] if i["kind"] == "chokepoint"]
    assert sorted(chokepoints) == ["poly", "pta", "spin", "weave"]
    # every stage has exactly one firm: all five are single-source
    assert sorted(i["node"] for i in report["items"] if i["kind"] == "single_source") == ["dye", "poly", "pta", "spin", "weave"]
    assert all(i["reasons"] for i in report["items"])
    assert report["counts"]["chokepoint"] == 4


def test_bottlenecks_in_a_region_and_an_unknown_region(client):
    assert client.get("/bottlenecks", params={"region": "sz"}).json()["region"] == "sz"
    assert_error(client.get("/bottlenecks", params={"region": "atlantis"}), 404, "NotFound", contains="'atlantis'")
    assert_error(client.get("/bottlenecks", params={"hhi_threshold": 2}), 422, "ValidationError", parameter="hhi_threshold")


def test_whatif_follows_the_cascade(client):
    # without e2 (the only PTA supplier of e1), e1 loses supply, then e4 (spin from e1), then e3
    report = client.post("/whatif", json={"remove": ["e2"]}).json()
    assert [r["id"] for r in report["removed"]] == ["e2"]
    assert [e["enterprise"] for e in report["enterprises"]] == ["e1", "e3", "e4"]
    assert report["reasons"]


def test_whatif_errors(client):
    assert_error(client.post("/whatif", json={"remove": ["ghost"]}), 404, "NotFound", contains="ghost")
    assert_error(client.post("/whatif", json={"remove": ["sz"]}), 422, "InvalidParameter", parameter="remove")
    assert_error(client.post("/whatif", json={"remove": []}), 422, "ValidationError", parameter="remove")
    assert_error(client.post("/whatif", json={"delete": ["e1"]}), 422, "ValidationError")
    assert_error(client.post("/whatif", content=b"{not json", headers={"content-type": "application/json"}), 422, "ValidationError")


def supply_graph() -> nx.DiGraph:
    # nodes in id order, as the store lists them: sampled betweenness depends on node order
    graph = nx.DiGraph()
    graph.add_nodes_from(["e1", "e2", "e3", "e4"])
    graph.add_edges_from([("e2", "e1"), ("e1", "e4"), ("e4", "e3")])
    return graph


def test_centrality_as_json_matches_networkx(client):
    report = client.get("/centrality", params={"metric": "degree", "graph": "supply"}).json()
    expected = nx.degree_centrality(supply_graph())
    assert {r["node"]: r["value"] for r in report["rows"]} == pytest.approx(expected)
    # ties ordered by id: e1 and e4 have 2 links, e2 and e3 one
    assert [r["node"] for r in report["rows"]] == ["e1", "e4", "e2", "e3"]
    assert [r["rank"] for r in report["rows"]] == [1, 2, 3, 4]
    assert (report["metric"], report["graph"], report["exact"], report["total"]) == ("degree", "supply", True, 4)


@pytest.mark.parametrize("how", [{"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}])
def test_centrality_as_csv_parses_back_to_the_json_rows(client, how):
    params = {"metric": "pagerank", "graph": "supply", **how.get("params", {})}
    response = client.get("/centrality", params=params, headers=how.get("headers"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["rank", "node", "name", "kind", "value"]
    json_rows = client.get("/centrality", params={"metric": "pagerank", "graph": "supply"}).json()["rows"]
    assert [(int(r["rank"]), r["node"], r["name"], r["kind"], float(r["value"])) for r in rows] == \
        [(r["rank"], r["node"], r["name"], r["kind"], r["value"]) for r in json_rows]
    assert {r["node"]: float(r["value"]) for r in rows} == pytest.approx(nx.pagerank(supply_graph()))


def test_centrality_json_unless_csv_is_asked_for(client):
    response = client.get("/centrality", params={"metric": "degree"}, headers={"Accept": "application/json, text/csv"})
    assert response.headers["content-type"] == "application/json"


def test_centrality_filters_and_samples(client):
    firms = client.get("/centrality", params={"metric": "degree", "kind": "Enterprise", "region": "sz"}).json()
    assert sorted(r["node"] for r in firms["rows"]) == ["e1", "e2", "e3"]
    sampled = client.get("/centrality", params={"metric": "betweenness", "graph": "supply", "k": 2, "seed": 7}).json()
    assert (sampled["exact"], sampled["k"], sampled["seed"]) == (False, 2, 7)
    expected = nx.betweenness_centrality(supply_graph(), k=2, seed=7)
    assert {r["node"]: r["value"] for r in sampled["rows"]} == pytest.approx(expected)


@pytest.mark.parametrize(
    "params, status, type_, parameter",
    [
        ({"metric": "degree", "top": 1001}, 422, "ValidationError", "top"),
        ({"metric": "degree", "top": 0}, 422, "ValidationError", "top"),
        ({"metric": "fame"}, 422, "ValidationError", "metric"),
        ({"metric": "degree", "graph": "web"}, 422, "ValidationError", "graph"),
        ({"metric": "in_degree", "graph": "ties"}, 422, "InvalidParameter", "metric"),
        ({"metric": "degree", "k": 2}, 422, "InvalidParameter", "k"),
        ({"metric": "betweenness", "graph": "supply", "k": 50}, 422, "InvalidParameter", "k"),
        ({"metric": "degree", "engine": "gds"}, 422, "InvalidParameter", "engine"),  # an embedded store has no GDS
        ({"metric": "degree", "engine": "spark"}, 422, "InvalidParameter", "engine"),
        ({"metric": "degree", "format": "xml"}, 422, "ValidationError", "format"),
        ({"metric": "degree", "region": "atlantis"}, 404, "NotFound", None),
    ],
)
def test_centrality_errors(client, params, status, type_, parameter):
    assert_error(client.get("/centrality", params=params), status, type_, parameter=parameter)


def test_an_exact_computation_over_the_time_limit_is_refused_with_advice(make_client):
    # 1e-9 s: even the tiny chain's exact betweenness is "too expensive"
    client = make_client(max_centrality_seconds=1e-9)
    error = assert_error(client.get("/centrality", params={"metric": "betweenness"}), 422, "TooExpensive", parameter="metric")
    assert "k=" in error["message"]
    assert client.get("/centrality", params={"metric": "degree"}).status_code == 200  # cheap metrics unaffected


def test_ties_report_and_focus(client):
    report = client.get("/ties").json()
    assert report["summary"]["ties"] == 2 and report["summary"]["institutes_with_ties"] == 1
    (institute,) = report["institutes"]
    assert (institute["institute"], institute["ties"], institute["partners"]) == ("u1", 2, ["e1", "e4"])
    focus = client.get("/ties", params={"institute": "u1"}).json()
    assert focus["institute"] == "u1" and focus["focus"]["enterprises"] == 2
    assert_error(client.get("/ties", params={"institute": "e1"}), 404, "NotFound", contains="'e1'")


def test_reports_are_cached_per_store_version(client):
    cache = client.app.state.report_cache
    first = client.get("/regions/sz/gaps").json()
    hits = cache.hits
    assert client.get("/regions/sz/gaps").json() == first
    assert cache.hits == hits + 1
    client.get("/regions/sz/gaps", params={"min_firms": 1})
    assert cache.hits == hits + 1  # other parameters, another entry
