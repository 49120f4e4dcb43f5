"""The report models of graph/reports.py: every analysis returns its model, every model forbids
fields it does not declare, and what the analyses build without validation (model_construct) is
valid: validated here once, on the bundled dataset."""

from __future__ import annotations

import inspect
import typing

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

import graph.reports as reports_module
from api.app import create_app
from chainx.cli import app as cli
from graph.analysis.bottlenecks import bottlenecks, whatif
from graph.analysis.briefing import briefing
from graph.analysis.centrality import centrality
from graph.analysis.diff import diff
from graph.analysis.gaps import compare, gaps
from graph.analysis.paths import explained_path, neighbors
from graph.analysis.related import related
from graph.analysis.ties import ties_report
from graph.model import GraphData, Node, Relationship
from graph.reports import REPORTS, CompareRow, Report
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.conftest import TEXTILE

# every analysis the CLI and the API present, with arguments that reach every part of its report
CALLS = {
    "stats": (reads.stats, (), {}),
    "datasets": (reads.datasets, (), {}),
    "gaps": (gaps, ("tianmen",), {}),
    "gaps, cut": (gaps, ("shengze",), {"top": 2, "min_firms": 3}),
    "gaps between two stages": (gaps, ("tianmen",), {"source": "cotton", "sink": "garments", "rollup": "none"}),
    "compare": (compare, (["shengze", "tianmen", "wujiang"],), {}),
    "related": (related, ("shengze",), {}),
    "related by city, revenue": (related, ("suzhou",), {"level": "city", "measure": "revenue", "presence": "any"}),
    "bottlenecks": (bottlenecks, (), {}),
    "bottlenecks of a region": (bottlenecks, ("tianmen",), {"min_firms": 2}),
    "whatif": (whatif, (["e_hengli_group"], "wujiang"), {}),
    "centrality": (centrality, ("betweenness", "all"), {"top": 50}),
    "centrality, core numbers": (centrality, ("core", "supply"), {}),
    "ties": (ties_report, (), {}),
    "ties of an institute": (ties_report, (), {"institute": "i_donghua_university"}),
    "path": (explained_path, ("e_hengli_group", "px"), {}),
    "neighbors": (neighbors, ("i_donghua_university",), {"depth": 2}),
    # the bundled dataset holds no dates: every item is the same on both days (tests/graph/test_asof.py has changes)
    "diff": (diff, ("2020-01-01", "2024-01-01", "tianmen"), {}),
    "briefing": (briefing, ("tianmen",), {"top": 3}),
}


@pytest.fixture(scope="module")
def textile(tmp_path_factory):
    store = SqliteStore(tmp_path_factory.mktemp("reports") / "textile.db", create=True)
    load_path(store, TEXTILE)
    yield store
    store.close()


def _models() -> list[type[BaseModel]]:
    return [value for value in vars(reports_module).values()
            if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == reports_module.__name__]


@pytest.mark.parametrize("name", list(CALLS))
def test_each_analysis_returns_its_declared_model_and_the_model_is_valid(textile, name):
    func, args, kwargs = CALLS[name]
    report = func(textile, *args, **kwargs)
    declared = typing.get_type_hints(func)["return"]
    assert declared in REPORTS and type(report) is declared
    # the analysis built it unvalidated: validating what it holds must give it back unchanged
    checked = declared.model_validate(report.to_dict())
    assert checked.to_dict() == report.to_dict()
    assert checked.model_dump(mode="json", by_alias=True) == report.model_dump(mode="json", by_alias=True)


def test_a_gaps_report_on_a_feeds_cycle_is_valid(tmp_path):
    store = SqliteStore(tmp_path / "cycle.db", create=True)
    store.write(GraphData(
        nodes=[Node("Region", "r", "R"), *(Node("Stage", s, s.upper()) for s in "abc"), Node("Enterprise", "e", "E", {"region": "r"})],
        relationships=[Relationship("FEEDS", "a", "b"), Relationship("FEEDS", "b", "c"), Relationship("FEEDS", "c", "a"),
                       Relationship("OPERATES_IN", "e", "a")]))
    report = gaps(store, "r", min_firms=1)
    checked = type(report).model_validate(report.to_dict())
    assert checked.cycles.largest[0].stages == ["a", "b", "c"] and {g.cycle for g in checked.gaps} == {3}
    assert checked.chain_scope.kind == "whole"
    store.close()


def test_the_calls_above_cover_every_report_model():
    assert {typing.get_type_hints(func)["return"] for func, _, _ in CALLS.values()} == set(REPORTS)
    assert set(REPORTS) == {m for m in _models() if issubclass(m, Report) and m is not Report}


@pytest.mark.parametrize("model", [m for m in _models() if m is not CompareRow], ids=lambda m: m.__name__)
def test_every_model_forbids_fields_it_does_not_declare(model):
    assert model.model_config.get("extra") == "forbid"
    # and validation says so: a dict with one field more than any value needs is refused
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({"not_a_field_of_any_report": 1})


def test_a_comparison_row_takes_region_columns_only_in_their_declared_shape():
    row = {"stage": "s", "name": "S", "tier": None, "present_in": ["r"], "lacking_in": []}
    checked = CompareRow.model_validate({**row, "r": {"status": "present", "local_enterprises": 2}})
    assert checked.coverage("r").local_enterprises == 2
    with pytest.raises(ValidationError):
        CompareRow.model_validate({**row, "r": 3})
    with pytest.raises(ValidationError):
        CompareRow.model_validate({**row, "r": {"status": "present", "local_enterprises": 2, "more": 1}})


def test_a_path_keeps_from_as_its_json_key(textile):
    path = explained_path(textile, "e_hengli_group", "px")
    assert path.from_ == "e_hengli_group"
    assert list(path.to_dict())[:2] == ["from", "to"]


def test_a_ties_report_has_focus_only_with_an_institute(textile):
    assert "focus" not in ties_report(textile).to_dict()
    focused = ties_report(textile, institute="i_donghua_university")
    assert focused.focus.institute == "i_donghua_university" and "focus" in focused.to_dict()


def test_every_table_of_every_report_renders_from_the_model(textile):
    for name, (func, args, kwargs) in CALLS.items():
        report = func(textile, *args, **kwargs)
        for section, table in type(report).tables.items():
            if section == "focus" and report.focus is None:
                continue
            for csv in (False, True):
                headers, rows = table.render(report, csv=csv)
                assert headers and all(len(row) == len(headers) for row in rows), (name, section, csv)


# -- the API and the CLI present the models ---------------------------------------------------
# which analysis each report route answers with, written down here (not read from the routes)
ROUTE_ANALYSES = {
    "/stats": reads.stats,
    "/datasets": reads.datasets,
    "/nodes/{kind}/{node_id:path}/neighbors": neighbors,
    "/paths": explained_path,
    "/regions/{region:path}/gaps": gaps,
    "/regions/{region:path}/related": related,
    "/compare": compare,
    "/bottlenecks": bottlenecks,
    "/whatif": whatif,
    "/centrality": centrality,
    "/ties": ties_report,
    "/diff": diff,
}


def _api_routes(routes) -> list[APIRoute]:
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router (FastAPI >= 0.165 keeps them nested)
            found.extend(_api_routes(route.original_router.routes))
        elif hasattr(route, "routes"):
            found.extend(_api_routes(route.routes))
    return found


def test_each_report_route_declares_exactly_what_its_analysis_returns(tmp_path):
    app = create_app(store=SqliteStore(tmp_path / "empty.db", create=True))
    declared = {route.path: route.response_model for route in _api_routes(app.routes)
                if inspect.isclass(route.response_model) and issubclass(route.response_model, Report)}
    assert set(declared) == set(ROUTE_ANALYSES)
    for path, func in ROUTE_ANALYSES.items():
        assert declared[path] is typing.get_type_hints(func)["return"], path


# The top-level JSON keys of each report, as the API and the CLI gave them before the models
# (api/models.py and the report dicts of the analyses then; the gaps report's scope and cycles
# came with the chain scopes).
KEYS = {
    "/stats": {"nodes", "relationships", "total_nodes", "total_relationships", "cycles"},
    "/nodes/Institute/i_donghua_university/neighbors?depth=2": {"node", "depth", "kind", "total", "truncated", "nodes", "relationships"},
    "/paths?from=e_hengli_group&to=px": {"from", "to", "via", "directed", "length", "nodes", "steps", "text"},
    "/regions/tianmen/gaps": {"region", "region_name", "min_firms", "completeness", "completeness_weighted", "local_enterprises", "counts",
                              "stages", "gaps", "gaps_total", "listing", "stage_betweenness", "chain_scope", "cycles", "candidate_signals"},
    "/regions/shengze/related": {"region", "region_name", "measure", "presence", "eci", "matrix", "feasible", "feasible_total", "stages",
                                 "peers", "chain_scope"},
    "/compare?regions=shengze,tianmen,wujiang": {"regions", "min_firms", "completeness", "stages", "stages_total", "stages_listed", "top", "chain_scope"},
    "/bottlenecks": {"region", "scope", "chain_scope", "cycles", "hhi_threshold", "min_firms", "sources", "end_products", "counts", "listed", "critical_screening", "items"},
    "/centrality?metric=betweenness&top=10": {"metric", "graph", "kind", "region", "exact", "k", "seed", "total", "engine", "threads", "note", "rows"},
    "/ties": {"institute", "seed", "summary", "institutes", "enterprises", "projections", "communities", "brokers", "brokers_method",
              "research_gaps", "firm_ties"},
    "/ties?institute=i_donghua_university": {"institute", "seed", "summary", "institutes", "enterprises", "projections", "communities",
                                             "brokers", "brokers_method", "research_gaps", "firm_ties", "focus"},
}
WHATIF_KEYS = {"region", "scope", "chain_scope", "cycles", "min_firms", "removed", "enterprises", "stages_lost", "stages_weakened",
               "stages_downstream", "score",
               "reasons", "supplies_cut", "enterprises_total", "enterprises_in_scope"}


@pytest.fixture(scope="module")
def api(textile):
    with TestClient(create_app(store=textile)) as client:
        yield client


@pytest.mark.parametrize("url", list(KEYS))
def test_the_api_json_keeps_its_keys(api, url):
    response = api.get(url)
    assert response.status_code == 200, response.text
    assert set(response.json()) == KEYS[url]


def test_the_api_json_of_whatif_keeps_its_keys(api):
    response = api.post("/whatif", json={"remove": ["e_hengli_group"], "region": "wujiang"})
    assert response.status_code == 200, response.text
    assert set(response.json()) == WHATIF_KEYS


def test_the_json_of_a_path_a_comparison_row_and_a_gaps_scope_keep_their_inner_keys(api):
    path = api.get("/paths", params={"from": "e_hengli_group", "to": "px"}).json()
    assert path["from"] == "e_hengli_group" and "from_" not in path
    assert set(path["steps"][0]) == {"source", "type", "target", "forward"}
    row = api.get("/compare", params={"regions": "shengze,tianmen"}).json()["stages"][0]
    assert set(row) == {"stage", "name", "tier", "present_in", "lacking_in", "shengze", "tianmen"}
    assert set(row["shengze"]) == {"status", "local_enterprises"}
    report = api.get("/regions/tianmen/gaps").json()
    # graph.scope.Scope's fields, and the cycles summary of graph.analysis.gaps.cycle_summary
    assert set(report["chain_scope"]) == {"kind", "stages", "of", "rollup", "depth", "source", "sink", "rule", "widen", "chain", "chain_name", "pairs"}
    assert set(report["cycles"]) == {"count", "stages", "largest"}
    assert all(isinstance(gap["cycle"], int) for gap in report["gaps"])


# The CLI's table headers (first line) and CSV headers as they were before the tables moved into
# the models (the column lists of chainx/cli.py then).
CLI_HEADERS = [
    (["stats", "--format", "csv"], "kind,name,count"),
    # the candidates left the gaps' CSV for a table of their own, one per row (issue 17)
    # and relatedness density and feasible joined them (issue 20)
    (["gaps", "--region", "tianmen", "--format", "csv"], "stage,name,status,kind,score,upstream_local,downstream_local,density,feasible,reasons"),
    (["gaps", "--region", "tianmen", "--candidates", "--format", "csv"],
     "gap,gap_name,rank,enterprise,name,region,score,supply_ties,shared_institutes,size,capacity_share,tag_affinity,chain_stages,chain_fit,reasons"),
    (["compare", "shengze", "tianmen", "--format", "csv"], "stage,name,tier,shengze_status,shengze_firms,tianmen_status,tianmen_firms"),
    (["centrality", "--metric", "degree", "--format", "csv"], "rank,node,name,kind,value"),
    (["path", "e_hengli_group", "px", "--format", "csv"], "step,source,type,target,forward"),
    (["neighbors", "i_donghua_university", "--format", "csv"], "distance,id,kind,name"),
    (["whatif", "--remove", "e_hengli_group", "--format", "csv"], "effect,id,name,detail"),
    (["bottlenecks", "--format", "csv"], "kind,node,name,score,reasons"),
    (["related", "--region", "shengze", "--format", "csv"], "rank,stage,name,density,ubiquity,pci,opportunity_gain,related,feeds_links,reasons"),
    (["related", "--region", "shengze", "--peer-list", "--format", "csv"], "region,name,similarity,shared_stages,stages"),
]


@pytest.mark.parametrize("args, header", CLI_HEADERS, ids=lambda value: " ".join(value) if isinstance(value, list) else None)
def test_the_cli_csv_keeps_its_columns(textile_db, args, header):
    result = CliRunner().invoke(cli, [*args, "--store", str(textile_db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == header


def test_the_cli_tables_keep_their_columns(textile_db):
    result = CliRunner().invoke(cli, ["compare", "shengze", "tianmen", "--store", str(textile_db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == ["stage", "name", "shengze", "tianmen"]
    result = CliRunner().invoke(cli, ["gaps", "--region", "tianmen", "--store", str(textile_db)], catch_exceptions=False)
    assert result.stdout.splitlines()[1].split() == ["stage", "name", "status", "kind", "score", "upstream_local", "downstream_local", "density", "feasible",
                                                    "candidates"]
