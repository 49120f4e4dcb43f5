"""Measurements: projections and every centrality metric, beside pure NetworkX and igraph."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from benchmarks.core import BETWEENNESS_K, GRAPHS, SEED, Run, measurement, ratio, row, span, timed


@measurement("projection", needs=("load_embedded",))
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
        run.extra[f"nx seconds:{name}"] = nx_t  # the analyses' baseline too: the same build, timed once
        rows.append(row(
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

    from graph.errors import InvalidParameter

    try:
        return func(), None
    except (nx.PowerIterationFailedConvergence, InvalidParameter) as error:
        return None, f"did not converge ({error})"


def _max_diff(a: dict | None, b: dict | None) -> float | None:
    if a is None or b is None:
        return None
    diffs = [abs(a[n] - b[n]) for n in b if not (isinstance(b[n], float) and math.isnan(b[n]))]
    return max(diffs, default=0.0)


SHORTEST_PATH_METRICS = ("betweenness", "closeness", "harmonic")
NO_AGAIN = "again not run (seconds of values beside milliseconds of projection): baseline ÷ chainx uses the report end to end"


@measurement("centrality", needs=("projection",))
def _centrality(run: Run) -> list[dict]:
    """Every metric on each graph, three ways: chainx's report (:func:`centrality`, end to end
    from the warm store: projection built, values computed, rows listed), pure NetworkX on the
    NetworkX projection, and igraph's own call on a graph built from the same store rows."""
    import igraph

    from graph import accel
    from graph.analysis import centrality as reports
    from graph.cache import clear_all
    from graph.fastproj import fast_projection
    from graph.projection import PROJECTIONS

    rows = []
    for name in GRAPHS:
        G = run.extra[f"nx:{name}"]
        samples: dict = {}  # NetworkX's sampled seconds per source on this graph, by metric
        clear_all()
        a = fast_projection(run.store, name).arrays
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
            predicted = per_source * n if exact_paths else 0.0
            if predicted > run.budget:
                rows.append(_estimated_row(label, metric, G, g, n, per_source, run.budget, samples))
                run.extra.setdefault("over_budget", set()).add(label)  # (the GDS section skips it too)
                continue
            report = lambda metric=metric, name=name, kk=kk: reports.centrality(run.store, metric, name, k=kk, seed=SEED if kk else None, force=True)  # noqa: E731
            clear_all()
            with timed() as acc_t:  # the report a user asks for, from the warm store
                got, failed = _attempt(report)
            cached_t = None
            if not exact_paths:  # an exact path metric's values take seconds and its projection milliseconds: no again
                clear_all("centrality values")
                with timed() as cached_t:  # again, its projection cached for the store version
                    _attempt(report)
            values = None if failed else reports.centrality_values(run.store, metric, name, k=kk, seed=SEED if kk else None, force=True)
            if metric in SHORTEST_PATH_METRICS:  # the GDS section compares with these instead of computing them again
                run.extra.setdefault("chainx values", {})[label] = (values, cached_t or acc_t)
            with timed() as lib_t:  # the library from the same store: its rows, its graph, its call
                columns = run.store.projection_columns(*PROJECTIONS[name][:2])
                lib_graph = igraph.Graph(n=len(columns.ids), edges=list(zip(columns.source.tolist(), columns.target.tolist())),
                                         directed=a.directed, edge_attrs={"weight": columns.weight.tolist()})
                if metric not in ("betweenness", "closeness", "harmonic"):
                    lib_graph.simplify(combine_edges="sum")  # parallel relationships as one weighted edge
                _library(metric, lib_graph, sample if kk else None)()
            if exact_paths and not failed:  # the cores section's two sides, on all sources (see _cores)
                run.extra.setdefault("exact runs", {})[(metric, name)] = (acc_t, lib_t)
            want, nx_t, nx_note = _networkx_timed(metric, G, kk, min(run.budget, NETWORKX_SECONDS), samples, arrays=a)
            rows.append(row(
                label, acc_t,
                cached_cpu_s=cached_t and round(cached_t.cpu, 4),
                networkx_cpu_s=round(nx_t, 4) if nx_t is not None else None,
                library_cpu_s=round(lib_t.cpu, 4),
                # NetworkX on its cached projection against chainx's again (else its report end to end, which
                # counts chainx's projection too); end to end against the library's build + call
                speedup=ratio(nx_t, (cached_t or acc_t).cpu), over_library=ratio(acc_t.cpu, lib_t.cpu),
                target="chainx ÷ library ≤ 1.5" + ("; ≥ 30× NetworkX at 100k" if kk and name == "supply" else ""),
                max_abs_diff=_max_diff(values, want),
                engine=None if failed else got.engine,
                note="; ".join(x for x in (failed, nx_note, exact_paths and NO_AGAIN) if x),
            ))
    return rows


CORES_SECONDS = 5.0  # the single-process side of each "cores" row, at most, by the estimate (which runs high)
CORES_TARGET = "≥ 1.8× the single-threaded igraph call on 2 cores (wall)"


@measurement("cores", needs=("load_embedded",))
def _cores(run: Run) -> list[dict]:
    """The shortest-path centralities on every core beside the single-threaded igraph call, in
    wall time (the point is the cores: CPU time is about the same). Where the centrality section
    ran both on all sources (its report on every core, its projection built; igraph's build and
    call from the same store rows), the row is those two timings, not a second run of the same;
    else each side runs here, on all sources when one process takes at most
    :data:`CORES_SECONDS`, else on the same sample of sources (their work is uniform)."""
    import numpy as np

    from graph import accel
    from graph.fastproj import fast_projection

    workers = accel.threads()
    rows = []
    for name in GRAPHS:
        a = fast_projection(run.store, name).arrays
        g, n = a.igraph, len(a.ids)
        mode = "in" if a.directed else "all"
        method = {"betweenness": "betweenness", "closeness": "closeness", "harmonic": "harmonic_centrality"}
        kwargs = {"betweenness": {"directed": a.directed}, "closeness": {"mode": mode, "normalized": True},
                  "harmonic": {"mode": mode, "normalized": False}}
        for metric in SHORTEST_PATH_METRICS:
            if (metric, name) in run.extra.get("exact runs", {}) and workers > 1:
                ours, single = run.extra["exact runs"][(metric, name)]
                rows.append(row(
                    f"exact {metric} on {workers} cores ({name})", ours,
                    baseline="single-threaded igraph call (wall s)", baseline_wall_s=round(single.wall, 4),
                    speedup=ratio(single.wall, ours.wall), threads=workers, target=CORES_TARGET,
                    note=f"all {n:,} sources, timed in the centrality section: chainx's report end to end (its projection built) "
                         "beside igraph's build from the same store rows and its call; wall seconds on both sides"))
                continue
            # a ratio needs only enough work to dwarf starting the processes: a sample of sources
            # (their work is uniform) of about CORES_SECONDS per side, the same on both sides
            seconds = accel.estimate_seconds(a, metric) * accel.threads_used(a, metric)  # one process
            count = n if seconds <= CORES_SECONDS else max(workers * 8, int(n * CORES_SECONDS / seconds))
            part = random.Random(SEED).sample(range(n), count) if count < n else list(range(n))
            with timed() as one:
                key = "sources" if metric == "betweenness" else "vertices"
                want = np.asarray(getattr(g, method[metric])(**{key: part}, **kwargs[metric]), dtype=np.float64)
            with timed() as many:
                shares = accel._split(part, workers)
                got = accel._in_processes(a, method[metric], shares, kwargs[metric]) if workers > 1 else [want]
            if metric == "betweenness":
                value = np.sum(got, axis=0)
            else:
                value = np.empty(len(part))
                position = {v: i for i, v in enumerate(part)}
                for share, share_values in zip(shares, got):
                    value[[position[v] for v in share]] = share_values
            diff = np.abs(value - want)
            diff[np.isnan(value) & np.isnan(want)] = 0.0  # igraph's closeness of a node nothing reaches
            rows.append(row(
                f"exact {metric} on {workers} cores ({name})", many,
                baseline="single-threaded igraph call (wall s)", baseline_wall_s=round(one.wall, 4),
                speedup=ratio(one.wall, many.wall), threads=workers,
                max_abs_diff=float(diff.max()) if len(part) else 0.0,
                target=CORES_TARGET,
                note=("all sources" if count == n else f"{count:,} of {n:,} sources, both sides") + "; wall seconds on both sides",
                estimated=count < n,
            ))
    return rows


NETWORKX_SECONDS = 10.0  # a NetworkX path or eigenvector baseline predicted longer than this is extrapolated, not run
EIGENVECTOR_PROBES = (4, 12)  # NetworkX's eigenvector timed on so many iterations, to predict its whole run


def _networkx_timed(metric: str, G, k, budget: float, samples: dict | None = None, arrays=None):
    """(values, CPU seconds, note): NetworkX itself, or its time extrapolated when it would exceed
    ``budget``: a path metric's from a sample of sources; eigenvector's (170 CPU s at 1M
    relationships) from two short runs (:data:`EIGENVECTOR_PROBES` iterations: each iteration is
    one pass over every edge, so the difference gives its cost and the rest the set-up's) and
    the iterations its whole run takes (:func:`graph.accel.eigenvector_iterations`, on
    ``arrays``, G's fast projection, when given). On the 100k 'all' chain two such estimates came
    to 0.69× and 0.92× of NetworkX's measured runs, which themselves took 3.1–3.7 s. ``samples``
    ({metric: seconds per source}, one per graph) keeps each sample's timing, so exact and
    sampled betweenness share one sample."""
    import networkx as nx

    from graph import accel
    from graph.analysis.centrality import EIGENVECTOR_MAX_ITER

    if metric == "eigenvector":
        # without convergence NetworkX runs every iteration, then raises
        runs = accel.eigenvector_iterations(G if arrays is None else arrays, max_iter=EIGENVECTOR_MAX_ITER) or EIGENVECTOR_MAX_ITER
        short, longer = EIGENVECTOR_PROBES
        # the short run scaled up (its set-up counted again with every iteration) overestimates the
        # whole run: within the budget, the whole is run
        if runs > longer and (first := _eigenvector_seconds(G, short)) / short * runs > budget:
            per_iteration = max(_eigenvector_seconds(G, longer) - first, 0.0) / (longer - short)
            predicted = max(first - short * per_iteration, 0.0) + per_iteration * runs
            if predicted > budget:
                return None, predicted, f"NetworkX estimated from runs of {short} and {longer} of its {runs} iterations"
    if metric in SHORTEST_PATH_METRICS:
        # time a sample of sources first (their work is uniform) and run in full only within budget
        nodes = list(G)
        # 50 sources, fewer on a national graph (a NetworkX search there takes seconds)
        count = min(len(nodes), max(8, min(50, int(1e7 / max(1, G.number_of_nodes() + G.number_of_edges())))))
        if samples is None or metric not in samples:
            sample = random.Random(SEED).sample(nodes, count)
            with timed() as t:
                if metric == "betweenness":
                    nx.betweenness_centrality(G, k=len(sample), seed=SEED)
                elif metric == "closeness":  # what closeness_centrality does per node, on incoming paths
                    R = G.reverse(copy=False) if G.is_directed() else G
                    for node in sample:
                        sum(nx.single_source_shortest_path_length(R, node).values())
                else:
                    nx.harmonic_centrality(G, sources=sample)
            per_source = t.cpu / max(1, count)
            if samples is not None:
                samples[metric] = per_source
        else:
            per_source = samples[metric]
        predicted = per_source * (k if k is not None else len(nodes))
        if predicted > budget:
            return None, predicted, f"NetworkX estimated from {count} sources"
    with timed() as t:
        values, failed = _attempt(_networkx(metric, G, k))
    return values, t.cpu, failed


def _eigenvector_seconds(G, iterations: int) -> float:
    """CPU seconds of ``nx.eigenvector_centrality(G)`` cut off after ``iterations``."""
    import networkx as nx

    with timed() as t:
        _attempt(lambda: nx.eigenvector_centrality(G, max_iter=iterations))
    return t.cpu


def _estimated_row(label, metric, G, g, n, per_source, budget, samples) -> dict:
    """Neither side run in full: igraph timed on a sample of vertices and scaled to all of them."""
    sample = random.Random(SEED).sample(range(n), min(n, 200))
    mode = "in" if g.is_directed() else "all"
    with timed() as t:
        if metric == "closeness":
            g.closeness(vertices=sample, mode=mode)
        elif metric == "harmonic":
            g.harmonic_centrality(vertices=sample, mode=mode, normalized=False)
    library = t.cpu * n / len(sample) if metric != "betweenness" else per_source * n
    _, nx_t, _ = _networkx_timed(metric, G, None, 0.0, samples)
    return row(label, span(library, library), networkx_cpu_s=round(nx_t, 4), library_cpu_s=round(library, 4), estimated=True,
               speedup=ratio(nx_t, library), over_library=1.0,
               note=f"not run (over the {budget:.0f} s budget): both sides extrapolated from sampled sources; "
               "chainx refuses exact runs this size unless forced")


