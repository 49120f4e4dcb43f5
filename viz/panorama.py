"""The chain panorama (产业链全景图) and the region × stage heat map: static HTML and CSS, no
physics and no script, so they print as a promotion office pins them on a wall.

Both are drawn from payloads of graph/views_data.py (:func:`~graph.views_data.panorama_view`,
:func:`~graph.views_data.heatmap_view`); this module only chooses words, colours and places.

>>> page = panorama_page({"view": "panorama", "region": {"id": "r", "name": "<R>"}, "columns": [], "summary": {},
...                       "stages_drawn": 0, "omitted": None, "chain_scope": {}})
>>> "&lt;R&gt;" in page and "<R>" not in page
True
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

from .pages import GAP_TEXT, STATUS_STYLE, STATUS_TEXT, _links, _omitted_notes, _page, _static, ego_url

__all__ = ["panorama_page", "heatmap_page", "COLUMN_TEXT", "heat_colour"]

COLUMN_TEXT = {"upstream": "上游 Upstream", "midstream": "中游 Midstream", "downstream": "下游 Downstream", "support": "配套服务 Support"}
# the textile data's stage groups in Chinese; any other group shows as the data names it
GROUP_TEXT = {
    "raw_material": "原材料", "petrochemical": "石油化工", "polymer": "聚合", "fibre": "化学纤维", "yarn": "纺纱",
    "fabric": "织造", "wet_processing": "印染整理", "finishing_process": "整理工艺", "accessory": "服装辅料",
    "end_product": "终端产品", "service": "生产性服务",
}
# the heat map's colour steps, light to dark (ColorBrewer Blues, 7 classes)
HEAT = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594")
EMPTY = "#ffffff"
SUB_STAGES_SHOWN = 8  # sub-stages listed open in a box; the others behind "N more"


def _box_key(box: dict) -> str:
    """The key of STATUS_STYLE a box is drawn with (the chain map's colours)."""
    if box.get("gap") in STATUS_STYLE:
        return box["gap"]
    return {"present": "present", "weak": "strengthen"}.get(box.get("status"), "absent")


def _status_text(box: dict) -> str:
    return GAP_TEXT.get(box.get("gap")) or STATUS_TEXT.get(box.get("status"), box.get("status") or "")


def heat_colour(count: int, top: int) -> str:
    """The fill of a heat-map cell: white for none, else one of :data:`HEAT` by log scale of the
    count against the map's largest (a town of 40 firms in a stage and one of 2 both show).

    >>> heat_colour(0, 10), heat_colour(10, 10), heat_colour(1, 1)
    ('#ffffff', '#084594', '#084594')
    """
    if count <= 0:
        return EMPTY
    step = math.log1p(count) / math.log1p(max(top, 1))
    return HEAT[min(len(HEAT) - 1, max(0, math.ceil(step * len(HEAT)) - 1))]


def _legend_status() -> list[dict]:
    return [{"color": c, "border": b, "label": text} for c, b, _, text in STATUS_STYLE.values()]


def panorama_page(payload: dict, *, base: str | None = None) -> str:
    """The chain panorama of one region: columns upstream → downstream, a box per stage."""
    region = payload["region"]["name"]
    columns = []
    for column in payload["columns"]:
        groups = []
        for group in column["groups"]:
            boxes = []
            for box in group["stages"]:
                key = _box_key(box)
                colour, border, _, _ = STATUS_STYLE[key]
                # sub-stages with enterprises first (up to SUB_STAGES_SHOWN); the rest folded, as a
                # national category holds dozens of empty ones
                busy = [sub for sub in box["sub_stages"] if sub["local_enterprises"] or sub["national_enterprises"]]
                shown = busy[:SUB_STAGES_SHOWN]
                folded = [sub for sub in box["sub_stages"] if sub not in shown]
                boxes.append({
                    **box, "key": key, "colour": colour, "border": border, "status_text": _status_text(box),
                    "href": ego_url(base, "stage", box["stage"]), "subs_shown": shown, "subs_folded": folded,
                })
            name = group.get("group")
            groups.append({"title": GROUP_TEXT.get(name, name) if name else "", "subtitle": name if name in GROUP_TEXT else "",
                           "boxes": boxes})
        columns.append({"title": COLUMN_TEXT.get(column["column"], column["column"]), "groups": groups})
    summary = payload.get("summary") or {}
    parts = [f"{payload['stages_drawn']} stages 环节"]
    if payload.get("completeness") is not None:
        parts.append(f"completeness 完整度 {payload['completeness']:.0%}")
    parts += [f"{GAP_TEXT.get(k, STATUS_TEXT.get(k, k))}: {v}" for k, v in summary.items()]
    scope = payload.get("chain_scope") or {}
    notes = _omitted_notes(payload.get("omitted"))
    if scope.get("rule") and scope.get("kind") != "whole":
        notes.append(f"Scope 范围: {scope['rule']}")
    return _page(
        "panorama.html",
        view="panorama",
        title=f"{region} — 产业链全景图 chain panorama",
        subtitle=" · ".join(parts) + " · 本地 local / 全国 national enterprises",
        links=_links(base),
        notes=notes,
        columns=columns,
        legend=_legend_status(),
        panorama_css=_static("panorama.css"),
    )


def heatmap_page(payload: dict, *, base: str | None = None) -> str:
    """Regions as rows, stages as columns, each cell the region's enterprises in the stage."""
    top = payload.get("max") or 0
    rows = []
    for row in payload["regions"]:
        cells = [
            {"count": count, "status": status, "colour": heat_colour(count, top), "dark": heat_colour(count, top) in HEAT[4:],
             "title": f"{row['name']} · {stage['name']}: {count} 家企业 enterprises, {STATUS_TEXT.get(status, status)}"}
            for count, status, stage in zip(row["counts"], row["statuses"], payload["stages"], strict=True)
        ]
        href = f"{base}/panorama?{urlencode({'region': row['region']})}" if base else None
        rows.append({**row, "cells": cells, "href": href})
    steps = []
    for colour in HEAT:
        # the smallest count drawn in each colour
        low = next((n for n in range(1, top + 1) if heat_colour(n, top) == colour), None)
        if low is not None:
            steps.append({"color": colour, "label": f"≥ {low}"})
    scope = payload.get("chain_scope") or {}
    notes = _omitted_notes(payload.get("omitted"))
    if scope.get("rule") and scope.get("kind") != "whole":
        notes.append(f"Scope 范围: {scope['rule']}")
    return _page(
        "heatmap.html",
        view="heatmap",
        title="区域 × 环节热力图 regions × stages heat map",
        subtitle=f"{len(rows)} regions 区域 ({payload.get('selection')}) × {len(payload['stages'])} stages 环节 · "
                 "cells: enterprises in the region and below it 本地企业数",
        links=_links(base),
        notes=notes,
        stages=payload["stages"],
        rows=rows,
        steps=[{"color": EMPTY, "label": "0"}, *steps],
        panorama_css=_static("panorama.css"),
    )
