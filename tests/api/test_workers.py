"""Reports computed in worker processes (api/workers.py) are the reports the server's threads
compute: the same bodies, the same errors, and never a report of another version of the graph."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest
from fastapi.testclient import TestClient

import api.workers as workers_module
from api.app import create_app
from api.cache import Overloaded
from api.settings import Settings
from api.workers import ReportProcesses, _compute, _rebuilt
from graph.analysis.gaps import gaps
from graph.errors import InvalidParameter
from graph.store.sqlite import SqliteStore

TARGETS = [
    "/regions/sz/gaps",
    "/regions/sz/gaps?format=csv",
    "/regions/sz/gaps?as_of=2020-01-01",
    "/ties",
    "/centrality?metric=betweenness",
    "/bottlenecks",
    "/nodes/Enterprise/e1/neighbors?depth=2",
    "/views/ego/enterprise/e1?format=json",
    "/regions/nope/gaps",  # 404 raised by the analysis, in the worker
    "/regions/sz/related?measure=nope",  # 422
]


@pytest.fixture(scope="module")
def answers(tmp_path_factory, template_db) -> dict[int, tuple[dict[str, tuple[int, str]], set[str]]]:
    """Every target asked of an app computing on its threads and of one with two workers: the
    answers, and the functions its workers computed."""
    found = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workers_module, "MIN_RELATIONSHIPS", 0)  # the tiny chain goes to the workers too
        for processes in (0, 2):
            found[processes] = _ask(tmp_path_factory, template_db, processes)
    return found


def _ask(tmp_path_factory, template_db, processes: int) -> tuple[dict[str, tuple[int, str]], set[str]]:
    path = tmp_path_factory.mktemp(f"workers{processes}") / "chainx.db"
    shutil.copyfile(template_db, path)
    app = create_app(Settings(store=str(path), report_processes=processes))
    workers, sent = app.state.report_cache.processes, set()
    run = workers.run
    workers.run = lambda store, func, args, kwargs, sent=sent, run=run: sent.add(func.__qualname__) or run(store, func, args, kwargs)
    with TestClient(app, base_url="http://localhost") as client:
        return {target: (r.status_code, r.text) for target in TARGETS for r in [client.get(target)]}, sent


def test_workers_give_the_answers_the_threads_give(answers):
    (threads, none), (workers, sent) = answers[0], answers[2]
    assert not none and {"gaps", "ties_report", "centrality", "bottlenecks", "neighbors", "ego_view"} <= sent
    assert workers == threads
    statuses = {target: status for target, (status, _) in threads.items()}
    assert statuses["/regions/nope/gaps"] == 404 and statuses["/regions/sz/related?measure=nope"] == 422
    assert all(status == 200 for target, status in statuses.items() if "nope" not in target)


def test_a_worker_hands_back_a_report_of_another_version_than_the_request_read(template_db):
    # a load committed after the request's snapshot began: the request's thread computes it on that snapshot
    assert _compute(str(template_db), "not-this-version", None, gaps.__module__, gaps.__qualname__, ("sz",), {}) == (None, None)


def test_an_error_comes_back_as_its_class_with_its_attributes(template_db):
    version = SqliteStore(template_db).version()
    ok, error = _compute(str(template_db), version, None, gaps.__module__, gaps.__qualname__, ("sz",), {"min_firms": -1})
    assert not ok
    raised = _rebuilt(*error)
    assert isinstance(raised, InvalidParameter) and raised.parameter == "min_firms"
    assert any("worker process" in note for note in raised.__notes__)


def test_what_a_worker_cannot_reach_or_a_small_graph_stays_on_the_threads(template_db):
    processes = ReportProcesses(2)
    processes.min_relationships = 3

    def local(store):
        return None

    def relationships(store):
        return sum(store.counts()[1].values())

    store = SqliteStore(template_db)
    assert relationships(store) >= 3
    assert processes.accepts(store, gaps, relationships)
    assert not processes.accepts(SqliteStore(":memory:", create=True), gaps, lambda store: 10**6)  # another process: another, empty database
    assert not processes.accepts(store, local, relationships)  # not importable by name
    assert not ReportProcesses(0).accepts(store, gaps, relationships)
    processes.min_relationships = relationships(store) + 1  # the hop would cost more than the report
    assert not processes.accepts(store, gaps, relationships)


def test_a_worker_finding_the_store_locked_hands_the_report_back_and_the_thread_computes_it(template_db, tmp_path, monkeypatch):
    # the deadlock it avoids: the request's snapshot holds a shared lock, a load's commit holds the
    # pending lock waiting for it, and a worker's new snapshot would wait behind the load
    path = tmp_path / "chainx.db"
    shutil.copyfile(template_db, path)
    monkeypatch.setenv("CHAINX_BUSY_SECONDS", "0")  # as in a worker (_start_worker)
    store = SqliteStore(path)
    version = store.version()
    with store.reading() as request_snapshot:
        load = sqlite3.connect(path, timeout=0, isolation_level=None)
        load.execute("BEGIN IMMEDIATE")
        load.execute("CREATE TABLE a_load_writing (x)")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            load.execute("COMMIT")  # waits for the request's snapshot, holding the pending lock
        assert _compute(str(path), version, None, gaps.__module__, gaps.__qualname__, ("sz",), {}) == (None, None)
        expected = gaps(request_snapshot, "sz")
        processes = ReportProcesses(1)
        monkeypatch.setattr(processes, "_executor", lambda: _InProcess())
        assert processes.run(request_snapshot, gaps, ("sz",), {}) == expected
        load.execute("ROLLBACK")
        load.close()


class _InProcess:
    """An executor that runs the task here (the worker's code, without a process)."""

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future = Future()
        future.set_result(fn(*args))
        return future


def test_a_worker_that_dies_is_a_503_and_the_next_report_gets_new_workers(template_db, tmp_path):
    path = tmp_path / "chainx.db"
    shutil.copyfile(template_db, path)
    processes = ReportProcesses(1)
    try:
        store = SqliteStore(path)
        processes._executor().submit(os._exit, 1)  # the worker gone, as the kernel's OOM killer leaves it
        with pytest.raises(Overloaded, match="stopped"):  # its only worker is gone: the pool is broken
            processes.run(store, gaps, ("sz",), {})
        assert processes.run(store, gaps, ("sz",), {}) == gaps(store, "sz")
    finally:
        processes.close()
