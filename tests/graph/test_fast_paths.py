"""The fast national reads give the answers of the whole-graph ones they replace.

- a chain path searched ring by ring from both ends through store queries
  (graph/analysis/paths.py ``_chain_path``) is the path :func:`_smallest_shortest_path` finds
  on the whole ``chain`` projection, in every walk (down, up, either way);
- a name found by the store (``queries(store).named``: SQLite's folded ``names`` column) is the
  set of nodes the reference query (every node's names folded in Python) finds;
- a store made before the ``names`` column gets it on open, filled from its nodes.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.analysis.paths import _chain_path, _smallest_shortest_path
from graph.model import GraphData, Node, Relationship
from graph.names import resolve
from graph.projection import build_projection
from graph.store.base import fold
from graph.store.queries import Queries, queries
from graph.store.sqlite import SqliteStore

STAGES = [f"s{i}" for i in range(9)]


@st.composite
def random_chains(draw):
    """A small FEEDS graph (cycles, self-loops and two-way pairs allowed) with a firm or two
    OPERATES_IN some stages, which a chain path must never walk through."""
    n = draw(st.integers(2, len(STAGES)))
    stages = STAGES[:n]
    edges = draw(st.sets(st.tuples(st.sampled_from(stages), st.sampled_from(stages)), max_size=3 * n))
    firms = draw(st.sets(st.sampled_from(stages), max_size=3))
    nodes = [Node("Stage", s, f"阶段{s}") for s in stages] + [Node("Enterprise", f"e{s}", f"企业{s}") for s in firms]
    rels = [Relationship("FEEDS", a, b) for a, b in sorted(edges)] + [Relationship("OPERATES_IN", f"e{s}", s) for s in sorted(firms)]
    return GraphData(nodes=nodes, relationships=rels), stages


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_chains(), st.data())
def test_the_two_ended_ring_search_finds_the_whole_projection_s_path(chain_data, data):
    graph, stages = chain_data
    store = SqliteStore(":memory:", create=True)
    store.write(graph)
    G = build_projection(store, "chain")
    source, target = data.draw(st.sampled_from(stages)), data.draw(st.sampled_from(stages))
    for upstream, directed in ((False, True), (True, True), (False, False)):
        walked = G.reverse(copy=False) if upstream else G
        if not directed:
            walked = G.to_undirected(as_view=True)
        expected = _smallest_shortest_path(walked, source, target)
        assert _chain_path(store, source, target, upstream=upstream, directed=directed) == expected, (upstream, directed)
    store.close()


NAMED = [
    Node("Stage", "p:PTA", "精对苯二甲酸", {"aliases": ["PTA", "ｐｔａ粉"]}),
    Node("Stage", "p:pta2", "ＰＴＡ", {}),
    Node("Region", "tianmen", "天门市", {"name_en": "Tianmen"}),
    Node("Stage", "p:Tianmen", "天门  纺织", {"aliases": "天门;Textile"}),
    Node("Enterprise", "e1", "Ｔｉａｎｍｅｎ Co", {"region": "tianmen"}),
]
TEXTS = ["PTA", "ｐｔａ", "pta粉", "精对苯二甲酸", "tianmen", "TIANMEN", "天门", "天门 纺织", "天门纺织", "textile", "p:pta",
         "tianmen co", "", "  ", "nothing"]


@pytest.mark.parametrize("text", TEXTS)
def test_a_store_finds_by_name_what_folding_every_node_finds(loaded_names, text):
    fast = queries(loaded_names)
    reference = Queries(loaded_names)
    for labels in (None, ["Stage"], ["Region", "Enterprise"]):
        assert [n.id for n in fast.named(fold(text), labels)] == [n.id for n in reference.named(fold(text), labels)]


def test_the_reference_finds_by_hand_worked_names(loaded_names):
    reference = Queries(loaded_names)
    # ＰＴＡ folds to pta: the id-less name of p:pta2 and the alias of p:PTA
    assert [n.id for n in reference.named("pta")] == ["p:PTA", "p:pta2"]
    assert [n.id for n in reference.named("tianmen")] == ["tianmen"]  # its id and English name; p:Tianmen's id is p:tianmen
    assert [n.id for n in reference.named("p:tianmen")] == ["p:Tianmen"]
    assert [n.id for n in reference.named("textile")] == ["p:Tianmen"]  # aliases given as one ;-separated text
    assert [n.id for n in reference.named("天门 纺织")] == ["p:Tianmen"]
    assert reference.named("") == []


@pytest.fixture
def loaded_names(store):
    store.write(GraphData(nodes=NAMED))
    return store


def test_a_store_made_before_the_names_column_gets_it_on_open(tmp_path):
    path = tmp_path / "old.db"
    with SqliteStore(path, create=True) as store:
        store.write(GraphData(nodes=NAMED))
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE nodes DROP COLUMN names")
    db.commit()
    db.close()
    with SqliteStore(path) as store:
        assert resolve(store, "ＴＩＡＮＭＥＮ", ["Region"]) == "tianmen"
        assert [n.id for n in queries(store).named("pta")] == ["p:PTA", "p:pta2"]


def test_set_properties_keeps_the_names_found(tmp_path):
    with SqliteStore(tmp_path / "s.db", create=True) as store:
        store.write(GraphData(nodes=NAMED))
        store.set_properties({"tianmen": {"aliases": ["竟陵"]}})
        assert [n.id for n in queries(store).named("竟陵")] == ["tianmen"] == [n.id for n in Queries(store).named("竟陵")]


def _chain_from_projection(store, rollup):
    """The rolled-up chain as it was built before the lean read: from the whole chain projection
    (every stage's properties, every FEEDS relationship read whole)."""
    import networkx as nx

    from graph.analysis.stages import ROLLUP_MAX_BELOW, _below_counts, _tops

    chain = build_projection(store, "chain")
    parents: dict[str, list[str]] = {}
    for rel in store.relationships(["PART_OF"]):
        if rel.source in chain and rel.target in chain and rel.source != rel.target:
            parents.setdefault(rel.source, []).append(rel.target)
    for stage in parents:
        parents[stage] = sorted(set(parents[stage]))
    below = _below_counts(parents, cap=ROLLUP_MAX_BELOW)
    broad = {s for s, n in below.items() if n > ROLLUP_MAX_BELOW} if rollup == "auto" else set()
    top = {stage: stage for stage in chain} if rollup == "none" else _tops(chain, parents, below, broad)
    graph = nx.DiGraph()
    for stage in sorted(chain):
        if top[stage] == stage:
            attrs = chain.nodes[stage]
            graph.add_node(stage, name=attrs.get("name", stage), tier=attrs.get("tier"))
    members: dict[str, list[str]] = {}
    for stage in sorted(chain):
        members.setdefault(top[stage], []).append(stage)
    for source, target in chain.edges:
        if top[source] != top[target]:
            graph.add_edge(top[source], top[target])
    return graph, top, members, parents


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_chains(), st.data())
def test_the_lean_stage_chain_is_the_one_built_from_the_projection(chain_data, data):
    from graph.analysis.stages import build_stage_chain

    graph, stages = chain_data
    tiers = data.draw(st.lists(st.sampled_from([None, "upstream", "midstream", "support"]), min_size=len(stages), max_size=len(stages)))
    part_of = data.draw(st.sets(st.tuples(st.sampled_from(stages), st.sampled_from(stages)), max_size=len(stages)))
    nodes = [Node(n.label, n.id, n.name, {"tier": tier} if tier else {}) if n.label == "Stage" else n
             for n, tier in zip(graph.nodes, tiers + [None] * len(graph.nodes))]
    rels = graph.relationships + [Relationship("PART_OF", a, b) for a, b in sorted(part_of)]
    store = SqliteStore(":memory:", create=True)
    store.write(GraphData(nodes=nodes, relationships=rels))
    for rollup in ("auto", "top", "none"):
        built = build_stage_chain(store, rollup)
        g, top, members, parents = _chain_from_projection(store, rollup)
        assert list(built.graph.nodes(data=True)) == list(g.nodes(data=True))
        assert list(built.graph.edges) == list(g.edges)  # the same order too: ties are broken by it
        assert (built.top, built.members, built.parents) == (top, members, parents)
    assert queries(store).stage_rows() == Queries(store).stage_rows()
    store.close()
