"""``chainx serve`` over a real socket: the server a user starts, reached as curl would reach it."""

from __future__ import annotations

import csv
import io
import shutil

import httpx
import pytest

from tests.api.conftest import API_KEY, FILES, zip_bytes
from tests.serve import chainx_serve


@pytest.fixture(scope="module")
def server(template_db, tmp_path_factory):
    db_path = tmp_path_factory.mktemp("served") / "chainx.db"
    shutil.copyfile(template_db, db_path)
    env = {"CHAINX_API_KEY": API_KEY, "CHAINX_MAX_BODY_BYTES": "1000", "CHAINX_MAX_UPLOAD_BYTES": "100000"}
    with chainx_serve(str(db_path), env=env, timeout=60) as url:
        yield url


def test_serve_answers_reports_over_http(server):
    health = httpx.get(f"{server}/health").json()
    assert health["status"] == "ok" and health["store"] == "embedded"
    gaps = httpx.get(f"{server}/regions/sz/gaps", params={"min_firms": 1}).json()
    assert [g["stage"] for g in gaps["gaps"]] == ["weave"]
    centrality = httpx.get(f"{server}/centrality", params={"metric": "degree", "graph": "supply"}, headers={"Accept": "text/csv"})
    assert centrality.headers["content-type"] == "text/csv; charset=utf-8"
    assert [row["node"] for row in csv.DictReader(io.StringIO(centrality.text))] == ["e1", "e4", "e2", "e3"]
    missing = httpx.get(f"{server}/regions/atlantis/gaps")
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "unknown region 'atlantis'"


def test_serve_enforces_the_key_and_the_size_limits(server):
    assert httpx.post(f"{server}/datasets", files={"file": ("d.zip", zip_bytes())}).status_code == 401
    uploaded = httpx.post(f"{server}/datasets", files={"file": ("d.zip", zip_bytes())}, headers={"X-API-Key": API_KEY})
    assert uploaded.status_code == 200 and uploaded.json()["changed"] is False
    too_big = httpx.post(f"{server}/whatif", content=b'{"remove": ["' + b"x" * 2000 + b'"]}', headers={"content-type": "application/json"})
    assert too_big.status_code == 413 and too_big.json()["error"]["type"] == "PayloadTooLarge"
    streamed = httpx.post(f"{server}/whatif", content=(b"[" + b" " * 500 for _ in range(10)), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert httpx.get(f"{server}/health").status_code == 200  # still serving


def test_concurrent_reads_during_a_load_all_succeed(server):
    from concurrent.futures import ThreadPoolExecutor

    urls = ["/regions/sz/gaps", "/centrality?metric=betweenness", "/stats", "/nodes?q=织造", "/bottlenecks", "/ties"] * 5

    def read(url: str) -> int:
        return httpx.get(server + url, timeout=60).status_code

    # a load that changes the graph (one new stage) while the reads run
    changed = zip_bytes(**{name: None for name in FILES if name != "stages"}, stages=FILES["stages"] + "knit,针织,midstream,,knitting\n")
    with ThreadPoolExecutor(max_workers=8) as pool:
        reads = [pool.submit(read, url) for url in urls]
        load = pool.submit(lambda: httpx.post(f"{server}/datasets", files={"file": ("d.zip", changed)},
                                              headers={"X-API-Key": API_KEY}, timeout=60).status_code)
        statuses = [future.result() for future in reads]
    assert load.result() == 200
    assert httpx.get(f"{server}/nodes/Stage/knit").status_code == 200
    assert statuses == [200] * len(urls)


def test_serve_on_a_port_in_use_says_so_before_serving_and_names_a_free_one(db_path, tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "chainx", "serve", "--port", str(port), "--store", str(db_path)],
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 1
    assert "Serving" not in result.stdout
    first, *rest = result.stderr.splitlines()
    assert rest == [] and first.startswith(f"Error: port {port} on 127.0.0.1 is already in use; try --port ")
    suggested = int(first.split("try --port ")[1].split()[0])
    assert suggested > port
    with socket.socket() as probe:  # the port it names is one a server can take
        probe.bind(("127.0.0.1", suggested))


def test_serve_takes_its_port_from_chainx_port(db_path):
    with chainx_serve(str(db_path), port_option=False) as url:  # answers on the port CHAINX_PORT names
        assert httpx.get(f"{url}/health").json()["status"] == "ok"


@pytest.mark.parametrize(("make_args", "env", "port"), [([], {}, "8000"), (["PORT=8011"], {}, "8011"), ([], {"CHAINX_PORT": "8012"}, "8012"),
                                                        (["PORT=8013"], {"CHAINX_PORT": "8012"}, "8013")])
def test_make_demo_serves_on_port_or_chainx_port(make_args, env, port):
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    environment = {k: v for k, v in os.environ.items() if k not in ("PORT", "CHAINX_PORT")} | env
    # -n: what make would run, nothing run; the serve line is the one the port reaches
    result = subprocess.run(["make", "-n", "demo", *make_args], capture_output=True, text=True, cwd=root, env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    (serve,) = [line for line in result.stdout.splitlines() if " serve " in line]
    assert serve.endswith(f"--port {port}")


def test_the_served_socket_sends_small_responses_without_waiting_for_an_ack():
    """asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto says TCP; the socket
    ``chainx serve`` binds itself must say so, or every small keep-alive response (headers, then
    body, two writes) waits for the client's delayed ACK, some 40 ms on Linux."""
    import asyncio
    import socket
    from concurrent.futures import ThreadPoolExecutor

    from chainx.cli import _listening_socket

    async def accepted_nodelay() -> int:
        seen: asyncio.Future = asyncio.get_running_loop().create_future()

        class Protocol(asyncio.Protocol):
            def connection_made(self, transport):
                seen.set_result(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await asyncio.get_running_loop().create_server(Protocol, sock=_listening_socket("127.0.0.1", 0))
        async with server:
            _, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
            value = await asyncio.wait_for(seen, 30)
            writer.close()
            return value

    # a loop of its own on a thread of its own: a test before this one on the worker (the browser
    # tests' Playwright) can leave an event loop running on the main thread, where asyncio.run refuses
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, accepted_nodelay()).result(timeout=60) != 0
