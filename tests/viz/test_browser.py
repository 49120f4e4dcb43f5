"""Every view in headless Chromium, written by the CLI and served by the API: it loads with the
network blocked, holds the expected nodes and edges, logs no JavaScript error, keeps hostile
names inert and literal, and leaves a screenshot in tests/artifacts/viz/."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph import views_data
from graph.analysis.bottlenecks import bottlenecks
from graph.store.sqlite import SqliteStore
from viz.pages import render

from . import big, hostile
from .conftest import ARTIFACTS
from .expected import bottleneck_counts, chain_counts, ego_counts, related_space, ties_counts

pytestmark = pytest.mark.browser

runner = CliRunner()


def write_with_cli(db: Path, folder: Path, args: list[str], name: str) -> str:
    output = folder / f"{name}.html"
    result = runner.invoke(app, ["view", *args, "-o", str(output), "--store", str(db)])
    assert result.exit_code == 0, result.output
    return output.as_uri()


def assert_clean(visit, name: str) -> None:
    assert visit.blocked == [], f"{name} tried to reach the network: {visit.blocked}"
    assert visit.errors == [], f"{name} logged errors: {visit.errors}"


# name: (CLI arguments, API path, expected [nodes, edges] of each network on the page)
TEXTILE_VIEWS = {
    "chain-shengze": (["chain", "--region", "shengze"], "/views/chain?region=shengze", lambda s: [chain_counts(s)]),
    "chain-tianmen": (["chain", "--region", "tianmen"], "/views/chain?region=tianmen", lambda s: [chain_counts(s)]),
    "compare": (["compare", "--regions", "shengze,tianmen"], "/views/compare?regions=shengze,tianmen", lambda s: [chain_counts(s)] * 2),
    "ego-hengli": (["ego", "e_hengli_group", "--depth", "2"], "/views/ego/enterprise/e_hengli_group?depth=2", lambda s: [ego_counts(s, "e_hengli_group", 2)]),
    "ego-weaving": (["ego", "weaving"], "/views/ego/stage/weaving", lambda s: [ego_counts(s, "weaving", 1)]),
    "ties": (["ties"], "/views/ties", lambda s: [ties_counts(s)]),
    "ties-donghua": (["ties", "--institute", "i_donghua_university"], "/views/ties?institute=i_donghua_university", lambda s: [ties_counts(s, "i_donghua_university")]),
    "bottlenecks": (["bottlenecks"], "/views/bottlenecks", lambda s: [bottleneck_counts(s, bottlenecks(s).to_dict(), None)]),
    "bottlenecks-tianmen": (["bottlenecks", "--region", "tianmen"], "/views/bottlenecks?region=tianmen", lambda s: [bottleneck_counts(s, bottlenecks(s, "tianmen").to_dict(), "tianmen")]),
    "related-shengze": (["related", "--region", "shengze"], "/views/related?region=shengze",
                        lambda s: [[len(related_space(s, "shengze")[0]), related_space(s, "shengze")[2]]]),
}


@pytest.mark.parametrize("source", ["cli", "api"])
@pytest.mark.parametrize("view", list(TEXTILE_VIEWS))
def test_textile_view(view, source, visit, textile_db, textile_store, textile_server, tmp_path):
    args, path, expected = TEXTILE_VIEWS[view]
    url = write_with_cli(textile_db, tmp_path, args, view) if source == "cli" else textile_server.url + path
    page = visit(url)
    assert page.networks() == expected(textile_store)
    assert_clean(page, view)
    # the legend is on the page, and the Chinese title came through as text
    assert page.page.locator("#legend li").count() >= 4
    assert re.search(r"[\u4e00-\u9fff]", page.page.inner_text("#title"))
    page.shot(f"{view}-{source}", full_page=view == "compare")


def test_chain_map_tooltip_lists_enterprises_and_candidates(visit, textile_server, textile_store):
    """Hovering a gap of Tianmen's map shows its candidates; a present stage its local firms."""
    from graph.analysis.gaps import gaps

    report = gaps(textile_store, "tianmen").to_dict()
    gap = report["gaps"][0]
    page = visit(textile_server.url + "/views/chain?region=tianmen")
    tooltip = hover(page, gap["stage"])
    assert gap["candidates"] and gap["candidates"][0]["name"] in tooltip
    present = next(s for s in report["stages"] if s["status"] == "present")
    tooltip = hover(page, present["stage"])
    assert f"({present['local_enterprises']})" in tooltip


def hover(page, node_id: str) -> str:
    """Move the mouse onto a node and return the tooltip vis-network shows."""
    x, y = page.page.evaluate(
        """id => { const net = window.chainx.networks[0].network;
                   const at = net.canvasToDOM(net.getPosition(id));
                   const box = net.body.container.getBoundingClientRect();
                   return [box.left + at.x, box.top + at.y]; }""",
        node_id,
    )
    page.page.mouse.move(x - 30, y - 30)
    page.page.mouse.move(x, y, steps=5)
    tooltip = page.page.locator("div.vis-tooltip")
    tooltip.wait_for(state="visible", timeout=5000)
    return tooltip.inner_text()


# -- hostile names ---------------------------------------------------------------------------------
# name: (CLI arguments, API path, expected networks, payloads that must show as text)
HOSTILE_VIEWS = {
    "chain": (["chain", "--region", "town"], "/views/chain?region=town", lambda s: [chain_counts(s)], [hostile.ATTR, hostile.COMMENT, hostile.IMG2]),
    "compare": (["compare", "--regions", "town,other"], "/views/compare?regions=town,other", lambda s: [chain_counts(s)] * 2, [hostile.ATTR, hostile.CLOSER]),
    "ego": (["ego", "e_xss", "--depth", "2"], "/views/ego/enterprise/e_xss?depth=2", lambda s: [ego_counts(s, "e_xss", 2)], [hostile.IMG]),
    "ties": (["ties"], "/views/ties", lambda s: [ties_counts(s)], [hostile.INSTITUTE, hostile.STYLE]),
    "bottlenecks": (["bottlenecks", "--region", "town"], "/views/bottlenecks?region=town", lambda s: [bottleneck_counts(s, bottlenecks(s, "town").to_dict(), "town")], [hostile.IMG]),
}

# Labels drawn on the canvas: the DataSet must hold each name exactly as written.
CANVAS_LABELS = {"e_xss": hostile.IMG, "e3": hostile.QUOTE, "e5": hostile.IMG2, "i1": hostile.INSTITUTE, "fibre": hostile.IMG, "spin": hostile.CLOSER, "dye": hostile.COMMENT}

SENTINELS = """() => ({
    xss: window.__xss,
    planted: document.querySelectorAll('img, iframe, svg, b, body style').length,
    foreign_scripts: document.querySelectorAll('script:not([nonce]):not([type="application/json"])').length,
    labels: window.chainx ? Object.fromEntries(window.chainx.networks.flatMap(n => n.nodes.get()).map(n => [n.id, n.label])) : {},
})"""


def assert_inert(page, shown: list[str]) -> None:
    state = page.page.evaluate(SENTINELS)
    assert state["xss"] is None, "a payload ran"
    assert state["planted"] == 0, "a payload became an element"
    assert state["foreign_scripts"] == 0
    text = page.text() + "\n".join(page.page.eval_on_selector_all("option", "els => els.map(e => e.textContent)"))
    for payload in shown:
        assert payload.strip() in text, f"{payload!r} is not shown as text"
    for node_id, label in CANVAS_LABELS.items():
        if node_id in state["labels"]:
            assert state["labels"][node_id].endswith(label.strip())


@pytest.mark.parametrize("source", ["cli", "api"])
@pytest.mark.parametrize("view", list(HOSTILE_VIEWS))
def test_hostile_names_stay_text(view, source, visit, hostile_db, hostile_store, hostile_server, tmp_path):
    args, path, expected, shown = HOSTILE_VIEWS[view]
    url = write_with_cli(hostile_db, tmp_path, args, view) if source == "cli" else hostile_server.url + path
    page = visit(url)
    assert page.networks() == expected(hostile_store)
    assert_clean(page, view)
    assert_inert(page, shown)
    if source == "api":
        page.shot(f"hostile-{view}")


@pytest.mark.parametrize("view", list(HOSTILE_VIEWS))
def test_hostile_names_stay_text_without_the_csp(view, visit, hostile_db, tmp_path, browser_context):
    """The escaping alone keeps payloads inert: the same page with its Content-Security-Policy
    removed runs nothing either."""
    args, _, _, shown = HOSTILE_VIEWS[view]
    html = Path(write_with_cli(hostile_db, tmp_path, args, view)[len("file://"):]).read_text(encoding="utf-8")
    stripped, removed = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    assert removed == 1
    bare = tmp_path / f"{view}-no-csp.html"
    bare.write_text(stripped, encoding="utf-8")
    page = visit(bare.as_uri())
    assert_clean(page, view)
    assert_inert(page, shown)


def test_hostile_tooltip_and_details_are_text(visit, hostile_server):
    page = visit(hostile_server.url + "/views/ego/enterprise/e_xss")
    tooltip = hover(page, "e_xss")
    assert hostile.IMG in tooltip and hostile.SCRIPT in tooltip  # the name and its English name
    assert page.page.locator("div.vis-tooltip *:not(br)").count() == 0  # innerText turns newlines into <br>
    page.page.mouse.down()
    page.page.mouse.up()
    details = page.page.locator("#details")
    assert hostile.IMG in details.inner_text()
    assert details.locator("*").count() == 0
    assert page.xss() is None
    assert_clean(page, "ego tooltip")


# -- index and search ------------------------------------------------------------------------------
def test_index_links_every_view_and_searches(visit, textile_server, textile_store):
    page = visit(textile_server.url + "/", networks=False)
    assert_clean(page, "index")
    regions = [n.id for n in textile_store.nodes(["Region"])]
    assert sorted(page.page.eval_on_selector_all("#region option", "els => els.map(e => e.value)")) == sorted(regions)
    hrefs = page.page.eval_on_selector_all("#views a", "els => els.map(e => e.getAttribute('href'))")
    assert {h.split("?")[0] for h in hrefs} == {"/views/chain", "/views/compare", "#q", "/views/ties", "/views/bottlenecks",
                                                "/views/panorama", "/views/heatmap"}
    page.shot("index")

    page.page.select_option("#region", "tianmen")
    page.page.click("text=Show chain map")
    page.page.wait_for_selector("body[data-ready]", state="attached", timeout=30_000)
    assert page.page.url.endswith("/views/chain?region=tianmen")
    assert page.networks() == [chain_counts(textile_store)]

    page.page.goto(textile_server.url + "/views")
    page.page.fill("#q", "恒力")
    page.page.press("#q", "Enter")
    page.page.wait_for_selector("#results")
    total, hits = textile_store.search("恒力", limit=50)
    assert page.page.locator("#results li").count() == len(hits)
    page.page.click("#results a >> text=恒力集团")
    page.page.wait_for_selector("body[data-ready]", state="attached", timeout=30_000)
    assert "/views/ego/enterprise/e_hengli_group" in page.page.url
    assert page.networks() == [ego_counts(textile_store, "e_hengli_group", 1)]
    assert_clean(page, "index → search → ego")


def test_hostile_index_and_search(visit, hostile_server):
    page = visit(hostile_server.url + "/views", networks=False)
    assert_clean(page, "index")
    assert_inert(page, [hostile.ATTR, hostile.SVG + "省", hostile.INSTITUTE])
    page = visit(hostile_server.url + "/views/search?q=img", networks=False)
    assert_clean(page, "search")
    assert_inert(page, [hostile.IMG, hostile.IMG2])
    assert page.page.locator("#results li").count() == 4  # e_xss, the fibre stage, e5, the town region


def test_error_page_is_html_and_inert(visit, hostile_server):
    page = visit(hostile_server.url + "/views/chain?region=%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D1%3E", networks=False, status=404)
    assert "<img src=x onerror=window.__xss=1>" in page.page.inner_text("#error")
    assert page.xss() is None
    assert page.page.locator("img").count() == 0


# -- past the node limit -------------------------------------------------------------------------
def _timed_page(visit, payload_of, tmp_path, name: str):
    started = time.perf_counter()
    payload = payload_of()
    html = render(payload)
    generated = time.perf_counter() - started
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    started = time.perf_counter()
    page = visit(path.as_uri())
    settled = time.perf_counter() - started
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "timings.txt", "a", encoding="utf-8") as log:
        log.write(f"{name}: {len(payload['nodes'])} nodes; payload + HTML {generated:.2f}s; page ready in the browser {settled:.2f}s; {len(html) // 1024} KB\n")
    return payload, page, generated, settled


def test_a_2000_node_ego_network_says_what_it_left_out(visit, tmp_path):
    with SqliteStore(tmp_path / "star.db", create=True) as store:
        store.write(big.star(2100))
        payload, page, generated, settled = _timed_page(visit, lambda: views_data.ego_view(store, "hub"), tmp_path, "ego-2000")
    # the page holds the hub and 1,999 of its 2,100 customers, each with its one supply link, and
    # one cluster tied to the hub folding all of them but the 5 strongest: the network is handed
    # what is drawn, the hub, the 5 and the cluster
    keep = views_data.FOLD_KEEP
    held = "() => window.chainx.networks.map(n => [n.nodes.length, n.edges.length])"
    assert page.page.evaluate(held) == [[2000 + 1, 1999 + 1]]
    assert page.networks() == [[1 + keep + 1, keep + 1]]
    assert "Left out: 101 nodes and 101 relationships" in page.page.inner_text("#notes")
    assert f"Folded: {1999 - keep} neighbours into 1 clusters" in page.page.inner_text("#notes")
    assert page.page.evaluate("() => window.chainx.networks[0].network.physics.options.enabled") is False
    assert_clean(page, "ego-2000")
    page.shot("ego-2000")
    # a click on the cluster draws every one of the 2,000, each where the page put it, physics still off
    x, y = page.page.evaluate("""id => { const net = window.chainx.networks[0].network;
        net.focus(id, {scale: 1, animation: false}); const at = net.canvasToDOM(net.getPosition(id));
        const box = net.body.container.getBoundingClientRect(); return [box.left + at.x, box.top + at.y]; }""", "fold:hub:Enterprise:")
    page.page.mouse.click(x, y)
    page.page.wait_for_selector("body[data-opened='1']", state="attached")
    assert page.networks() == [[2000, 1999]]
    drawn = page.page.evaluate("() => Object.keys(window.chainx.networks[0].network.getPositions()).length")
    assert drawn == 2000 and page.page.evaluate("() => window.chainx.networks[0].network.physics.options.enabled") is False
    assert_clean(page, "ego-2000 opened")
    assert generated < 15 and settled < 30


def test_a_2000_node_bottleneck_overlay(visit, tmp_path):
    data = big.supply_chain()
    with SqliteStore(tmp_path / "chain.db", create=True) as store:
        store.write(data)
        payload, page, generated, settled = _timed_page(visit, lambda: views_data.bottlenecks_view(store), tmp_path, "bottlenecks-2000")
        flagged_stages = {i["node"] for i in bottlenecks(store).to_dict()["items"] if i["kind"] != "critical_enterprise"}
    kept = {n["id"] for n in payload["nodes"]}
    supplies = {(r.source, r.target) for r in data.relationships if r.type == "SUPPLIES" and r.source in kept and r.target in kept}
    operates = {(r.source, r.target) for r in data.relationships if r.type == "OPERATES_IN" and r.source in kept and r.target in kept and r.target in flagged_stages}
    assert page.networks() == [[2000, len(supplies) + len(operates)]]
    # every firm is drawn without a region, with every flagged stage; 2,000 of those are kept
    assert f"Left out: {3000 + len(flagged_stages) - 2000} nodes" in page.page.inner_text("#notes")
    assert_clean(page, "bottlenecks-2000")
    page.shot("bottlenecks-2000")
    assert generated < 30 and settled < 30


def test_ties_filter_keeps_one_institute_and_its_enterprises(visit, textile_server, textile_store):
    page = visit(textile_server.url + "/views/ties")
    firms = {r.source for r in textile_store.relationships(["COLLABORATES_WITH"]) if r.target == "i_soochow_university"}
    page.page.select_option("#chainx-filter", "i_soochow_university")
    visible = page.page.evaluate("() => window.chainx.networks[0].nodes.get({filter: n => !n.hidden}).map(n => n.id)")
    assert set(visible) == {"i_soochow_university"} | firms
    page.page.select_option("#chainx-filter", "")
    assert page.page.evaluate("() => window.chainx.visible") == ties_counts(textile_store)[0]
    assert_clean(page, "ties filter")
