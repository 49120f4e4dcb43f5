"""Measure chainx end to end on generated chains, each figure beside its baselines from the same run.

    python -m benchmarks.run            # 100k relationships
    python -m benchmarks.run --quick    # 10k
    python -m benchmarks.run --full     # 100k and 1M
    python -m benchmarks.run --tiny     # 3k, for the test that keeps this script working

For every size it generates a dataset (:mod:`benchmarks.generate`), loads it into the embedded
store, builds projections and computes every centrality metric three ways: pure NetworkX on the
NetworkX projection, chainx's accelerated path (:mod:`graph.fastproj` + :mod:`graph.accel`, from
the store), and the raw library (igraph built from the same arrays, its own function). It prints a
table and writes ``benchmarks/results/latest.json`` and ``latest.md``.

Each size runs in its own process, so its peak RSS is its own. Times are given as wall and CPU
seconds; ratios use CPU seconds, since the 2-core machines these run on are shared and wall time
there measures the neighbours too (everything timed is single-threaded). A computation whose
estimated time exceeds ``--budget`` seconds is not run: its time is extrapolated from a sample
of sources (per-source work is uniform in these algorithms) and the row says "estimated".

Adding a measurement: write ``def f(run: Run) -> list[dict]`` and decorate it with
``@measurement("name")``; each returned row is ``{"name", "wall_s", "cpu_s", ...}`` with optional
``networkx_cpu_s``, ``library_cpu_s``, ``rows_per_s``, ``max_abs_diff`` and ``note``. It runs
after the ones above it, with the store loaded.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import SIZES, _generate  # noqa: E402

__all__ = ["Run", "measurement", "MEASUREMENTS", "run_size", "main"]

RESULTS = ROOT / "benchmarks" / "results"
GRAPHS = ("supply", "all")  # the directed supply network and the undirected everything-graph
BETWEENNESS_K = 256
SEED = 1


@dataclass
class Run:
    """What the measurements of one size share."""

    size: int
    seed: int
    workdir: Path
    budget: float
    dataset: Path | None = None
    store: object | None = None
    data: object | None = None
    extra: dict = field(default_factory=dict)


MEASUREMENTS: dict[str, Callable[[Run], list[dict]]] = {}


def measurement(name: str):
    """Register a named measurement; they run in the order registered."""

    def register(func):
        MEASUREMENTS[name] = func
        return func

    return register


class Timer:
    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def timed():
    t = Timer()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield t
    finally:
        t.wall, t.cpu = time.perf_counter() - wall, time.process_time() - cpu


def _row(name: str, t: Timer, **figures) -> dict:
    return {"name": name, "wall_s": round(t.wall, 4), "cpu_s": round(t.cpu, 4), **figures}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- measurements ----------------------------------------------------------------------------------
@measurement("generate")
def _generate_dataset(run: Run) -> list[dict]:
    with timed() as t:
        folder, shape = _generate(run.workdir / "dataset", run.size, run.seed)
    run.dataset = folder
    return [_row("generate dataset", t, rows_per_s=round((shape.nodes + run.size) / max(t.wall, 1e-9)), note=", ".join(f"{k} {v:,}" for k, v in shape.counts.items()))]


@measurement("load_embedded")
def _load_embedded(run: Run) -> list[dict]:
    from graph.ingest import gc_paused, prepare
    from graph.store.sqlite import SqliteStore
    from loaders import read_dataset

    store = SqliteStore(run.workdir / "chainx.db", create=True)
    # the steps of graph.ingest.load_path, timed one by one (it pauses the collector throughout)
    with gc_paused():
        with timed() as read_t:
            raw = read_dataset(run.dataset)
        with timed() as validate_t:
            data, _ = prepare(store, raw)
        with timed() as write_t:
            store.write(data)
    run.store = store
    rows = len(data)
    del data, raw  # as after a real load: the graph lives in the store now
    run.extra["rss_after_load_mb"] = round(peak_rss_mb(), 1)
    total = Timer()
    total.wall = read_t.wall + validate_t.wall + write_t.wall
    total.cpu = read_t.cpu + validate_t.cpu + write_t.cpu

    def rate(t: Timer) -> dict:
        return {"rows_per_s": round(rows / max(t.wall, 1e-9)), "rows_per_cpu_s": round(rows / max(t.cpu, 1e-9))}

    return [
        _row("read CSV", read_t, **rate(read_t)),
        _row("validate (ingest.prepare)", validate_t, **rate(validate_t)),
        _row("write SQLite", write_t, **rate(write_t)),
        _row(f"load embedded, end to end ({rows:,} rows)", total, **rate(total), note="target ≥ 100k rows/s"),
    ]


@measurement("projection")
def _projections(run: Run) -> list[dict]:
    import igraph

    from graph.fastproj import build_fast_projection
    from graph.projection import PROJECTIONS, build_projection

    rows = []
    for name in GRAPHS:
        with timed() as nx_t:
            G = build_projection(run.store, name)
        with timed() as fast_t:
            P = build_fast_projection(run.store, name)
        labels, types, directed = PROJECTIONS[name]
        with timed() as lib_t:  # the library's own build from the store's rows
            columns = run.store.projection_columns(labels, types)
            igraph.Graph(n=len(columns.ids), edges=list(zip(columns.source.tolist(), columns.target.tolist())), directed=directed)
        run.extra[f"nx:{name}"] = G
        rows.append(_row(
            f"projection {name!r} ({G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges)", fast_t,
            networkx_cpu_s=round(nx_t.cpu, 4), library_cpu_s=round(lib_t.cpu, 4),
            note="fast (arrays) vs NetworkX graph vs igraph from the same store rows",
        ))
        del P
    return rows


def _library(metric: str, g, sources) -> Callable[[], object]:
    """The raw library's own call for ``metric`` (its definitions, not necessarily NetworkX's)."""
    mode = "in" if g.is_directed() else "all"
    return {
        "degree": lambda: g.degree(),
        "in_degree": lambda: g.indegree(),
        "out_degree": lambda: g.outdegree(),
        "betweenness": lambda: g.betweenness(sources=sources),
        "closeness": lambda: g.closeness(mode=mode),
        "harmonic": lambda: g.harmonic_centrality(mode=mode, normalized=False),
        "pagerank": lambda: g.pagerank(weights="weight"),
        "eigenvector": lambda: g.eigenvector_centrality(),  # in-edges on a directed graph, as NetworkX
        "core": lambda: g.coreness(),
    }[metric]


def _networkx(metric: str, G, k):
    import networkx as nx

    from graph.analysis.centrality import EIGENVECTOR_MAX_ITER

    def core():
        H = G.copy()
        H.remove_edges_from(list(nx.selfloop_edges(H)))
        return nx.core_number(H)

    return {
        "degree": lambda: nx.degree_centrality(G),
        "in_degree": lambda: nx.in_degree_centrality(G),
        "out_degree": lambda: nx.out_degree_centrality(G),
        "betweenness": lambda: nx.betweenness_centrality(G, k=k, seed=SEED),
        "closeness": lambda: nx.closeness_centrality(G),
        "harmonic": lambda: nx.harmonic_centrality(G),
        "pagerank": lambda: nx.pagerank(G, weight="weight"),
        "eigenvector": lambda: nx.eigenvector_centrality(G, max_iter=EIGENVECTOR_MAX_ITER),
        "core": core,
    }[metric]


def _attempt(func):
    """(value, None) or (None, the reason it failed: eigenvector may not converge)."""
    import networkx as nx

    try:
        return func(), None
    except nx.PowerIterationFailedConvergence as error:
        return None, f"did not converge ({error})"


def _max_diff(a: dict | None, b: dict | None) -> float | None:
    if a is None or b is None:
        return None
    diffs = [abs(a[n] - b[n]) for n in b if not (isinstance(b[n], float) and math.isnan(b[n]))]
    return max(diffs, default=0.0)


SHORTEST_PATH_METRICS = ("betweenness", "closeness", "harmonic")


@measurement("centrality")
def _centrality(run: Run) -> list[dict]:
    """Every metric on each graph: accelerated end to end (fast projection + compute, from the
    warm store), pure NetworkX on the NetworkX projection, and igraph's own call on the arrays."""
    import igraph

    from graph import accel
    from graph.fastproj import build_fast_projection
    from graph.projection import PROJECTIONS

    rows = []
    for name in GRAPHS:
        G = run.extra[f"nx:{name}"]
        P0 = build_fast_projection(run.store, name)
        a = P0.arrays
        g = igraph.Graph(n=len(a.ids), edges=list(zip(a.src.tolist(), a.dst.tolist())), directed=a.directed, edge_attrs={"weight": a.weight.tolist()})
        n = len(a.ids)
        k = min(BETWEENNESS_K, n)
        sample = [a.index[x] for x in accel.sample_sources(a, k, SEED)]
        # the cost of one source's search, calibrated on this graph by the sampled betweenness
        with timed() as calib:
            g.betweenness(sources=sample)
        per_source = calib.cpu / k
        metrics = [m for m in accel.METRICS if a.directed or m not in ("in_degree", "out_degree")]
        cases = [(m, None) for m in metrics] + [("betweenness", k)]
        for metric, kk in cases:
            label = f"{metric}{f' k={kk}' if kk else ''} ({name})"
            exact_paths = metric in SHORTEST_PATH_METRICS and kk is None
            passes = 1
            predicted = per_source * n * passes if exact_paths else 0.0
            if predicted > run.budget:
                rows.append(_estimated_row(label, metric, G, g, n, per_source, passes, run.budget))
                continue
            with timed() as acc_t:  # end to end from the warm store: arrays built, then computed
                P = build_fast_projection(run.store, name)
                got, failed = _attempt(lambda: accel.compute(P, metric, k=kk, seed=SEED))
            with timed() as cached_t:  # a repeated report: the projection is cached per store version
                _attempt(lambda: accel.compute(P, metric, k=kk, seed=SEED))
            with timed() as lib_t:  # the library from the same store: its rows, its graph, its call
                columns = run.store.projection_columns(*PROJECTIONS[name][:2])
                lib_graph = igraph.Graph(n=len(columns.ids), edges=list(zip(columns.source.tolist(), columns.target.tolist())),
                                         directed=a.directed, edge_attrs={"weight": columns.weight.tolist()})
                if metric not in ("betweenness", "closeness", "harmonic"):
                    lib_graph.simplify(combine_edges="sum")  # parallel relationships as one weighted edge
                _library(metric, lib_graph, sample if kk else None)()
            want, nx_t, nx_note = _networkx_timed(metric, G, kk, run.budget)
            rows.append(_row(
                label, acc_t,
                cached_cpu_s=round(cached_t.cpu, 4),
                networkx_cpu_s=round(nx_t, 4) if nx_t is not None else None,
                library_cpu_s=round(lib_t.cpu, 4),
                max_abs_diff=_max_diff(got, want),
                note="; ".join(x for x in (failed, nx_note) if x),
            ))
    return rows


def _networkx_timed(metric: str, G, k, budget: float):
    """(values, CPU seconds, note): NetworkX itself, or its time extrapolated from a sample of
    sources when it would exceed ``budget``."""
    import networkx as nx

    if metric in SHORTEST_PATH_METRICS:
        # time a sample of sources first (their work is uniform) and run in full only within budget
        nodes = list(G)
        # 50 sources, fewer on a national graph (a NetworkX search there takes seconds)
        count = max(8, min(50, int(1e7 / max(1, G.number_of_nodes() + G.number_of_edges()))))
        sample = random.Random(SEED).sample(nodes, min(len(nodes), count))
        with timed() as t:
            if metric == "betweenness":
                nx.betweenness_centrality(G, k=len(sample), seed=SEED)
            elif metric == "closeness":  # what closeness_centrality does per node, on incoming paths
                R = G.reverse(copy=False) if G.is_directed() else G
                for node in sample:
                    sum(nx.single_source_shortest_path_length(R, node).values())
            else:
                nx.harmonic_centrality(G, sources=sample)
        sources = k if k is not None else len(nodes)
        predicted = t.cpu * sources / len(sample)
        if predicted > budget:
            return None, predicted, f"NetworkX estimated from {len(sample)} sources"
    with timed() as t:
        values, failed = _attempt(_networkx(metric, G, k))
    return values, t.cpu, failed


def _estimated_row(label, metric, G, g, n, per_source, passes, budget) -> dict:
    """Neither side run in full: igraph timed on a sample of vertices and scaled to all of them."""
    sample = random.Random(SEED).sample(range(n), min(n, 200))
    mode = "in" if g.is_directed() else "all"
    with timed() as t:
        if metric == "closeness":
            g.closeness(vertices=sample, mode=mode)
        elif metric == "harmonic":
            g.harmonic_centrality(vertices=sample, mode=mode, normalized=False)
    library = t.cpu * n / len(sample) if metric != "betweenness" else per_source * n
    _, nx_t, _ = _networkx_timed(metric, G, None, 0.0)
    est = Timer()
    est.cpu = est.wall = library * passes
    return _row(label, est, networkx_cpu_s=round(nx_t, 2), library_cpu_s=round(library, 2), estimated=True,
                note=f"not run (over the {budget:.0f} s budget): both sides extrapolated from sampled sources; "
                "chainx refuses exact runs this size unless forced")


@measurement("memory")
def _memory(run: Run) -> list[dict]:
    t = Timer()
    return [
        _row("peak RSS after generating and loading", t, peak_rss_mb=run.extra.get("rss_after_load_mb"), note="chainx alone: target < 3 GB at 1M relationships"),
        _row("peak RSS of this size's process", t, peak_rss_mb=round(peak_rss_mb(), 1), note="including the NetworkX baselines' graphs"),
    ]


# -- running -----------------------------------------------------------------------------------
def run_size(size: int, seed: int = SEED, budget: float = 120.0, workdir: Path | None = None) -> dict:
    """Every measurement on one size; {section: rows}."""
    # igraph warns that eigenvector centrality means little on a disconnected graph: known here
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    with tempfile.TemporaryDirectory(prefix="chainx-bench-") as tmp:
        run = Run(size, seed, Path(workdir or tmp), budget)
        results: dict[str, list[dict]] = {}
        for name, func in MEASUREMENTS.items():
            print(f"  [{size:,}] {name} ...", file=sys.stderr, flush=True)
            results[name] = func(run)
        if run.store is not None:
            run.store.close()
        return results


def _ratio(row: dict, key: str) -> str:
    """``row[key]`` over chainx's time: on the cached projection when there is one (NetworkX's
    time is likewise on its cached projection), else end to end."""
    other = row.get(key)
    mine = row.get("cached_cpu_s") or row.get("cpu_s")
    if other is None or not mine:
        return ""
    return f"{other / mine:.1f}×"


def _fmt(value, digits=3) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render_markdown(report: dict) -> str:
    meta = report["meta"]
    lines = [
        "# chainx benchmark",
        "",
        f"{meta['started']} · Python {meta['python']} · NetworkX {meta['networkx']} · igraph {meta['igraph']} · "
        f"{meta['cpus']} CPUs · load average {meta['loadavg_start']} at start, {meta['loadavg_end']} at end · budget {meta['budget_s']:.0f} s",
        "",
        "Ratios use CPU seconds (the machine is shared; wall time also counts the neighbours). "
        "*NetworkX ÷ chainx*: how many times faster chainx is than pure NetworkX, both computing on their "
        "projection cached for the store version (the projection rows compare the builds); "
        "*CPU s* of a centrality is chainx end to end from the warm store (fast projection built, then computed); "
        "*cached*: the same again on the projection cached for the store version. "
        "*library*: igraph from the same store (the projection query, its graph, its own call) — its definitions, "
        "which for closeness on disconnected graphs and for PageRank/eigenvector tolerances are not NetworkX's. "
        "*chainx ÷ library* target ≤ 1.5. *max abs Δ*: largest difference between chainx's and NetworkX's values.",
    ]
    for size, sections in report["sizes"].items():
        lines += ["", f"## {int(size):,} relationships", "",
                  "| section | measure | wall s | CPU s | cached CPU s | NetworkX CPU s | library CPU s | NetworkX ÷ chainx | chainx ÷ library | rows/s | max abs Δ | note |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for section, rows in sections.items():
            for row in rows:
                lib = row.get("library_cpu_s")
                over_lib = f"{row['cpu_s'] / lib:.2f}" if lib else ""
                extra = (f"{row['rows_per_s']:,} ({row['rows_per_cpu_s']:,} per CPU s)" if "rows_per_cpu_s" in row
                         else row.get("rows_per_s") or (f"{row['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in row else ""))
                diff = row.get("max_abs_diff")
                est = " (est.)" if row.get("estimated") else ""
                lines.append(
                    f"| {section} | {row['name']}{est} | {_fmt(row['wall_s'])} | {_fmt(row['cpu_s'])} | {_fmt(row.get('cached_cpu_s'))} | {_fmt(row.get('networkx_cpu_s'))} "
                    f"| {_fmt(lib)} | {_ratio(row, 'networkx_cpu_s')} | {over_lib} | {extra if isinstance(extra, str) else f'{extra:,}'} "
                    f"| {'' if diff is None else f'{diff:.1e}'} | {row.get('note', '')} |"
                )
    return "\n".join(lines) + "\n"


def _child(size: int, seed: int, budget: float) -> dict:
    """Run one size in a fresh process (its own peak RSS) and return its sections."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        command = [sys.executable, "-m", "benchmarks.run", "--one-size", str(size), "--seed", str(seed), "--budget", str(budget), "--json-out", str(out)]
        subprocess.run(command, check=True, cwd=ROOT)
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark chainx on generated chains (see benchmarks/run.py).")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--tiny", action="store_true", help=f"{SIZES['tiny']:,} relationships (the test)")
    group.add_argument("--quick", action="store_true", help=f"{SIZES['quick']:,} relationships")
    group.add_argument("--full", action="store_true", help=f"{SIZES['default']:,} and {SIZES['full']:,} relationships")
    group.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds above which a computation is extrapolated instead of run")
    parser.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for latest.json and latest.md")
    args = parser.parse_args(argv)

    if args.one_size:
        sections = run_size(args.one_size, args.seed, args.budget)
        args.json_out.write_text(json.dumps(sections, ensure_ascii=False), encoding="utf-8")
        return 0

    sizes = [SIZES["tiny"]] if args.tiny else [SIZES["quick"]] if args.quick else [SIZES["default"], SIZES["full"]] if args.full else [SIZES["default"]]
    import igraph
    import networkx

    report = {
        "meta": {
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "python": platform.python_version(),
            "networkx": networkx.__version__,
            "igraph": igraph.__version__,
            "cpus": os.cpu_count(),
            "loadavg_start": round(os.getloadavg()[0], 2),
            "budget_s": args.budget,
            "seed": args.seed,
            "sections": list(MEASUREMENTS),
        },
        "sizes": {},
    }
    args.results.mkdir(parents=True, exist_ok=True)
    failed = False
    for size in sizes:
        print(f"benchmarking {size:,} relationships", file=sys.stderr, flush=True)
        try:
            report["sizes"][str(size)] = _child(size, args.seed, args.budget)
        except subprocess.CalledProcessError as error:  # keep the sizes already measured
            print(f"the {size:,} run failed (exit {error.returncode}); the table keeps the other sizes", file=sys.stderr)
            failed = True
        # written after every size, so a long --full run that is stopped keeps what it measured
        report["meta"]["loadavg_end"] = round(os.getloadavg()[0], 2)
        markdown = render_markdown(report)
        (args.results / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        (args.results / "latest.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"wrote {args.results / 'latest.json'} and {args.results / 'latest.md'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
