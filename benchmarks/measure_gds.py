"""Measurement: each centrality computed inside Neo4j by Graph Data Science (graph/gds.py) beside
chainx's own engine on the same projection, in the same run, on the data the Bolt load left.

GDS runs in the server's JVM, on every core, so its CPU time is not this process's: the rows
compare wall seconds (chainx's engines are single-threaded, and on a shared 2-core machine the
ratio is rougher than the other sections' CPU ratios). Both sides start from their projection
built and cached: the server's GDS graph, chainx's fast projection of the embedded store.
"""

from __future__ import annotations

from benchmarks.core import BETWEENNESS_K, GRAPHS, SEED, Run, measurement, ratio, row, span, timed
from benchmarks.measure_load import close_bolt

BASELINE = "chainx's own engine (this process) on the same projection, wall s"


@measurement("gds")
def _gds(run: Run) -> list[dict]:
    from graph import accel, gds
    from graph.analysis.centrality import analysis_graph, centrality_values
    from graph.cache import clear_all
    from graph.errors import InvalidParameter

    if "bolt" not in run.extra:
        return [row("GDS centralities", span(), note="not measured: no Bolt server (see load_bolt)")]
    server, store = run.extra.pop("bolt")
    try:
        if not gds.has_gds(store):
            return [row("GDS centralities", span(), note=f"not measured: {gds.why_not(store)}")]
        rows = []
        for name in GRAPHS:
            clear_all()
            with timed() as project_t:  # the Cypher projection into GDS's catalog, and the node list
                P = gds.server_projection(store, name)
            rows.append(row(f"GDS projection {name!r} ({P.number_of_nodes():,} nodes, {P.number_of_edges():,} edges)", project_t,
                            note="Cypher projection in the server, the node ids and names streamed back"))
            G = analysis_graph(run.store, name)
            k = min(BETWEENNESS_K, G.number_of_nodes())
            metrics = [m for m in accel.METRICS if P.is_directed() or m not in ("in_degree", "out_degree")]
            for metric, kk in [(m, None) for m in metrics] + [("betweenness", k)]:
                label = f"{metric}{f' k={kk}' if kk else ''} ({name})"
                if label in run.extra.get("over_budget", ()):
                    rows.append(row(label, span(), note=f"not run: over the {run.budget:.0f} s budget in the centrality section"))
                    continue
                seed = SEED if kk else None
                clear_all("centrality values")
                with timed() as ours_t:
                    try:
                        ours = centrality_values(run.store, metric, name, k=kk, seed=seed, force=True, engine="chainx")
                    except InvalidParameter:  # eigenvector may not converge
                        ours = None
                with timed() as gds_t:
                    theirs = gds.values(store, metric, name, k=kk, seed=seed)
                differs = gds.SAMPLED_DIFFERS if kk else gds.DIFFERS.get(metric)
                diff = None if ours is None or differs else max((abs(theirs[n] - v) for n, v in ours.items()), default=0.0)
                rows.append(row(
                    label, gds_t, baseline=BASELINE, baseline_cpu_s=round(ours_t.cpu, 4), chainx_wall_s=round(ours_t.wall, 4),
                    # baseline ÷ chainx here: chainx's wall ÷ GDS's wall, above 1 where GDS is faster
                    speedup=ratio(ours_t.wall, gds_t.wall), max_abs_diff=diff,
                    note="; ".join(x for x in ("GDS in the server, wall s" + ("" if ours is not None else "; chainx: did not converge"),
                                               differs and f"differs: {differs}") if x),
                ))
        return rows
    finally:
        close_bolt(server, store)
