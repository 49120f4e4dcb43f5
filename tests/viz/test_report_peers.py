"""The briefing's comparison with chosen peer regions and its chain map picture (issue 17 item 3),
on data/textile: the peer table is the compare report's rows (checked against each region's own
gaps report for the "busiest stages" cut), the picture has one box per stage of the scope in its
status colour, the same from the CLI and the API; the .docx keeps the panorama table."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import docx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph.analysis.briefing import briefing
from graph.analysis.gaps import gaps
from graph.store.sqlite import SqliteStore
from tests.viz.test_report import parsed
from viz.pages import STATUS_STYLE
from viz.report import MAP_COLOURS, document

SVG = "{http://www.w3.org/2000/svg}"
PEERS = ["shengze", "wujiang"]
STATUS_ZH = {"present": "具备", "weak": "薄弱", "missing": "缺失"}  # brief.status_* in graph/i18n.py


@pytest.fixture(scope="module")
def api(textile_db):
    with TestClient(create_app(Settings(store=str(textile_db))), base_url="http://localhost") as client:
        yield client


@pytest.fixture(scope="module")
def own_gaps(textile_db):
    """Each region's own gaps report: its stages, statuses and local counts on the same chain."""
    with SqliteStore(textile_db) as store:
        return {r: gaps(store, r) for r in ["tianmen", *PEERS]}


@pytest.fixture(scope="module")
def report(textile_db):
    with SqliteStore(textile_db) as store:
        return briefing(store, "tianmen", peers=PEERS, lang="zh")


@pytest.fixture(scope="module")
def cli_html(textile_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("peers") / "tianmen.html"
    # a name (盛泽镇) and an id (wujiang), resolved like every region
    result = CliRunner().invoke(cli, ["report", "--region", "tianmen", "--peers", "盛泽镇,wujiang", "--lang", "zh", "-o", str(out),
                                      "--store", str(textile_db)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def _peer_table(blocks):
    at = next(i for i, b in enumerate(blocks) if b.kind == "h2" and b.text == "与对标地区比较")
    return next(b for b in blocks[at:] if b.kind == "table")


def test_the_peer_section_is_each_region_s_status_and_count_on_the_busiest_stages(report, own_gaps):
    table = _peer_table(document(report, date="2026-12-04"))
    assert table.headers[2:] == ["天门市", "盛泽镇", "吴江区"]
    # by hand from the three gaps reports: the 10 stages with the most enterprises of the three together, in chain order
    order = [row.stage for row in own_gaps["tianmen"].stages]
    cells = {r: {row.stage: row for row in own_gaps[r].stages} for r in own_gaps}
    together = {s: sum(cells[r][s].local_enterprises for r in cells) for s in order}
    *rows, last = table.rows
    listed = [row[0] for row in rows]
    # 10 rows in chain order, none with fewer enterprises than a stage left out (a tie at the cut goes either way)
    assert len(listed) == 10 and listed == [s for s in order if s in listed]
    assert min(together[s] for s in listed) >= max(together[s] for s in order if s not in listed)
    for row in rows:
        assert row[2:] == [f"{STATUS_ZH[cells[r][row[0]].status]} ({cells[r][row[0]].local_enterprises})" for r in cells]
    assert last == ["完整度", "", *(f"{own_gaps[r].completeness:.1%}" for r in cells)]
    assert report.peers.regions == ["tianmen", *PEERS] and report.parameters["peers"] == "shengze,wujiang"


def test_without_peers_there_is_no_peer_section(textile_db):
    with SqliteStore(textile_db) as store:
        plain = briefing(store, "tianmen", lang="zh")
    assert plain.peers is None and "与对标地区比较" not in [b.text for b in document(plain, date="2026-12-04")]


def _svg(html: str) -> ET.Element:
    (markup,) = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    return ET.fromstring(markup)


def test_the_chain_map_has_one_box_per_stage_in_its_status_colour(cli_html, own_gaps):
    svg = _svg(cli_html)
    boxes = {g.get("data-stage"): g for g in svg.iter(f"{SVG}g") if g.get("class") == "stage"}
    stages = own_gaps["tianmen"].stages
    assert sorted(boxes) == sorted(row.stage for row in stages) and len(boxes) == own_gaps["tianmen"].counts.stages == 31
    for row in stages:
        rect = boxes[row.stage].find(f"{SVG}rect")
        assert rect.get("fill") == MAP_COLOURS[row.status] and boxes[row.stage].get("data-status") == row.status
    # the chain view's colours: present, strengthen (weak), break (missing)
    assert MAP_COLOURS == {"present": STATUS_STYLE["present"][0], "weak": STATUS_STYLE["strengthen"][0], "missing": STATUS_STYLE["break"][0]}
    arrows = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "feeds"]
    assert arrows and all(line.get("marker-end") == "url(#arrow)" for line in arrows)


def test_the_chain_map_places_upstream_left_of_downstream(report):
    placed = {s.stage: s for s in report.chain_map.stages}
    main = [(u, v) for u, v in report.chain_map.links if placed[u].band == placed[v].band == "main"]
    assert main and all(placed[u].column < placed[v].column for u, v in main if (v, u) not in report.chain_map.links)
    assert placed["cotton"].column == 0 and placed["garments"].column > placed["weaving"].column


def test_the_api_gives_what_the_cli_writes(api, cli_html):
    response = api.get("/regions/tianmen/report", params={"peers": "shengze,吴江区", "lang": "zh"})
    assert response.status_code == 200
    assert parsed(response.text).by_tag == parsed(cli_html).by_tag
    body = api.get("/regions/tianmen/report", params={"peers": "shengze,wujiang", "format": "json"}).json()
    assert body["peers"]["regions"] == ["tianmen", *PEERS] and len(body["chain_map"]["stages"]) == 31


def test_the_docx_has_the_peer_table_and_keeps_the_panorama_table(api, report):
    response = api.get("/regions/tianmen/report", params={"peers": "shengze,wujiang", "lang": "zh", "format": "docx"})
    document_ = docx.Document(io.BytesIO(response.content))
    (table,) = [t for t in document_.tables if [c.text for c in t.rows[0].cells][2:] == ["天门市", "盛泽镇", "吴江区"]]
    assert [row.cells[0].text for row in table.rows[1:-1]] == [row.stage for row in report.peers.stages]
    assert any(t.rows[0].cells[0].text == "状态" for t in document_.tables)  # the shaded panorama, in place of the picture
    assert len(document_.inline_shapes) == 0


def test_the_workbook_has_a_peers_sheet(api, report):
    book = load_workbook(io.BytesIO(api.get("/regions/tianmen/report", params={"peers": "shengze,wujiang", "format": "xlsx"}).content))
    assert [row[0] for row in book["peers"].iter_rows(min_row=2, values_only=True)] == [row.stage for row in report.peers.stages]


def test_bad_peers_are_refused_alike_at_both_edges(api, textile_db, tmp_path):
    out = tmp_path / "x.html"

    def cli_error(peers: str) -> str:
        result = CliRunner().invoke(cli, ["report", "--region", "tianmen", "--peers", peers, "-o", str(out), "--store", str(textile_db)])
        assert result.exit_code == 1 and not out.exists()
        return result.output.strip()

    def api_error(peers: str) -> tuple[int, str]:
        response = api.get("/regions/tianmen/report", params={"peers": peers})
        return response.status_code, response.json()["error"]["message"]

    said = "unknown peer region 'shengzx'; did you mean 盛泽镇 (shengze)?"
    assert cli_error("shengzx") == f"Error: {said}" and api_error("shengzx") == (404, said)
    said = "peers: each peer once, and not the region itself: tianmen"
    assert cli_error("shengze,tianmen") == f"Error: {said}" and api_error("shengze,tianmen") == (422, said)
    eleven = ",".join(["shengze"] * 11)
    said = "peers: give 1 to 10 peers, not 11"
    assert cli_error(eleven) == f"Error: {said}" and api_error(eleven) == (422, said)
