"""The CLI and the API give the same answers on the bundled dataset: both call graph/."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli


@pytest.fixture(scope="module")
def api(textile_db):
    with TestClient(create_app(Settings(store=str(textile_db)))) as client:
        yield client


def cli_json(textile_db, *args: str):
    result = CliRunner().invoke(cli, [*args, "--store", str(textile_db), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "cli_args, method, url, request_kwargs",
    [
        (["gaps", "--region", "tianmen"], "GET", "/regions/tianmen/gaps", {}),
        (["gaps", "--region", "shengze", "--min-firms", "3", "--top-candidates", "2"], "GET", "/regions/shengze/gaps",
         {"params": {"min_firms": 3, "top_candidates": 2}}),
        (["compare", "shengze", "tianmen", "wujiang"], "GET", "/compare", {"params": {"regions": "shengze,tianmen,wujiang"}}),
        (["compare", "shengze", "tianmen", "--peers", "3"], "GET", "/compare", {"params": {"regions": "shengze,tianmen", "peers": 3}}),
        (["related", "--region", "shengze"], "GET", "/regions/shengze/related", {}),
        (["related", "--region", "suzhou", "--level", "city", "--measure", "revenue", "--top", "5"], "GET", "/regions/suzhou/related",
         {"params": {"level": "city", "measure": "revenue", "top": 5}}),
        (["bottlenecks"], "GET", "/bottlenecks", {}),
        (["bottlenecks", "--region", "tianmen", "--min-firms", "2"], "GET", "/bottlenecks", {"params": {"region": "tianmen", "min_firms": 2}}),
        (["whatif", "--remove", "e_hengli_group", "--region", "wujiang"], "POST", "/whatif",
         {"json": {"remove": ["e_hengli_group"], "region": "wujiang"}}),
        (["centrality", "--metric", "betweenness", "--top", "50"], "GET", "/centrality", {"params": {"metric": "betweenness", "top": 50}}),
        (["centrality", "--metric", "pagerank", "--graph", "supply", "--kind", "Enterprise", "--region", "shengze"], "GET", "/centrality",
         {"params": {"metric": "pagerank", "graph": "supply", "kind": "Enterprise", "region": "shengze"}}),
        (["centrality", "--metric", "betweenness", "--k", "20", "--seed", "3"], "GET", "/centrality",
         {"params": {"metric": "betweenness", "k": 20, "seed": 3}}),
        (["ties"], "GET", "/ties", {}),
        (["ties", "--institute", "i_donghua_university", "--top", "5"], "GET", "/ties", {"params": {"institute": "i_donghua_university", "top": 5}}),
        (["gaps", "--region", "tianmen", "--chain", "家纺产业链"], "GET", "/regions/tianmen/gaps", {"params": {"chain": "家纺产业链"}}),
        (["compare", "shengze", "tianmen", "--chain", "polyester_garments"], "GET", "/compare",
         {"params": {"regions": "shengze,tianmen", "chain": "polyester_garments"}}),
        (["bottlenecks", "--chain", "polyester_garments"], "GET", "/bottlenecks", {"params": {"chain": "polyester_garments"}}),
        (["whatif", "--remove", "e_hengli_group", "--chain", "化纤-纺织-服装"], "POST", "/whatif",
         {"json": {"remove": ["e_hengli_group"], "chain": "化纤-纺织-服装"}}),
        (["chains"], "GET", "/chains", {}),
        (["chains", "show", "化纤-纺织-服装"], "GET", "/chains/化纤-纺织-服装", {}),
        (["path", "e_hengli_group", "px"], "GET", "/paths", {"params": {"from": "e_hengli_group", "to": "px"}}),
        (["neighbors", "i_donghua_university", "--depth", "2"], "GET", "/nodes/Institute/i_donghua_university/neighbors", {"params": {"depth": 2}}),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_cli_and_api_answer_alike(textile_db, api, cli_args, method, url, request_kwargs):
    response = api.request(method, url, **request_kwargs)
    assert response.status_code == 200, response.text
    assert response.json() == cli_json(textile_db, *cli_args)


def test_cli_and_api_centrality_csv_alike(textile_db, api):
    result = CliRunner().invoke(cli, ["centrality", "--metric", "closeness", "--graph", "chain", "--store", str(textile_db), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert api.get("/centrality", params={"metric": "closeness", "graph": "chain", "format": "csv"}).text == result.stdout


@pytest.mark.parametrize(
    "cli_args, method, url, request_kwargs",
    [
        (["gaps", "--region", "tianmen", "--top-candidates", "2"], "GET", "/regions/tianmen/gaps", {"params": {"top_candidates": 2}}),
        (["compare", "shengze,tianmen"], "GET", "/compare", {"params": {"regions": "shengze,tianmen"}}),
        (["whatif", "--remove", "e_hengli_group"], "POST", "/whatif", {"json": {"remove": ["e_hengli_group"]}}),
        (["ties", "--institute", "i_donghua_university"], "GET", "/ties", {"params": {"institute": "i_donghua_university"}}),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_cli_and_api_workbooks_hold_the_same_tables(textile_db, api, tmp_path, cli_args, method, url, request_kwargs):
    import io

    from openpyxl import load_workbook

    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(cli, [*cli_args, "-o", str(out), "--store", str(textile_db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    response = api.request(method, url, **{**request_kwargs, "params": {**request_kwargs.get("params", {}), "format": "xlsx"}})
    assert response.status_code == 200, response.text
    from_cli, from_api = load_workbook(out), load_workbook(io.BytesIO(response.content))
    assert from_cli.sheetnames == from_api.sheetnames
    for name in from_cli.sheetnames[1:]:  # the About sheets differ in how the report was asked for
        assert [[(c.value, c.data_type) for c in row] for row in from_cli[name].iter_rows()] == \
               [[(c.value, c.data_type) for c in row] for row in from_api[name].iter_rows()], name
    version = [row[1].value for row in from_cli["说明 About"].iter_rows() if row[0].value == "data version"]
    assert version == [row[1].value for row in from_api["说明 About"].iter_rows() if row[0].value == "data version"]
