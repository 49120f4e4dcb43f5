"""The briefing to hand up (chainx report, GET /regions/{id}/report) on data/textile: what it lists is
what the gaps, bottlenecks and ties reports say (computed here by those analyses themselves), in
Chinese by default, the same from the CLI and the API, in HTML, Word, PDF and xlsx."""

from __future__ import annotations

import io
import unicodedata
from html.parser import HTMLParser

import docx
import pypdf
import pytest
from docx.oxml.ns import qn
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph import params as P
from graph.analysis.bottlenecks import bottlenecks
from graph.analysis.gaps import gaps
from graph.store.sqlite import SqliteStore


class _Text(HTMLParser):
    """Every element's text, by tag; and every attribute that could fetch something."""

    def __init__(self):
        super().__init__()
        self.by_tag: dict[str, list[str]] = {}
        self.fetching: list[tuple[str, str]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._open.append(tag)
        self.fetching += [(name, value) for name, value in attrs if name in ("src", "href")]

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._open and data.strip():
            self.by_tag.setdefault(self._open[-1], []).append(data.strip())


def parsed(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def expected(textile_db):
    """The reference: the gaps and bottlenecks reports of Tianmen, by their own analyses."""
    with SqliteStore(textile_db) as store:
        return gaps(store, "tianmen"), bottlenecks(store, "tianmen")


@pytest.fixture(scope="module")
def api(textile_db):
    with TestClient(create_app(Settings(store=str(textile_db))), base_url="http://localhost") as client:
        yield client


@pytest.fixture(scope="module")
def cli_html(textile_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "tianmen.html"
    result = CliRunner().invoke(cli, ["report", "--region", "tianmen", "--lang", "zh", "-o", str(out), "--store", str(textile_db)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_the_html_lists_the_gaps_report_s_top_gaps_with_their_candidates_in_chinese(cli_html, expected):
    gaps_report, _ = expected
    page = parsed(cli_html)
    top = gaps_report.gaps[:10]
    assert [h.split(".", 1)[1].split("（")[0].strip() for h in page.by_tag["h3"]] == [g.name for g in top]
    cells = page.by_tag["td"]
    for gap in top:
        assert gap.stage in cells
        for candidate in gap.candidates:
            assert candidate.name in cells
    assert page.by_tag["h1"] == ["天门市产业链招商简报"]
    assert "产业链全景" in page.by_tag["h2"] and "方法说明" in page.by_tag["h2"]
    assert f"{gaps_report.counts.present}" in cells and f"{gaps_report.counts.missing}" in cells
    assert page.fetching == []  # self-contained: nothing to fetch
    assert "@media print" in cli_html


def test_the_bottlenecks_shown_are_the_first_of_each_kind_of_the_bottlenecks_report(cli_html, expected):
    _, report = expected
    cells = parsed(cli_html).by_tag["td"]
    for kind in report.counts:
        for item in [i for i in report.items if i.kind == kind][:10]:
            assert item.name in cells


def test_the_api_gives_the_document_the_cli_writes(api, cli_html):
    response = api.get("/regions/tianmen/report", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert parsed(response.text).by_tag == parsed(cli_html).by_tag
    assert api.get("/regions/tianmen/report", headers={"Accept": "application/json"}).json()["region"] == "tianmen"


def test_english_by_lang(api, expected):
    page = parsed(api.get("/regions/tianmen/report", params={"lang": "en"}).text)
    assert page.by_tag["h1"] == ["Industrial-chain briefing: 天门市"]
    assert "Method" in page.by_tag["h2"]


def test_the_docx_has_real_tables_with_header_rows_and_the_cjk_font(api, expected):
    gaps_report, _ = expected
    response = api.get("/regions/tianmen/report", params={"format": "docx", "lang": "zh"})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    document = docx.Document(io.BytesIO(response.content))
    assert document.paragraphs[0].text == "天门市产业链招商简报"
    fonts = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia"))
    for table in document.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    (listed,) = [t for t in document.tables if t.rows[0].cells[1].text == "环节 stage"]
    assert [row.cells[1].text for row in listed.rows[1:]] == [g.stage for g in gaps_report.gaps[:10]]
    # the first gap's candidates: name, and the name of the region they are in (Shengze's is 盛泽镇)
    first = next(t for t in document.tables if t.rows[0].cells[0].text == "排名 rank" and t.rows[0].cells[1].text == "名称 name")
    assert [row.cells[1].text for row in first.rows[1:]] == [c.name for c in gaps_report.gaps[0].candidates]
    assert "盛泽镇" in [row.cells[2].text for row in first.rows[1:]] and "shengze" in [c.region for c in gaps_report.gaps[0].candidates]
    by_accept = api.get("/regions/tianmen/report", params={"lang": "zh"}, headers={"Accept": P.BRIEFING_MEDIA_TYPES["docx"]})
    assert by_accept.headers["content-type"] == P.BRIEFING_MEDIA_TYPES["docx"]
    assert [p.text for p in docx.Document(io.BytesIO(by_accept.content)).paragraphs] == [p.text for p in document.paragraphs]


def test_the_workbook_has_the_briefing_s_tables(api, expected):
    gaps_report, _ = expected
    book = load_workbook(io.BytesIO(api.get("/regions/tianmen/report", params={"format": "xlsx"}).content))
    assert book.sheetnames[0] == "说明 About" and "gaps" in book.sheetnames
    assert [row[0] for row in book["gaps"].iter_rows(min_row=2, values_only=True)] == [g.stage for g in gaps_report.gaps[:10]]


def test_the_pdf_holds_the_gaps(textile_db, tmp_path, expected):
    gaps_report, _ = expected
    out = tmp_path / "tianmen.pdf"
    result = CliRunner().invoke(cli, ["report", "--region", "tianmen", "--top", "3", "--lang", "zh", "-o", str(out), "--store", str(textile_db)])
    assert result.exit_code == 0, result.output
    # whitespace out (a narrow table cell wraps an id across lines), ligatures undone (NFKC: ﬁ is fi)
    text = unicodedata.normalize("NFKC", "".join("".join(page.extract_text() for page in pypdf.PdfReader(out).pages).split()))
    for gap in gaps_report.gaps[:3]:
        assert gap.stage in text
    assert "概况" in text


def test_a_pdf_without_chromium_is_one_clear_line_and_no_file(textile_db, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINX_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "t.pdf"
    result = CliRunner().invoke(cli, ["report", "--region", "tianmen", "-o", str(out), "--store", str(textile_db)])
    assert result.exit_code == 1 and result.output.startswith("Error: a PDF is printed by Chromium") and not out.exists()
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_region_or_suffix_is_refused_with_suggestions(api, textile_db, tmp_path):
    result = CliRunner().invoke(cli, ["report", "--region", "tianmn", "-o", str(tmp_path / "x.html"), "--store", str(textile_db)])
    assert result.exit_code == 1 and result.output.strip() == "Error: unknown region 'tianmn'; did you mean 天门市 (tianmen)?"
    response = api.get("/regions/tianmn/report")
    assert response.status_code == 404 and "did you mean 天门市 (tianmen)" in response.json()["error"]["message"]
    result = CliRunner().invoke(cli, ["report", "--region", "tianmen", "-o", str(tmp_path / "x.txt"), "--store", str(textile_db)])
    assert result.exit_code == 1 and result.output.startswith("Error: output: write a .html, .docx, .pdf or .xlsx file")


def test_a_pdf_over_http_without_chromium_is_a_406_naming_what_is_missing(textile_db, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINX_CHROMIUM", str(tmp_path / "no-chromium"))
    with TestClient(create_app(Settings(store=str(textile_db))), base_url="http://localhost") as client:  # its own cache
        response = client.get("/regions/tianmen/report", params={"format": "pdf"})
    assert response.status_code == 406
    assert response.json()["error"]["type"] == "MissingTool" and "Chromium" in response.json()["error"]["message"]
