"""Measurement: each centrality computed inside Neo4j by Graph Data Science (graph/gds.py) beside
chainx's own engine on the same projection, in the same run, on the data the Bolt load left.

GDS runs in the server's JVM, on its own threads, so its CPU time is not this process's: where the
server was started here, a row's ``cpu_s`` is the server process's CPU seconds over the call
(user + system from /proc, every thread: the algorithm, the Cypher that streams the values back,
and whatever the idle server does meanwhile), beside chainx's CPU seconds (this process and the
workers it forks), and ``speedup`` is chainx's CPU ÷ GDS's CPU, above 1 where GDS spends less.
An external server (CHAINX_TEST_NEO4J_URI) has only wall seconds, and the ratio is of wall seconds.

What is counted: both sides start from their projections built and cached — the server's GDS
graphs (the natural one and k-core's, each timed in its own row beside chainx's projection of
the embedded store) and chainx's fast projection. A metric row is the values only. chainx's side
of a shortest-path metric is the centrality section's report (*again*, on its cached projection:
the values and a sort; an exact metric's end to end), not computed a second time.

Values: ``max_abs_diff`` is the largest difference between GDS's values and chainx's on the same
nodes. Where the definitions match it is a check (≈ 0); where they differ (PageRank with dangling
nodes, eigenvector, a sample of other sources) the note says how, and the figure says how much.
An exact shortest-path metric whose chainx estimate exceeds the budget is run by neither side.

Exact betweenness above :attr:`Run.gds_exact` relationships (10,000 unless ``--gds-exact`` says
otherwise) is not run on the size's projection: GDS's exact betweenness cost the server 2.6–2.8×
chainx's CPU at 100k (17 s and 50 s of the server's CPU on the supply and 'all' projections in the
run of 2026-12-07, 67 of that run's 395 CPU s), and it grows as nodes × edges. Both sides do the same work there
instead in *betweenness k=256* (GDS's ``samplingSize`` 256 with its seed, chainx's k=256 with its
seed: as many single-source searches each), and exact meets exact on a chain of its own of
``gds_exact`` relationships (same generator, same seed), loaded into the same server and the
embedded store, in rows labelled with that size. GDS's exact time at the size is never
extrapolated from its sampled run: its cost does not scale by sources (such an estimate once said
64 s where 37 s were measured).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from benchmarks.core import BETWEENNESS_K, GRAPHS, SEED, Run, Timer, measurement, ratio, row, span, timed
from benchmarks.measure_load import close_bolt
from graph.store.neo4j import clear_database

BASELINE = "chainx's own engine (this process) on the same projection"
MIN_SERVER_CPU = 0.1  # s: ten ticks of /proc's clock, below which the CPU ratio is mostly rounding
PROJECTION_BASELINE = "chainx's projection of the embedded store (graph.analysis.centrality.analysis_graph)"
# the shortest-path metrics take seconds: chainx computes each once, in the centrality section
REUSED = ("chainx: its values and CPU s from the centrality section's report (*again*, its projection cached; an exact "
          "metric's end to end, so with chainx's projection's milliseconds)")


def _jvm_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system, every thread) of process ``pid`` so far; None without one."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


@contextmanager
def _timed_server(pid: int | None):
    """Like :func:`benchmarks.core.timed`, but ``cpu`` is the server process's CPU seconds (None
    for a server that is not a child of this run)."""
    import time

    t = Timer()
    wall, cpu = time.perf_counter(), _jvm_cpu(pid)
    try:
        yield t
    finally:
        t.wall = time.perf_counter() - wall
        after = _jvm_cpu(pid)
        t.cpu = None if cpu is None or after is None else after - cpu


def _figures(server_t: Timer, ours_t: Timer | None) -> dict:
    """The row's figures: the server's time as wall and CPU s, chainx's beside it, the ratio."""
    # the server's CPU clock ticks in 1/100 s: a shorter call is compared on wall seconds
    on_cpu = server_t.cpu is not None and server_t.cpu >= MIN_SERVER_CPU
    figures = {"gds_wall_s": round(server_t.wall, 4)}
    if ours_t is not None:
        figures.update(baseline_cpu_s=round(ours_t.cpu, 4), chainx_wall_s=round(ours_t.wall, 4), ratio_of="CPU s" if on_cpu else "wall s",
                       # baseline ÷ chainx here: chainx's time ÷ GDS's, above 1 where GDS is faster
                       speedup=ratio(ours_t.cpu, server_t.cpu) if on_cpu else ratio(ours_t.wall, server_t.wall))
    return figures


def _max_diff(ours: dict | None, theirs: dict | None) -> float | None:
    """The largest |GDS − chainx| over the nodes; inf where the node sets differ."""
    if ours is None or theirs is None:
        return None
    if set(ours) != set(theirs):
        return float("inf")
    return max((abs(theirs[n] - v) for n, v in ours.items()), default=0.0)


@measurement("gds", needs=("load_embedded", "load_bolt"))
def _gds(run: Run) -> list[dict]:
    import time

    from graph import accel, gds
    from graph.analysis.centrality import analysis_graph, centrality_values
    from graph.cache import clear_all
    from graph.errors import InvalidParameter, StoreError, TooExpensive

    if "bolt" not in run.extra:
        return [row("GDS centralities", span(), note="not measured: no Bolt server (see load_bolt)")]
    server, store = run.extra.pop("bolt")
    process = getattr(server, "_process", None)
    pid = process.pid if server.local and process is not None else None
    unit = "CPU s of the server process" if pid else "wall s (an external server: its CPU is not seen here)"

    def timed_row(label: str, t: Timer, **figures) -> dict:
        print(f"    gds: {label}: {t.wall:.1f} s wall", file=sys.stderr, flush=True)  # a long section shows its progress
        # cpu_s is the server's where it is seen, else None: never this process's idle wait
        return {**row(label, span(t.wall, t.cpu or 0.0)), "cpu_s": None if t.cpu is None else round(t.cpu, 4), **figures}

    try:
        if not gds.has_gds(store):
            return [row("GDS centralities", span(), note=f"not measured: {gds.why_not(store)}")]
        rows = []
        computed = run.extra.get("chainx values", {})
        for name in GRAPHS:
            clear_all()
            with _timed_server(pid) as project_t:  # the Cypher projection into GDS's catalog, and the node list
                P = gds.server_projection(store, name)
            with timed() as ours_project_t:
                G = analysis_graph(run.store, name)
            figures = _figures(project_t, ours_project_t)
            same = (P.number_of_nodes(), P.number_of_edges()) == (G.number_of_nodes(), G.number_of_edges())
            rows.append(timed_row(
                f"GDS projection {name!r} ({P.number_of_nodes():,} nodes, {P.number_of_edges():,} edges)", project_t,
                baseline=PROJECTION_BASELINE, **figures,
                note=f"Cypher projection in the server (gds.graph.project), the node ids and names streamed back; {unit}"
                     f"; ratio of {figures['ratio_of']}"
                     + ("" if same else f"; **not chainx's projection**: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges there")))
            with _timed_server(pid) as core_t:
                gds.catalog_graph(store, name, "core")
            rows.append(timed_row(f"GDS k-core projection {name!r} (undirected, no self-loops)", core_t, **_figures(core_t, None),
                                  note=f"projected before the metrics, so the core row is the algorithm only; {unit}"))
            k = min(BETWEENNESS_K, G.number_of_nodes())
            metrics = [m for m in accel.METRICS if P.is_directed() or m not in ("in_degree", "out_degree")]
            for metric, kk in [(m, None) for m in metrics] + [("betweenness", k)]:
                label = f"{metric}{f' k={kk}' if kk else ''} ({name})"
                if label in run.extra.get("over_budget", ()):
                    rows.append(row(label, span(), note=f"not run: over the {run.budget:.0f} s budget in the centrality section"))
                    continue
                if metric == "betweenness" and kk is None and run.size > run.gds_exact:
                    rows.append(row(label, span(), note=f"not run at this size: {EXACT_ELSEWHERE.format(n=run.gds_exact)}"))
                    continue
                seed = SEED if kk else None
                notes = []
                if label in computed:  # seconds of chainx's work: timed once, in the centrality section
                    ours, ours_t = computed[label]
                    notes.append(REUSED)
                else:
                    clear_all("centrality values")
                    with timed() as ours_t:
                        try:
                            # the budget holds exact path metrics only, as in the centrality section
                            exact_paths = kk is None and metric in ("betweenness", "closeness", "harmonic")
                            ours = centrality_values(run.store, metric, name, k=kk, seed=seed, force=not exact_paths,
                                                     max_seconds=run.budget, engine="chainx")
                        except TooExpensive as error:
                            rows.append(row(label, span(), note=f"not run by either engine: chainx's estimate is over the {run.budget:.0f} s budget ({error})"))
                            continue
                        except InvalidParameter as error:  # eigenvector may not converge
                            ours, notes = None, [f"chainx: {error}"]
                began = time.perf_counter()
                with _timed_server(pid) as gds_t:
                    try:
                        theirs = gds.values(store, metric, name, k=kk, seed=seed)
                    except StoreError as error:  # a GDS call that fails at size: the row says so, the others still run
                        theirs = None
                        notes.append(f"GDS failed after {time.perf_counter() - began:.1f} s: {str(error).splitlines()[0][:300]}")
                differs = gds.SAMPLED_DIFFERS if kk else gds.DIFFERS.get(metric)
                figures = _figures(gds_t, ours_t)
                rows.append(timed_row(
                    label, gds_t, baseline=BASELINE, **figures,
                    max_abs_diff=_max_diff(ours, theirs),
                    note="; ".join(x for x in (f"GDS in the server, {unit}; ratio of {figures['ratio_of']}", *notes,
                                               f"differs: {differs}" if differs else "same definition as chainx's (NetworkX's)") if x),
                ))
        if run.size > run.gds_exact:
            rows += _exact_betweenness_small(run, store, pid, unit, timed_row)
        return rows
    finally:
        close_bolt(server, store)


EXACT_ELSEWHERE = ("GDS's exact betweenness costs the server some 3× chainx's CPU, growing as nodes × edges; "
                   "the same work on both sides at this size: 'betweenness k=256'; exact against exact: "
                   "the rows 'exact betweenness, {n:,}-relationship chain'")


def _exact_betweenness_small(run: Run, store, pid: int | None, unit: str, timed_row) -> list[dict]:
    """Exact betweenness, GDS against chainx, on a chain of ``run.gds_exact`` relationships of
    its own (the size's generator and seed), loaded into the server (replacing the size's data,
    which the metrics above are done with) and into an embedded store of its own."""
    from benchmarks.generate import _generate
    from graph import gds
    from graph.analysis.centrality import analysis_graph, centrality_values
    from graph.cache import clear_all
    from graph.store.sqlite import SqliteStore
    from loaders import read_dataset
    from loaders.pipeline import load_path, prepare

    n = run.gds_exact
    folder, _ = _generate(run.workdir / f"gds-exact-{n}", n, run.seed)
    small = SqliteStore(run.workdir / f"gds-exact-{n}.db", create=True)
    rows = []
    try:
        load_path(small, folder)
        clear_database(store)
        data, _ = prepare(store, read_dataset(folder))
        store.write(data)
        for name in GRAPHS:
            clear_all()
            P = gds.server_projection(store, name)  # both projections built first: the rows are the values only
            G = analysis_graph(small, name)
            with timed() as ours_t:
                ours = centrality_values(small, "betweenness", name, force=True, engine="chainx")
            with _timed_server(pid) as gds_t:
                theirs = gds.values(store, "betweenness", name)
            figures = _figures(gds_t, ours_t)
            same = (P.number_of_nodes(), P.number_of_edges()) == (G.number_of_nodes(), G.number_of_edges())
            rows.append(timed_row(
                f"exact betweenness, {n:,}-relationship chain ({name}: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges)",
                gds_t, baseline=BASELINE, **figures, max_abs_diff=_max_diff(ours, theirs),
                note=f"a chain of its own of {n:,} relationships, same generator and seed, in the same server and an embedded store; "
                     f"GDS in the server, {unit}; ratio of {figures['ratio_of']}; same definition as chainx's (NetworkX's)"
                     + ("" if same else "; **the projections differ**")))
    finally:
        small.close()
        clear_all()
    return rows
