"""The controls every graph page shares, in headless Chromium with the network blocked: search,
facet filters, the legend (drawn from the nodes' own style table, and toggling it), expand in
place (from the page's data, and from the API when served), links to each node's ego view,
the "top N per kind" slider and the PNG / SVG download of the drawing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from graph import views_data
from graph.analysis.paths import neighbors
from viz.pages import STATUS_TEXT, TOP_PER_KIND

from .test_browser import assert_clean, write_with_cli

pytestmark = pytest.mark.browser

NODES = """() => window.chainx.networks[0].nodes.get().map(n => ({id: n.id, cls: n.cls, shapeCls: n.shapeCls || null,
    shape: n.shape, color: n.color.background, hidden: !!n.hidden}))"""
VISIBLE = "() => window.chainx.networks[0].nodes.get({filter: n => !n.hidden}).map(n => n.id)"
LEGEND = """() => Array.from(document.querySelectorAll('#legend li[data-key]')).map(li => ({key: li.dataset.key,
    shape: li.dataset.shape || null, color: li.dataset.color || null, swatch: li.querySelector('.swatch').className}))"""


def assert_drawn_as_legend(nodes: list[dict], legend: dict) -> None:
    """Every node's class is in the legend, drawn with the shape and colour its entry shows (an
    entry naming only one of them, when a page tells two classes by colour and by shape)."""
    for node in nodes:
        for key in filter(None, (node["cls"], node["shapeCls"])):
            item = legend[key]
            assert item["shape"] or item["color"], item
            if item["shape"]:
                assert node["shape"] == item["shape"], (node, item)
                assert item["shape"] in item["swatch"].split()
            if item["color"]:
                assert node["color"] == item["color"], (node, item)


def at(page, node_id: str) -> tuple[float, float]:
    """Where a node is drawn, in page coordinates."""
    return page.page.evaluate(
        """id => { const net = window.chainx.networks[0].network;
                   net.focus(id, {scale: 1, animation: false});
                   const at = net.canvasToDOM(net.getPosition(id));
                   const box = net.body.container.getBoundingClientRect();
                   return [box.left + at.x, box.top + at.y]; }""",
        node_id,
    )


# -- search ------------------------------------------------------------------------------------
def test_search_finds_by_name_id_and_alias(visit, textile_server):
    page = visit(textile_server.url + "/views/ego/stage/crude_oil")
    for text, expected in (("对二甲苯", "px"), ("px", "px"), ("paraxylene", "px"), ("原油", "crude_oil")):
        page.page.fill("#chainx-search", text)
        page.page.press("#chainx-search", "Enter")
        assert page.page.evaluate("() => window.chainx.found") == expected, text
        assert page.page.evaluate("() => window.chainx.networks[0].network.getSelectedNodes()") == [expected]
        assert page.page.inner_text("#details").startswith(("对二甲苯 (px)", "原油 (crude_oil)"))
    page.page.fill("#chainx-search", "no such thing 不存在")
    page.page.click("#chainx-search-go")
    assert page.page.evaluate("() => window.chainx.found") is None
    assert "未找到" in page.page.inner_text("#chainx-search-result")
    assert_clean(page, "search")


# -- facet filters -----------------------------------------------------------------------------
def test_status_and_tier_filters_keep_the_matching_stages(visit, textile_server, textile_store):
    payload = views_data.chain_view(textile_store, "tianmen")
    page = visit(textile_server.url + "/views/chain?region=tianmen")
    # only the facets the page has data for: a chain map has no region facet
    facets = page.page.eval_on_selector_all("#controls select[data-facet]", "els => els.map(e => e.dataset.facet)")
    assert "region" not in facets and {"status", "tier"} <= set(facets)
    page.page.select_option("#chainx-facet-status", STATUS_TEXT["missing"])
    assert set(page.page.evaluate(VISIBLE)) == {s["stage"] for s in payload["stages"] if s["status"] == "missing"}
    page.page.select_option("#chainx-facet-tier", "upstream")
    assert set(page.page.evaluate(VISIBLE)) == {s["stage"] for s in payload["stages"] if s["status"] == "missing" and s["tier"] == "upstream"}
    page.page.select_option("#chainx-facet-status", "")
    page.page.select_option("#chainx-facet-tier", "")
    assert len(page.page.evaluate(VISIBLE)) == len(payload["stages"])
    assert_clean(page, "filters")


def test_ties_filter_regions_by_name_and_name_communities_by_hubs(visit, textile_server, textile_store):
    names = {n.id: n.name for n in textile_store.nodes(["Region"])}
    payload = views_data.ties_view(textile_store)
    page = visit(textile_server.url + "/views/ties")
    labels = page.page.eval_on_selector_all("#legend li[data-key^='community:']", "els => els.map(e => e.textContent)")
    for community, hubs in payload["community_hubs"].items():
        members = sorted((n for n in payload["nodes"] if str(n["community"]) == community), key=lambda n: (-n["ties"], n["id"]))
        assert hubs == [n["name"] for n in members[:2]]
        assert any(all(h in label for h in hubs) for label in labels)
    options = page.page.eval_on_selector_all("#chainx-facet-region option", "els => els.map(e => e.value).filter(Boolean)")
    assert set(options) == {names[n["region"]] for n in payload["nodes"] if n.get("region")}
    page.page.select_option("#chainx-facet-region", names["shengze"])
    assert set(page.page.evaluate(VISIBLE)) == {n["id"] for n in payload["nodes"] if n.get("region") == "shengze"}


# -- the legend is the drawing -------------------------------------------------------------------
LEGEND_PAGES = {
    "chain": "/views/chain?region=shengze",
    "ego-region": "/views/ego/region/shengze",
    "ties": "/views/ties",
    "bottlenecks": "/views/bottlenecks",
    "related": "/views/related?region=shengze",
}


@pytest.mark.parametrize("name", list(LEGEND_PAGES))
def test_legend_matches_the_drawing(name, visit, textile_server):
    page = visit(textile_server.url + LEGEND_PAGES[name])
    legend = {item["key"]: item for item in page.page.evaluate(LEGEND)}
    nodes = page.page.evaluate(NODES)
    assert nodes and legend
    assert_drawn_as_legend(nodes, legend)
    assert_clean(page, name)


def test_star_and_square_swatches_differ(visit, textile_server):
    """Region is drawn as a star: its swatch is cut to a star, the institute's stays square."""
    page = visit(textile_server.url + "/views/ego/region/shengze")
    clip = page.page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('#legend li[data-key]'))
        .map(li => [li.dataset.key, getComputedStyle(li.querySelector('.swatch')).clipPath]))""")
    assert clip["kind:Region"].startswith("polygon(") and clip["kind:Institute"] == "none"


def test_legend_entry_toggles_its_class(visit, textile_server):
    page = visit(textile_server.url + "/views/ego/enterprise/e_hengli_group?depth=2")
    nodes = page.page.evaluate(NODES)
    assert_drawn_as_legend(nodes, {item["key"]: item for item in page.page.evaluate(LEGEND)})
    page.page.click("#legend li[data-key='kind:Enterprise']")
    assert set(page.page.evaluate(VISIBLE)) == {n["id"] for n in nodes if n["cls"] != "kind:Enterprise"}
    assert "off" in page.page.get_attribute("#legend li[data-key='kind:Enterprise']", "class")
    page.page.click("#legend li[data-key='kind:Enterprise']")
    assert len(page.page.evaluate(VISIBLE)) == len(nodes)
    assert_clean(page, "toggle")


# -- expand in place -----------------------------------------------------------------------------
def test_expand_from_the_api_adds_the_neighbours(visit, textile_server, textile_store):
    payload = views_data.ego_view(textile_store, "weaving")
    drawn = {n["id"] for n in payload["nodes"]}
    # a neighbour of the centre with neighbours of its own the page does not draw
    target = next(n["id"] for n in payload["nodes"] if n["distance"] == 1 and
                  {m["id"] for m in neighbors(textile_store, n["id"], limit=50).to_dict()["nodes"]} - drawn)
    expected = drawn | {m["id"] for m in neighbors(textile_store, target, limit=50).to_dict()["nodes"]}
    page = visit(textile_server.url + "/views/ego/stage/weaving")
    x, y = at(page, target)
    page.page.mouse.dblclick(x, y)
    page.page.wait_for_selector("body[data-expanded='1']", state="attached", timeout=10_000)
    assert {n["id"] for n in page.page.evaluate(NODES)} == expected
    # each added node links to its own ego view
    kinds = {m["id"]: m["kind"] for m in neighbors(textile_store, target, limit=50).to_dict()["nodes"]}
    links = page.page.evaluate("ids => ids.map(id => window.chainx.networks[0].nodes.get(id).links[0].href)", sorted(expected - drawn))
    assert links == [f"/views/ego/{kinds[i].lower()}/{i}" for i in sorted(expected - drawn)]
    # the added nodes are drawn in their kind's style, which the legend shows
    assert_drawn_as_legend(page.page.evaluate(NODES), {item["key"]: item for item in page.page.evaluate(LEGEND)})
    assert_clean(page, "expand")


def test_expand_in_a_file_uses_the_pages_own_data(visit, textile_db, textile_store, tmp_path):
    payload = views_data.chain_view(textile_store, "shengze")
    stage = next(s["stage"] for s in payload["stages"] if any(link["source"] == s["stage"] for link in payload["links"]))
    around = {stage} | {link["target"] for link in payload["links"] if link["source"] == stage} | {link["source"] for link in payload["links"] if link["target"] == stage}
    page = visit(write_with_cli(textile_db, tmp_path, ["chain", "--region", "shengze"], "chain"))
    for li in page.page.locator("#legend li[data-key]").all():
        li.click()
    assert page.page.evaluate(VISIBLE) == []
    assert page.page.evaluate("id => window.chainx.expand(id)", stage) == 0  # nothing fetched in a file
    assert set(page.page.evaluate(VISIBLE)) == around
    assert_clean(page, "expand in a file")


# -- links to ego views --------------------------------------------------------------------------
def test_gap_details_link_the_stage_firms_and_candidates(visit, textile_server, textile_store):
    payload = views_data.chain_view(textile_store, "tianmen")
    stage = next(s for s in payload["stages"] if s["gap"] and s["gap"]["candidates"])
    candidate = stage["gap"]["candidates"][0]
    page = visit(textile_server.url + "/views/chain?region=tianmen")
    x, y = at(page, stage["stage"])
    page.page.mouse.click(x, y)
    hrefs = page.page.eval_on_selector_all("#details-links a", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs[0] == f"/views/ego/stage/{stage['stage']}"
    assert {f"/views/ego/enterprise/{e['id']}" for e in stage["enterprises"][:15]} <= set(hrefs)
    assert f"/views/ego/enterprise/{candidate['enterprise']}" in hrefs
    # the candidate's region by name in the tooltip, not its id
    assert f"({candidate['region_name']})" in page.page.evaluate("id => window.chainx.networks[0].nodes.get(id).title", stage["stage"])
    page.page.click(f"#details-links a[href='/views/ego/enterprise/{candidate['enterprise']}']")
    page.page.wait_for_selector("body.view-ego[data-ready]", state="attached", timeout=30_000)
    assert page.page.evaluate("() => window.chainx.networks[0].nodes.get().length") > 1
    assert_clean(page, "ego links")


def test_file_pages_give_the_command_of_each_ego_view(visit, textile_db, tmp_path):
    page = visit(write_with_cli(textile_db, tmp_path, ["ties"], "ties"))
    x, y = at(page, "i_soochow_university")
    page.page.mouse.click(x, y)
    assert page.page.locator("#details-links a").count() == 0
    assert page.page.inner_text("#details-links code") == "chainx view ego i_soochow_university -o ego-i_soochow_university.html"


# -- bottlenecks' slider ---------------------------------------------------------
def test_bottlenecks_start_with_the_top_of_each_kind(visit, textile_server, textile_store):
    payload = views_data.bottlenecks_view(textile_store)
    page = visit(textile_server.url + "/views/bottlenecks")
    flagged = {}
    for node in payload["nodes"]:
        for flag in node["flags"]:
            flagged.setdefault(flag["kind"], []).append((-(flag.get("score") or 0), node["id"]))
    top = {node_id for items in flagged.values() for _, node_id in sorted(items)[:TOP_PER_KIND]}
    every_flagged = {node_id for items in flagged.values() for _, node_id in items}
    assert set(page.page.evaluate(VISIBLE)) == {n["id"] for n in payload["nodes"]} - (every_flagged - top)
    most = max(len(items) for items in flagged.values())
    page.page.fill("#chainx-top", str(most))
    assert len(page.page.evaluate(VISIBLE)) == len(payload["nodes"])
    assert_clean(page, "top per kind")


# -- pictures ------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["cli", "api"])
def test_download_png_and_svg_of_the_drawing(source, visit, textile_server, textile_db, tmp_path):
    # a file of one panel; a served page of two (the PNG stacks them as the page does)
    url = (write_with_cli(textile_db, tmp_path, ["chain", "--region", "shengze"], "chain") if source == "cli"
           else textile_server.url + "/views/compare?regions=shengze,tianmen")
    page = visit(url)
    with page.page.expect_download() as info:
        page.page.click("#chainx-png")
    png = tmp_path / "map.png"
    info.value.save_as(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    sizes = page.page.evaluate("() => window.chainx.networks.map(n => [n.network.canvas.frame.canvas.width, n.network.canvas.frame.canvas.height])")
    # IHDR: width and height, big-endian, after the signature, the chunk's length and its type
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (max(w for w, _ in sizes), sum(h for _, h in sizes))
    with page.page.expect_download() as info:
        page.page.click("#chainx-svg")
    svg = tmp_path / "map.svg"
    info.value.save_as(svg)
    root = ET.parse(svg).getroot()
    visible = page.page.evaluate(VISIBLE)
    labels = page.page.evaluate("() => window.chainx.networks[0].nodes.get({filter: n => !n.hidden}).map(n => n.label)")
    assert len(root.findall("{http://www.w3.org/2000/svg}circle")) == len(visible)
    assert sorted(t.text for t in root.findall("{http://www.w3.org/2000/svg}text")) == sorted(labels)
    assert_clean(page, "download")


# -- hostile names in the controls ---------------------------------------------------------------
def test_hostile_names_in_links_search_and_filters_stay_text(visit, hostile_server):
    from . import hostile

    page = visit(hostile_server.url + "/views/chain?region=town")
    x, y = at(page, "fibre")
    page.page.mouse.click(x, y)
    names = page.page.eval_on_selector_all("#details-links a", "els => els.map(e => e.textContent)")
    assert names[0] == hostile.IMG and hostile.IMG in names  # the stage, and e_xss operating in it
    assert page.page.locator("#details-links img, #details-links script").count() == 0
    page.page.fill("#chainx-search", hostile.IMG)
    page.page.press("#chainx-search", "Enter")
    assert page.page.evaluate("() => window.chainx.found") == "fibre"
    assert page.page.inner_text("#chainx-search-result") == hostile.IMG
    assert page.page.evaluate("() => window.__xss") is None
    assert page.page.locator("img, iframe, svg").count() == 0
    assert_clean(page, "hostile controls")
