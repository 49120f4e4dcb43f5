"""Part 4: Cypher injection, on the Neo4j store over Bolt.

Strings built to break out of a Cypher string, a property map, a label or a comment are loaded as
ids, names, aliases, descriptions and region ids (through ``POST /datasets`` and ``chainx load``),
then sent back as search text, node ids, region ids and filter values through the API and the
CLI. Every value travels as a query parameter, so the graph must hold exactly textile plus the
dataset, every string must come back as the data it is, and reading never changes the graph.
Label and relationship-type parameters take only the allow-list: anything else is a clear error.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph.errors import InvalidParameter
from graph.neighbourhood import neighbourhood_data
from graph.store import reads
from graph.store.neo4j import clear_database
from graph.store.queries import queries
from loaders.pipeline import load_path
from tests.conftest import TEXTILE

from .conftest import fingerprint, run_chainx

pytestmark = pytest.mark.neo4j

API_KEY = "injection-key-0123456789"

INJECTIONS = (
    "x' OR '1'='1",
    'x" OR "1"="1',
    "'}) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n //',
    "x`) DETACH DELETE n //",
    "`Stage` {id: 'pta'}) DETACH DELETE n //",
    "// comment",
    "/* comment */ MATCH (n) DETACH DELETE n",
    "\\u0027}) DETACH DELETE n //",  # a Cypher string escape, as the six characters it is written with
    "\u02bc}) DETACH DELETE n //",  # ʼ, a quote look-alike
    "\uff07}) DETACH DELETE n //",  # ＇, the full-width apostrophe
    "x'; CALL dbms.shutdown() //",
    "$id}) DETACH DELETE n //",
    "x\\' OR true //",
    "Stage) DETACH DELETE n //",
    "n.id CONTAINS '' OR true",
    "{id: 'px'}",
    "MERGE (p:Stage {id: 'pwned'}) RETURN p",
    "a, b; c",  # a CSV separator and a list separator
)
# Labels and relationship types that are not on the allow-list
NOT_ALLOWED = ("Stage) DETACH DELETE n //", "Stage`", "Stage:Enterprise", "stage", "Enterprise OR 1=1", "FEEDS]->() DETACH DELETE n //", "FEEDS|SUPPLIES")


def region_of(i: int) -> str:
    return f"region {INJECTIONS[i]}"


def write_dataset(folder: Path) -> Path:
    """Each string i: enterprise id and name, region ``region <s>`` (under shengze), stage
    inj_s<i> named, aliased and described by it; enterprise i operates in stage i and supplies
    enterprise i+1."""
    n = len(INJECTIONS)
    tables = {
        "stages": [["id", "name", "tier", "aliases", "description"]]
        + [[f"inj_s{i}", s, "midstream", s if ";" not in s else "", s] for i, s in enumerate(INJECTIONS)],
        "regions": [["id", "name", "parent", "level"]] + [[region_of(i), s, "shengze", "town"] for i, s in enumerate(INJECTIONS)],
        "enterprises": [["id", "name", "region", "tags"]] + [[s, s, region_of(i), "injection"] for i, s in enumerate(INJECTIONS)],
        "enterprise_stages": [["enterprise", "stage"]] + [[s, f"inj_s{i}"] for i, s in enumerate(INJECTIONS)],
        "supplies": [["supplier", "customer", "stage"]] + [[INJECTIONS[i], INJECTIONS[i + 1], f"inj_s{i}"] for i in range(n - 1)],
    }
    folder.mkdir(parents=True)
    for stem, rows in tables.items():
        with (folder / f"{stem}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for child in sorted(folder.iterdir()):
            archive.write(child, child.name)
    return buffer.getvalue()


def textile_part(print_: tuple, ids: set[str]) -> tuple:
    nodes, rels = print_
    return tuple(n for n in nodes if n[1] in ids), tuple(r for r in rels if r[1] in ids and r[2] in ids)


@pytest.fixture(scope="module")
def injected(bolt_server, tmp_path_factory):
    """The Bolt store holding textile plus the injection dataset (loaded through the API, then
    again through the CLI, which must change nothing); the API client; the graph before and after."""
    if not bolt_server.running:
        bolt_server.start()
    work = tmp_path_factory.mktemp("injection")
    dataset = write_dataset(work / "dataset")
    store = bolt_server.store()
    clear_database(store)
    load_path(store, TEXTILE)
    textile = fingerprint(store)
    textile_stats = reads.stats(store).to_dict()
    app = create_app(Settings(store=bolt_server.uri, api_key=API_KEY), store=store)
    with TestClient(app) as client:
        client.headers["X-API-Key"] = API_KEY
        response = client.post("/datasets", files={"file": ("injection.zip", zipped(dataset), "application/zip")})
        assert response.status_code == 200, response.text
        loaded = fingerprint(store)
        again = run_chainx("load", str(dataset), "--store", bolt_server.uri, env=bolt_server.env(), cwd=work)
        assert again.returncode == 0 and "(no changes)" in again.stdout, again.stdout + again.stderr
        yield {"store": store, "client": client, "textile": textile, "textile_stats": textile_stats, "loaded": loaded,
               "env": {**bolt_server.env(), "CHAINX_STORE": bolt_server.uri}}
    store.close()


def tally(figures: dict) -> dict:
    return figures.setdefault("injection", {"strings": len(INJECTIONS), "changed_graph": 0, "not_round_tripped": 0, "requests": 0})


def test_the_strings_load_as_data_and_leave_the_rest_of_the_graph_alone(injected, figures):
    store, n = injected["store"], len(INJECTIONS)
    before, after = injected["textile_stats"], reads.stats(store).to_dict()
    expected_nodes = {**before["nodes"], "Stage": before["nodes"]["Stage"] + n, "Region": before["nodes"]["Region"] + n,
                      "Enterprise": before["nodes"]["Enterprise"] + n}
    rels = before["relationships"]
    expected_rels = {**rels, "PART_OF": rels["PART_OF"] + n, "LOCATED_IN": rels["LOCATED_IN"] + n,
                     "OPERATES_IN": rels["OPERATES_IN"] + n, "SUPPLIES": rels["SUPPLIES"] + n - 1}
    assert (after["nodes"], after["relationships"]) == (expected_nodes, expected_rels)
    textile_ids = {node[1] for node in injected["textile"][0]}
    assert textile_part(injected["loaded"], textile_ids) == injected["textile"]
    assert "pwned" not in queries(store).id_labels()


@pytest.mark.parametrize("i", range(len(INJECTIONS)))
def test_each_string_round_trips_as_data_through_store_api_and_cli(i, injected, figures):
    s, store, client = INJECTIONS[i], injected["store"], injected["client"]
    wrong = []
    enterprise, region, stage = reads.get_node(store, s), reads.get_node(store, region_of(i)), reads.get_node(store, f"inj_s{i}")
    if (enterprise.label, enterprise.id, enterprise.name) != ("Enterprise", s, s) or region.name != s or stage.name != s:
        wrong.append("store: the node does not hold the string")
    if stage.props.get("description") != s or (";" not in s and stage.props.get("aliases") != [s]):
        wrong.append(f"store: description/aliases {stage.props!r}")
    _, hits = store.search(s, limit=100)
    if s not in {hit.id for hit in hits}:
        wrong.append("store: search for the string misses its node")

    response = client.get(f"/nodes/Enterprise/{quote(s, safe='')}")
    if response.status_code != 200 or (response.json().get("id"), response.json().get("name")) != (s, s):
        wrong.append(f"API: GET /nodes/Enterprise/<s> → {response.status_code} {response.text[:200]}")
    response = client.get("/nodes", params={"q": s, "limit": 100})
    if response.status_code != 200 or s not in {r["id"] for r in response.json()["results"]}:
        wrong.append(f"API: GET /nodes?q=<s> → {response.status_code} {response.text[:200]}")
    response = client.get("/nodes", params={"region": region_of(i), "kind": "Enterprise"})
    if response.status_code != 200 or [r["id"] for r in response.json()["results"]] != [s]:
        wrong.append(f"API: GET /nodes?region=<region s> → {response.status_code} {response.text[:200]}")

    result = CliRunner().invoke(cli, ["search", s, "--format", "json", "--limit", "100"], env=injected["env"])
    if result.exit_code != 0 or s not in {r["id"] for r in json.loads(result.output)["results"]}:
        wrong.append(f"CLI: search → {result.exit_code} {result.output[:200]}")
    result = CliRunner().invoke(cli, ["neighbors", s, "--format", "json"], env=injected["env"])
    if result.exit_code != 0 or {n["id"] for n in json.loads(result.output)["nodes"]} < {region_of(i), f"inj_s{i}"}:
        wrong.append(f"CLI: neighbors → {result.exit_code} {result.output[:200]}")
    tally(figures)["not_round_tripped"] += bool(wrong)
    assert not wrong, f"{s!r}: " + "; ".join(wrong)


def api_reads(s: str, i: int) -> list[tuple[str, str, dict | None]]:
    """(method, url, json body) of every API read that takes the string as a value."""
    q, region = quote(s, safe=""), quote(region_of(i), safe="")
    return [
        ("GET", f"/nodes?q={q}&kind=Stage", None),
        ("GET", f"/nodes?region={q}", None),
        ("GET", f"/nodes/Stage/{q}", None),
        ("GET", f"/nodes/Region/{region}/neighbors?depth=2&only=Enterprise", None),
        ("GET", f"/paths?from={q}&to=px", None),
        ("GET", f"/paths?from=px&to={q}", None),
        ("GET", f"/regions/{q}/gaps", None),
        ("GET", f"/regions/{region}/gaps", None),
        ("GET", f"/compare?regions={region},shengze", None),
        ("GET", f"/bottlenecks?region={q}", None),
        ("GET", f"/bottlenecks?region={region}", None),
        ("GET", f"/centrality?metric=degree&region={region}", None),
        ("GET", f"/ties?institute={q}", None),
        ("POST", "/whatif", {"remove": [s], "region": region_of(i)}),
    ]


@pytest.mark.parametrize("i", range(len(INJECTIONS)))
def test_each_string_as_a_parameter_reads_and_changes_nothing(i, injected, figures):
    s, client = INJECTIONS[i], injected["client"]
    answers = []
    for method, url, body in api_reads(s, i):
        response = client.request(method, url, json=body)
        answers.append((method, url, response.status_code))
        tally(figures)["requests"] += 1
    env = injected["env"]
    for args in (["gaps", "--region", region_of(i)], ["gaps", "--region", s], ["bottlenecks", "--region", s], ["path", s, "px"]):
        result = CliRunner().invoke(cli, args, env=env)
        answers.append(("CLI", " ".join(args[:1]), 0 if result.exit_code == 0 else 404 if result.exit_code == 1 and result.output.startswith("Error: ") else 500))
    changed = fingerprint(injected["store"]) != injected["loaded"]
    tally(figures)["changed_graph"] += changed
    assert not changed, f"{s!r} changed the graph"
    assert all(status < 500 for *_, status in answers), [a for a in answers if a[-1] >= 500]
    # the string is found where it is (its own region, the enterprise's path to px), and nowhere else
    statuses = {url: status for _, url, status in answers}
    assert statuses[f"/regions/{quote(region_of(i), safe='')}/gaps"] == 200
    assert statuses[f"/nodes/Stage/{quote(s, safe='')}"] == 404  # an Enterprise id, not a Stage's


def test_the_whole_set_at_once_through_the_cli_changes_nothing(injected, figures):
    env = injected["env"]
    removable = [s for s in INJECTIONS if "," not in s]  # --remove also splits on commas
    result = CliRunner().invoke(cli, ["whatif", *[a for s in removable for a in ("--remove", s)], "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    assert {node["id"] for node in json.loads(result.output)["removed"]} == set(removable)
    result = CliRunner().invoke(cli, ["compare", *[region_of(i) for i in range(len(INJECTIONS))], "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    assert fingerprint(injected["store"]) == injected["loaded"]


@pytest.mark.parametrize("value", NOT_ALLOWED)
def test_labels_and_types_off_the_allow_list_are_refused_clearly(value, injected, figures):
    store, client, env = injected["store"], injected["client"], injected["env"]
    for call in (lambda: list(store.nodes([value])), lambda: list(store.relationships([value])),
                 lambda: store.search("x", label=value), lambda: neighbourhood_data(store, "px", 1, [value]),
                 lambda: store.incident(["px"], [value])):
        with pytest.raises(InvalidParameter, match="unknown"):
            call()
    for url in (f"/nodes?kind={quote(value)}", f"/centrality?metric=degree&kind={quote(value)}", f"/centrality?metric={quote(value)}",
                f"/centrality?metric=degree&graph={quote(value)}", f"/nodes/{quote(value, safe='')}/px",
                f"/nodes/Stage/px/neighbors?only={quote(value)}"):
        response = client.get(url)
        tally(figures)["requests"] += 1
        assert response.status_code == 422, (url, response.status_code, response.text)
        assert response.json()["error"]["type"] == "ValidationError"
    for args in (["search", "x", "--kind", value], ["centrality", "--kind", value], ["neighbors", "px", "--kind", value]):
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 1 and "Error: kind: unknown node kind" in result.output, (args, result.output)
    assert fingerprint(store) == injected["loaded"]
