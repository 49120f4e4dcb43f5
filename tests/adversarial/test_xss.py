"""Part 5: script payloads in names, aliases and descriptions, rendered in headless Chromium.

A small chain whose every name, English name, alias and description is a script payload is
served by the API. Every view and the index page are opened once as served and once with the
page's Content-Security-Policy stripped, so that the escaping alone is what is tested; in the
second pass every node is hovered too (its tooltip and the details panel drawn). Each payload,
if it ever ran, would push its number onto ``window.__xss``: it must stay unset, no payload may
become an element, and every payload must show somewhere as the text it is.

The browser fixture and the live server are the views' own (tests/viz/conftest.py).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.viz.conftest import LiveServer  # the browser fixture is tests/conftest.py's

pytestmark = pytest.mark.browser

RUN = "(window.__xss=window.__xss||[]).push(%d)"
TEMPLATES = (
    "<script>RUN</script>",
    "<img src=x onerror=RUN>",
    "<svg onload=RUN>",
    '"><img src=x onerror=RUN>',
    "'><img src=x onerror=RUN>",
    "</script><script>RUN</script>",
    '<iframe srcdoc="<script>parent.RUN</script>"></iframe>',
    "javascript:RUN",
    '<a href="javascript:RUN">点我</a>',
    "<body onload=RUN>",
    "<details open ontoggle=RUN>",
    "<math><mtext><table><mglyph><style><img src=x onerror=RUN>",
    "{{constructor.constructor('RUN')()}}",
    "${RUN}",
    "<input autofocus onfocus=RUN>",
    '<object data="javascript:RUN"></object>',
    '<!--<img src="--><img src=x onerror=RUN//">',
    "\u2028\u2029<script>RUN</script>",
    "</title><script>RUN</script>",
    '"onmouseover="RUN',
    '<noscript><p title="</noscript><img src=x onerror=RUN>">',
    "&lt;img src=x onerror=RUN&gt;",
    "%3Cscript%3ERUN%3C/script%3E",
    "<style>*{background:url('javascript:RUN')}</style>",
)
PAYLOADS = tuple(template.replace("RUN", RUN % number) for number, template in enumerate(TEMPLATES))

SENTINELS = """() => ({
    ran: window.__xss || [],
    planted: Array.from(document.querySelectorAll('*')).filter(e =>
        Array.from(e.attributes).some(a => a.name.toLowerCase().startsWith('on'))
        || ['IMG', 'IFRAME', 'OBJECT', 'EMBED', 'MATH', 'DETAILS', 'BASE', 'NOSCRIPT'].includes(e.tagName.toUpperCase())
        || (e.tagName.toUpperCase() === 'A' && (e.getAttribute('href') || '').trim().toLowerCase().startsWith('javascript:'))
        || (e.tagName.toUpperCase() === 'INPUT' && e.hasAttribute('autofocus'))
    ).map(e => e.outerHTML.slice(0, 120)),
    text: document.body ? document.body.innerText : '',
    options: Array.from(document.querySelectorAll('option')).map(o => o.textContent),
    labels: window.chainx ? window.chainx.networks.flatMap(n => n.nodes.get().map(x => [x.label || '', x.title || ''])).flat() : [],
})"""


def payload(k: int) -> str:
    return PAYLOADS[k % len(PAYLOADS)]


def write_dataset(folder: Path) -> Path:
    """stages s0 → … → s5 (s6 a sub-stage of s2, s7 support); regions prov ⊃ town, other; park p1;
    e0–e4 in town (s3 has no local firm: a gap), e5–e8 in other; a supply line e0 → … → e8;
    institutes i0 (town), i1 (other) with ties. Node k's name is payload k, its English name,
    description and alias further payloads."""
    rows = {
        "stages": [["id", "name", "tier", "parent", "aliases", "description"]]
        + [[f"s{k}", payload(k), "support" if k == 7 else "midstream", "s2" if k == 6 else "", payload(k + 9), payload(k + 17)] for k in range(8)],
        "stage_links": [["source", "target"]] + [[f"s{k}", f"s{k + 1}"] for k in range(5)] + [["s7", "s1"]],
        "regions": [["id", "name", "parent", "level"], ["prov", payload(8), "", "province"], ["town", payload(9), "prov", "town"],
                    ["other", payload(10), "prov", "city"]],
        "parks": [["id", "name", "region"], ["p1", payload(11), "town"]],
        "enterprises": [["id", "name", "name_en", "region", "park", "tags"]]
        + [[f"e{k}", payload(12 + k), payload(3 + k), "town" if k < 5 else "other", "p1" if k == 0 else "", "illustrative"] for k in range(9)],
        "enterprise_stages": [["enterprise", "stage"]]
        + [["e0", "s0"], ["e1", "s1"], ["e2", "s2"], ["e3", "s6"], ["e4", "s4"], ["e5", "s3"], ["e6", "s5"], ["e7", "s7"], ["e8", "s3"]],
        "supplies": [["supplier", "customer", "stage"]] + [[f"e{k}", f"e{k + 1}", ""] for k in range(8)],
        "institutes": [["id", "name", "kind", "region"], ["i0", payload(21), "university", "town"], ["i1", payload(22), "research_institute", "other"]],
        "ties": [["enterprise", "institute", "kind"], ["e0", "i0", "project"], ["e1", "i0", "joint_lab"], ["e5", "i1", "project"], ["e6", "i0", "training"]],
        "institute_stages": [["institute", "stage"], ["i0", "s0"], ["i1", "s3"]],
    }
    folder.mkdir(parents=True)
    for stem, table in rows.items():
        with (folder / f"{stem}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(table)
    return folder


PAGES = (
    ("/", False),
    ("/views", False),
    ("/views/search?q=__xss", False),
    ("/views/chain?region=town", True),
    ("/views/chain?region=other", True),
    ("/views/compare?regions=town,other", True),
    ("/views/ego/enterprise/e0?depth=2", True),
    ("/views/ego/stage/s2?depth=2", True),
    ("/views/ego/institute/i0", True),
    ("/views/ego/region/town", True),
    ("/views/ego/park/p1", True),
    ("/views/ties", True),
    ("/views/ties?institute=i0", True),
    ("/views/bottlenecks", True),
    ("/views/bottlenecks?region=town", True),
)
# a missing region's error page repeats the id it was given: a few payloads of each kind
ERROR_PAGES = tuple(f"/views/chain?region={quote(payload(k), safe='')}" for k in (0, 1, 3, 5, 17, 21))

HOVER_ALL = """async () => {
    const seen = [];
    for (const entry of window.chainx.networks) {
        entry.network.setOptions({interaction: {tooltipDelay: 0, hover: true}});
        for (const id of entry.nodes.getIds()) {
            const at = entry.network.canvasToDOM(entry.network.getPosition(id));
            const box = entry.network.body.container.getBoundingClientRect();
            seen.push([box.left + at.x, box.top + at.y]);
        }
    }
    return seen;
}"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("xss")
    db = root / "chainx.db"
    with SqliteStore(db, create=True) as store:
        load_path(store, write_dataset(root / "dataset"))
    with LiveServer(db) as server:
        yield server


def strip_csp(route) -> None:
    """Serve the page without its Content-Security-Policy: only escaping stands in the way."""
    response = route.fetch()
    body = response.text()
    if "text/html" in response.headers.get("content-type", ""):
        body = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", body)
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-security-policy", "content-length")}
    route.fulfill(status=response.status, headers=headers, body=body)


def inspect(page, *, hover: bool) -> dict:
    """What the page ran, planted and shows; with ``hover``, after every node was hovered."""
    shown = []
    if hover:
        for x, y in page.evaluate(HOVER_ALL):
            page.mouse.move(x, y)
            page.wait_for_timeout(30)
            shown += page.eval_on_selector_all("div.vis-tooltip", "els => els.map(e => [e.innerText, e.querySelectorAll('*:not(br)').length])")
            shown.append([page.eval_on_selector("#details", "e => e ? e.textContent : ''") if page.query_selector("#details") else "", 0])
    state = page.evaluate(SENTINELS)
    state["tooltips"] = [text for text, _ in shown]
    state["tooltip_elements"] = sum(count for _, count in shown)
    return state


@pytest.mark.parametrize("csp", ["as served", "stripped"])
def test_no_payload_runs_in_any_view_and_each_shows_as_text(csp, hostile_server, browser_context, figures):  # noqa: F811
    tally = figures.setdefault("xss", {"payloads": len(PAYLOADS), "executed": 0, "pages": 0, "planted": 0, "not_shown": len(PAYLOADS)})
    ran, planted, visible = set(), [], []
    for path, networks in PAGES + tuple((p, False) for p in ERROR_PAGES):
        page = browser_context.new_page()
        try:
            if csp == "stripped":
                page.route("**/*", strip_csp)
            page.goto(hostile_server.url + path)
            if networks:
                page.wait_for_selector("body[data-ready]", state="attached", timeout=30_000)
            # tooltips are hovered without the CSP: with it, even a markup tooltip could not run
            state = inspect(page, hover=networks and csp == "stripped")
        finally:
            page.close()
        tally["pages"] += 1
        ran |= set(state["ran"])
        planted += [(path, element) for element in state["planted"]]
        assert state["tooltip_elements"] == 0, f"{path}: a tooltip holds markup"
        visible.append("\n".join([state["text"], *state["options"], *state["labels"], *state["tooltips"]]))
    shown = "\n".join(visible)
    missing = [p for p in PAYLOADS if p.strip() not in shown]
    tally["executed"] = len(set(tally.get("ran", [])) | ran)
    tally["ran"] = sorted(set(tally.get("ran", [])) | ran)
    tally["planted"] += len(planted)
    tally["not_shown"] = min(tally["not_shown"], len(missing))
    assert not ran, f"payloads ran ({csp}): {[TEMPLATES[n] for n in sorted(ran)]}"
    assert not planted, f"payloads became elements ({csp}): {planted[:5]}"
    assert not missing, f"not shown as text ({csp}): {missing}"
