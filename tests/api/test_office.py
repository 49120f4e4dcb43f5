"""Reports over HTTP for the office: format=csv|xlsx or the Accept header on every report route;
the workbook reads back through openpyxl with numbers as numbers and ids as text, and says which
data version it was made from."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from graph.params import XLSX_MEDIA_TYPE
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.conftest import TEXTILE

# every report route: (method, path, query, body), the sheets of its workbook after 说明 About
ROUTES = {
    "stats": (("get", "/stats", {}, None), ["counts"]),
    "gaps": (("get", "/regions/tianmen/gaps", {}, None), ["gaps", "candidates", "stages"]),
    "compare": (("get", "/compare", {"regions": "shengze,tianmen"}, None), ["stages"]),
    "bottlenecks": (("get", "/bottlenecks", {}, None), ["items"]),
    "whatif": (("post", "/whatif", {}, {"remove": ["e_wj_lianjie_zipper"]}), ["effects"]),
    "centrality": (("get", "/centrality", {"metric": "pagerank", "graph": "supply"}, None), ["rows"]),
    "ties": (("get", "/ties", {}, None), ["summary", "institutes", "enterprises", "projections", "communities", "brokers", "research_gaps",
                                                    "firm_ties"]),
    "paths": (("get", "/paths", {"from": "e_hengli_group", "to": "e_tm_hanpai_womenswear"}, None), ["steps"]),
    "neighbors": (("get", "/nodes/Institute/i_donghua_university/neighbors", {"depth": 2}, None), ["nodes"]),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = SqliteStore(tmp_path_factory.mktemp("office-api") / "textile.db", create=True)
    load_path(store, TEXTILE)
    yield store
    store.close()


@pytest.fixture(scope="module")
def api(store):
    with TestClient(create_app(store=store)) as client:
        yield client


def call(api, route, *, params=None, headers=None):
    method, path, query, body = route
    return api.request(method.upper(), path, params={**query, **(params or {})}, json=body, headers=headers)


@pytest.mark.parametrize("name", list(ROUTES))
def test_every_report_route_answers_a_workbook_by_format_and_by_accept(api, store, name):
    route, sheets = ROUTES[name]
    by_format = call(api, route, params={"format": "xlsx"})
    by_accept = call(api, route, headers={"Accept": XLSX_MEDIA_TYPE})
    for response in (by_format, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == XLSX_MEDIA_TYPE
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["说明 About", *sheets]
        about = {row[0].value: row[1].value for row in list(book["说明 About"].iter_rows())[1:]}
        assert about["data version"] == store.version() and about["report"] == f"{route[0].upper()} {route[1]}"
        assert not any(c.data_type == "f" for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
    assert call(api, route).headers["content-type"] == "application/json"  # JSON stays the default


@pytest.mark.parametrize("name", list(ROUTES))
def test_every_report_route_answers_its_first_table_as_csv_by_format_and_by_accept(api, name):
    route, _ = ROUTES[name]
    by_format = call(api, route, params={"format": "csv"})
    by_accept = call(api, route, headers={"Accept": "text/csv"})
    assert by_format.status_code == by_accept.status_code == 200
    assert by_format.headers["content-type"] == "text/csv; charset=utf-8"
    assert by_format.text == by_accept.text and by_format.text.strip()


def test_the_gaps_workbook_over_http_has_the_json_s_numbers_and_ids(api):
    report = api.get("/regions/tianmen/gaps", params={"top_candidates": 2}).json()
    book = load_workbook(io.BytesIO(api.get("/regions/tianmen/gaps", params={"top_candidates": 2, "format": "xlsx"}).content))
    rows = list(book["candidates"].iter_rows(values_only=False))[1:]
    expected = [(g["stage"], rank, c["enterprise"], c["score"]) for g in report["gaps"] for rank, c in enumerate(g["candidates"], start=1)]
    assert [(r[0].value, r[2].value, r[3].value, r[6].value) for r in rows] == expected
    assert all((r[0].data_type, r[2].data_type, r[3].data_type, r[6].data_type) == ("s", "n", "s", "n") for r in rows)
    about = {row[0].value: row[1].value for row in list(book["说明 About"].iter_rows())[1:]}
    assert about["top_candidates"] == "2" and about["region"] == "tianmen"


def test_a_whatif_workbook_says_what_the_body_asked(api):
    response = api.post("/whatif", params={"format": "xlsx"}, json={"remove": ["e_wj_lianjie_zipper", "e_hengli_group"], "region": "tianmen"})
    about = {row[0].value: row[1].value for row in load_workbook(io.BytesIO(response.content))["说明 About"].iter_rows()}
    assert about["remove"] == "e_wj_lianjie_zipper, e_hengli_group" and about["region"] == "tianmen"


def test_gaps_and_compare_csv_over_http(api):
    gaps = api.get("/regions/tianmen/gaps", params={"format": "csv", "section": "candidates", "top_candidates": 1}).text
    rows = list(csv.DictReader(io.StringIO(gaps)))
    report = api.get("/regions/tianmen/gaps", params={"top_candidates": 1}).json()
    assert [(r["gap"], r["enterprise"]) for r in rows] == [(g["stage"], c["enterprise"]) for g in report["gaps"] for c in g["candidates"]]
    coverage = api.get("/compare", params={"regions": "shengze,tianmen"}, headers={"Accept": "text/csv, application/json"}).text
    assert coverage.splitlines()[0] == "stage,name,tier,shengze_status,shengze_firms,tianmen_status,tianmen_firms"
    # JSON first in Accept: JSON
    assert api.get("/compare", params={"regions": "shengze,tianmen"}, headers={"Accept": "application/json, text/csv"}).json()["regions"] == [
        "shengze", "tianmen"]


@pytest.mark.parametrize(
    "params, parameter",
    [({"format": "pdf"}, "format"), ({"format": "csv", "section": "nope"}, "section")],
)
def test_a_wrong_format_or_section_is_a_422_naming_it(api, params, parameter):
    response = api.get("/regions/tianmen/gaps", params=params)
    assert response.status_code == 422 and response.json()["error"]["parameter"] == parameter
