"""Part 7: every limit is enforced, with a 4xx (API) or a clear one-line error (CLI).

Request and upload size (declared and streamed), neighbourhood depth, top-k and page sizes, the
number of regions or ids in one request, the length of ids and search text, betweenness samples,
and the size of an exact betweenness: on a graph of 3,061 nodes and ~9,000 edges the compiled
engine's estimate (about a second) is far over a limit of 50 ms set on the API and the CLI, so it
is refused (with the sample size that would fit) rather than run.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph.analysis.centrality import MAX_TOP, affordable_k, analysis_graph, estimate_seconds
from graph.analysis.paths import MAX_DEPTH, MAX_NEIGHBORS
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path

from .test_crash import make_dataset

API_KEY = "limits-key-0123456789"
BODY_LIMIT = 2_000
UPLOAD_LIMIT = 20_000
CENTRALITY_LIMIT = 0.05  # seconds: exact betweenness and closeness of big_db are estimated well above it


@pytest.fixture(scope="module")
def big_db(tmp_path_factory) -> Path:
    """3,000 enterprises in 40 stages and 21 regions, each supplying another."""
    root = tmp_path_factory.mktemp("limits")
    with SqliteStore(root / "chainx.db", create=True) as store:
        load_path(store, make_dataset(root / "dataset", 3000, "大"))
    return root / "chainx.db"


@pytest.fixture(scope="module")
def client(big_db):
    """The app with small body and centrality-time limits (the others as configured by default)."""
    settings = Settings(store=str(big_db), api_key=API_KEY, max_body_bytes=BODY_LIMIT, max_upload_bytes=UPLOAD_LIMIT,
                        max_centrality_seconds=CENTRALITY_LIMIT)
    with TestClient(create_app(settings)) as client:
        client.headers["X-API-Key"] = API_KEY
        yield client


@pytest.fixture(scope="module")
def default_client(big_db):
    """The app as configured by default: its 1 MiB body limit lets a long list through to the
    model's own limit on it."""
    with TestClient(create_app(Settings(store=str(big_db), api_key=API_KEY))) as client:
        client.headers["X-API-Key"] = API_KEY
        yield client


def chunks(data: bytes, size: int = 1024):
    """A body sent in chunks, with no Content-Length: the limit must hold while it streams."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def upload(size: int) -> tuple[bytes, str]:
    """A multipart body of a .zip ``size`` bytes long (stored, so it stays that size)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("stages.csv", b"id,name\n" + b"x" * size)
    boundary = "limitsboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.zip\"\r\n"
            f"Content-Type: application/zip\r\n\r\n").encode() + buffer.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def whatif_body(ids: int) -> bytes:
    return ('{"remove": [' + ",".join(f'"e{i}"' for i in range(ids)) + "]}").encode()


# name: (method, url, body, headers, status, error type)
def api_cases() -> dict:
    long_body = whatif_body(400)  # ~2.8 KB, over BODY_LIMIT
    assert len(long_body) > BODY_LIMIT
    big_upload, multipart = upload(UPLOAD_LIMIT * 2)
    return {
        "request body, declared": ("POST", "/whatif", long_body, {"content-type": "application/json"}, 413, "PayloadTooLarge"),
        "request body, streamed": ("POST", "/whatif", chunks(long_body), {"content-type": "application/json"}, 413, "PayloadTooLarge"),
        "upload, declared": ("POST", "/datasets", big_upload, {"content-type": multipart}, 413, "PayloadTooLarge"),
        "upload, streamed": ("POST", "/datasets", chunks(big_upload), {"content-type": multipart}, 413, "PayloadTooLarge"),
        "neighbourhood depth": ("GET", f"/nodes/Enterprise/e1/neighbors?depth={MAX_DEPTH + 1}", None, {}, 422, "ValidationError"),
        "neighbourhood size": ("GET", f"/nodes/Enterprise/e1/neighbors?limit={MAX_NEIGHBORS + 1}", None, {}, 422, "ValidationError"),
        "ego view depth": ("GET", f"/views/ego/enterprise/e1?depth={MAX_DEPTH + 1}&format=json", None, {}, 422, "ValidationError"),
        "centrality top-k": ("GET", f"/centrality?metric=degree&top={MAX_TOP + 1}", None, {}, 422, "ValidationError"),
        "ties top-k": ("GET", f"/ties?top={MAX_TOP + 1}", None, {}, 422, "ValidationError"),
        "search page size": ("GET", "/nodes?q=e&limit=1001", None, {}, 422, "ValidationError"),
        "search text length": ("GET", "/nodes?q=" + "x" * 201, None, {}, 422, "ValidationError"),
        "node id length": ("GET", "/nodes/Enterprise/" + "x" * 501, None, {}, 422, "ValidationError"),
        "regions compared at once": ("GET", "/compare?regions=" + ",".join(f"r{i}" for i in range(21)), None, {}, 422, "InvalidParameter"),
        "ids removed at once": ("POST", "/whatif", whatif_body(1001), {"content-type": "application/json"}, 422, "ValidationError"),
        "betweenness samples": ("GET", "/centrality?metric=betweenness&k=1000000", None, {}, 422, "InvalidParameter"),
        "exact betweenness size": ("GET", "/centrality?metric=betweenness", None, {}, 422, "TooExpensive"),
        "exact closeness size": ("GET", "/centrality?metric=closeness", None, {}, 422, "TooExpensive"),
        "write-back of an exact betweenness": ("POST", "/centrality/write-back", b'{"metric": "betweenness"}', {"content-type": "application/json"}, 422, "TooExpensive"),
    }


API_CASES = list(api_cases())


def count(figures: dict, ok: bool) -> None:
    tally = figures.setdefault("limits", {"enforced": 0, "checked": 0})
    tally["checked"] += 1
    tally["enforced"] += ok


@pytest.mark.parametrize("name", API_CASES)
def test_the_api_enforces_the_limit(name, client, default_client, big_db, figures):
    method, url, body, headers, status, error_type = api_cases()[name]
    with SqliteStore(big_db) as store:
        version = store.version()
    sender = default_client if name == "ids removed at once" else client
    response = sender.request(method, url, content=body, headers=headers)
    ok = response.status_code == status and response.json().get("error", {}).get("type") == error_type
    count(figures, ok)
    assert ok, f"{name}: {response.status_code} {response.text[:500]}"
    with SqliteStore(big_db) as store:
        assert store.version() == version, f"{name}: the store changed"


def test_the_exact_betweenness_refusal_says_what_would_fit_and_that_fits(client, big_db, figures):
    with SqliteStore(big_db) as store:
        G = analysis_graph(store, "all")
        k = affordable_k(G, CENTRALITY_LIMIT)
        assert estimate_seconds(G, "betweenness") > 10 * CENTRALITY_LIMIT
        assert 2 < k < G.number_of_nodes() / 10
    message = client.get("/centrality?metric=betweenness").json()["error"]["message"]
    assert f"k={k} fits the limit" in message
    sampled = client.get(f"/centrality?metric=betweenness&k={k}&seed=1&top=5")
    count(figures, sampled.status_code == 200 and sampled.json()["exact"] is False)
    assert sampled.status_code == 200 and sampled.json()["exact"] is False, sampled.text[:500]


CLI_CASES = {
    "depth": (["neighbors", "e1", "--depth", str(MAX_DEPTH + 1)], "Error: depth: must be a whole number from 1 to 3"),
    "top-k": (["centrality", "--metric", "degree", "--top", str(MAX_TOP + 1)], "Error: top: must be a whole number from 1 to 1000"),
    "neighbourhood size": (["neighbors", "e1", "--limit", str(MAX_NEIGHBORS + 1)], "Error: limit: must be a whole number from 1 to 10000"),
    "betweenness samples": (["centrality", "--metric", "betweenness", "--k", "1000000"], "Error: k: 1000000 samples but the 'all' graph has only 3061 nodes"),
    "exact betweenness size": (["centrality", "--metric", "betweenness", "--max-seconds", str(CENTRALITY_LIMIT)], "Error: metric: exact betweenness on 'all' (3,061 nodes"),
}


@pytest.mark.parametrize("name", CLI_CASES)
def test_the_cli_enforces_the_limit_with_one_clear_line(name, big_db, figures):
    args, expected = CLI_CASES[name]
    result = CliRunner().invoke(cli, [*args, "--store", str(big_db)])
    ok = result.exit_code == 1 and result.output.startswith(expected) and result.output.count("\n") == 1
    count(figures, ok)
    assert ok, f"{name}: exit {result.exit_code}: {result.output}"
