"""GET /chains, GET /chains/{id}, POST /chains on the tiny chain (tests/api/conftest.py):

    pta → poly → spin → weave → dye;  sz operates in pta, poly, spin, dye; tm in weave
"""

from __future__ import annotations

from graph.store import reads
from graph.store.sqlite import SqliteStore
from tests.api.conftest import API_KEY, assert_error


def test_a_chain_saved_by_its_ends_is_listed_read_and_scopes_a_report(writer):
    saved = writer.post("/chains", json={"id": "mid", "name": "中段", "source": "聚合", "sink": "weaving"})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["source"], body["sink"], body["defined_by"]) == ("poly", "weave", "poly → weave")
    assert [s["id"] for s in body["stages"]] == ["poly", "spin", "weave"]
    assert body["links"] == [{"source": "poly", "target": "spin"}, {"source": "spin", "target": "weave"}]
    assert writer.get("/chains").json() == {"total": 1, "chains": [
        {"id": "mid", "name": "中段", "stages": 3, "defined_by": "poly → weave", "description": None}]}
    assert writer.get("/chains/中段").json()["id"] == "mid"
    scope = writer.get("/regions/sz/gaps", params={"chain": "mid"}).json()["chain_scope"]
    assert (scope["kind"], scope["chain"], scope["chain_name"], scope["stages"], scope["of"]) == ("chain", "mid", "中段", 3, 5)
    # of the three, sz has a firm in poly and in spin: with one firm enough, weave is the only gap
    gaps = writer.get("/regions/sz/gaps", params={"chain": "mid", "min_firms": 1}).json()["gaps"]
    assert [g["stage"] for g in gaps] == ["weave"]


def test_a_region_scope_saved_as_a_chain_holds_its_stages(writer):
    # tm weaves: its stages one FEEDS step up and down are spin and dye
    body = writer.post("/chains", json={"id": "tm_chain", "name": "天门链", "region": "天门市", "scope_depth": 1}).json()
    assert body["member_stages"] == ["dye", "spin", "weave"] and body["defined_by"] == "stages"


def test_saving_refuses_a_taken_id_an_unknown_stage_and_both_definitions_writing_nothing(writer, db_path):
    with SqliteStore(db_path) as store:
        before = reads.snapshot(store)
    assert_error(writer.post("/chains", json={"id": "pta", "name": "x", "stages": ["poly"]}), 422, "InvalidParameter",
                 contains="already holds a node with id 'pta'", parameter="id")
    assert_error(writer.post("/chains", json={"id": "c", "name": "x", "stages": ["weavng"]}), 404, "NotFound",
                 contains="unknown stage 'weavng'; did you mean 织造 (weave)?")
    assert_error(writer.post("/chains", json={"id": "c", "name": "x", "stages": ["poly"], "source": "pta", "sink": "dye"}), 422,
                 "InvalidParameter", parameter="stages")
    with SqliteStore(db_path) as store:
        assert reads.snapshot(store) == before


def test_saving_needs_the_key_and_an_unknown_chain_is_a_404(make_client):
    client = make_client(api_key=API_KEY)
    assert_error(client.post("/chains", json={"id": "c", "name": "x", "stages": ["poly"]}), 401, "Unauthorized")
    assert_error(client.get("/chains/nope"), 404, "NotFound", contains="unknown chain 'nope'")
    assert_error(client.get("/regions/sz/gaps", params={"chain": "nope"}), 404, "NotFound", contains="unknown chain 'nope'")


def test_every_chain_scoped_route_takes_chain(writer):
    # the stored chain front = {pta, poly}: each route reads it (a 200), and an unknown one is a 404 everywhere
    assert writer.post("/chains", json={"id": "front", "name": "前段", "stages": ["pta", "poly"]}).status_code == 200
    routes = [("/regions/sz/gaps", {}), ("/regions/sz/related", {}), ("/compare", {"regions": "sz,tm"}), ("/bottlenecks", {}),
              ("/regions/sz/report", {"format": "json"}), ("/views/chain", {"region": "sz", "format": "json"}),
              ("/views/panorama", {"region": "sz", "format": "json"}), ("/views/heatmap", {"format": "json"})]
    for url, params in routes:
        assert writer.get(url, params={**params, "chain": "前段"}).status_code == 200, url
        assert_error(writer.get(url, params={**params, "chain": "nope"}), 404, "NotFound", contains="unknown chain 'nope'")
    report = writer.post("/whatif", json={"remove": ["e1"], "chain": "front"}).json()
    assert (report["chain_scope"]["kind"], report["chain_scope"]["stages"]) == ("chain", 2)
