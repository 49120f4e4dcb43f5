"""The HTML itself (no browser): self-contained, escaped, and the same payload as the JSON twin;
the CLI and API edges of the views."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph import views_data
from viz.assets import vis_css, vis_js
from viz.pages import render

from . import hostile

runner = CliRunner()


def hostile_payloads(store) -> dict[str, dict]:
    return {
        "chain": views_data.chain_view(store, "town"),
        "compare": views_data.compare_view(store, ["town", "other"]),
        "ego": views_data.ego_view(store, "e_xss", depth=3),
        "ties": views_data.ties_view(store),
        "bottlenecks": views_data.bottlenecks_view(store, region="town"),
        "related": views_data.related_view(store, "town"),
        "index": views_data.index_view(store),
        "search": views_data.search_view(store, "img"),
    }


@pytest.fixture
def pages(hostile_store) -> dict[str, str]:
    """Each view's HTML, the inlined vis-network library cut out (its minified source has
    strings such as "<script>" of its own)."""
    return {
        name: render(payload, base="/views").replace(vis_js(), "").replace(vis_css(), "")
        for name, payload in hostile_payloads(hostile_store).items()
    }


def test_no_payload_reaches_the_html_as_markup(pages):
    for name, html in pages.items():
        for payload in hostile.PAYLOADS:
            assert payload.strip() not in html, f"{name} carries {payload!r} unescaped"


def test_data_blocks_cannot_close_their_script_element(pages):
    for name, html in pages.items():
        for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, flags=re.S):
            assert "<" not in block, name  # so neither </script> nor <!-- can occur
            data = json.loads(block)
            assert {"nodes", "edges", "options"} <= set(data) or set(data) == {"kinds", "ego", "clusters"}  # a network, or the controls' styles


def test_pages_load_nothing_from_elsewhere(pages):
    for name, html in pages.items():
        # no element fetches a URL: every script and style is inline
        assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html), name
        # the SVG namespace names a vocabulary, it is never fetched
        assert not re.search(r"https?://", html.replace("http://www.w3.org/2000/svg", "")), name
    assert len(vis_js()) > 100_000  # the real library, inlined


def test_the_library_is_inlined_whole(hostile_store):
    html = render(views_data.ego_view(hostile_store, "e2"))
    assert vis_js() in html and vis_css() in html


def test_pages_only_run_their_own_scripts(pages):
    for name, html in pages.items():
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert f'nonce="{nonce}"' in tag or 'type="application/json"' in tag, (name, tag)


def test_a_fresh_nonce_per_page(hostile_store):
    payload = views_data.ego_view(hostile_store, "e2")
    nonces = {re.search(r"'nonce-([^']+)'", render(payload)).group(1) for _ in range(3)}
    assert len(nonces) == 3


def test_chinese_font_fallback(pages):
    for name, html in pages.items():
        for font in ("Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei"):
            assert font in html, (name, font)


def test_files_written_by_the_cli_have_no_links_into_the_server(hostile_db, tmp_path):
    output = tmp_path / "ego.html"
    result = runner.invoke(cli, ["view", "ego", "e_xss", "-o", str(output), "--store", str(hostile_db)])
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert "/views/ego/" not in html and 'href="/views"' not in html


# -- CLI -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["chain", "--region", "atlantis"], "Error: unknown region 'atlantis'"),
    (["compare", "--regions", "shengze"], "Error: regions: give 2 to 4 regions, not 1"),
    (["ego", "nobody"], "Error: no node with id or name 'nobody'"),
    (["ego", "e_hengli_group", "--depth", "5"], "Error: depth: must be a whole number from 1 to 3, not 5"),
    (["ties", "--institute", "e_hengli_group"], "Error: no institute with id 'e_hengli_group'"),
    (["bottlenecks", "--region", "atlantis"], "Error: unknown region 'atlantis'"),
])
def test_cli_view_errors_are_one_line(textile_db, tmp_path, args, message):
    output = tmp_path / "out.html"
    result = runner.invoke(cli, ["view", *args, "-o", str(output), "--store", str(textile_db)])
    assert result.exit_code == 1
    assert result.output.strip() == message
    assert not output.exists()


def test_cli_writes_the_payload_as_json(textile_db, textile_store, tmp_path):
    output = tmp_path / "tianmen.json"
    result = runner.invoke(cli, ["view", "chain", "--region", "tianmen", "-o", str(output), "--store", str(textile_db)])
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text(encoding="utf-8")) == json.loads(json.dumps(views_data.chain_view(textile_store, "tianmen")))
    assert result.output.strip() == f"Wrote {output} (chain view, 31 nodes)."


def test_cli_refuses_an_unwritable_output(textile_db, tmp_path):
    result = runner.invoke(cli, ["view", "ties", "-o", str(tmp_path / "missing" / "x.html"), "--store", str(textile_db)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot write ")


def test_every_view_command_has_help_with_an_example():
    for command in ("chain", "compare", "ego", "ties", "bottlenecks", "related"):
        result = runner.invoke(cli, ["view", command, "--help"])
        assert result.exit_code == 0
        assert "Example: chainx view " + command in result.output


# -- API -------------------------------------------------------------------------------------------
@pytest.fixture
def client(textile_db):
    with TestClient(create_app(Settings(store=str(textile_db)))) as client:
        yield client


TWINS = {
    "/views/chain?region=shengze": lambda s: views_data.chain_view(s, "shengze"),
    "/views/compare?regions=shengze,tianmen": lambda s: views_data.compare_view(s, ["shengze", "tianmen"]),
    "/views/compare?regions=shengze&regions=tianmen": lambda s: views_data.compare_view(s, ["shengze", "tianmen"]),
    "/views/ego/Enterprise/e_hengli_group?depth=2": lambda s: views_data.ego_view(s, "e_hengli_group", depth=2),
    "/views/ties?institute=i_soochow_university": lambda s: views_data.ties_view(s, institute="i_soochow_university"),
    "/views/bottlenecks?region=tianmen": lambda s: views_data.bottlenecks_view(s, region="tianmen"),
    "/views/bottlenecks?region=": lambda s: views_data.bottlenecks_view(s),
    "/views/related?region=shengze": lambda s: views_data.related_view(s, "shengze"),
    "/views": views_data.index_view,
    "/views/search?q=涤纶": lambda s: views_data.search_view(s, "涤纶"),
    "/views/snapshot?region=tianmen&from=2020-01-01&to=2024-01-01": lambda s: views_data.snapshot_view(s, "tianmen", "2020-01-01", "2024-01-01"),
}


@pytest.mark.parametrize("path", list(TWINS))
def test_every_view_has_a_json_twin(client, textile_store, path):
    html = client.get(path)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    twin = client.get(path + ("&" if "?" in path else "?") + "format=json")
    assert twin.status_code == 200 and twin.headers["content-type"] == "application/json"
    assert twin.json() == json.loads(json.dumps(TWINS[path](textile_store)))


def test_the_root_is_the_index(client):
    root, views = client.get("/"), client.get("/views")
    assert root.status_code == views.status_code == 200
    for page in (root.text, views.text):
        assert 'action="/views/chain"' in page and 'action="/views/search"' in page


@pytest.mark.parametrize("path, status", [
    ("/views/chain?region=atlantis", 404),
    ("/views/ego/stage/e_hengli_group", 404),
    ("/views/ego/planet/e_hengli_group", 422),
    ("/views/compare?regions=shengze", 422),
    ("/views/ties?institute=nobody", 404),
    ("/views/snapshot?region=tianmen&from=2020-01-01&to=2024-02-30", 422),
])
def test_view_errors_are_pages_and_json(client, path, status):
    page = client.get(path)
    assert page.status_code == status and page.headers["content-type"].startswith("text/html")
    assert 'id="error"' in page.text
    error = client.get(path + "&format=json" if "?" in path else path + "?format=json")
    assert error.status_code == status
    assert set(error.json()) == {"error"}


def test_view_routes_are_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/views", "/views/search", "/views/chain", "/views/compare", "/views/ego/{kind}/{node_id}", "/views/ties", "/views/bottlenecks", "/views/snapshot"):
        assert path in paths, path
