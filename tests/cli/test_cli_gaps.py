"""chainx gaps, compare, bottlenecks and whatif: output in each format, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.analysis.bottlenecks import bottlenecks, whatif
from graph.analysis.gaps import compare, gaps
from graph.store.sqlite import SqliteStore
from tests.graph.test_bottlenecks import supply_chain
from tests.graph.test_gaps import broken_chain

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "chainx.db"
    with SqliteStore(path, create=True) as store:
        broken_chain(store)
    return str(path)


@pytest.fixture
def supply_db(tmp_path):
    path = tmp_path / "supply.db"
    with SqliteStore(path, create=True) as store:
        supply_chain(store)
    return str(path)


def test_gaps_json_is_the_library_report(db):
    result = run("gaps", "--region", "r", "--store", db, "--format", "json")
    assert result.exit_code == 0, result.output
    with SqliteStore(db) as store:
        assert json.loads(result.output) == json.loads(json.dumps(gaps(store, "r").to_dict(), ensure_ascii=False))
    report = json.loads(result.output)
    assert set(report) >= {"region", "completeness", "stages", "gaps"}
    assert set(report["stages"][0]) >= {"stage", "name", "status", "local_enterprises"}
    assert set(report["gaps"][0]) >= {"stage", "name", "status", "kind", "score", "upstream_local", "downstream_local", "reasons", "candidates"}
    assert set(report["gaps"][0]["candidates"][0]) >= {"enterprise", "name", "region", "score", "reasons"}


def test_gaps_table_and_csv(db):
    table = run("gaps", "-r", "r", "--store", db, "--min-firms", "2", "--top-candidates", "1")
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0] == "R (r): 1 of 5 stages present, 1 weak, 3 missing; completeness 0.200 (score-weighted 0.150)"
    assert lines[1].split() == ["stage", "name", "status", "kind", "score", "upstream_local", "downstream_local", "density", "feasible", "candidates"]
    assert lines[3].split()[:4] == ["mid", "MID", "missing", "break"] and "Q2 (q2, 4.00)" in lines[3]
    rows = list(csv.DictReader(io.StringIO(run("gaps", "-r", "r", "--store", db, "-f", "csv").output)))
    assert [(r["stage"], r["kind"]) for r in rows] == [("mid", "break"), ("end", "extension"), ("up", "strengthen"), ("iso", "absent")]
    assert "score = (D + U + B) / 3" in rows[0]["reasons"]
    stages = list(csv.DictReader(io.StringIO(run("gaps", "-r", "r", "--stages", "--store", db, "-f", "csv").output)))
    assert {r["stage"]: r["status"] for r in stages} == {"up": "weak", "mid": "missing", "down": "present", "end": "missing", "iso": "missing"}


def test_compare_json_csv_and_table(db):
    result = run("compare", "r", "q", "--store", db, "-f", "json")
    with SqliteStore(db) as store:
        assert json.loads(result.output) == compare(store, ["r", "q"]).to_dict()
    rows = list(csv.DictReader(io.StringIO(run("compare", "r", "q", "--store", db, "-f", "csv").output)))
    assert list(rows[0]) == ["stage", "name", "tier", "r_status", "r_firms", "q_status", "q_firms"]
    mid = next(r for r in rows if r["stage"] == "mid")
    assert (mid["r_status"], mid["r_firms"], mid["q_status"], mid["q_firms"]) == ("missing", "0", "present", "2")
    table = run("compare", "r", "q", "--store", db).output
    assert "present (2)" in table and table.rstrip().endswith("completeness: r 0.200, q 0.400")


def test_bottlenecks_and_whatif(supply_db):
    result = run("bottlenecks", "--store", supply_db, "-f", "json")
    with SqliteStore(supply_db) as store:
        assert json.loads(result.output) == json.loads(json.dumps(bottlenecks(store).to_dict()))
    rows = list(csv.DictReader(io.StringIO(run("bottlenecks", "--store", supply_db, "-f", "csv").output)))
    assert [r["node"] for r in rows if r["kind"] == "critical_enterprise"] == ["C1", "M1", "F1"]
    table = run("bottlenecks", "--store", supply_db).output
    assert "critical_enterprise" in table and "It is the only supplier of CLOTH to G1, CLOTH to G2." in table
    effects = list(csv.DictReader(io.StringIO(run("whatif", "--remove", "F1,F2", "--store", supply_db, "-f", "csv").output)))
    assert [(e["effect"], e["id"]) for e in effects if e["effect"] == "stage_lost"] == [
        ("stage_lost", "fibre"), ("stage_lost", "yarn"), ("stage_lost", "cloth"), ("stage_lost", "garment")]
    repeated = run("whatif", "--remove", "F1", "--remove", "F2", "--store", supply_db, "-f", "json")
    with SqliteStore(supply_db) as store:
        assert json.loads(repeated.output) == whatif(store, ["F1", "F2"]).to_dict()


@pytest.mark.parametrize(
    "args, message",
    [
        (["gaps", "--region", "nowhere"], "Error: unknown region 'nowhere'"),
        (["gaps", "--region", "r", "--min-firms", "0"], "Error: min_firms: must be a whole number from 1 to 10000, not 0"),
        (["compare", "r", "r"], "Error: regions: each region once, please: r repeated"),
        (["compare", "r", "zz"], "Error: unknown region 'zz'"),
        (["bottlenecks", "--hhi-threshold", "2"], "Error: hhi_threshold: must be a number from 0 to 1, not 2.0"),
        (["bottlenecks", "--region", "zz"], "Error: unknown region 'zz'"),
        (["whatif", "--remove", "up,nope"], "Error: unknown id(s) to remove: nope"),
        (["whatif", "--remove", "q"], "Error: remove: only enterprises and stages can be removed: q is a Region"),
        (["whatif", "--remove", " , "], "Error: remove: give at least one enterprise or stage id"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_1(db, args, message):
    result = runner.invoke(app, args + ["--store", db])
    assert result.exit_code == 1
    assert result.output.strip() == message
    assert "Traceback" not in result.output


def test_a_missing_store_is_one_line(tmp_path):
    result = runner.invoke(app, ["gaps", "--region", "r", "--store", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and result.output.startswith("Error: no store at")


def test_the_scope_line_is_in_the_report_s_language(db):
    # r operates in up and down (down_dye rolls up into it); one FEEDS step from them reaches mid
    # and end, not iso: 4 of the 5 top-level stages
    zh = run("gaps", "--region", "r", "--scope", "region", "--scope-depth", "1", "--lang", "zh", "--store", db).output
    assert "\n范围：本地区企业所在的环节及其上下游 1 步（FEEDS）以内的环节，共 4 个（全链 5 个）（扩大范围：--scope-depth 2 或 --scope whole）。" in zh
    en = run("gaps", "--region", "r", "--scope", "region", "--scope-depth", "1", "--lang", "en", "--store", db).output
    assert "\nScope: the 2 stages R's enterprises operate in and the stages up to 1 FEEDS step upstream or downstream of them: 4 of 5 " \
           "(to widen: --scope-depth 2, or --scope whole)." in en
