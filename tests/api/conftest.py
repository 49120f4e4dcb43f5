"""A tiny chain whose every answer is worked out by hand in the tests, and apps serving it.

    stages   pta → poly → spin → weave → dye        (FEEDS)
    regions  js ⊃ sz;  tm
    sz       e1 恒力 (poly, spin)   e2 盛虹 (pta)   e3 盛泽印染 (dye)       — weave missing
    tm       e4 天门织造 (weave, revenue 100, 10 employees)
    supplies e2 → e1 (pta), e1 → e4 (spin), e4 → e3 (weave)
    ties     e1 — u1 东华大学, e4 — u1
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path

FILES = {
    "stages": (
        "id,name,tier,parent,aliases\n"
        "pta,精对苯二甲酸,upstream,,PTA\n"
        "poly,聚合,upstream,,polymerisation\n"
        "spin,纺丝,midstream,,spinning\n"
        "weave,织造,midstream,,weaving\n"
        "dye,印染,downstream,,dyeing\n"
    ),
    "stage_links": "source,target\npta,poly\npoly,spin\nspin,weave\nweave,dye\n",
    "regions": "id,name,parent,level\njs,江苏省,,province\nsz,盛泽镇,js,town\ntm,天门市,,city\n",
    "enterprises": (
        "id,name,region,park,revenue_cny,employees\n"
        "e1,恒力集团,sz,,,\n"
        "e2,盛虹集团,sz,,,\n"
        "e3,盛泽印染厂,sz,,,\n"
        "e4,天门织造厂,tm,,100,10\n"
    ),
    "enterprise_stages": "enterprise,stage\ne1,poly\ne1,spin\ne2,pta\ne3,dye\ne4,weave\n",
    "supplies": "supplier,customer,stage\ne2,e1,pta\ne1,e4,spin\ne4,e3,weave\n",
    "institutes": "id,name,kind,region\nu1,东华大学,university,js\n",
    "ties": "enterprise,institute,kind\ne1,u1,project\ne4,u1,training\n",
}
API_KEY = "test-key-0123456789"


def write_dataset(folder: Path, **overrides: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {**FILES, **overrides}
    for name, text in files.items():
        if text is not None:
            (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def zip_bytes(**overrides: str | None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in {**FILES, **overrides}.items():
            if text is not None:
                archive.writestr(f"{name}.csv", text)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    path = folder / "chainx.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, write_dataset(folder / "dataset"))
    return path


@pytest.fixture
def db_path(template_db, tmp_path) -> Path:
    """A store of the tiny chain of this test's own (a copy: loading costs fsyncs, copying not)."""
    path = tmp_path / "chainx.db"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
def make_client(db_path):
    """Build a client over the tiny chain; keyword arguments override settings."""
    clients = []

    def make(**overrides) -> TestClient:
        settings = Settings(store=str(overrides.pop("store", db_path)), **overrides)
        client = TestClient(create_app(settings))
        client.__enter__()  # runs the lifespan: the store is opened as when served
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


@pytest.fixture
def writer(make_client) -> TestClient:
    """A client of an app with writes enabled, sending the right key."""
    client = make_client(api_key=API_KEY)
    client.headers["X-API-Key"] = API_KEY
    return client


def assert_error(response, status: int, type_: str, *, contains: str = "", parameter: str | None = None) -> dict:
    """The response is the API's error shape with this status and type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["type"] == type_, error
    assert contains in error["message"], error
    assert "Traceback" not in response.text
    if parameter is not None:
        assert error.get("parameter") == parameter, error
    return error
