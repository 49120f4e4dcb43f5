"""The paths that let gaps and bottlenecks run on a national chain give the answers of the
straightforward ones: reachability worked out once (not ancestors of every stage), articulation
pieces from one search, sampled stage betweenness (and saying so), cut listings, bounded critical
enterprise cascades, caches that follow writes, and the store queries behind them."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.analysis import bottlenecks as bottlenecks_module
from graph.analysis import stages as stages_module
from graph.analysis.bottlenecks import articulation_pieces, bottlenecks, whatif
from graph.analysis.gaps import compare, gaps, local_sides
from graph.analysis.stages import StageChain, stage_chain
from graph.errors import InvalidParameter
from graph.model import GraphData
from graph.store import reads
from graph.store.queries import Queries, queries
from graph.store.sqlite import SqliteStore

from .small_graphs import E, R, S, rel, write
from .test_bottlenecks import supply_chain
from .test_gaps import broken_chain, random_chains
from .test_store_contract import chain as contract_chain

# -- where a region's firms sit: one pass against ancestors/descendants of every stage ---------

@st.composite
def chains_with_firms(draw):
    """A random stage graph (cycles allowed, isolated stages too) and firms on some stages."""
    n = draw(st.integers(1, 12))
    stages = [f"s{i:02d}" for i in range(n)]
    pairs = st.tuples(st.sampled_from(stages), st.sampled_from(stages)).filter(lambda p: p[0] != p[1])
    graph = nx.DiGraph(sorted(draw(st.sets(pairs, max_size=25))))
    graph.add_nodes_from(stages)
    firms = [f"e{i}" for i in range(draw(st.integers(0, 8)))]
    local = {s: set(draw(st.sets(st.sampled_from(firms), max_size=3))) if firms else set() for s in stages}
    return graph, local


def _own_cycle(graph, stage) -> set:
    return next(c for c in nx.strongly_connected_components(graph) if stage in c)


def strict_ancestors(graph, stage) -> set:
    """NetworkX's ancestors less the stage's own FEEDS cycle (a cycle is one link of the chain)."""
    return nx.ancestors(graph, stage) - _own_cycle(graph, stage)


def strict_descendants(graph, stage) -> set:
    return nx.descendants(graph, stage) - _own_cycle(graph, stage)


@settings(max_examples=200, deadline=None)
@given(chains_with_firms())
def test_local_sides_equal_ancestors_and_descendants_of_every_stage(case):
    graph, local = case
    sides = local_sides(StageChain(graph, {s: s for s in graph}), local)
    for stage in graph:
        above = sorted(a for a in strict_ancestors(graph, stage) if local[a])
        below = sorted(d for d in strict_descendants(graph, stage) if local[d])
        assert sides.upstream_local(stage) == len(set().union(*(local[a] for a in above)))
        assert sides.downstream_local(stage) == len(set().union(*(local[d] for d in below)))
        assert sides.stages_above(stage) == (above, len(above))
        assert sides.stages_below(stage) == (below, len(below))
        assert sides.stages_above(stage, 2) == (above[:2], len(above))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_chains(), st.integers(1, 3))
def test_gap_counts_equal_the_all_pairs_version_on_random_stores(chain, min_firms):
    data, parents, region = chain
    with SqliteStore(":memory:", create=True) as store:
        store.write(data)
        report = gaps(store, "r", min_firms=min_firms, top_candidates=0).to_dict()
        rolled = stage_chain(store).graph
    # worked out here from the generated data: firms of r per top-level stage, then networkx's
    # ancestors and descendants of each stage of the rolled-up chain
    def top(stage):
        while parents.get(stage):
            stage = parents[stage]
        return stage

    local = {s: set() for s in rolled}
    for r in data.relationships:
        if r.type == "OPERATES_IN" and region[r.source] in ("r", "r1"):
            local[top(r.target)].add(r.source)
    for gap in report["gaps"]:
        up = set().union(*(local[a] for a in strict_ancestors(rolled, gap["stage"])))
        down = set().union(*(local[d] for d in strict_descendants(rolled, gap["stage"])))
        assert (gap["upstream_local"], gap["downstream_local"]) == (len(up), len(down)), gap["stage"]


# -- articulation pieces: one search against one search per point ---------------------------

@settings(max_examples=200, deadline=None)
@given(st.integers(1, 14).flatmap(lambda n: st.tuples(
    st.just(n), st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))))
def test_articulation_pieces_equal_removing_each_point(case):
    n, edges = case
    graph = nx.Graph(list(edges))
    graph.add_nodes_from(range(n))
    graph.remove_edges_from(list(nx.selfloop_edges(graph)))
    expected = {}
    for point in nx.articulation_points(graph):
        rest = nx.node_connected_component(graph, point) - {point}
        expected[point] = sorted((len(c) for c in nx.connected_components(graph.subgraph(rest))), reverse=True)
    assert articulation_pieces(graph) == expected


# -- stage betweenness: exact on small chains, sampled (and said so) on large ones ------------

def six_stage_chain(store):
    """a → b → c → d → e, and b → f; region r has x in a and y in e."""
    nodes = [R("r")] + [S(s) for s in "abcdef"] + [E("x", region="r"), E("y", region="r")]
    links = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("b", "f")]
    rels = [rel("FEEDS", a, b) for a, b in links] + [rel("OPERATES_IN", "x", "a"), rel("OPERATES_IN", "y", "e")]
    write(store, nodes, rels)
    return nx.DiGraph(links)


def test_small_chains_get_exact_betweenness_and_say_so(sqlite_store):
    six_stage_chain(sqlite_store)
    report = gaps(sqlite_store, "r", min_firms=1).to_dict()
    assert report["stage_betweenness"]["method"] == "exact" and report["stage_betweenness"]["k"] is None
    assert not any("estimated" in reason for g in report["gaps"] for reason in g["reasons"])


def test_above_the_limit_betweenness_is_sampled_with_a_fixed_k_and_seed(sqlite_store, monkeypatch):
    graph = six_stage_chain(sqlite_store)
    monkeypatch.setattr(stages_module, "EXACT_BETWEENNESS_STAGES", 5)
    monkeypatch.setattr(stages_module, "BETWEENNESS_K", 3)
    report = gaps(sqlite_store, "r", min_firms=1).to_dict()
    method = report["stage_betweenness"]
    assert (method["method"], method["k"], method["seed"], method["stages"], method["exact_up_to"]) == ("sampled", 3, 0, 6, 5)
    # NetworkX's own sample on the rolled-up chain with its stages in id order
    ordered = nx.DiGraph()
    ordered.add_nodes_from(sorted(graph))
    ordered.add_edges_from(graph.edges)
    expected = nx.betweenness_centrality(ordered, k=3, seed=0)
    assert {g["stage"]: g["betweenness"] for g in report["gaps"]} == pytest.approx({g["stage"]: expected[g["stage"]] for g in report["gaps"]}, abs=1e-6)
    assert all(any("estimated from 3 sampled source stages, seed 0" in r for r in g["reasons"]) for g in report["gaps"])


# -- listings cut on large chains, counts always whole ------------------------------------------

def test_top_cuts_the_gap_and_stage_lists_but_not_the_counts(sqlite_store):
    broken_chain(sqlite_store)
    whole = gaps(sqlite_store, "r", min_firms=2).to_dict()
    assert whole["listing"]["complete"] and whole["listing"]["top"] is None and whole["gaps_total"] == 4
    cut = gaps(sqlite_store, "r", min_firms=2, top=2).to_dict()
    assert cut["gaps"] == whole["gaps"][:2]  # mid and end, with their reasons and candidates
    assert cut["gaps_total"] == 4 and cut["counts"] == whole["counts"]
    assert (cut["completeness"], cut["completeness_weighted"]) == (whole["completeness"], whole["completeness_weighted"])
    # stages: the listed gaps' (mid, end) and the 2 with the most local firms (down 2, up 1), in chain order
    assert [s["stage"] for s in cut["stages"]] == [s["stage"] for s in whole["stages"] if s["stage"] in {"mid", "end", "down", "up"}]
    assert cut["listing"] == {**cut["listing"], "top": 2, "complete": False, "gaps_listed": 2, "stages_listed": 4}
    with pytest.raises(InvalidParameter, match="top"):
        gaps(sqlite_store, "r", top=0).to_dict()


def test_a_large_chain_lists_the_default_top_unless_asked(sqlite_store, monkeypatch):
    broken_chain(sqlite_store)
    monkeypatch.setattr(stages_module, "FULL_LISTING_STAGES", 4)  # the chain has 5 top-level stages
    monkeypatch.setattr(stages_module, "DEFAULT_TOP", 1)
    report = gaps(sqlite_store, "r", min_firms=2).to_dict()
    assert [g["stage"] for g in report["gaps"]] == ["mid"] and report["gaps_total"] == 4
    assert report["listing"]["top"] == 1 and "default" in report["listing"]["rule"]
    assert len(gaps(sqlite_store, "r", min_firms=2, top=10).to_dict()["gaps"]) == 4
    rows = compare(sqlite_store, ["r", "q"], min_firms=2).to_dict()
    # the one stage with the most firms of r and q together: up (r1, q4), mid (q1, q2), down
    # (r2, r3) and end (q3, q5) have two each; chain order breaks the tie
    assert [row["stage"] for row in rows["stages"]] == ["up"] and (rows["stages_total"], rows["stages_listed"]) == (5, 1)
    assert rows["completeness"] == compare(sqlite_store, ["r", "q"], min_firms=2, top=5).to_dict()["completeness"]


def test_bottleneck_items_are_cut_per_kind_and_counted_whole(sqlite_store):
    supply_chain(sqlite_store)
    whole = bottlenecks(sqlite_store).to_dict()
    cut = bottlenecks(sqlite_store, top=1).to_dict()
    assert cut["counts"] == whole["counts"]
    for kind in ("chokepoint", "single_source", "critical_enterprise"):
        kept = [i for i in cut["items"] if i["kind"] == kind]
        assert kept == [i for i in whole["items"] if i["kind"] == kind][:1]
        assert cut["listed"][kind] == len(kept)
    assert whole["listed"]["complete"] and not cut["listed"]["complete"]


# -- critical enterprises: the full cascade for the suspects that alone hold up the most ------

def test_the_cascade_limit_follows_the_suspects_with_most_direct_losses(sqlite_store, monkeypatch):
    supply_chain(sqlite_store)
    whole = {i["node"]: i for i in bottlenecks(sqlite_store).to_dict()["items"] if i["kind"] == "critical_enterprise"}
    assert bottlenecks(sqlite_store).to_dict()["critical_screening"]["complete"]
    monkeypatch.setattr(bottlenecks_module, "CASCADE_LIMIT", 1)
    report = bottlenecks(sqlite_store).to_dict()
    # direct losses, by hand: C1 is the only cloth supplier of G1 and G2 and the only cloth firm
    # (3); M1 only machinery supplier of Y1 and only machinery firm (2); F1 Y2's only fibre
    # supplier (1); G1, G2 none alone... every other firm shares its stage
    critical = [i for i in report["items"] if i["kind"] == "critical_enterprise"]
    assert [i["node"] for i in critical] == ["C1"] and critical[0] == whole["C1"]
    screening = report["critical_screening"]
    assert (screening["cascades"], screening["limit"], screening["complete"]) == (1, 1, False)
    assert screening["suspects"] == 3  # C1, M1, F1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_chains(), st.integers(1, 2))
def test_bounded_critical_items_are_exactly_the_full_ones_for_the_suspects_followed(chain, limit):
    data, _, _ = chain
    with SqliteStore(":memory:", create=True) as store:
        store.write(data)
        full = {i["node"]: i for i in bottlenecks(store, "r").to_dict()["items"] if i["kind"] == "critical_enterprise"}
        original = bottlenecks_module.CASCADE_LIMIT
        bottlenecks_module.CASCADE_LIMIT = limit
        try:
            bounded = bottlenecks(store, "r").to_dict()
        finally:
            bottlenecks_module.CASCADE_LIMIT = original
    for item in bounded["items"]:
        if item["kind"] == "critical_enterprise":
            assert item == full[item["node"]]
    assert bounded["critical_screening"]["cascades"] == min(limit, bounded["critical_screening"]["suspects"])


# -- caches follow the store's version ----------------------------------------------------------

def test_the_stage_chain_and_supply_world_are_re_read_after_a_write(sqlite_store):
    supply_chain(sqlite_store)
    first = stage_chain(sqlite_store)
    assert stage_chain(sqlite_store) is first  # cached per store version
    assert whatif(sqlite_store, ["C1"]).to_dict()["enterprises_total"] == 2
    # a second cloth maker that also supplies G1: removing C1 now leaves G1 supplied
    write(sqlite_store, [E("C2", region="r")], [rel("OPERATES_IN", "C2", "cloth"), rel("SUPPLIES", "C2", "G1", "cloth")])
    assert stage_chain(sqlite_store) is not first
    assert [e["enterprise"] for e in whatif(sqlite_store, ["C1"]).to_dict()["enterprises"]] == ["G2"]


# -- the store queries behind them: each equals its default built from the primitives -----------

def test_pushdown_queries_equal_their_defaults(store):
    store.write(contract_chain())
    for stages, exclude in [(["pta", "poly", "spin", "weave"], []), (["pta", "spin"], ["wj"]), (["weave", "jet"], ["sz", "js"]), ([], [])]:
        assert queries(store).stage_firms(stages, exclude_regions=exclude) == Queries(store).stage_firms(stages, exclude_regions=exclude)
    rows = queries(store).stage_firms(["pta", "poly"])
    assert [(r.stage, r.enterprise, r.revenue_cny, r.employees) for r in rows] == [
        ("poly", "hengli", 150_000_000_000.0, 100_000.0), ("pta", "hengli", 150_000_000_000.0, 100_000.0)]
    for regions in (["wj"], ["sz", "wj"], ["nowhere"], []):
        assert queries(store).enterprise_ids(regions) == Queries(store).enterprise_ids(regions)
    assert queries(store).enterprise_ids(["wj"]) == {"hengli", "shenghong"}
    for types in (["SUPPLIES"], ["FEEDS", "PART_OF"], []):
        assert queries(store).links(types) == Queries(store).links(types)
    assert queries(store).links(["SUPPLIES"])[0] == ("SUPPLIES", "hengli", "shenghong", "poly")


def test_a_first_write_with_repeated_rows_keeps_the_last_as_a_later_write_would(store):
    from graph.model import Node, Relationship

    data = GraphData(
        nodes=[Node("Stage", "a", "first", {"tier": "upstream"}), Node("Stage", "b", "B", {}), Node("Stage", "a", "last", {})],
        relationships=[Relationship("FEEDS", "a", "b", "", {"weight": 1}), Relationship("FEEDS", "a", "b", "", {"weight": 2})],
    )
    summary = store.write(data)  # into an empty store: the bulk path on Neo4j
    assert summary.changed
    assert reads.get_node(store, "a").name == "last" and reads.get_node(store, "a").props == {}
    assert [r.props for r in store.relationships(["FEEDS"])] == [{"weight": 2}]
    store.write(data)  # the merge path (Neo4j: the store is no longer empty) ends the same way
    assert reads.get_node(store, "a").name == "last" and [r.props for r in store.relationships(["FEEDS"])] == [{"weight": 2}]


def test_the_cli_says_what_it_cut(tmp_path):
    from typer.testing import CliRunner

    from chainx.cli import app

    path = tmp_path / "chainx.db"
    with SqliteStore(path, create=True) as store:
        broken_chain(store)
    result = CliRunner().invoke(app, ["gaps", "--region", "r", "--top", "1", "--store", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Listed 1 of 4 gaps (--top to change)." in result.output and "\nmid " in result.output and "\nend " not in result.output
    whole = CliRunner().invoke(app, ["gaps", "--region", "r", "--store", str(path)], catch_exceptions=False)
    assert "Listed" not in whole.output and "estimated" not in whole.output


# -- roll-up: every stage's top, settled once per stage -------------------------------------

def _naive_top(stage, parents, below, broad):
    """The roll-up rule walked from one stage on its own (the definition, quadratic when deep)."""
    path = [stage]
    while True:
        options = [p for p in parents.get(path[-1], ()) if p not in broad]
        if not options:
            return path[-1]
        nxt = min(options, key=lambda p: (below.get(p, 0), p))
        if nxt in path:
            return min(path[path.index(nxt):])
        path.append(nxt)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n), st.sets(st.integers(0, n - 1)))))
def test_tops_equal_the_rule_walked_from_every_stage(case):
    from graph.analysis.stages import _tops

    n, links, broad = case
    stages = [f"s{i}" for i in range(n)]
    parents: dict[str, list[str]] = {}
    for child, parent in links:  # cycles allowed: data written past the loader
        if child != parent:
            parents.setdefault(stages[child], []).append(stages[parent])
    parents = {s: sorted(set(p)) for s, p in parents.items()}
    below = {s: i % 3 for i, s in enumerate(stages)}
    broad_ids = {stages[i] for i in broad}
    assert _tops(stages, parents, below, broad_ids) == {s: _naive_top(s, parents, below, broad_ids) for s in stages}


def test_a_20000_deep_hierarchy_rolls_up_into_its_root():
    from graph.analysis.stages import _tops

    stages = [f"s{i:05d}" for i in range(20_000)]
    parents = {stages[i]: [stages[i - 1]] for i in range(1, len(stages))}
    assert set(_tops(reversed(stages), parents, {}, set()).values()) == {"s00000"}
