"""Firm ties and control groups: a small graph whose counts are worked out by hand below, on both
stores, and the CLI and the API giving the same section."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph.analysis.groups import control_groups
from graph.analysis.ties import firm_ties, ties_report
from graph.errors import InvalidParameter
from graph.model import GraphData, Node, Relationship
from graph.store.sqlite import SqliteStore

# p controls s1 and s2, q controls t; x belongs to no group
FIRMS = ("p", "s1", "s2", "q", "t", "x")
TIES = [
    ("CONTROLS", "p", "s1"), ("CONTROLS", "p", "s2"), ("CONTROLS", "q", "t"),
    ("COOPERATES_WITH", "s1", "x"), ("COOPERATES_WITH", "s2", "x"), ("COOPERATES_WITH", "s1", "s2"),
    ("INVESTS_IN", "p", "x"), ("INVESTS_IN", "t", "s1"),
    ("COMPETES_WITH", "t", "x"),
    ("ACQUIRED", "q", "x"),
]
GRAPH = GraphData(
    nodes=[Node("Region", "cn", "中国")] + [Node("Enterprise", f, f"企业{f}", {"region": "cn"}) for f in FIRMS],
    relationships=[Relationship(t, a, b) for t, a, b in TIES] + [Relationship("LOCATED_IN", f, "cn") for f in FIRMS],
)


@pytest.fixture
def filled(store):
    store.write(GRAPH)
    return store


def rows(section):
    return [(r.enterprise, r.ties, r.firms, r.tie_kinds) for r in section.rows]


def test_per_enterprise_each_tie_counts_at_both_ends(filled):
    section = firm_ties(filled)
    assert rows(section) == [
        ("x", 5, 5, {"ACQUIRED←": 1, "COMPETES_WITH": 1, "COOPERATES_WITH": 2, "INVESTS_IN←": 1}),
        ("s1", 4, 4, {"CONTROLS←": 1, "COOPERATES_WITH": 2, "INVESTS_IN←": 1}),
        ("p", 3, 3, {"CONTROLS": 2, "INVESTS_IN": 1}),
        ("s2", 3, 3, {"CONTROLS←": 1, "COOPERATES_WITH": 2}),
        ("t", 3, 3, {"COMPETES_WITH": 1, "CONTROLS←": 1, "INVESTS_IN": 1}),
        ("q", 2, 2, {"ACQUIRED": 1, "CONTROLS": 1}),
    ]
    assert section.counts == {"COOPERATES_WITH": 3, "COMPETES_WITH": 1, "INVESTS_IN": 2, "CONTROLS": 3, "JOINT_VENTURE": 0, "ACQUIRED": 1}
    assert (section.inside_groups, section.group_count, section.groups) == (0, 2, False)


def test_groups_roll_a_parent_and_its_subsidiaries_up(filled):
    assert control_groups(filled) == {"p": "p", "q": "q", "s1": "p", "s2": "p", "t": "q"}
    section = firm_ties(filled, groups=True)
    # inside a group: the three CONTROLS and s1–s2's cooperation
    assert (section.inside_groups, section.counts["CONTROLS"], section.counts["COOPERATES_WITH"]) == (4, 0, 2)
    assert rows(section) == [
        ("x", 5, 2, {"ACQUIRED←": 1, "COMPETES_WITH": 1, "COOPERATES_WITH": 2, "INVESTS_IN←": 1}),
        ("p", 4, 2, {"COOPERATES_WITH": 2, "INVESTS_IN": 1, "INVESTS_IN←": 1}),
        ("q", 3, 2, {"ACQUIRED": 1, "COMPETES_WITH": 1, "INVESTS_IN": 1}),
    ]
    assert [r.members for r in section.rows] == [["x"], ["p", "s1", "s2"], ["q", "t"]]


def test_tie_types_choose_what_is_counted(filled):
    section = firm_ties(filled, tie_types=["controls", "INVESTS_IN"])
    assert section.tie_types == ["INVESTS_IN", "CONTROLS"]
    assert [(r.enterprise, r.ties) for r in section.rows] == [("p", 3), ("s1", 2), ("t", 2), ("q", 1), ("s2", 1), ("x", 1)]
    with pytest.raises(InvalidParameter, match="tie_types.*FRIENDS"):
        firm_ties(filled, tie_types=["FRIENDS"])


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("firms") / "firms.db"
    with SqliteStore(path, create=True) as store:
        store.write(GRAPH)
    return path


def test_cli_and_api_give_the_same_firm_ties(db):
    result = CliRunner().invoke(cli, ["ties", "--section", "firm_ties", "--groups", "--tie-types", "COOPERATES_WITH,INVESTS_IN",
                                      "--store", str(db), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with TestClient(create_app(Settings(store=str(db)))) as client:
        body = client.get("/ties", params={"groups": True, "tie_types": "COOPERATES_WITH,INVESTS_IN"}).json()
        bad = client.get("/ties", params={"tie_types": "FRIENDS"})
    assert json.loads(result.stdout) == body["firm_ties"]
    assert body["firm_ties"]["counts"] == {"COOPERATES_WITH": 2, "INVESTS_IN": 2}
    with SqliteStore(db) as store:
        assert body["firm_ties"] == json.loads(ties_report(store, groups=True, tie_types=["COOPERATES_WITH", "INVESTS_IN"]).firm_ties.model_dump_json())
    assert bad.status_code == 422 and "FRIENDS" in bad.text
    refused = CliRunner().invoke(cli, ["ties", "--tie-types", "FRIENDS", "--store", str(db)])
    assert refused.exit_code == 1 and "tie_types" in refused.stderr and "Traceback" not in refused.output


def test_the_ego_view_follows_only_the_tie_types_asked_for(filled):
    from graph.views_data import ego_view

    def around(**kwargs):
        view = ego_view(filled, "x", **kwargs)
        return sorted(n["id"] for n in view["nodes"]), sorted(r["type"] for r in view["relationships"])

    # x: cooperates with s1 and s2, invested in by p, competes with t, acquired by q, located in cn
    nodes, types = around()
    assert nodes == ["cn", "p", "q", "s1", "s2", "t", "x"]
    assert "CONTROLS" in types and "INVESTS_IN" in types  # among the ring too: p controls s1, s2
    nodes, types = around(tie_types=["COOPERATES_WITH"])
    assert nodes == ["cn", "s1", "s2", "x"]
    assert sorted(set(types)) == ["COOPERATES_WITH", "LOCATED_IN"] and types.count("COOPERATES_WITH") == 3


def test_the_ego_view_takes_tie_types_at_both_edges(db, tmp_path):
    out = tmp_path / "ego.html"
    result = CliRunner().invoke(cli, ["view", "ego", "x", "-o", str(out), "--tie-types", "ACQUIRED", "--store", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with TestClient(create_app(Settings(store=str(db)))) as client:
        body = client.get("/views/ego/enterprise/x", params={"tie_types": "ACQUIRED", "format": "json"}).json()
    assert sorted(n["id"] for n in body["nodes"]) == ["cn", "q", "x"]


# A town whose chain a → b → c lacks b; outside it, the group p (with s1, s2) and x make b.
# No supplies, institutes or sizes: the score is F alone, stages of the chain besides b over the
# most any candidate has (x: a and c, 2): x 2/2 = 1, s1 (also a) 1/2, p and s2 0.
GAP_GRAPH = GraphData(
    nodes=[Node("Region", "town", "镇"), Node("Region", "away", "外地")]
    + [Node("Stage", s, f"环节{s}") for s in ("a", "b", "c")]
    + [Node("Enterprise", "t1", "本地企业", {"region": "town"})]
    + [Node("Enterprise", f, f"企业{f}", {"region": "away"}) for f in ("p", "s1", "s2", "x")],
    relationships=[Relationship("FEEDS", "a", "b"), Relationship("FEEDS", "b", "c"), Relationship("LOCATED_IN", "t1", "town")]
    + [Relationship("LOCATED_IN", f, "away") for f in ("p", "s1", "s2", "x")]
    + [Relationship("OPERATES_IN", e, s) for e, s in (("t1", "a"), ("t1", "c"), ("p", "b"), ("s1", "b"), ("s1", "a"), ("s2", "b"),
                                                      ("x", "b"), ("x", "a"), ("x", "c"))]
    + [Relationship("CONTROLS", "p", "s1"), Relationship("CONTROLS", "p", "s2")],
)


def test_gap_candidates_roll_a_control_group_up_into_its_best_member(store):
    from graph.analysis.gaps import gaps

    store.write(GAP_GRAPH)

    def candidates(**kwargs):
        gap = next(g for g in gaps(store, "town", **kwargs).gaps if g.stage == "b")
        return [(c.enterprise, c.score, c.group, c.group_members) for c in gap.candidates]

    assert candidates() == [("x", 1.0, None, []), ("s1", 0.5, None, []), ("p", 0.0, None, []), ("s2", 0.0, None, [])]
    assert candidates(groups=True) == [("x", 1.0, None, []), ("s1", 0.5, "p", ["p", "s1", "s2"])]
    assert candidates(groups=True, top_candidates=1) == [("x", 1.0, None, [])]


def test_gaps_groups_at_both_edges(tmp_path):
    path = tmp_path / "gap.db"
    with SqliteStore(path, create=True) as store:
        store.write(GAP_GRAPH)
    result = CliRunner().invoke(cli, ["gaps", "--region", "town", "--groups", "--store", str(path), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with TestClient(create_app(Settings(store=str(path)))) as client:
        body = client.get("/regions/town/gaps", params={"groups": True}).json()
    assert json.loads(result.stdout)["gaps"] == body["gaps"]
    b = next(g for g in body["gaps"] if g["stage"] == "b")
    assert [c["enterprise"] for c in b["candidates"]] == ["x", "s1"] and b["candidates"][1]["group"] == "p"
