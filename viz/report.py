"""The briefing (graph.analysis.briefing) as a document to hand up: HTML, Word, PDF or a workbook.

The document is first laid out once as a list of blocks (a heading, a paragraph, a table of
header and rows, the chain map as an inline SVG picture; :func:`document`), in the report's language from the catalogue (graph/i18n.py);
each format renders those same blocks, so the HTML, the .docx and the PDF say the same thing.
Nothing is computed here: every number is a field of the briefing's reports.

- HTML: one self-contained page (no script, no external asset), printable (``@media print``).
- DOCX: python-docx, real tables with a repeated header row, the CJK font set (``w:eastAsia``). The
  chain map picture is left out there (a PNG would need a rasteriser this project does not ship):
  the shaded panorama table below it says the same per stage.
- PDF: the HTML printed by headless Chromium (``--print-to-pdf``); without Chromium a clear
  :class:`graph.errors.MissingTool`.
- XLSX: the briefing's tables through viz/workbook.py.

>>> from viz.report import TIER_KEYS
>>> TIER_KEYS["upstream"]
'brief.tier_upstream'
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from graph import __version__
from graph.errors import MissingTool
from graph.i18n import header, joined, message
from graph.reports import BriefingReport

__all__ = ["Block", "document", "chain_map_svg", "MAP_COLOURS", "briefing_html", "briefing_docx", "briefing_pdf", "briefing_xlsx", "chromium_path", "render", "CJK_FONT"]

CJK_FONT = "宋体"  # Word's SimSun; LibreOffice and WPS map it to the CJK serif font they have
LATIN_FONT = "Times New Roman"
CHROMIUM_ENV = "CHAINX_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TIER_KEYS = {"upstream": "brief.tier_upstream", "midstream": "brief.tier_midstream", "downstream": "brief.tier_downstream",
             "support": "brief.tier_support", None: "brief.tier_none"}
# light versions of the chain view's colours (viz/pages.py): present green, weak yellow, missing red
STATUS_SHADES = {"present": "E8F5E9", "weak": "FFF8E1", "missing": "FFEBEE"}
# the chain view's colours (viz/pages.py STATUS_STYLE: present, strengthen, break) for the chain map picture
MAP_COLOURS = {"present": "#43a047", "weak": "#fbc02d", "missing": "#e53935"}
MAP_TEXT = {"present": "#ffffff", "weak": "#222222", "missing": "#ffffff"}
STATUS_KEYS = {"present": "brief.status_present", "weak": "brief.status_weak", "missing": "brief.status_missing"}
GAP_KIND_KEYS = {"break": "brief.kind_break", "extension": "brief.kind_extension", "absent": "brief.kind_absent",
                 "strengthen": "brief.kind_strengthen"}
BOTTLENECK_KEYS = {"chokepoint": "brief.bkind_chokepoint", "single_source": "brief.bkind_single_source",
                   "critical_enterprise": "brief.bkind_critical_enterprise"}


@dataclass
class Block:
    """One part of the document: ``kind`` h1, h2, p (``text``) or table (``headers``, ``rows``)."""

    kind: str
    text: str = ""  # for an svg block, the picture's markup (escaped when made)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    shades: list[str] = field(default_factory=list)  # a table's row colours (the panorama's by status), "" for none


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def document(report: BriefingReport, *, date: str) -> list[Block]:
    """The briefing laid out as blocks, in its language; ``date``: the day it is made."""
    lang = report._lang
    gaps, counts = report.gaps, report.gaps.counts
    name = report.region_name

    def say(key: str, **params: Any) -> str:
        return message(key, lang, **params)

    blocks = [
        Block("h1", say("brief.title", region_name=name)),
        Block("p", say("brief.meta", region_name=name, region=report.region, version=report.data_version, date=date, chainx=__version__)),
        Block("h2", say("brief.summary")),
        Block("p", say("brief.summary_text", stages=counts.stages, region_name=name, present=counts.present, weak=counts.weak,
                       missing=counts.missing, completeness=gaps.completeness, weighted=gaps.completeness_weighted,
                       enterprises=gaps.local_enterprises, institutes=report.institutes)),
        Block("table", headers=[say("brief.measure"), say("brief.value")], rows=[
            [say("brief.stages"), str(counts.stages)], [say("brief.present"), str(counts.present)], [say("brief.weak"), str(counts.weak)],
            [say("brief.missing"), str(counts.missing)], [say("brief.completeness"), f"{gaps.completeness:.1%}"],
            [say("brief.enterprises"), str(gaps.local_enterprises)], [say("brief.institutes"), str(report.institutes)],
        ]),
        Block("h2", say("brief.panorama")),
        Block("p", say("brief.panorama_text", region_name=name)),
        Block("svg", chain_map_svg(report)),
        Block("p", say("brief.map_caption", region_name=name)),
    ]
    tiers = [t for t in TIER_KEYS if any(s.tier == t for s in gaps.stages)]
    panorama = []
    for status, key in STATUS_KEYS.items():
        row = [say(key)]
        for tier in tiers:
            row.append(joined([f"{s.name} ({s.local_enterprises})" for s in gaps.stages if s.tier == tier and s.status == status], lang))
        panorama.append(row)
    blocks.append(Block("table", headers=[say("brief.status"), *(say(TIER_KEYS[t]) for t in tiers)], rows=panorama,
                        shades=list(STATUS_SHADES.values())))

    blocks.append(Block("h2", say("brief.gaps")))
    if report.top_gaps:
        blocks.append(Block("p", say("brief.gaps_text", shown=len(report.top_gaps), total=gaps.gaps_total, region_name=name)))
        blocks.append(Block("table", headers=[header(h, lang) for h in ("rank", "stage", "name", "kind", "score", "density")], rows=[
            [str(rank), g.stage, g.name, say(GAP_KIND_KEYS[g.kind]), _number(g.score), _number(g.density)]
            for rank, g in enumerate(report.top_gaps, start=1)]))
        for rank, g in enumerate(report.top_gaps, start=1):
            blocks.append(Block("h3", f"{rank}. {g.name}（{g.stage}）· {say(GAP_KIND_KEYS[g.kind])}"))
            blocks += [Block("p", reason) for reason in g.reasons]
            if g.candidates:
                blocks.append(Block("table", headers=[header(h, lang) for h in ("rank", "name", "region", "score")] + [say("brief.why")],
                                    rows=[[str(i), c.name, report.region_names.get(c.region, c.region or ""), _number(c.score), " ".join(c.reasons)]
                                          for i, c in enumerate(g.candidates, start=1)]))
            else:
                blocks.append(Block("p", say("brief.no_candidates")))
    else:
        blocks.append(Block("p", say("brief.no_gaps", region_name=name)))

    b = report.bottlenecks
    blocks.append(Block("h2", say("brief.bottlenecks")))
    kinds = joined([f"{say(BOTTLENECK_KEYS[k])} {n}" for k, n in b.counts.items()], lang)
    blocks.append(Block("p", say("brief.bottlenecks_text", scope=b.scope, top=report.top, counts=kinds)))
    if report.top_bottlenecks:
        blocks.append(Block("table", headers=[header(h, lang) for h in ("kind", "name", "score")] + [say("brief.why")], rows=[
            [say(BOTTLENECK_KEYS[i.kind]), i.name, _number(i.score), i.reasons[0] if i.reasons else ""] for i in report.top_bottlenecks]))
    else:
        blocks.append(Block("p", say("brief.no_bottlenecks")))

    if report.peers is not None:
        blocks += _peer_blocks(report, say)

    t = report.ties
    blocks.append(Block("h2", say("brief.ties")))
    blocks.append(Block("p", say("brief.ties_text", ties=t.ties, enterprises_with_ties=t.enterprises_with_ties, enterprises=t.enterprises,
                                 institutes_with_ties=t.institutes_with_ties, institutes=t.institutes, communities=t.communities,
                                 local=len(report.region_ties), region_name=name)))
    if report.region_ties:
        blocks.append(Block("table", headers=[header(h, lang) for h in ("name", "ties", "institutes", "tie_kinds")], rows=[
            [row.name, str(row.ties), str(row.institutes), "; ".join(f"{k} {n}" for k, n in row.tie_kinds.items())]
            for row in report.region_ties]))

    blocks.append(Block("h2", say("brief.parameters")))
    blocks.append(Block("table", headers=[say("brief.measure"), say("brief.value")],
                        rows=[[k, str(v)] for k, v in report.parameters.items()]))
    blocks.append(Block("h2", say("brief.method")))
    blocks.append(Block("p", say("brief.method_text")))
    return blocks


def _peer_blocks(report: BriefingReport, say) -> list[Block]:
    """The comparison with the peer regions: the compare report's rows (its ``top`` busiest stages)
    and each region's completeness."""
    c, lang = report.peers, report._lang
    names = [report.region_names.get(r, report.region_name if r == report.region else r) for r in c.regions]
    rows = [[row.stage, row.name, *(f"{say(STATUS_KEYS[row.coverage(r).status])} ({row.coverage(r).local_enterprises})" for r in c.regions)]
            for row in c.stages]
    rows.append([say("brief.completeness"), "", *(f"{c.completeness[r]:.1%}" for r in c.regions)])
    return [
        Block("h2", say("brief.peers")),
        Block("p", say("brief.peers_text", region_name=report.region_name, peers=joined(names[1:], lang), shown=c.stages_listed,
                       total=c.stages_total)),
        Block("table", headers=[header("stage", lang), header("name", lang), *names], rows=rows),
    ]


# the chain map picture: boxes of BOX_W x BOX_H, spaced GAP_X x GAP_Y, the support band below the main chain
# (a textile chain is 14 columns deep: narrow boxes, two lines each, keep the names legible on A4)
BOX_W, BOX_H, GAP_X, GAP_Y, PAD, BAND_GAP, LEGEND_H = 84, 44, 16, 10, 8, 34, 30
NAME_CHARS = 5  # a longer name is cut (the full one is the box's tooltip)
FONT_SIZE = 15


def chain_map_svg(report: BriefingReport) -> str:
    """The chain map as one inline SVG: each stage a box at its column and row (upstream left,
    support band below), filled with its status colour, FEEDS links as arrows, and a legend."""
    from markupsafe import Markup, escape

    stages = report.chain_map.stages
    lang = report._lang
    main_rows = max((s.row + 1 for s in stages if s.band == "main"), default=0)
    support_rows = max((s.row + 1 for s in stages if s.band == "support"), default=0)
    columns = max((s.column + 1 for s in stages), default=1)
    main_h = main_rows * (BOX_H + GAP_Y)
    support_top = PAD + LEGEND_H + main_h + (BAND_GAP if support_rows else 0)
    width = PAD * 2 + columns * (BOX_W + GAP_X) - GAP_X
    height = support_top + support_rows * (BOX_H + GAP_Y) + PAD
    where = {}
    for s in stages:
        top = PAD + LEGEND_H if s.band == "main" else support_top
        where[s.stage] = (PAD + s.column * (BOX_W + GAP_X), top + s.row * (BOX_H + GAP_Y))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chain-map" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="{escape(message("brief.panorama", lang))}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M0,0 L10,5 L0,10 z" fill="#78909c"/></marker></defs>']
    x = PAD
    for status, colour in MAP_COLOURS.items():
        label = escape(message(STATUS_KEYS[status], lang))
        parts.append(f'<rect class="legend" x="{x}" y="{PAD}" width="14" height="14" fill="{colour}"/>'
                     f'<text x="{x + 20}" y="{PAD + 13}" font-size="{FONT_SIZE}">{label}</text>')
        x += 120
    if support_rows:
        parts.append(f'<text x="{PAD}" y="{support_top - 8}" font-size="{FONT_SIZE}" fill="#555">{escape(message("brief.tier_support", lang))}</text>')
    for u, v in report.chain_map.links:
        (x1, y1), (x2, y2) = where[u], where[v]
        if x2 > x1:  # downstream: right edge to left edge
            start, end = (x1 + BOX_W, y1 + BOX_H / 2), (x2, y2 + BOX_H / 2)
        else:  # a support stage, or a cycle: bottom or top edge to the other box
            start = (x1 + BOX_W / 2, y1 if y2 < y1 else y1 + BOX_H)
            end = (x2 + BOX_W / 2, y2 + BOX_H if y2 < y1 else y2)
        parts.append(f'<line class="feeds" x1="{start[0]:g}" y1="{start[1]:g}" x2="{end[0]:g}" y2="{end[1]:g}" stroke="#90a4ae" '
                     f'stroke-width="1" marker-end="url(#arrow)"/>')
    for s in stages:
        x, y = where[s.stage]
        short = s.name if len(s.name) <= NAME_CHARS else s.name[:NAME_CHARS - 1] + "…"
        tip = f"{s.name} ({s.stage}): {message(STATUS_KEYS[s.status], lang)}, {s.local_enterprises}"
        parts.append(f'<g class="stage" data-stage="{escape(s.stage)}" data-status="{s.status}"><title>{escape(tip)}</title>'
                     f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{MAP_COLOURS[s.status]}" stroke="#37474f" '
                     f'stroke-width="0.8"/><text x="{x + BOX_W / 2:g}" y="{y + 19}" text-anchor="middle" font-size="{FONT_SIZE}" '
                     f'fill="{MAP_TEXT[s.status]}">{escape(short)}<tspan x="{x + BOX_W / 2:g}" dy="17">({s.local_enterprises})</tspan></text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


_CSS = """
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", SimSun, "宋体", "Microsoft YaHei", serif;
       max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.6; color: #222; }
h1 { font-size: 1.7em; text-align: center; margin-bottom: .2em; }
h1 + p { text-align: center; color: #555; font-size: .9em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #1e88e5; padding-bottom: .2em; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin: 1.2em 0 .3em; }
p { margin: .4em 0; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1em; font-size: .9em; }
th, td { border: 1px solid #999; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #e3f2fd; }
td:first-child, th:first-child { white-space: nowrap; }
figure { margin: .6em 0; }
svg.chain-map { font-family: inherit; max-width: 100%; height: auto; }
@page { size: A4; margin: 18mm 15mm; }
@media print {
  figure { break-inside: avoid; page-break-inside: avoid; }
  svg.chain-map, tr { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
}
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
{% for b in blocks %}{% if b.kind == "table" %}<table>
<thead><tr>{% for h in b.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in b.rows %}
<tr{% if b.shades and b.shades[loop.index0] %} style="background: #{{ b.shades[loop.index0] }}"{% endif %}>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>
{% elif b.kind == "svg" %}<figure>{{ b.text }}</figure>
{% else %}<{{ b.kind }}>{{ b.text }}</{{ b.kind }}>
{% endif %}{% endfor %}</body>
</html>
"""


def briefing_html(report: BriefingReport, *, date: str) -> str:
    """The briefing as one self-contained, printable HTML page."""
    from markupsafe import Markup

    blocks = document(report, date=date)
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    lang = "zh-CN" if report._lang == "zh" else "en"
    return env.from_string(_TEMPLATE).render(blocks=blocks, title=blocks[0].text, lang=lang, css=Markup(_CSS))


def _cjk_font(run_or_style, size: float | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), CJK_FONT)


def briefing_docx(report: BriefingReport, *, date: str) -> bytes:
    """The briefing as a Word document (.docx): headings, paragraphs, tables with a header row."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = Document()
    for style in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
        _cjk_font(doc.styles[style], 10.5 if style == "Normal" else None)
    for b in document(report, date=date):
        if b.kind == "h1":
            doc.add_heading(b.text, level=0)
        elif b.kind in ("h2", "h3"):
            doc.add_heading(b.text, level=1 if b.kind == "h2" else 2)
        elif b.kind == "svg":
            continue  # no rasteriser to make a PNG of it offline: the panorama table below says the same
        elif b.kind == "p":
            doc.add_paragraph(b.text)
        else:
            table = doc.add_table(rows=1 + len(b.rows), cols=len(b.headers))
            table.style = "Table Grid"
            head = table.rows[0]
            # the header row repeats on every page the table runs onto
            head._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
            for cell, text in zip(head.cells, b.headers):
                cell.text = ""
                run = cell.paragraphs[0].add_run(text)
                run.bold = True
            for i, (row, cells) in enumerate(zip(table.rows[1:], b.rows)):
                for cell, text in zip(row.cells, cells):
                    cell.text = text
                    if b.shades and b.shades[i]:
                        shade = OxmlElement("w:shd")
                        shade.set(qn("w:val"), "clear")
                        shade.set(qn("w:fill"), b.shades[i])
                        cell._tc.get_or_add_tcPr().append(shade)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def chromium_path() -> str | None:
    """The Chromium to print with: CHAINX_CHROMIUM, else the first of the usual names on PATH."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given if Path(given).exists() else None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def briefing_pdf(report: BriefingReport, *, date: str, timeout: float = 120) -> bytes:
    """The briefing's HTML printed to PDF by headless Chromium (offline: the page has no asset to fetch)."""
    browser = chromium_path()
    if browser is None:
        raise MissingTool(f"a PDF is printed by Chromium, and none was found (looked for {', '.join(CHROMIUM_NAMES)} on PATH and "
                          f"{CHROMIUM_ENV}): install it (Debian: apt-get install chromium) or write .html or .docx instead")
    with tempfile.TemporaryDirectory(prefix="chainx-report-") as folder:
        page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(briefing_html(report, date=date), encoding="utf-8")
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                   "--disable-component-update", "--disable-sync", f"--user-data-dir={folder}/profile", "--no-pdf-header-footer",
                   f"--print-to-pdf={pdf}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise MissingTool(f"Chromium ({browser}) could not print the PDF: {error}") from None
        if not pdf.exists() or pdf.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise MissingTool(f"Chromium ({browser}) printed no PDF (exit {done.returncode}: {tail[0]})")
        return pdf.read_bytes()


def briefing_xlsx(report: BriefingReport, about: dict) -> bytes:
    """The briefing's tables as a workbook (说明 About first, then one sheet per table)."""
    from .workbook import report_xlsx

    return report_xlsx(report, about)


def render(report: BriefingReport, format: str, *, date: str, about: dict | None = None) -> bytes:
    """The briefing in ``format`` (html, docx, pdf, xlsx, json) as bytes."""
    if format == "html":
        return briefing_html(report, date=date).encode("utf-8")
    if format == "docx":
        return briefing_docx(report, date=date)
    if format == "pdf":
        return briefing_pdf(report, date=date)
    if format == "xlsx":
        return briefing_xlsx(report, about or {})
    from .formats import to_json

    return to_json(report).encode("utf-8")
