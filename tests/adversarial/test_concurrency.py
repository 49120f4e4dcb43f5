"""Many writers, one store: concurrent loads serialise on both stores.

A load validates against what the store holds, then writes. Each test here holds a load between
the two (with a barrier in the pipeline's ``on_validated``) while another load writes, so the
race window is hit on every run, never by luck or by sleeping. The second load must then either
be validated again against the new graph (and load or be refused clearly), never write onto a
graph it was not checked against.
"""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.errors import DatasetError, StoreChanged, StoreError
from graph.model import GraphData, Node, Relationship
from graph.store import reads
from graph.store.neo4j import Neo4jStore
from graph.store.sqlite import SqliteStore
from loaders.pipeline import LOAD_TRIES, load_path
from tests.api.conftest import API_KEY, FILES, write_dataset, zip_bytes

BARRIER_SECONDS = 120  # a bound on a broken test, never a timing assertion

# A town of its own on top of the tiny chain (tests/api/conftest.py): it names the chain's stage
# weave, region tm and enterprise e4.
TOWN = {
    "stages": None, "stage_links": None, "supplies": None, "institutes": None, "ties": None, "regions": None,
    "enterprises": "id,name,region\nt1,天门新织造,tm\n",
    "enterprise_stages": "enterprise,stage\nt1,weave\n",
}
# A graph with none of that: what a --replace swaps in while the town is being validated.
OTHER = {name: None for name in FILES} | {"stages": "id,name\nx,别的环节\ncollide,碰撞环节\n"}


def town_files(**extra: str) -> dict:
    """TOWN as files for write_dataset, stages.csv included (it is required)."""
    files = {**TOWN, **extra}
    files["stages"] = files.get("stages") or "id,name\n"
    return files


_opened: list = []


def another(store):
    """A second connection to the same store, as a second process would have (closed after the test)."""
    if isinstance(store, SqliteStore):
        second = SqliteStore(store.path)
    else:
        second = Neo4jStore(store.uri, user=store.user, password=store._password, database=store.database)
    _opened.append(second)
    return second


@pytest.fixture(autouse=True)
def _close_connections():
    yield
    while _opened:
        _opened.pop().close()


def dangling(store) -> list[tuple]:
    """Relationships whose ends are not nodes of the graph: what a race used to leave."""
    ids = {node.id for node in store.nodes()}
    return [rel.identity for rel in store.relationships() if rel.source not in ids or rel.target not in ids]


class Held:
    """An ``on_validated`` hook that holds the first validation until ``release`` is set, after
    telling ``validated``; later validations (after the store changed) pass straight through."""

    def __init__(self):
        self.validated = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, data) -> None:
        self.calls += 1
        if self.calls == 1:
            self.validated.set()
            assert self.release.wait(BARRIER_SECONDS), "the other load never finished"


def in_thread(target, *args, **kwargs) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = target(*args, **kwargs)
        except BaseException as error:  # handed to the test's own thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.fixture
def tiny(store, tmp_path):
    load_path(store, write_dataset(tmp_path / "tiny"))
    return store


def count_load(figures, corrupt: bool) -> None:
    part = figures.setdefault("concurrency", {"loads": 0, "corrupt": 0, "reads": 0, "mixed": 0})
    part["loads"] += 2
    part["corrupt"] += int(corrupt)


def test_a_load_validated_before_a_replace_is_validated_again_and_refused(tiny, tmp_path, figures):
    town = write_dataset(tmp_path / "town", **town_files())
    other = write_dataset(tmp_path / "other", **OTHER)
    held = Held()
    thread, outcome = in_thread(load_path, another(tiny), town, on_validated=held)
    assert held.validated.wait(BARRIER_SECONDS)
    # the town has been checked against the tiny chain; now the chain goes away under it
    load_path(tiny, other, replace=True)
    held.release.set()
    thread.join()
    expected = {"x", "collide"}
    problems = outcome.get("error")
    count_load(figures, corrupt=not isinstance(problems, DatasetError) or bool(dangling(tiny)))
    assert isinstance(problems, DatasetError), outcome
    text = str(problems)  # from validating again, against the new graph (the first one passed)
    assert "unknown region 'tm'" in text and "unknown stage 'weave'" in text, text
    assert {node.id for node in tiny.nodes()} == expected and dangling(tiny) == []


def test_an_id_taken_by_another_kind_meanwhile_is_refused_naming_both(tiny, tmp_path, figures):
    # the town defines an Enterprise collide (with a supply out of it) that the tiny chain does not
    # know; the replace that gets in first makes collide a Stage
    town = write_dataset(tmp_path / "town", **town_files(
        enterprises="id,name,region\nt1,天门新织造,tm\ncollide,碰撞厂,tm\n",
        supplies="supplier,customer\ncollide,t1\n"))
    held = Held()
    thread, outcome = in_thread(load_path, another(tiny), town, on_validated=held)
    assert held.validated.wait(BARRIER_SECONDS)
    load_path(tiny, write_dataset(tmp_path / "other", **OTHER), replace=True)
    held.release.set()
    thread.join()
    error = outcome.get("error")
    count_load(figures, corrupt=not isinstance(error, DatasetError) or bool(dangling(tiny)))
    assert isinstance(error, DatasetError), outcome
    assert "enterprises.csv:3: id: id 'collide' is already used by a Stage in the store and cannot also be an Enterprise" in str(error)
    assert next(tiny.nodes(ids=["collide"])).label == "Stage"
    assert not list(tiny.relationships(["SUPPLIES"]))


def test_two_loads_validated_at_once_both_load_one_after_the_other(tiny, tmp_path, figures):
    first = write_dataset(tmp_path / "a", **town_files())
    second = write_dataset(tmp_path / "b", **town_files(enterprises="id,name,region\nt2,盛泽新印染,sz\n",
                                                         enterprise_stages="enterprise,stage\nt2,dye\n"))
    both = threading.Barrier(2, timeout=BARRIER_SECONDS)
    calls = []

    def hold(data) -> None:
        calls.append(data)
        if len(calls) <= 2:
            both.wait()  # each has validated against the same version before either writes

    a, a_out = in_thread(load_path, another(tiny), first, on_validated=hold)
    b, b_out = in_thread(load_path, another(tiny), second, on_validated=hold)
    a.join()
    b.join()
    count_load(figures, corrupt="error" in a_out or "error" in b_out or bool(dangling(tiny)))
    assert "error" not in a_out and "error" not in b_out, (a_out, b_out)
    assert len(calls) == 3  # the one that found the store changed was validated again
    ids = {node.id for node in tiny.nodes()}
    assert {"t1", "t2", "e1", "weave"} <= ids and dangling(tiny) == []


def test_a_load_and_an_upload_at_once_never_both_write_onto_a_broken_graph(store, store_kind, tmp_path, figures):
    # the CLI's pipeline holds between validation and write while POST /datasets?replace=true runs
    load_path(store, write_dataset(tmp_path / "tiny"))
    town = write_dataset(tmp_path / "town", **town_files())
    if store_kind == "sqlite":
        app = create_app(Settings(store=str(store.path), api_key=API_KEY))
    else:
        app = create_app(Settings(store=store.uri, api_key=API_KEY), store=another(store))
    held = Held()
    thread, outcome = in_thread(load_path, another(store), town, on_validated=held)
    assert held.validated.wait(BARRIER_SECONDS)
    other_zip = zip_bytes(**OTHER)
    with TestClient(app) as client:
        response = client.post("/datasets", params={"replace": "true"}, headers={"X-API-Key": API_KEY},
                               files={"file": ("other.zip", other_zip, "application/zip")})
    held.release.set()
    thread.join()
    count_load(figures, corrupt=response.status_code != 200 or "error" not in outcome or bool(dangling(store)))
    assert response.status_code == 200, response.text
    assert isinstance(outcome.get("error"), DatasetError), outcome
    assert {node.id for node in store.nodes()} == {"x", "collide"} and dangling(store) == []


def test_a_write_checks_the_version_under_its_lock_and_writes_nothing_when_it_moved(tiny):
    before = reads.snapshot(tiny)
    version = tiny.version()
    stale = version + "0"  # another counter of the same store
    with pytest.raises(StoreChanged, match="changed while the data was validated"):
        tiny.write(GraphData([Node("Stage", "new", "新")]), expect_version=stale)
    assert reads.snapshot(tiny) == before and tiny.version() == version
    assert tiny.write(GraphData([Node("Stage", "new", "新")]), expect_version=version).changed


def test_a_write_refuses_an_id_held_under_another_label(tiny):
    before = reads.snapshot(tiny)
    with pytest.raises(StoreError, match="id 'weave' is a Stage in the store and cannot also be an Enterprise"):
        tiny.write(GraphData([Node("Enterprise", "weave", "织造厂")], [Relationship("SUPPLIES", "weave", "e1")]))
    assert reads.snapshot(tiny) == before


def test_a_load_that_keeps_losing_the_race_gives_up_clearly(tiny, tmp_path):
    town = write_dataset(tmp_path / "town", **town_files())
    writer = another(tiny)
    rounds = []

    def someone_else_writes(data) -> None:
        # every time the town has been validated, another write gets in first
        rounds.append(1)
        writer.write(GraphData([Node("Stage", f"s{len(rounds)}", f"环节{len(rounds)}")]))

    before = {node.id for node in tiny.nodes()}
    with pytest.raises(StoreChanged, match=f"changed {LOAD_TRIES} times while the dataset was validated"):
        load_path(tiny, town, on_validated=someone_else_writes)
    assert len(rounds) == LOAD_TRIES
    assert {node.id for node in tiny.nodes()} == before | {f"s{i}" for i in range(1, LOAD_TRIES + 1)}


def test_a_second_writer_waits_for_the_first_and_then_says_the_store_is_busy(tmp_path, monkeypatch):
    import sqlite3

    from graph.errors import StoreBusy

    monkeypatch.setenv("CHAINX_BUSY_SECONDS", "0.2")
    path = tmp_path / "chainx.db"
    SqliteStore(path, create=True).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of its write
    try:
        with SqliteStore(path) as store, pytest.raises(StoreBusy, match="is locked by another connection .* stayed locked for 0.2 s; try again"):
            store.write(GraphData([Node("Stage", "a", "A")]))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
