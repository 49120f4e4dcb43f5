"""chainx import chainkg: the mapping on a small dirty folder written here (every entry of its
report worked out by hand), and on the real data in ../shared/datasets/chainkg (the checks of
issue 7, with the expected numbers derived from its SOURCE.md and from the raw files)."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from chainx.cli import app
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders.chainkg import FILES, read_chainkg
from loaders.validate import validate
from tests.loaders.test_validate import good

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def ndjson(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def up(a, b):
    return {"from_entity": a, "rel": "上游材料", "to_entity": b}


DIRTY = {
    "product.json": ndjson(
        {"name": "原油"}, {"name": "对二甲苯"}, {"name": "涤纶"}, {"name": "涤纶DTY"}, {"name": "服装"},
        {"name": "服装\u007f"},  # 6: the same product once the DEL is cleaned away
        {"name": "涤纶"},  # 7: a duplicate product id
        {"name": "=cmd"},  # 8: would run as a spreadsheet formula
        "",  # 9: blank
        '{"name": ',  # 10: broken JSON
    ),
    "product_product.json": ndjson(
        up("涤纶", "对二甲苯"),  # 1: FEEDS 对二甲苯 → 涤纶
        up("对二甲苯", "原油"),  # 2: FEEDS 原油 → 对二甲苯
        up("服装", "涤纶"),  # 3: FEEDS 涤纶 → 服装
        {"from_entity": "涤纶", "rel": "下游产品", "to_entity": "服装"},  # 4: line 3 again, stated downstream
        up("涤纶", "涤纶"),  # 5: self-loop
        up("涤纶", "乙二醇"),  # 6: 乙二醇 is not a product
        {"from_entity": "涤纶", "rel": "产品小类", "to_entity": "涤纶DTY"},  # 7: PART_OF 涤纶DTY → 涤纶
        {"from_entity": "服装", "rel": "产品小类", "to_entity": "涤纶DTY"},  # 8: a second parent
        {"from_entity": "涤纶DTY", "rel": "产品小类", "to_entity": "涤纶"},  # 9: would close a cycle
        {"from_entity": "原油", "rel": "同义词", "to_entity": "涤纶"},  # 10: unknown relation
    ),
    "company.json": ndjson(
        {"name": "恒逸石化", "fullname": "恒逸石化股份有限公司", "code": "000703.SZ", "location": "深圳证券交易所", "time": "1997-03-28"},
        {"name": "桐昆股份", "fullname": "桐昆集团股份有限公司", "code": "601233", "location": "上海证券交易所", "time": "2011-05-18"},
        # 3: the same company, code with its suffix this time (mixed formats), otherwise identical
        {"name": "桐昆股份", "fullname": "桐昆集团股份有限公司", "code": "601233.SH", "location": "上海证券交易所", "time": "2011-05-18"},
        # 4: a duplicate code that differs (and has a date for a location)
        {"name": "恒逸石化", "fullname": "另一家公司", "code": "000703.SZ", "location": "2010-02-11", "time": "2010-02-11"},
        {"name": "新凤鸣", "fullname": "新凤鸣集团股份有限公司", "code": "603225.SH", "location": "2017-04-18", "time": "2017-04-18"},
    ),
    "company_product.json": ndjson(
        {"company_code": "000703.SZ", "product_name": "涤纶", "rel": "主营产品", "rel_weight": 0.6},
        {"company_code": "000703.SZ", "product_name": "涤纶", "rel": "主营产品", "rel_weight": 0.5},  # 2: duplicate pair
        {"company_code": "601233.SH", "product_name": "涤纶", "rel": "主营产品", "rel_weight": -0.2},  # 3: negative weight
        {"company_code": "601233.SH", "product_name": "锦纶", "rel": "主营产品", "rel_weight": 0.1},  # 4: unknown product
        {"company_code": "999999.SZ", "product_name": "涤纶", "rel": "主营产品", "rel_weight": 0.1},  # 5: unknown company
        {"company_code": "603225.SH", "product_name": " 服装\n", "rel": "主营产品", "rel_weight": 0.001},  # 6: a noisy name
    ),
    "industry.json": ndjson({"code": "220000", "name": "基础化工"}, {"code": "220400", "name": "化学纤维"},
                            {"code": "220401", "name": "涤纶"}, {"code": "350000", "name": "纺织服饰"}),
    "industry_industry.json": ndjson(
        {"from_code": "220400", "from_industry": "化学纤维", "rel": "上级行业", "to_industry": "基础化工", "to_code": "220000"},
        {"from_code": "220401", "from_industry": "涤纶", "rel": "上级行业", "to_industry": "化学纤维", "to_code": "220400"},
    ),
    "company_industry.json": ndjson(
        {"company_code": "000703.SZ", "industry_code": "220401", "industry_name": "涤纶Ⅲ", "company_name": "恒逸石化", "rel": "所属行业"},
        {"company_code": "601233.SH", "industry_code": "220402", "industry_name": "锦纶", "company_name": "桐昆股份", "rel": "所属行业"},
        {"company_code": "688888.SH", "industry_code": "220401", "industry_name": "涤纶", "company_name": "某公司", "rel": "所属行业"},
    ),
    "industry_up.json": ndjson({"industry": "涤纶", "ups": {"炼化及贸易": 3}}),
}

# Every line that was not simply mapped, worked out by hand from DIRTY above.
EXPECTED_ENTRIES = [
    ("company.json", 3, "merged", "duplicate_company"),
    ("company.json", 4, "dropped", "duplicate_differs"),
    ("company.json", 4, "dropped", "duplicate_differs"),
    ("company.json", 4, "merged", "duplicate_company"),
    ("company.json", 5, "dropped", "bad_location"),
    ("company_industry.json", 1, "changed", "industry_name"),
    ("company_industry.json", 2, "changed", "unknown_industry"),
    ("company_industry.json", 3, "skipped", "dangling_reference"),
    ("company_product.json", 2, "dropped", "duplicate_differs"),
    ("company_product.json", 2, "merged", "duplicate_link"),
    ("company_product.json", 3, "dropped", "negative_weight"),
    ("company_product.json", 4, "skipped", "dangling_reference"),
    ("company_product.json", 5, "skipped", "dangling_reference"),
    ("company_product.json", 6, "changed", "name_cleaned"),
    ("industry.json", 4, "ignored", "unused_industry"),
    ("industry_up.json", 1, "ignored", "industry_links"),
    ("product.json", 6, "merged", "duplicate_product"),
    ("product.json", 7, "merged", "duplicate_product"),
    ("product.json", 8, "skipped", "formula_like"),
    ("product.json", 9, "ignored", "blank"),
    ("product.json", 10, "skipped", "not_json"),
    ("product_product.json", 4, "merged", "duplicate_link"),
    ("product_product.json", 5, "skipped", "self_loop"),
    ("product_product.json", 6, "skipped", "dangling_reference"),
    ("product_product.json", 8, "merged", "second_parent"),
    ("product_product.json", 9, "skipped", "cycle"),
    ("product_product.json", 10, "skipped", "unknown_relation"),
]
EXPECTED_COUNTS = {  # read, mapped, merged, skipped, ignored
    "product.json": (10, 5, 2, 2, 1),
    "product_product.json": (10, 4, 2, 4, 0),
    "company.json": (5, 3, 2, 0, 0),
    "industry.json": (4, 3, 0, 0, 1),
    "industry_industry.json": (2, 2, 0, 0, 0),
    "company_industry.json": (3, 2, 0, 1, 0),
    "company_product.json": (6, 3, 1, 2, 0),
    "industry_up.json": (1, 0, 0, 0, 1),
}


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def dirty(tmp_path) -> Path:
    return write_folder(tmp_path / "chainkg", DIRTY)


def import_into(folder: Path, store: Path, *extra: str, report: Path | None = None):
    report = report or store.with_suffix(".json")
    return run("import", "chainkg", str(folder), "--store", str(store), "--report", str(report), *extra)


# -- the small dirty folder ----------------------------------------------------------------------
def test_the_report_names_every_dirty_line_with_its_reason(dirty, tmp_path):
    result = import_into(dirty, tmp_path / "g.db", report=tmp_path / "report.json")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    entries = sorted((e["file"], e["line"], e["outcome"], e["reason"]) for e in report["entries"])
    assert entries == sorted(EXPECTED_ENTRIES)
    for file, (read, mapped, merged, skipped, ignored) in EXPECTED_COUNTS.items():
        counts = report["files"][file]
        assert (counts["read"], counts["mapped"], counts["merged"], counts["skipped"], counts["ignored"]) == (read, mapped, merged, skipped, ignored), file
    messages = {(e["file"], e["line"], e["reason"]): e["message"] for e in report["entries"]}
    assert messages[("product_product.json", 5, "self_loop")] == "'涤纶' 上游材料 itself"
    assert messages[("product_product.json", 6, "dangling_reference")] == "'涤纶' 上游材料 '乙二醇': '乙二醇' not in product.json"
    assert messages[("company_product.json", 3, "negative_weight")] == "weight -0.2 is negative, not a revenue share: the link is kept without it"
    assert messages[("product.json", 7, "duplicate_product")] == "'涤纶' is product '涤纶' again (line 3) once cleaned"
    assert messages[("company.json", 3, "duplicate_company")] == "company code 601233 again (first at line 2)"
    assert messages[("product_product.json", 9, "cycle")] == "'涤纶' as a sub-category of '涤纶DTY' would close a cycle of sub-categories"
    # the printed summary has the per-file table and one line per reason
    assert "product_product.json" in result.output and "self_loop" in result.output and "e.g. product_product.json:5" in result.output
    assert report["strict_failures"] == sum(1 for e in EXPECTED_ENTRIES if e[2] in ("skipped", "dropped"))


def test_the_dirty_folder_maps_onto_the_contract(dirty, tmp_path):
    assert import_into(dirty, tmp_path / "g.db").exit_code == 0
    with SqliteStore(tmp_path / "g.db") as store:
        nodes = {n.id: n for n in store.nodes()}
        rels = {(r.type, r.source, r.target): r.props for r in store.relationships()}
    assert sorted(nodes) == ["c:000703", "c:601233", "c:603225", "cn", "p:原油", "p:对二甲苯", "p:服装", "p:涤纶", "p:涤纶DTY"]
    assert sorted(k for k in rels if k[0] == "FEEDS") == [("FEEDS", "p:原油", "p:对二甲苯"), ("FEEDS", "p:对二甲苯", "p:涤纶"), ("FEEDS", "p:涤纶", "p:服装")]
    assert [k for k in rels if k[0] == "PART_OF"] == [("PART_OF", "p:涤纶DTY", "p:涤纶")]
    assert nodes["p:涤纶DTY"].props["also_part_of"] == "p:服装"
    assert rels[("OPERATES_IN", "c:000703", "p:涤纶")] == {"capacity": 0.6, "unit": "revenue_share"}  # the first of the duplicates
    assert rels[("OPERATES_IN", "c:601233", "p:涤纶")] == {}  # its negative weight dropped, the link kept
    assert rels[("OPERATES_IN", "c:603225", "p:服装")] == {"capacity": 0.001, "unit": "revenue_share"}
    assert {k for k in rels if k[0] == "LOCATED_IN"} == {("LOCATED_IN", c, "cn") for c in ("c:000703", "c:601233", "c:603225")}
    hengyi = nodes["c:000703"].props
    assert (nodes["c:000703"].name, hengyi["fullname"], hengyi["code"], hengyi["listed"]) == ("恒逸石化", "恒逸石化股份有限公司", "000703.SZ", "1997-03-28")
    # industry.json's name wins over the line's 涤纶Ⅲ; the path comes from industry_industry.json
    assert (hengyi["industry_code"], hengyi["industry"], hengyi["industry_path"], hengyi["tags"]) == ("220401", "涤纶", "基础化工/化学纤维/涤纶", ["基础化工", "化学纤维", "涤纶"])
    tongkun = nodes["c:601233"].props
    assert tongkun["code"] == "601233.SH"  # the suffix from its exchange
    # 220402 is not in industry.json: its name from the line, its parents from the code
    assert (tongkun["industry"], tongkun["tags"]) == ("锦纶", ["基础化工", "化学纤维", "锦纶"])
    assert nodes["c:603225"].props["exchange"] == "上海证券交易所"  # from .SH, its location being a date
    assert (nodes["cn"].label, nodes["cn"].name) == ("Region", "中国")


def test_strict_fails_on_the_dirty_folder_and_leaves_the_store_as_it_was(dirty, tmp_path):
    db = tmp_path / "g.db"
    assert run("load", str(good(tmp_path / "d")), "--store", str(db)).exit_code == 0
    before = db.read_bytes()
    result = import_into(dirty, db, "--strict", report=tmp_path / "report.json")
    assert result.exit_code == 1
    skipped = sum(1 for e in EXPECTED_ENTRIES if e[2] == "skipped")
    dropped = sum(1 for e in EXPECTED_ENTRIES if e[2] == "dropped")
    assert f"--strict: {skipped} lines skipped and {dropped} values dropped; nothing was written" in result.output
    assert db.read_bytes() == before
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["strict_failures"] == skipped + dropped


def test_strict_passes_a_clean_folder_and_a_missing_store_is_not_created_when_it_fails(dirty, tmp_path):
    clean = write_folder(tmp_path / "clean", {"product.json": ndjson({"name": "原油"}, {"name": "对二甲苯"}),
                                               "product_product.json": ndjson(up("对二甲苯", "原油"))})
    assert import_into(clean, tmp_path / "ok.db", "--strict").exit_code == 0
    assert import_into(dirty, tmp_path / "never.db", "--strict").exit_code == 1
    assert not (tmp_path / "never.db").exists()


def test_a_second_import_changes_nothing(dirty, tmp_path):
    db = tmp_path / "g.db"
    assert import_into(dirty, db).exit_code == 0
    with SqliteStore(db) as store:
        version, snapshot = store.version(), reads.snapshot(store)
    result = import_into(dirty, db)
    assert "(no changes: dataset" in result.output and "nothing was written" in result.output
    with SqliteStore(db) as store:
        assert store.version() == version and reads.snapshot(store) == snapshot


def test_to_dataset_writes_contract_files_that_load_into_the_same_graph(dirty, tmp_path):
    out = tmp_path / "dataset"
    result = run("import", "chainkg", str(dirty), "--to-dataset", str(out), "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= {"stages.csv", "stage_links.csv", "regions.csv", "enterprises.csv", "enterprise_stages.csv"}
    assert run("load", str(out), "--store", str(tmp_path / "loaded.db")).exit_code == 0
    assert import_into(dirty, tmp_path / "imported.db").exit_code == 0
    with SqliteStore(tmp_path / "loaded.db") as loaded, SqliteStore(tmp_path / "imported.db") as imported:
        assert reads.snapshot(loaded) == reads.snapshot(imported)


def test_placeholders_instead_of_skips_for_dangling_products(dirty):
    imported = read_chainkg(dirty, dangling="placeholder")
    placeholders = [(e.file, e.line, e.message) for e in imported.report.entries if e.outcome == "placeholder"]
    assert placeholders == [
        ("product_product.json", 6, "'乙二醇' is not in product.json: created as a placeholder stage"),
        ("company_product.json", 4, "'锦纶' is not in product.json: created as a placeholder stage"),
    ]
    rows = {cells[0]: cells for _, cells in imported.raw.tables["stages.csv"].rows}
    header = imported.raw.tables["stages.csv"].header
    assert rows["p:乙二醇"][header.index("placeholder")] == "yes" and rows["p:锦纶"][header.index("placeholder")] == "yes"
    assert imported.report.counts("product_product.json")["skipped"] == 3  # self-loop, cycle, unknown relation
    assert imported.report.counts("company_product.json")["skipped"] == 1  # the unknown company only


def test_a_folder_without_product_json_is_one_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("import", "chainkg", str(tmp_path / "empty"), "--store", str(tmp_path / "g.db"))
    assert result.exit_code == 1
    assert "product.json: required chainkg file is missing from the folder" in result.output
    assert "Traceback" not in result.output


# -- the real chainkg (../shared/datasets/chainkg) -----------------------------------------------
def tidy(name: str) -> str:
    """The documented cleaning, written again here: control/format characters out, ends trimmed
    (the real data has no line break between Latin letters, where the importer keeps a space)."""
    return "".join(c for c in name if not unicodedata.category(c).startswith("C")).strip()


def records(folder: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def chain(chainkg_import):
    with SqliteStore(chainkg_import["store"]) as store:
        graph = nx.DiGraph((r.source, r.target) for r in store.relationships(["FEEDS"]))
        counts = store.counts()
    return graph, counts


def test_following_feeds_upstream_from_clothing_reaches_crude_oil_and_px(chain):
    graph, _ = chain
    upstream = nx.ancestors(graph, "p:服装")
    assert {"p:原油", "p:对二甲苯", "p:乙二醇"} <= upstream
    assert len(upstream) == 43  # SOURCE.md: the transitive 上游材料 closure of 服装 has 43 products
    # the polyester route of "from a drop of oil to a cloth", step by step
    steps = ["p:对二甲苯", "p:精对苯二甲酸(PTA)", "p:涤纶", "p:服装"]
    assert all(graph.has_edge(a, b) for a, b in zip(steps, steps[1:]))


def test_direct_upstream_of_polyester_and_others_as_source_md_states(chain):
    graph, _ = chain
    upstream = lambda name: {n.removeprefix("p:") for n in graph.predecessors(f"p:{name}")}  # noqa: E731
    assert upstream("涤纶") == {"乙二醇", "精对苯二甲酸(PTA)", "聚对苯二甲酸类塑料"}
    assert upstream("服装") == {"棉花", "涤纶", "涤纶纱"}
    assert upstream("纺织品") == {"棉纱", "棉花", "涤纶", "涤纶纱", "锦纶", "锦纶长丝"}
    assert upstream("粘胶短纤") == {"木浆", "棉短绒", "甘蔗渣"}
    assert {"p:服装", "p:纺织品", "p:装饰"} <= set(graph.successors("p:涤纶"))  # 下游产品 of 涤纶


def test_node_and_relationship_counts_follow_source_md_after_the_cleaning(chain, chainkg_dir):
    _, (nodes, rels) = chain
    products = [tidy(r["name"]) for r in records(chainkg_dir, "product.json")]
    links = records(chainkg_dir, "product_product.json")
    companies = records(chainkg_dir, "company.json")
    company_products = records(chainkg_dir, "company_product.json")
    # The raw files are what SOURCE.md says they are ...
    assert len(products) == 95_559 and len(companies) == 4_654 and len(company_products) == 53_785
    assert Counter(r["rel"] for r in links) == {"上游材料": 56_826, "产品小类": 52_937, "下游产品": 390}
    assert sum(r["from_entity"] == r["to_entity"] for r in links) == 108
    assert len({r["code"] for r in companies}) == 4_586 == len({r["code"][:6] for r in companies})
    assert len(company_products) - len({(r["company_code"], r["product_name"]) for r in company_products}) == 578
    # ... and the graph is what the documented cleaning makes of them.
    known = set(products)
    assert len(products) - len(known) == 1  # 外套类 and 外套类<DEL> are one product
    feeds = set()
    children = Counter()
    for r in links:
        a, b = tidy(r["from_entity"]), tidy(r["to_entity"])
        if a == b or a not in known or b not in known:
            continue  # self-loops and the products missing from product.json are skipped
        if r["rel"] == "上游材料":
            feeds.add((b, a))
        elif r["rel"] == "下游产品":
            feeds.add((a, b))
        else:
            children[b] += 1
    operates = {(r["company_code"][:6], tidy(r["product_name"])) for r in company_products if tidy(r["product_name"]) in known}
    assert nodes == {"Stage": 95_559 - 1, "Enterprise": 4_586, "Region": 1}
    # one parent per sub-category: the 52,937 产品小类 lines less the self-loop, the dangling ones
    # and every second parent (kept in also_part_of) leave one PART_OF per distinct child
    assert rels == {"FEEDS": len(feeds), "PART_OF": len(children), "OPERATES_IN": len(operates), "LOCATED_IN": 4_586}


def test_the_report_accounts_for_every_input_line(chainkg_import, chainkg_dir, chain):
    report = chainkg_import["report"]
    for name in FILES:
        lines = len((chainkg_dir / name).read_text(encoding="utf-8").splitlines())
        counts = report["files"][name]
        assert counts["read"] == lines, name
        assert counts["mapped"] + counts["merged"] + counts["skipped"] + counts["ignored"] == lines, name
        outcomes = Counter(e["outcome"] for e in report["entries"] if e["file"] == name and e["outcome"] in ("merged", "skipped", "ignored"))
        assert (outcomes["merged"], outcomes["skipped"], outcomes["ignored"]) == (counts["merged"], counts["skipped"], counts["ignored"]), name
    reasons = Counter((e["file"], e["reason"]) for e in report["entries"])
    # SOURCE.md's defects, each reported: 108 self-loops; 103 company_industry rows of unknown companies;
    # the 68 repeated company codes; the 763 negative weights less those on lines merged as duplicates
    assert reasons[("product_product.json", "self_loop")] == 108
    assert reasons[("company_industry.json", "dangling_reference")] == 103
    assert reasons[("company.json", "duplicate_company")] == 68
    assert 0 < reasons[("company_product.json", "negative_weight")] <= 763
    _, (nodes, rels) = chain
    assert report["graph"] == {"nodes": nodes, "relationships": rels}  # what was validated is what the store holds
    print(f"\nchainkg import into SQLite took {chainkg_import['seconds']:.1f} s")


# -- any input: never a crash, every line accounted for, always a valid dataset -------------------

_names = st.text(alphabet=st.sampled_from(list("涤纶服装ab (PTA)（）;=@'\"\n\t\x7f\u200d\ud800 ")), max_size=8)
_codes = st.sampled_from(["600001", "600001.SH", "000002.SZ", "60000", "abc123", "", "600001.sh"])
_weights = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5), st.none(), st.text(max_size=3), st.booleans())
_rels = st.sampled_from(["上游材料", "下游产品", "产品小类", "其他", ""])


def _lines(strategy, size=12):
    return st.lists(st.one_of(strategy, st.just("not json"), st.just(""), st.just("[1]")), max_size=size)


_FILES = {
    "product.json": _lines(st.fixed_dictionaries({"name": _names})),
    "product_product.json": _lines(st.fixed_dictionaries({"from_entity": _names, "rel": _rels, "to_entity": _names})),
    "company.json": _lines(st.fixed_dictionaries({"name": _names, "fullname": _names, "code": _codes,
                                                  "location": st.sampled_from(["上海证券交易所", "深圳证券交易所", "2010-02-11", ""]), "time": _names})),
    "company_product.json": _lines(st.fixed_dictionaries({"company_code": _codes, "product_name": _names, "rel": st.sampled_from(["主营产品", "x"]), "rel_weight": _weights})),
    "industry.json": _lines(st.fixed_dictionaries({"code": st.sampled_from(["220000", "220400", "220401", "=1"]), "name": _names})),
    "company_industry.json": _lines(st.fixed_dictionaries({"company_code": _codes, "industry_code": st.sampled_from(["220401", "220402", ""]),
                                                           "industry_name": _names, "rel": st.just("所属行业")})),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files=st.fixed_dictionaries(_FILES), dangling=st.sampled_from(["skip", "placeholder"]))
def test_any_input_maps_onto_a_valid_dataset_and_every_line_is_accounted_for(tmp_path_factory, files, dangling):
    folder = tmp_path_factory.mktemp("any")
    for name, records in files.items():
        # \u escapes carry the Chinese, control characters and lone surrogates as JSON does
        text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "product.json").touch()
    imported = read_chainkg(folder, dangling=dangling)
    validate(imported.raw)  # the mapping only ever produces what the contract accepts
    for name, records in files.items():
        counts = imported.report.counts(name)
        assert counts["read"] == len(records)
        assert counts["mapped"] + counts["merged"] + counts["skipped"] + counts["ignored"] == len(records)
