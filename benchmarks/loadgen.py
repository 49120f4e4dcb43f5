"""A load generator for the API benchmark, run as a process of its own so its work is not the
server's: ``--concurrency`` threads, each with one keep-alive HTTP connection, send
``--requests`` GETs of one URL between them and time each. Prints JSON: requests, errors,
p50_ms, p99_ms, max_ms and requests_per_s.

    python -m benchmarks.loadgen http://127.0.0.1:8000/health --requests 2000 --concurrency 4

:func:`costly_mix` is the other load, shared by tests/adversarial/test_load_mix.py and the API
benchmark: the costly reads of issue 15's hostile tester sent at once while /health is asked
over and over.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

# the cost limits set low, as on a server that must stay responsive: the ties report
# (estimated ~4 s on 100k relationships) and a top listing more than 1,000 items are refused
COSTLY_LIMITS = {"CHAINX_MAX_CONCURRENT_REPORTS": "2", "CHAINX_MAX_TIES_SECONDS": "1", "CHAINX_MAX_LISTED_ITEMS": "1000"}


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of already sorted values.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5), percentile([1.0, 2.0, 3.0, 4.0], 0.99)
    (2.0, 4.0)
    """
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-int(share * 1000) * len(sorted_values) // 1000))  # ceil(share × n), exactly
    return sorted_values[min(rank, len(sorted_values)) - 1]


def costly_targets(hub: str, institute: str) -> list[str]:
    """The costly reads, each with its own seed or size so the cache does not answer it: ``hub``
    an enterprise with many suppliers, ``institute`` an institute's id."""
    return [
        "/ties?top=1000&seed=1",
        "/views/ties?format=json&seed=2",
        f"/ties?institute={institute}&seed=3",
        f"/nodes/Enterprise/{hub}/neighbors?depth=3&limit=10000",
        f"/views/ego/enterprise/{hub}?depth=3&format=json",
        "/bottlenecks?top=10000",
        "/bottlenecks?top=100000",
        "/ties?seed=5",
        "/centrality?metric=betweenness&seed=4",
        "/centrality?metric=closeness",
    ]


def get(port: int, target: str, timeout: float = 900) -> tuple[int, dict, str]:
    """One GET on a connection of its own: status, headers (lower-case names), body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def costly_mix(port: int, targets: Iterable[str], health_requests: int = 50_000) -> tuple[dict, list[tuple[int, float]]]:
    """Every target sent at once, one thread each, while one more asks /health over and over (at
    most ``health_requests`` times) until they are all answered: ``({target: (status, headers,
    body)}, [(status, seconds) of each /health])``. A barrier starts them together."""
    targets = list(targets)
    answers: dict[str, tuple[int, dict, str]] = {}
    health: list[tuple[int, float]] = []
    done = threading.Event()
    start = threading.Barrier(len(targets) + 1)

    def ask(target: str) -> None:
        start.wait()
        answers[target] = get(port, target)

    def poll() -> None:
        start.wait()
        while not done.is_set() and len(health) < health_requests:
            began = time.perf_counter()
            status, _, _ = get(port, "/health")
            health.append((status, time.perf_counter() - began))

    threads = [threading.Thread(target=ask, args=(t,)) for t in targets]
    poller = threading.Thread(target=poll)
    for thread in (*threads, poller):
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    poller.join()
    return answers, health


def run(url: str, requests: int, concurrency: int) -> dict:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    remaining = iter(range(requests))

    def worker() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        mine, failed = [], 0
        while True:
            with lock:
                if next(remaining, None) is None:
                    break
            started = time.perf_counter()
            try:
                connection.request("GET", target)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "max_ms": round(latencies[-1] * 1000, 3) if latencies else None,
        "requests_per_s": round(len(latencies) / elapsed, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.url, args.requests, args.concurrency)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
