"""The benchmark keeps working: its generator makes valid datasets of the size asked for, and a tiny
run of the whole script writes a table with every section."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from benchmarks.generate import generate_dataset
from benchmarks.run import MEASUREMENTS
from loaders import load_dataset

ROOT = Path(__file__).resolve().parent.parent


def test_the_generator_writes_exactly_the_relationships_asked_for_and_they_validate(tmp_path):
    data = load_dataset(generate_dataset(tmp_path / "a", relationships=5_000, seed=3))
    assert len(data.relationships) == 5_000
    types = Counter(r.type for r in data.relationships)
    assert set(types) == {"FEEDS", "PART_OF", "OPERATES_IN", "SUPPLIES", "LOCATED_IN", "COLLABORATES_WITH", "RESEARCHES"}
    assert types["SUPPLIES"] > types.total() / 2


def test_supplies_follow_feeds_and_degrees_are_heavy_tailed(tmp_path):
    data = load_dataset(generate_dataset(tmp_path / "a", relationships=20_000, seed=5))
    feeds = {(r.source, r.target) for r in data.relationships if r.type == "FEEDS"}
    operates = {(r.source, r.target) for r in data.relationships if r.type == "OPERATES_IN"}
    supplies = [r for r in data.relationships if r.type == "SUPPLIES"]
    # the key is the supplier's stage (the product), which feeds a stage the customer operates in
    assert all((r.source, r.key) in operates for r in supplies)
    customer_stages: dict[str, set[str]] = {}
    for enterprise, stage in operates:
        customer_stages.setdefault(enterprise, set()).add(stage)
    assert all(any((r.key, s) in feeds for s in customer_stages[r.target]) for r in supplies)
    out_degree = sorted(Counter(r.source for r in supplies).values(), reverse=True)
    median = out_degree[len(out_degree) // 2]
    assert out_degree[0] > 20 * median  # a few national champions, many small firms


def test_the_same_seed_gives_the_same_bytes(tmp_path):
    first = generate_dataset(tmp_path / "a", relationships=3_000, seed=9)
    second = generate_dataset(tmp_path / "b", relationships=3_000, seed=9)
    other = generate_dataset(tmp_path / "c", relationships=3_000, seed=10)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)
    assert (first / "supplies.csv").read_bytes() != (other / "supplies.csv").read_bytes()


def test_a_tiny_benchmark_run_writes_every_section(tmp_path, gds_store, gds_server):
    # the run's Bolt and GDS sections load into this session's GDS server (as
    # CHAINX_TEST_NEO4J_URI lets a person point it at theirs) instead of starting a JVM of their own
    env = {**os.environ, "CHAINX_TEST_NEO4J_URI": gds_server.uri, "CHAINX_TEST_NEO4J_USER": gds_server.user,
           "CHAINX_TEST_NEO4J_PASSWORD": gds_server.password or "", "CHAINX_TEST_NEO4J_DATABASE": gds_server.database or ""}
    result = subprocess.run(
        # a budget this small sends the exact path measures down the extrapolated branch too; GDS's
        # exact betweenness goes to a chain of its own, as above 10k relationships in `make bench`
        [sys.executable, "-m", "benchmarks.run", "--tiny", "--budget", "0.005", "--gds-exact", "2000", "--results", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert list(report["sizes"]) == ["3000"]
    sections = report["sizes"]["3000"]
    # every registered measurement, in the run's order (this process may have imported them in another)
    assert list(sections) == report["meta"]["sections"] and set(sections) == set(MEASUREMENTS)
    assert all(sections[name] for name in MEASUREMENTS)
    centrality = {row["name"] for row in sections["centrality"]}
    for metric in ("degree", "in_degree", "out_degree", "betweenness", "closeness", "harmonic", "pagerank", "eigenvector", "core"):
        assert f"{metric} (supply)" in centrality
    assert "betweenness k=256 (all)" in centrality
    estimated = [row for row in sections["centrality"] if row.get("estimated")]
    # both sides are figures (how large depends on the machine: no assertion on a timing)
    assert estimated and all(is_figure(row[side]) and "extrapolated" in row["note"]
                             for row in estimated for side in ("library_cpu_s", "networkx_cpu_s"))
    # the accelerated values are NetworkX's
    assert all(row.get("max_abs_diff") is None or row["max_abs_diff"] < 1e-9 for row in sections["centrality"])
    # the reports are computed by the compiled engines on these projections (above accel.MIN_SIZE)
    assert {row["engine"] for row in sections["centrality"] if not row.get("estimated")} == {"numpy", "igraph", "scipy"}
    # every figure is there and is a figure; how large is the machine's business, not a test's
    load = sections["load_embedded"][-1]
    assert is_figure(load["rows_per_s"]) and "peak_rss_mb" in sections["memory"][0]
    # Bolt: the batched load beside one MERGE per row into the same server
    bolt = {row["name"].split(" (")[0]: row for row in sections["load_bolt"]}
    assert is_figure(bolt["load into an empty graph"]["speedup"]) and is_figure(bolt["one MERGE per row"]["rows_per_s"])
    # GDS: every metric in the server beside chainx's engine on the same projection (an exact
    # path metric over this run's budget in the centrality section is not run here either), equal
    # where the definitions match
    in_server = {row["name"]: row for row in sections["gds"]}
    assert {"GDS projection 'supply'", "GDS projection 'all'"} <= {name.split(" (")[0] for name in in_server}
    for graph in ("supply", "all"):
        for metric in ("degree", "in_degree", "out_degree", "betweenness", "closeness", "harmonic", "pagerank", "eigenvector", "core",
                       "betweenness k=256"):
            if graph == "all" and metric in ("in_degree", "out_degree"):
                continue
            measured = in_server[f"{metric} ({graph})"]
            if measured["note"].startswith("not run"):
                assert metric in ("betweenness", "closeness", "harmonic"), measured
                continue
            assert is_figure(measured["speedup"]) and is_figure(measured["chainx_wall_s"]) and is_figure(measured["wall_s"])
            if metric not in ("pagerank", "eigenvector", "betweenness k=256"):
                assert measured["max_abs_diff"] < 1e-9, measured
        # exact betweenness, GDS against chainx, on the 2,000-relationship chain of its own: equal
        small = [row for name, row in in_server.items() if name.startswith(f"exact betweenness, 2,000-relationship chain ({graph}:")]
        assert len(small) == 1 and is_figure(small[0]["speedup"]) and is_figure(small[0]["chainx_wall_s"]), small
        assert small[0]["max_abs_diff"] < 1e-9, small
    # the API answered every request of the load, and the cached gaps report under it
    assert all(row["errors"] == 0 and is_figure(row["requests_per_s"]) for row in sections["api"])
    assert any("/gaps" in row["name"] and is_figure(row["p99_ms"]) for row in sections["api"])
    # /health under the costly mix of tests/adversarial/test_load_mix.py, beside /health alone in the same run
    assert any(row["name"].startswith("GET /health under the costly mix") and is_figure(row["p99_ms"]) and is_figure(row["baseline_p99_ms"])
               for row in sections["api"])
    analyses = sections["analyses"]
    assert [row["name"].split(",")[0].split(" without")[0] for row in analyses] == ["gaps for jiangsu_c0", "gaps for fujian_c0", "bottlenecks", "what-if"]
    # bottlenecks and what-if beside the straightforward version, run in the same process: the same report
    assert all(is_figure(row["baseline_cpu_s"]) and not row["note"] for row in analyses[2:])
    assert is_figure(sections["views"][-1]["cpu_s"])
    # the national recipe on the national-noise chain (chainkg is measured only at the default size)
    national = [row["name"].split(", cold")[0] for row in sections["national"]]
    assert national == ["national-noise chain, 2,000 products: gaps for shengze in its scope",
                        "national-noise chain, 2,000 products: path 原油 → 服装 by name, along FEEDS",
                        "national-noise chain, 2,000 products: chain view of shengze, data and page"]
    assert all(is_figure(row["cpu_s"]) and is_figure(row["baseline_cpu_s"]) for row in sections["national"])
    table = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "## 3,000 relationships" in table and "| centrality | pagerank (all) |" in table
    assert "| target | measured | met |" in table


def is_figure(value) -> bool:
    """A measured figure: a finite number, not negative (a bool or None is no figure)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def test_the_bolt_warm_up_is_every_nth_row_with_the_nodes_its_relationships_need(tmp_path):
    from benchmarks.measure_load import _every_nth

    data = load_dataset(generate_dataset(tmp_path / "a", relationships=5_000, seed=3))
    assert _every_nth(data, len(data)) is data  # no bigger than asked: the whole
    part = _every_nth(data, 1_000)
    step = -(-len(data) // 1_000)
    assert part.relationships == data.relationships[::step]
    kept = {node.id for node in part.nodes}
    assert all(r.source in kept and r.target in kept for r in part.relationships)
    assert set(data.nodes[::step]) <= set(part.nodes) and len(part.nodes) < len(data.nodes)
    # the loader keeps each type's relationships together, so a stride takes each type in proportion
    whole, kept_types = Counter(r.type for r in data.relationships), Counter(r.type for r in part.relationships)
    assert all(abs(kept_types[t] - n / step) <= 1 for t, n in whole.items())


def test_networkx_s_eigenvector_runs_within_the_budget_and_is_extrapolated_beyond_it():
    import networkx as nx
    import pytest

    from benchmarks.measure_graph import EIGENVECTOR_PROBES, _networkx_timed
    from graph import accel

    G = nx.path_graph(40)  # NetworkX's iteration creeps along a path: hundreds of iterations
    runs = accel.eigenvector_iterations(G, max_iter=1000)
    assert runs > EIGENVECTOR_PROBES[1]
    values, seconds, note = _networkx_timed("eigenvector", G, None, budget=1e9)
    assert values == pytest.approx(nx.eigenvector_centrality(G, max_iter=1000), abs=1e-12) and note is None
    values, seconds, note = _networkx_timed("eigenvector", G, None, budget=-1.0)  # below any time: never run whole
    assert values is None and is_figure(seconds)
    assert note == f"NetworkX estimated from runs of {EIGENVECTOR_PROBES[0]} and {EIGENVECTOR_PROBES[1]} of its {runs} iterations"
