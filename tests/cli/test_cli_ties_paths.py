"""chainx ties, chainx path and chainx neighbors: output formats, exit codes and messages."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.store.sqlite import SqliteStore
from tests.graph.small_graphs import E, I, tie, two_communities, write

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "chainx.db"
    with SqliteStore(path, create=True) as store:
        two_communities(store)
        write(store, [E("hengli", "恒力集团"), E("shenghong", "盛虹集团"), I("dhu", "东华大学"), E("loner", "孤岛公司")],
              [tie("hengli", "dhu", "project"), tie("shenghong", "dhu", "joint_lab")])
    return str(path)


# -- ties ---------------------------------------------------------------------------------


def test_ties_table_shows_every_section(db):
    result = run("ties", "--store", db)
    assert result.exit_code == 0, result.output
    for section in ("summary", "institutes", "enterprises", "projections", "communities", "brokers", "research_gaps"):
        assert f"== {section} ==" in result.output
    assert "== focus ==" not in result.output


def test_ties_json_section_is_the_library_section(db):
    from graph.analysis.ties import ties_report

    result = run("ties", "--section", "communities", "-f", "json", "--store", db)
    with SqliteStore(db) as store:
        expected = ties_report(store).to_dict()["communities"]
    assert json.loads(result.output) == expected
    # two groups of five and the three-member DHU group
    assert [c["size"] for c in expected] == [5, 5, 3]


def test_ties_csv_of_institutes(db):
    result = run("ties", "--section", "institutes", "-f", "csv", "--store", db)
    rows = list(csv.DictReader(io.StringIO(result.output)))
    u1 = next(r for r in rows if r["institute"] == "u1")
    assert u1["ties"] == "4" and u1["enterprises"] == "3" and u1["tie_kinds"] == "joint_lab 1; project 3"


def test_ties_focus_on_an_institute(db):
    result = run("ties", "--institute", "u2", "--section", "focus", "-f", "csv", "--store", db)
    assert result.exit_code == 0
    assert result.output.splitlines() == ["institute,name,shared_enterprises", "v2,V2,3", "u1,U1,1", "v1,V1,1"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["-f", "csv"], "Error: section: --format csv shows one table: choose --section (summary, institutes, enterprises, projections, communities, brokers, research_gaps, firm_ties)"),
        (["--section", "gossip"], "Error: section: unknown section 'gossip'; expected one of summary, institutes, enterprises, projections, communities, brokers, research_gaps, firm_ties"),
        (["--section", "focus"], "Error: section: unknown section 'focus'; expected one of summary, institutes, enterprises, projections, communities, brokers, research_gaps, firm_ties"),
        (["--institute", "hengli"], "Error: no institute with id 'hengli'"),
    ],
)
def test_ties_errors(db, args, message):
    result = run("ties", *args, "--store", db)
    assert result.exit_code == 1 and result.stderr.strip() == message


# -- path -----------------------------------------------------------------------------------


def test_path_text(db):
    result = run("path", "hengli", "shenghong", "--store", db)
    assert result.exit_code == 0
    assert result.output == "恒力集团 —COLLABORATES_WITH→ 东华大学 ←COLLABORATES_WITH— 盛虹集团\n2 steps\n"


def test_path_json_and_csv(db):
    data = json.loads(run("path", "hengli", "shenghong", "-f", "json", "--store", db).output)
    assert data["length"] == 2 and [n["id"] for n in data["nodes"]] == ["hengli", "dhu", "shenghong"]
    lines = run("path", "hengli", "shenghong", "-f", "csv", "--store", db).output.splitlines()
    assert lines == ["step,source,type,target,forward", "1,hengli,COLLABORATES_WITH,dhu,True", "2,shenghong,COLLABORATES_WITH,dhu,False"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["hengli", "loner"], "Error: no path between 恒力集团 (hengli) and 孤岛公司 (loner): they are not connected"),
        (["hengli", "ghost"], "Error: no node with id or name 'ghost'"),
    ],
)
def test_path_errors(db, args, message):
    result = run("path", *args, "--store", db)
    assert result.exit_code == 1 and result.stderr.strip() == message


# -- neighbors ------------------------------------------------------------------------------


def test_neighbors_table(db):
    result = run("neighbors", "dhu", "--store", db)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["distance", "id", "kind", "name"]
    assert [line.split()[1] for line in lines[2:4]] == ["hengli", "shenghong"]
    assert lines[-1] == "2 of 2 nodes within 1 of 东华大学 (dhu)"


def test_neighbors_depth_and_kind(db):
    data = json.loads(run("neighbors", "b1", "--depth", "2", "--kind", "Enterprise", "-f", "json", "--store", db).output)
    # b1's institutes u2, v2 reach b2, b3 and (through u2) a3
    assert [(n["id"], n["distance"]) for n in data["nodes"]] == [("a3", 2), ("b2", 2), ("b3", 2)]


@pytest.mark.parametrize(
    "args, message",
    [
        (["dhu", "--depth", "4"], "Error: depth: must be a whole number from 1 to 3, not 4"),
        (["dhu", "--kind", "Planet"], "Error: kind: unknown node kind 'Planet'; expected one of Stage, Enterprise, Institute, Park, Region, Chain"),
        (["ghost"], "Error: no node with id or name 'ghost'"),
    ],
)
def test_neighbors_errors(db, args, message):
    result = run("neighbors", *args, "--store", db)
    assert result.exit_code == 1 and result.stderr.strip() == message
