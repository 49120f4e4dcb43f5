"""The chain panorama (产业链全景图) and the region × stage heat map: their payloads against counts
worked out here straight from the bundled CSV files, the CLI file and the API twin alike, bad
input refused in one line, names inert, and both pages in headless Chromium (boxes and cells
counted, no console error, screenshots into docs/)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph import views_data
from graph.analysis.gaps import gaps
from viz.pages import render

from . import hostile
from .conftest import TEXTILE

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs"


# -- the answers, from the CSV files alone ---------------------------------------------------------
def _rows(name: str) -> list[dict]:
    with open(TEXTILE / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def textile_csv() -> dict:
    """Per top-level stage: its tier, its group, its enterprises everywhere and in each region
    (a region counts the enterprises of its sub-regions), from the CSV files."""
    stages = {row["id"]: row for row in _rows("stages.csv")}

    def top(stage: str) -> str:
        while stages[stage]["parent"]:
            stage = stages[stage]["parent"]
        return stage

    parent = {row["id"]: row["parent"] for row in _rows("regions.csv")}

    def regions_above(region: str) -> set[str]:
        found = set()
        while region:
            found.add(region)
            region = parent.get(region, "")
        return found

    located = {row["id"]: row["region"] for row in _rows("enterprises.csv")}
    everywhere: dict[str, set[str]] = defaultdict(set)
    local: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _rows("enterprise_stages.csv"):
        stage = top(row["stage"])
        everywhere[stage].add(row["enterprise"])
        for region in regions_above(located[row["enterprise"]]):
            local[region, stage].add(row["enterprise"])
    tops = sorted(s for s in stages if not stages[s]["parent"])
    firms_located: dict[str, int] = defaultdict(int)
    for region in located.values():
        firms_located[region] += 1
    return {"stages": stages, "tops": tops, "everywhere": everywhere, "local": local, "located": firms_located}


def status(count: int, min_firms: int = 2) -> str:
    return "missing" if count == 0 else "weak" if count < min_firms else "present"


def boxes(payload: dict) -> list[tuple[str, dict]]:
    return [(column["column"], box) for column in payload["columns"] for group in column["groups"] for box in group["stages"]]


# -- panorama payload --------------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["shengze", "tianmen"])
def test_panorama_boxes_match_the_csv(textile_store, textile_csv, region):
    view = views_data.panorama_view(textile_store, region)
    drawn = boxes(view)
    assert sorted(box["stage"] for _, box in drawn) == textile_csv["tops"]  # 31 top-level stages, each once
    assert view["stages_drawn"] == len(textile_csv["tops"]) and view["omitted"] is None
    for column, box in drawn:
        row = textile_csv["stages"][box["stage"]]
        assert column == row["tier"]  # the data gives every stage a tier
        assert box["local_enterprises"] == len(textile_csv["local"][region, box["stage"]])
        assert box["national_enterprises"] == len(textile_csv["everywhere"][box["stage"]])
        assert box["status"] == status(box["local_enterprises"])
    # within a column, each of the data's groups once, holding exactly its stages
    for column in view["columns"]:
        names = [g["group"] for g in column["groups"]]
        assert len(names) == len(set(names))
        for group in column["groups"]:
            assert {textile_csv["stages"][b["stage"]]["group"] for b in group["stages"]} == {group["group"]}


def test_panorama_stages_per_column_and_status(textile_store, textile_csv):
    """Shengze: how many boxes each column holds in each status, counted from the CSV."""
    expected: dict[tuple[str, str], int] = defaultdict(int)
    for stage in textile_csv["tops"]:
        expected[textile_csv["stages"][stage]["tier"], status(len(textile_csv["local"]["shengze", stage]))] += 1
    found: dict[tuple[str, str], int] = defaultdict(int)
    for column, box in boxes(views_data.panorama_view(textile_store, "shengze")):
        found[column, box["status"]] += 1
    assert found == expected
    # hand-checked corners: 原油 has no Shengze firm; 机织 has 8 (with its two sub-stages); 拉链 none
    assert expected["upstream", "missing"] >= 1 and len(textile_csv["local"]["shengze", "weaving"]) == 8


def test_panorama_gap_kinds_are_the_gaps_report_s(textile_store):
    report = gaps(textile_store, "tianmen", min_firms=3)
    kinds = {g.stage: g.kind for g in report.gaps}
    view = views_data.panorama_view(textile_store, "tianmen", min_firms=3)
    assert {box["stage"]: box["gap"] for _, box in boxes(view)} == {row.stage: kinds.get(row.stage) for row in report.stages}
    summary: dict[str, int] = defaultdict(int)
    for _, box in boxes(view):
        summary[box["gap"] or box["status"]] += 1
    assert view["summary"] == dict(summary) and sum(summary.values()) == 31


def test_panorama_sub_stages_count_their_own_firms(textile_store, textile_csv):
    view = views_data.panorama_view(textile_store, "shengze")
    finishing = next(box for _, box in boxes(view) if box["stage"] == "finishing")
    direct: dict[str, set[str]] = defaultdict(set)
    for row in _rows("enterprise_stages.csv"):
        direct[row["stage"]].add(row["enterprise"])
    subs = sorted(s for s, row in textile_csv["stages"].items() if row["parent"] == "finishing")
    assert sorted(sub["stage"] for sub in finishing["sub_stages"]) == subs
    for sub in finishing["sub_stages"]:
        assert sub["national_enterprises"] == len(direct[sub["stage"]])


# -- heat map payload --------------------------------------------------------------------------------
def test_heatmap_default_rows_are_the_regions_holding_most_firms(textile_store, textile_csv):
    view = views_data.heatmap_view(textile_store)
    located = textile_csv["located"]
    expected = sorted(located, key=lambda r: (-located[r], r))[:20]
    assert [row["region"] for row in view["regions"]] == expected
    assert [row["enterprises"] for row in view["regions"]] == [located[r] for r in expected]
    assert view["omitted"] is None  # 12 regions hold enterprises, fewer than 20


def test_heatmap_cells_match_the_csv(textile_store, textile_csv):
    view = views_data.heatmap_view(textile_store, "shengze,tianmen,wuxi")
    assert [row["region"] for row in view["regions"]] == ["shengze", "tianmen", "wuxi"]
    assert sorted(s["stage"] for s in view["stages"]) == textile_csv["tops"]
    for row in view["regions"]:
        assert row["counts"] == [len(textile_csv["local"][row["region"], s["stage"]]) for s in view["stages"]]
        assert row["statuses"] == [status(c) for c in row["counts"]]
    assert view["max"] == max(c for row in view["regions"] for c in row["counts"])


def test_heatmap_cap_says_what_it_left_out(textile_store, textile_csv):
    view = views_data.heatmap_view(textile_store, top_regions=3)
    assert len(view["regions"]) == 3
    assert view["omitted"]["regions"] == len(textile_csv["located"]) - 3


# -- edges: CLI file = API twin; errors ------------------------------------------------------------
@pytest.fixture(scope="module")
def client(textile_db):
    with TestClient(create_app(Settings(store=str(textile_db)))) as client:
        yield client


@pytest.mark.parametrize("args, path, build", [
    (["panorama", "--region", "盛泽镇"], "/views/panorama?region=shengze",
     lambda s: views_data.panorama_view(s, "shengze")),
    (["panorama", "--region", "tianmen", "--min-firms", "3", "--scope", "region"], "/views/panorama?region=tianmen&min_firms=3&scope=region",
     lambda s: views_data.panorama_view(s, "tianmen", min_firms=3, scope="region")),
    (["heatmap"], "/views/heatmap", lambda s: views_data.heatmap_view(s)),
    (["heatmap", "--regions", "shengze,tianmen", "--min-firms", "1"], "/views/heatmap?regions=shengze,tianmen&min_firms=1",
     lambda s: views_data.heatmap_view(s, "shengze,tianmen", min_firms=1)),
])
def test_cli_file_and_api_twin_are_one_payload(client, textile_db, textile_store, tmp_path, args, path, build):
    output = tmp_path / "view.json"
    result = runner.invoke(cli, ["view", *args, "-o", str(output), "--store", str(textile_db)])
    assert result.exit_code == 0, result.output
    expected = json.loads(json.dumps(build(textile_store)))
    assert json.loads(output.read_text(encoding="utf-8")) == expected
    twin = client.get(path + ("&" if "?" in path else "?") + "format=json")
    assert twin.status_code == 200 and twin.json() == expected
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("args, path, message, code", [
    (["panorama", "--region", "atlantis"], "/views/panorama?region=atlantis", "unknown region 'atlantis'", 404),
    (["panorama", "--region", "shengze", "--min-firms", "0"], "/views/panorama?region=shengze&min_firms=0", "min_firms", 422),
    (["heatmap", "--regions", "atlantis"], "/views/heatmap?regions=atlantis", "unknown region 'atlantis'", 404),
    (["heatmap", "--top-regions", "21"], "/views/heatmap?top_regions=21", "top_regions", 422),
    (["heatmap", "--regions", ",".join(f"r{i}" for i in range(21))], "/views/heatmap?regions=" + ",".join(f"r{i}" for i in range(21)),
     "regions: give 1 to 20 regions, not 21", 422),
])
def test_bad_input_is_one_line_and_a_4xx(client, textile_db, tmp_path, args, path, message, code):
    output = tmp_path / "out.html"
    result = runner.invoke(cli, ["view", *args, "-o", str(output), "--store", str(textile_db)])
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1 and message in result.output
    assert not output.exists()
    page = client.get(path)
    assert page.status_code == code and "error" in page.text  # a page, or (refused by FastAPI before any view) the JSON error
    assert client.get(path + "&format=json").status_code == code


def test_view_commands_have_help_with_an_example():
    for command in ("panorama", "heatmap"):
        result = runner.invoke(cli, ["view", command, "--help"])
        assert result.exit_code == 0 and "Example: chainx view " + command in result.output


def test_hostile_names_stay_text(hostile_store):
    for payload in (views_data.panorama_view(hostile_store, "town"), views_data.heatmap_view(hostile_store)):
        html = render(payload, base="/views")
        for text in hostile.PAYLOADS:
            assert text.strip() not in html
        assert "<script" not in html.split("</head>", 1)[1]  # static: no script in the body at all


# -- in the browser ----------------------------------------------------------------------------------
def _shot(page, name: str) -> None:
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("source", ["cli", "api"])
def test_panorama_in_the_browser(visit, textile_db, textile_store, textile_server, tmp_path, source):
    view = views_data.panorama_view(textile_store, "shengze")
    if source == "cli":
        output = tmp_path / "panorama.html"
        assert runner.invoke(cli, ["view", "panorama", "--region", "shengze", "-o", str(output), "--store", str(textile_db)]).exit_code == 0
        url = output.as_uri()
    else:
        url = textile_server.url + "/views/panorama?region=shengze"
    page = visit(url, networks=False)
    assert page.blocked == [] and page.errors == []
    assert page.page.locator(".pano-column").count() == len(view["columns"]) == 4
    assert page.page.locator(".pano-box").count() == 31
    assert page.page.locator(".pano-sub").count() == sum(len(b["sub_stages"]) for _, b in boxes(view))
    weaving = page.page.locator('.pano-box[data-stage="weaving"]').inner_text()
    assert "机织" in weaving and "本地 8" in weaving
    if source == "api":
        _shot(page.page, "panorama-shengze")


@pytest.mark.browser
def test_heatmap_in_the_browser(visit, textile_server, textile_store):
    view = views_data.heatmap_view(textile_store)
    page = visit(textile_server.url + "/views/heatmap", networks=False)
    assert page.blocked == [] and page.errors == []
    assert page.page.locator("#heatmap tbody tr").count() == len(view["regions"]) == 12
    assert page.page.locator("#heatmap td.heat-cell").count() == 12 * 31
    first = page.page.locator('#heatmap tr[data-region="shengze"] td.heat-cell').all_inner_texts()
    assert [int(t) if t else 0 for t in first] == view["regions"][0]["counts"]
    _shot(page.page, "heatmap-textile")


# -- on Neo4j ------------------------------------------------------------------------------------------
@pytest.mark.neo4j
def test_the_same_payloads_on_neo4j(neo4j_store, textile_store):
    from loaders.pipeline import load_path

    load_path(neo4j_store, TEXTILE)
    for build in (lambda s: views_data.panorama_view(s, "shengze"), lambda s: views_data.heatmap_view(s, top_regions=5)):
        assert json.loads(json.dumps(build(neo4j_store))) == json.loads(json.dumps(build(textile_store)))


def test_heatmap_rows_link_to_each_region_s_panorama(client):
    page = client.get("/views/heatmap?regions=shengze,tianmen").text
    assert 'href="/views/panorama?region=shengze"' in page and 'href="/views/panorama?region=tianmen"' in page
    assert client.get("/views/panorama?region=shengze").status_code == 200


def test_heatmap_default_rows_leave_out_placeholder_regions():
    from graph.model import GraphData, Node, Relationship
    from graph.store.sqlite import SqliteStore

    # three firms in the placeholder country an importer made, one in a real town
    store = SqliteStore(":memory:", create=True)
    firms = [Node("Enterprise", f"n{i}", f"全国{i}", {"region": "cn"}) for i in range(3)] + [Node("Enterprise", "t", "镇企", {"region": "sz"})]
    store.write(GraphData(
        nodes=[Node("Region", "cn", "中国", {"placeholder": "yes"}), Node("Region", "sz", "盛泽镇"), Node("Stage", "weave", "织造"), *firms],
        relationships=[Relationship("OPERATES_IN", f.id, "weave") for f in firms] + [Relationship("LOCATED_IN", f.id, f.props["region"]) for f in firms]))
    assert [row["region"] for row in views_data.heatmap_view(store)["regions"]] == ["sz"]
