"""Large views stay readable, in headless Chromium with the network blocked: an ego view folds a
hub's big groups of neighbours into clusters (and opens one on a click), and the ties view draws
each community apart."""

from __future__ import annotations

import pytest

from graph import views_data
from graph.store.sqlite import SqliteStore
from viz.pages import render

from .test_browser import assert_clean
from .test_controls import at
from .test_views_data import fan

pytestmark = pytest.mark.browser

CLUSTERS = "() => window.chainx.clusters()"


def _ego_page(visit, tmp_path, customers: int):
    with SqliteStore(tmp_path / "fan.db", create=True) as store:
        fan(store, customers)
        payload = views_data.ego_view(store, "hub")
    path = tmp_path / "fan.html"
    path.write_text(render(payload), encoding="utf-8")
    return payload, visit(path.as_uri())


def test_a_hub_above_the_threshold_folds_its_group_and_a_click_opens_it(visit, tmp_path):
    customers = views_data.FOLD_ABOVE + 7
    payload, page = _ego_page(visit, tmp_path, customers)
    folded = customers - views_data.FOLD_KEEP
    cluster = "fold:hub:Enterprise:weave"
    assert page.page.evaluate(CLUSTERS) == [cluster]
    # the cluster holds the folded customers; the strongest stay drawn beside the hub
    hidden = "() => window.chainx.networks[0].nodes.get({filter: n => n.hidden}).map(n => n.id)"
    assert sorted(page.page.evaluate(hidden)) == sorted(payload["groups"][0]["folded"]) and len(page.page.evaluate(hidden)) == folded
    assert page.page.evaluate("id => window.chainx.networks[0].nodes.get(id).label", cluster) == f"企业 · 织造 ({folded})"
    assert page.page.evaluate("id => window.chainx.networks[0].network.getConnectedNodes(id)", cluster) == ["hub"]
    assert f"Folded: {folded} neighbours into 1 clusters" in page.page.inner_text("#notes")
    assert page.errors == []
    x, y = at(page, cluster)
    assert page.errors == []
    page.page.mouse.click(x, y)
    page.page.wait_for_selector("body[data-opened='1']", state="attached")
    assert page.page.evaluate(CLUSTERS) == [] and page.page.evaluate(hidden) == []
    assert_clean(page, "ego clusters")
    page.shot("ego-clusters-open")


def test_a_folded_member_found_by_the_search_is_drawn_and_its_cluster_stays_folded(visit, tmp_path):
    payload, page = _ego_page(visit, tmp_path, views_data.FOLD_ABOVE + 7)
    member = payload["groups"][0]["folded"][-1]  # the weakest tie: c0000, volume 1
    in_network = "id => window.chainx.networks[0].network.body.data.nodes.get(id) !== null"
    assert member == "c0000" and page.page.evaluate(in_network, member) is False
    page.page.fill("#chainx-search", member)
    page.page.press("#chainx-search", "Enter")
    assert page.page.evaluate(in_network, member) is True
    assert page.page.evaluate("() => window.chainx.networks[0].network.getSelectedNodes()") == [member]
    # its supply from the hub is drawn with it; the other members stay in the cluster
    assert page.page.evaluate("id => window.chainx.networks[0].network.getConnectedNodes(id)", member) == ["hub"]
    assert page.page.evaluate(CLUSTERS) == ["fold:hub:Enterprise:weave"]
    assert_clean(page, "ego search folded")


def test_a_hub_at_the_threshold_folds_nothing(visit, tmp_path):
    _, page = _ego_page(visit, tmp_path, views_data.FOLD_ABOVE - 3)  # and 3 stages
    assert page.page.evaluate(CLUSTERS) == []
    assert page.page.locator("#notes").count() == 0 or "Folded" not in page.page.inner_text("#notes")
    assert_clean(page, "ego no clusters")


def test_ties_communities_are_drawn_apart(visit, textile_server, textile_store):
    payload = views_data.ties_view(textile_store)
    page = visit(textile_server.url + "/views/ties")
    drawn = page.page.evaluate("() => window.chainx.networks[0].network.getPositions()")
    assert page.page.evaluate("() => window.chainx.networks[0].network.physics.options.enabled") is False
    members: dict = {}
    for node in payload["nodes"]:
        members.setdefault(node["community"], []).append((drawn[node["id"]]["x"], drawn[node["id"]]["y"]))
    assert len(members) >= 2
    centre = {c: (sum(x for x, _ in ps) / len(ps), sum(y for _, y in ps) / len(ps)) for c, ps in members.items()}
    for community, points in members.items():
        for x, y in points:
            own = (x - centre[community][0]) ** 2 + (y - centre[community][1]) ** 2
            assert all(own < (x - cx) ** 2 + (y - cy) ** 2 for other, (cx, cy) in centre.items() if other != community)
    assert_clean(page, "ties apart")
    page.shot("ties-apart")
