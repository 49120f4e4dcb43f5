"""A region scope's chain built from store queries around the region's stages
(graph.analysis.stages.scoped_chain) is the whole chain cut to the scope, exactly: the same
stages, names, tiers, links in the same order, roll-up and members, on random graphs with FEEDS
cycles, two-way pairs, several parents, broad categories and PART_OF links between regions.

The scope is walked over the stages' own FEEDS links and rolled up afterwards: a link into one
sub-stage of a category goes on only through that sub-stage's links (issue 13). The reference
here works it out with NetworkX on the store's FEEDS between stages."""

from __future__ import annotations

from unittest import mock

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.analysis import stages as stages_module
from graph.analysis.stages import build_hierarchy, build_stage_chain, scoped_chain
from graph.model import GraphData, Node, Relationship
from graph.store.sqlite import SqliteStore
from tests.scopes import region_scope

TIERS = [None, "upstream", "midstream", "downstream", "support"]


@st.composite
def national(draw):
    """A small random store: stages with tiers, FEEDS (cycles and pairs allowed, weights drawn),
    PART_OF between stages (several parents, no cycle, as the loader refuses one) and between
    regions, and firms of two regions operating in stages."""
    n = draw(st.integers(1, 14))
    ids = [f"s{i:02d}" for i in range(n)]
    nodes = [Node("Stage", s, f"环节{s}", {"tier": draw(st.sampled_from(TIERS))}) for s in ids]
    nodes += [Node("Region", "town", "镇"), Node("Region", "city", "市")]
    pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids))
    rels = [Relationship("PART_OF", "town", "city")]
    for a, b in draw(st.lists(pairs, max_size=3 * n)):
        if a != b:
            weight = draw(st.sampled_from([None, 1.0, 2.0, 0.5]))
            rels.append(Relationship("FEEDS", a, b, "", {} if weight is None else {"weight": weight}))
    for a, b in draw(st.lists(pairs, max_size=2 * n)):
        if a > b:  # the child's id is larger than its parent's: no cycle
            rels.append(Relationship("PART_OF", a, b))
    for i, region in enumerate(draw(st.lists(st.sampled_from(["town", "city"]), max_size=5))):
        nodes.append(Node("Enterprise", f"e{i}", f"企业{i}", {"region": region}))
        for stage in draw(st.lists(st.sampled_from(ids), max_size=3)):
            rels.append(Relationship("OPERATES_IN", f"e{i}", stage))
    return GraphData(nodes=nodes, relationships=list({r.identity: r for r in rels}.values()))


def shape(chain):
    g = chain.graph
    return (list(g.nodes(data=True)), list(g.edges), [(n, list(g.pred[n])) for n in g],
            chain.top, chain.members, chain.parents, chain.rollup)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(national(), st.sets(st.sampled_from([f"s{i:02d}" for i in range(16)] + ["e0", "town"]), max_size=4),
       st.integers(1, 3), st.sampled_from(["auto", "top", "none"]), st.sampled_from(["keep", "break"]), st.sampled_from([2, 50]))
def test_the_scoped_chain_is_the_whole_chain_cut_to_the_scope(data, seeds, depth, rollup, pairs, cap):
    store = SqliteStore(":memory:", create=True)
    store.write(data)
    # a small cap makes categories broad on a small graph (auto then differs from top)
    with mock.patch.object(stages_module, "ROLLUP_MAX_BELOW", cap):
        whole = build_stage_chain(store, rollup, pairs)
        expected = whole.restricted(region_scope(store, whole, seeds, depth))
        got = scoped_chain(store, seeds, depth, rollup, pairs)
        assert build_hierarchy(store, rollup).total == len(whole.graph)
    assert shape(got) == shape(expected)


def test_the_hierarchy_counts_top_level_stages_on_a_tiny_chain():
    # jet rolls into weave; weave is top-level: 2 of 3 stages
    store = SqliteStore(":memory:", create=True)
    store.write(GraphData(nodes=[Node("Stage", "spin", "纺丝"), Node("Stage", "weave", "织造"), Node("Stage", "jet", "喷水织造")],
                          relationships=[Relationship("PART_OF", "jet", "weave"), Relationship("FEEDS", "spin", "jet")]))
    hierarchy = build_hierarchy(store)
    assert (hierarchy.total, hierarchy.top_of("jet"), hierarchy.members("weave")) == (2, "weave", ["jet", "weave"])
    chain = scoped_chain(store, ["spin"], 1)
    assert (chain.stages, list(chain.graph.edges)) == (["spin", "weave"], [("spin", "weave")])


def formic_acid_store():
    """chainkg's fault, in small: the category 甲酸 holds PTA and a retinoid (芳香维甲酸), which
    share nothing but the category. 依曲替酯 → 芳香维甲酸; 原油 → PTA → 聚酯 → 涤纶; and 乙二醇 → 聚酯."""
    stages = {"formic": "甲酸", "pta": "精对苯二甲酸", "retinoid": "芳香维甲酸", "etretinate": "依曲替酯",
              "crude": "原油", "meg": "乙二醇", "polyester": "聚酯", "fibre": "涤纶"}
    feeds = [("etretinate", "retinoid"), ("crude", "pta"), ("pta", "polyester"), ("meg", "polyester"), ("polyester", "fibre")]
    store = SqliteStore(":memory:", create=True)
    store.write(GraphData(
        nodes=[*(Node("Stage", s, name) for s, name in stages.items()), Node("Region", "town", "盛泽镇"),
               Node("Enterprise", "weaver", "织造厂", {"region": "town"})],
        relationships=[Relationship("PART_OF", "pta", "formic"), Relationship("PART_OF", "retinoid", "formic"),
                       *(Relationship("FEEDS", a, b) for a, b in feeds)]))
    return store


def test_a_link_into_one_sub_stage_goes_on_only_through_that_sub_stage_s_own_links():
    store = formic_acid_store()
    whole = build_stage_chain(store)
    assert whole.top["pta"] == whole.top["retinoid"] == "formic"  # rolled up: one node
    # the old walk, over the rolled-up chain: 依曲替酯 → 甲酸 → 聚酯 is two steps, so a firm in
    # 聚酯 had 依曲替酯 "2 steps above" it
    rolled = nx.single_source_shortest_path_length(whole.graph.reverse(copy=False), "polyester", cutoff=2)
    assert "etretinate" in rolled
    # over the stages' own links, 聚酯 ← PTA ← 原油 and 聚酯 ← 乙二醇 (up), 聚酯 → 涤纶 (down); PTA
    # rolls up into 甲酸, which is in the scope; the retinoid's links are not walked
    assert scoped_chain(store, ["polyester"], 2).stages == ["crude", "fibre", "formic", "meg", "polyester"]
    assert scoped_chain(store, ["polyester"], 5).stages == ["crude", "fibre", "formic", "meg", "polyester"]


def test_a_firm_in_the_category_itself_starts_from_all_its_stages_one_in_a_sub_stage_from_that_one():
    store = formic_acid_store()
    # 甲酸 itself: the retinoid's links (依曲替酯, one up) and PTA's (原油 up; 聚酯, 涤纶 down)
    assert scoped_chain(store, ["formic"], 2).stages == ["crude", "etretinate", "fibre", "formic", "polyester"]
    # the retinoid alone: 依曲替酯 and its own category, nothing of PTA's
    assert scoped_chain(store, ["retinoid"], 2).stages == ["etretinate", "formic"]
    assert scoped_chain(store, ["pta"], 1).stages == ["crude", "formic", "polyester"]
