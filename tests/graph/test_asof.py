"""Time in the contract: since/until checked on load, reports as of a day (CLI --as-of, API as_of=),
and chainx diff / GET /diff, on the generated temporal dataset of tests/temporal.py whose answers
are worked out by hand there (EXPECTED)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph.analysis.diff import diff
from graph.analysis.gaps import gaps
from graph.errors import DatasetError, InvalidParameter
from graph.store.asof import as_of
from graph.store.reads import stats
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests import temporal


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return temporal.write(tmp_path_factory.mktemp("temporal") / "ds")


@pytest.fixture(scope="module")
def db(dataset, tmp_path_factory):
    path = tmp_path_factory.mktemp("temporal_db") / "t.db"
    with SqliteStore(str(path), create=True) as store:
        load_path(store, dataset)
    return path


@pytest.fixture(scope="module")
def store(db):
    with SqliteStore(str(db)) as store:
        yield store


@pytest.mark.parametrize("day", temporal.DATES)
def test_as_of_counts_and_gaps(store, day):
    expected = temporal.EXPECTED[day]
    counts = stats(as_of(store, day))
    assert counts.nodes["Enterprise"] == expected["enterprises"]
    assert counts.total_nodes == expected["nodes"]
    assert counts.relationships["SUPPLIES"] == expected["supplies"]
    assert counts.total_relationships == expected["relationships"]
    assert {g.stage for g in gaps(as_of(store, day), "town", top_candidates=0).gaps} == expected["gaps"]


def test_without_a_day_the_store_is_itself_and_everything_counts(store):
    assert as_of(store, None) is store
    assert stats(store).nodes["Enterprise"] == len(temporal.ENTERPRISES)


def test_diff_by_construction(store):
    first, _, last = temporal.DATES
    report = diff(store, first, last, "town")
    # from the dataset's lines: e_old leaves; e_s2a, e_s2b, e_s3a, e_s3b come
    assert {(i.change, i.id) for i in report.nodes} == {("disappeared", "e_old")} | {
        ("appeared", e) for e in ("e_s2a", "e_s2b", "e_s3a", "e_s3b")}
    # each newcomer brings its LOCATED_IN and OPERATES_IN, plus e_s1 → e_s2a; e_old takes its two
    # and its supply, and e_s1 → e_s4a ended on its own
    assert report.counts.relationships_appeared == 4 * 2 + 1
    assert {(i.kind, i.id) for i in report.relationships if i.change == "disappeared"} == {
        ("LOCATED_IN", "e_old->town"), ("OPERATES_IN", "e_old->s1"), ("SUPPLIES", "e_old->e_s4a"), ("SUPPLIES", "e_s1->e_s4a")}
    assert {(i.change, i.id) for i in report.gaps} == {("closed", "s2"), ("closed", "s3"), ("opened", "s1")}
    moved = {m.node: m for m in report.ranks}
    assert moved["e_old"].rank_to is None and moved["e_old"].moved < 0
    # the same day twice: nothing changed
    same = diff(store, last, last, "town")
    assert same.nodes == same.relationships == same.gaps == same.bottlenecks == same.ranks == []


def test_bad_days_name_the_parameter(store):
    with pytest.raises(InvalidParameter, match="as_of"):
        as_of(store, "2024-02-30")
    with pytest.raises(InvalidParameter, match="from"):
        diff(store, "yesterday", "2024-01-01")


def test_a_bad_date_in_a_file_names_file_line_and_column(dataset, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in dataset.iterdir():
        (bad / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    lines = (bad / "enterprises.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("2022-12-31", "2022/12/31")
    (bad / "enterprises.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = SqliteStore(":memory:", create=True)
    with pytest.raises(DatasetError) as error:
        load_path(store, bad)
    text = str(error.value)
    assert "enterprises.csv" in text and "3" in text and "until" in text and "not a date" in text
    assert stats(store).total_nodes == 0


def test_cli_as_of_and_diff(db):
    runner = CliRunner()
    day = temporal.DATES[0]
    out = runner.invoke(cli, ["--as-of", day, "stats", "--store", str(db), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["total_nodes"] == temporal.EXPECTED[day]["nodes"]
    out = runner.invoke(cli, ["diff", "--from", temporal.DATES[0], "--to", temporal.DATES[2], "--region", "town", "--store", str(db), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["counts"]["gaps_closed"] == 2
    bad = runner.invoke(cli, ["--as-of", "2021-13-01", "stats", "--store", str(db)])
    assert bad.exit_code == 1 and "as_of" in bad.output and "Traceback" not in bad.output


def test_api_as_of_and_diff(db):
    client = TestClient(create_app(Settings(store=str(db))))
    day = temporal.DATES[1]
    body = client.get("/stats", params={"as_of": day}).json()
    assert body["total_nodes"] == temporal.EXPECTED[day]["nodes"]
    assert client.get("/stats").json()["total_nodes"] == 4 + 2 + len(temporal.ENTERPRISES)
    gaps_then = client.get("/regions/town/gaps", params={"as_of": day, "top_candidates": 0}).json()
    assert {g["stage"] for g in gaps_then["gaps"]} == temporal.EXPECTED[day]["gaps"]
    report = client.get("/diff", params={"from": temporal.DATES[0], "to": temporal.DATES[2], "region": "town"})
    assert report.status_code == 200, report.text
    assert report.json()["counts"]["nodes_appeared"] == 4
    assert client.get("/stats", params={"as_of": "soon"}).status_code == 422
    assert client.get("/diff", params={"from": "2021-06-30"}).status_code == 422


def test_snapshot_view_two_days_side_by_side(store, db):
    from graph.views_data import snapshot_view
    from viz.pages import render

    first, _, last = temporal.DATES
    payload = snapshot_view(store, "town", first, last)
    # each panel is that day's chain map: its gap stages are the day's gaps
    for day, chain in zip(payload["dates"], payload["maps"]):
        assert {s["stage"] for s in chain["stages"] if s["status"] != "present"} == temporal.EXPECTED[day]["gaps"]
    page = render(payload)
    assert page.count("net-snapshot-") >= 2 and first in page and last in page
    client = TestClient(create_app(Settings(store=str(db))))
    got = client.get("/views/snapshot", params={"region": "town", "from": first, "to": last, "format": "json"})
    assert got.status_code == 200 and got.json()["counts"]["gaps_closed"] == 2


def test_a_span_that_ends_before_it_begins_is_refused_naming_file_line_and_column(tmp_path):
    folder = tmp_path / "backwards"
    folder.mkdir()
    (folder / "stages.csv").write_text("id,name\nweave,织造\n", encoding="utf-8")
    (folder / "regions.csv").write_text("id,name\ntown,镇\n", encoding="utf-8")
    (folder / "enterprises.csv").write_text("id,name,region,since,until\nok,好,town,2020-01-01,2020-01-01\nback,反,town,2022-05-01,2021-05-01\n",
                                            encoding="utf-8")
    store = SqliteStore(":memory:", create=True)
    with pytest.raises(DatasetError) as error:
        load_path(store, folder)
    problems = [(p.file, p.line, p.column) for p in error.value.problems]
    assert problems == [("enterprises.csv", 3, "until")]  # a span of one day (line 2) is fine
    assert "2021-05-01 is before since 2022-05-01" in str(error.value)
    assert stats(store).total_nodes == 0
