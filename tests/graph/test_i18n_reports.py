"""Every report with reasons reads in the language asked for (graph/i18n.py): bottlenecks, what-if,
compare, relatedness, ties and the briefing. In Chinese no English word is left but ids, names,
data values and the formulas' symbols; in English the same reasons, as many, with the same
numbers; the JSON the same in both but for the reasons; the tables' enum cells in Chinese; the CLI
and the API (lang= and Accept-Language) give the same report in each language."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph.analysis.bottlenecks import bottlenecks, whatif
from graph.analysis.briefing import briefing
from graph.analysis.gaps import compare
from graph.analysis.related import related
from graph.analysis.ties import ties_report
from graph.store.sqlite import SqliteStore
from viz.formats import report_sections

CJK = re.compile("[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
# what a Chinese sentence may hold in Latin letters: relationship types, the formulas' symbols
# and measures (HHI, RCA, Burt's constraint), parameter names, the program's options
# and, beside 补链 / 延链 / 强链 / 空白 in a gap's reason, the kind's API value
ALLOWED = {"FEEDS", "SUPPLIES", "HHI", "RCA", "score", "max", "min_firms", "Burt", "top", "break", "extension", "strengthen", "absent"}

REMOVE = "e_wj_lianjie_zipper"


def run_all(store, lang):
    return {
        "bottlenecks": bottlenecks(store, "tianmen", lang=lang),
        "bottlenecks_whole": bottlenecks(store, lang=lang),
        "whatif": whatif(store, [REMOVE], "tianmen", lang=lang),
        "compare": compare(store, ["shengze", "tianmen"], lang=lang),
        "related": related(store, "tianmen", lang=lang),
        "ties": ties_report(store, lang=lang),
        "briefing": briefing(store, "tianmen", lang=lang),
    }


@pytest.fixture(scope="module")
def built(textile_db):
    with SqliteStore(textile_db) as store:
        known = set()
        for node in store.nodes():
            known |= {node.id, node.name}
        # data values a sentence quotes: tie kinds, capacity units, enterprise tags
        tie_kinds = {rel.props.get("kind") for rel in store.relationships(["COLLABORATES_WITH"])} - {None}
        tie_kinds |= {word for node in store.nodes(["Enterprise"]) for tag in node.props.get("tags") or ()
                      for word in WORD.findall(str(tag))}
        tie_kinds |= {word for rel in store.relationships(["OPERATES_IN"]) for key in rel.props if "unit" in key
                      for word in WORD.findall(str(rel.props[key]))}
        return {lang: run_all(store, lang) for lang in ("zh", "en")}, known, tie_kinds


def reasons(value) -> list[str]:
    """Every sentence of the report's JSON under a "reasons" key (and a what-if's own)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reasons":
                found += item
            else:
                found += reasons(item)
    elif isinstance(value, list):
        for item in value:
            found += reasons(item)
    return found


def without_text(value):
    """The JSON with the reasons (and the few sentences naming the scope or the matrix) taken out."""
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "lang"}  # a briefing's parameters say which
        return {k: without_text(v) for k, v in value.items() if k not in ("reasons", "rule", "scope", "peer_measure", "note") or not isinstance(v, (str, list))}
    if isinstance(value, list):
        return [without_text(v) for v in value]
    return value


def english_left(text: str, known: set[str], tie_kinds: set[str]) -> list[str]:
    # the longest ids and names first, so a name holding another is taken out whole
    for name in sorted(known, key=len, reverse=True):
        if name and re.search("[A-Za-z]", name):
            text = text.replace(name, " ")
    return [w for w in WORD.findall(text) if w not in ALLOWED and w not in tie_kinds]


@pytest.mark.parametrize("name", ["bottlenecks", "bottlenecks_whole", "whatif", "related", "ties", "briefing"])
def test_a_report_in_chinese_has_no_english_sentence_and_says_the_same_as_in_english(built, name):
    reports, known, tie_kinds = built
    zh, en = reports["zh"][name].to_dict(), reports["en"][name].to_dict()
    zh_reasons, en_reasons = reasons(zh), reasons(en)
    assert zh_reasons and len(zh_reasons) == len(en_reasons)
    for z, e in zip(zh_reasons, en_reasons):
        assert CJK.search(z), z
        assert english_left(z, known, tie_kinds) == [], z
        assert re.findall(r"\d+\.\d{4}", z) == re.findall(r"\d+\.\d{4}", e), (z, e)
    assert without_text(zh) == without_text(en)


def test_the_english_reasons_are_english(built):
    """No Chinese in them once the names are taken out, and English words in each report's."""
    reports, known, tie_kinds = built
    for name, report in reports["en"].items():
        said = reasons(report.to_dict())
        assert said or name == "compare"  # a comparison has no reasons, only its table
        assert name == "compare" or any(english_left(reason, known, tie_kinds) for reason in said), name
        for reason in said:
            for text in sorted(known, key=len, reverse=True):
                reason = reason.replace(text, " ") if text else reason
            # a gap's English reason names its kind in Chinese beside, as promotion offices say it
            assert not CJK.search(re.sub("补链|延链|强链", "", reason)), (name, reason)


def test_a_whole_graph_scope_the_screening_rule_and_the_matrix_follow_the_language(built):
    reports, known, tie_kinds = built
    matrix = reports["zh"]["related"].matrix
    for text in (matrix.rule, matrix.peer_measure):
        assert CJK.search(text) and english_left(text, known, tie_kinds) == [], text
    assert reports["zh"]["bottlenecks_whole"].scope == "全图" and reports["en"]["bottlenecks_whole"].scope == "the whole graph"
    assert CJK.search(reports["zh"]["bottlenecks_whole"].critical_screening.rule)


def cells(report, section):
    (found,) = [(headers, rows) for name, headers, rows in report_sections(report) if name == section]
    return found


@pytest.mark.parametrize(("name", "section", "column", "zh_values", "en_values"), [
    ("compare", "stages", "shengze_status", {"缺失", "薄弱", "具备"}, {"missing", "weak", "present"}),
    ("bottlenecks", "items", "kind", {"卡点环节", "单一来源", "关键企业"}, {"chokepoint", "single_source", "critical_enterprise"}),
    ("whatif", "effects", "effect", {"企业断供", "环节消失", "环节变弱", "下游受影响"},
     {"enterprise_loses_supply", "stage_lost", "stage_weakened", "stage_downstream"}),
    ("briefing", "gaps", "kind", {"补链", "延链", "强链", "空白"}, {"break", "extension", "strengthen", "absent"}),
    ("briefing", "stages", "status", {"缺失", "薄弱", "具备"}, {"missing", "weak", "present"}),
])
def test_enum_cells_show_in_chinese_the_json_keeps_the_english_value(built, name, section, column, zh_values, en_values):
    reports, _, _ = built
    zh_headers, zh_rows = cells(reports["zh"][name], section)
    en_headers, en_rows = cells(reports["en"][name], section)
    i = en_headers.index(column)
    assert zh_headers[i].endswith(" " + column) or column.startswith("shengze")  # a comparison's columns are region ids
    zh_cells, en_cells = {row[i] for row in zh_rows}, {row[i] for row in en_rows}
    assert zh_cells and zh_cells <= zh_values and en_cells <= en_values
    assert len(zh_cells) == len(en_cells)


def test_the_compare_table_shows_statuses_in_chinese(built):
    reports, _, _ = built
    headers, rows = reports["zh"]["compare"].tables["stages"].render(reports["zh"]["compare"])
    assert {re.sub(r" \(\d+\)$", "", row[headers.index("tianmen")]) for row in rows} <= {"缺失", "薄弱", "具备"}
    assert reports["zh"]["compare"].to_dict() == reports["en"]["compare"].to_dict()


def test_a_candidate_reason_names_the_region_it_is_in(built):
    reports, _, _ = built
    gaps_report = reports["zh"]["briefing"].gaps
    with_candidates = [c for g in gaps_report.gaps for c in g.candidates if c.region]
    assert with_candidates
    names = reports["zh"]["briefing"].region_names
    for candidate in with_candidates:
        if candidate.region in names:
            assert candidate.reasons[0].startswith(f"在{names[candidate.region]}从事"), candidate.reasons[0]
            assert candidate.region not in candidate.reasons[0]


# -- the edges: CLI --lang, API lang= and Accept-Language -------------------------------------
@pytest.fixture(scope="module")
def api(textile_db):
    with TestClient(create_app(Settings(store=str(textile_db)))) as client:
        yield client


def cli_json(textile_db, *args: str):
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--store", str(textile_db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


EDGES = {
    "bottlenecks": (["bottlenecks", "--region", "tianmen"], "GET", "/bottlenecks", {"region": "tianmen"}),
    "compare": (["compare", "shengze,tianmen"], "GET", "/compare", {"regions": "shengze,tianmen"}),
    "related": (["related", "--region", "tianmen"], "GET", "/regions/tianmen/related", {}),
    "ties": (["ties"], "GET", "/ties", {}),
    "whatif": (["whatif", "--remove", REMOVE, "--region", "tianmen"], "POST", "/whatif", {"remove": [REMOVE], "region": "tianmen"}),
}


def api_json(api, method, route, params, lang=None, accept_language=None):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    if method == "POST":
        body = {**params, **({"lang": lang} if lang else {})}
        response = api.post(route, json=body, headers=headers)
    else:
        response = api.get(route, params={**params, **({"lang": lang} if lang else {})}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(EDGES))
def test_the_cli_and_the_api_give_the_same_report_in_each_language(api, textile_db, built, name, lang):
    args, method, route, params = EDGES[name]
    by_cli = cli_json(textile_db, *args, "--lang", lang)
    by_query = api_json(api, method, route, params, lang=lang)
    other = "en" if lang == "zh" else "zh"
    by_header = api_json(api, method, route, params, accept_language=f"{lang}-CN, {other};q=0.5")
    assert by_cli == by_query == by_header
    assert reasons(by_cli) == reasons(built[0][lang][name].to_dict())


def test_the_api_caches_each_language_apart(api):
    """The same request in zh, then en, then zh again: each answer in its own language."""
    first = api.get("/bottlenecks", params={"region": "tianmen", "lang": "zh"}).json()
    english = api.get("/bottlenecks", params={"region": "tianmen", "lang": "en"}).json()
    again = api.get("/bottlenecks", params={"region": "tianmen"}, headers={"Accept-Language": "zh"}).json()
    assert reasons(first) == reasons(again) != reasons(english)
    assert CJK.search(reasons(first)[0]) and reasons(english)[0].startswith("Every FEEDS path")
    zh_csv = api.get("/compare", params={"regions": "shengze,tianmen", "lang": "zh", "format": "csv"}).text
    en_csv = api.get("/compare", params={"regions": "shengze,tianmen", "lang": "en", "format": "csv"}).text
    zh_rows, en_rows = list(csv.reader(io.StringIO(zh_csv))), list(csv.reader(io.StringIO(en_csv)))
    status = en_rows[0].index("tianmen_status")
    assert {row[status] for row in zh_rows[1:]} <= {"缺失", "薄弱", "具备"}
    assert {row[status] for row in en_rows[1:]} <= {"missing", "weak", "present"}


def test_the_terminal_lines_follow_the_language(textile_db):
    def out(*args):
        result = CliRunner().invoke(cli, [*args, "--store", str(textile_db)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    zh = out("bottlenecks", "--top", "1", "--lang", "zh")
    assert "每类最多列出1个" in zh and "卡点环节" in zh and "chokepoint " not in zh
    en = out("bottlenecks", "--top", "1", "--lang", "en")
    assert "Listed at most 1 of each kind" in en
    assert out("compare", "shengze,tianmen", "--top", "2", "--lang", "zh").count("完整度：") == 1


@pytest.mark.parametrize(("method", "route", "params"), [(m, r, p) for _, m, r, p in EDGES.values()])
def test_an_unknown_language_is_refused_naming_the_parameter(api, method, route, params):
    if method == "POST":
        response = api.post(route, json={**params, "lang": "fr"})
    else:
        response = api.get(route, params={**params, "lang": "fr"})
    assert response.status_code == 422 and "lang" in response.text
