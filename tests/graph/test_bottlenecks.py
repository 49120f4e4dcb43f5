"""Bottlenecks and what-if cascades: hand-worked answers, a brute-force check of the dominator
reasoning on random chains, and the textile data's built-in single source and chokepoint."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.analysis.bottlenecks import bottlenecks, chokepoints, hhi, whatif
from graph.analysis.stages import StageChain
from graph.errors import InvalidParameter, NotFound
from graph.store.sqlite import SqliteStore

from .small_graphs import E, R, S, rel, write


def items(report, kind):
    return [i for i in report["items"] if i["kind"] == kind]


# -- chokepoints ----------------------------------------------------------------------------

def forked_chain(store):
    """s1, s2 → a; a → b → end1; a → c → end2; s2 → c; and the support stage mach → b."""
    stages = [S("s1", tier="upstream"), S("s2", tier="upstream"), S("a"), S("b"), S("c"),
              S("end1", tier="downstream"), S("end2", tier="downstream"), S("mach", tier="support")]
    links = [("s1", "a"), ("s2", "a"), ("a", "b"), ("b", "end1"), ("a", "c"), ("c", "end2"), ("s2", "c"), ("mach", "b")]
    return write(store, stages, [rel("FEEDS", x, y) for x, y in links])


def test_dominators_and_articulation_points_by_hand(store):
    forked_chain(store)
    report = bottlenecks(store).to_dict()
    assert report["sources"] == ["s1", "s2"]  # mach is support: machinery is not where material starts
    assert report["end_products"] == ["end1", "end2"]
    got = {i["node"]: (i["dominates"], i["articulation_point"], i["parts"]) for i in items(report, "chokepoint")}
    # every path to end1 runs s→a→b; s2→c bypasses a on the way to end2, so only c dominates end2.
    # Undirected, removing a leaves {s1}, {s2, c, end2}, {b, end1, mach}; b leaves {end1}, {mach}
    # and the five others; c leaves {end2} and the six others.
    assert got == {
        "a": (["end1"], True, [3, 3, 1]),
        "b": (["end1"], True, [5, 1, 1]),
        "c": (["end2"], True, [6, 1]),
    }
    # score = max(dominated / 2 end products, cut off / (8 - 1) stages)
    scores = [(i["node"], i["score"]) for i in items(report, "chokepoint")]
    assert scores == [("a", pytest.approx(4 / 7, abs=1e-6)), ("b", 0.5), ("c", 0.5)]
    assert set(nx.articulation_points(nx.Graph(list(_links(store))))) == {"a", "b", "c"}


def _links(store):
    return [(r.source, r.target) for r in store.relationships(["FEEDS"])]


def test_each_dominator_cuts_its_end_products_off_from_every_source(sqlite_store):
    forked_chain(sqlite_store)
    graph = nx.DiGraph(_links(sqlite_store))
    for item in items(bottlenecks(sqlite_store).to_dict(), "chokepoint"):
        without = graph.copy()
        without.remove_node(item["node"])
        for end in item["dominates"]:
            assert not any(nx.has_path(without, s, end) for s in ("s1", "s2") if s in without)


@st.composite
def random_digraphs(draw):
    n = draw(st.integers(2, 8))
    nodes = [f"s{i}" for i in range(n)]
    edges = draw(st.sets(st.tuples(st.sampled_from(nodes), st.sampled_from(nodes)).filter(lambda e: e[0] != e[1]), min_size=1, max_size=14))
    graph = nx.DiGraph(sorted(edges))
    graph.add_nodes_from(nodes)
    return graph


@settings(max_examples=150, deadline=None)
@given(random_digraphs())
def test_dominator_chokepoints_are_exactly_the_stages_whose_removal_cuts_an_end_product_off(graph):
    chain = StageChain(graph, {s: s for s in graph})
    linked = [s for s in graph if graph.degree(s)]
    condensed = nx.condensation(graph)
    of = condensed.graph["mapping"]
    sources = [s for s in linked if condensed.in_degree(of[s]) == 0]
    ends = [s for s in linked if condensed.out_degree(of[s]) == 0]
    # brute force: take the stage out; some end product that some source reached before is now
    # reached by none of the remaining sources
    expected = set()
    for stage in graph:
        without = graph.copy()
        without.remove_node(stage)
        for end in ends:
            if end == stage or not any(nx.has_path(graph, s, end) for s in sources):
                continue
            if not any(nx.has_path(without, s, end) for s in sources if s != stage):
                expected.add(stage)
    assert {i["node"] for i in chokepoints(chain) if i["dominates"]} == expected
    assert {i["node"] for i in chokepoints(chain) if i["articulation_point"]} == set(nx.articulation_points(graph.to_undirected()))


# -- single sources and HHI -----------------------------------------------------------------

def concentrated(store):
    """dye: f1 60 t + f2 30 t + f3 10 t. spin: g1 alone. weave: w1 5 t, w2 5 m (mixed units).
    knit: k1 with 4 t, k2 with no capacity. fin: h1 30 t in fin and 20 t in its sub-stage fin_x,
    h2 50 t."""
    nodes = [R("r"), S("dye"), S("spin"), S("weave"), S("knit"), S("fin"), S("fin_x", parent="fin")]
    nodes += [E(x, region="r") for x in ("f1", "f2", "f3", "g1", "w1", "w2", "k1", "k2", "h1", "h2")]
    ops = [("f1", "dye", 60, "t"), ("f2", "dye", 30, "t"), ("f3", "dye", 10, "t"), ("g1", "spin", None, None),
           ("w1", "weave", 5, "t"), ("w2", "weave", 5, "m"), ("k1", "knit", 4, "t"), ("k2", "knit", None, None),
           ("h1", "fin", 30, "t"), ("h1", "fin_x", 20, "t"), ("h2", "fin", 50, "t")]
    rels = [rel("PART_OF", "fin_x", "fin")]
    for firm, stage, capacity, unit in ops:
        props = {"capacity": capacity, "unit": unit} if capacity is not None else {}
        rels.append(rel("OPERATES_IN", firm, stage, **props))
    return write(store, nodes, rels)


def test_hhi_by_hand():
    assert hhi([60, 30, 10]) == pytest.approx(0.36 + 0.09 + 0.01)
    assert hhi([1]) == 1.0 and hhi([]) == 0.0


def test_single_sources_by_firm_count_and_by_capacity_concentration(sqlite_store):
    concentrated(sqlite_store)
    found = {i["node"]: (i["score"], i["basis"], i["enterprises"]) for i in items(bottlenecks(sqlite_store, hhi_threshold=0.5).to_dict(), "single_source")}
    # spin has one firm (HHI 1); weave (units differ) and knit (a capacity missing) fall back to
    # equal shares: 1/2, not above 0.5; dye 0.46; fin: h1 30+20 = 50 t against h2 50 t → 0.5
    assert found == {"spin": (1.0, "firm_count", 1)}
    lower = {i["node"]: (i["score"], i["basis"]) for i in items(bottlenecks(sqlite_store, hhi_threshold=0.45).to_dict(), "single_source")}
    assert lower == {"spin": (1.0, "firm_count"), "dye": (pytest.approx(0.46), "capacity"),
                     "weave": (0.5, "firm_count"), "knit": (0.5, "firm_count"), "fin": (0.5, "capacity")}
    dye = next(i for i in items(bottlenecks(sqlite_store, hhi_threshold=0.45).to_dict(), "single_source") if i["node"] == "dye")
    assert [s["share"] for s in dye["shares"]] == pytest.approx([0.6, 0.3, 0.1])
    assert any("HHI = Σ share² = 0.4600" in r for r in dye["reasons"])


def test_bad_parameters_are_refused(sqlite_store):
    concentrated(sqlite_store)
    with pytest.raises(InvalidParameter, match="hhi_threshold"):
        bottlenecks(sqlite_store, hhi_threshold=1.5).to_dict()
    with pytest.raises(InvalidParameter, match="min_firms"):
        bottlenecks(sqlite_store, min_firms=0).to_dict()
    with pytest.raises(NotFound, match="unknown region 'zz'"):
        bottlenecks(sqlite_store, "zz").to_dict()


# -- critical enterprises and cascades ------------------------------------------------------

def supply_chain(store, g2_region="r"):
    """fibre → yarn → cloth → garment, and the support stage mach → yarn.

    F1, F2 make fibre; Y1, Y2 yarn; C1 alone cloth; G1, G2 garments; M1 machinery.
    Y1 buys fibre from F1 and F2, machinery from M1; Y2 buys fibre from F1 only.
    C1 buys yarn from Y1 and Y2; G1 and G2 buy cloth from C1 only.
    """
    nodes = [R("r"), R("q"), S("fibre", tier="upstream"), S("yarn"), S("cloth"), S("garment", tier="downstream"), S("mach", tier="support")]
    firms = {"F1": "fibre", "F2": "fibre", "Y1": "yarn", "Y2": "yarn", "C1": "cloth", "G1": "garment", "G2": "garment", "M1": "mach"}
    nodes += [E(f, region=g2_region if f == "G2" else "r") for f in firms]
    rels = [rel("FEEDS", a, b) for a, b in [("fibre", "yarn"), ("yarn", "cloth"), ("cloth", "garment"), ("mach", "yarn")]]
    rels += [rel("OPERATES_IN", f, s) for f, s in firms.items()]
    rels += [rel("SUPPLIES", a, b, s) for a, b, s in [
        ("F1", "Y1", "fibre"), ("F2", "Y1", "fibre"), ("F1", "Y2", "fibre"), ("M1", "Y1", "mach"),
        ("Y1", "C1", "yarn"), ("Y2", "C1", "yarn"), ("C1", "G1", "cloth"), ("C1", "G2", "cloth")]]
    return write(store, nodes, rels)


def test_critical_enterprises_and_their_cascades_by_hand(store):
    supply_chain(store)
    critical = {i["node"]: i for i in items(bottlenecks(store).to_dict(), "critical_enterprise")}
    # C1: the only cloth maker and G1's and G2's only cloth supplier; without cloth they make no
    # garments: 2 enterprises + 2 stages (cloth, garment)
    # M1: Y1's only machinery supplier and the only machinery firm: Y1 + mach; machinery is a
    # support input, so Y1 keeps delivering yarn
    # F1: Y2's only fibre supplier: Y2 can deliver no yarn, but C1 still has Y1
    assert [(n, i["score"]) for n, i in critical.items()] == [("C1", 4.0), ("M1", 2.0), ("F1", 1.0)]
    c1 = critical["C1"]["cascade"]
    assert [(e["enterprise"], e["lost"]) for e in c1["enterprises"]] == [("G1", ["cloth"]), ("G2", ["cloth"])]
    assert [s["stage"] for s in c1["stages_lost"]] == ["cloth", "garment"]
    m1 = critical["M1"]["cascade"]
    assert [(e["enterprise"], e["lost"]) for e in m1["enterprises"]] == [("Y1", ["mach"])]
    assert [s["stage"] for s in m1["stages_lost"]] == ["mach"]
    assert [s["stage"] for s in m1["stages_downstream"]] == ["yarn", "cloth", "garment"]
    assert [e["enterprise"] for e in critical["F1"]["cascade"]["enterprises"]] == ["Y2"]
    assert critical["F1"]["cascade"]["stages_lost"] == []


def test_in_a_region_only_its_own_losses_count(sqlite_store):
    supply_chain(sqlite_store, g2_region="q")
    critical = {i["node"]: i["score"] for i in items(bottlenecks(sqlite_store, "r").to_dict(), "critical_enterprise")}
    # C1 now costs r one garment maker (G2 is in q) and the cloth and garment stages in r;
    # G1 is r's last garment maker
    assert critical == {"C1": 3.0, "M1": 2.0, "F1": 1.0, "G1": 1.0}
    singles = {i["node"] for i in items(bottlenecks(sqlite_store, "r").to_dict(), "single_source")}
    assert singles == {"cloth", "garment", "mach"}


def test_whatif_follows_the_cascade_down_the_chain(store):
    supply_chain(store)
    report = whatif(store, ["F1", "F2"]).to_dict()
    # no fibre at all: Y1 and Y2 make no yarn, C1 no cloth, G1 and G2 no garments
    assert [(e["enterprise"], e["lost"]) for e in report["enterprises"]] == [
        ("C1", ["yarn"]), ("G1", ["cloth"]), ("G2", ["cloth"]), ("Y1", ["fibre"]), ("Y2", ["fibre"])]
    assert [s["stage"] for s in report["stages_lost"]] == ["fibre", "yarn", "cloth", "garment"]
    assert report["supplies_cut"] == 7  # every supply but M1's machinery
    assert report["score"] == 9
    assert [r["id"] for r in report["removed"]] == ["F1", "F2"]


def test_whatif_a_stage_goes(sqlite_store):
    supply_chain(sqlite_store)
    report = whatif(sqlite_store, ["yarn"]).to_dict()
    assert [e["enterprise"] for e in report["enterprises"]] == ["C1", "G1", "G2"]
    assert [s["stage"] for s in report["stages_lost"]] == ["yarn", "cloth", "garment"]
    # a non-critical enterprise takes nothing with it
    quiet = whatif(sqlite_store, ["G2"]).to_dict()
    assert quiet["enterprises"] == [] and quiet["stages_lost"] == [] and quiet["score"] == 0
    assert quiet["reasons"][-1] == "Nothing else loses supply."


def test_a_lost_support_input_stops_no_deliveries(sqlite_store):
    supply_chain(sqlite_store)
    report = whatif(sqlite_store, ["M1", "F1"]).to_dict()
    # Y1 loses its machinery supplier but still has fibre from F2, so it keeps delivering yarn
    # and C1 keeps one yarn supplier; were machinery a material input, C1, G1 and G2 would go too
    assert [(e["enterprise"], e["lost"]) for e in report["enterprises"]] == [("Y1", ["mach"]), ("Y2", ["fibre"])]
    assert [s["stage"] for s in report["stages_lost"]] == ["mach"]


def test_whatif_names_what_it_cannot_remove(sqlite_store):
    supply_chain(sqlite_store)
    with pytest.raises(NotFound, match="unknown id\\(s\\) to remove: nope, zz"):
        whatif(sqlite_store, ["F1", "nope", "zz"]).to_dict()
    with pytest.raises(InvalidParameter, match="r is a Region"):
        whatif(sqlite_store, ["r"]).to_dict()
    with pytest.raises(InvalidParameter, match="at least one"):
        whatif(sqlite_store, []).to_dict()


def test_bottleneck_cascades_equal_whatif(sqlite_store):
    supply_chain(sqlite_store)
    for item in items(bottlenecks(sqlite_store).to_dict(), "critical_enterprise"):
        report = whatif(sqlite_store, [item["node"]]).to_dict()
        assert {k: report[k] for k in item["cascade"]} == item["cascade"]
        assert report["score"] == item["score"]


# -- the bundled textile dataset ------------------------------------------------------------

@pytest.fixture(scope="module")
def textile(tmp_path_factory):
    from loaders.pipeline import load_path
    from tests.conftest import TEXTILE

    store = SqliteStore(tmp_path_factory.mktemp("textile") / "chainx.db", create=True)
    load_path(store, TEXTILE)
    yield store
    store.close()


def test_textile_chokepoint_single_source_and_critical_zipper_maker(textile):
    report = bottlenecks(textile).to_dict()
    chokes = {i["node"]: i for i in items(report, "chokepoint")}
    # SOURCES.md: printing and dyeing is the only dominator of garments; finishing is not
    # (sewing thread and zippers skip it)
    assert chokes["printing_and_dyeing"]["dominates"] == ["garments"]
    assert [n for n, i in chokes.items() if "garments" in i["dominates"]] == ["printing_and_dyeing"]
    assert "finishing" not in chokes
    # SOURCES.md: zipper is the only stage with a single enterprise in the whole dataset
    assert [i["node"] for i in items(report, "single_source") if i["enterprises"] == 1] == ["zipper"]
    zipper = next(i for i in items(report, "critical_enterprise") if i["node"] == "e_wj_lianjie_zipper")
    # ... and that firm is the only zipper supplier of five garment makers
    assert sum("zipper" in e["lost"] for e in zipper["cascade"]["enterprises"]) == 5
    assert [s["stage"] for s in zipper["cascade"]["stages_lost"]] == ["zipper"]


@pytest.mark.parametrize("module", ["graph.analysis.gaps", "graph.analysis.bottlenecks", "graph.analysis.stages"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_equal_single_sources_and_critical_firms_are_ordered_by_what_depends_on_them(sqlite_store):
    # z → y → x and z → w, every stage with one firm of r except x with two: z, y and w are single
    # sources of HHI 1 alike. Below z: y, x, w (4 firms); below y: x (2 firms); below w: nothing.
    # By id the order would be w, y, z.
    nodes = [R("r"), *(S(s) for s in "zyxw"),
             *(E(f, region="r") for f in ("fz", "fy", "fx1", "fx2", "fw"))]
    rels = [rel("FEEDS", "z", "y"), rel("FEEDS", "y", "x"), rel("FEEDS", "z", "w"),
            rel("OPERATES_IN", "fz", "z"), rel("OPERATES_IN", "fy", "y"), rel("OPERATES_IN", "fx1", "x"),
            rel("OPERATES_IN", "fx2", "x"), rel("OPERATES_IN", "fw", "w")]
    write(sqlite_store, nodes, rels)
    report = bottlenecks(sqlite_store, "r", scope="whole").to_dict()
    singles = items(report, "single_source")
    assert [(i["node"], i["downstream_stages"], i["downstream_firms"]) for i in singles] == [("z", 3, 4), ("y", 1, 2), ("w", 0, 0)]
    # each sole firm's loss empties its stage (score 1 alike); fz's reaches y, x and w (4 firms
    # downstream keep working without that input), fy's x (2), fw's none
    critical = items(report, "critical_enterprise")
    assert [(i["node"], i["score"], i["downstream_firms"]) for i in critical] == [("fz", 1, 4), ("fy", 1, 2), ("fw", 1, 0)]


def test_a_stage_on_a_cycle_does_not_count_its_cycle_as_depending_on_it(sqlite_store):
    # p ⇄ q, q → t: below p, only t (q is on p's cycle, neither above nor below it)
    nodes = [R("r"), S("p"), S("q"), S("t"), E("fp", region="r"), E("fq", region="r"), E("ft", region="r")]
    rels = [rel("FEEDS", "p", "q"), rel("FEEDS", "q", "p"), rel("FEEDS", "q", "t"),
            rel("OPERATES_IN", "fp", "p"), rel("OPERATES_IN", "fq", "q"), rel("OPERATES_IN", "ft", "t")]
    write(sqlite_store, nodes, rels)
    singles = {i["node"]: i for i in items(bottlenecks(sqlite_store, "r", scope="whole").to_dict(), "single_source")}
    assert (singles["p"]["downstream_stages"], singles["p"]["downstream_firms"]) == (1, 1)
    assert (singles["t"]["downstream_stages"], singles["t"]["downstream_firms"]) == (0, 0)


def test_removing_a_stage_without_firms_takes_nothing_away(sqlite_store):
    # a → b; r has a firm in b only: without a, b had no local input from it to lose
    write(sqlite_store, [R("r"), S("a"), S("b"), E("fb", region="r")],
          [rel("FEEDS", "a", "b"), rel("OPERATES_IN", "fb", "b")])
    report = whatif(sqlite_store, ["a"], "r", scope="whole").to_dict()
    assert report["stages_lost"] == [] and report["stages_downstream"] == [] and report["score"] == 0
    assert any("had no firm in" in reason and "takes nothing away" in reason for reason in report["reasons"])


# -- a write between the chain's read and the supply world's ---------------------------------

def three_stages(store):
    """yarn → cloth, and a dyeing stage fed by nothing yet; a firm in each, the mill supplying the weaver."""
    return write(store, [S("yarn"), S("cloth"), S("dye"), E("mill"), E("weaver"), E("dyer")],
                 [rel("FEEDS", "yarn", "cloth"), rel("OPERATES_IN", "mill", "yarn"), rel("OPERATES_IN", "weaver", "cloth"),
                  rel("OPERATES_IN", "dyer", "dye"), rel("SUPPLIES", "mill", "weaver", "yarn")])


def cloth_feeds_dyeing(store):
    """The same stages, and cloth now feeds dyeing, the weaver supplying the dyer."""
    return write(store, [], [rel("FEEDS", "cloth", "dye"), rel("SUPPLIES", "weaver", "dyer", "cloth")])


@pytest.mark.parametrize("analysis", [lambda store: bottlenecks(store), lambda store: whatif(store, ["mill"])],
                         ids=["bottlenecks", "whatif"])
def test_a_world_built_across_a_write_is_not_kept_for_the_graph_after_it(store, monkeypatch, analysis):
    import graph.analysis.bottlenecks as module

    three_stages(store)
    world = module._world

    def write_first(*args):
        # the write commits after the report read its chain and before it reads its supply world
        monkeypatch.setattr(module, "_world", world)
        cloth_feeds_dyeing(store)
        return world(*args)

    monkeypatch.setattr(module, "_world", write_first)
    analysis(store)  # of neither graph alone, as any read across a write outside reads.consistent
    after = analysis(store).to_dict()
    alone = cloth_feeds_dyeing(three_stages(SqliteStore(":memory:", create=True)))
    assert after == analysis(alone).to_dict()
