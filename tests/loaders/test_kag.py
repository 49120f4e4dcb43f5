"""chainx import kag: a small dirty folder written here (its report worked out by hand), and the
real KAG supply-chain example in ../shared/datasets/kag-supplychain, on both stores."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from chainx.cli import app
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders.kag import FILES, read_kag
from loaders.pipeline import prepare
from loaders.validate import validate

runner = CliRunner()

DIRTY = {
    "Product.csv": (
        "id,belongToIndustry,hasSupplyChain\n"
        '化工,原材料-化工,"化工-橡胶,轮胎"\n'  # 2
        '化工-橡胶,原材料-化工,"轮胎,化工-橡胶,轮胎-斜交轮胎"\n'  # 3: lists itself; 轮胎-斜交轮胎 is no product
        '化工-橡胶,原材料-化工,"轮胎,化工-橡胶,轮胎-斜交轮胎"\n'  # 4: the same row again
        '化工-橡胶,原材料-橡胶,"轮胎-工程轮胎"\n'  # 5: the same id, another industry and target
        '轮胎,消费-汽车-轮胎与橡胶,"汽车"\n'  # 6
        ",,\n"  # 7: an empty row
        "商业-综合服务,,\n"  # 8: its parent 商业 is no product
    ),
    "Company.csv": (
        "id,name,product\n"
        'C1,甲***公司,"化工-橡胶"\n'
        'C2,乙***公司,"轮胎,轮胎,轮胎-斜交轮胎"\n'  # 3: 轮胎 twice
        'C3,丙***公司,"轮胎"\n'  # 4: replaced by CompanyUpdate.csv
        'C1,甲***公司,"化工"\n'  # 5: C1 again, with one more product
        ',无名公司,"轮胎"\n'  # 6: no id
    ),
    "CompanyUpdate.csv": 'id,name,products\nC3,丙***公司,"汽车-摩托车"\nC9,不存在,"轮胎"\n',
    "Company_fundTrans_Company.csv": (
        "srcId,dstId,transDate,transAmt\n"
        "C2,C1,20230101,600\n"  # 2: C2 makes 轮胎, downstream of C1's 化工-橡胶, and pays 600 of C1's 900
        "C3,C1,20230102,300\n"  # 3: no product-chain link, 33 %
        "C1,C1,20230103,5\n"  # 4: pays itself
        "C2,C8,20230104,10\n"  # 5: C8 unknown
        "C3,C2,20230105,-7\n"  # 6: negative
        "C3,C2,20230106,abc\n"  # 7: not a number
    ),
    "Industry.csv": "id\n原材料-化工\n原材料-橡胶\n消费-汽车-轮胎与橡胶\n",
    "Person.csv": 'id,name,age,legalRepresentative\n0,张*,40,"甲***公司"\n',
}

EXPECTED_ENTRIES = [
    ("Company.csv", 3, "changed", "duplicate_value"),
    ("Company.csv", 4, "changed", "superseded"),
    ("Company.csv", 5, "merged", "duplicate_company"),
    ("Company.csv", 6, "skipped", "missing_field"),
    ("CompanyUpdate.csv", 2, "placeholder", "dangling_reference"),  # 汽车-摩托车
    ("CompanyUpdate.csv", 3, "skipped", "dangling_reference"),
    ("Company_fundTrans_Company.csv", 4, "skipped", "self_loop"),
    ("Company_fundTrans_Company.csv", 5, "skipped", "dangling_reference"),
    ("Company_fundTrans_Company.csv", 6, "skipped", "negative_weight"),
    ("Company_fundTrans_Company.csv", 7, "skipped", "bad_number"),
    ("Industry.csv", 3, "ignored", "unused_industry"),
    ("Person.csv", 2, "ignored", "persons"),
    ("Product.csv", 3, "dropped", "self_loop"),
    ("Product.csv", 3, "placeholder", "dangling_reference"),  # 轮胎-斜交轮胎
    ("Product.csv", 4, "merged", "duplicate_product"),
    ("Product.csv", 5, "dropped", "duplicate_differs"),
    ("Product.csv", 5, "merged", "duplicate_product"),
    ("Product.csv", 5, "placeholder", "dangling_reference"),  # 轮胎-工程轮胎
    ("Product.csv", 6, "placeholder", "dangling_reference"),  # 汽车
    ("Product.csv", 7, "ignored", "blank"),
    ("Product.csv", 8, "placeholder", "dangling_reference"),  # 商业, the parent of 商业-综合服务
]
EXPECTED_COUNTS = {  # read, mapped, merged, skipped, ignored
    "Product.csv": (7, 4, 2, 0, 1),
    "Company.csv": (5, 3, 1, 1, 0),
    "CompanyUpdate.csv": (2, 1, 0, 1, 0),
    "Company_fundTrans_Company.csv": (6, 2, 0, 4, 0),
    "Industry.csv": (3, 2, 0, 0, 1),
    "Person.csv": (1, 0, 0, 0, 1),
}


@pytest.fixture
def dirty(tmp_path) -> Path:
    folder = tmp_path / "kag"
    folder.mkdir()
    for name, text in DIRTY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_report_names_every_dirty_line_with_its_reason(dirty, tmp_path):
    result = runner.invoke(app, ["import", "kag", str(dirty), "--store", str(tmp_path / "g.db"), "--report", str(tmp_path / "r.json")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sorted((e["file"], e["line"], e["outcome"], e["reason"]) for e in report["entries"]) == sorted(EXPECTED_ENTRIES)
    for file, expected in EXPECTED_COUNTS.items():
        counts = report["files"][file]
        assert tuple(counts[k] for k in ("read", "mapped", "merged", "skipped", "ignored")) == expected, file
    assert report["files"]["Trend.csv"]["present"] is False  # absent files are listed, not an error
    messages = {(e["file"], e["line"], e["reason"]): e["message"] for e in report["entries"]}
    assert messages[("Product.csv", 3, "self_loop")] == "'化工-橡胶' lists itself in hasSupplyChain"
    assert messages[("Product.csv", 8, "dangling_reference")] == "parent '商业' of '商业-综合服务' (from the dashed id) is not a product id in Product.csv: created as a placeholder stage"
    assert messages[("Company.csv", 4, "superseded")] == "company C3 no longer makes '轮胎': replaced by CompanyUpdate.csv:2"


def test_the_dirty_folder_maps_onto_the_contract(dirty):
    data = validate(read_kag(dirty).raw)
    nodes = {n.id: n for n in data.nodes}
    rels = {(r.type, r.source, r.target): r.props for r in data.relationships}
    stages = {i for i, n in nodes.items() if n.label == "Stage"}
    placeholders = {i for i in stages if nodes[i].props.get("placeholder") == "yes"}
    assert stages - placeholders == {"kp:化工", "kp:化工-橡胶", "kp:轮胎", "kp:商业-综合服务"}
    assert placeholders == {"kp:轮胎-斜交轮胎", "kp:轮胎-工程轮胎", "kp:汽车", "kp:汽车-摩托车", "kp:商业"}
    assert (nodes["kp:化工-橡胶"].name, nodes["kp:化工-橡胶"].props["industry_path"]) == ("橡胶", "原材料/化工")
    assert sorted((s, t) for kind, s, t in rels if kind == "FEEDS") == sorted([
        ("kp:化工", "kp:化工-橡胶"), ("kp:化工", "kp:轮胎"), ("kp:化工-橡胶", "kp:轮胎"),
        ("kp:化工-橡胶", "kp:轮胎-斜交轮胎"), ("kp:化工-橡胶", "kp:轮胎-工程轮胎"), ("kp:轮胎", "kp:汽车")])
    assert sorted((s, t) for kind, s, t in rels if kind == "PART_OF") == sorted([
        ("kp:化工-橡胶", "kp:化工"), ("kp:商业-综合服务", "kp:商业"), ("kp:轮胎-斜交轮胎", "kp:轮胎"),
        ("kp:轮胎-工程轮胎", "kp:轮胎"), ("kp:汽车-摩托车", "kp:汽车")])
    assert sorted((s, t) for kind, s, t in rels if kind == "OPERATES_IN") == sorted([
        ("kc:C1", "kp:化工-橡胶"), ("kc:C1", "kp:化工"), ("kc:C2", "kp:轮胎"), ("kc:C2", "kp:轮胎-斜交轮胎"), ("kc:C3", "kp:汽车-摩托车")])
    # C2 pays 600 of the 900 C1 receives (> 50 %) and makes 轮胎, downstream of both of C1's
    # products (化工 and 化工-橡胶; the stage is the first by id): KAG's mainSupply rule makes C1 a
    # supplier of C2. C3's 300 (33 %, no chain link) does not.
    supplies = {(s, t): props for (kind, s, t), props in rels.items() if kind == "SUPPLIES"}
    assert list(supplies) == [("kc:C1", "kc:C2")]
    assert (supplies[("kc:C1", "kc:C2")]["stage"], supplies[("kc:C1", "kc:C2")]["volume"]) == ("kp:化工", 600.0)
    assert (nodes["kc:C1"].props["fund_in_total"], nodes["kc:C2"].props["fund_out_total"], nodes["kc:C3"].props["fund_out_total"]) == ("900", "600", "300")
    assert nodes["kc:C1"].props["tags"] == ["原材料", "化工"] and "tags" not in nodes["kc:C3"].props


def test_skipping_dangling_products_drops_and_reports_them(dirty):
    imported = read_kag(dirty, dangling="skip")
    dropped = sorted((e.file, e.line, e.message) for e in imported.report.entries if e.reason == "dangling_reference" and e.outcome == "dropped")
    assert dropped == sorted([
        ("Product.csv", 3, "hasSupplyChain target '轮胎-斜交轮胎' of '化工-橡胶' is not a product id in Product.csv: not imported"),
        ("Product.csv", 5, "hasSupplyChain target '轮胎-工程轮胎' of '化工-橡胶' is not a product id in Product.csv: not imported"),
        ("Product.csv", 6, "hasSupplyChain target '汽车' of '轮胎' is not a product id in Product.csv: not imported"),
        ("Company.csv", 3, "product '轮胎-斜交轮胎' of company C2 is not a product id in Product.csv: not imported"),
        ("CompanyUpdate.csv", 2, "product '汽车-摩托车' of company C3 is not a product id in Product.csv: not imported"),
        ("Product.csv", 8, "parent '商业' of '商业-综合服务' (from the dashed id) is not a product id in Product.csv: not imported"),
    ])
    data = validate(imported.raw)
    assert {n.id for n in data.nodes if n.label == "Stage"} == {"kp:化工", "kp:化工-橡胶", "kp:轮胎", "kp:商业-综合服务"}


def test_an_industry_level_that_would_run_as_a_formula_is_dropped_from_the_tags_and_reported(tmp_path):
    (tmp_path / "Product.csv").write_text("id,belongToIndustry,hasSupplyChain\np,化工-=SUM(A1),\n", encoding="utf-8")
    (tmp_path / "Company.csv").write_text("id,name,product\nC1,甲,p\n", encoding="utf-8")
    imported = read_kag(tmp_path)
    dropped = [(e.file, e.line, e.outcome, e.reason) for e in imported.report.entries if e.reason == "formula_like"]
    # the product's industry, as before, and now the company's tag made of it
    assert dropped == [("Product.csv", 2, "dropped", "formula_like"), ("Company.csv", 2, "dropped", "formula_like")]
    (enterprise,) = [n for n in validate(imported.raw).nodes if n.label == "Enterprise"]
    assert enterprise.props["tags"] == ["化工"]


# -- the real KAG supply-chain example --------------------------------------------------------------
def rows(folder: Path, name: str) -> list[dict]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def parts(cell: str) -> list[str]:
    return [p.strip() for p in cell.split(",") if p.strip()]


@pytest.fixture
def kag_store(kag_dir, store):
    """The real example imported into each kind of store, as ``chainx import kag`` does it."""
    imported = read_kag(kag_dir)
    data, _ = prepare(store, imported.raw, match_stages=False)
    store.write(data)
    return store, data, imported.report


def test_kag_lands_whole_in_each_store(kag_store):
    store, data, _ = kag_store
    assert reads.snapshot(store).nodes == sorted(data.nodes, key=lambda n: n.id)
    assert reads.snapshot(store).relationships == sorted(data.relationships, key=lambda r: r.identity)


def test_the_product_hierarchy_comes_from_the_dashed_ids(kag_store, kag_dir):
    store, _, _ = kag_store
    products = {r["id"] for r in rows(kag_dir, "Product.csv")}
    assert len(products) == 44  # SOURCE.md: 78 rows, 44 distinct ids
    stages = {n.id: n for n in store.nodes(["Stage"])}
    parent = {r.source: r.target for r in store.relationships(["PART_OF"])}
    for product in products:
        node = stages[f"kp:{product}"]
        assert node.name == product.split("-")[-1] and "placeholder" not in node.props
        if "-" in product:
            assert parent[f"kp:{product}"] == f"kp:{product.rsplit('-', 1)[0]}"
        else:
            assert f"kp:{product}" not in parent
    assert len([p for p in products if "-" not in p]) == 7  # SOURCE.md: 7 roots
    # the one missing parent (商业服务) is a placeholder, so 商业服务-综合支持服务 still has its parent
    assert stages["kp:商业服务"].props["placeholder"] == "yes"

    def under(root):
        return {p for p in products if any(a == f"kp:{root}" for a in ancestors(f"kp:{p}", parent))}

    assert len(under("建筑、农用机械与重型卡车")) == 16  # SOURCE.md


def ancestors(node: str, parent: dict) -> list[str]:
    found = []
    while node in parent:
        node = parent[node]
        found.append(node)
    return found


def test_butadiene_rubber_feeds_its_seven_targets_and_the_dangling_one_is_reported(kag_store, kag_dir):
    store, _, report = kag_store
    product = "商品化工-橡胶-合成橡胶-顺丁橡胶"
    rows_by_id = {r["id"]: r for r in rows(kag_dir, "Product.csv")}
    targets = parts(rows_by_id[product]["hasSupplyChain"])
    assert len(targets) == 7
    feeds = {r.target for r in store.relationships(["FEEDS"]) if r.source == f"kp:{product}"}
    assert feeds == {f"kp:{t}" for t in targets}
    dangling = {t for t in targets if t not in rows_by_id}
    assert dangling == {"化工商品贸易-化工产品贸易-橡塑制品贸易"}
    for target in dangling:
        assert reads.get_node(store, f"kp:{target}").props["placeholder"] == "yes"
        assert any(e.outcome == "placeholder" and repr(target) in e.message for e in report.entries)
    makers = {r.source for r in store.relationships(["OPERATES_IN"]) if r.target == f"kp:{product}"}
    assert makers == {"kc:CSF0000001579", "kc:CSF0000000025", "kc:CSF0000000053"}  # SOURCE.md
    one_hop_down = {r.source for r in store.relationships(["OPERATES_IN"]) if r.target in feeds}
    assert len(one_hop_down) == 40 and "kc:CSF0000002238" in one_hop_down  # SOURCE.md


def test_skipping_instead_drops_the_dangling_target_with_its_line(kag_dir):
    imported = read_kag(kag_dir, dangling="skip")
    line = next(i for i, r in enumerate(rows(kag_dir, "Product.csv"), start=2) if r["id"] == "商品化工-橡胶-合成橡胶-顺丁橡胶")
    dropped = [e for e in imported.report.entries if e.outcome == "dropped" and e.file == "Product.csv" and e.line == line]
    assert [e.message for e in dropped] == ["hasSupplyChain target '化工商品贸易-化工产品贸易-橡塑制品贸易' of '商品化工-橡胶-合成橡胶-顺丁橡胶' is not a product id in Product.csv: not imported"]
    feeds = [(r.source, r.target) for r in validate(imported.raw).relationships if r.type == "FEEDS" and r.source == "kp:商品化工-橡胶-合成橡胶-顺丁橡胶"]
    assert len(feeds) == 6


def test_fund_transfers_become_totals_and_supplies_only_by_kags_rule(kag_store, kag_dir):
    store, _, _ = kag_store
    transfers = rows(kag_dir, "Company_fundTrans_Company.csv")
    assert len(transfers) == 19 and sum(int(t["transAmt"]) for t in transfers) == 9_000_000  # SOURCE.md
    assert reads.get_node(store, "kc:CSF0000001579").props["fund_in_total"] == "1000000"  # SOURCE.md: 3 transfers, 1,000,000
    # KAG's mainSupply rule, worked out again here: the payee makes an upstream product whose
    # hasSupplyChain lists a product the payer makes, and the payer sent > 50 % of its inflow.
    makes = defaultdict(set)
    for company in rows(kag_dir, "Company.csv"):
        makes[company["id"]] |= set(parts(company["product"]))
    for update in rows(kag_dir, "CompanyUpdate.csv"):
        makes[update["id"]] = set(parts(update["products"]))
    downstream = {r["id"]: set(parts(r["hasSupplyChain"])) for r in rows(kag_dir, "Product.csv")}
    inflow, paid = defaultdict(int), defaultdict(int)
    for t in transfers:
        inflow[t["dstId"]] += int(t["transAmt"])
        paid[(t["dstId"], t["srcId"])] += int(t["transAmt"])
    expected = {(f"kc:{payee}", f"kc:{payer}") for (payee, payer), amount in paid.items()
                if amount / inflow[payee] > 0.5 and any(downstream.get(p, set()) & makes[payer] for p in makes[payee])}
    supplies = {(r.source, r.target): r.props for r in store.relationships(["SUPPLIES"])}
    assert set(supplies) == expected == {("kc:CSF0000001579", "kc:CSF0000002238")}
    assert supplies[("kc:CSF0000001579", "kc:CSF0000002238")]["volume"] == 666_666


def test_the_report_accounts_for_every_kag_line(kag_dir):
    report = read_kag(kag_dir).report
    for name in FILES:
        data_lines = len((kag_dir / name).read_text(encoding="utf-8").splitlines()) - 1  # less the header
        counts = report.counts(name)
        assert counts["read"] == data_lines, name
        assert counts["mapped"] + counts["merged"] + counts["skipped"] + counts["ignored"] == data_lines, name
    assert report.counts("Product.csv") == {"read": 78, "mapped": 44, "merged": 34, "skipped": 0, "ignored": 0}
    assert report.counts("Person.csv")["ignored"] == 20
    assert report.failures() == []  # nothing skipped or dropped with placeholders: --strict passes


def test_strict_import_of_the_real_example_succeeds(kag_dir, tmp_path):
    result = runner.invoke(app, ["import", "kag", str(kag_dir), "--strict", "--store", str(tmp_path / "k.db"), "--report", str(tmp_path / "r.json")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with SqliteStore(tmp_path / "k.db") as store:
        assert reads.stats(store).to_dict()["nodes"]["Enterprise"] == 103


# -- any input: never a crash, every line accounted for, always a valid dataset -------------------

_cells = st.text(alphabet=st.sampled_from(list("化工-橡胶轮胎C1,=@ ;\"\n\x7f")), max_size=10)
_ids = st.sampled_from(["C1", "C2", "C3", "", "=C4", "C1 "])
_CSV = {
    "Product.csv": (["id", "belongToIndustry", "hasSupplyChain"], st.tuples(_cells, _cells, _cells)),
    "Company.csv": (["id", "name", "product"], st.tuples(_ids, _cells, _cells)),
    "CompanyUpdate.csv": (["id", "name", "products"], st.tuples(_ids, _cells, _cells)),
    "Company_fundTrans_Company.csv": (["srcId", "dstId", "transDate", "transAmt"],
                                      st.tuples(_ids, _ids, _cells, st.sampled_from(["100", "-5", "x", "", "7"]))),
    "Industry.csv": (["id"], st.tuples(_cells)),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tables=st.fixed_dictionaries({name: st.lists(rows, max_size=8) for name, (_, rows) in _CSV.items()}),
       dangling=st.sampled_from(["skip", "placeholder"]))
# found by this test: "1 -" is under "1" (its parent cleaned as ids are), not a placeholder "1 " that becomes a second kp:1
@example(tables={"Product.csv": [("1", "", ""), ("1 -", "", "")], **{name: [] for name in _CSV if name != "Product.csv"}}, dangling="placeholder")
# found by this test: an industry level "=" became an enterprise's tag, which the contract refuses as a formula
@example(tables={"Product.csv": [("p", "化工-=", "")], "Company.csv": [("C1", "甲", "p")],
                 **{name: [] for name in _CSV if name not in ("Product.csv", "Company.csv")}}, dangling="skip")
def test_any_input_maps_onto_a_valid_dataset_and_every_line_is_accounted_for(tmp_path_factory, tables, dangling):
    folder = tmp_path_factory.mktemp("any")
    for name, body in tables.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(_CSV[name][0])
            writer.writerows(body)
    imported = read_kag(folder, dangling=dangling)
    validate(imported.raw)  # the mapping only ever produces what the contract accepts
    for name, body in tables.items():
        counts = imported.report.counts(name)
        assert counts["read"] == len(body)
        assert counts["mapped"] + counts["merged"] + counts["skipped"] + counts["ignored"] == len(body)
