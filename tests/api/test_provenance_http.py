"""Provenance over HTTP: GET /datasets, a node's sources, DELETE /datasets/{id} behind the key.

The tiny chain (tests/api/conftest.py) is loaded from a folder named ``dataset``: that is its id.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.api.conftest import API_KEY, assert_error, write_dataset, zip_bytes


def test_the_datasets_are_listed_and_a_node_names_its_sources(client):
    listed = client.get("/datasets")
    assert listed.status_code == 200
    [row] = listed.json()["datasets"]
    assert (row["id"], row["kind"], row["nodes"], row["relationships"]) == ("dataset", "load", 13, 20)
    assert client.get("/nodes/Enterprise/e1").json()["sources"] == ["dataset"]
    assert client.get("/datasets", params={"format": "csv"}).text.splitlines()[0].startswith("id,loaded_from,kind,loaded_at")


def test_unload_takes_the_upload_key(make_client, db_path):
    client = make_client(api_key=API_KEY)
    assert_error(client.delete("/datasets/dataset"), 401, "Unauthorized")
    assert_error(make_client().delete("/datasets/dataset"), 403, "Forbidden")
    with SqliteStore(db_path) as store:
        assert [d.id for d in store.provenance.datasets()] == ["dataset"] and store.counts()[0]


def test_unload_over_http_removes_what_only_that_upload_stated(writer, db_path):
    town = zip_bytes(stages="id,name\n", stage_links=None, regions=None, institutes=None, ties=None, supplies=None,
                     enterprises="id,name,region\nt1,天门新织造,tm\n", enterprise_stages="enterprise,stage\nt1,weave\n")
    loaded = writer.post("/datasets", files={"file": ("tianmen.zip", town, "application/zip")})
    assert loaded.status_code == 200 and loaded.json()["dataset"] == "tianmen", loaded.text
    again = writer.post("/datasets", files={"file": ("tianmen.zip", town, "application/zip")})
    assert again.json()["unchanged"] is True and again.json()["changed"] is False
    assert [d["id"] for d in writer.get("/datasets").json()["datasets"]] == ["dataset", "tianmen"]
    assert_error(writer.delete("/datasets/tianmin"), 404, "NotFound", contains="did you mean 'tianmen'")
    done = writer.delete("/datasets/tianmen")
    assert done.status_code == 200, done.text
    # t1, its LOCATED_IN tm and its OPERATES_IN weave
    assert (done.json()["removed_nodes"], done.json()["removed_relationships"]) == (1, 2)
    assert_error(writer.get("/nodes/Enterprise/t1"), 404, "NotFound")
    assert [d["id"] for d in writer.get("/datasets").json()["datasets"]] == ["dataset"]


@pytest.mark.neo4j
def test_sources_and_unload_over_http_on_neo4j(neo4j_store, tmp_path):
    load_path(neo4j_store, write_dataset(tmp_path / "dataset"))
    load_path(neo4j_store, write_dataset(tmp_path / "tianmen", stages="id,name\n", stage_links=None, regions=None, institutes=None,
                                         ties=None, supplies=None, enterprises="id,name,region\nt1,天门新织造,tm\n",
                                         enterprise_stages="enterprise,stage\nt1,weave\n"))
    settings = Settings(store=neo4j_store.uri, api_key=API_KEY)
    with TestClient(create_app(settings, store=neo4j_store), headers={"X-API-Key": API_KEY}) as client:
        assert client.get("/nodes/Enterprise/t1").json()["sources"] == ["tianmen"]
        assert client.get("/nodes/Region/tm").json()["sources"] == ["dataset"]
        done = client.delete("/datasets/tianmen")
        assert done.status_code == 200, done.text
        # t1, its LOCATED_IN tm and its OPERATES_IN weave
        assert (done.json()["removed_nodes"], done.json()["removed_relationships"]) == (1, 2)
        assert_error(client.get("/nodes/Enterprise/t1"), 404, "NotFound")
        assert [d["id"] for d in client.get("/datasets").json()["datasets"]] == ["dataset"]
