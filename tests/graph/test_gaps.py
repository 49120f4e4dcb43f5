"""Gaps and coverage: hand-worked answers on tiny chains, invariants on random ones, the textile data."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.analysis.bottlenecks import bottlenecks
from graph.analysis.gaps import compare, gaps
from graph.analysis.stages import stage_chain
from graph.errors import InvalidParameter, NotFound
from graph.model import GraphData
from graph.store.queries import Queries, queries
from graph.store.sqlite import SqliteStore

from .small_graphs import E, I, R, S, rel, tie, write


def broken_chain(store):
    """up → mid → down → end, plus iso with no FEEDS link; down_dye is a sub-stage of down.

    Region r (with sub-region rsub) has r1 in up, r2 (in rsub) in down_dye, r3 in down.
    Region q has q1, q2 in mid, q3 and q5 in end, q4 in up.
    q1 supplies r3 (stage mid); r1 supplies q2. r1 and q2 both work with institute u.
    """
    nodes = [
        R("r"), R("rsub"), R("q"),
        S("up", tier="upstream"), S("mid"), S("down"), S("down_dye", parent="down"), S("end", tier="downstream"), S("iso", tier="support"),
        E("r1", region="r"), E("r2", region="rsub"), E("r3", region="r"),
        E("q1", region="q", revenue_cny=100, employees=10), E("q2", region="q", revenue_cny=300, employees=30),
        E("q3", region="q"), E("q4", region="q"), E("q5", region="q"),
        I("u"),
    ]
    rels = [
        rel("PART_OF", "rsub", "r"), rel("PART_OF", "down_dye", "down"),
        rel("FEEDS", "up", "mid"), rel("FEEDS", "mid", "down_dye"), rel("FEEDS", "down", "end"),
        rel("OPERATES_IN", "r1", "up"), rel("OPERATES_IN", "r2", "down_dye"), rel("OPERATES_IN", "r3", "down"),
        rel("OPERATES_IN", "q1", "mid"), rel("OPERATES_IN", "q2", "mid"), rel("OPERATES_IN", "q5", "end"),
        rel("OPERATES_IN", "q3", "end"), rel("OPERATES_IN", "q4", "up"),
        rel("SUPPLIES", "q1", "r3", "mid"), rel("SUPPLIES", "r1", "q2", "up"),
        tie("r1", "u"), tie("q2", "u"),
    ]
    return write(store, nodes, rels)


# The rolled-up stage graph is the path up → mid → down → end plus iso: n = 5, and directed
# betweenness is normalised by (n-1)(n-2) = 12. mid lies on up→down and up→end: 2/12; down on
# up→end and mid→end: 2/12. r's enterprises in the chain: r1, r2, r3 (N = 3).
MID = (2 / 3 + 1 / 3 + 1 / 6) / 3  # D = {r2, r3}, U = {r1}, B = 1/6  → 7/18
END = (0 + 3 / 3 + 0) / 3  # nothing below; r1, r2, r3 above
UP = (2 / 3 + 0 + 0) / 3  # r2, r3 below; nothing above
DOWN = (0 + 1 / 3 + 1 / 6) / 3  # present: weight only (r1 above, nothing below)


def test_statuses_kinds_and_scores_of_a_broken_chain(store):
    broken_chain(store)
    report = gaps(store, "r", min_firms=2).to_dict()
    statuses = {s["stage"]: (s["status"], s["local_enterprises"]) for s in report["stages"]}
    assert statuses == {"up": ("weak", 1), "mid": ("missing", 0), "down": ("present", 2), "end": ("missing", 0), "iso": ("missing", 0)}
    got = [(g["stage"], g["status"], g["kind"], g["upstream_local"], g["downstream_local"]) for g in report["gaps"]]
    assert got == [
        ("mid", "missing", "break", 1, 2),
        ("end", "missing", "extension", 3, 0),
        ("up", "weak", "strengthen", 0, 2),
        ("iso", "missing", "absent", 0, 0),
    ]
    scores = {g["stage"]: g["score"] for g in report["gaps"]}
    assert scores == pytest.approx({"mid": MID, "end": END, "up": UP, "iso": 0.0}, abs=1e-6)
    assert report["completeness"] == pytest.approx(1 / 5)
    assert report["completeness_weighted"] == pytest.approx(DOWN / (MID + END + UP + DOWN), abs=1e-6)  # = 0.15
    assert report["local_enterprises"] == 3 and report["counts"] == {"stages": 5, "missing": 3, "weak": 1, "present": 1}


def test_the_betweenness_in_the_score_is_networkx_s_on_the_rolled_up_chain(sqlite_store):
    broken_chain(sqlite_store)
    rolled = nx.DiGraph([("up", "mid"), ("mid", "down"), ("down", "end")])
    rolled.add_node("iso")
    expected = nx.betweenness_centrality(rolled, normalized=True)
    report = gaps(sqlite_store, "r").to_dict()
    assert {g["stage"]: g["betweenness"] for g in report["gaps"]} == pytest.approx({s: expected[s] for s in ("mid", "end", "up", "iso")}, abs=1e-6)


def test_sub_stages_roll_up_and_are_not_listed_themselves(sqlite_store):
    broken_chain(sqlite_store)
    stages = {s["stage"]: s for s in gaps(sqlite_store, "r").to_dict()["stages"]}
    assert "down_dye" not in stages
    assert stages["down"]["sub_stages"] == ["down_dye"] and stages["down"]["local_enterprises"] == 2
    # rsub alone holds only r2, whose one firm in the sub-stage makes down weak there
    assert {s["stage"]: s["status"] for s in gaps(sqlite_store, "rsub").to_dict()["stages"]}["down"] == "weak"


def test_candidates_are_ranked_by_supply_ties_shared_institutes_and_size(sqlite_store):
    broken_chain(sqlite_store)
    report = gaps(sqlite_store, "r", min_firms=2).to_dict()
    by_stage = {g["stage"]: g for g in report["gaps"]}
    mid = by_stage["mid"]["candidates"]
    # q2: buys from r1 (S=1), shares u with r1 (I=1), the larger of the two (Z=1): 2+1+1 = 4
    # q1: supplies r3 (S=1), no institute, a third of q2's revenue and staff (Z=1/3): 2⅓
    assert [(c["enterprise"], c["region"]) for c in mid] == [("q2", "q"), ("q1", "q")]
    assert [c["score"] for c in mid] == pytest.approx([4.0, 2 + 1 / 3])
    assert any("buys from 1" in reason for reason in mid[0]["reasons"])
    assert any("supplies 1" in reason for reason in mid[1]["reasons"])
    # q3 and q5 score 0 alike: the id breaks the tie
    assert [c["enterprise"] for c in by_stage["end"]["candidates"]] == ["q3", "q5"]
    assert [c["enterprise"] for c in by_stage["up"]["candidates"]] == ["q4"]
    assert by_stage["iso"]["candidates"] == []
    trimmed = gaps(sqlite_store, "r", top_candidates=1).to_dict()
    assert [c["enterprise"] for g in trimmed["gaps"] for c in g["candidates"]] == ["q2", "q3", "q4"]
    assert all(g["candidates"] == [] for g in gaps(sqlite_store, "r", top_candidates=0).to_dict()["gaps"])


def test_reasons_spell_out_the_formula_with_the_numbers(sqlite_store):
    broken_chain(sqlite_store)
    mid = gaps(sqlite_store, "r").to_dict()["gaps"][0]
    assert mid["stage"] == "mid"
    assert any("(2/3 + 1/3 + 0.1667) / 3 = 0.3889" in reason for reason in mid["reasons"])
    assert any("broken" in reason for reason in mid["reasons"])


def test_min_firms_moves_the_line_between_weak_and_present(sqlite_store):
    broken_chain(sqlite_store)
    one = {s["stage"]: s["status"] for s in gaps(sqlite_store, "r", min_firms=1).to_dict()["stages"]}
    three = {s["stage"]: s["status"] for s in gaps(sqlite_store, "r", min_firms=3).to_dict()["stages"]}
    assert one["up"] == "present" and one["down"] == "present"
    assert three["up"] == "weak" and three["down"] == "weak"


def test_another_region_sees_its_own_break(sqlite_store):
    broken_chain(sqlite_store)
    report = gaps(sqlite_store, "q", min_firms=2).to_dict()
    kinds = {g["stage"]: g["kind"] for g in report["gaps"]}
    # q has q4 above down and q3, q5 below it
    assert kinds == {"down": "break", "up": "strengthen", "iso": "absent"}
    assert report["completeness"] == pytest.approx(2 / 5)


def test_a_cycle_is_one_link_of_the_chain_and_the_report_names_it(sqlite_store):
    # a → b → c → a: a firm in a sits on the cycle with b and c, so it is neither upstream nor
    # downstream of them; b and c are not "break" gaps because of it
    write(sqlite_store, [R("r"), S("a"), S("b"), S("c"), E("e", region="r")],
          [rel("FEEDS", "a", "b"), rel("FEEDS", "b", "c"), rel("FEEDS", "c", "a"), rel("OPERATES_IN", "e", "a")])
    report = gaps(sqlite_store, "r", min_firms=1).to_dict()
    assert {g["stage"]: (g["kind"], g["upstream_local"], g["downstream_local"], g["cycle"]) for g in report["gaps"]} == {
        "b": ("absent", 0, 0, 3), "c": ("absent", 0, 0, 3)}
    assert all("FEEDS cycle of 3 stages" in " ".join(g["reasons"]) for g in report["gaps"])
    assert report["cycles"]["count"] == 1 and report["cycles"]["largest"][0]["stages"] == ["a", "b", "c"]
    assert report["cycles"]["largest"][0]["local_enterprises"] == 1


def test_firms_on_both_sides_of_a_cycle_make_its_stages_breaks(sqlite_store):
    # x → a → b → a → y: the firms in x and y are upstream and downstream of the cycle {a, b}
    write(sqlite_store, [R("r"), S("x"), S("a"), S("b"), S("y"), E("e1", region="r"), E("e2", region="r"), E("e3", region="r")],
          [rel("FEEDS", "x", "a"), rel("FEEDS", "a", "b"), rel("FEEDS", "b", "a"), rel("FEEDS", "b", "y"),
           rel("OPERATES_IN", "e1", "x"), rel("OPERATES_IN", "e2", "y"), rel("OPERATES_IN", "e3", "a")])
    report = gaps(sqlite_store, "r", min_firms=1).to_dict()
    # e3 in a is on b's cycle: not counted on either side of b
    assert {g["stage"]: (g["kind"], g["upstream_local"], g["downstream_local"]) for g in report["gaps"]} == {"b": ("break", 1, 1)}
    assert report["cycles"]["count"] == 1 and report["cycles"]["stages"] == 2


def test_bad_input_raises_the_library_errors(sqlite_store):
    broken_chain(sqlite_store)
    with pytest.raises(NotFound, match="unknown region 'nowhere'"):
        gaps(sqlite_store, "nowhere").to_dict()
    with pytest.raises(NotFound, match="unknown region 'up'"):  # a stage is not a region
        gaps(sqlite_store, "up").to_dict()
    with pytest.raises(InvalidParameter, match="min_firms"):
        gaps(sqlite_store, "r", min_firms=0).to_dict()
    with pytest.raises(InvalidParameter, match="top_candidates"):
        gaps(sqlite_store, "r", top_candidates=-1).to_dict()


def test_compare_lays_regions_side_by_side(store):
    broken_chain(store)
    report = compare(store, ["r", "q"], min_firms=2).to_dict()
    assert report["regions"] == ["r", "q"]
    rows = {row["stage"]: row for row in report["stages"]}
    assert set(rows) == {"up", "mid", "down", "end", "iso"}
    assert rows["mid"]["r"] == {"status": "missing", "local_enterprises": 0}
    assert rows["mid"]["q"] == {"status": "present", "local_enterprises": 2}
    assert rows["down"]["present_in"] == ["r"] and rows["down"]["lacking_in"] == ["q"]
    assert rows["iso"]["lacking_in"] == ["r", "q"]
    assert report["completeness"] == {"r": pytest.approx(0.2), "q": pytest.approx(0.4)}
    # the same statuses as each region's own gaps report
    for region in ("r", "q"):
        own = {s["stage"]: s["status"] for s in gaps(store, region).to_dict()["stages"]}
        assert own == {stage: row[region]["status"] for stage, row in rows.items()}


def test_compare_refuses_bad_region_lists(sqlite_store):
    broken_chain(sqlite_store)
    with pytest.raises(InvalidParameter, match="give 1 to 20 regions, not 0"):
        compare(sqlite_store, []).to_dict()
    with pytest.raises(InvalidParameter, match="give 1 to 20 regions, not 21"):
        compare(sqlite_store, [f"r{i}" for i in range(21)]).to_dict()
    with pytest.raises(InvalidParameter, match="r repeated"):
        compare(sqlite_store, ["r", "q", "r"]).to_dict()
    with pytest.raises(NotFound, match="unknown region 'zz'"):
        compare(sqlite_store, ["r", "zz"]).to_dict()


def test_the_stage_counts_come_from_the_store_query_not_a_graph_pull(sqlite_store, monkeypatch):
    broken_chain(sqlite_store)
    # the default implementation pulls every OPERATES_IN relationship; SqliteStore answers by SQL
    calls = []
    real = type(sqlite_store).relationships

    def spy(self, types=None):
        calls.append(tuple(types) if types else None)
        return real(self, types)

    monkeypatch.setattr(type(sqlite_store), "relationships", spy)
    gaps(sqlite_store, "r").to_dict()
    assert ("OPERATES_IN",) not in calls and None not in calls


def test_operations_default_and_sql_agree(sqlite_store):
    broken_chain(sqlite_store)

    for regions, stages in [(None, None), (["r", "rsub"], None), (None, ["mid", "down_dye"]), (["q"], ["end"]), ([], None), (None, [])]:
        assert queries(sqlite_store).operations(regions=regions, stages=stages) == Queries(sqlite_store).operations(regions=regions, stages=stages)


# -- invariants on random chains ------------------------------------------------------------

@st.composite
def random_chains(draw):
    """A random chain: stages with random FEEDS (cycles allowed) and PART_OF (to earlier stages),
    enterprises in r, its sub-region r1 or elsewhere (q), operating and supplying at random."""
    n_stages = draw(st.integers(1, 7))
    stages = [f"s{i}" for i in range(n_stages)]
    parents = {s: draw(st.sampled_from([None] + stages[:i])) for i, s in enumerate(stages)}
    feeds = draw(st.sets(st.tuples(st.sampled_from(stages), st.sampled_from(stages)).filter(lambda p: p[0] != p[1]), max_size=10))
    n_firms = draw(st.integers(1, 8))
    firms = [f"e{i}" for i in range(n_firms)]
    region = {e: draw(st.sampled_from(["r", "r1", "q"])) for e in firms}
    operates = draw(st.sets(st.tuples(st.sampled_from(firms), st.sampled_from(stages)), max_size=14))
    supplies = draw(st.sets(st.tuples(st.sampled_from(firms), st.sampled_from(firms), st.sampled_from(stages)).filter(lambda t: t[0] != t[1]), max_size=10))
    nodes = [R("r"), R("r1"), R("q")] + [S(s, **({"parent": p} if p else {})) for s, p in parents.items()]
    nodes += [E(e, region=region[e]) for e in firms]
    rels = [rel("PART_OF", "r1", "r")] + [rel("PART_OF", s, p) for s, p in parents.items() if p]
    rels += [rel("FEEDS", a, b) for a, b in sorted(feeds)] + [rel("OPERATES_IN", e, s) for e, s in sorted(operates)]
    rels += [rel("SUPPLIES", a, b, s) for a, b, s in sorted(supplies)]
    return GraphData(nodes=nodes, relationships=rels), parents, region


def _memory_store(data: GraphData) -> SqliteStore:
    store = SqliteStore(":memory:", create=True)
    store.write(data)
    return store


def _top(stage, parents):
    while parents.get(stage):
        stage = parents[stage]
    return stage


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_chains(), st.integers(1, 3))
def test_a_stage_with_no_local_firm_is_never_present(chain, min_firms):
    data, parents, region = chain
    with _memory_store(data) as store:
        report = gaps(store, "r", min_firms=min_firms).to_dict()
    # worked out from the generated data: r's firms per top-level stage
    local: dict[str, set] = {s: set() for s in parents if not parents[s]}
    for r in data.relationships:
        if r.type == "OPERATES_IN" and region[r.source] in ("r", "r1"):
            local[_top(r.target, parents)].add(r.source)
    assert {s["stage"]: s["local_enterprises"] for s in report["stages"]} == {s: len(f) for s, f in local.items()}
    for stage in report["stages"]:
        if stage["local_enterprises"] == 0:
            assert stage["status"] == "missing"
        assert (stage["status"] == "present") == (stage["local_enterprises"] >= min_firms)
    for gap in report["gaps"]:
        if gap["kind"] == "break":
            assert gap["upstream_local"] > 0 and gap["downstream_local"] > 0
        if gap["kind"] == "absent":
            assert gap["upstream_local"] == gap["downstream_local"] == 0


def _gap_list(report):
    return [(g["stage"], g["status"], g["kind"]) for g in sorted(report["gaps"], key=lambda g: g["stage"])]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_chains(), st.integers(1, 3))
def test_removing_a_non_critical_enterprise_never_changes_the_gap_list(chain, min_firms):
    graph, _, _ = chain
    with _memory_store(graph) as store:
        critical = {i["node"] for i in bottlenecks(store, "r", min_firms=min_firms).to_dict()["items"] if i["kind"] == "critical_enterprise"}
        before = _gap_list(gaps(store, "r", min_firms=min_firms, top_candidates=0).to_dict())
    # every non-critical enterprise in turn (the "gap list": each gap's stage, status and kind)
    for gone in sorted(n.id for n in graph.nodes if n.label == "Enterprise" and n.id not in critical):
        without = GraphData(
            nodes=[n for n in graph.nodes if n.id != gone],
            relationships=[r for r in graph.relationships if gone not in (r.source, r.target)],
        )
        with _memory_store(without) as store:
            assert _gap_list(gaps(store, "r", min_firms=min_firms, top_candidates=0).to_dict()) == before, f"removing {gone}"


# -- the bundled textile dataset ------------------------------------------------------------

@pytest.fixture(scope="module")
def textile(tmp_path_factory):
    from loaders.pipeline import load_path
    from tests.conftest import TEXTILE

    store = SqliteStore(tmp_path_factory.mktemp("textile") / "chainx.db", create=True)
    load_path(store, TEXTILE)
    yield store
    store.close()


TOP_LEVEL_STAGES = 31  # data/textile/stages.csv: 41 stages, 10 of them sub-stages


def test_tianmen_lacks_the_intermediate_links_between_spinning_and_garments(textile):
    report = gaps(textile, "tianmen").to_dict()
    assert report["counts"]["stages"] == TOP_LEVEL_STAGES
    kinds = {g["stage"]: g["kind"] for g in report["gaps"]}
    # SOURCES.md: Tianmen has spinning upstream and garments downstream, and nothing in
    # weaving → printing and dyeing → finishing (article 004's "intermediate links")
    for stage in ("weaving", "printing_and_dyeing", "finishing"):
        assert kinds[stage] == "break"
    statuses = {s["stage"]: s["status"] for s in report["stages"]}
    assert statuses["garments"] == "present" and statuses["cotton_spinning"] == "present"
    # SOURCES.md: firms in 9 top-level stages, 5 of them with one firm → 4 present
    assert report["counts"] == {"stages": TOP_LEVEL_STAGES, "missing": 22, "weak": 5, "present": 4}
    assert report["completeness"] == pytest.approx(4 / TOP_LEVEL_STAGES, abs=1e-6)
    assert kinds["industrial_textiles"] == "extension"  # non-wovens with nothing downstream
    # the Shengze mills that already ship finished fabric to Tianmen lead the finishing candidates
    top = gaps(textile, "tianmen").to_dict()["gaps"]
    finishing = next(g for g in top if g["stage"] == "finishing")["candidates"]
    assert finishing[0]["enterprise"] in {"e_sz_huacai_fabric", "e_sz_jinxiu_textile", "e_sz_jiahe_composite"}
    assert finishing[0]["supply_ties"] >= 1


def test_shengze_has_a_near_complete_chain(textile):
    shengze, tianmen = gaps(textile, "shengze").to_dict(), gaps(textile, "tianmen").to_dict()
    missing = {g["stage"]: g["kind"] for g in shengze["gaps"] if g["status"] == "missing"}
    # SOURCES.md: Shengze lacks only the refinery stages, raw cotton, cotton spinning, padding
    # and zippers; along FEEDS the first five sit above all of its firms, the other three
    # between its fibre/finishing firms and its garment makers
    assert missing == {
        "crude_oil": "extension", "px": "extension", "pta": "extension", "meg": "extension", "cotton": "extension",
        "cotton_spinning": "break", "padding": "break", "zipper": "break",
    }
    # 33 of the 41 stages have Shengze firms and 30 have two or more, so at most 3 top-level
    # stages are weak: at least 20 of the 31 are present
    assert shengze["completeness"] >= 20 / TOP_LEVEL_STAGES - 1e-6  # reports round to 6 places
    assert shengze["completeness"] >= 5 * tianmen["completeness"] - 1e-6  # 20/31 against 4/31
    wujiang = gaps(textile, "wujiang").to_dict()  # Wujiang as a whole adds padding and zippers
    assert {g["stage"] for g in wujiang["gaps"] if g["status"] == "missing"} == set(missing) - {"padding", "zipper"}


def test_compare_on_textile_shows_what_each_region_has_that_the_other_lacks(textile):
    rows = {row["stage"]: row for row in compare(textile, ["shengze", "tianmen"]).to_dict()["stages"]}
    assert rows["weaving"]["present_in"] == ["shengze"]
    assert rows["cotton_spinning"]["present_in"] == ["tianmen"]


def test_reports_are_identical_on_both_stores(store, textile):
    from graph.analysis.bottlenecks import whatif
    from loaders.pipeline import load_path
    from tests.conftest import TEXTILE

    load_path(store, TEXTILE)
    assert gaps(store, "tianmen").to_dict() == gaps(textile, "tianmen").to_dict()
    assert compare(store, ["shengze", "tianmen", "wujiang"]).to_dict() == compare(textile, ["shengze", "tianmen", "wujiang"]).to_dict()
    assert bottlenecks(store, "tianmen").to_dict() == bottlenecks(textile, "tianmen").to_dict()
    assert whatif(store, ["e_wj_lianjie_zipper", "printing_and_dyeing"]).to_dict() == whatif(textile, ["e_wj_lianjie_zipper", "printing_and_dyeing"]).to_dict()


def test_without_ties_institutes_or_sizes_candidates_rank_by_their_fit_with_the_chain(sqlite_store):
    # a → b → c → d; r's firm r1 is in a, so b is a gap. Outside r, in b: x (b only), y (b and
    # c2, a sub-stage of c: c once), z (b, c and d), w (b and e, a stage off the chain's FEEDS
    # but still a stage of the whole chain read). No SUPPLIES, institute or size anywhere.
    nodes = [R("r"), R("q"), S("a"), S("b"), S("c"), S("c2", parent="c"), S("d"), S("e"),
             E("r1", region="r"), *(E(f, region="q") for f in ("x", "y", "z", "w"))]
    rels = [rel("FEEDS", "a", "b"), rel("FEEDS", "b", "c"), rel("FEEDS", "c", "d"), rel("PART_OF", "c2", "c"),
            rel("OPERATES_IN", "r1", "a"),
            *(rel("OPERATES_IN", f, "b") for f in ("x", "y", "z", "w")),
            rel("OPERATES_IN", "y", "c2"), rel("OPERATES_IN", "z", "c"), rel("OPERATES_IN", "z", "d"), rel("OPERATES_IN", "w", "e")]
    write(sqlite_store, nodes, rels)
    report = gaps(sqlite_store, "r", min_firms=1, scope="whole").to_dict()
    b = next(g for g in report["gaps"] if g["stage"] == "b")
    # other chain stages: z 2 (c, d), y 1 (c), w 1 (e), x 0; the most is 2, so F = 1, ½, ½, 0
    assert [(c["enterprise"], c["chain_stages"], c["chain_fit"]) for c in b["candidates"]] == [
        ("z", 2, 1.0), ("w", 1, 0.5), ("y", 1, 0.5), ("x", 0, 0.0)]
    assert [c["score"] for c in b["candidates"]] == [1.0, 0.5, 0.5, 0.0]
    assert any("F = 1.0000" in reason for reason in b["candidates"][0]["reasons"])
    # the report says the ranking rests on chain fit alone (no capacity or tag stated either)
    assert report["candidate_signals"] == {"supply_ties": False, "shared_institutes": False, "size": False, "capacity": False,
                                           "capacity_units": [], "tags": False, "chain_fit": True}


def test_the_signals_the_data_holds_are_named(sqlite_store):
    broken_chain(sqlite_store)  # r's firms supply and work with an institute; q1 and q2 have sizes
    assert gaps(sqlite_store, "r").to_dict()["candidate_signals"] == {"supply_ties": True, "shared_institutes": True, "size": True,
                                                                      "capacity": False, "capacity_units": [], "tags": False,
                                                                      "chain_fit": True}


def test_equal_candidates_go_to_the_one_more_of_whose_stages_are_in_the_chain(sqlite_store):
    # a → b → c → d → e → f; r1 in a, so the region scope of depth 2 is {a, b, c}. In b: x also in
    # c and f (f outside the scope), y also in c: F = 1 alike, but 2 of y's 2 stages are in the
    # chain read against 2 of x's 3, so y comes first though x sorts first by id
    nodes = [R("r"), R("q"), *(S(s) for s in "abcdef"), E("r1", region="r"), E("x", region="q"), E("y", region="q")]
    rels = [*(rel("FEEDS", u, v) for u, v in zip("abcde", "bcdef")), rel("OPERATES_IN", "r1", "a"),
            rel("OPERATES_IN", "x", "b"), rel("OPERATES_IN", "x", "c"), rel("OPERATES_IN", "x", "f"),
            rel("OPERATES_IN", "y", "b"), rel("OPERATES_IN", "y", "c")]
    write(sqlite_store, nodes, rels)
    report = gaps(sqlite_store, "r", min_firms=1, scope="region", scope_depth=2).to_dict()
    assert report["chain_scope"]["stages"] == 3
    b = next(g for g in report["gaps"] if g["stage"] == "b")
    assert [(c["enterprise"], c["chain_fit"]) for c in b["candidates"]] == [("y", 1.0), ("x", 1.0)]
    assert any("2 of its 3 stage(s) in it" in reason for reason in b["candidates"][1]["reasons"])


def two_way_pairs(store):
    """ore (upstream) ⇄ steel (midstream); pa ⇄ pb (one tier, weights 3 and 1); qa ⇄ qb (one
    tier, equal weights); the town t has a firm in steel and one in pb."""
    return write(store, [R("t"), S("ore", tier="upstream"), S("steel", tier="midstream"), S("pa"), S("pb"), S("qa"), S("qb"),
                         E("f1", region="t"), E("f2", region="t")],
                 [rel("FEEDS", "ore", "steel"), rel("FEEDS", "steel", "ore"), rel("FEEDS", "pa", "pb", weight=3), rel("FEEDS", "pb", "pa", weight=1),
                  rel("FEEDS", "qa", "qb"), rel("FEEDS", "qb", "qa"), rel("OPERATES_IN", "f1", "steel"), rel("OPERATES_IN", "f2", "pb")])


def test_breaking_two_way_pairs_keeps_the_link_down_the_tiers_else_the_heavier_else_neither(sqlite_store):
    two_way_pairs(sqlite_store)
    kept = stage_chain(sqlite_store)
    assert {("ore", "steel"), ("steel", "ore"), ("pa", "pb"), ("pb", "pa"), ("qa", "qb"), ("qb", "qa")} <= set(kept.graph.edges)
    broken = stage_chain(sqlite_store, pairs="break")
    assert sorted(broken.graph.edges) == [("ore", "steel"), ("pa", "pb")]
    # kept, ore and steel are one cycle: nothing of t is upstream or downstream of ore; broken,
    # ore feeds the town's steel firm
    together = {g.stage: g for g in gaps(sqlite_store, "t").gaps}
    apart = gaps(sqlite_store, "t", pairs="break")
    assert (together["ore"].kind, together["ore"].cycle) == ("absent", 2)
    ore = next(g for g in apart.gaps if g.stage == "ore")
    assert (ore.kind, ore.downstream_local, ore.cycle) == ("extension", 1, 0)
    assert apart.chain_scope.pairs == "break" and apart.cycles.count == 0


def test_capacity_in_the_stage_ranks_candidates_within_one_unit(sqlite_store):
    # a → b; r1 (in r) is in a, so b is a gap. In b, outside r: x states 40% of its revenue in b,
    # y 0.1%, z 10% in b and 10% in its sub-stage b2 (20% in b rolled up), w 500 t (the only one
    # in tonnes), v nothing. No ties, sizes, tags or other stages: the score is C alone.
    nodes = [R("r"), R("q"), S("a"), S("b"), S("b2", parent="b"), E("r1", region="r"), *(E(f, region="q") for f in "vwxyz")]
    share = "revenue_share"
    rels = [rel("FEEDS", "a", "b"), rel("PART_OF", "b2", "b"), rel("OPERATES_IN", "r1", "a"), rel("OPERATES_IN", "v", "b"),
            rel("OPERATES_IN", "w", "b", capacity=500.0, unit="t"), rel("OPERATES_IN", "x", "b", capacity=0.4, unit=share),
            rel("OPERATES_IN", "y", "b", capacity=0.001, unit=share), rel("OPERATES_IN", "z", "b", capacity=0.1, unit=share),
            rel("OPERATES_IN", "z", "b2", capacity=0.1, unit=share)]
    write(sqlite_store, nodes, rels)
    report = gaps(sqlite_store, "r", min_firms=1, scope="whole", lang="en").to_dict()
    b = next(g for g in report["gaps"] if g["stage"] == "b")
    # C: w 500/500 (alone in t), x 0.4/0.4, z 0.2/0.4, y 0.001/0.4, v none; w and x tie at 1, w first by id
    assert [(c["enterprise"], c["capacity_share"], c["capacity_unit"]) for c in b["candidates"]] == [
        ("w", 1.0, "t"), ("x", 1.0, share), ("z", 0.5, share), ("y", 0.0025, share), ("v", 0.0, None)]
    assert [c["score"] for c in b["candidates"]] == [1.0, 1.0, 0.5, 0.0025, 0.0]
    assert b["candidates"][2]["capacity"] == pytest.approx(0.2)
    assert any("only within one unit" in reason for reason in b["candidates"][0]["reasons"])
    assert any("0.1% of its revenue is in B" in reason for reason in b["candidates"][3]["reasons"])
    assert any("States no capacity" in reason for reason in b["candidates"][4]["reasons"])
    signals = report["candidate_signals"]
    assert (signals["capacity"], signals["capacity_units"], signals["tags"]) == (True, [share, "t"], False)
    zh = next(g for g in gaps(sqlite_store, "r", min_firms=1, scope="whole", lang="zh").to_dict()["gaps"] if g["stage"] == "b")
    assert any("营业收入的0.1%来自B" in reason for reason in zh["candidates"][3]["reasons"])


def test_tags_shared_with_the_firms_of_the_region_s_stages_rank_candidates(sqlite_store):
    # a → b. The firms of r's stage a: r1 (in r; 纺织, 化纤), p1 (纺织, 棉纺) and p2 (化工) elsewhere,
    # 3 tagged: 纺织 2, 化纤 1, 棉纺 1, 化工 1. In b: g (传媒) states 64% of its revenue there, h
    # (纺织, 化纤) 10%, k (化工) nothing, u no tags. The store's 6 tagged firms carry 纺织 3 times,
    # 化纤 2, 化工 2, 棉纺 1, 传媒 1: rarity ln(6/3), ln(6/2), ln(6/2), ln 6, ln 6.
    share = "revenue_share"
    nodes = [R("r"), R("q"), S("a"), S("b"), E("r1", region="r", tags=["纺织", "化纤"]), E("p1", region="q", tags=["纺织", "棉纺"]),
             E("p2", region="q", tags=["化工"]), E("g", region="q", tags=["传媒"]), E("h", region="q", tags=["纺织", "化纤"]),
             E("k", region="q", tags=["化工"]), E("u", region="q")]
    rels = [rel("FEEDS", "a", "b"), *(rel("OPERATES_IN", f, "a") for f in ("r1", "p1", "p2")),
            rel("OPERATES_IN", "g", "b", capacity=0.64, unit=share), rel("OPERATES_IN", "h", "b", capacity=0.1, unit=share),
            rel("OPERATES_IN", "k", "b"), rel("OPERATES_IN", "u", "b")]
    write(sqlite_store, nodes, rels)
    report = gaps(sqlite_store, "r", min_firms=2, scope="whole", lang="en").to_dict()
    by_stage = {g["stage"]: g for g in report["gaps"]}
    # b: h = ⅔·ln 2 + ⅓·ln 3, k = ⅓·ln 3, g and u 0; T over h's. C: g 1, h 0.1/0.64.
    # score = C + 2·T: h first, then the game company, whose revenue share does not outrank
    # the textile firm's industry
    h = 2 / 3 * math.log(2) + 1 / 3 * math.log(3)
    t_k = (1 / 3 * math.log(3)) / h
    b = by_stage["b"]["candidates"]
    assert [(c["enterprise"], c["tag_affinity"], c["shared_tags"]) for c in b] == [
        ("h", 1.0, ["纺织", "化纤"]), ("g", 0.0, []), ("k", pytest.approx(t_k, abs=1e-6), ["化工"]), ("u", 0.0, [])]
    assert [c["score"] for c in b] == pytest.approx([0.1 / 0.64 + 2, 1.0, 2 * t_k, 0.0], abs=1e-6)
    assert any("纺织 (2 of them, rarity 0.69)" in reason and "T = 1.0000" in reason for reason in b[0]["reasons"])
    assert any("Has no tags" in reason for reason in b[3]["reasons"])
    # a is weak (r1 alone): its candidates p1 and p2 are firms of a themselves, each left out of the
    # enterprises it is compared with: p1 shares 纺织 with r1, one of the other 2 (½·ln 2); p2 nothing
    a = by_stage["a"]["candidates"]
    assert [(c["enterprise"], c["tag_affinity"], c["shared_tags"]) for c in a] == [("p1", 1.0, ["纺织"]), ("p2", 0.0, [])]
    assert any(f"Σ share × rarity = {math.log(2) / 2:.3f}" in reason for reason in a[0]["reasons"])
    assert report["candidate_signals"]["tags"] is True


def test_a_tag_every_enterprise_carries_gives_no_affinity(sqlite_store):
    # all 4 firms are tagged "illustrative" (more than half of them: rarity 0), 2 of 4 纺织 (ln 2);
    # only x shares 纺织 with r1, so y and z, sharing "illustrative" alone, get nothing
    nodes = [R("r"), R("q"), S("a"), S("b"), E("r1", region="r", tags=["illustrative", "纺织"]),
             E("x", region="q", tags=["illustrative", "纺织"]), E("y", region="q", tags=["illustrative"]),
             E("z", region="q", tags=["illustrative"])]
    rels = [rel("FEEDS", "a", "b"), rel("OPERATES_IN", "r1", "a"), *(rel("OPERATES_IN", f, "b") for f in "xyz")]
    write(sqlite_store, nodes, rels)
    b = next(g for g in gaps(sqlite_store, "r", min_firms=1, scope="whole").to_dict()["gaps"] if g["stage"] == "b")
    assert [(c["enterprise"], c["tag_affinity"], c["score"]) for c in b["candidates"]] == [("x", 1.0, 2.0), ("y", 0.0, 0.0), ("z", 0.0, 0.0)]
    assert any("illustrative (1 of them, rarity 0.00)" in reason for reason in b["candidates"][1]["reasons"])
