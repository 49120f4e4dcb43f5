"""Measure chainx end to end on generated chains, each figure beside its baselines from the same run.

    python -m benchmarks.run            # 100k relationships
    python -m benchmarks.run --quick    # 10k
    python -m benchmarks.run --full     # 100k and 1M
    python -m benchmarks.run --tiny     # 3k, for the test that keeps this script working
    python -m benchmarks.run --only gds,api   # these sections (and those they need) alone: only.md

For every size it generates a dataset (:mod:`benchmarks.generate`) and measures, in order
(:mod:`benchmarks.measure_load`, :mod:`benchmarks.measure_graph`, :mod:`benchmarks.measure_service`):
the load into the embedded store and over Bolt (beside one MERGE per row into the same server);
projections and every centrality report (beside pure NetworkX on the NetworkX projection, and
igraph's own call on a graph built from the same store rows); each metric computed inside Neo4j by
Graph Data Science beside chainx's own engine on the same projection; gaps and bottlenecks (beside
pulling the whole graph into NetworkX); the HTTP API, cold and under a concurrent load from a
second process (beside ``/health``); a 2,000-node view (beside pyvis node by node); peak memory;
the national recipe (:mod:`benchmarks.measure_national`: a town's gaps, a named path and its chain
view on a national chain, beside the whole chain).
It prints a table with a summary of the targets of issue 6, and writes
``benchmarks/results/latest.json`` and ``latest.md``.

Each size runs in its own process, so its peak RSS is its own. Times are given as wall and CPU
seconds; ratios use CPU seconds, since the 2-core machines these run on are shared and wall time
there measures the neighbours too (everything timed in-process is single-threaded). A computation
whose estimated time exceeds ``--budget`` seconds is not run: its time is extrapolated from a
sample of sources (per-source work is uniform in these algorithms) and the row says "estimated";
a NetworkX shortest-path baseline is run in full only up to ``measure_graph.NETWORKX_SECONDS``, else
extrapolated from the same kind of sample, and its note says so. Each section's wall and CPU
seconds are printed as it ends and given in the table; a section's CPU seconds count the Neo4j
server this run started (load_bolt starts it, gds stops it) while the section ran.
``--only`` runs some sections alone, with the sections they read from (``needs`` in
:func:`benchmarks.core.measurement`: generate and load_embedded nearly always), to see where a
section's seconds go; it writes ``only.json`` and ``only.md`` and leaves ``latest.*`` alone.

Adding a measurement: see :mod:`benchmarks.core`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

# importing a measurement module registers its measurements; they run in import order
import benchmarks.measure_load  # noqa: E402,F401,I001
import benchmarks.measure_graph  # noqa: E402,F401
import benchmarks.measure_gds  # noqa: E402,F401
import benchmarks.measure_service  # noqa: E402,F401
import benchmarks.measure_related  # noqa: E402,F401
import benchmarks.measure_asof  # noqa: E402,F401
import benchmarks.measure_national  # noqa: E402,F401
from benchmarks.core import MEASUREMENTS, SEED, Run, measurement, peak_rss_mb, row, span, timed, with_needs  # noqa: E402
from benchmarks.generate import SIZES  # noqa: E402

__all__ = ["MEASUREMENTS", "run_size", "targets", "main"]

RESULTS = ROOT / "benchmarks" / "results"
GDS_EXACT = SIZES["quick"]  # relationships: GDS's exact betweenness is compared at this size, not above


@measurement("memory", needs=("load_embedded",))
def _memory(run: Run) -> list[dict]:
    """Peak RSS: of generating and loading (this process, then), of chainx's reports in a fresh
    process of their own (:mod:`benchmarks.reports_rss`), and of this whole process with the
    NetworkX baselines' graphs (not chainx's: what pure NetworkX would have held)."""
    region = run.extra.get("region", "")
    result = subprocess.run([sys.executable, "-m", "benchmarks.reports_rss", run.store.uri, region],
                            cwd=ROOT, capture_output=True, text=True, check=True, timeout=3600)
    reports = json.loads(result.stdout)["peak_rss_mb"]
    return [
        row("peak RSS after generating and loading", span(), peak_rss_mb=run.extra.get("rss_after_load_mb"),
            target="< 3 GB at 1M relationships", note="chainx's load, in this process"),
        row("peak RSS of chainx's reports", span(), peak_rss_mb=reports, target="< 3 GB at 1M relationships",
            note="a fresh process: centralities, gaps, bottlenecks and an ego view on the loaded store"),
        row("peak RSS of this size's process", span(), peak_rss_mb=round(peak_rss_mb(), 1),
            note="with the NetworkX baselines' graphs and the Bolt load's second copy of the data"),
    ]


# -- running -----------------------------------------------------------------------------------
def _server_cpu(run: Run) -> dict[int, float | None]:
    """The CPU seconds so far of each server this size started, by id (None: not running)."""
    return {id(server): server.cpu_seconds() for server in run.servers}


def _servers_share(run: Run, before: dict[int, float | None]) -> float:
    """The CPU seconds of this size's servers that belong to the section since ``before``: a
    running server's CPU meanwhile; for one that ended (and was waited for, so os.times counted
    its whole life in the section) minus what the sections before it were already charged."""
    share = 0.0
    for key, now in _server_cpu(run).items():
        then = before.get(key)
        if now is not None:
            share += now - (then or 0.0)
        elif then is not None:
            share -= then
    return share


def run_size(size: int, seed: int = SEED, budget: float = 120.0, workdir: Path | None = None,
             seconds: dict[str, dict] | None = None, only: list[str] | None = None, gds_exact: int = GDS_EXACT) -> dict:
    """Every measurement on one size (or those of ``only`` and what they need); {section: rows}.
    ``seconds``, when given, receives each section's own wall and CPU seconds (what a person waits
    for: its baselines included, and the Neo4j server's CPU while the section ran)."""
    # igraph warns that eigenvector centrality means little on a disconnected graph: known here
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    with tempfile.TemporaryDirectory(prefix="chainx-bench-") as tmp:
        run = Run(size, seed, Path(workdir or tmp), budget, gds_exact=gds_exact)
        results: dict[str, list[dict]] = {}
        for name in with_needs(only) if only else MEASUREMENTS:
            print(f"  [{size:,}] {name} ...", file=sys.stderr, flush=True)
            servers = _server_cpu(run)
            with timed() as t:
                results[name] = MEASUREMENTS[name](run)
            share = _servers_share(run, servers)
            t.cpu += share
            # a positive share is the running servers' CPU in the section (a negative one: a server ended in it)
            shown = f" (the Neo4j server's {share:.1f} s of it)" if share > 0 else ""
            print(f"  [{size:,}] {name}: {t.wall:.1f} s wall, {t.cpu:.1f} s CPU{shown}", file=sys.stderr, flush=True)
            if seconds is not None:
                seconds[name] = {"wall_s": round(t.wall, 2), "cpu_s": round(t.cpu, 2), **({"server_cpu_s": round(share, 2)} if share > 0 else {})}
        if "bolt" in run.extra:  # loaded for a gds section that was not asked for (--only)
            from benchmarks.measure_load import close_bolt

            close_bolt(*run.extra.pop("bolt"))
        if run.store is not None:
            run.store.close()
        return results


def _fmt(value, digits=3) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _times(value) -> str:
    return "" if value is None else f"{value:.{1 if value >= 10 else 2}f}×"


def _rate(r: dict) -> str:
    if "rows_per_cpu_s" in r:
        return f"{r['rows_per_s']:,} ({r['rows_per_cpu_s']:,} per CPU s)"
    if "requests_per_s" in r:
        return f"{r['requests_per_s']:,} req/s"
    if r.get("peak_rss_mb") is not None:
        return f"{r['peak_rss_mb']:.0f} MB"
    return _fmt(r.get("rows_per_s"))


def _latency(r: dict) -> str:
    if "p99_ms" not in r:
        return ""
    return f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} (baseline {r['baseline_p99_ms']:.1f})"


def _find(rows: list[dict], start: str) -> dict | None:
    return next((r for r in rows if r["name"].startswith(start)), None)


def targets(sections: dict[str, list[dict]], size: int) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met?) for the targets of issue 6 that this size's rows speak
    to; met is None where the figure is missing (a section not measured)."""
    out: list[tuple[str, str, bool | None]] = []

    def check(target: str, figure: float | None, ok, shown: str) -> None:
        out.append((target, shown if figure is not None else "not measured", None if figure is None else bool(ok(figure))))

    measured = [r for r in sections.get("centrality", []) if not r.get("estimated") and r.get("over_library") is not None]
    worst = max(measured, key=lambda r: r["over_library"], default=None)
    check("every centrality within 1.5× of the library's build + compute", worst and worst["over_library"], lambda x: x <= 1.5,
          worst and f"worst {worst['over_library']:.2f}× ({worst['name']})")
    if size >= 100_000:
        k256 = _find(sections.get("centrality", []), "betweenness k=256 (supply)")
        check("betweenness k=256 ≥ 30× pure NetworkX (at 100k relationships and up)", k256 and k256.get("speedup"), lambda x: x >= 30,
              k256 and f"{k256.get('speedup')}×" + (f" ({k256['note']})" if "estimated" in (k256.get("note") or "") else ""))
    cores = [r for r in sections.get("cores", []) if r.get("speedup") is not None and r.get("threads", 1) >= 2]
    slowest = min(cores, key=lambda r: r["speedup"], default=None)
    check("exact betweenness, closeness, harmonic ≥ 1.8× the single-threaded igraph call on 2 cores (wall)",
          slowest and slowest["speedup"], lambda x: x >= 1.8, slowest and f"slowest {slowest['speedup']:.2f}× ({slowest['name']})")
    load = _find(sections.get("load_embedded", []), "load embedded, end to end")
    check("embedded load ≥ 100k rows/s", load and load["rows_per_cpu_s"], lambda x: x >= 100_000,
          load and f"{load['rows_per_s']:,} rows/s wall, {load['rows_per_cpu_s']:,} per CPU s")
    bolt = _find(sections.get("load_bolt", []), "load into an empty graph (")  # the first load, not the warm server's
    bolt_shown = bolt and (f"{bolt.get('speedup')}× ({bolt['rows_per_s']:,} rows/s wall, {bolt['rows_per_cpu_s']:,} per CPU s"
                           f"{' with the server' if 'server_cpu_s' in bolt else ''})")
    check("Bolt load into an empty graph ≥ 20× one MERGE per row", bolt and bolt.get("speedup"), lambda x: x >= 20, bolt_shown)
    check("Bolt load into an empty graph ≥ 50k rows/s (wall)", bolt and bolt.get("rows_per_s"), lambda x: x >= 50_000, bolt_shown)
    warm = _find(sections.get("load_bolt", []), "load into an empty graph, warm server")
    check("the same on a warm server (its JIT done) ≥ 50k rows/s (wall)", warm and warm.get("rows_per_s"), lambda x: x >= 50_000,
          warm and f"{warm['rows_per_s']:,} rows/s wall, {warm['rows_per_cpu_s']:,} per CPU s with the server")
    view = _find(sections.get("views", []), "ego view, data and page")
    check("a 2,000-node view in ≤ 0.5 s", view and view["cpu_s"], lambda x: x <= 0.5, view and f"{view['cpu_s']:.3f} CPU s ({view['wall_s']:.3f} wall)")
    drawn = _find(sections.get("views", []), "ego view drawn in headless Chromium")
    check("a 2,000-node view drawn in the browser in ≤ 2 s", drawn and drawn["wall_s"], lambda x: x <= 2.0,
          drawn and f"{drawn['wall_s']:.3f} s wall, {drawn['cpu_s']:.3f} renderer CPU s ({drawn.get('speedup')}× the page with nothing folded)")
    for r in (r for r in sections.get("national", []) if "target_s" in r):
        # each national row carries its own target: ≤ 1 s gaps, ≤ 0.2 s path, ≤ 2 s view (issue 13)
        check(f"{r['name'].split(', cold')[0]}: {r['target']}", r["cpu_s"], lambda x, limit=r["target_s"]: x <= limit,
              f"{r['cpu_s']:.3f} CPU s ({r['wall_s']:.3f} wall; {r['speedup']}× the baseline)")
    gaps = max((r for r in sections.get("analyses", []) if r["name"].startswith("gaps for")), key=lambda r: r["wall_s"], default=None)
    if size >= 1_000_000:
        bn = _find(sections.get("analyses", []), "bottlenecks, whole graph")
        check("bottlenecks of the whole 1M graph: ≤ 2 s cold", bn and bn["cpu_s"], lambda x: x <= 2.0,
              bn and f"{bn['cpu_s']:.3f} CPU s ({bn['wall_s']:.3f} wall; {bn['speedup']}× the straightforward version)")
    elif size >= 100_000:
        wi = _find(sections.get("analyses", []), "what-if")
        check("what-if of the busiest supplier on 100k: ≤ 0.5 s cold", wi and wi["cpu_s"], lambda x: x <= 0.5,
              wi and f"{wi['cpu_s']:.3f} CPU s ({wi['wall_s']:.3f} wall; {wi['speedup']}× the straightforward version)")
    if size >= 1_000_000:
        check("gaps for one region on 1M: ≤ 1 s cold", gaps and gaps["wall_s"], lambda x: x <= 1.0,
              gaps and f"{gaps['wall_s']:.3f} s wall, the slower of two cities ({gaps['name'].split(',')[0]})")
        api = next((r for r in sections.get("api", []) if "/gaps" in r["name"]), None)
        check("gaps for one region on 1M: ≤ 20 ms cached (API p99)", api and api["p99_ms"], lambda x: x <= 20,
              api and f"p99 {api['p99_ms']:.1f} ms (p50 {api['p50_ms']:.1f})")
        chainx = [r["peak_rss_mb"] for r in sections.get("memory", []) if r.get("target") and r.get("peak_rss_mb") is not None]
        check("chainx's peak RSS < 3 GB at 1M relationships", max(chainx, default=None), lambda x: x < 3072,
              chainx and f"{max(chainx):.0f} MB (load {chainx[0]:.0f}, reports {chainx[-1]:.0f})")
    return out


def render_markdown(report: dict) -> str:
    meta = report["meta"]
    lines = [
        "# chainx benchmark",
        "",
        f"{meta['started']} · Python {meta['python']} · NetworkX {meta['networkx']} · igraph {meta['igraph']} · "
        f"{meta['cpus']} CPUs · load average {meta['loadavg_start']} at start, {meta.get('loadavg_end', '?')} at end · budget {meta['budget_s']:.0f} s",
        "",
        "Ratios use CPU seconds (the machine is shared; wall time also counts the neighbours). "
        "*CPU s*: chainx end to end from the warm store (a centrality: the report, with its projection built; "
        "gaps and bottlenecks: cold, no projection cached). *again*: the same once more, its projection cached for the "
        "store version (a centrality's values recomputed). *baseline*: pure NetworkX on its own cached projection "
        "(centrality), the whole graph pulled into NetworkX (analyses), one MERGE per row into the same server (Bolt), "
        "pyvis node by node (views); *baseline ÷ chainx* compares it with *again* for centralities (with *CPU s* for an exact path metric, which has no *again*) and with *CPU s* otherwise. "
        "*library*: igraph from the same store (the projection query, its graph, its own call), by its own definitions, "
        "which for closeness on disconnected graphs and for PageRank/eigenvector tolerances are not NetworkX's. "
        "*p50 / p99*: API latency under load from a second process (baseline: `/health`). "
        "*max abs Δ*: the largest difference between chainx's and NetworkX's values.",
    ]
    for size, sections in report["sizes"].items():
        lines += ["", f"## {int(size):,} relationships", ""]
        took = meta.get("section_seconds", {}).get(size)
        if took:
            total = sum(t["wall_s"] for t in took.values())
            cpu = sum(t["cpu_s"] for t in took.values())
            lines += [f"This size took {total / 60:.1f} min wall, {cpu:.0f} CPU s: "
                      + ", ".join(f"{name} {t['wall_s']:.0f} s ({t['cpu_s']:.0f} CPU s)" for name, t in took.items())
                      + " (CPU s: this process, the children that ended in the section, and the Neo4j server this run started while the section ran).", ""]
        summary = targets(sections, int(size))
        if summary:
            lines += ["| target | measured | met |", "|---|---|---|"]
            lines += [f"| {t} | {shown} | {'' if ok is None else 'yes' if ok else '**no**'} |" for t, shown, ok in summary]
            lines.append("")
        lines += ["| section | measure | wall s | CPU s | again CPU s | baseline CPU s | library CPU s | baseline ÷ chainx | chainx ÷ library | rate | p50 / p99 ms | max abs Δ | note |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for section, rows in sections.items():
            for r in rows:
                baseline = r.get("networkx_cpu_s", r.get("baseline_cpu_s", r.get("baseline_wall_s")))
                diff = r.get("max_abs_diff")
                note = "; ".join(x for x in (r.get("baseline") and f"baseline: {r['baseline']}", r.get("engine") and f"engine: {r['engine']}",
                                             r.get("target") and f"target {r['target']}", r.get("note")) if x)
                lines.append(
                    f"| {section} | {r['name']}{' (est.)' if r.get('estimated') else ''} | {_fmt(r['wall_s'])} | {_fmt(r['cpu_s'])} "
                    f"| {_fmt(r.get('cached_cpu_s'))} | {_fmt(baseline)} | {_fmt(r.get('library_cpu_s'))} | {_times(r.get('speedup'))} "
                    f"| {_fmt(r.get('over_library'), 2)} | {_rate(r)} | {_latency(r)} | {'' if diff is None else f'{diff:.1e}'} | {note} |"
                )
    return "\n".join(lines) + "\n"


def _child(size: int, seed: int, budget: float, only: list[str] | None, gds_exact: int) -> tuple[dict, dict]:
    """Run one size in a fresh process (its own peak RSS); its sections and each one's seconds."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        command = [sys.executable, "-m", "benchmarks.run", "--one-size", str(size), "--seed", str(seed), "--budget", str(budget), "--json-out", str(out)]
        command += ["--gds-exact", str(gds_exact)] + (["--only", ",".join(only)] if only else [])
        subprocess.run(command, check=True, cwd=ROOT)
        done = json.loads(out.read_text(encoding="utf-8"))
        return done["sections"], done["seconds"]
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
    parser.add_argument("--gds-exact", type=int, default=GDS_EXACT, metavar="RELATIONSHIPS",
                        help="above this size GDS's exact betweenness is compared with chainx's on a chain of this many "
                             "relationships, not on the size's own (see benchmarks/measure_gds.py)")
    parser.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for latest.json and latest.md")
    parser.add_argument("--only", metavar="SECTION[,SECTION...]",
                        help="run these sections and those they need (written to only.json and only.md, not latest.*): "
                             + ", ".join(MEASUREMENTS))
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()] if args.only is not None else None
    if only is not None:
        unknown = [name for name in only if name not in MEASUREMENTS]
        if unknown or not only:
            parser.error(f"--only: unknown section {', '.join(map(repr, unknown))}; the sections are {', '.join(MEASUREMENTS)}"
                         if unknown else "--only: name at least one section")

    if args.gds_exact < 1:
        parser.error(f"--gds-exact: a number of relationships, at least 1 (got {args.gds_exact})")
    if args.one_size:
        seconds: dict[str, dict] = {}
        sections = run_size(args.one_size, args.seed, args.budget, seconds=seconds, only=only, gds_exact=args.gds_exact)
        args.json_out.write_text(json.dumps({"sections": sections, "seconds": seconds}, ensure_ascii=False), encoding="utf-8")
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
            "gds_exact": args.gds_exact,
            "seed": args.seed,
            "sections": with_needs(only) if only else list(MEASUREMENTS),
            "section_seconds": {},  # {size: {section: {wall_s, cpu_s}}}: how long each took, baselines included
        },
        "sizes": {},
    }
    args.results.mkdir(parents=True, exist_ok=True)
    stem = "only" if only else "latest"  # a partial run leaves the whole table alone
    failed = False
    for size in sizes:
        print(f"benchmarking {size:,} relationships", file=sys.stderr, flush=True)
        try:
            report["sizes"][str(size)], report["meta"]["section_seconds"][str(size)] = _child(size, args.seed, args.budget, only, args.gds_exact)
        except subprocess.CalledProcessError as error:  # keep the sizes already measured
            print(f"the {size:,} run failed (exit {error.returncode}); the table keeps the other sizes", file=sys.stderr)
            failed = True
        # written after every size, so a long --full run that is stopped keeps what it measured
        report["meta"]["loadavg_end"] = round(os.getloadavg()[0], 2)
        markdown = render_markdown(report)
        (args.results / f"{stem}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        (args.results / f"{stem}.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"wrote {args.results / f'{stem}.json'} and {args.results / f'{stem}.md'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
