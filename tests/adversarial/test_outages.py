"""Part 6: the Bolt server goes away mid-load and mid-request, and comes back.

Each outage is timed on a signal, not a guess: the CLI load runs on a pseudo-terminal, where it
draws its progress bar, and the server is stopped once the bar has moved (a batch is written,
the transaction is open); the API's upload is stopped once its first batch has gone to the server.
Then: a clear one-line error (CLI) or a 503 in the API's error shape, nothing of the cut-off write
in the store, clear refusals while the server is down, and, once it is back, the same API app
answering again on its own and the same load completing.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import termios
import threading
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.store import reads
from graph.store.neo4j import Neo4jStore, clear_database
from loaders.pipeline import load_path
from tests.conftest import TEXTILE

from .conftest import CHAINX, run_chainx
from .test_crash import make_dataset

pytestmark = pytest.mark.neo4j

ENTERPRISES = 4000  # with its operations and supplies over 10,000 items: the CLI draws a bar
# the API's upload is held after its first batch until the server is down: any size of several batches will do
UPLOAD_ENTERPRISES = 500
API_KEY = "outage-key-0123456789"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # the progress bar's colours and cursor moves
# a refusal, or (when the stop came as the load committed) a commit whose outcome is unknown
CLEAR_CLI_ERROR = re.compile(r"^Error: (cannot reach |cannot use |lost the connection to )?the Neo4j server at bolt://\S+", re.MULTILINE)


@pytest.fixture
def server(bolt_server):
    """The session's Bolt server holding textile; running again after the test, whatever happens."""
    if not bolt_server.local:
        pytest.fail("the outage tests stop and start the Bolt server: unset CHAINX_TEST_NEO4J_URI to let the run start its own")
    if not bolt_server.running:
        bolt_server.start()
    with bolt_server.store() as store:
        clear_database(store)
        load_path(store, TEXTILE)
    try:
        yield bolt_server
    finally:
        if not bolt_server.running:
            bolt_server.start()


def state(server) -> tuple:
    with server.store() as store:
        return reads.stats(store).to_dict(), store.version()


def tally(figures: dict) -> dict:
    return figures.setdefault("outages", {"outages": 0, "refused_clearly": 0, "refusals": 0, "partial_writes": 0, "recovered": 0, "recoveries": 0})


def count(figures: dict, what: str, ok: bool) -> bool:
    """Count one refusal or one recovery, and whether it went as it should."""
    t = tally(figures)
    if what == "refusal":
        t["refusals"] += 1
        t["refused_clearly"] += ok
    else:
        t["recoveries"] += 1
        t["recovered"] += ok
    return ok


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """Start ``chainx ARGS`` with a pseudo-terminal as stdout and stderr; returns it and the
    terminal's reading end."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k != "CHAINX_DEBUG"}
    environment.update(env, TERM="xterm", COLUMNS="120")
    process = subprocess.Popen([*CHAINX, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=environment, close_fds=True)
    os.close(slave)
    return process, master


NEVER = re.compile(r"$^")  # a pattern no output matches: read until the process ends
BOUND_SECONDS = 180  # a bound on a broken test, never a timing assertion


def read_until(master: int, pattern: re.Pattern, process: subprocess.Popen, timeout: float) -> str:
    """Terminal output until ``pattern`` shows, the process ends, or ``timeout`` passes."""
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end closed: the process ended
                break
            seen += chunk
            if pattern.search(seen.decode("utf-8", "replace")):
                break
        elif process.poll() is not None:
            break
    return seen.decode("utf-8", "replace")


def test_a_load_cut_off_mid_write_fails_clearly_writes_nothing_and_completes_later(server, tmp_path, figures):
    before = state(server)
    big = make_dataset(tmp_path / "big", ENTERPRISES, "断")
    process, master = run_on_a_terminal(["load", str(big), "--store", server.uri], server.env())
    try:
        # rich draws "loading ━━━━━━╺━━━━━ 33% 0:00:03": a share above 0% means a batch is written
        shown = read_until(master, re.compile(r"\b([1-9]\d?)%"), process, timeout=120)
        assert process.poll() is None, f"the load ended before the outage:\n{shown}"
        # the terminal is read while the server stops and until the load ends: a pty nobody reads
        # fills with the progress bar's redraws, and the load would block writing to it
        rest: list[str] = []
        drain = threading.Thread(target=lambda: rest.append(read_until(master, NEVER, process, timeout=BOUND_SECONDS)))
        drain.start()
        server.stop()
        tally(figures)["outages"] += 1
        drain.join()
        process.wait(timeout=BOUND_SECONDS)
        shown += rest[0]
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    last = ANSI.sub("", shown).replace("\r", "\n").strip().splitlines()[-1]
    plain = ANSI.sub("", shown)
    # one line: the error, and nothing else printed by the driver or a traceback
    extra = [line for line in plain.replace("\r", "\n").splitlines() if line.strip() and not line.startswith(("loading", "Error: "))]
    assert count(figures, "refusal", process.returncode == 1 and bool(CLEAR_CLI_ERROR.search(last)) and not extra), plain[-1500:]

    # while it is down: reading is refused clearly too
    down = run_chainx("stats", "--store", server.uri, env=server.env(), cwd=tmp_path, timeout=120)
    assert count(figures, "refusal", down.returncode == 1 and bool(CLEAR_CLI_ERROR.search(down.stderr)) and "Traceback" not in down.stderr), down.stderr

    server.start()
    after = state(server)
    again = run_chainx("load", str(big), "--store", server.uri, env=server.env(), cwd=tmp_path, timeout=300)
    complete = state(server)
    stats, _ = complete
    completed = again.returncode == 0 and stats["nodes"]["Enterprise"] == before[0]["nodes"]["Enterprise"] + ENTERPRISES
    assert count(figures, "recovery", completed), again.stderr
    # all or nothing: the graph before the load, or the whole load. A commit the server finished as
    # it stopped, whose answer the connection's close lost, is the whole load (any client-server
    # database can lose a commit's answer); a part of it never is
    tally(figures)["partial_writes"] += after not in (before, complete)
    assert after in (before, complete), "the cut-off load left part of itself in the store"


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for child in sorted(folder.iterdir()):
            archive.write(child, child.name)
    return buffer.getvalue()


def is_503(response) -> bool:
    return (
        response.status_code == 503
        and response.headers.get("content-type", "").startswith("application/json")
        and response.json().get("error", {}).get("type") == "StoreUnavailable"
        and "Traceback" not in response.text
    )


def test_an_api_request_cut_off_mid_write_answers_503_and_the_app_recovers_by_itself(server, tmp_path, monkeypatch, figures):
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    # instrumentation only: the upload's first batch reaches the server, and its write goes on once
    # the server is down, so the outage lands inside the open transaction (on a busy machine the
    # rest of the write committed before the stop took effect: a 503 for an upload that was in)
    first_batch, server_down = threading.Event(), threading.Event()
    create = Neo4jStore._create

    def noting_create(tx, query, batch, what):
        result = create(tx, query, batch, what)
        if not first_batch.is_set():
            first_batch.set()
            server_down.wait(timeout=BOUND_SECONDS)
        return result

    monkeypatch.setattr(Neo4jStore, "_create", staticmethod(noting_create))
    upload = zipped(make_dataset(tmp_path / "upload", UPLOAD_ENTERPRISES, "断"))
    app = create_app(Settings(store=server.uri, api_key=API_KEY, store_retry_seconds=0.2))
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["X-API-Key"] = API_KEY
        before = client.get("/stats").json()
        answer: dict = {}
        thread = threading.Thread(
            target=lambda: answer.update(response=client.post("/datasets", files={"file": ("big.zip", upload, "application/zip")})),
            daemon=True,
        )
        thread.start()
        assert first_batch.wait(timeout=120), "the upload never reached the write"
        server.stop()
        server_down.set()
        tally(figures)["outages"] += 1
        thread.join(timeout=120)
        response = answer["response"]
        assert count(figures, "refusal", is_503(response)), (response.status_code, response.text)

        for method, url in (("GET", "/health"), ("GET", "/stats"), ("GET", "/nodes?q=涤纶"), ("GET", "/regions/tianmen/gaps"),
                            ("GET", "/views/chain?region=tianmen&format=json"), ("POST", "/whatif")):
            down = client.request(method, url, json={"remove": ["e_hengli_group"]} if method == "POST" else None)
            assert count(figures, "refusal", is_503(down)), (url, down.status_code, down.text[:300])

        server.start()
        deadline, recovered = time.monotonic() + 60, False
        while time.monotonic() < deadline and not recovered:  # the same app, nothing restarted
            recovered = client.get("/health").status_code == 200
            time.sleep(0.2)
        assert count(figures, "recovery", recovered), "the API did not come back with the store"
        after = client.get("/stats").json()
        tally(figures)["partial_writes"] += after != before
        assert after == before, "the cut-off upload left part of itself in the store"
        again = client.post("/datasets", files={"file": ("big.zip", upload, "application/zip")})
        assert count(figures, "recovery", again.status_code == 200 and client.get("/stats").json()["nodes"]["Enterprise"]
                     == before["nodes"]["Enterprise"] + UPLOAD_ENTERPRISES), again.text[:500]
