"""Each report parameter is defined once (graph/params.py): the CLI and the API are asked for its
bounds and default and must both give the definition's, and a value just outside the bounds is
refused at both edges naming the parameter."""

from __future__ import annotations

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph.params import PARAMS, Param

# report → (the CLI command, the arguments it needs besides the parameter), (API method, path, the
# request's other parameters)
EDGES = {
    "gaps": (["gaps", "--region", "tianmen"], ("get", "/regions/{region}/gaps", "/regions/tianmen/gaps", {})),
    "compare": (["compare", "shengze", "tianmen"], ("get", "/compare", "/compare", {"regions": "shengze,tianmen"})),
    "bottlenecks": (["bottlenecks"], ("get", "/bottlenecks", "/bottlenecks", {})),
    "whatif": (["whatif", "--remove", "e_wj_lianjie_zipper"], ("post", "/whatif", "/whatif", {"remove": ["e_wj_lianjie_zipper"]})),
    "centrality": (["centrality"], ("get", "/centrality", "/centrality", {"metric": "degree"})),
    "related": (["related", "--region", "shengze"], ("get", "/regions/{region}/related", "/regions/shengze/related", {})),
    "ties": (["ties"], ("get", "/ties", "/ties", {})),
    "neighbors": (["neighbors", "i_donghua_university"],
                  ("get", "/nodes/{kind}/{node_id}/neighbors", "/nodes/Institute/i_donghua_university/neighbors", {})),
    "path": (["path", "e_hengli_group", "e_tm_hanpai_womenswear"], ("get", "/paths", "/paths", {"from": "e_hengli_group", "to": "e_tm_hanpai_womenswear"})),
    "search": (["search", "涤纶"], ("get", "/nodes", "/nodes", {"q": "涤纶"})),
    "report": (["report", "--region", "tianmen"], ("get", "/regions/{region}/report", "/regions/tianmen/report", {"format": "json"})),
    "view chain": (["view", "chain", "--region", "tianmen"], ("get", "/views/chain", "/views/chain", {"region": "tianmen", "format": "json"})),
    "view compare": (["view", "compare", "--regions", "shengze,tianmen"],
                     ("get", "/views/compare", "/views/compare", {"regions": "shengze,tianmen", "format": "json"})),
    "view panorama": (["view", "panorama", "--region", "shengze"],
                      ("get", "/views/panorama", "/views/panorama", {"region": "shengze", "format": "json"})),
    "view heatmap": (["view", "heatmap"], ("get", "/views/heatmap", "/views/heatmap", {"format": "json"})),
    "view ego": (["view", "ego", "e_hengli_group"], ("get", "/views/ego/{kind}/{node_id}", "/views/ego/enterprise/e_hengli_group", {"format": "json"})),
    "view ties": (["view", "ties"], ("get", "/views/ties", "/views/ties", {"format": "json"})),
    "load": (["load"], ("post", "/datasets", "/datasets", {})),
}
NUMERIC = [(report, param) for report, params in PARAMS.items() for param in params.values() if param.kind in (int, float)]
BOOLEAN = [(report, param) for report, params in PARAMS.items() for param in params.values() if param.kind is bool]


def test_every_report_s_parameters_have_edges_here():
    assert set(EDGES) == set(PARAMS)


@pytest.fixture(scope="module")
def api(textile_db):
    with TestClient(create_app(Settings(store=str(textile_db)))) as client:
        yield client


def cli_option(command: list[str], param: Param):
    """The click option the CLI declares for ``param`` in ``command``."""
    group = typer.main.get_command(cli)
    for name in command:
        if not hasattr(group, "commands"):
            break
        group = group.commands.get(name, group)
    found = [p for p in group.params if p.name == param.name]
    assert found, f"{' '.join(command)} has no option for {param.name}"
    return found[0]


def api_schema(api, method: str, route: str, param: Param) -> dict:
    """The OpenAPI schema the API declares for ``param`` at ``route``."""
    operation = api.app.openapi()["paths"][route][method]
    in_query = [p for p in operation.get("parameters", []) if p["name"] == param.name]
    if method == "post" and not in_query:  # a field of the JSON body (POST /datasets takes its switches in the query)
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        schema = api.app.openapi()["components"]["schemas"][ref]["properties"][param.name]
    else:
        (declared,) = [p for p in operation["parameters"] if p["name"] == param.name]
        schema = declared["schema"]
    # an optional number is anyOf [number, null]
    return next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema) | {"default": schema.get("default")}


@pytest.mark.parametrize(("report", "param"), NUMERIC, ids=[f"{r}-{p.name}" for r, p in NUMERIC])
def test_the_cli_and_the_api_declare_the_definition_s_bounds_and_default(api, report, param):
    command, (method, route, _, _) = EDGES[report]
    option = cli_option(command, param)
    schema = api_schema(api, method, route, param)
    assert (schema["minimum"], schema["maximum"]) == (param.minimum, param.maximum)
    assert f"[{param.minimum:g} to {param.maximum:g}]" in option.help
    assert option.default == param.default == schema["default"]


def _outside(param: Param) -> list:
    step = 1 if param.kind is int else 0.5
    return [param.minimum - step, param.maximum + step]


@pytest.mark.parametrize(("report", "param"), NUMERIC, ids=[f"{r}-{p.name}" for r, p in NUMERIC])
def test_a_value_outside_the_bounds_is_refused_at_both_edges_naming_the_parameter(api, textile_db, tmp_path, report, param):
    command, (method, _, url, others) = EDGES[report]
    output = ["-o", str(tmp_path / "v.html")] if command[0] in ("view", "report") else []
    for value in _outside(param):
        result = CliRunner().invoke(cli, [*command, param.cli_flag, str(value), *output, "--store", str(textile_db)])
        assert result.exit_code == 1, result.output
        assert result.output.strip().splitlines() == [result.output.strip()]  # one line
        assert result.output.startswith(f"Error: {param.name}: ")
        if method == "post":
            response = api.post(url, json={**others, param.name: value})
        else:
            response = api.get(url, params={**others, param.name: value})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["parameter"] == param.name


CHOICES = [(report, param) for report, params in PARAMS.items() for param in params.values() if param.choices or param.kind is bool]


@pytest.mark.parametrize(("report", "param"), CHOICES, ids=[f"{r}-{p.name}" for r, p in CHOICES])
def test_the_cli_and_the_api_declare_the_definition_s_choices_and_default(api, report, param):
    command, (method, route, _, _) = EDGES[report]
    option = cli_option(command, param)
    schema = api_schema(api, method, route, param)
    assert option.default == param.default == schema["default"]
    if param.choices:
        assert schema["enum"] == list(param.choices)
        assert option.metavar == "|".join(param.choices)  # what the help shows as the value's type


@pytest.mark.parametrize(("report", "param"), [c for c in CHOICES if c[1].choices], ids=[f"{r}-{p.name}" for r, p in CHOICES if p.choices])
def test_a_value_outside_the_choices_is_refused_at_both_edges_naming_the_parameter(api, textile_db, tmp_path, report, param):
    command, (method, _, url, others) = EDGES[report]
    output = ["-o", str(tmp_path / "v.html")] if command[0] in ("view", "report") else []
    result = CliRunner().invoke(cli, [*command, param.cli_flag, "nonsense", *output, "--store", str(textile_db)])
    assert result.exit_code == 1 and result.output.startswith(f"Error: {param.name}: must be one of "), result.output
    if method == "post":
        response = api.post(url, json={**others, param.name: "nonsense"})
    else:
        response = api.get(url, params={**others, param.name: "nonsense"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["parameter"] == param.name


def test_a_list_over_its_bound_is_refused_alike_at_both_edges(api, textile_db):
    regions = [f"r{i}" for i in range(21)]
    result = CliRunner().invoke(cli, ["compare", ",".join(regions), "--store", str(textile_db)])
    assert result.exit_code == 1 and result.output.strip() == "Error: regions: give 1 to 20 regions, not 21"
    error = api.get("/compare", params={"regions": ",".join(regions)}).json()["error"]
    assert error["parameter"] == "regions" and error["message"] == "regions: give 1 to 20 regions, not 21"


@pytest.mark.parametrize(("report", "param"), BOOLEAN, ids=[f"{r}-{p.name}" for r, p in BOOLEAN])
def test_a_switch_is_the_definition_s_flag_and_query_parameter(api, report, param):
    command, (method, route, _, _) = EDGES[report]
    option = cli_option(command, param)
    assert option.opts == [param.cli_flag] and option.help == param.help and option.default is param.default
    (declared,) = [p for p in api.app.openapi()["paths"][route][method]["parameters"] if p["name"] == param.name]
    assert declared["in"] == "query" and declared["schema"]["default"] is param.default and declared["description"] == param.help


REPORT_COMMANDS = ["stats", "gaps", "related", "compare", "bottlenecks", "whatif", "centrality", "ties", "path", "neighbors"]
REPORT_ROUTES = [("get", "/stats"), ("get", "/regions/{region}/gaps"), ("get", "/regions/{region}/related"), ("get", "/compare"), ("get", "/bottlenecks"), ("post", "/whatif"),
                 ("get", "/centrality"), ("get", "/ties"), ("get", "/paths"), ("get", "/nodes/{kind}/{node_id}/neighbors")]


@pytest.mark.parametrize("command", REPORT_COMMANDS)
def test_every_report_command_takes_the_defined_format_and_output(command):
    from graph.params import FORMAT, OUTPUT

    group = typer.main.get_command(cli)
    (fmt,) = [p for p in group.commands[command].params if p.name == "format"]
    (out,) = [p for p in group.commands[command].params if p.name == "output"]
    assert [choice.value for choice in type(fmt.default)] == list(FORMAT.choices) and fmt.default.value == FORMAT.default
    assert set(fmt.opts) == {"--format", "-f"} and fmt.help == FORMAT.help
    assert set(out.opts) == {"--output", "-o"} and out.help == OUTPUT.help


@pytest.mark.parametrize(("method", "route"), REPORT_ROUTES)
def test_every_report_route_takes_the_defined_format(api, method, route):
    from graph.params import FILE_FORMATS, RESPONSE_FORMAT

    operation = api.app.openapi()["paths"][route][method]
    (declared,) = [p for p in operation["parameters"] if p["name"] == "format"]
    schema = next(s for s in declared["schema"]["anyOf"] if s.get("type") != "null")
    assert schema["enum"] == list(FILE_FORMATS) and declared["description"] == RESPONSE_FORMAT.help
