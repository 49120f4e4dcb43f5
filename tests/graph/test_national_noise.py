"""On a national-noise chain (benchmarks/national.py: a textile chain planted in a 50,000-product
cyclic web, several towns' firms on top) the answers are the planted chain's, worked out here by
hand from the picture in that module's docstring:

    能源 → 原油 → 精对苯二甲酸, 乙二醇 → 聚酯 → 涤纶 → 纱线 → 面料 → 印染 → 服装 → 电商
    原棉 → 纱线          染料 (support) → 印染          化学品 → 印染          印染 → 家纺

盛泽镇 has 聚酯 2, 涤纶长丝 (under 涤纶) 3, 面料 4, 服装 1: ten firms. Its region scope at depth 2
holds the four stages it operates in, and two FEEDS steps up and down of them: the 14 stages
above less 能源 (three steps above 聚酯), and none of the noise except 化学品 (two above 服装).
"""

from __future__ import annotations

import pytest

from benchmarks.national import generate_national
from graph.analysis.bottlenecks import bottlenecks
from graph.analysis.gaps import gaps
from graph.analysis.paths import explained_path
from graph.analysis.stages import cycles, stage_chain
from graph.names import resolve
from graph.store.sqlite import SqliteStore
from loaders import load_dataset

NOISE_STAGES = 50_000


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    planted = generate_national(tmp_path_factory.mktemp("national"), stages=NOISE_STAGES, seed=11)
    store = SqliteStore(tmp_path_factory.mktemp("db") / "national.db", create=True)
    store.write(load_dataset(planted.folder))
    yield store, planted
    store.close()


@pytest.fixture(scope="module")
def shengze(national):
    store, _ = national
    return gaps(store, "shengze", top_candidates=5)


def test_the_generated_web_is_national_sized_and_its_only_cycles_are_the_planted_ones(national):
    store, planted = national
    chain = stage_chain(store)
    assert len(chain.graph) > NOISE_STAGES  # categories absorb nothing: each holds more than a roll-up takes
    found = cycles(chain)
    assert [len(c) for c in found] == planted.cycles == [1_000, 7] + [2] * 50
    assert sorted(planted.pair) in [sorted(c) for c in found]  # 铁矿⇄钢铁


def test_a_town_on_a_national_web_reads_its_own_neighbourhood_of_the_chain(shengze):
    scope = shengze.chain_scope
    assert (scope.kind, scope.stages, scope.depth) == ("region", 14, 2) and scope.of > NOISE_STAGES
    assert {s.name for s in shengze.stages} == {
        "原油", "精对苯二甲酸", "乙二醇", "原棉", "聚酯", "涤纶", "纱线", "面料", "印染", "染料", "服装", "家纺", "电商", "化学品"}
    assert (shengze.counts.present, shengze.counts.weak, shengze.counts.missing) == (3, 1, 10)
    assert shengze.local_enterprises == 10


def test_the_gaps_are_the_planted_ones_with_their_sides_counted_by_hand(shengze):
    by_name = {g.name: g for g in shengze.gaps}
    # name: (kind, upstream_local, downstream_local), counted on the picture above
    expected = {
        "纱线": ("break", 5, 5),          # 聚酯 2 + 涤纶 3 above; 面料 4 + 服装 1 below
        "印染": ("break", 9, 1),          # 聚酯, 涤纶, 面料 above; 服装 below
        "原油": ("extension", 0, 10), "精对苯二甲酸": ("extension", 0, 10), "乙二醇": ("extension", 0, 10),
        "原棉": ("extension", 0, 5),      # 纱线's downstream: 面料 + 服装
        "染料": ("extension", 0, 1), "化学品": ("extension", 0, 1),
        "家纺": ("extension", 9, 0),      # below 印染, not below 服装
        "电商": ("extension", 10, 0),
        "服装": ("strengthen", 9, 0),     # one firm: weak
    }
    assert {name: (g.kind, g.upstream_local, g.downstream_local) for name, g in by_name.items()} == expected
    assert all(g.cycle == 0 for g in shengze.gaps) and shengze.cycles.count == 0  # the noise's cycles are outside the scope


def test_every_gap_ahead_of_the_only_noise_gap_is_a_textile_stage(shengze):
    names = [g.name for g in shengze.gaps]
    noise = [i for i, g in enumerate(shengze.gaps) if not g.stage.startswith("tx_")]
    assert [names[i] for i in noise] == ["化学品"]
    # 化学品 ties 染料 (one firm below, none above, no path through it) and sorts last with it
    assert set(names[-2:]) == {"化学品", "染料"}


def test_candidates_are_the_firms_of_the_stage_elsewhere_and_the_tied_spinner_comes_first(shengze):
    by_name = {g.name: g for g in shengze.gaps}
    yarn = [c.enterprise for c in by_name["纱线"].candidates]
    assert set(yarn) == {"tianmen_tx_yarn_1", "tianmen_tx_yarn_2", "tianmen_tx_yarn_3"}
    assert yarn[0] == "tianmen_tx_yarn_1"  # it already supplies a Shengze weaver
    assert {c.enterprise for c in by_name["印染"].candidates} == {f"keqiao_tx_dyeing_{k}" for k in range(1, 6)}
    assert {c.enterprise for c in by_name["精对苯二甲酸"].candidates} == {f"cn_tx_pta_{k}" for k in range(1, 6)}
    assert by_name["原油"].candidates == []


def test_the_chokepoints_are_the_planted_chains(national):
    store, _ = national
    report = bottlenecks(store, "shengze")
    chokepoints = {i.name: i.score for i in report.items if i.kind == "chokepoint"}
    # sources 原油, 原棉, 化学品 (染料 is support); end products the downstream tier 服装, 家纺, 电商.
    # 印染 dominates all three; 服装 dominates 电商; 面料 splits the 14 stages 7 | 6 and 纱线
    # 7 | 5 | 1 (6 of 13 cut off from the largest part either way); scores have 6 decimals
    assert chokepoints["印染"] == 1.0
    assert chokepoints["服装"] == pytest.approx(1 / 3, abs=1e-6)
    assert chokepoints["面料"] == pytest.approx(6 / 13, abs=1e-6) and chokepoints["纱线"] == pytest.approx(6 / 13, abs=1e-6)
    assert all(name in {"印染", "服装", "面料", "纱线", "涤纶", "聚酯", "精对苯二甲酸", "乙二醇", "原油", "电商"} for name in chokepoints)


def test_names_resolve_on_the_national_web(national):
    store, _ = national
    assert resolve(store, "原油") == "tx_crude"
    assert resolve(store, "钢铁") == national[1].pair[1]
    assert resolve(store, "产品００００１") == "n00001"  # full-width digits, folded


def test_a_named_path_along_the_chain_follows_feeds_downstream(national):
    store, _ = national
    path = explained_path(store, "原油", "服装")  # two stages: the chain, by default
    names = [n.name for n in path.nodes]
    assert (path.via, path.length) == ("chain", 7) and all(step.type == "FEEDS" and step.forward for step in path.steps)
    # two shortest routes (through PTA or MEG); the one whose ids sort first is given
    assert names == ["原油", "乙二醇", "聚酯", "涤纶", "纱线", "面料", "印染", "服装"]


def test_paths_between_firms_never_pass_through_the_placeholder_country(national):
    store, _ = national
    path = explained_path(store, "shengze_tx_polyester_1", "nat00000")
    assert all(n.kind != "Region" for n in path.nodes[1:-1])


def test_the_ring_search_path_is_the_whole_chain_projection_s_path(national):
    # the fast chain path (two-ended, through store queries) against the whole projection's, on
    # the planted pair, across the noise's two-way pair, into the cycle and up the chain
    from graph.analysis.paths import _chain_path, _smallest_shortest_path
    from graph.projection import build_projection

    store, planted = national
    G = build_projection(store, "chain")
    pairs = [("tx_crude", "tx_garments"), (planted.pair[0], planted.pair[1]), (planted.pair[1], planted.pair[0]),
             ("tx_garments", "tx_crude"), ("n00001", "tx_garments"), ("n_energy", "tx_home")]
    for source, target in pairs:
        for upstream in (False, True):
            walked = G.reverse(copy=False) if upstream else G
            assert _chain_path(store, source, target, upstream=upstream) == _smallest_shortest_path(walked, source, target)
