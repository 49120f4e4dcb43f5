"""The app itself: one error shape, no tracebacks, CORS, OpenAPI, settings, a store that goes away."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.store import StoreHandle
from graph.cache import clear_all
from graph.errors import StoreUnavailable
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.api.conftest import assert_error, write_dataset

ROOT = Path(__file__).resolve().parents[2]


def test_the_error_shape_is_the_same_for_every_kind_of_error(client):
    cases = [
        (client.get("/regions/atlantis/gaps"), 404, "NotFound", {"type", "message"}),
        (client.get("/centrality", params={"metric": "in_degree", "graph": "all"}), 422, "InvalidParameter", {"type", "message", "parameter"}),
        (client.get("/centrality", params={"metric": "degree", "top": 5000}), 422, "ValidationError", {"type", "message", "parameter"}),
        (client.post("/datasets"), 403, "Forbidden", {"type", "message"}),
        (client.get("/no/such/thing"), 404, "NotFound", {"type", "message"}),
        (client.delete("/stats"), 405, "MethodNotAllowed", {"type", "message"}),
    ]
    for response, status, type_, keys in cases:
        error = assert_error(response, status, type_)
        assert set(error) == keys, error


def test_an_unexpected_error_is_a_generic_500_without_details(db_path, caplog):
    app = create_app(Settings(store=str(db_path)))

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR, "chainx.api"):
        response = client.get("/boom")
    assert_error(response, 500, "InternalError", contains="server log")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert "secret internals" in caplog.text  # kept for the operator


def test_cors_is_off_unless_configured(make_client):
    preflight = {"Origin": "https://other.example", "Access-Control-Request-Method": "GET"}
    plain = make_client()
    assert "access-control-allow-origin" not in plain.get("/stats", headers={"Origin": "https://other.example"}).headers
    assert "access-control-allow-origin" not in plain.options("/stats", headers=preflight).headers
    allowed = make_client(cors_origins=["https://app.example"])
    assert allowed.get("/stats", headers={"Origin": "https://app.example"}).headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in allowed.get("/stats", headers={"Origin": "https://other.example"}).headers


def test_settings_come_from_chainx_variables(monkeypatch):
    monkeypatch.setenv("CHAINX_STORE", "elsewhere.db")
    monkeypatch.setenv("CHAINX_API_KEY", "k")
    monkeypatch.setenv("CHAINX_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("CHAINX_MAX_UPLOAD_BYTES", "123")
    settings = Settings()
    assert settings.store == "elsewhere.db" and settings.api_key.get_secret_value() == "k"
    assert settings.cors_origins == ["https://a.example", "https://b.example"] and settings.max_upload_bytes == 123
    assert "'k'" not in repr(settings)  # a secret: never printed in logs or tracebacks
    monkeypatch.setenv("CHAINX_API_KEY", "")
    assert Settings().api_key is None and not Settings().writes_enabled


def test_importing_the_app_does_no_work():
    # no store opened, no settings read: importing with a store address that cannot work is fine
    code = "import api.app, api.routes.analyses, api.routes.nodes, api.routes.datasets; print('ok')"
    env = {"CHAINX_STORE": "bolt://127.0.0.1:1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_the_routes_are_built_when_the_app_starts_not_on_the_event_loop_of_a_first_request(db_path):
    # FastAPI builds a router's routes on the first request that reaches it, on the event loop
    # (/health waited on it: issue 15); the schema, made before serving, walks every one of them
    app = create_app(Settings(store=str(db_path)))
    assert app.openapi_schema is None
    with TestClient(app) as client:
        assert app.openapi_schema is not None
        assert client.get("/openapi.json").json() == app.openapi_schema


def test_openapi_documents_every_operation_and_its_errors(client):
    schema = client.get("/openapi.json").json()
    assert "ErrorResponse" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if "views" in operation.get("tags", ()):
                continue  # HTML pages: tests/viz checks them
            responses = operation["responses"]
            assert "200" in responses, (method, path)
            assert operation.get("summary") and operation.get("description"), (method, path)
            for status in ("422", "503"):
                if status in responses:
                    ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorResponse"), (method, path, status)
    assert schema["paths"]["/datasets"]["post"]["security"] == [{"ApiKey": []}]
    assert "text/csv" in schema["paths"]["/centrality"]["get"]["responses"]["200"]["content"]
    assert client.get("/docs").status_code == 200


def test_a_missing_store_is_503_and_the_app_recovers_when_it_appears(tmp_path):
    path = tmp_path / "later.db"
    with TestClient(create_app(Settings(store=str(path), store_retry_seconds=0))) as client:
        assert_error(client.get("/health"), 503, "StoreUnavailable", contains="unavailable")
        assert_error(client.get("/regions/sz/gaps"), 503, "StoreUnavailable")
        with SqliteStore(path, create=True) as store:
            load_path(store, write_dataset(tmp_path / "dataset"))
        assert client.get("/health").status_code == 200
        assert client.get("/regions/sz/gaps").status_code == 200


def test_a_store_failing_mid_session_is_dropped_and_reopened(make_client, monkeypatch):
    client = make_client(store_retry_seconds=0)
    handle = client.app.state.store_handle
    broken = handle.get()

    def unavailable(*args, **kwargs):
        raise StoreUnavailable("connection reset")

    # the connection fails as the request starts reading (its snapshot) or while it reads
    monkeypatch.setattr(broken, "reading", unavailable)
    monkeypatch.setattr(broken, "counts", unavailable)
    assert_error(client.get("/stats"), 503, "StoreUnavailable", contains="connection reset")
    assert client.get("/stats").status_code == 200  # a fresh connection, not the broken one
    assert handle.get() is not broken
    # failing while the snapshot reads drops the store just the same
    second = handle.get()
    clear_all()  # the answer is not served from the report cache: it reads
    with monkeypatch.context() as patch:
        patch.setattr(SqliteStore, "counts", unavailable)
        assert_error(client.get("/stats"), 503, "StoreUnavailable", contains="connection reset")
    assert client.get("/stats").status_code == 200
    assert handle.get() is not second


class FakeStore:
    uri = "fake"

    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True


def test_the_store_handle_waits_before_retrying_and_never_closes_a_lent_store(monkeypatch):
    attempts = []
    clock = [100.0]
    monkeypatch.setattr("api.store.time.monotonic", lambda: clock[0])

    def opener():
        attempts.append(clock[0])
        if len(attempts) == 1:
            raise StoreUnavailable("down")
        return FakeStore()

    handle = StoreHandle(opener, retry_seconds=5)
    with pytest.raises(StoreUnavailable):
        handle.get()
    with pytest.raises(StoreUnavailable, match="down"):
        handle.get()  # within the wait: no new attempt
    assert len(attempts) == 1
    clock[0] += 5
    store = handle.get()
    assert len(attempts) == 2 and handle.get() is store
    with handle.writer() as writer:
        assert writer is not store  # writes go through a connection of their own
    assert writer.closed and not store.closed
    handle.close()
    assert store.closed

    lent = FakeStore()
    borrowed = StoreHandle(store=lent)
    borrowed.drop(lent)
    borrowed.close()
    assert borrowed.get() is lent and not lent.closed
