"""The national recipe: a town's gaps within its scope, a named path, the town's chain view, on a
national chain with the town's firms on top (issue 13's targets: ≤ 1 s, ≤ 0.2 s, ≤ 2 s).

Two national stores, each in SQLite: the national-noise chain of :mod:`benchmarks.national`
(50,000 products at the default size, 2,000 at the tiny and quick runs) and, when
../shared/datasets/chainkg is beside the repository and the run is the default size or larger,
the real chainkg graph imported as ``chainx import chainkg`` does with ``data/overlay-example``
loaded on top. Every figure is cold (no stage chain or projection cached). The baselines are what
the report would cost without its scope: gaps over the whole chain, and the whole 'all' graph
pulled into NetworkX for the path and the view. Above the default size (``--full``'s 1M) the
chains would be the same as at 100k, which the same run measures first: not measured again.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.core import Run, measurement, ratio, row, span, timed
from benchmarks.generate import SIZES

ROOT = Path(__file__).resolve().parent.parent
CHAINKG = ROOT.parent / "shared" / "datasets" / "chainkg"
OVERLAY = ROOT / "data" / "overlay-example"
TOWN = "shengze"
PATH_ENDS = ("原油", "服装")


def _noise_store(run: Run):
    from benchmarks.national import generate_national
    from graph.store.sqlite import SqliteStore
    from loaders import load_dataset

    stages = 50_000 if run.size >= 100_000 else 2_000
    planted = generate_national(run.workdir / "national-noise", stages=stages, firms=stages // 15, seed=run.seed)
    store = SqliteStore(run.workdir / "national-noise.db", create=True)
    store.write(load_dataset(planted.folder))
    return f"national-noise chain, {stages:,} products", store


def _chainkg_store(run: Run):
    from graph.store.sqlite import SqliteStore
    from loaders.chainkg import read_chainkg
    from loaders.pipeline import load_path, prepare

    store = SqliteStore(run.workdir / "chainkg.db", create=True)
    data, _ = prepare(store, read_chainkg(CHAINKG).raw, match_stages=False)
    store.write(data)
    load_path(store, OVERLAY)
    return "chainkg + overlay", store


@measurement("national")
def _national(run: Run) -> list[dict]:
    from graph.analysis.gaps import gaps
    from graph.analysis.paths import explained_path
    from graph.cache import clear_all
    from graph.projection import build_projection
    from graph.views_data import chain_view
    from viz.pages import render

    if run.size > SIZES["default"]:
        return [row("national recipe", span(), note=f"measured at the {SIZES['default']:,} size only: the same national chains at every size from there up")]
    makers = [_noise_store]
    if run.size >= 100_000 and CHAINKG.is_dir():
        makers.append(_chainkg_store)
    rows = []
    for make in makers:
        label, store = make(run)
        try:
            clear_all()
            with timed() as whole_t:  # the baseline of the path and the view
                build_projection(store, "all")
            clear_all()
            with timed() as whole_gaps_t:
                gaps(store, TOWN, scope="whole")
            clear_all()
            with timed() as gaps_t:
                report = gaps(store, TOWN)
            scope = report.chain_scope
            rows.append(row(f"{label}: gaps for {TOWN} in its scope, cold ({scope.stages:,} of {scope.of:,} stages, "
                            f"{report.gaps_total} gaps)", gaps_t, baseline_cpu_s=round(whole_gaps_t.cpu, 4),
                            baseline="gaps over the whole chain", speedup=ratio(whole_gaps_t.cpu, gaps_t.cpu), target="≤ 1 s", target_s=1.0))
            clear_all()
            with timed() as path_t:
                path = explained_path(store, *PATH_ENDS, via="chain", directed=True)
            rows.append(row(f"{label}: path {PATH_ENDS[0]} → {PATH_ENDS[1]} by name, along FEEDS, cold ({path.length} steps)", path_t,
                            baseline_cpu_s=round(whole_t.cpu, 4), baseline="building the whole 'all' graph in NetworkX",
                            speedup=ratio(whole_t.cpu, path_t.cpu), target="≤ 0.2 s", target_s=0.2))
            clear_all()
            with timed() as data_t:
                payload = chain_view(store, TOWN)
            with timed() as page_t:
                render(payload)
            view_t = span(data_t.wall + page_t.wall, data_t.cpu + page_t.cpu)
            rows.append(row(f"{label}: chain view of {TOWN}, data and page, cold ({len(payload['stages']):,} stages)", view_t,
                            baseline_cpu_s=round(whole_t.cpu, 4), baseline="building the whole 'all' graph in NetworkX",
                            speedup=ratio(whole_t.cpu, view_t.cpu), target="≤ 2 s", target_s=2.0))
        finally:
            store.close()
            clear_all()
    return rows
