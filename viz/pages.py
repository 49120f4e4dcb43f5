"""Turn view payloads (graph/views_data.py) into self-contained HTML pages.

Each network is a pyvis ``Network`` whose nodes and edges are set as lists (pyvis' ``add_edge``
scans every existing edge, which is quadratic on big graphs) and rendered with
``generate_html()`` through our own template: an inert JSON block that ``static/chainx.js``
draws. vis-network's JavaScript and CSS are inlined from pyvis' bundled copy, so a page works
with no network at all.

Names are data, not markup: every string reaches the page through Jinja's autoescaping, JSON
that escapes ``<``, or ``textContent``; tooltips are plain text (vis-network sets string titles
with ``innerText``); and a Content-Security-Policy lets only this page's own scripts run.

>>> from viz.pages import render
>>> html = render({"view": "search", "query": "<b>", "total": 0, "results": []})
>>> "&lt;b&gt;" in html and "<b>" not in html
True
"""

from __future__ import annotations

import functools
import math
import secrets
import shlex
from pathlib import Path
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from pyvis.network import Network

from .assets import vis_css, vis_js
from .layout import BIG, clusters, rings

__all__ = [
    "render",
    "chain_page",
    "compare_page",
    "ego_page",
    "ties_page",
    "bottlenecks_page",
    "index_page",
    "search_page",
    "ego_url",
    "ego_link",
]

_HERE = Path(__file__).resolve().parent
TOP_PER_KIND = 10  # flagged nodes of each kind a bottlenecks page starts with; a slider shows more
TABLE_ROWS = 60  # rows of a side table; the JSON twin has them all
FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif'

# -- colours -----------------------------------------------------------------------------------
STATUS_STYLE = {
    # key: (colour, border, shape, legend)
    "present": ("#43a047", "#1b5e20", "dot", "present 已有 (≥ min firms)"),
    "strengthen": ("#fbc02d", "#8d6e00", "dot", "weak 强链 (too few firms)"),
    "break": ("#e53935", "#7f0000", "diamond", "missing: break 补链 (local firms up- and downstream)"),
    "extension": ("#8e24aa", "#4a0072", "triangle", "missing: extension 延链 (local firms on one side)"),
    "absent": ("#bdbdbd", "#757575", "square", "missing: absent (no local firms either side)"),
}
KIND_COLOURS = {
    "Stage": "#1e88e5",
    "Enterprise": "#fb8c00",
    "Institute": "#43a047",
    "Park": "#8d6e63",
    "Region": "#7e57c2",
    "Chain": "#00897b",
}
KIND_SHAPES = {"Stage": "diamond", "Enterprise": "dot", "Institute": "square", "Park": "triangle", "Region": "star", "Chain": "hexagon"}
KIND_TEXT = {"Stage": "stage 环节", "Enterprise": "enterprise 企业", "Institute": "institute 机构", "Park": "park 园区", "Region": "region 地区",
             "Chain": "chain 产业链"}
# the one table ego nodes and their legend are drawn from: key -> (colour, border, shape, legend)
_KIND_STYLE = {k: (KIND_COLOURS[k], KIND_COLOURS[k], KIND_SHAPES[k], KIND_TEXT[k]) for k in KIND_COLOURS}
COMMUNITY_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a",
)
FLAG_STYLE = {
    "critical_enterprise": ("#e53935", "critical enterprise 关键企业"),
    "chokepoint": ("#ef6c00", "chokepoint stage 卡脖子环节"),
    "single_source": ("#8e24aa", "single-source / concentrated stage 单一来源"),
}
STATUS_TEXT = {"present": "present 已有", "weak": "weak 薄弱", "missing": "missing 缺失"}
GAP_TEXT = {"break": "break 补链", "extension": "extension 延链", "absent": "absent 空白", "strengthen": "strengthen 强链"}


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # names as UTF-8, not \uXXXX escapes (a Chinese name is half the bytes): tojson still
    # escapes < > & and ', which is what keeps a name from closing its script element
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


@functools.cache
def _static(name: str) -> str:
    return (_HERE / "static" / name).read_text(encoding="utf-8")


def _base_options(*, physics: bool, directed: bool = True) -> dict:
    options = {
        "autoResize": True,
        "nodes": {"font": {"face": FONT, "size": 14}, "borderWidth": 1},
        "edges": {
            "color": {"color": "#9aa5b1", "highlight": "#323f4b", "inherit": False},
            "font": {"face": FONT, "size": 10, "align": "middle", "color": "#52606d"},
            "arrows": {"to": {"enabled": directed, "scaleFactor": 0.5}},
            "smooth": False,
        },
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False, "keyboard": False},
    }
    if physics:
        options["physics"] = {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -2500, "centralGravity": 0.35, "springLength": 110, "springConstant": 0.04, "avoidOverlap": 0.3},
            "stabilization": {"enabled": True, "iterations": 400, "fit": True},
        }
    else:
        options["physics"] = {"enabled": False}
    return options


def _network(panel_id: str, nodes: list[dict], edges: list[dict], options: dict) -> str:
    net = Network(heading=panel_id, cdn_resources="in_line")
    net.nodes = nodes
    net.edges = edges
    net.options = options
    # our template, our (autoescaping) environment: pyvis' default pulls Bootstrap from a CDN
    net.templateEnv = _env()
    net.path = "network.html"
    # safe to mark: rendered by our autoescaping template, every value inside JSON-escaped
    return Markup(net.generate_html())


def _page(template: str = "page.html", **context) -> str:
    has_networks = bool(context.get("networks"))
    defaults = {
        "nonce": secrets.token_urlsafe(16),
        "vis_js": vis_js() if has_networks else "",
        "vis_css": vis_css() if has_networks else "",
        "page_css": _static("chainx.css"),
        "chainx_js": _static("chainx.js"),
        "panels": [],
        "networks": [],
        "legend": [],
        "notes": [],
        "tables": [],
        "table_rows": TABLE_ROWS,
        "links": [],
        "filter": None,
        "api": None,
        "styles": None,
        "top": None,
        "subtitle": "",
        "details_hint": "Hover or click a node to see its details. 将鼠标移到节点上查看详情。",
    }
    defaults.update(context)
    return _env().get_template(template).render(**defaults)


def _api_root(base: str | None) -> str | None:
    """The API's root as a relative URL prefix ("" when the views sit at /views), None in a file."""
    if base is None:
        return None
    return base[: -len("/views")] if base.endswith("/views") else ""


def _controls(base: str | None, *, clusters: dict | None = None) -> dict:
    """What chainx.js needs to style nodes it adds on expand and to link them to their ego view,
    and the clusters it folds (ego view)."""
    kinds = {k: {"color": KIND_COLOURS[k], "shape": KIND_SHAPES[k], "cls": f"kind:{k}"} for k in KIND_COLOURS}
    styles = {"kinds": kinds, "ego": f"{base}/ego/{{kind}}/{{id}}" if base else None, "clusters": clusters or {}}
    return {"api": _api_root(base), "styles": styles}


def ego_link(base: str | None, kind: str, node_id: str, name: str) -> dict:
    """A link to a node's ego view: its URL when served, else the command that writes it."""
    link = {"name": name, "kind": kind}
    url = ego_url(base, kind, node_id)
    if url:
        link["href"] = url
    else:
        link["command"] = f"chainx view ego {shlex.quote(node_id)} -o {shlex.quote('ego-' + node_id + '.html')}"
    return link


def _legend(table: dict, prefix: str, match: str | None = None) -> list[dict]:
    """Legend entries from the style table the nodes are drawn with: key -> (colour, border, shape, label).

    ``match`` says what of the entry the drawing shares when colour and shape tell two classes
    ("color" or "shape"); by default both."""
    return [{"key": f"{prefix}:{key}", "color": c, "border": b, "shape": s, "label": text, "match": match} for key, (c, b, s, text) in table.items()]


def _facets(**values) -> dict:
    return {name: str(value) for name, value in values.items() if value not in (None, "")}


def _links(base: str | None) -> list[dict]:
    return [{"href": f"{base}", "text": "← All views 全部视图"}] if base else []


def _omitted_notes(omitted: dict | None) -> list[str]:
    if not omitted:
        return []
    text = f"Left out: {omitted.get('nodes', 0)} nodes"
    if omitted.get("relationships"):
        text += f" and {omitted['relationships']} relationships"
    if omitted.get("reason"):
        text += f" — {omitted['reason']}"
    return [text + ". 节点过多，仅显示最相关的部分。"]


def ego_url(base: str | None, kind: str, node_id: str) -> str | None:
    """The served URL of a node's ego view (None for a page written to a file)."""
    if not base:
        return None
    return f"{base}/ego/{quote(kind.lower(), safe='')}/{quote(node_id, safe='')}"


def _listing(items: list[str], limit: int = 15) -> list[str]:
    shown = [f"  · {item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"  … and {len(items) - limit} more")
    return shown


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "; ".join(map(str, value))
    return "" if value is None else str(value)


# -- chain map ---------------------------------------------------------------------------------
_COLUMN_WIDTH = 150
_ROW_HEIGHT = 105


def _stage_key(stage: dict) -> str:
    gap = stage.get("gap") or {}
    if gap.get("kind") in STATUS_STYLE:
        return gap["kind"]
    return {"present": "present", "weak": "strengthen"}.get(stage.get("status"), "absent")


def _chain_network(payload: dict, panel_id: str, base: str | None) -> str:
    region = payload["region"]["name"]
    main_rows = max((s["row"] for s in payload["stages"] if s.get("band") == "main"), default=0)
    names = {s["stage"]: s["name"] for s in payload["stages"]}
    nodes = []
    for stage in payload["stages"]:
        key = _stage_key(stage)
        colour, border, shape, _ = STATUS_STYLE[key]
        count = stage.get("local_enterprises") or 0
        lines = [f"{stage['name']} ({stage['stage']})", f"Tier 层级: {stage.get('tier') or '—'}"]
        lines.append(f"Status in {region}: {STATUS_TEXT.get(stage.get('status'), stage.get('status') or '—')}")
        gap = stage.get("gap")
        if gap:
            lines.append(f"Gap 缺口: {GAP_TEXT.get(gap.get('kind'), gap.get('kind'))}, score {_fmt(gap.get('score'))}")
            if gap.get("upstream_local") is not None:
                lines.append(f"Local firms upstream {gap.get('upstream_local')}, downstream {gap.get('downstream_local')}")
        lines.append(f"Local enterprises 本地企业 ({count}):")
        lines += _listing([e["name"] for e in stage.get("enterprises", [])]) or ["  (none)"]
        if stage.get("sub_stages"):
            lines.append("Sub-stages 子环节 (local firms): " + ", ".join(f"{sub['name']} {sub['local_enterprises']}" for sub in stage["sub_stages"]))
        if gap and gap.get("candidates"):
            lines.append("Top candidates to attract 招商目标:")
            lines += [
                f"  {i}. {c.get('name')} ({c.get('region_name') or c.get('region') or '—'}) score {_fmt(c.get('score'))}"
                for i, c in enumerate(gap["candidates"], start=1)
            ]
        y = stage["row"] * _ROW_HEIGHT + ((main_rows + 2) * _ROW_HEIGHT if stage.get("band") == "support" else 0)
        node = {
            "id": stage["stage"],
            "label": stage["name"],
            "title": "\n".join(lines),
            "shape": shape,
            "color": {"background": colour, "border": border, "highlight": {"background": colour, "border": "#000"}},
            "borderWidth": 3 if key in ("break", "extension") else 1,
            # area, not radius, grows with the firm count
            "size": round(14 + 6 * math.sqrt(count), 1),
            "x": stage["column"] * _COLUMN_WIDTH,
            "y": y,
            "font": {"size": 22, "strokeWidth": 4, "strokeColor": "#ffffff"},
            "widthConstraint": {"maximum": 150},
        }
        node["cls"] = f"status:{key}"
        node["kind"] = "Stage"
        node["facets"] = _facets(kind="Stage", status=STATUS_TEXT.get(stage.get("status"), stage.get("status")), tier=stage.get("tier"),
                                 gap=GAP_TEXT.get(gap.get("kind"), gap.get("kind")) if gap else None)
        node["links"] = [ego_link(base, "Stage", stage["stage"], stage["name"])]
        node["links"] += [ego_link(base, "Enterprise", e["id"], e["name"]) for e in stage.get("enterprises", [])[:15]]
        node["links"] += [ego_link(base, "Enterprise", c["enterprise"], f"{c.get('name')} (candidate 招商目标)") for c in (gap or {}).get("candidates") or []]
        url = ego_url(base, "stage", stage["stage"])
        if url:
            node["url"] = url
        nodes.append(node)
    edges = [
        {"id": f"{link['type']}|{link['source']}|{link['target']}", "from": link["source"], "to": link["target"], "title": f"{link['type']}: {names[link['source']]} → {names[link['target']]}"}
        for link in payload["links"]
    ]
    options = _base_options(physics=False)
    options["edges"]["smooth"] = {"enabled": True, "type": "cubicBezier", "forceDirection": "horizontal", "roundness": 0.5}
    return _network(panel_id, nodes, edges, options)


def _chain_legend() -> list[dict]:
    legend = _legend(STATUS_STYLE, "status")
    legend.append({"color": "#9aa5b1", "shape": "line", "label": "FEEDS 供给 (upstream → downstream)"})
    legend.append({"color": "#ffffff", "border": "#52606d", "shape": "dot", "label": "support stages in the lower band 配套服务"})
    legend.append({"color": "#ffffff", "border": "#52606d", "shape": "dot", "label": "size: local enterprises (sub-stages included) 本地企业数"})
    return legend


def _gap_table(payload: dict) -> dict:
    rows = []
    gaps = [s for s in payload["stages"] if s.get("gap") and s["gap"].get("kind") != "strengthen"]
    gaps.sort(key=lambda s: -(s["gap"].get("score") or 0))
    for stage in gaps:
        top = (stage["gap"].get("candidates") or [{}])[0]
        rows.append([stage["name"], GAP_TEXT.get(stage["gap"]["kind"], stage["gap"]["kind"]), _fmt(stage["gap"].get("score")), top.get("name") or "—"])
    return {"title": "Gaps 缺口 (by score)", "columns": ["stage", "gap", "score", "top candidate"], "rows": rows}


def _chain_subtitle(payload: dict) -> str:
    completeness = payload.get("completeness")
    parts = []
    if completeness is not None:
        parts.append(f"chain completeness 完整度 {completeness:.0%}")
    summary = payload.get("summary") or {}
    parts += [f"{GAP_TEXT.get(k, STATUS_TEXT.get(k, k))}: {v}" for k, v in summary.items()]
    return " · ".join(parts) + " · upstream → downstream, left to right 从上游到下游"


def chain_page(payload: dict, *, base: str | None = None) -> str:
    """The chain map of one region."""
    name = payload["region"]["name"]
    return _page(
        view="chain",
        title=f"{name} — chain map 产业链图谱",
        subtitle=_chain_subtitle(payload),
        links=_links(base),
        notes=_omitted_notes(payload.get("omitted")),
        panels=[{"id": "net-chain", "title": ""}],
        networks=[_chain_network(payload, "net-chain", base)],
        legend=_chain_legend(),
        **_controls(base),
        tables=[_gap_table(payload)],
    )


def compare_page(payload: dict, *, base: str | None = None) -> str:
    """Chain maps of several regions side by side, on the same layout."""
    names = [r["name"] for r in payload["regions"]]
    panels, networks = [], []
    for index, chain in enumerate(payload["maps"]):
        panel_id = f"net-compare-{index}"
        panels.append({"id": panel_id, "title": chain["region"]["name"], "subtitle": _chain_subtitle(chain)})
        networks.append(_chain_network(chain, panel_id, base))
    matrix = payload.get("matrix") or {}
    region_ids = [r["id"] for r in payload["regions"]]
    rows = []
    for row in matrix.get("stages", []):
        cells = [row.get("name") or row.get("stage")]
        for region_id in region_ids:
            cell = row.get(region_id) or {}
            cells.append(f"{STATUS_TEXT.get(cell.get('status'), cell.get('status') or '—')} ({cell.get('local_enterprises', 0)})")
        rows.append(cells)
    return _page(
        view="compare",
        title=" vs ".join(names) + " — chain maps compared 产业链对比",
        subtitle="Each stage coloured by its status in that region; same layout in every panel.",
        links=_links(base),
        panels=panels,
        networks=networks,
        legend=_chain_legend(),
        **_controls(base),
        tables=[{"title": "Coverage 覆盖 (local firms)", "columns": ["stage", *names], "rows": rows}],
    )


def snapshot_page(payload: dict, *, base: str | None = None) -> str:
    """A region's chain map on two days side by side, with the gaps closed and opened between them."""
    name = payload["region"]["name"]
    panels, networks = [], []
    for index, (day, chain) in enumerate(zip(payload["dates"], payload["maps"])):
        panel_id = f"net-snapshot-{index}"
        panels.append({"id": panel_id, "title": f"{name} · {day}", "subtitle": _chain_subtitle(chain)})
        networks.append(_chain_network(chain, panel_id, base))
    counts = payload["counts"]
    return _page(
        view="compare",
        title=f"{name} — {payload['dates'][0]} → {payload['dates'][1]} chain snapshots 产业链变化",
        subtitle=(f"Firms +{counts['nodes_appeared']} −{counts['nodes_disappeared']}; gaps closed {counts['gaps_closed']}, "
                  f"opened {counts['gaps_opened']}. Same layout in both panels."),
        links=_links(base),
        panels=panels,
        networks=networks,
        legend=_chain_legend(),
        **_controls(base),
        tables=[{"title": "Gaps closed and opened 补链变化", "columns": ["stage", "change", "status"],
                 "rows": [[g["name"] or g["id"], g["change"], STATUS_TEXT.get(g["kind"], g["kind"])] for g in payload["gaps"]]}],
    )


# -- ego network -------------------------------------------------------------------------------
def _details_lines(node: dict) -> list[str]:
    lines = [f"{node['name']} ({node['id']})", f"Kind 类型: {node['kind']}"]
    lines += [f"{key}: {_fmt(value)}" for key, value in (node.get("details") or {}).items()]
    return lines


EGO_SPACING = 64.0  # drawing units between two neighbours on a big ego view's circle


def ego_page(payload: dict, *, base: str | None = None) -> str:
    """A node and its neighbourhood, coloured by kind, edges labelled by relationship type."""
    centre = payload["node"]["id"]
    big = len(payload["nodes"]) > BIG
    clusters_spec, fold_of = _ego_clusters(payload)
    positions = {}
    if big:
        # the rings hold what is drawn: each cluster in its members' ring, in their place
        by_ring: dict[int, list[str]] = {}
        placed: set[str] = set()
        for node in payload["nodes"]:
            key = fold_of.get(node["id"], node["id"])
            if key not in placed:
                placed.add(key)
                by_ring.setdefault(node["distance"], []).append(key)
        # what is drawn is a few dozen nodes and clusters per ring: room on each circle for a
        # Chinese name beside the next one
        positions = rings([by_ring[d] for d in sorted(by_ring)], spacing=EGO_SPACING)
        for key, spec in clusters_spec.items():
            spec["x"], spec["y"] = positions.pop(key)
    nodes = []
    for node in payload["nodes"]:
        colour = KIND_COLOURS.get(node["kind"], "#90a4ae")
        entry = {
            "id": node["id"],
            "label": node["name"],
            "title": "\n".join(_details_lines(node) + [f"Distance 距离: {node['distance']}"]),
            "shape": KIND_SHAPES.get(node["kind"], "dot"),
            "color": {"background": colour, "border": "#000" if node["id"] == centre else colour},
            "size": 26 if node["id"] == centre else max(8, 18 - 4 * node["distance"]),
            "borderWidth": 4 if node["id"] == centre else 1,
            "font": {"size": 22 if node["id"] == centre else 15, "strokeWidth": 3, "strokeColor": "#ffffff"},
        }
        if node["id"] in positions:
            entry["x"], entry["y"] = positions[node["id"]]
        details = node.get("details") or {}
        entry.update({
            "cls": f"kind:{node['kind']}",
            "kind": node["kind"],
            "facets": _facets(kind=node["kind"], tier=details.get("tier"), region=node.get("region_name") or details.get("region")),
            "search": " ".join(map(str, details.get("aliases") or [])),
            "links": [ego_link(base, node["kind"], node["id"], node["name"])],
        })
        if node["id"] in fold_of:
            entry["fold"], entry["hidden"] = fold_of[node["id"]], True
        url = ego_url(base, node["kind"], node["id"])
        if url:
            entry["url"] = url
        nodes.append(entry)
    edges = [
        {
            "id": f"{r['type']}|{r['source']}|{r['target']}|{r['key']}",
            "from": r["source"],
            "to": r["target"],
            "title": f"{r['type']}" + (f" ({r['key']})" if r["key"] else ""),
            # on a big page the type is in each edge's tooltip only: a label on every spoke hides the names
            **({} if big else {"label": r["type"]}),
        }
        for r in payload["relationships"]
    ]
    options = _base_options(physics=not big)
    # straight edges: curved ones each add a physics body, and settling takes ten times longer
    options["edges"]["smooth"] = False
    if not big:
        options["physics"]["barnesHut"].update({"gravitationalConstant": -9000, "springLength": 170, "avoidOverlap": 0.5})
    legend = _legend(_KIND_STYLE, "kind")
    legend.append({"color": "#ffffff", "border": "#000", "shape": "dot", "label": "the centre node 中心节点"})
    name = payload["node"]["name"]
    depth_text = f"depth {payload['shown_depth']}" + (f" (asked {payload['depth']})" if payload["shown_depth"] != payload["depth"] else "")
    return _page(
        view="ego",
        title=f"{name} — neighbourhood 关系网络",
        subtitle=f"{payload['node']['kind']} {payload['node']['id']} · {depth_text} · {len(nodes)} nodes, {len(edges)} relationships"
        + " · double-click a node to expand its neighbours 双击展开",
        links=_links(base),
        notes=_omitted_notes(payload.get("omitted")) + _folded_notes(payload),
        panels=[{"id": "net-ego", "title": ""}],
        networks=[_network("net-ego", nodes, edges, options)],
        legend=legend,
        **_controls(base, clusters=clusters_spec),
    )


def _ego_clusters(payload: dict) -> tuple[dict, dict]:
    """The clusters chainx.js folds (id -> label, colour, shape) and each folded node's cluster,
    from the payload's groups (graph.views_data decides which and how many)."""
    spec, fold_of = {}, {}
    for group in payload.get("groups") or []:
        if not group["folded"]:
            continue
        key = f"fold:{group['hub']}:{group['kind']}:{group['stage'] or ''}"
        kind = KIND_TEXT.get(group["kind"], group["kind"]).split()[-1]
        label = f"{kind} · {group['stage_name']}" if group.get("stage_name") else kind
        spec[key] = {"label": f"{label} ({len(group['folded'])})", "color": KIND_COLOURS.get(group["kind"], "#90a4ae"),
                     "count": len(group["folded"]), "hub": group["hub"], "kind": group["kind"]}
        fold_of.update(dict.fromkeys(group["folded"], key))
    return spec, fold_of


def _folded_notes(payload: dict) -> list[str]:
    folded = [g for g in payload.get("groups") or [] if g["folded"]]
    if not folded:
        return []
    return [f"Folded: {payload['folded']} neighbours into {len(folded)} clusters by kind and stage, the strongest ties drawn first; "
            f"click a cluster to open it. 已折叠 {payload['folded']} 个邻居为 {len(folded)} 组，点击展开。"]


# -- ties --------------------------------------------------------------------------------------
# colour tells the community, shape the kind
_TIES_SHAPES = {"Institute": ("#ffffff", "#52606d", "square", "institute 机构"), "Enterprise": ("#ffffff", "#52606d", "dot", "enterprise 企业")}

def ties_page(payload: dict, *, base: str | None = None) -> str:
    """Enterprises and institutes, coloured by community, brokers emphasised."""
    communities = sorted({n["community"] for n in payload["nodes"] if n.get("community") is not None}, key=str)
    colour_of = {c: COMMUNITY_COLOURS[i % len(COMMUNITY_COLOURS)] for i, c in enumerate(communities)}
    hubs = payload.get("community_hubs") or {}
    community_name = {c: f"{c}: " + " · ".join(hubs.get(str(c)) or []) for c in communities}
    # the style table of the drawing and of its legend; past the palette, communities share "other"
    classes = {str(c): (colour_of[c], colour_of[c], "dot", f"community 社区 {community_name[c]}") for c in communities[:12]}
    if len(communities) > 12:
        classes["other"] = ("#90a4ae", "#90a4ae", "dot", f"… {len(communities) - 12} more communities 其他社区")
    # communities apart, laid out in graph/ (views_data.community_layout): drawn at once, no physics
    positions = payload.get("positions") or {}
    nodes = []
    for node in payload["nodes"]:
        key = str(node.get("community")) if str(node.get("community")) in classes else "other"
        colour = classes[key][0] if key in classes else "#90a4ae"
        broker = node.get("broker")
        community = node.get("community")
        lines = [f"{node['name']} ({node['id']})", f"Kind 类型: {node['kind']}", f"Region 地区: {node.get('region_name') or node.get('region') or '—'}",
                 f"Community 社区: {community_name.get(community, '—')}", f"Ties 合作: {node.get('ties')}"]
        if broker:
            lines.append(f"Broker 桥梁: #{broker.get('betweenness_rank')} by betweenness, #{broker.get('constraint_rank')} by constraint")
            lines += [f"  {reason}" for reason in broker.get("reasons", [])]
        entry = {
            "id": node["id"],
            "label": ("★ " if broker else "") + node["name"],
            "title": "\n".join(lines),
            "shape": _TIES_SHAPES.get(node["kind"], _TIES_SHAPES["Enterprise"])[2],
            "color": {"background": colour, "border": "#111" if broker else colour},
            "borderWidth": 5 if broker else 1,
            "size": (24 if broker else 12) + (6 if node["kind"] == "Institute" else 0),
            "font": {"size": 20 if broker else 15, "strokeWidth": 3, "strokeColor": "#ffffff"},
        }
        entry.update({
            "cls": f"community:{key}",
            "shapeCls": f"shape:{node['kind'] if node['kind'] in _TIES_SHAPES else 'Enterprise'}",
            "kind": node["kind"],
            "facets": _facets(kind=node["kind"], region=node.get("region_name") or node.get("region")),
            "links": [ego_link(base, node["kind"], node["id"], node["name"])],
        })
        if node["id"] in positions:
            entry["x"], entry["y"] = positions[node["id"]]
        url = ego_url(base, node["kind"], node["id"])
        if url:
            entry["url"] = url
        nodes.append(entry)
    edges = [
        {"id": f"{e['source']}|{e['target']}", "from": e["source"], "to": e["target"], "title": f"COLLABORATES_WITH ×{e.get('count', 1)}, weight {_fmt(e.get('weight'))}",
         "width": round(1 + math.log1p(float(e.get("weight") or 1)), 2)}
        for e in payload["edges"]
    ]
    options = _base_options(physics=not positions, directed=False)
    legend = _legend(classes, "community", match="color") + _legend(_TIES_SHAPES, "shape", match="shape")
    legend.append({"color": "#ffffff", "border": "#111", "shape": "dot", "label": "★ broker 桥梁 (thick border)"})
    present = {n["id"] for n in payload["nodes"]}
    filter_spec = {
        "label": "Show one institute and its enterprises 按机构筛选",
        "all": "All institutes 全部",
        "panel": "net-ties",
        "options": [{"id": i["id"], "name": i["name"], "selected": False} for i in payload.get("institutes", []) if i["id"] in present],
    }
    title = "Enterprise–institute ties 产学研合作网络"
    if payload.get("institute"):
        name = next((n["name"] for n in payload["nodes"] if n["id"] == payload["institute"]), payload["institute"])
        title = f"{name} — ties 合作网络"
    brokers = sorted((n for n in payload["nodes"] if n.get("broker")), key=lambda n: n["broker"].get("betweenness_rank") or 0)
    return _page(
        view="ties",
        title=title,
        subtitle=f"{len(nodes)} nodes, {len(edges)} ties, {len(communities)} communities (Louvain, seed {payload.get('seed')})",
        links=_links(base),
        notes=_omitted_notes(payload.get("omitted")),
        panels=[{"id": "net-ties", "title": ""}],
        networks=[_network("net-ties", nodes, edges, options)],
        legend=legend,
        filter=filter_spec,
        **_controls(base),
        tables=[{"title": "Brokers 桥梁", "columns": ["#", "name", "why"], "rows": [[n["broker"].get("betweenness_rank"), n["name"], "; ".join(n["broker"].get("reasons", []))] for n in brokers]}],
    )


# -- bottlenecks -------------------------------------------------------------------------------
def bottlenecks_page(payload: dict, *, base: str | None = None) -> str:
    """The supply network with chokepoints and critical enterprises highlighted."""
    big = len(payload["nodes"]) > BIG
    positions = {}
    if big:
        groups: dict = {}
        for node in payload["nodes"]:
            key = "flagged" if node.get("flags") else (node.get("region") or "")
            groups.setdefault(key, []).append(node["id"])
        positions = clusters([groups[k] for k in sorted(groups, key=lambda k: (k != "flagged", -len(groups[k]), k))])
    # the style table of the drawing and of its legend: key -> (colour, border, shape, legend)
    classes = {
        "critical_enterprise": (FLAG_STYLE["critical_enterprise"][0], "#111", "dot", FLAG_STYLE["critical_enterprise"][1]),
        "chokepoint": (FLAG_STYLE["chokepoint"][0], "#111", "diamond", FLAG_STYLE["chokepoint"][1]),
        "single_source": (FLAG_STYLE["single_source"][0], "#111", "diamond", FLAG_STYLE["single_source"][1]),
        "enterprise": ("#90a4ae", "#90a4ae", "dot", "enterprise 企业"),
        "stage": (KIND_COLOURS["Stage"], KIND_COLOURS["Stage"], "diamond", "stage 环节"),
    }
    # each flagged node's rank within its kind of flag, for the "top N per kind" slider
    rank_of: dict[str, int] = {}
    for kind in FLAG_STYLE:
        flagged = [n for n in payload["nodes"] if any(f["kind"] == kind for f in n.get("flags", []))]
        flagged.sort(key=lambda n: (-max(f.get("score") or 0 for f in n["flags"] if f["kind"] == kind), n["id"]))
        for rank, n in enumerate(flagged, start=1):
            rank_of[n["id"]] = min(rank, rank_of.get(n["id"], rank))
    nodes = []
    for node in payload["nodes"]:
        kinds = [f["kind"] for f in node.get("flags", [])]
        flag = next((k for k in ("critical_enterprise", "chokepoint", "single_source") if k in kinds), None)
        score = max((f.get("score") or 0 for f in node.get("flags", [])), default=0)
        key = flag or node["kind"].lower()
        colour, border, shape, _ = classes[key]
        if node["kind"] == "Stage":
            size = 24
        else:
            # a critical enterprise grows with its cascade score
            size = round(14 + 3 * math.sqrt(score), 1) if flag else 9 + min(node.get("supply_links") or 0, 8)
        region = node.get("region_name") or node.get("region")
        lines = [f"{node['name']} ({node['id']})", f"Kind 类型: {node['kind']}"]
        if region:
            lines.append(f"Region 地区: {region}" + ("" if node.get("in_region", True) else " (outside the region)"))
        if node.get("supply_links") is not None:
            lines.append(f"Supply links 供应关系: {node['supply_links']}")
        for item in node.get("flags", []):
            lines.append(f"{FLAG_STYLE.get(item['kind'], ('', item['kind']))[1]} — score {_fmt(item.get('score'))}")
            lines += [f"  {reason}" for reason in item.get("reasons", [])]
        entry = {
            "id": node["id"],
            "label": node["name"],
            "title": "\n".join(lines),
            "shape": shape,
            "size": size,
            "color": {"background": colour, "border": border},
            "borderWidth": 3 if flag else 1,
            "font": {"size": 18 if flag else 14, "strokeWidth": 3, "strokeColor": "#ffffff"},
            "cls": f"flag:{key}",
            "kind": node["kind"],
            "facets": _facets(kind=node["kind"], region=region, status=FLAG_STYLE[flag][1] if flag else "not flagged 未标记"),
            "links": [ego_link(base, node["kind"], node["id"], node["name"])],
        }
        if node["id"] in rank_of:
            entry["rank"] = rank_of[node["id"]]
        if node["id"] in positions:
            entry["x"], entry["y"] = positions[node["id"]]
        url = ego_url(base, node["kind"], node["id"])
        if url:
            entry["url"] = url
        nodes.append(entry)
    edges = []
    for edge in payload["edges"]:
        item = {"id": f"{edge['type']}|{edge['source']}|{edge['target']}", "from": edge["source"], "to": edge["target"], "title": edge["type"]}
        if edge["type"] == "OPERATES_IN":
            item.update({"dashes": True, "color": {"color": "#ffb74d"}})
        edges.append(item)
    options = _base_options(physics=not big)
    drawn = {n["cls"] for n in nodes}
    legend = [item for item in _legend(classes, "flag") if item["key"] in drawn] + [
        {"color": "#ffffff", "border": "#52606d", "shape": "dot", "label": "size: cascade score / supply links"},
        {"color": "#9aa5b1", "shape": "line", "label": "SUPPLIES 供货 (supplier → customer)"},
        {"color": "#ffb74d", "shape": "line", "dashed": True, "label": "OPERATES_IN 经营环节"},
    ]
    names = {n["id"]: n["name"] for n in payload["nodes"]}
    rows = [
        [FLAG_STYLE.get(i["kind"], ("", i["kind"]))[1], i.get("name") or names.get(i["node"], i["node"]), _fmt(i.get("score")), (i.get("reasons") or [""])[0]]
        for i in payload.get("items", [])
    ]
    region = payload.get("region")
    return _page(
        view="bottlenecks",
        title=f"Bottlenecks 卡脖子环节 — {region or 'all regions 全部地区'}",
        subtitle=f"{len(nodes)} nodes, {len(edges)} relationships; {len(payload.get('items', []))} flagged items",
        links=_links(base),
        notes=_omitted_notes(payload.get("omitted")),
        panels=[{"id": "net-bottlenecks", "title": ""}],
        networks=[_network("net-bottlenecks", nodes, edges, options)],
        legend=legend,
        top={"max": max(rank_of.values(), default=0), "value": min(TOP_PER_KIND, max(rank_of.values(), default=0)),
             "label": "Top flagged per kind 每类显示前"},
        **_controls(base),
        tables=[{"title": "Flagged 风险点", "columns": ["kind", "name", "score", "why"], "rows": rows}],
    )


_RELATED_STYLE = {
    "present": ("#2e7d32", "#52606d", "dot", "present 具备 (RCA ≥ 1)"),
    "held": ("#a5d6a7", "#52606d", "dot", "activity, not present 有企业"),
    "none": ("#ffffff", "#52606d", "dot", "no local firms 无企业"),
}


def related_page(payload: dict, *, base: str | None = None) -> str:
    """The stage space by proximity: the region's present stages filled, its feasible ones ringed."""
    nodes = []
    for node in payload["nodes"]:
        # ringed only with some relatedness: a missing stage of density 0 is listed, not feasible
        rank = node.get("feasible_rank") if node.get("density") else None
        present, held = node["present"], bool(node["value"])
        key = "present" if present else "held" if held else "none"
        colour = _RELATED_STYLE[key][0]
        lines = [f"{node['name']} ({node['id']})", f"x: {_fmt(node['value'])}, RCA {_fmt(node['rca'])}, present 具备: {present}",
                 f"density 密度 ω: {_fmt(node['density'])}, ubiquity: {node['ubiquity']}"]
        if rank:
            lines.append(f"feasible #{rank} 可培育")
            lines += [f"  {reason}" for reason in node.get("reasons", [])]
        nodes.append({
            "id": node["id"], "label": node["name"], "title": "\n".join(lines), "shape": "dot",
            "size": 12 + 18 * float(node["density"] or 0),
            "color": {"background": colour, "border": "#e65100" if rank else "#52606d"},
            "borderWidth": 5 if rank else 1,
            "font": {"size": 16 if rank or present else 12, "strokeWidth": 3, "strokeColor": "#ffffff"},
            "cls": f"related:{key}", "kind": "Stage",
            "facets": _facets(kind="Stage", status=_RELATED_STYLE[key][3]),
            "links": [ego_link(base, "Stage", node["id"], node["name"])],
        })
    edges = [{"id": f"PROX|{e['source']}|{e['target']}", "from": e["source"], "to": e["target"],
              "title": f"proximity φ = {e['proximity']:.3f}", "width": 1 + 4 * e["proximity"],
              "color": {"color": "#78909c" if e["tree"] else "#cfd8dc"}} for e in payload["edges"]]
    options = _base_options(physics=len(nodes) <= BIG, directed=False)
    legend = _legend(_RELATED_STYLE, "related") + [
        {"color": "#ffffff", "border": "#e65100", "shape": "dot", "label": "feasible 可培育 (ringed: missing, density > 0; size: density)"},
        {"color": "#78909c", "shape": "line", "label": "proximity φ (spanning tree; grey: φ ≥ 0.5)"},
    ]
    rows = [[str(n["feasible_rank"]), n["name"], _fmt(n["density"]), (n.get("reasons") or ["", ""])[1]]
            for n in sorted((n for n in payload["nodes"] if n.get("feasible_rank") and n.get("density")), key=lambda n: n["feasible_rank"])]
    matrix = payload["matrix"]
    peers = ", ".join(f"{p['name']} {p['similarity']:.2f}" for p in payload.get("peers", []))
    return _page(
        view="related",
        title=f"Stage space 产业关联 — {payload['region_name']}",
        subtitle=f"{len(nodes)} stages, {len(edges)} proximity links; matrix of {matrix['regions']} regions ({matrix['rule']})"
                 + (f"; peers: {peers}" if peers else ""),
        links=_links(base),
        notes=_omitted_notes(payload.get("omitted")) + ([matrix["note"]] if matrix.get("note") else []),
        panels=[{"id": "net-related", "title": ""}],
        networks=[_network("net-related", nodes, edges, options)],
        legend=legend,
        **_controls(base),
        tables=[{"title": "Feasible 可培育环节", "columns": ["rank", "stage", "density", "why"], "rows": rows}],
    )


# -- index and search --------------------------------------------------------------------------
def _index_context(payload: dict, base: str) -> dict:
    regions = payload.get("regions", [])
    pair = list(payload.get("featured", []))
    default = pair[0] if pair else None
    first = quote(default or "", safe="")
    links = {
        "chain": f"{base}/chain?region={first}" if default else None,
        "compare": f"{base}/compare?{urlencode({'regions': ','.join(pair)})}" if len(pair) == 2 else None,
        "ego": "#q",
        "ties": f"{base}/ties",
        "bottlenecks": f"{base}/bottlenecks",
        "panorama": f"{base}/panorama?region={first}" if default else None,
        "heatmap": f"{base}/heatmap",
    }
    stats = payload.get("stats") or {}
    nodes = stats.get("nodes") or {}
    view_links = [{"href": links[v["view"]], "title": v["title"], "needs": v["needs"]} for v in payload.get("views", []) if links.get(v["view"])]
    return {
        "regions": regions,
        "institutes": payload.get("institutes", []),
        "default_region": default,
        "compare_pair": pair if len(pair) == 2 else [None, None],
        "view_links": view_links,
        "stats": ", ".join(f"{v} {k}" for k, v in nodes.items() if v) if nodes else "",
        "base": base,
    }


def index_page(payload: dict, *, base: str = "/views", search: dict | None = None) -> str:
    """The start page: search box, region picker, links to every view."""
    context = _index_context(payload, base)
    results = None
    if search is not None:
        results = [dict(hit, href=ego_url(base, hit["kind"], hit["id"])) for hit in search.get("results", [])]
    return _page(
        "index.html",
        view="index",
        title="chainx — industrial chain explorer 产业链图谱",
        subtitle="Search a node, or pick a region to see its chain map, gaps and bottlenecks.",
        query=(search or {}).get("query", ""),
        total=(search or {}).get("total", 0),
        results=results,
        **context,
    )


def search_page(payload: dict, *, base: str = "/views", index: dict | None = None) -> str:
    """Search results (links to each hit's neighbourhood), above the index page's pickers."""
    return index_page(index or {"views": [], "regions": [], "institutes": []}, base=base, search=payload)


_PAGES = {
    "chain": chain_page,
    "compare": compare_page,
    "snapshot": snapshot_page,
    "ego": ego_page,
    "ties": ties_page,
    "bottlenecks": bottlenecks_page,
    "related": related_page,
}


def render(payload: dict, *, base: str | None = None) -> str:
    """The HTML page of any view payload (``payload["view"]`` says which)."""
    view = payload.get("view")
    if view == "index":
        return index_page(payload, base=base or "/views")
    if view == "search":
        return search_page(payload, base=base or "/views")
    if view in ("panorama", "heatmap"):  # static pages of their own module (which imports this one)
        from . import panorama

        return getattr(panorama, f"{view}_page")(payload, base=base)
    try:
        page = _PAGES[view]
    except KeyError:
        raise ValueError(f"not a view payload: {view!r}") from None
    return page(payload, base=base)
