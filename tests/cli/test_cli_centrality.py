"""chainx centrality: output in every format, write-back, and the one-line errors with exit 1."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.store import reads
from graph.store.sqlite import SqliteStore
from tests.graph.small_graphs import E, rel, star, write

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "chainx.db"
    with SqliteStore(path, create=True) as store:
        star(store)  # institute hub tied to e1..e4
        write(store, [E("s1"), E("s2")], [rel("SUPPLIES", "s1", "s2")])
    return str(path)


def test_table_shows_ranked_rows_and_the_note(db):
    result = run("centrality", "--metric", "betweenness", "--graph", "ties", "--top", "2", "--store", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["rank", "node", "name", "kind", "value"]
    # the hub carries the 6 leaf pairs; 7 nodes in the projection (s1, s2 untied): 6 / (6·5/2) = 0.4
    assert lines[2].split() == ["1", "hub", "枢纽大学", "Institute", "0.4"]
    assert lines[3].split() == ["2", "e1", "E1", "Enterprise", "0"]
    assert lines[4].startswith("2 of 7 nodes; exact betweenness on the whole 'ties' projection")


def test_json_is_the_library_report(db):
    result = run("centrality", "-m", "degree", "-g", "ties", "--kind", "Enterprise", "--format", "json", "--store", db)
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["metric"] == "degree" and report["kind"] == "Enterprise" and report["exact"] is True
    # 7 nodes in the ties projection (hub, e1..e4, s1, s2): a leaf has degree 1/6
    assert [(r["node"], r["value"]) for r in report["rows"]] == [("e1", 1 / 6), ("e2", 1 / 6), ("e3", 1 / 6), ("e4", 1 / 6), ("s1", 0.0), ("s2", 0.0)]


def test_csv_has_full_precision(db):
    result = run("centrality", "-m", "closeness", "-g", "ties", "-f", "csv", "--store", db)
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0]["node"] == "hub" and float(rows[0]["value"]) == pytest.approx(4 / 6)  # 4 reachable of 6, all at 1
    leaf = next(r for r in rows if r["node"] == "e1")
    # closeness with Wasserman–Faust scaling: (4/6) · 4/(1 + 2 + 2 + 2)
    assert float(leaf["value"]) == pytest.approx((4 / 6) * 4 / 7, abs=1e-15)


def test_sampled_betweenness_says_so(db):
    result = run("centrality", "-m", "betweenness", "--k", "3", "--seed", "5", "--store", db)
    assert result.exit_code == 0
    assert "sampled: betweenness from 3 of 7 source nodes (seed 5)" in result.output


def test_write_back_stores_properties_and_says_so_on_stderr(db):
    result = run("centrality", "-m", "out_degree", "-g", "supply", "--write-back", "-f", "json", "--store", db)
    assert result.exit_code == 0
    assert "Stored centrality_out_degree_supply on 6 nodes." in result.stderr
    json.loads(result.stdout)  # stdout stays valid JSON
    with SqliteStore(db) as store:
        assert reads.get_node(store, "s1").props["centrality_out_degree_supply"] == 0.2
        assert reads.get_node(store, "s2").props["centrality_out_degree_supply"] == 0.0


@pytest.mark.parametrize(
    "args, message",
    [
        (["-m", "fame"], "Error: metric: unknown metric 'fame'; expected one of degree, in_degree, out_degree, betweenness, closeness, harmonic, pagerank, eigenvector, core"),
        (["-g", "friends"], "Error: graph: unknown graph 'friends'; expected one of supply, chain, ties, all"),
        (["--top", "0"], "Error: top: must be a whole number from 1 to 1000, not 0"),
        (["-m", "in_degree", "-g", "ties"], "Error: metric: in_degree needs a directed graph; 'ties' is undirected (directed: supply, chain)"),
        (["--kind", "Planet"], "Error: kind: unknown node kind 'Planet'; expected one of Stage, Enterprise, Institute, Park, Region, Chain"),
        (["--region", "mars"], "Error: unknown region 'mars'"),
        (["-m", "degree", "--k", "3"], "Error: k: only betweenness can be sampled; drop k for other metrics"),
        (["--engine", "gds"], "Error: engine: gds computes inside a Neo4j server with Graph Data Science; this store is not Neo4j (use engine chainx)"),
        (["--engine", "spark"], "Error: engine: must be one of auto, chainx, gds, not 'spark'"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(db, args, message):
    result = run("centrality", *args, "--store", db)
    assert result.exit_code == 1
    assert result.stderr.strip() == message
    assert "Traceback" not in result.output


def test_a_missing_store_is_one_line(tmp_path):
    result = run("centrality", "--store", str(tmp_path / "none.db"))
    assert result.exit_code == 1 and result.stderr.startswith("Error: no store at")


def test_help_has_an_example():
    for command in ("centrality", "ties", "path", "neighbors"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example: chainx " + command in result.output
