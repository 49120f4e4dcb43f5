"""Writes: the API key, dataset uploads (all or nothing), centrality write-back, size limits."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from graph.store import reads
from graph.store.sqlite import SqliteStore
from tests.api.conftest import API_KEY, FILES, assert_error, zip_bytes

# A firm in sz that weaves: fills the gap of the tiny chain.
WEAVER = {
    "enterprises": FILES["enterprises"] + "e5,盛泽织造,sz,,,\n",
    "enterprise_stages": FILES["enterprise_stages"] + "e5,weave\n",
}


def upload(client, data: bytes, name: str = "dataset.zip", **params):
    return client.post("/datasets", params=params, files={"file": (name, data, "application/zip")})


def store_state(path):
    with SqliteStore(path) as store:
        return store.version(), reads.snapshot(store)


WRITES = [
    ("/datasets", {"files": {"file": ("d.zip", b"PK", "application/zip")}}),
    ("/centrality/write-back", {"json": {"metric": "degree"}}),
]


@pytest.mark.parametrize("url, request_kwargs", WRITES)
def test_writes_are_disabled_without_a_configured_key(client, url, request_kwargs):
    assert_error(client.post(url, **request_kwargs), 403, "Forbidden", contains="writes are disabled")
    assert_error(client.post(url, headers={"X-API-Key": "anything"}, **request_kwargs), 403, "Forbidden")


@pytest.mark.parametrize("url, request_kwargs", WRITES)
@pytest.mark.parametrize("key", [None, "", "wrong", API_KEY + "x", API_KEY[:-1]])
def test_writes_refuse_a_missing_or_wrong_key(make_client, db_path, url, request_kwargs, key):
    client = make_client(api_key=API_KEY)
    before = store_state(db_path)
    headers = {} if key is None else {"X-API-Key": key}
    assert_error(client.post(url, headers=headers, **request_kwargs), 401, "Unauthorized")
    assert store_state(db_path) == before


def test_reads_stay_open_with_a_key_configured(make_client):
    client = make_client(api_key=API_KEY)
    assert client.get("/stats").status_code == 200
    assert client.get("/regions/sz/gaps").status_code == 200


def test_an_empty_key_setting_means_writes_are_off(make_client):
    client = make_client(api_key="  ")
    assert_error(client.post("/centrality/write-back", json={"metric": "degree"}, headers={"X-API-Key": "  "}), 403, "Forbidden")


def test_uploading_a_dataset_changes_the_graph_and_the_reports(writer, db_path):
    assert [g["stage"] for g in writer.get("/regions/sz/gaps", params={"min_firms": 1}).json()["gaps"]] == ["weave"]
    response = upload(writer, zip_bytes(**WEAVER))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["nodes"], body["relationships"], body["changed"], body["replaced"]) == (14, 22, True, False)
    assert body["version"] == store_state(db_path)[0] == writer.get("/health").json()["version"]
    # the cached gaps report of the old version is not served again
    assert writer.get("/regions/sz/gaps", params={"min_firms": 1}).json()["gaps"] == []
    assert writer.get("/nodes/Enterprise/e5").json()["name"] == "盛泽织造"
    again = upload(writer, zip_bytes(**WEAVER)).json()
    assert again["changed"] is False and again["version"] == body["version"]


def test_uploading_with_replace_swaps_the_graph(writer):
    only_stages = {name: None for name in FILES if name != "stages"}
    body = upload(writer, zip_bytes(**only_stages), replace="true").json()
    assert body["replaced"] is True and body["nodes"] == 5
    assert writer.get("/stats").json()["total_nodes"] == 5


def test_an_xlsx_workbook_uploads_too(writer, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "stages"
    for row in [["id", "name"], ["knit", "针织"]]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(writer, buffer.getvalue(), name="more.xlsx")
    assert response.status_code == 200, response.text
    assert writer.get("/nodes/Stage/knit").json()["name"] == "针织"


def test_a_broken_dataset_lists_every_problem_and_leaves_the_store_unchanged(writer, db_path):
    before = store_state(db_path)
    broken = zip_bytes(enterprise_stages="enterprise,stage\ne1,nowhere\n", enterprises=FILES["enterprises"] + "e9,,sz,,-5,\n")
    error = assert_error(upload(writer, broken), 422, "DatasetError", contains="nothing was loaded")
    problems = error["problems"]
    located = {(p["file"], p["line"], p["column"]) for p in problems}
    assert ("enterprise_stages.csv", 2, "stage") in located
    assert ("enterprises.csv", 6, "name") in located
    assert ("enterprises.csv", 6, "revenue_cny") in located
    assert all(set(p) == {"file", "line", "column", "message"} and p["message"] for p in problems)
    assert store_state(db_path) == before


def test_a_file_that_is_not_a_zip_is_a_dataset_error(writer, db_path):
    before = store_state(db_path)
    error = assert_error(upload(writer, b"this is not a zip archive"), 422, "DatasetError")
    assert error["problems"]
    assert store_state(db_path) == before


@pytest.mark.parametrize(
    "request_kwargs, contains",
    [
        ({"files": {"file": ("notes.txt", b"hello", "text/plain")}}, ".zip or .xlsx"),
        ({"files": {"other": ("d.zip", b"PK", "application/zip")}}, "field named 'file'"),
        ({"json": {"file": "d.zip"}}, "field named 'file'"),
    ],
)
def test_an_upload_without_a_zip_or_xlsx_file_is_refused(writer, request_kwargs, contains):
    assert_error(writer.post("/datasets", **request_kwargs), 422, "InvalidParameter", contains=contains, parameter="file")


def test_an_upload_over_the_limit_is_413_and_changes_nothing(make_client, db_path):
    client = make_client(api_key=API_KEY, max_upload_bytes=2_000)
    client.headers["X-API-Key"] = API_KEY
    before = store_state(db_path)
    padding = "x" * 5_000  # a long description makes the zip bigger than the limit
    big = zip_bytes(stages=FILES["stages"].replace("PTA\n", f'"PTA","{padding}"\n').replace("aliases\n", "aliases,description\n"))
    assert len(big) > 2_000
    assert_error(upload(client, big), 413, "PayloadTooLarge", contains="2,000 bytes")
    # the same multipart body streamed without a Content-Length is cut off at the limit too
    prepared = httpx.Request("POST", "http://test/datasets", files={"file": ("dataset.zip", big, "application/zip")})
    body = prepared.read()
    streamed = client.post("/datasets", content=(body[i : i + 500] for i in range(0, len(body), 500)),
                           headers={"content-type": prepared.headers["content-type"]})
    assert "content-length" not in streamed.request.headers
    assert_error(streamed, 413, "PayloadTooLarge")
    assert store_state(db_path) == before
    assert upload(client, zip_bytes()).status_code == 200  # under the limit it goes through


def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(make_client):
    client = make_client(max_body_bytes=1_000)
    body = json.dumps({"remove": ["e1"] * 300}).encode()
    assert len(body) > 1_000
    declared = client.post("/whatif", content=body, headers={"content-type": "application/json"})
    assert_error(declared, 413, "PayloadTooLarge", contains="1,000 bytes")

    def chunks():  # no Content-Length: the limit must hold while the body streams in
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    streamed = client.post("/whatif", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in streamed.request.headers
    assert_error(streamed, 413, "PayloadTooLarge")
    small = client.post("/whatif", json={"remove": ["e2"]})
    assert small.status_code == 200


def test_write_back_stores_the_values_on_every_node(writer, db_path):
    before = store_state(db_path)[0]
    response = writer.post("/centrality/write-back", json={"metric": "degree", "graph": "supply"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["property"], body["nodes"]) == ("centrality_degree_supply", 4)
    assert body["version"] != before
    # degree centrality of the supply line e2 → e1 → e4 → e3: inner firms 2/3, ends 1/3
    props = {node: writer.get(f"/nodes/Enterprise/{node}").json()["props"]["centrality_degree_supply"] for node in ("e1", "e2", "e3", "e4")}
    assert props == pytest.approx({"e1": 2 / 3, "e2": 1 / 3, "e3": 1 / 3, "e4": 2 / 3})


def test_write_back_validates_its_body(writer):
    assert_error(writer.post("/centrality/write-back", json={"metric": "fame"}), 422, "ValidationError", parameter="metric")
    assert_error(writer.post("/centrality/write-back", json={"metric": "degree", "k": 2}), 422, "InvalidParameter", parameter="k")


def test_a_dry_run_upload_reports_every_change_and_writes_nothing(writer, db_path):
    before = db_path.read_bytes()
    # e4 gets an employee count of 12 (was 10); the stage weave renamed (a definition: kept)
    changed = zip_bytes(enterprises=FILES["enterprises"].replace("e4,天门织造厂,tm,,100,10", "e4,天门织造厂,tm,,100,12"),
                        stages=FILES["stages"].replace("weave,织造,", "weave,机织,"))
    response = upload(writer, changed, dry_run="true")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True and body["changed"] is True
    assert body["changed_properties"] == [{"kind": "Enterprise", "id": "e4", "name": "天门织造厂", "property": "employees", "old": 10, "new": 12}]
    assert body["kept"] == [{"kind": "Stage", "id": "weave", "name": "织造", "property": "name", "store": "织造", "dataset": "机织"}]
    assert (body["new_nodes"], body["new_relationships"]) == (0, 0)
    assert db_path.read_bytes() == before
    # for real, with update_existing: both changes written, the report the same
    written = upload(writer, changed, update_existing="true").json()
    assert written["dry_run"] is False and written["kept"] == []
    assert {(c["id"], c["property"], c["old"], c["new"]) for c in written["changed_properties"]} == {("e4", "employees", 10, 12), ("weave", "name", "织造", "机织")}
    with SqliteStore(db_path) as store:
        assert reads.get_node(store, "weave").name == "机织" and reads.get_node(store, "e4").props["employees"] == 12

