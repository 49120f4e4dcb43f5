"""The analyses on the real national chain (chainkg, ~95,000 stages) with a town overlaid from
data/overlay-example: centrality, gaps and bottlenecks run, hold what can be checked by hand, and
give equal results on both stores (issue 7).

The SQLite store is a copy of the session's chainkg import (tests/loaders/conftest.py); the Bolt
store gets its own import, once for this module, and only when the module runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
import pytest

from graph.analysis.bottlenecks import bottlenecks, whatif
from graph.analysis.centrality import centrality
from graph.analysis.gaps import compare, gaps
from graph.analysis.stages import DEFAULT_TOP, stage_chain
from graph.projection import projection
from graph.store import reads
from graph.store.neo4j import clear_database
from graph.store.queries import queries
from graph.store.sqlite import SqliteStore
from loaders.chainkg import read_chainkg
from loaders.pipeline import load_path, prepare
from tests.scopes import region_scope

OVERLAY = Path(__file__).resolve().parents[2] / "data" / "overlay-example"
TOWN = "shengze"  # data/overlay-example: five enterprises of 盛泽镇 on national stages
TOWN_FIRMS = {"sz_hengli", "sz_shenghong", "sz_yingxiang", "sz_example_weaver", "sz_example_dyer"}
CHAIN_METRICS = [("degree", None), ("pagerank", None), ("betweenness", 16)]


@pytest.fixture(scope="module")
def national(chainkg_import, tmp_path_factory):
    """The imported national chain with the town overlaid, in SQLite (a copy: the session's own
    import stays as the other importer tests expect it)."""
    path = tmp_path_factory.mktemp("national") / "national.db"
    shutil.copy(chainkg_import["store"], path)
    store = SqliteStore(path)
    load_path(store, OVERLAY)
    yield store
    store.close()


@pytest.fixture(scope="module")
def national_bolt(bolt_server, chainkg_dir):
    """The same graph over Bolt: imported as ``chainx import chainkg`` does, then the overlay."""
    if not bolt_server.running:
        bolt_server.start()
    store = bolt_server.store()
    clear_database(store)
    data, _ = prepare(store, read_chainkg(chainkg_dir).raw, match_stages=False)
    store.write(data)
    load_path(store, OVERLAY)
    yield store
    clear_database(store)  # a national graph left behind would slow every later test's clear()
    store.close()


@pytest.fixture(scope="module")
def reports(national) -> dict:
    """Every report the module checks, computed once on the SQLite store."""
    return _reports(national)


def _reports(store) -> dict:
    out = {f"centrality_{metric}": centrality(store, metric, "chain", k=k, seed=0 if k else None, top=50).to_dict() for metric, k in CHAIN_METRICS}
    out["gaps"] = gaps(store, TOWN, top_candidates=3).to_dict()
    out["compare"] = compare(store, [TOWN, "wujiang"]).to_dict()
    out["bottlenecks"] = bottlenecks(store, TOWN).to_dict()
    out["whatif"] = whatif(store, ["sz_hengli"], TOWN).to_dict()
    return out


def town_firms_per_stage(store) -> dict[str, set[str]]:
    """The town's enterprises per top-level stage, read from the store here."""
    chain = stage_chain(store)
    local: dict[str, set[str]] = {}
    for op in queries(store).operations(regions=[TOWN]):
        local.setdefault(chain.top[op.stage], set()).add(op.enterprise)
    return local


def _town_scope(store, chain, depth=2) -> set[str]:
    """Worked out with NetworkX (tests/scopes.py): the top-level stages of the town's stages and
    of those up to ``depth`` FEEDS links above or below one of them (directed steps only), walked
    over the stages' own links and rolled up afterwards."""
    return region_scope(store, chain, {op.stage for op in queries(store).operations(regions=[TOWN])}, depth)


def test_gaps_of_the_town_on_the_national_chain(national, reports):
    report = reports["gaps"]
    chain = stage_chain(national)
    # a chain of ~75,000 top-level stages is too large to read: the town's own neighbourhood is
    local = town_firms_per_stage(national)
    assert set().union(*local.values()) == TOWN_FIRMS
    scope = _town_scope(national, chain)
    assert report["chain_scope"]["kind"] == "region" and report["chain_scope"]["depth"] == 2
    assert report["chain_scope"]["of"] == len(chain.graph) > 50_000
    assert report["counts"]["stages"] == report["chain_scope"]["stages"] == len(scope) < 500
    assert report["local_enterprises"] == len(TOWN_FIRMS)
    counts = report["counts"]
    assert report["gaps_total"] == counts["missing"] + counts["weak"] == counts["stages"] - counts["present"] == len(report["gaps"])
    assert [g["score"] for g in report["gaps"]] == sorted((g["score"] for g in report["gaps"]), reverse=True)
    assert report["stage_betweenness"]["method"] == "exact"
    # upstream/downstream counts: NetworkX's ancestors and descendants in the scope's chain, less
    # each stage's own FEEDS cycle
    graph = chain.graph.subgraph(scope)
    cycle_of = {s: c for c in nx.strongly_connected_components(graph) for s in c}
    for gap in report["gaps"]:
        up = set().union(*(local.get(s, set()) for s in nx.ancestors(graph, gap["stage"]) - cycle_of[gap["stage"]]))
        down = set().union(*(local.get(s, set()) for s in nx.descendants(graph, gap["stage"]) - cycle_of[gap["stage"]]))
        assert (gap["upstream_local"], gap["downstream_local"]) == (len(up), len(down)), gap["stage"]
        if gap["status"] == "missing":
            assert gap["kind"] == ("break" if up and down else "extension" if up or down else "absent")
        assert all(c["enterprise"] not in TOWN_FIRMS for c in gap["candidates"])
    assert report["cycles"]["count"] == sum(1 for c in nx.strongly_connected_components(graph) if len(c) > 1)
    # the stages listed include every stage the town has firms in, with its count
    listed = {s["stage"]: s for s in report["stages"]}
    assert all(listed[s]["local_enterprises"] == len(firms) for s, firms in local.items())
    # a promotion officer's test: the top gaps of a textile town are products of its chain
    top_names = {g["name"] for g in report["gaps"][:30]}
    assert {"聚酯", "棉纱", "涤纶", "精对苯二甲酸(PTA)", "乙二醇"} <= {g["name"] for g in report["gaps"][:12]}
    # 染料 feeds the town's 印染 and nothing of the town feeds it (chainkg's 纤维 → 染料 made it a
    # break while 纤维 swallowed 涤纶 by roll-up): an extension
    assert next(g for g in report["gaps"] if g["name"] == "染料")["kind"] == "extension"
    assert not top_names & {"鸡蛋", "玉米", "萝卜", "牛奶", "香菇", "海鲜", "玻璃", "豆腐"}


def test_compare_reads_the_regions_scope_and_counts_every_stage_of_it(national, reports):
    report = reports["compare"]
    # Wujiang holds only Shengze's firms, so both read the town's neighbourhood of the national
    # chain (fewer than 500 stages: every one listed, in chain order); counts are the town's
    local = town_firms_per_stage(national)
    scope = _town_scope(national, stage_chain(national))
    assert report["chain_scope"]["kind"] == "region" and report["chain_scope"]["stages"] == len(scope)
    assert {row["stage"] for row in report["stages"]} == scope and report["stages_listed"] == report["stages_total"] == len(scope)
    for row in report["stages"]:
        count = len(local.get(row["stage"], ()))
        assert row[TOWN] == row["wujiang"] == {"status": row[TOWN]["status"], "local_enterprises": count}
    present = sum(1 for firms in local.values() if len(firms) >= 2)
    assert report["completeness"][TOWN] == pytest.approx(present / len(scope), abs=1e-6)


def test_bottlenecks_and_whatif_run_and_stay_bounded(national, reports):
    report = reports["bottlenecks"]
    assert report["counts"]["chokepoint"] > 0
    assert all(report["listed"][kind] == min(report["counts"][kind], DEFAULT_TOP) for kind in report["counts"])
    screening = report["critical_screening"]
    assert screening["cascades"] == min(screening["suspects"], screening["limit"])
    # the stages where the town has one firm are its single sources
    singles = {i["node"] for i in report["items"] if i["kind"] == "single_source" and i["enterprises"] == 1}
    assert singles == {stage for stage, firms in town_firms_per_stage(national).items() if len(firms) == 1}
    assert reports["whatif"]["removed"] == [{"id": "sz_hengli", "name": "恒力集团", "kind": "Enterprise"}]


def test_chain_centrality_equals_networkx_on_the_projection(national, reports):
    G = projection(national, "chain")
    expected = {"degree": nx.degree_centrality(G), "pagerank": nx.pagerank(G, weight="weight")}
    for metric in ("degree", "pagerank"):
        rows = reports[f"centrality_{metric}"]["rows"]
        assert [r["value"] for r in rows] == pytest.approx([expected[metric][r["node"]] for r in rows], abs=1e-9)
    sampled = reports["centrality_betweenness"]
    assert (sampled["exact"], sampled["k"], sampled["seed"]) == (False, 16, 0)


@pytest.mark.neo4j
def test_every_report_is_the_same_over_bolt(national, national_bolt, reports):
    assert reads.stats(national_bolt).to_dict() == reads.stats(national).to_dict()
    over_bolt = _reports(national_bolt)
    for name, report in reports.items():
        assert over_bolt[name] == report, name
