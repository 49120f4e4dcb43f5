"""Workbooks as Chinese offices keep them: Chinese sheet and header names, 万 / 亿 amounts, 约
estimates, 上游 tiers, and errors that say what was seen and what was probably meant."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.errors import DatasetError
from loaders import load_dataset, read_dataset
from loaders.validate import validate

# One small chain written twice: in the contract's English, and as a Chinese office writes it.
ENGLISH = {
    "stages": [["id", "name", "tier", "parent", "aliases"],
               ["pta", "精对苯二甲酸", "upstream", "", "PTA"], ["spin", "纺丝", "midstream", "", ""],
               ["vortex", "涡流纺", "midstream", "spin", ""], ["dye", "印染", "support", "", "印花;染色"]],
    "stage_links": [["source", "target", "weight"], ["pta", "spin", "2"], ["spin", "dye", ""]],
    "regions": [["id", "name", "parent", "level"], ["js", "江苏省", "", "province"], ["sz", "盛泽镇", "js", "town"]],
    "enterprises": [["id", "name", "region", "revenue_cny", "employees", "tags"],
                    ["e1", "恒力集团", "sz", "120000000", "12000", "龙头;民营"], ["e2", "盛泽印染厂", "sz", "3000000", "300", ""]],
    "enterprise_stages": [["enterprise", "stage", "capacity"], ["e1", "pta", "5000"], ["e2", "dye", ""]],
    "supplies": [["supplier", "customer", "volume"], ["e1", "e2", "20000"]],
}
CHINESE = {
    "环节": [["编号", "名称", "层级", "上级", "别名"],
             ["pta", "精对苯二甲酸", "上游", "", "PTA"], ["spin", "纺丝", "中游", "", ""],
             ["vortex", "涡流纺", "中游", "spin", ""], ["dye", "印染", "配套", "", "印花;染色"]],
    "上下游": [["上游环节", "下游环节", "权重"], ["pta", "spin", "2"], ["spin", "dye", ""]],
    "地区": [["编号", "名称", "上级地区", "级别"], ["js", "江苏省", "", "province"], ["sz", "盛泽镇", "js", "town"]],
    "企业": [["ＩＤ", "企业名称", "所在地区", "营业收入", "员工数", "标签"],  # a full-width ID, as some Windows IMEs type it
             ["e1", "恒力集团", "sz", "1.2亿", "1.2万", "龙头;民营"], ["e2", "盛泽印染厂", "sz", "300万元", "约300", ""]],
    "企业环节": [["企业", "环节", "产能"], ["e1", "pta", "5,000"], ["e2", "dye", ""]],
    "供应关系": [["供应商", "客户", "数量"], ["e1", "e2", "2万"]],
}


def workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def folder(path: Path, files: dict[str, list[list[str]]]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        with open(path / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return path


def graph_of(data) -> tuple[list, list]:
    return (sorted((n.label, n.id, n.name, sorted(n.props.items(), key=str)) for n in data.nodes),
            sorted((r.type, r.source, r.target, r.key, sorted(r.props.items())) for r in data.relationships))


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    return [str(p) for p in info.value.problems]


def test_a_chinese_workbook_loads_into_the_same_graph_as_its_english_twin(tmp_path):
    english = load_dataset(folder(tmp_path / "en", ENGLISH))
    chinese = load_dataset(workbook(tmp_path / "盛泽.xlsx", CHINESE))
    assert graph_of(chinese) == graph_of(english)
    # the numbers worked out by hand: 1.2亿 = 120,000,000 yuan, 1.2万 = 12,000 people, 300万元 = 3,000,000
    e1, e2 = (next(n for n in chinese.nodes if n.id == i) for i in ("e1", "e2"))
    assert (e1.props["revenue_cny"], e1.props["employees"], e2.props["revenue_cny"], e2.props["employees"]) == (120_000_000, 12_000, 3_000_000, 300)
    assert isinstance(e1.props["employees"], int)


def test_chinese_csv_file_names_are_the_contract_s_files(tmp_path):
    english = load_dataset(folder(tmp_path / "en", ENGLISH))
    assert graph_of(load_dataset(folder(tmp_path / "zh", CHINESE))) == graph_of(english)


def test_an_estimate_is_kept_as_its_number_with_a_note(tmp_path):
    raw = read_dataset(workbook(tmp_path / "town.xlsx", CHINESE))
    validate(raw)
    assert [str(n) for n in raw.notes] == ["企业 (enterprises.csv):3: 员工数: '约300' read as 300: an estimate, kept as the number"]


def test_chainx_load_prints_the_notes(tmp_path):
    path = workbook(tmp_path / "town.xlsx", CHINESE)
    result = CliRunner().invoke(app, ["load", str(path), "--store", str(tmp_path / "chainx.db")])
    assert result.exit_code == 0, result.output
    assert "Note: 企业 (enterprises.csv):3: 员工数: '约300' read as 300: an estimate, kept as the number" in result.output


def test_a_workbook_without_a_stages_sheet_lists_its_sheets_and_the_likely_one(tmp_path):
    sheets = {"Stage": ENGLISH["stages"], "地区": ENGLISH["regions"]}
    assert problems_of(workbook(tmp_path / "typo.xlsx", sheets)) == [
        "stages.csv: required file is missing from the dataset (a stages.csv file, or a sheet named stages or 环节); "
        "found: 地区, Stage; did you mean 'Stage'?"]


def test_a_missing_required_header_lists_the_headers_and_the_likely_one(tmp_path):
    files = dict(ENGLISH, enterprises=[["id", "name", "regoin"], ["e1", "恒力集团", "sz"], ["e2", "盛泽印染厂", "sz"]])
    # and nothing about enterprise_stages.csv or supplies.csv naming e1 and e2, which only look
    # unknown because enterprises.csv could not be read
    assert problems_of(folder(tmp_path / "ds", files)) == [
        "enterprises.csv:1: region: required column is missing from the header (also accepted: 地区, 所在地区, 所属地区); "
        "the header has: id, name, regoin; did you mean 'regoin'?"]


def test_a_name_where_an_id_belongs_names_the_id_and_a_typo_the_nearest_ids(tmp_path):
    files = dict(ENGLISH, enterprise_stages=[["enterprise", "stage"], ["e1", "精对苯二甲酸"], ["e2", "dyee"]])
    assert problems_of(folder(tmp_path / "ds", files)) == [
        "enterprise_stages.csv:2: stage: unknown stage '精对苯二甲酸'; '精对苯二甲酸' is the name of 'pta': give its id",
        "enterprise_stages.csv:3: stage: unknown stage 'dyee'; did you mean 'dye'?"]


def test_two_columns_naming_the_same_field_are_refused_naming_both(tmp_path):
    files = dict(ENGLISH, regions=[["id", "编号", "name"], ["js", "js", "江苏省"]])
    files.pop("enterprises"), files.pop("enterprise_stages"), files.pop("supplies")
    assert problems_of(folder(tmp_path / "ds", files)) == ["regions.csv:1: 编号: names the same column as 'id' (id); keep one of them"]


def test_two_sheets_for_one_file_are_refused_naming_both(tmp_path):
    sheets = {"stages": ENGLISH["stages"], "环节": CHINESE["环节"]}
    assert problems_of(workbook(tmp_path / "two.xlsx", sheets)) == ["stages.csv: both 'stages' and '环节' are stages.csv; keep one of them"]


def test_a_zip_holding_stages_twice_is_refused_naming_both_members(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("stages.csv", "id,name\na,甲\n")
        archive.writestr("dataset/Stages.csv", "id,name\nb,乙\n")
    assert problems_of(path) == ["stages.csv: both 'stages.csv' and 'dataset/Stages.csv' are stages.csv; keep one of them"]


@pytest.mark.parametrize(("cell", "message"), [
    ("三百", "'三百' is not a whole number (write it as 1200, 1.2万, 1.2亿 or 约300)"),
    ("1.23456万", "'1.23456万' is not a whole number (write it as 1200, 1.2万, 1.2亿 or 约300)"),
])
def test_what_is_not_an_office_number_says_how_to_write_one(tmp_path, cell, message):
    files = dict(ENGLISH, enterprises=[["id", "name", "region", "employees"], ["e1", "恒力集团", "sz", cell], ["e2", "盛泽印染厂", "sz", ""]])
    assert problems_of(folder(tmp_path / "ds", files)) == [f"enterprises.csv:2: employees: {message}"]


def test_the_readme_lists_every_chinese_name_the_contract_accepts():
    from loaders.contract import FILES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shared = ("since", "until")  # every file's, in one row of their own
    for spec in FILES.values():
        columns = "; ".join(f"{c.name}: {' / '.join(c.aliases)}" for c in spec.columns if c.aliases and c.name not in shared)
        assert f"| {spec.name} | {' / '.join(spec.aliases)} | {columns} |" in readme
        times = "; ".join(f"{c.name}: {' / '.join(c.aliases)}" for c in spec.columns if c.name in shared)
        assert f"| every file | | {times} |" in readme
