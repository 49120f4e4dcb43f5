"""Measurements: gaps and bottlenecks for a region, the HTTP API under load, view generation."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from benchmarks.core import Run, Timer, measurement, ratio, row, span, timed

ROOT = Path(__file__).resolve().parent.parent
VIEW_NODES = 2_000  # the view size the target is set for
API_REQUESTS = 1_000  # per endpoint, after one cold request, enough for a p99 of ten (fewer on smaller runs: one per 10 relationships)
TINY_API_REQUESTS = 50  # per endpoint on the tiny run: enough for a p99, which is all its test asks
API_CONCURRENCY = 4  # connections the load process keeps busy at once


def _table(dataset: Path, name: str) -> list[dict]:
    with open(dataset / f"{name}.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def report_regions(dataset: Path, level: str = "city") -> tuple[str, str]:
    """Two regions of ``level`` whose gaps reports are the hardest of the dataset, worked out
    from its files: the one whose districts hold the most enterprises, and the one with the
    most top-level stages where it has no enterprise (each gap gets its candidates looked up)."""
    regions = {r["id"]: r for r in _table(dataset, "regions")}
    parents = {r["id"]: r["parent"] for r in _table(dataset, "stages")}
    tops = {s for s, parent in parents.items() if not parent}

    def top(stage: str) -> str:
        while parents[stage]:
            stage = parents[stage]
        return stage

    def city(region: str) -> str | None:
        while region and regions[region]["level"] != level:
            region = regions[region]["parent"]
        return region or None

    home = {e["id"]: city(e["region"]) for e in _table(dataset, "enterprises")}
    firms = Counter(c for c in home.values() if c)
    covered: dict[str, set] = {c: set() for c in firms}
    for op in _table(dataset, "enterprise_stages"):
        if home.get(op["enterprise"]):
            covered[home[op["enterprise"]]].add(top(op["stage"]))
    busiest = firms.most_common(1)[0][0]
    most_gaps = max(firms, key=lambda c: (len(tops - covered[c]), firms[c], c))
    return busiest, most_gaps


@measurement("analyses", needs=("load_embedded",))
def _analyses(run: Run) -> list[dict]:
    """Gaps for two cities (:func:`report_regions`), cold (no projection or stage chain cached)
    and again, beside the whole-graph NetworkX projection the store's pushdown avoids (its build
    timed once, in the projection section, when that ran); then
    bottlenecks of the whole graph and the what-if of its busiest supplier, cold and again, beside
    the straightforward version (the supply world as dicts and sets, its cascade a supply at a
    time: ``_reference_read_world`` / ``_reference_cascade``, NetworkX reachability and
    dominators) run cold in the same process."""
    from graph.analysis import bottlenecks as bottlenecks_module
    from graph.analysis.gaps import gaps
    from graph.cache import clear_all
    from graph.projection import build_projection
    from graph.store.queries import queries

    regions = report_regions(run.dataset)
    run.extra["region"] = regions[0]
    whole_t = run.extra.get("nx seconds:all")  # the projection section's build of the same graph
    if whole_t is None:
        with timed() as whole_t:  # what gaps would cost if it pulled the whole graph into NetworkX
            build_projection(run.store, "all")
    rows = []
    for region, why in zip(regions, ("the most firms", "the most gaps")):
        clear_all()
        with timed() as cold_t:
            report = gaps(run.store, region)
        with timed() as warm_t:
            gaps(run.store, region)
        shape = f"{why}: {report.local_enterprises:,} local firms, {report.gaps_total} gaps of {report.counts.stages} stages"
        rows.append(row(f"gaps for {region}, cold ({shape})", cold_t, cached_cpu_s=round(warm_t.cpu, 4),
                        baseline_cpu_s=round(whole_t.cpu, 4), baseline="building the whole 'all' graph in NetworkX",
                        speedup=ratio(whole_t.cpu, cold_t.cpu), target="≤ 1 s cold"))
    sellers = Counter(supplier for _, supplier, _, stage in queries(run.store).links(["SUPPLIES"]) if stage)
    busiest = min(sellers, key=lambda s: (-sellers[s], s)) if sellers else None
    cases = [("bottlenecks", lambda: bottlenecks_module.bottlenecks(run.store))]
    if busiest:
        cases.append(("what-if", lambda: bottlenecks_module.whatif(run.store, [busiest])))
    for label, report_of in cases:
        clear_all()
        with timed() as cold_t:
            report = report_of()
        with timed() as warm_t:
            report_of()
        clear_all()
        with _reference_world(bottlenecks_module), timed() as reference_t:
            reference = report_of()
        same = reference.to_dict() == report.to_dict()
        clear_all()
        if label == "bottlenecks":
            counts = ", ".join(f"{n:,} {kind}" for kind, n in report.counts.items())
            name, target = f"bottlenecks, whole graph, cold ({counts})", "≤ 2 s cold at 1M relationships"
        else:
            name = f"what-if without {busiest}, the busiest supplier, cold ({report.enterprises_total:,} enterprises lose supply)"
            target = "≤ 0.5 s cold at 100k relationships"
        # networkx_cpu_s: pulling the whole 'all' graph into NetworkX, before any analysis
        rows.append(row(name, cold_t, cached_cpu_s=round(warm_t.cpu, 4), baseline_cpu_s=round(reference_t.cpu, 4), networkx_cpu_s=round(whole_t.cpu, 4),
                        baseline="the straightforward version (dict/set world, cascade a supply at a time, NetworkX reachability), cold",
                        speedup=ratio(reference_t.cpu, cold_t.cpu), target=target,
                        note="" if same else "DIFFERS from the straightforward version"))
    return rows


@contextmanager
def _reference_world(module):
    """The bottlenecks module with its straightforward supply world and cascade swapped in."""
    kept = module._read_world, module._cascade
    module._read_world, module._cascade = module._reference_read_world, module._reference_cascade
    try:
        yield
    finally:
        module._read_world, module._cascade = kept


def _get(url: str, timeout: float = 600) -> tuple[float, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body = response.read()
    return time.perf_counter() - started, body


@measurement("api", needs=("load_embedded",))
def _api(run: Run) -> list[dict]:
    """``chainx serve`` in a process of its own; a first (cold) request per report, then
    :data:`API_REQUESTS` more from a second process (:mod:`benchmarks.loadgen`) over
    :data:`API_CONCURRENCY` keep-alive connections: p50 and p99 latency and requests per second.
    Baseline: ``/health`` under the same load (the server's floor: routing, JSON, a store ping)."""
    from tests.serve import chainx_serve

    region = run.extra.get("region") or report_regions(run.dataset)[0]
    endpoints = [
        ("GET /health (baseline)", "/health"),
        (f"GET /regions/{region}/gaps", f"/regions/{quote(region)}/gaps"),
        ("GET /centrality pagerank, supply", "/centrality?metric=pagerank&graph=supply&top=20"),
        ("GET /bottlenecks", "/bottlenecks"),
    ]
    rows, floor = [], None
    with chainx_serve(run.store.uri) as base:  # chainx's own server: one that does not start fails the run
        for label, path in endpoints:
            cold_s, body = _get(base + path)
            figures = _load(base + path, TINY_API_REQUESTS if run.tiny else min(API_REQUESTS, max(100, run.size // 10)))
            floor = floor or figures  # /health's, measured first
            rows.append(row(
                f"{label} ({len(body):,} bytes)", span(cold_s),
                p50_ms=figures["p50_ms"], p99_ms=figures["p99_ms"], requests_per_s=figures["requests_per_s"],
                baseline_p99_ms=floor["p99_ms"], errors=figures["errors"],
                target="≤ 20 ms p99 cached" if "gaps" in path else None,
                note=f"wall s: the first (cold) request; then {figures['requests']:,} cached requests over {API_CONCURRENCY} connections",
            ))
    rows.append(_health_under_mix(run, floor))
    return rows


def _health_under_mix(run: Run, floor: dict) -> dict:
    """``/health`` while the costly reads of tests/adversarial/test_load_mix.py run at once
    (:func:`benchmarks.loadgen.costly_mix`, on a server with their low cost limits); beside the
    baseline ``/health`` p99 of the same run, with no other load."""
    from benchmarks.loadgen import COSTLY_LIMITS, costly_mix, costly_targets, percentile
    from tests.serve import chainx_serve

    supply = run.store.projection_columns(["Enterprise"], ["SUPPLIES"])
    hub = supply.ids[Counter(supply.source.tolist()).most_common(1)[0][0]]
    institute = min(node.id for node in run.store.nodes(["Institute"]))
    targets = costly_targets(hub, institute)
    with chainx_serve(run.store.uri, env=COSTLY_LIMITS) as base:
        started = time.perf_counter()
        answers, health = costly_mix(int(base.rsplit(":", 1)[1]), targets)
        wall = time.perf_counter() - started
    latencies = sorted(seconds for _, seconds in health)
    refused = sum(status in (422, 503) for status, _, _ in answers.values())
    errors = sum(status >= 500 for status, _ in health) + sum(status >= 500 and status != 503 for status, _, _ in answers.values())
    return row(
        f"GET /health under the costly mix ({len(targets)} costly reads at once, {refused} refused)", span(wall),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 3), p99_ms=round(percentile(latencies, 0.99) * 1000, 3),
        requests_per_s=round(len(latencies) / wall, 1), baseline_p99_ms=floor["p99_ms"], baseline="/health alone (the first row)", errors=errors, target="≤ 50 ms p99",
        note=f"wall s: until every costly read was answered; {len(latencies):,} /health requests meanwhile, one at a time",
    )


def _load(url: str, requests: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen", url, "--requests", str(requests), "--concurrency", str(API_CONCURRENCY)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=900,
    )
    return json.loads(result.stdout)


@measurement("views", needs=("load_embedded",))
def _views(run: Run) -> list[dict]:
    """The ego view of the biggest supplier, cut to :data:`VIEW_NODES` nodes: its data from the
    store, beside the same view through the reference queries (built on the store's primitives:
    whole relationships read, as the view once did; the two must be equal); its page, beside
    pyvis building the same network node by node (``add_node`` / ``add_edge``, its documented
    way) and writing its HTML; and the page drawn in headless Chromium, beside the same page with
    nothing folded (every node handed to vis-network at once)."""
    from pyvis.network import Network

    from graph.cache import clear_all
    from graph.store.queries import Queries
    from graph.views_data import ego_view
    from viz.pages import render

    supply = run.store.projection_columns(["Enterprise"], ["SUPPLIES"])
    hub = supply.ids[Counter(supply.source.tolist()).most_common(1)[0][0]]
    clear_all()
    with timed() as data_t:
        payload = ego_view(run.store, hub, depth=2, limit=VIEW_NODES)
    with timed() as page_t:
        html = render(payload)
    clear_all()
    store_type = type(run.store)
    own = store_type.__dict__.get("_queries")
    store_type._queries = Queries
    try:
        with timed() as reference_t:
            reference = ego_view(run.store, hub, depth=2, limit=VIEW_NODES)
    finally:
        if own is None:
            del store_type._queries
        else:
            store_type._queries = own
    if reference != payload:
        raise AssertionError("the ego view through the store's own queries differs from the reference queries'")
    nodes, rels = payload["nodes"], payload["relationships"]
    with timed() as pyvis_t:
        net = Network(directed=True, cdn_resources="in_line")
        for node in nodes:
            net.add_node(node["id"], label=node["name"], title=node["name"], group=node["kind"])
        for rel in rels:
            net.add_edge(rel["source"], rel["target"], title=rel["type"])
        pyvis_html = net.generate_html()
    total = span(data_t.wall + page_t.wall, data_t.cpu + page_t.cpu)
    shape = f"{len(nodes):,} nodes, {len(rels):,} relationships"
    rows = [
        row(f"ego view data, depth 2 ({shape}, {payload['folded']:,} folded into clusters)", data_t,
            baseline_cpu_s=round(reference_t.cpu, 4), baseline="the same view through the reference queries (equal)",
            speedup=ratio(reference_t.cpu, data_t.cpu)),
        row(f"ego view page ({len(html) / 1e6:.1f} MB of HTML)", page_t, baseline_cpu_s=round(pyvis_t.cpu, 4),
            baseline=f"pyvis add_node/add_edge + generate_html ({len(pyvis_html) / 1e6:.1f} MB)", speedup=ratio(pyvis_t.cpu, page_t.cpu)),
        row(f"ego view, data and page ({shape})", total, target="≤ 0.5 s for 2,000 nodes"),
    ]
    drawn = _drawn_in_browser(html)
    if drawn is not None:
        unfolded = render({**payload, "groups": [dict(g, folded=[]) for g in payload["groups"]], "folded": 0})
        whole = _drawn_in_browser(unfolded)
        rows.append(row(f"ego view drawn in headless Chromium ({shape}; load to first frame, physics off, clusters folded)", drawn,
                        baseline_cpu_s=round(whole.cpu, 4), baseline="the same page with nothing folded (every node drawn)",
                        speedup=ratio(whole.cpu, drawn.cpu), target="≤ 2 s for 2,000 nodes",
                        note="wall s: opening the page to body[data-ready]; CPU s: the renderer's main thread (CDP TaskDuration)"))
    return rows


CHROMIUM = Path("/usr/bin/chromium")


def _drawn_in_browser(html: str) -> Timer | None:
    """Opening the page (a file, the network blocked) to its networks drawn (``body[data-ready]``:
    physics settled, or off and the first frame painted): wall seconds, and the CPU seconds of the
    renderer's main thread over that span (Chrome's ``TaskDuration``); None without Playwright or
    Chromium (``make browser``)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.exists():
        return None
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ego.html"
        path.write_text(html, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 900})
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
                cdp = page.context.new_cdp_session(page)
                cdp.send("Performance.enable")
                before = _task_seconds(cdp)
                started = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_selector("body[data-ready]", state="attached", timeout=120_000)
                return span(time.perf_counter() - started, _task_seconds(cdp) - before)
            finally:
                browser.close()


def _task_seconds(cdp) -> float:
    return next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "TaskDuration")
