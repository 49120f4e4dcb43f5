"""Fixtures of the view tests: stores of the textile chain and of a hostile chain, the API served
over real loopback HTTP, and one headless Chromium (Debian's, installed by ``make browser``)
shared by the whole session."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.bolt import free_port

from .hostile import write_hostile_dataset

ROOT = Path(__file__).resolve().parents[2]
TEXTILE = ROOT / "data" / "textile"
ARTIFACTS = ROOT / "tests" / "artifacts" / "viz"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def textile_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("viz-textile") / "chainx.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, TEXTILE)
    return path


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("viz-hostile")
    path = folder / "chainx.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, write_hostile_dataset(folder / "dataset"))
    return path


@pytest.fixture
def textile_store(textile_db):
    with SqliteStore(textile_db) as store:
        yield store


@pytest.fixture
def hostile_store(hostile_db):
    with SqliteStore(hostile_db) as store:
        yield store


# -- the API over loopback HTTP ----------------------------------------------------------------
class LiveServer:
    """``create_app`` served by uvicorn on a free loopback port, in a thread."""

    def __init__(self, db: Path):
        import uvicorn

        from api.app import create_app
        from api.settings import Settings

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(Settings(store=str(db))), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def textile_server(textile_db):
    with LiveServer(textile_db) as server:
        yield server


@pytest.fixture(scope="session")
def hostile_server(hostile_db):
    with LiveServer(hostile_db) as server:
        yield server


# -- the browser -------------------------------------------------------------------------------
@dataclass
class Visit:
    """What happened while a page loaded."""

    page: object
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def networks(self) -> list[list[int]]:
        """[nodes, edges] held by each vis network on the page."""
        return self.page.evaluate(
            "() => window.chainx.networks.map(n => [n.network.body.data.nodes.length, n.network.body.data.edges.length])"
        )

    def text(self) -> str:
        return self.page.inner_text("body")

    def xss(self):
        return self.page.evaluate("() => window.__xss")

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("file", "data", "about", "blob"):
        return True
    return parsed.scheme in ("http", "https") and parsed.hostname in ("127.0.0.1", "localhost", "::1")


@pytest.fixture
def visit(browser_context):
    """Open a URL (file:// or loopback http://) with every other request blocked and recorded,
    console errors collected; wait until its networks have settled."""
    pages = []

    def open_page(url: str, *, networks: bool = True, status: int | None = 200) -> Visit:
        page = browser_context.new_page()
        pages.append(page)
        result = Visit(page)
        page.on("console", lambda message: result.errors.append(f"console.{message.type}: {message.text}") if message.type == "error" else None)
        page.on("pageerror", lambda error: result.errors.append(f"pageerror: {error}"))

        def guard(route):
            if _is_local(route.request.url):
                route.continue_()
            else:
                result.blocked.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        response = page.goto(url)
        if status is not None and response is not None and urlparse(url).scheme.startswith("http"):
            assert response.status == status, f"{url}: HTTP {response.status}"
        if networks:
            # a selector, not wait_for_function: the pages' CSP forbids the eval it relies on
            page.wait_for_selector("body[data-ready]", state="attached", timeout=30_000)
        return result

    yield open_page
    for page in pages:
        page.close()
