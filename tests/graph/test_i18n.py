"""The message catalogue (graph/i18n.py): both languages hold every key with the same fields, the
code asks only for keys it holds, and a gaps report reads in the language asked for, the same at
the CLI and the API, with the JSON keys and every number unchanged."""

from __future__ import annotations

import csv
import io
import json
import re
import string
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph.analysis.gaps import gaps
from graph.errors import InvalidParameter
from graph.i18n import CATALOGUE, LANG_ENV, accepted_lang, label
from graph.model import GraphData, Node, Relationship
from graph.reports import REPORTS
from graph.store.sqlite import SqliteStore
from tests.conftest import ROOT

CJK = re.compile("[\u4e00-\u9fff]")
# the words of the English sentences; none may be left in a Chinese one (ids, names and the
# relationship types such as SUPPLIES aside)
ENGLISH_WORDS = re.compile(r"\b(enterprises?|upstream|downstream|[Oo]perates?|institutes?|employees|revenue|cycle|fewer|"
                           r"supplies|[Ss]hares|Already|Only|counted|Size|Works|No|places|relatedness)\b")
# a key the code names: a string literal of one of the catalogue's families
KEY_LITERAL = re.compile(r"""["']((?:gap|cand|gaps|listing|col|brief|bn|wi|cmp|ties|rel|view|scope)\.[a-z_]+|and)["']""")
CODE = [p for folder in ("graph", "viz", "api", "chainx") for p in (ROOT / folder).rglob("*.py") if p.name != "i18n.py"]


def code_text(path: Path) -> str:
    """The code of ``path``; of the catalogue module its functions only (not the catalogue)."""
    text = path.read_text(encoding="utf-8")
    return text[text.index("def message("):] if path.name == "i18n.py" else text


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_is_in_both_languages_with_the_same_fields():
    assert set(CATALOGUE["zh"]) == set(CATALOGUE["en"])
    for key, english in CATALOGUE["en"].items():
        assert fields(CATALOGUE["zh"][key]) == fields(english), key


def test_every_key_the_code_asks_for_is_in_the_catalogue_and_every_sentence_is_used():
    used = {key for path in [*CODE, ROOT / "graph" / "i18n.py"] for key in KEY_LITERAL.findall(code_text(path))}
    assert "gap.score" in used and "cand.score" in used  # the scan finds what it looks for
    assert used - set(CATALOGUE["en"]) == set()
    sentences = {key for key in CATALOGUE["en"] if not key.startswith(("col.", "val."))}
    assert sentences - used == set()


def test_every_enum_value_a_table_shows_has_a_chinese_label():
    """The statuses and kinds of the reports' Literal types, the tiers and the node labels: each
    has val.<value> in both languages, English the value itself, Chinese a Chinese word."""
    from typing import get_args

    from graph.analysis.bottlenecks import KINDS
    from graph.model import LABELS
    from graph.reports import Gap, StageCoverage
    from loaders.contract import TIERS

    values = {*get_args(StageCoverage.model_fields["status"].annotation), *get_args(Gap.model_fields["kind"].annotation),
              *TIERS, *KINDS, *LABELS}
    assert {"missing", "weak", "present", "break", "extension", "absent", "strengthen"} <= values
    for value in values:
        assert CATALOGUE["en"][f"val.{value}"] == value
        assert CJK.search(CATALOGUE["zh"][f"val.{value}"]) and not re.search("[A-Za-z]", CATALOGUE["zh"][f"val.{value}"]), value
    assert [CATALOGUE["zh"][f"val.{v}"] for v in ("missing", "weak", "present")] == ["缺失", "薄弱", "具备"]
    assert [CATALOGUE["zh"][f"val.{v}"] for v in ("break", "extension", "strengthen", "absent")] == ["补链", "延链", "强链", "空白"]


def test_every_header_of_every_report_table_has_a_chinese_one():
    """Each fixed column of each table (a comparison's per-region columns are region ids)."""
    for model in REPORTS:
        for name, table in model.tables.items():
            for columns in (table.columns, table.csv_columns):
                if columns is None or callable(columns):
                    continue
                for column in columns:
                    assert f"col.{column.header}" in CATALOGUE["zh"], (model.__name__, name, column.header)
                    assert CJK.search(CATALOGUE["zh"][f"col.{column.header}"])


def test_accept_language_picks_the_first_of_zh_and_en_by_preference():
    assert accepted_lang("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert accepted_lang("en-US, zh;q=0.5") == "en"
    assert accepted_lang("fr;q=1, en;q=0.3, zh;q=0.2") == "en"
    assert accepted_lang("zh;q=0, en;q=0.1") == "en"
    assert accepted_lang("de") is None and accepted_lang(None) is None


@pytest.fixture(scope="module")
def reports(textile_db):
    with SqliteStore(textile_db) as store:
        return {lang: gaps(store, "tianmen", lang=lang) for lang in ("zh", "en")}


def reasons_of(report) -> list[str]:
    return [r for g in report.gaps for r in g.reasons] + [r for g in report.gaps for c in g.candidates for r in c.reasons]


def test_a_gaps_report_in_chinese_has_chinese_reasons_and_headers(reports):
    zh, en = reports["zh"], reports["en"]
    assert zh.gaps and any(g.candidates for g in zh.gaps)
    for reason in reasons_of(zh):
        assert CJK.search(reason) and not ENGLISH_WORDS.search(reason), reason
    for reason in reasons_of(en):
        assert ENGLISH_WORDS.search(reason) or re.search(r"\b(in|of|has|with|the|score)\b", reason), reason
    # as many reasons, saying the same numbers: only the words differ
    assert [len(g.reasons) for g in zh.gaps] == [len(g.reasons) for g in en.gaps]
    for z, e in zip(reasons_of(zh), reasons_of(en)):
        assert z != e
        assert re.findall(r"\d+\.\d{4}", z) == re.findall(r"\d+\.\d{4}", e)
    # JSON: the same keys and values but for the reasons
    def without_reasons(report):
        data = report.to_dict()
        for gap in data["gaps"]:
            gap.pop("reasons")
            for c in gap["candidates"]:
                c.pop("reasons")
        return data
    assert without_reasons(zh) == without_reasons(en)


def test_headers_follow_the_language_with_the_field_name_beside(reports):
    from viz.formats import report_sections

    for (name, zh_headers, zh_rows), (_, en_headers, en_rows) in zip(report_sections(reports["zh"]), report_sections(reports["en"])):
        assert len(zh_headers) == len(en_headers)
        for zh, en in zip(zh_headers, en_headers):
            assert CJK.match(zh) and zh.endswith(" " + en), (name, zh)
        if name != "gaps" and name != "candidates":  # cells without reasons are the same, enum values in Chinese
            assert zh_rows == [[label(cell, "zh") for cell in row] for row in en_rows]
            assert zh_rows != en_rows or name != "stages"
    # the English headers are the JSON's field names
    gap_keys = set(reports["en"].to_dict()["gaps"][0])
    assert set(report_sections(reports["en"])[0][1]) <= gap_keys


def test_the_default_is_chinese_for_a_chinese_chain_english_for_an_english_one_unless_set(reports, textile_db, monkeypatch, tmp_path):
    monkeypatch.delenv(LANG_ENV)
    with SqliteStore(textile_db) as store:
        assert gaps(store, "tianmen").gaps[0].reasons == reports["zh"].gaps[0].reasons
        monkeypatch.setenv(LANG_ENV, "en")
        assert gaps(store, "tianmen").gaps[0].reasons == reports["en"].gaps[0].reasons
        monkeypatch.setenv(LANG_ENV, "fr")
        with pytest.raises(InvalidParameter, match="CHAINX_LANG"):
            gaps(store, "tianmen")
    monkeypatch.delenv(LANG_ENV)
    english = SqliteStore(tmp_path / "en.db", create=True)
    english.write(GraphData(
        nodes=[Node("Region", "r", "R"), Node("Stage", "a", "Fibre"), Node("Stage", "b", "Yarn"), Node("Stage", "c", "纱线"),
               Node("Enterprise", "e", "E", {"region": "r"})],
        relationships=[Relationship("FEEDS", "a", "b"), Relationship("FEEDS", "b", "c"), Relationship("OPERATES_IN", "e", "a")]))
    assert gaps(english, "r").gaps[0].reasons[0].startswith("No enterprise in R")  # 1 of 3 stages Chinese: en
    monkeypatch.setenv(LANG_ENV, "zh")
    assert gaps(english, "r").gaps[0].reasons[0].startswith("R没有企业")
    english.close()


@pytest.fixture(scope="module")
def api(textile_db):
    with TestClient(create_app(Settings(store=str(textile_db)))) as client:
        yield client


def cli_out(textile_db, *args: str) -> str:
    result = CliRunner().invoke(cli, ["gaps", "--region", "tianmen", *args, "--store", str(textile_db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cli_and_the_api_give_the_same_report_in_the_language_asked_for(api, textile_db, reports, lang):
    by_cli = json.loads(cli_out(textile_db, "--lang", lang, "--format", "json"))
    by_query = api.get("/regions/tianmen/gaps", params={"lang": lang}).json()
    other = "en" if lang == "zh" else "zh"
    by_header = api.get("/regions/tianmen/gaps", headers={"Accept-Language": f"{lang}-CN, {other};q=0.5"}).json()
    assert by_cli == by_query == by_header
    assert by_cli["gaps"][0]["reasons"] == reports[lang].gaps[0].reasons
    csv_cli = cli_out(textile_db, "--lang", lang, "--format", "csv", "--candidates")
    csv_api = api.get("/regions/tianmen/gaps", params={"lang": lang, "format": "csv", "section": "candidates"}).text
    assert csv_cli == csv_api
    (header_row, *_) = csv.reader(io.StringIO(csv_cli))
    assert bool(CJK.match(header_row[0])) is (lang == "zh")


def test_the_terminal_table_and_its_lines_follow_the_language(textile_db):
    zh = cli_out(textile_db, "--lang", "zh")
    assert "个环节中" in zh.splitlines()[0] and "环节 stage" in zh.splitlines()[1]
    en = cli_out(textile_db, "--lang", "en")
    assert " stages present, " in en.splitlines()[0] and en.splitlines()[1].startswith("stage ")


def test_the_workbook_s_headers_follow_the_language(api):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(api.get("/regions/tianmen/gaps", params={"lang": "zh", "format": "xlsx"}).content))
    assert book["gaps"]["A1"].value == "环节 stage"


def test_the_catalogue_module_is_where_the_sentences_are():
    """No sentence of the catalogue is written out again in the code that uses it."""
    code = "\n".join(Path(p).read_text(encoding="utf-8") for p in CODE)
    for key in ("gap.break", "gap.absent", "cand.no_supply", "cand.fit"):
        assert CATALOGUE["en"][key][:30] not in code and CATALOGUE["zh"][key][:12] not in code, key
