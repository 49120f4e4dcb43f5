"""The ties report: counts, projections, communities, brokers and research gaps on hand-built graphs."""

from __future__ import annotations

import json
import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from networkx.algorithms import bipartite

from graph.analysis.centrality import centrality
from graph.analysis.ties import burt_constraint, enterprise_projection, institute_projection, ties_report
from graph.errors import NotFound
from graph.store.sqlite import SqliteStore

from .small_graphs import E, I, S, rel, tie, two_communities, write

GROUP_A = {"u1", "v1", "a1", "a2", "a3"}
GROUP_B = {"u2", "v2", "b1", "b2", "b3"}


def bridge_graph() -> nx.Graph:
    """The ties graph of two_communities(), built here independently of the store."""
    G = nx.Graph()
    G.add_edges_from((a, u) for a in ("a1", "a2", "a3") for u in ("u1", "v1"))
    G.add_edges_from((b, u) for b in ("b1", "b2", "b3") for u in ("u2", "v2"))
    G.add_edge("a3", "u2")
    return G


def test_tie_counts_and_kinds(sqlite_store):
    report = ties_report(two_communities(sqlite_store)).to_dict()
    institutes = {row["institute"]: row for row in report["institutes"]}
    # u1: a project tie with each of a1..a3, plus a1's joint lab
    assert institutes["u1"]["ties"] == 4 and institutes["u1"]["enterprises"] == 3
    assert institutes["u1"]["tie_kinds"] == {"joint_lab": 1, "project": 3}
    assert institutes["u2"]["tie_kinds"] == {"project": 3, "training": 1}
    assert institutes["u1"]["reasons"] == ["4 ties with 3 enterprises: joint_lab 1, project 3"]
    firms = {row["enterprise"]: row for row in report["enterprises"]}
    assert firms["a1"]["ties"] == 3 and firms["a1"]["institutes"] == 2
    assert firms["a3"]["partners"] == ["u1", "u2", "v1"]
    # most ties first; u1 and u2 have 4 each, u2 with more enterprises (4 against 3); then v1, v2
    assert [row["institute"] for row in report["institutes"]] == ["u2", "u1", "v1", "v2"]
    assert report["summary"] == {"enterprises": 6, "institutes": 4, "ties": 14, "enterprises_with_ties": 6,
                                 "institutes_with_ties": 4, "communities": 2}


def test_enterprise_and_institute_projections_weigh_shared_partners(sqlite_store):
    two_communities(sqlite_store)
    firms = enterprise_projection(sqlite_store)
    assert firms.edges["a1", "a2"]["weight"] == 2  # both work with u1 and v1
    assert firms.edges["a3", "b1"]["weight"] == 1  # through u2 only
    assert not firms.has_edge("a1", "b1")
    institutes = institute_projection(sqlite_store)
    assert institutes.edges["u1", "v1"]["weight"] == 3
    assert institutes.edges["u1", "u2"]["weight"] == 1  # a3
    assert not institutes.has_edge("v2", "u1")
    report = ties_report(sqlite_store).to_dict()["projections"]
    # pairs in group A share 2 institutes (3 pairs), group B likewise (3 pairs), then the bridge pairs
    top = report["enterprise"]["top_pairs"]
    assert [(p["a"], p["b"], p["shared"]) for p in top[:6]] == [
        ("a1", "a2", 2), ("a1", "a3", 2), ("a2", "a3", 2), ("b1", "b2", 2), ("b1", "b3", 2), ("b2", "b3", 2)]
    assert top[0]["via"] == ["u1", "v1"]
    # a3 meets b1, b2, b3 through u2: 6 + 3 pairs
    assert report["enterprise"]["edges"] == 9 and report["enterprise"]["linked"] == 6
    assert report["institute"]["edges"] == 4  # u1–v1, u2–v2, and u1–u2, v1–u2 through a3


def test_louvain_finds_the_two_groups_whatever_the_seed(sqlite_store):
    two_communities(sqlite_store)
    for seed in (0, 1, 7, 42):
        communities = ties_report(sqlite_store, seed=seed).to_dict()["communities"]
        assert [set(c["enterprises"]) | set(c["institutes"]) for c in communities] == [GROUP_A, GROUP_B]
    first = ties_report(sqlite_store).to_dict()["communities"][0]
    # Inside group A: 6 project links (a1–u1 counts once however many ties) ; the bridge leaves it
    assert first["internal_links"] == 6 and first["external_links"] == 1
    # u1 and v1 each have 3 links inside, the firms 2: the tie goes to the smaller id
    assert first["hub"] == "u1"
    assert first["reasons"][1] == "6 of 7 links of its members stay inside it"


def test_brokers_are_the_bridge_and_match_networkx(sqlite_store):
    report = ties_report(two_communities(sqlite_store)).to_dict()
    G = bridge_graph()
    betweenness = nx.betweenness_centrality(G)
    firms = [n for n in G if n[0] in "ab"]
    # constraint is taken among peers: firms linked by shared institutes, institutes by shared firms
    constraint = nx.constraint(bipartite.weighted_projected_graph(G, firms), weight="weight")
    constraint.update(nx.constraint(bipartite.weighted_projected_graph(G, [n for n in G if n not in firms]), weight="weight"))
    brokers = report["brokers"]
    # every path between the groups runs a3 — u2: they broker most
    assert {b["node"] for b in brokers[:2]} == {"a3", "u2"}
    for broker in brokers:
        assert broker["betweenness"] == pytest.approx(betweenness[broker["node"]], abs=1e-12)
        assert broker["constraint"] == pytest.approx(constraint[broker["node"]], abs=1e-12)
    # By hand, in the enterprise projection: a3 is linked to a1, a2 (2 shared institutes each) and
    # b1, b2, b3 (1 each, via u2): total 7. a2 spends half its strength on a1; b2 spends 2/5 on b1.
    # c = Σ_j (p_3j + Σ_q p_3q p_qj)²:  for a1: 2/7 + 2/7·1/2 = 3/7;  for b1: 1/7 + 2·(1/7·2/5) = 9/35
    by_hand = 2 * (3 / 7) ** 2 + 3 * (9 / 35) ** 2
    a3 = next(b for b in brokers if b["node"] == "a3")
    assert a3["constraint"] == pytest.approx(by_hand, abs=1e-12)
    # the same betweenness numbers as the centrality report on the ties projection
    ranked = {r["node"]: r["value"] for r in centrality(sqlite_store, "betweenness", "ties", top=1000).to_dict()["rows"]}
    assert all(b["betweenness"] == ranked[b["node"]] for b in brokers)
    assert report["brokers_method"]["betweenness"] == "exact"
    # the bridging firm is the least constrained firm
    assert min((b for b in brokers if b["kind"] == "Enterprise"), key=lambda b: b["constraint"])["node"] == "a3"


def random_weighted_graphs():
    return st.integers(min_value=1, max_value=9).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from([1, 2, 3])), max_size=25),
        )
    )


@settings(max_examples=60, deadline=None)
@given(random_weighted_graphs(), st.booleans())
def test_burt_constraint_equals_networkx(graph, weighted):
    n, edges = graph
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from((a, b, w) for a, b, w in edges if a != b)
    weight = "weight" if weighted else None
    ours, theirs = burt_constraint(G, weight=weight), nx.constraint(G, weight=weight)
    assert set(ours) == set(theirs)
    for node, value in theirs.items():
        assert (math.isnan(value) and math.isnan(ours[node])) or abs(ours[node] - value) <= 1e-12


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=20))
def test_projections_equal_networkx_weighted_projected_graph(firms, institutes, pairs):
    store = SqliteStore(":memory:", create=True)
    ties = sorted({(f % firms, u % institutes) for f, u in pairs})
    write(store, [E(f"f{i}") for i in range(firms)] + [I(f"u{i}") for i in range(institutes)],
          [tie(f"f{f}", f"u{u}") for f, u in ties])
    B = nx.Graph()
    B.add_nodes_from([f"f{i}" for i in range(firms)] + [f"u{i}" for i in range(institutes)])
    B.add_edges_from((f"f{f}", f"u{u}") for f, u in ties)
    for ours, side in ((enterprise_projection(store), [f"f{i}" for i in range(firms)]),
                       (institute_projection(store), [f"u{i}" for i in range(institutes)])):
        theirs = bipartite.weighted_projected_graph(B, side)
        assert set(ours) == set(theirs)
        assert {frozenset(e): w for *e, w in ours.edges(data="weight")} == {frozenset(e): w for *e, w in theirs.edges(data="weight")}
    store.close()


def test_research_gaps_are_stages_whose_firms_have_no_tie(sqlite_store):
    write(
        sqlite_store,
        [S("spin", "纺丝"), S("weave", "织造"), S("jet", "喷水织造", parent="weave"), S("dye", "印染"), S("empty"),
         E("tied"), E("c1"), E("c2"), E("c3"), I("dhu")],
        [rel("PART_OF", "jet", "weave"), tie("tied", "dhu", "project"),
         rel("OPERATES_IN", "tied", "spin"), rel("OPERATES_IN", "c1", "spin"),  # spin: one tied firm → no gap
         rel("OPERATES_IN", "c2", "weave"), rel("OPERATES_IN", "c3", "jet"),  # weave (with jet): 2 untied
         rel("OPERATES_IN", "c1", "dye"), rel("RESEARCHES", "dhu", "dye")],  # dye: untied, but researched
    )
    gaps = ties_report(sqlite_store).to_dict()["research_gaps"]
    assert [(g["stage"], g["enterprises"], g["researched_by"]) for g in gaps] == [("weave", 2, []), ("dye", 1, ["dhu"])]
    assert gaps[0]["reasons"] == ["none of its 2 enterprises has a tie with any institute",
                                  "no institute in the data researches it either"]
    assert gaps[1]["reasons"] == ["its only enterprise has no tie with any institute",
                                  "1 institute researches it: dhu (candidates for matchmaking)"]


def test_focus_on_one_institute(sqlite_store):
    two_communities(sqlite_store)
    report = ties_report(sqlite_store, institute="u2").to_dict()
    assert [row["institute"] for row in report["institutes"]] == ["u2"]
    assert {row["enterprise"] for row in report["enterprises"]} == {"a3", "b1", "b2", "b3"}
    assert [set(c["institutes"]) for c in report["communities"]] == [{"u2", "v2"}]
    shared = {row["institute"]: row["shared_enterprises"] for row in report["focus"]["shared_institutes"]}
    assert shared == {"v2": 3, "u1": 1, "v1": 1}
    assert report["focus"]["enterprises"] == 4


def test_unknown_institute_is_not_found(sqlite_store):
    two_communities(sqlite_store)
    with pytest.raises(NotFound, match="no institute with id 'nowhere'"):
        ties_report(sqlite_store, institute="nowhere").to_dict()
    with pytest.raises(NotFound):
        ties_report(sqlite_store, institute="a1").to_dict()  # an enterprise, not an institute


def test_the_report_is_deterministic_and_works_on_an_empty_store(sqlite_store):
    empty = ties_report(sqlite_store).to_dict()
    assert empty["communities"] == [] and empty["brokers"] == [] and empty["institutes"] == []
    two_communities(sqlite_store)
    assert ties_report(sqlite_store, seed=3).to_dict() == ties_report(sqlite_store, seed=3).to_dict()


# -- both stores ----------------------------------------------------------------------------


def test_the_ties_report_is_the_same_on_both_stores(store):
    from graph.store.sqlite import SqliteStore

    two_communities(store)
    reference = two_communities(SqliteStore(":memory:", create=True))
    got, expected = ties_report(store, institute="u2").to_dict(), ties_report(reference, institute="u2").to_dict()
    assert got == expected
    assert [set(c["enterprises"]) | set(c["institutes"]) for c in ties_report(store).to_dict()["communities"]] == [GROUP_A, GROUP_B]
    reference.close()


def test_the_ties_report_on_the_textile_dataset(sqlite_store):
    from loaders.pipeline import load_path
    from tests.conftest import TEXTILE

    load_path(sqlite_store, TEXTILE)
    report = ties_report(sqlite_store).to_dict()
    ties = sum(1 for _ in sqlite_store.relationships(["COLLABORATES_WITH"]))
    assert report["summary"]["ties"] == ties == sum(row["ties"] for row in report["institutes"])
    members = [m for c in report["communities"] for m in c["enterprises"] + c["institutes"]]
    assert len(members) == len(set(members))  # a partition
    assert report["brokers"] and report["brokers_method"]["betweenness"] == "exact"
    firms_with_ties = {row["enterprise"] for row in report["enterprises"]}
    operating = {(r.source, r.target) for r in sqlite_store.relationships(["OPERATES_IN"])}
    for gap in report["research_gaps"]:
        assert not any(firm in firms_with_ties for firm, stage in operating if stage == gap["stage"])


def test_a_broker_without_peers_of_its_kind_has_no_constraint(sqlite_store):
    # e is the only firm of u1 and of u2: it lies between them (betweenness 1) but shares no
    # institute with another firm, so its constraint among firms is undefined
    write(sqlite_store, [E("e"), I("u1"), I("u2")], [tie("e", "u1"), tie("e", "u2")])
    (broker,) = ties_report(sqlite_store).to_dict()["brokers"]
    assert broker["node"] == "e" and broker["betweenness"] == 1.0 and broker["constraint"] is None
    assert len(broker["reasons"]) == 1
    json.dumps(ties_report(sqlite_store).to_dict(), allow_nan=False)  # no NaN reaches JSON
