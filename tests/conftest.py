"""Shared fixtures. Stores are parametrised: every test taking ``store_kind`` runs on the embedded
SQLite store and on a real Bolt server (see tests/bolt.py)."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path

import pytest

from graph.store.neo4j import clear_database
from tests.adversarial.figures import ARTIFACT, FIGURES, merge_figures, summary_line

ROOT = Path(__file__).resolve().parent.parent
TEXTILE = ROOT / "data" / "textile"
SHARED = ROOT.parent / "shared"

# Starlette's TestClient sends Host: testserver; the API answers only to names it is allowed
# (api/hosts.py). Tests of the check itself set their own list.
os.environ.setdefault("CHAINX_ALLOWED_HOSTS", "testserver")
# The bundled chains have Chinese stage names, so reports default to Chinese (graph/i18n.py); the
# tests that check English wording ask for English here, as a user passes --lang en. The tests of
# the language itself (tests/graph/test_i18n.py) set or clear it themselves.
os.environ["CHAINX_LANG"] = "en"


@pytest.fixture
def textile_path() -> Path:
    return TEXTILE


@pytest.fixture(scope="module")
def textile_db(tmp_path_factory) -> Path:
    """A store of the bundled data/textile of the module's own, for tests that only read it
    (a test that writes takes a copy: tests/adversarial's ``textile_db``)."""
    from graph.store.sqlite import SqliteStore
    from loaders.pipeline import load_path

    path = tmp_path_factory.mktemp("textile") / "chainx.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, TEXTILE)
    return path


@pytest.fixture
def sqlite_store(tmp_path):
    from graph.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "chainx.db", create=True)
    yield store
    store.close()


# -- the Bolt server and the two kinds of store (tests/bolt.py) -------------------------------
@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory):
    """The Bolt server of this test run: CHAINX_TEST_NEO4J_URI's, or a local one started once."""
    from tests.bolt import BoltServer

    if os.environ.get("CHAINX_TEST_NEO4J_URI") and int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
        pytest.fail("CHAINX_TEST_NEO4J_URI names one database for every test: run one worker (make test TEST_WORKERS=0, "
                    "or pytest without -n), or the workers would empty each other's data")
    server = BoltServer.for_tests(tmp_path_factory.mktemp("bolt"))
    if server.local:
        server.start()
    yield server
    server.close()


@pytest.fixture
def neo4j_store(bolt_server):
    """An empty Neo4jStore on the session's Bolt server (restarted if a test left it stopped)."""
    if not bolt_server.running:
        bolt_server.start()
    store = bolt_server.store()
    clear_database(store)
    yield store
    store.close()


@pytest.fixture(scope="session")
def gds_server(tmp_path_factory):
    """A Bolt server with Graph Data Science, for the tests of centralities computed in Neo4j: a
    second local server, started once, the first time a test asks for it (the session's own
    starts without GDS, in less time); CHAINX_TEST_NEO4J_URI's server when one is named."""
    from tests.bolt import BoltServer

    server = BoltServer.for_tests(tmp_path_factory.mktemp("bolt-gds"), gds=True)
    if server.local:
        server.start()
    yield server
    server.close()


@pytest.fixture
def gds_store(gds_server):
    """An empty Neo4jStore on the GDS server, with its centralities computed in the server."""
    store = gds_server.store(gds=True)
    clear_database(store)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_kind(request) -> str:
    return request.param


@pytest.fixture
def store(store_kind, request, tmp_path):
    """An empty store of each kind in turn: embedded SQLite, then Neo4j over Bolt."""
    if store_kind == "sqlite":
        from graph.store.sqlite import SqliteStore

        with SqliteStore(tmp_path / "chainx.db", create=True) as embedded:
            yield embedded
    else:
        yield request.getfixturevalue("neo4j_store")


# -- the browser, shared by tests/viz and tests/adversarial (one Playwright per session: a second
# sync Playwright in the same thread refuses to start) --------------------------------------------
@pytest.fixture(scope="session")
def browser_context():
    """One headless Chromium for the session (a persistent context: Playwright refuses a
    --user-data-dir argument and takes the directory this way instead)."""
    import shutil
    import tempfile

    from tests.viz.conftest import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (make test does) to install Debian's chromium")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chainx-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


# -- the adversarial figures: one summary line, whichever process measured them -----------------
def pytest_sessionfinish(session, exitstatus) -> None:
    # in a pytest-xdist worker: hand the figures to the controller, which prints the summary
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["adversarial_figures"] = json.dumps(FIGURES, ensure_ascii=False)
        # pytest-xdist tells the controller once this hook has run, and execnet SIGINTs a worker still
        # busy 5 s after it is told to stop: under load, a full collection of the session's heap (the
        # national chain's graphs) ran past that and was interrupted (a KeyboardInterrupt in a weakref
        # callback: PytestUnraisableExceptionWarning). Collected here, before; frozen, not walked again
        gc.collect()
        gc.freeze()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    figures = getattr(node, "workeroutput", {}).get("adversarial_figures")
    if figures:
        merge_figures(FIGURES, json.loads(figures))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not FIGURES or hasattr(config, "workeroutput"):
        return
    terminalreporter.write_sep("-", "adversarial figures")
    terminalreporter.write_line(summary_line(FIGURES))
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps({"summary": summary_line(FIGURES), **FIGURES}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# the files that take longest (pytest --durations, summed per file, on a two-core machine), longest first
LONGEST_FIRST = {name: rank for rank, name in enumerate([
    "tests/adversarial/test_outages.py", "tests/loaders/test_chainkg_analyses.py", "tests/loaders/test_overlay.py",
    "tests/loaders/test_chainkg.py", "tests/graph/test_gds.py", "tests/test_bench_quick.py", "tests/adversarial/test_corpus.py",
    "tests/adversarial/test_injection.py", "tests/graph/test_neo4j_store.py", "tests/graph/test_store_contract.py",
    "tests/adversarial/test_crash.py", "tests/arch/test_params.py", "tests/adversarial/test_round_two.py", "tests/api/test_fuzz.py",
    "tests/viz/test_browser.py", "tests/adversarial/test_write_protection.py", "tests/adversarial/test_fuzzing.py",
    "tests/api/test_neo4j.py", "tests/graph/test_national_noise.py", "tests/adversarial/test_reads_under_replace.py",
])}
# files sharing a session fixture that is slow to build: one unit of pytest-xdist's work, so one
# worker builds it (the chainkg import of tests/loaders/conftest.py; the GDS server)
SAME_WORKER = {
    **dict.fromkeys(["tests/loaders/test_chainkg_analyses.py", "tests/loaders/test_overlay.py", "tests/loaders/test_chainkg.py"],
                    "the chainkg import"),
    **dict.fromkeys(["tests/graph/test_gds.py", "tests/test_bench_quick.py"], "the GDS server"),
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` as pytest-xdist does it, but with :data:`SAME_WORKER`'s files as one unit,
    and handed out in the collection's order (:data:`LONGEST_FIRST`) instead of the most tests first:
    a long file of few tests handed out last keeps one worker busy while the other has nothing left."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return SAME_WORKER.get(path, path)

    config.option.loadscopereorder = False
    return Scheduling(config, log)


def pytest_collection_modifyitems(items) -> None:
    # Schemathesis names each operation's test "test_x[GET /stats]" but gives all of them the test
    # function's node id; pytest-xdist schedules by node id, and ran one operation of 21
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            if hasattr(item, "_id"):  # pytest 9: a structured id
                item._id = item._id.with_params(label)
            else:
                item._nodeid = f"{item.nodeid}[{label}]"
    # the longest files first: pytest_xdist_make_scheduler hands out whole files in this order
    items.sort(key=lambda item: LONGEST_FIRST.get(item.nodeid.split("::")[0], len(LONGEST_FIRST)))
    seen: set[str] = set()
    twice = {item.nodeid for item in items if item.nodeid in seen or seen.add(item.nodeid)}
    if twice:
        raise pytest.UsageError(f"tests sharing a node id (pytest-xdist would run one of each): {sorted(twice)[:5]}")
