"""Issue 15 item 4: the costly reads refused with their estimate, a new seed counted against the
bound on concurrent reports, and /health answered while every report slot (and every threadpool
thread) is held."""

from __future__ import annotations

import threading

import anyio
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cache import Overloaded
from api.settings import Settings
from graph.errors import InvalidParameter, TooExpensive
from graph.model import GraphData, Node, Relationship
from graph.store.sqlite import SqliteStore

BARRIER_SECONDS = 120  # a hang fails the test instead of stalling the suite; nothing is timed


@pytest.fixture(scope="module")
def star_db(tmp_path_factory):
    """One institute with four partner firms: by hand, 5 tied organisations and 4 ties (Louvain
    work 9), 6 pairs of firms sharing the institute, no constraint work (no organisation of
    its own kind has two ties), so the estimate is 9/5e3 s for communities, 6/9e4 s for projections."""
    path = tmp_path_factory.mktemp("costly") / "chainx.db"
    firms = [f"e{i}" for i in range(4)]
    with SqliteStore(path, create=True) as store:
        store.write(GraphData(
            nodes=[Node("Institute", "u", "东华大学"), *(Node("Enterprise", f, f"企业{f}") for f in firms)],
            relationships=[Relationship("COLLABORATES_WITH", f, "u") for f in firms]))
    return path


def _error(response) -> dict:
    return response.json()["error"]


def test_ties_and_the_ties_view_over_the_limit_are_422_with_the_estimate(star_db):
    app = create_app(Settings(store=str(star_db), max_ties_seconds=0.001))
    with TestClient(app) as client:
        version = client.get("/health").json()["version"]
        ties, view = client.get("/ties", params={"top": 1000}), client.get("/views/ties", params={"format": "json"})
        page = client.get("/views/ties")
        assert client.get("/health").json()["version"] == version  # nothing written
    for response in (ties, view):
        assert response.status_code == 422, response.text
        error = _error(response)
        assert error["type"] == "TooExpensive" and error["parameter"] == "max_ties_seconds"
        # the parts worked out by hand in the fixture's docstring
        assert "communities 0.0018 s" in error["message"] and "projections 6.7e-05 s" in error["message"], error["message"]
        assert "constraint 0 s" in error["message"] and "over the 0.001 s limit" in error["message"]
        assert "CHAINX_MAX_TIES_SECONDS" in error["message"]
    assert page.status_code == 422 and "CHAINX_MAX_TIES_SECONDS" in page.text


def test_ties_within_the_limit_answer(star_db):
    with TestClient(create_app(Settings(store=str(star_db), max_ties_seconds=60))) as client:
        response = client.get("/ties")
    assert response.status_code == 200 and response.json()["summary"]["ties"] == 4


def test_the_ties_limit_of_the_library_and_cli_is_the_environment(star_db, monkeypatch):
    from graph.analysis.ties import ties_report

    with SqliteStore(star_db) as store:
        monkeypatch.setenv("CHAINX_MAX_TIES_SECONDS", "0.001")
        with pytest.raises(TooExpensive, match="over the 0.001 s limit"):
            ties_report(store)
        monkeypatch.setenv("CHAINX_MAX_TIES_SECONDS", "soon")
        with pytest.raises(InvalidParameter, match="CHAINX_MAX_TIES_SECONDS: must be a number"):
            ties_report(store)


def test_bottlenecks_with_a_top_that_lists_too_much_are_422_saying_which_top_fits(textile_db):
    # the textile chain has 31 top-level stages: top=100 lists at most 31 chokepoints, 31
    # single-source stages and 100 critical enterprises = 162; under a limit of 100 the largest
    # top that fits is 38 (2·31 + 38 = 100)
    with TestClient(create_app(Settings(store=str(textile_db), max_listed_items=100))) as client:
        refused, fits = client.get("/bottlenecks", params={"top": 100}), client.get("/bottlenecks", params={"top": 38})
    assert refused.status_code == 422, refused.text
    error = _error(refused)
    assert error["type"] == "TooExpensive" and error["parameter"] == "top"
    assert "up to 162 items" in error["message"] and "top=38 or less" in error["message"] and "CHAINX_MAX_LISTED_ITEMS" in error["message"]
    assert fits.status_code == 200, fits.text


def test_a_new_seed_is_a_new_computation_that_takes_a_report_slot(star_db):
    app = create_app(Settings(store=str(star_db), max_concurrent_reports=1))
    cache = app.state.report_cache
    with TestClient(app) as client:
        assert client.get("/ties", params={"seed": 1}).status_code == 200
        with cache.slots.taken():  # the one slot held, as by a long report
            cached, fresh = client.get("/ties", params={"seed": 1}), client.get("/ties", params={"seed": 2})
        misses = cache.misses
        after = client.get("/ties", params={"seed": 2})
    assert cached.status_code == 200
    assert fresh.status_code == 503 and _error(fresh)["type"] == "Overloaded" and fresh.headers.get("retry-after"), fresh.text
    assert after.status_code == 200 and cache.misses > misses  # computed, not served from anywhere


def test_health_answers_while_heavy_reports_hold_every_slot_and_every_threadpool_thread(star_db, monkeypatch):
    import graph.analysis.ties as ties

    heavy = 3
    inside = threading.Barrier(heavy + 1, timeout=BARRIER_SECONDS)
    release = threading.Event()
    original = ties._tie_counts

    def held(store, G):
        inside.wait()  # every heavy request is computing, in a report slot
        assert release.wait(BARRIER_SECONDS)
        return original(store, G)

    monkeypatch.setattr(ties, "_tie_counts", held)
    app = create_app(Settings(store=str(star_db), max_concurrent_reports=heavy))
    answers: dict[int, int] = {}
    with TestClient(app) as client:
        # Starlette's threadpool shrunk to the heavy requests: each holds a thread while it computes
        client.portal.call(lambda: setattr(anyio.to_thread.current_default_thread_limiter(), "total_tokens", heavy))

        def ask(seed: int) -> None:
            answers[seed] = client.get("/ties", params={"seed": seed}).status_code

        threads = [threading.Thread(target=ask, args=(seed,)) for seed in range(heavy)]
        for thread in threads:
            thread.start()
        try:
            inside.wait()
            with pytest.raises(Overloaded):  # every slot is taken
                with app.state.report_cache.slots.taken():
                    pass
            healths: list = []
            answered = threading.Event()

            def poll() -> None:  # in a thread of its own: a /health queued behind the heavy ones fails, not hangs
                healths.extend(client.get("/health") for _ in range(20))
                answered.set()

            threading.Thread(target=poll, daemon=True).start()
            assert answered.wait(BARRIER_SECONDS), "/health queued behind the heavy requests"
            still_running = not answers and all(thread.is_alive() for thread in threads)
        finally:
            release.set()
            for thread in threads:
                thread.join(BARRIER_SECONDS)
    assert all(r.status_code == 200 and r.json()["status"] == "ok" for r in healths), [r.text for r in healths]
    assert still_running
    assert answers == dict.fromkeys(range(heavy), 200)
