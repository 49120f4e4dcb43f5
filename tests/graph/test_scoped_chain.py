"""A region scope's chain built from store queries around the region's stages
(graph.analysis.stages.scoped_chain) is the whole chain cut to the scope, exactly: the same
stages, names, tiers, links in the same order, roll-up and members, on random graphs with FEEDS
cycles, two-way pairs, several parents, broad categories and PART_OF links between regions."""

from __future__ import annotations

from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.analysis import stages as stages_module
from graph.analysis.stages import build_hierarchy, build_stage_chain, scoped_chain
from graph.model import GraphData, Node, Relationship
from graph.scope import neighbourhood
from graph.store.sqlite import SqliteStore

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
        tops = {whole.top[s] for s in seeds if s in whole.top}
        expected = whole.restricted(neighbourhood(whole, tops, depth))
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
