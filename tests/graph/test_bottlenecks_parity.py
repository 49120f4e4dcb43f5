"""The array supply world and cascade of :mod:`graph.analysis.bottlenecks` give exactly the
reports of the straightforward dict-and-set version kept beside them as the reference
(``_reference_read_world``, ``_reference_cascade``): on random chains with FEEDS cycles,
sub-stages, support-tier stages, purchases with several suppliers, capacities, regions and
``min_firms`` > 1, for bottlenecks and for what-ifs removing firms and stages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.analysis import bottlenecks as module
from graph.analysis.bottlenecks import bottlenecks, whatif
from graph.cache import clear_all
from graph.model import GraphData
from graph.store.sqlite import SqliteStore

from .small_graphs import E, I, R, S, rel


@st.composite
def supply_chains(draw):
    """Stages (some support tier, some PART_OF an earlier stage) with random FEEDS, cycles
    allowed; enterprises in r, its sub-region r1 or elsewhere (q) operating in stages (some
    stating a capacity, in one of two units) and supplying each other stages, a purchase often
    from several suppliers; a supply may name a stage no firm operates in."""
    n_stages = draw(st.integers(1, 7))
    stages = [f"s{i}" for i in range(n_stages)]
    parents = {s: draw(st.sampled_from([None] + stages[:i])) for i, s in enumerate(stages)}
    tiers = {s: draw(st.sampled_from(["upstream", "midstream", "downstream", "support", None])) for s in stages}
    feeds = draw(st.sets(st.tuples(st.sampled_from(stages), st.sampled_from(stages)).filter(lambda p: p[0] != p[1]), max_size=12))
    firms = [f"e{i}" for i in range(draw(st.integers(1, 9)))]
    region = {e: draw(st.sampled_from(["r", "r1", "q"])) for e in firms}
    operates = draw(st.sets(st.tuples(st.sampled_from(firms), st.sampled_from(stages)), max_size=16))
    capacity = {op: draw(st.sampled_from([None, 1.0, 2.5, 10.0])) for op in sorted(operates)}
    unit = {op: draw(st.sampled_from(["t", "t", "m"])) for op in sorted(operates)}
    customers = st.tuples(st.sampled_from(firms), st.sampled_from(stages))
    purchases = draw(st.lists(st.tuples(customers, st.sets(st.sampled_from(firms), min_size=1, max_size=3)), max_size=10))
    supplies = sorted({(a, b, s) for (b, s), sellers in purchases for a in sellers if a != b})
    nodes = [R("r"), R("r1"), R("q")]
    nodes += [S(s, **({"parent": p} if p else {}), **({"tier": tiers[s]} if tiers[s] else {})) for s, p in parents.items()]
    nodes += [E(e, region=region[e]) for e in firms]
    rels = [rel("PART_OF", "r1", "r")] + [rel("PART_OF", s, p) for s, p in parents.items() if p]
    rels += [rel("FEEDS", a, b) for a, b in sorted(feeds)]
    rels += [rel("OPERATES_IN", e, s, **({"capacity": capacity[(e, s)], "unit": unit[(e, s)]} if capacity[(e, s)] else {}))
             for e, s in sorted(operates)]
    rels += [rel("SUPPLIES", a, b, s) for a, b, s in supplies]
    removals = draw(st.lists(st.sets(st.sampled_from(firms + stages), min_size=1, max_size=3), min_size=1, max_size=3))
    return GraphData(nodes=nodes, relationships=rels), removals


def _both(monkeypatch, report):
    """(the report with the array world, the report with the reference world)."""
    clear_all("supply world")
    got = report().to_dict()
    with monkeypatch.context() as patched:
        patched.setattr(module, "_read_world", module._reference_read_world)
        patched.setattr(module, "_cascade", module._reference_cascade)
        clear_all("supply world")
        want = report().to_dict()
    clear_all("supply world")
    return got, want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
# thresholds an HHI of equal shares lands on or within a rounding of (1/2, 1/3, 1/4), and 5/8 = hhi([3, 1])
# dense 0: the FEEDS reach a row per stage asked about, as on a national chain's tens of thousands
@given(supply_chains(), st.integers(1, 3), st.sampled_from([None, "r"]), st.sampled_from([0.5, 1 / 3, 0.25, 0.625, 0.9]),
       st.sampled_from([0, module._DENSE_REACH]))
def test_the_array_world_gives_the_reference_reports(monkeypatch, chain, min_firms, region, threshold, dense):
    data, removals = chain
    monkeypatch.setattr(module, "_DENSE_REACH", dense)
    with SqliteStore(":memory:", create=True) as store:
        store.write(data)
        got, want = _both(monkeypatch, lambda: bottlenecks(store, region, min_firms=min_firms, hhi_threshold=threshold))
        assert got == want
        for remove in removals:
            got, want = _both(monkeypatch, lambda remove=remove: whatif(store, sorted(remove), region, min_firms=min_firms))
            assert got == want


def test_the_cascade_on_a_chain_worked_by_hand(monkeypatch):
    """a → b → c (b made of a, c of b), m a support stage: M sells machinery to A1, A1 and A2 sell
    a to B1, B1 sells b to C1. Without A1 B1 still has A2; without A1 and A2 B1 loses a, stops
    delivering b, and C1 loses b. Without M A1 loses machinery, which stops nothing."""
    nodes = [S("a", tier="upstream"), S("b"), S("c", tier="downstream"), S("m", tier="support")]
    nodes += [E(e, region="r") for e in ("M", "A1", "A2", "B1", "C1")] + [R("r")]
    rels = [rel("FEEDS", "a", "b"), rel("FEEDS", "b", "c"), rel("FEEDS", "m", "a")]
    rels += [rel("OPERATES_IN", e, s) for e, s in (("M", "m"), ("A1", "a"), ("A2", "a"), ("B1", "b"), ("C1", "c"))]
    rels += [rel("SUPPLIES", "M", "A1", "m"), rel("SUPPLIES", "A1", "B1", "a"), rel("SUPPLIES", "A2", "B1", "a"),
             rel("SUPPLIES", "B1", "C1", "b")]
    with SqliteStore(":memory:", create=True) as store:
        store.write(GraphData(nodes=nodes, relationships=rels))
        lost = lambda report: [(e["enterprise"], e["lost"]) for e in report["enterprises"]]  # noqa: E731
        alone = whatif(store, ["A1"]).to_dict()
        assert (alone["supplies_cut"], lost(alone)) == (1, [])
        both = whatif(store, ["A1", "A2"]).to_dict()
        assert (both["supplies_cut"], lost(both)) == (3, [("B1", ["a"]), ("C1", ["b"])])
        assert [r["stage"] for r in both["stages_lost"]] == ["a", "b", "c"]
        machinery = whatif(store, ["M"]).to_dict()
        assert (machinery["supplies_cut"], lost(machinery), machinery["stages_lost"][0]["stage"]) == (1, [("A1", ["m"])], "m")
        for remove in (["A1"], ["A1", "A2"], ["M"], ["b"]):
            got, want = _both(monkeypatch, lambda remove=remove: whatif(store, remove))
            assert got == want


@pytest.mark.parametrize("values", [[], [5], [3, 1, 3, 2, 2, 2], list(range(50, 0, -3)) * 2])
def test_distinct_is_numpys_unique(values):
    values = np.array(values, dtype=np.int64)
    got, counts = module._distinct(values, counts=True)
    want, want_counts = np.unique(values, return_counts=True)
    assert got.tolist() == want.tolist() and counts.tolist() == want_counts.tolist()
    assert module._distinct(values).tolist() == want.tolist()


def test_a_supply_from_a_node_that_is_no_enterprise_is_coded_in_id_order(monkeypatch):
    """An institute ("0u", its id sorting before every firm's) selling a stage, and a supply naming no
    stage: the array world codes the institute among the enterprises in id order, drops the
    unnamed supply, and gives the reference report."""
    nodes = [S("a", tier="upstream"), S("b", tier="downstream"), E("B1"), E("A1"), I("0u")]
    rels = [rel("FEEDS", "a", "b"), rel("OPERATES_IN", "A1", "a"), rel("OPERATES_IN", "B1", "b"),
            rel("SUPPLIES", "0u", "B1", "a"), rel("SUPPLIES", "A1", "B1", "a"), rel("SUPPLIES", "A1", "B1")]
    with SqliteStore(":memory:", create=True) as store:
        store.write(GraphData(nodes=nodes, relationships=rels))
        world = module._read_world(store, module.chain_in_scope(store)[0], None)
        assert world.supplies.firms == ["0u", "A1", "B1"]
        assert world.sole_purchases("A1") == [] and world.supplies.size.tolist() == [2]
        for report in (lambda: bottlenecks(store), lambda: whatif(store, ["A1"]), lambda: whatif(store, ["a"])):
            got, want = _both(monkeypatch, report)
            assert got == want
        assert whatif(store, ["A1"]).enterprises == [] and [e.enterprise for e in whatif(store, ["a"]).enterprises] == ["B1"]


def test_more_lost_stages_than_one_word_of_bits():
    """70 stages u00..u69 feed m (on a cycle with n), m feeds z; t feeds nothing. Losing every
    u and t: m, n and z are below all 70 u (two 64-bit words of them), t is below nothing. Worked
    by hand, and the same from the reference's searches."""
    ups = [f"u{i:02d}" for i in range(70)]
    stages = ups + ["m", "n", "z", "t"]
    nodes = [S(s) for s in stages] + [E(f"f_{s}") for s in stages]
    rels = [rel("FEEDS", u, "m") for u in ups] + [rel("FEEDS", "m", "n"), rel("FEEDS", "n", "m"), rel("FEEDS", "m", "z")]
    rels += [rel("OPERATES_IN", f"f_{s}", s) for s in stages]
    with SqliteStore(":memory:", create=True) as store:
        store.write(GraphData(nodes=nodes, relationships=rels))
        world = module._read_world(store, module.chain_in_scope(store)[0], None)
        lost = set(ups) | {"t"}
        got = world.inputs_lost(lost)
        assert got == {"m": ups, "n": ups, "z": ups}
        assert got == module._ReferenceWorld.inputs_lost(world, lost)
        # a stage on a lost stage's cycle is below it: losing m, n still has it as an input
        assert world.inputs_lost({"m"}) == {"n": ["m"], "z": ["m"]}
