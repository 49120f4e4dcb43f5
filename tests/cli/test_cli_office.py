"""Reports for the office: every report command writes an .xlsx workbook that openpyxl reads back
with the right cell types, CSV files carry a BOM for Excel (standard output does not), and a
name that looks like a formula stays text."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from chainx.cli import app
from graph.model import GraphData, Node, Relationship
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.conftest import TEXTILE

runner = CliRunner()

# every report command, with what it needs, and the sheets its workbook holds after 说明 About
COMMANDS = {
    "stats": (["stats"], ["counts"]),
    "gaps": (["gaps", "--region", "tianmen"], ["gaps", "candidates", "stages"]),
    "compare": (["compare", "shengze,tianmen"], ["stages"]),
    "bottlenecks": (["bottlenecks"], ["items"]),
    "whatif": (["whatif", "--remove", "e_wj_lianjie_zipper"], ["effects"]),
    "centrality": (["centrality", "--metric", "pagerank", "--graph", "supply"], ["rows"]),
    "ties": (["ties"], ["summary", "institutes", "enterprises", "projections", "communities", "brokers", "research_gaps", "firm_ties"]),
    "ties of an institute": (["ties", "--institute", "i_donghua_university"],
                             ["summary", "institutes", "enterprises", "projections", "communities", "brokers", "research_gaps", "firm_ties",
                              "focus"]),
    "path": (["path", "e_hengli_group", "e_tm_hanpai_womenswear"], ["steps"]),
    "neighbors": (["neighbors", "i_donghua_university", "--depth", "2"], ["nodes"]),
}


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("office") / "textile.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, TEXTILE)
    return str(path)


def _json(db: str, args: list[str]) -> dict:
    result = run(*args, "--format", "json", "--store", db)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _sheet(book, name: str) -> tuple[list[str], list[tuple]]:
    rows = list(book[name].iter_rows())
    return [c.value for c in rows[0]], rows[1:]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_report_writes_a_workbook_with_an_about_sheet_and_a_sheet_per_table(db, tmp_path, name):
    args, sheets = COMMANDS[name]
    out = tmp_path / "report.xlsx"
    result = run(*args, "-o", str(out), "--store", db)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Wrote {out} (xlsx)."
    book = load_workbook(out)
    assert book.sheetnames == ["说明 About", *sheets]
    about = {row[0].value: row[1].value for row in list(book["说明 About"].iter_rows())[1:]}
    with SqliteStore(db) as store:
        assert about["data version"] == store.version()
    assert about["report"] == f"chainx {args[0]}"
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"  # the header row stays in view
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_gaps_workbook_cells_are_numbers_and_text_as_the_json_says(db, tmp_path):
    out = tmp_path / "gaps.xlsx"
    assert run("gaps", "--region", "tianmen", "--top-candidates", "3", "--output", str(out), "--store", db).exit_code == 0
    report = _json(db, ["gaps", "--region", "tianmen", "--top-candidates", "3"])
    book = load_workbook(out)

    headers, rows = _sheet(book, "gaps")
    assert headers == ["stage", "name", "status", "kind", "score", "upstream_local", "downstream_local", "density", "feasible", "reasons"]
    assert len(rows) == len(report["gaps"])
    for row, gap in zip(rows, report["gaps"]):
        cells = dict(zip(headers, row))
        assert (cells["stage"].value, cells["stage"].data_type) == (gap["stage"], "s")
        assert (cells["score"].value, cells["score"].data_type) == (gap["score"], "n")
        assert (cells["upstream_local"].value, cells["upstream_local"].data_type) == (gap["upstream_local"], "n")
        assert cells["reasons"].data_type == "s" and gap["reasons"][0] in cells["reasons"].value

    # one row per candidate: (gap, rank) in the report's order, each signal a number of its own
    headers, rows = _sheet(book, "candidates")
    assert headers == ["gap", "gap_name", "rank", "enterprise", "name", "region", "score", "supply_ties", "shared_institutes", "size",
                       "capacity_share", "tag_affinity", "chain_stages", "chain_fit", "reasons"]
    signals = ("supply_ties", "shared_institutes", "size", "capacity_share", "tag_affinity", "chain_stages", "chain_fit")
    expected = [(g["stage"], rank, c["enterprise"], c["score"], *(c[name] for name in signals))
                for g in report["gaps"] for rank, c in enumerate(g["candidates"], start=1)]
    got = [tuple(dict(zip(headers, (c.value for c in row)))[h] for h in ("gap", "rank", "enterprise", "score", *signals))
           for row in rows]
    assert got == expected and len(expected) > len(report["gaps"])
    assert all(row[2].data_type == "n" and row[6].data_type == "n" and row[3].data_type == "s" for row in rows)

    # Chinese text counts double in the column widths: the name column is wider than its longest name in characters
    longest = max(len(c["name"]) for g in report["gaps"] for c in g["candidates"])
    assert book["candidates"].column_dimensions["E"].width >= 2 * longest


def test_compare_and_centrality_workbooks_hold_numbers_as_numbers(db, tmp_path):
    out = tmp_path / "compare.xlsx"
    assert run("compare", "shengze,tianmen", "-o", str(out), "--store", db).exit_code == 0
    report = _json(db, ["compare", "shengze", "tianmen"])
    headers, rows = _sheet(load_workbook(out), "stages")
    assert headers == ["stage", "name", "tier", "shengze_status", "shengze_firms", "tianmen_status", "tianmen_firms"]
    assert [(r[0].value, r[4].value, r[6].value) for r in rows] == [
        (s["stage"], s["shengze"]["local_enterprises"], s["tianmen"]["local_enterprises"]) for s in report["stages"]]
    assert {r[4].data_type for r in rows} == {"n"} and {r[3].data_type for r in rows} == {"s"}

    out = tmp_path / "centrality.xlsx"
    assert run("centrality", "--metric", "pagerank", "--graph", "supply", "-o", str(out), "--store", db).exit_code == 0
    report = _json(db, ["centrality", "--metric", "pagerank", "--graph", "supply"])
    _, rows = _sheet(load_workbook(out), "rows")
    # Excel keeps 15 significant digits; openpyxl writes the last one or so rounded
    assert [(r[0].value, r[1].value, r[4].value) for r in rows] == [(r["rank"], r["node"], pytest.approx(r["value"], rel=1e-14)) for r in report["rows"]]
    assert all(r[0].data_type == "n" and r[4].data_type == "n" and r[1].data_type == "s" for r in rows)


@pytest.fixture
def hostile_db(tmp_path):
    """A graph whose names look like formulas and whose ids look like numbers (written past the
    loader, which refuses formula-looking cells itself)."""
    path = tmp_path / "hostile.db"
    with SqliteStore(path, create=True) as store:
        store.write(GraphData(
            nodes=[Node("Region", "r", "R"), Node("Region", "q", "Q"),
                   Node("Stage", "up", "UP"), Node("Stage", "mid", "=HYPERLINK(\"http://evil\",\"x\")"), Node("Stage", "down", "DOWN"),
                   Node("Enterprise", "000581", "@SUM(A1:A9)", {"region": "r"}), Node("Enterprise", "e2", "+cmd|' /C calc'!A0", {"region": "r"}),
                   Node("Enterprise", "e3", "-2+3", {"region": "q"})],
            relationships=[Relationship("FEEDS", "up", "mid"), Relationship("FEEDS", "mid", "down"),
                           Relationship("OPERATES_IN", "000581", "up"), Relationship("OPERATES_IN", "e2", "down"),
                           Relationship("OPERATES_IN", "e3", "mid")]))
    return str(path)


def test_a_formula_looking_name_is_text_in_the_workbook_and_a_numeric_id_keeps_its_zeros(hostile_db, tmp_path):
    out = tmp_path / "gaps.xlsx"
    result = run("gaps", "--region", "r", "--min-firms", "1", "-o", str(out), "--store", hostile_db)
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    texts = {c.value for c in cells if c.data_type == "s"}
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in texts and "'-2+3" in texts  # the gap's name, its candidate's name
    assert not any(t[:1] in "=+@" for t in texts) and not any(t.startswith("-") and t != "-" for t in texts)
    out = tmp_path / "neighbors.xlsx"
    assert run("neighbors", "000581", "-o", str(out), "--store", hostile_db).exit_code == 0
    headers, rows = _sheet(load_workbook(out), "nodes")
    assert [(r[1].value, r[1].data_type) for r in rows] == [("up", "s")]
    about = {row[0].value: row[1] for row in list(load_workbook(out)["说明 About"].iter_rows())[1:]}
    assert (about["node"].value, about["node"].data_type) == ("000581", "s")  # an id, not the number 581


def test_a_csv_file_has_a_bom_for_excel_and_standard_output_has_none(db, tmp_path):
    out = tmp_path / "gaps.csv"
    result = run("gaps", "--region", "tianmen", "--candidates", "-o", str(out), "--store", db)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    printed = run("gaps", "--region", "tianmen", "--candidates", "--format", "csv", "--store", db)
    assert not printed.stdout_bytes.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8") == printed.stdout  # the same table, BOM aside
    rows = list(csv.DictReader(io.StringIO(printed.stdout)))
    assert rows[0]["gap"] == "printing_and_dyeing" and rows[0]["rank"] == "1" and "印染" == rows[0]["gap_name"]


def test_json_to_a_file_is_the_printed_json(db, tmp_path):
    out = tmp_path / "stats.json"
    assert run("stats", "-o", str(out), "--store", db).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == _json(db, ["stats"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["gaps", "--region", "tianmen", "--format", "xlsx"], "Error: output: --format xlsx writes a workbook: give the file with --output FILE.xlsx"),
        (["stats", "-o", "counts.txt"], "Error: output: write a .xlsx, .csv or .json file, or say which with --format, not 'counts.txt'"),
        (["ties", "-o", "ties.csv"], "Error: section: --format csv shows one table: choose --section (summary, institutes, enterprises, projections, "
                                     "communities, brokers, research_gaps, firm_ties)"),
        (["gaps", "--region", "tianmen", "--stages", "--candidates"], "Error: candidates: list the stages (--stages) or the candidates (--candidates), not both"),
        (["search", "涤纶", "--format", "xlsx"], "Error: format: search prints table, json or csv; the reports (gaps, compare, ...) write xlsx"),
    ],
)
def test_a_wrong_output_is_one_line_naming_the_parameter(db, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(*args, "--store", db)
    assert result.exit_code == 1 and result.output.strip() == message
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_is_one_line(db, tmp_path):
    out = tmp_path / "missing-folder" / "gaps.xlsx"
    result = run("gaps", "--region", "tianmen", "-o", str(out), "--store", db)
    assert result.exit_code == 1 and result.output.startswith(f"Error: cannot write {out}: ")
