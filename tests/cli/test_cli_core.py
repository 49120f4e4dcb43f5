"""The core commands: load, stats, search, export — output, errors and exit codes."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.store import reads
from graph.store.sqlite import SqliteStore
from tests.loaders.test_validate import good

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def dataset(tmp_path):
    return good(tmp_path / "d", stage_links="source,target,weight\npta,poly,2\npoly,spin,\n",
                enterprise_stages="enterprise,stage,capacity\ne1,pta,5\ne2,spin,\n")


@pytest.fixture
def db(tmp_path, dataset):
    path = tmp_path / "chainx.db"
    result = run("load", str(dataset), "--store", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_every_command_has_help_with_an_example():
    for command in app.registered_commands + [g for g in app.registered_groups]:
        name = command.name or command.callback.__name__
        result = run(name, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output, f"chainx {name} --help shows no example"


def test_load_reports_counts_and_a_second_load_changes_nothing(db, dataset):
    with SqliteStore(db) as store:
        version, snapshot = store.version(), reads.snapshot(store)
    result = run("load", str(dataset), "--store", str(db))
    assert result.exit_code == 0
    assert "Loaded 9 nodes and 10 relationships" in result.output and "(no changes)" in result.output
    with SqliteStore(db) as store:
        assert store.version() == version and reads.snapshot(store) == snapshot


def test_a_broken_dataset_is_reported_and_leaves_the_store_byte_identical(db, tmp_path):
    before = db.read_bytes()
    broken = good(tmp_path / "broken", enterprise_stages="enterprise,stage\ne1,nowhere\n")
    result = run("load", str(broken), "--store", str(db))
    assert result.exit_code == 1
    assert "enterprise_stages.csv:2: stage: unknown stage 'nowhere'" in result.output
    assert "Traceback" not in result.output
    assert db.read_bytes() == before


def test_replace_swaps_the_graph(db, tmp_path):
    other = good(tmp_path / "other", stages="id,name\nonly,唯一\n", regions=None, enterprises=None, parks=None)
    assert run("load", str(other), "--store", str(db), "--replace").exit_code == 0
    with SqliteStore(db) as store:
        assert [n.id for n in store.nodes()] == ["only"] and list(store.relationships()) == []


def test_stats_json_counts_every_label_and_type(db):
    result = run("stats", "--store", str(db), "--format", "json")
    stats = json.loads(result.output)
    assert stats["nodes"] == {"Stage": 4, "Enterprise": 2, "Institute": 0, "Park": 1, "Region": 2, "Chain": 0}
    assert stats["relationships"] == {"FEEDS": 2, "PART_OF": 2, "OPERATES_IN": 2, "SUPPLIES": 0, "LOCATED_IN": 4, "COLLABORATES_WITH": 0, "RESEARCHES": 0,
                                     "COOPERATES_WITH": 0, "COMPETES_WITH": 0, "INVESTS_IN": 0, "CONTROLS": 0, "JOINT_VENTURE": 0, "ACQUIRED": 0,
                                     "INCLUDES": 0}


def test_the_store_can_come_from_the_environment(db):
    result = runner.invoke(app, ["stats", "--format", "json"], env={"CHAINX_STORE": str(db)})
    assert json.loads(result.output)["total_nodes"] == 9


@pytest.mark.parametrize("text, expected", [
    ("恒力", ["e1"]),            # Chinese name
    ("pta", ["pta"]),           # id
    ("terephthalic", ["pta"]),  # English alias, case-insensitive
    ("SPINNING", ["spin", "vortex"]),  # the shorter name first
    ("集团", ["e1", "e2"]),
])
def test_search_by_chinese_or_english(db, text, expected):
    result = run("search", text, "--store", str(db), "--format", "json")
    assert [r["id"] for r in json.loads(result.output)["results"]] == expected


def test_search_by_kind(db):
    result = run("search", "s", "--kind", "Park", "--store", str(db), "--format", "json")
    assert json.loads(result.output)["results"] == []
    result = run("search", "x", "--kind", "Nope", "--store", str(db))
    assert result.exit_code == 1 and "unknown node kind 'Nope'" in result.output


def test_a_missing_store_is_one_clear_line(tmp_path):
    result = run("stats", "--store", str(tmp_path / "nope.db"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: no store at {tmp_path / 'nope.db'}: load a dataset first (chainx load PATH --store {tmp_path / 'nope.db'})"]


def test_a_file_that_is_not_a_store(tmp_path):
    path = tmp_path / "x.db"
    path.write_text("hello, this is not sqlite" * 100)
    result = run("stats", "--store", str(path))
    assert result.exit_code == 1 and "is not a chainx store" in result.output


def test_export_csv_round_trips_through_load(db, tmp_path):
    out = tmp_path / "exported"
    assert run("export", "--format", "csv", "-o", str(out), "--store", str(db)).exit_code == 0
    copy = tmp_path / "copy.db"
    assert run("load", str(out), "--store", str(copy)).exit_code == 0
    with SqliteStore(db) as a, SqliteStore(copy) as b:
        assert reads.snapshot(a) == reads.snapshot(b)


def test_export_csv_refuses_a_folder_that_holds_files_and_writes_nothing(db, tmp_path):
    out = tmp_path / "old-export"
    out.mkdir()
    (out / "ties.csv").write_text("enterprise,institute\nstale,row\n", encoding="utf-8")
    result = run("export", "--format", "csv", "-o", str(out), "--store", str(db))
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: output: folder {out} is not empty (it holds ties.csv); "
                                     "give a new or empty folder, so that nothing else loads back with the export")
    assert sorted(p.name for p in out.iterdir()) == ["ties.csv"]
    # an empty folder is fine
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("export", "--format", "csv", "-o", str(empty), "--store", str(db)).exit_code == 0


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_export_for_gephi(db, tmp_path, fmt, reader):
    out = tmp_path / f"g.{fmt}"
    assert run("export", "--format", fmt, "-o", str(out), "--store", str(db)).exit_code == 0
    graph = reader(out)
    assert graph.number_of_nodes() == 9 and graph.number_of_edges() == 10
    assert graph.nodes["e1"]["name"] == "恒力集团" and graph.nodes["p1"]["kind"] == "market" and graph.nodes["pta"]["aliases"] == "PTA;Purified Terephthalic Acid"


def test_a_reader_that_has_gone_away_gets_no_error_message(db):
    """chainx ... | head -1: the reader may close the pipe before chainx writes. A quiet exit
    with 141 (128 + SIGPIPE, as a shell shows a writer the pipe killed), no message, no traceback."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # gone before the first write, so the write always fails
    try:
        result = subprocess.run([sys.executable, "-m", "chainx", "stats", "--store", str(db)],
                                stdout=write_end, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, b"")
