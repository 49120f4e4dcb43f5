"""The API on the Neo4j store over Bolt: the same answers as on SQLite, and an outage survived."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.store import reads
from loaders.pipeline import load_path
from tests.api.conftest import API_KEY, assert_error, write_dataset, zip_bytes

pytestmark = pytest.mark.neo4j

READS = [
    "/stats",
    "/nodes?q=织造",
    "/nodes?region=js&limit=100",
    "/nodes/Enterprise/e4",
    "/nodes/Stage/pta/neighbors?depth=2",
    "/paths?from=e2&to=e3",
    "/regions/sz/gaps?min_firms=1",
    "/compare?regions=sz,tm",
    "/bottlenecks?region=sz",
    "/centrality?metric=pagerank&graph=supply",
    "/centrality?metric=betweenness",
    "/ties?institute=u1",
]


def test_every_read_answers_the_same_on_neo4j_as_on_sqlite(neo4j_store, client, tmp_path):
    load_path(neo4j_store, write_dataset(tmp_path / "dataset"))
    with TestClient(create_app(Settings(store=neo4j_store.uri), store=neo4j_store)) as bolt:
        for url in READS:
            on_neo4j, on_sqlite = bolt.get(url), client.get(url)
            assert on_neo4j.status_code == on_sqlite.status_code == 200, (url, on_neo4j.text)
            assert on_neo4j.json() == on_sqlite.json(), url
        assert bolt.post("/whatif", json={"remove": ["e2"]}).json() == client.post("/whatif", json={"remove": ["e2"]}).json()
        assert bolt.get("/health").json()["store"] == "neo4j"
        assert_error(bolt.get("/regions/atlantis/gaps"), 404, "NotFound", contains="'atlantis'")


def test_uploads_are_all_or_nothing_on_neo4j(neo4j_store, monkeypatch, bolt_server):
    for name, value in bolt_server.env().items():
        monkeypatch.setenv(name, value)
    settings = Settings(store=bolt_server.uri, api_key=API_KEY)
    with TestClient(create_app(settings)) as client:
        client.headers["X-API-Key"] = API_KEY
        ok = client.post("/datasets", files={"file": ("d.zip", zip_bytes())})
        assert ok.status_code == 200, ok.text
        before = neo4j_store.counts()
        broken = client.post("/datasets", files={"file": ("d.zip", zip_bytes(supplies="supplier,customer\ne1,nobody\n"))})
        assert_error(broken, 422, "DatasetError")
        assert neo4j_store.counts() == before


def wait_for(client: TestClient, url: str, status: int, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while (code := client.get(url).status_code) != status:
        assert time.monotonic() < deadline, f"{url} still answers {code}, not {status}"
        time.sleep(0.5)


def test_a_bolt_outage_gives_503_and_the_app_recovers_by_itself(neo4j_store, monkeypatch, bolt_server, tmp_path):
    if not bolt_server.local:
        pytest.skip("an external server (CHAINX_TEST_NEO4J_URI) cannot be stopped by the tests")
    load_path(neo4j_store, write_dataset(tmp_path / "dataset"))
    for name, value in bolt_server.env().items():
        monkeypatch.setenv(name, value)
    # the app opens the store itself from its address, as `chainx serve --store bolt://...` does
    with TestClient(create_app(Settings(store=bolt_server.uri, store_retry_seconds=0.2))) as client:
        gaps = client.get("/regions/sz/gaps", params={"min_firms": 1})
        assert gaps.status_code == 200
        bolt_server.stop()
        try:
            error = assert_error(client.get("/health"), 503, "StoreUnavailable", contains="the graph store is unavailable")
            assert "cannot reach" in error["message"] and bolt_server.uri in error["message"]
            # a cached report is not served from a store that cannot say its version
            assert_error(client.get("/regions/sz/gaps", params={"min_firms": 1}), 503, "StoreUnavailable")
        finally:
            bolt_server.start()
        wait_for(client, "/health", 200)
        assert client.get("/regions/sz/gaps", params={"min_firms": 1}).json() == gaps.json()


INJECTIONS = [
    "') DETACH DELETE n //",
    "x` DETACH DELETE n //",
    "'}) MATCH (n) DETACH DELETE n RETURN 1 //",
    "\\u0027 OR 1=1 //",
    "$id",
    "'; DROP TABLE nodes; --",
]


def test_injection_strings_are_only_ever_data(neo4j_store, tmp_path):
    load_path(neo4j_store, write_dataset(tmp_path / "dataset"))
    before = reads.snapshot(neo4j_store)
    with TestClient(create_app(Settings(store=neo4j_store.uri), store=neo4j_store)) as client:
        for text in INJECTIONS:
            in_path = quote(text, safe="")
            assert client.get("/nodes", params={"q": text}).json()["total"] == 0
            assert_error(client.get("/nodes", params={"region": text}), 404, "NotFound", contains=repr(text))
            assert_error(client.get(f"/nodes/Enterprise/{in_path}"), 404, "NotFound", contains=repr(text))
            assert_error(client.get(f"/nodes/Enterprise/{in_path}/neighbors"), 404, "NotFound", contains=repr(text))
            assert_error(client.get(f"/regions/{in_path}/gaps"), 404, "NotFound", contains=repr(text))
            assert_error(client.get("/paths", params={"from": "e1", "to": text}), 404, "NotFound")
            assert_error(client.get("/compare", params={"regions": f"sz,{text}"}), 404, "NotFound")
            assert_error(client.post("/whatif", json={"remove": [text]}), 404, "NotFound")
            assert_error(client.get("/ties", params={"institute": text}), 404, "NotFound")
            assert_error(client.get("/centrality", params={"metric": "degree", "kind": text}), 422, "ValidationError", parameter="kind")
    assert reads.snapshot(neo4j_store) == before


def test_a_workbook_over_bolt_holds_the_same_tables_as_on_sqlite_and_neo4j_s_data_version(neo4j_store, client, tmp_path):
    import io

    from openpyxl import load_workbook

    load_path(neo4j_store, write_dataset(tmp_path / "dataset"))
    with TestClient(create_app(Settings(store=neo4j_store.uri), store=neo4j_store)) as bolt:
        on_neo4j = load_workbook(io.BytesIO(bolt.get("/regions/sz/gaps", params={"min_firms": 1, "format": "xlsx"}).content))
        on_sqlite = load_workbook(io.BytesIO(client.get("/regions/sz/gaps", params={"min_firms": 1, "format": "xlsx"}).content))
    assert on_neo4j.sheetnames == on_sqlite.sheetnames == ["说明 About", "gaps", "candidates", "stages"]
    for name in on_neo4j.sheetnames[1:]:
        assert [[c.value for c in row] for row in on_neo4j[name].iter_rows()] == [[c.value for c in row] for row in on_sqlite[name].iter_rows()]
    about = {row[0].value: row[1].value for row in on_neo4j["说明 About"].iter_rows()}
    assert about["data version"] == neo4j_store.version()
