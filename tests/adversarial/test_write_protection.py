"""Part 8: write protection, over every operation the app's OpenAPI schema lists.

Every operation that is not a GET is tried with the right key, with none, with a wrong one
(and the right one in the wrong place): an operation that changes the store with the right key
is a write, and must refuse the others (401) leaving the store as it was; one that changes
nothing is a read and stays open. With no CHAINX_API_KEY set (or an empty one), writes are off
(403) whatever key is sent. Every GET answers without a key. The key is compared with
``hmac.compare_digest`` (api/deps.py), which this suite cannot time reliably and does not try to.
"""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.store.sqlite import SqliteStore

from .corpus import BASE

KEY = "write-protection-key-0123456789"
WRONG_KEYS = {
    "none": {},
    "wrong": {"X-API-Key": "not-the-key"},
    "empty": {"X-API-Key": ""},
    "case changed": {"X-API-Key": KEY.upper()},
    "with a space": {"X-API-Key": KEY + " "},
    "a prefix": {"X-API-Key": KEY[:-1]},
    "in the query": {},  # sent as ?api_key=... and ?X-API-Key=...: only the header counts
    "as a bearer token": {"Authorization": f"Bearer {KEY}"},
}

SCHEMA = create_app(Settings(store="unused.db")).openapi()
OPERATIONS = [(method.upper(), path) for path, item in SCHEMA["paths"].items() for method in item]
NOT_GET = [op for op in OPERATIONS if op[0] != "GET"]
GETS = [op for op in OPERATIONS if op[0] == "GET"]


def dataset_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for stem, text in BASE.items():
            archive.writestr(f"{stem}.csv", text)
    return buffer.getvalue()


# A well-formed request for each operation that is not a GET: a new one fails the test until it
# is added here, so no write endpoint goes unchecked.
REQUESTS = {
    ("POST", "/datasets"): lambda: {"files": {"file": ("town.zip", dataset_zip(), "application/zip")}},
    ("POST", "/centrality/write-back"): lambda: {"json": {"metric": "degree", "graph": "all"}},
    ("POST", "/whatif"): lambda: {"json": {"remove": ["e_hengli_group"]}},
    ("POST", "/chains"): lambda: {"json": {"id": "saved_chain", "name": "保存的链", "source": "pta", "sink": "garments"}},
    ("DELETE", "/datasets/{dataset_id}"): lambda: {},
}
# Paths with parameters, of the operations that are not a GET
WRITE_URLS = {("DELETE", "/datasets/{dataset_id}"): "/datasets/textile"}  # the store's one dataset, data/textile
# Values for the path and required query parameters of every GET
GET_URLS = {
    "/chains/{chain}": "/chains/polyester_garments",
    "/nodes/{kind}/{node_id}/neighbors": "/nodes/Enterprise/e_hengli_group/neighbors",
    "/nodes/{kind}/{node_id}": "/nodes/Enterprise/e_hengli_group",
    "/paths": "/paths?from=e_hengli_group&to=px",
    "/regions/{region}/gaps": "/regions/tianmen/gaps",
    "/regions/{region}/related": "/regions/shengze/related",
    "/views/related": "/views/related?region=shengze",
    "/compare": "/compare?regions=shengze,tianmen",
    "/centrality": "/centrality?metric=degree",
    "/views/chain": "/views/chain?region=tianmen",
    "/views/compare": "/views/compare?regions=shengze,tianmen",
    "/views/ego/{kind}/{node_id}": "/views/ego/enterprise/e_hengli_group",
    "/diff": "/diff?from=2020-01-01&to=2024-01-01",
    "/views/snapshot": "/views/snapshot?region=tianmen&from=2020-01-01&to=2024-01-01",
    "/regions/{region}/report": "/regions/tianmen/report?format=html",
    "/views/panorama": "/views/panorama?region=tianmen",
}


def tally(figures: dict) -> dict:
    return figures.setdefault("write_protection", {"endpoints": len(NOT_GET), "writes": 0, "open": 0, "reads_open": 0, "gets": len(GETS)})


@pytest.fixture
def make_client(textile_db):
    clients = []

    def make(api_key: str | None) -> TestClient:
        client = TestClient(create_app(Settings(store=str(textile_db), api_key=api_key)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def version(db) -> str:
    with SqliteStore(db) as store:
        return store.version()


@pytest.mark.parametrize("operation", NOT_GET, ids=[f"{m} {p}" for m, p in NOT_GET])
def test_a_write_refuses_a_missing_or_wrong_key_and_a_read_stays_open(operation, make_client, textile_db, textile_template, figures):
    assert operation in REQUESTS, f"{operation}: a new operation; add a well-formed request for it to REQUESTS"
    method, path = operation
    url_of = WRITE_URLS.get(operation, path)
    client = make_client(KEY)
    before = version(textile_db)
    refusals = {}
    for name, headers in WRONG_KEYS.items():
        url = f"{url_of}?api_key={KEY}&X-API-Key={KEY}" if name == "in the query" else url_of
        response = client.request(method, url, headers=headers, **REQUESTS[operation]())
        refusals[name] = (response.status_code, version(textile_db) != before)

    # with the right key: does it write?
    response = client.request(method, url_of, headers={"X-API-Key": KEY}, **REQUESTS[operation]())
    assert response.status_code == 200, response.text[:500]
    writes = version(textile_db) != before
    declared = "security" in SCHEMA["paths"][path][method.lower()]
    tally(figures)["writes"] += writes
    if writes:
        wrong = {name: r for name, r in refusals.items() if r != (401, False)}
        tally(figures)["open"] += bool(wrong)
        assert not wrong, f"{operation} let a write through or answered otherwise: {wrong}"
        assert declared, f"{operation} writes but its schema does not say it needs the key"
    else:
        tally(figures)["reads_open"] += all(status == 200 for status, _ in refusals.values())
        assert all(r == (200, False) for r in refusals.values()), f"{operation} is a read but refused: {refusals}"

    # with no key configured (or an empty one), writes are off, whatever is sent
    shutil.copyfile(textile_template, textile_db)
    before = version(textile_db)
    for configured in (None, "", "   "):
        off = make_client(configured)
        for headers in ({}, {"X-API-Key": KEY}, {"X-API-Key": ""}):
            response = off.request(method, url_of, headers=headers, **REQUESTS[operation]())
            if writes:
                assert response.status_code == 403 and response.json()["error"]["type"] == "Forbidden", response.text[:300]
            assert version(textile_db) == before


@pytest.mark.parametrize("operation", GETS, ids=[p for _, p in GETS])
def test_every_read_answers_without_a_key(operation, make_client, figures):
    _, path = operation
    client = make_client(KEY)
    statuses = [client.get(GET_URLS.get(path, path), headers=headers).status_code for headers in ({}, {"X-API-Key": "wrong"})]
    tally(figures)["reads_open"] += statuses == [200, 200]
    assert statuses == [200, 200], f"{path}: {statuses}"
