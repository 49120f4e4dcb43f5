"""The data contract: every error kind is reported as file:line: column, all at once."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from graph.errors import DatasetError
from loaders import load_dataset, read_dataset
from loaders.validate import StoreContext

STAGES = ("id,name,tier,parent,aliases\npta,精对苯二甲酸,upstream,,PTA;Purified Terephthalic Acid\npoly,聚合,upstream,,polymerisation\n"
          "spin,纺丝,midstream,,spinning\nvortex,涡流纺,midstream,spin,vortex spinning\n")
REGIONS = "id,name,parent,level\njiangsu,江苏,,province\nshengze,盛泽,jiangsu,town\n"
ENTERPRISES = "id,name,region,park,revenue_cny,employees,founded,tags\ne1,恒力集团,shengze,,1000.5,100,1994,real;big\ne2,盛虹集团,shengze,p1,,,,\n"
PARKS = "id,name,region,kind\np1,东方丝绸市场,shengze,market\n"


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def good(folder: Path, **overrides: str) -> Path:
    files = {"stages": STAGES, "regions": REGIONS, "enterprises": ENTERPRISES, "parks": PARKS}
    files.update(overrides)
    return write(folder, **{k: v for k, v in files.items() if v is not None})


def problems_of(path: Path, context: StoreContext | None = None) -> list[str]:
    with pytest.raises(DatasetError) as info:
        load_dataset(path, context)
    return [str(p) for p in info.value.problems]


def test_a_valid_dataset_maps_onto_the_graph_model(tmp_path):
    data = load_dataset(good(tmp_path, stage_links="source,target,weight\npta,poly,2.5\npoly,spin,\n"))
    labels = sorted((n.label, n.id) for n in data.nodes)
    assert labels == [("Enterprise", "e1"), ("Enterprise", "e2"), ("Park", "p1"), ("Region", "jiangsu"), ("Region", "shengze"),
                      ("Stage", "poly"), ("Stage", "pta"), ("Stage", "spin"), ("Stage", "vortex")]
    rels = sorted((r.type, r.source, r.target) for r in data.relationships)
    assert rels == [
        ("FEEDS", "poly", "spin"), ("FEEDS", "pta", "poly"),
        ("LOCATED_IN", "e1", "shengze"), ("LOCATED_IN", "e2", "p1"), ("LOCATED_IN", "e2", "shengze"), ("LOCATED_IN", "p1", "shengze"),
        ("PART_OF", "shengze", "jiangsu"), ("PART_OF", "vortex", "spin"),
    ]
    nodes = {n.id: n for n in data.nodes}
    assert nodes["pta"].props["aliases"] == ["PTA", "Purified Terephthalic Acid"]
    assert nodes["poly"].props["tier"] == "upstream" and nodes["vortex"].props["tier"] == "midstream"
    assert nodes["e1"].props["revenue_cny"] == 1000.5 and nodes["e1"].props["employees"] == 100
    assert nodes["e1"].props["tags"] == ["real", "big"]
    feeds = {(r.source, r.target): r.props for r in data.relationships if r.type == "FEEDS"}
    assert feeds[("pta", "poly")] == {"weight": 2.5} and feeds[("poly", "spin")] == {}


def test_headers_are_matched_case_insensitively_and_unknown_columns_kept(tmp_path):
    stages = " ID , Name ,Name_EN\nx,纺丝,Spinning\n"
    data = load_dataset(write(tmp_path, stages=stages))
    (node,) = data.nodes
    assert (node.id, node.name, node.props) == ("x", "纺丝", {"name_en": "Spinning", "tier": "midstream"})


def test_only_stages_is_required(tmp_path):
    assert problems_of(write(tmp_path, regions=REGIONS)) == [
        "stages.csv: required file is missing from the dataset (a stages.csv file, or a sheet named stages or 环节); found: regions.csv"]


@pytest.mark.parametrize(
    "files, expected",
    [
        # a missing required column
        ({"stages": "id,tier\npta,upstream\n"}, ["stages.csv:1: name: required column is missing from the header (also accepted: 名称, 环节, 环节名称); the header has: id, tier"]),
        # an empty id
        ({"stages": STAGES + ",空的,,,\n"}, ["stages.csv:6: id: is required but empty"]),
        # a duplicate id, within a file and across kinds
        ({"stages": STAGES + "pta,又一个,,,\n"}, ["stages.csv:6: id: duplicate id 'pta': already used by Stage at stages.csv:2"]),
        ({"regions": REGIONS + "pta,某地,,town\n"}, ["regions.csv:4: id: duplicate id 'pta': already used by Stage at stages.csv:2"]),
        # references to unknown stage / enterprise / region / institute / park
        ({"enterprise_stages": "enterprise,stage\ne1,ptx\n"}, ["enterprise_stages.csv:2: stage: unknown stage 'ptx'; did you mean 'pta'?"]),
        ({"supplies": "supplier,customer,stage\ne1,e9,pta\n"}, ["supplies.csv:2: customer: unknown enterprise 'e9'"]),
        ({"enterprises": ENTERPRISES + "e3,某厂,tianmen,,,,,\n"}, ["enterprises.csv:4: region: unknown region 'tianmen'"]),
        ({"ties": "enterprise,institute,kind\ne1,i_donghua,project\n"}, ["ties.csv:2: institute: unknown institute 'i_donghua'"]),
        ({"enterprises": ENTERPRISES + "e3,某厂,shengze,nopark,,,,\n"}, ["enterprises.csv:4: park: unknown park 'nopark'"]),
        ({"enterprise_stages": "enterprise,stage\ne1,shengze\n"}, ["enterprise_stages.csv:2: stage: unknown stage 'shengze' ('shengze' is a Region)"]),
        # values of the wrong type, negative numbers, zero weight
        ({"enterprises": ENTERPRISES + "e3,某厂,shengze,,lots,,,\n"}, ["enterprises.csv:4: revenue_cny: 'lots' is not a number (write it as 1200, 1.2万, 1.2亿 or 约300)"]),
        ({"enterprises": ENTERPRISES + "e3,某厂,shengze,,,12.5,,\n"}, ["enterprises.csv:4: employees: '12.5' is not a whole number (write it as 1200, 1.2万, 1.2亿 or 约300)"]),
        ({"enterprise_stages": "enterprise,stage,capacity\ne1,pta,-3\n"}, ["enterprise_stages.csv:2: capacity: -3 must be at least 0"]),
        ({"stage_links": "source,target,weight\npta,poly,0\n"}, ["stage_links.csv:2: weight: 0 must be greater than 0"]),
        ({"stage_links": "source,target,weight\npta,poly,nan\n"}, ["stage_links.csv:2: weight: 'nan' is not a finite number"]),
        ({"stages": STAGES + "x,某,sideways,,\n"}, ["stages.csv:6: tier: 'sideways' is not one of upstream, midstream, downstream, support (or 上游, 中游, 下游, 配套, 支撑)"]),
        # cycles in PART_OF, for stages and for regions
        ({"stages": "id,name,parent\na,甲,b\nb,乙,c\nc,丙,a\n"}, ["stages.csv:2: parent: parent links form a cycle: a → b → c → a"]),
        ({"regions": REGIONS + "r1,一,r2,\nr2,二,r1,\n"}, ["regions.csv:4: parent: parent links form a cycle: r1 → r2 → r1"]),
        ({"stages": STAGES + "self,自己,,self,\n"}, ["stages.csv:6: parent: 'self' cannot be its own parent"]),
        # self-loops and duplicate relationship rows
        ({"stage_links": "source,target\npta,pta\n"}, ["stage_links.csv:2: target: a stage cannot feed itself"]),
        ({"stage_links": "source,target\npta,poly\npta,poly\n"}, ["stage_links.csv:3: duplicate row: same as line 2"]),
        # a formula-looking cell, a row wider than its header, a header column twice
        ({"stages": STAGES + 'x,"=HYPERLINK(""http://x"")",,,\n'}, ["stages.csv:6: name: '=HYPERLINK(\"http://x\")' looks like a spreadsheet formula; enter the value itself"]),
        ({"stages": STAGES + "x,某,,,,extra\n"}, ["stages.csv:6: the row has 6 cells but the header names 5 columns"]),
        ({"stages": "id,name,id\na,甲,b\n"}, ["stages.csv:1: id: the column appears twice in the header"]),
    ],
)
def test_each_error_kind_is_reported_with_file_line_and_column(tmp_path, files, expected):
    assert problems_of(good(tmp_path, **files)) == expected


def test_all_problems_are_reported_at_once(tmp_path):
    folder = good(tmp_path, enterprise_stages="enterprise,stage,capacity\ne1,ptx,5\ne2,pta,-1\n,pta,x\n")
    assert problems_of(folder) == [
        "enterprise_stages.csv:2: stage: unknown stage 'ptx'; did you mean 'pta'?",
        "enterprise_stages.csv:3: capacity: -1 must be at least 0",
        "enterprise_stages.csv:4: capacity: 'x' is not a number (write it as 1200, 1.2万, 1.2亿 or 约300)",
        "enterprise_stages.csv:4: enterprise: is required but empty",
    ]


def test_a_quoted_cell_over_several_lines_keeps_later_line_numbers_right(tmp_path):
    stages = 'id,name,description\na,甲,"two\nlines"\n,乙,\n'
    assert problems_of(write(tmp_path, stages=stages)) == ["stages.csv:4: id: is required but empty"]


def test_references_may_point_into_the_store(tmp_path):
    context = StoreContext({"pta": "Stage", "shengze": "Region"})
    folder = write(tmp_path, stages="id,name\nx,新\n", enterprises="id,name,region\ne1,厂,shengze\n",
                   enterprise_stages="enterprise,stage\ne1,pta\n")
    data = load_dataset(folder, context)
    assert {(r.type, r.source, r.target) for r in data.relationships} == {("OPERATES_IN", "e1", "pta"), ("LOCATED_IN", "e1", "shengze")}
    clash = StoreContext({"x": "Enterprise"})
    assert problems_of(write(tmp_path / "b", stages="id,name\nx,新\n"), clash) == ["stages.csv:2: id: id 'x' is already used by an Enterprise in the store and cannot also be a Stage"]


def test_a_cycle_through_the_stores_parent_links_is_refused(tmp_path):
    # the store has b → a; the dataset adds a → b
    context = StoreContext({"a": "Stage", "b": "Stage"}, part_of=[("b", "a")])
    assert problems_of(write(tmp_path, stages="id,name,parent\na,甲,b\n"), context) == ["stages.csv:2: parent: parent links form a cycle: a → b → a"]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_encodings_excel_writes_are_detected(tmp_path, encoding):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "stages.csv").write_bytes("id,name,aliases\r\npta,精对苯二甲酸,涤纶原料\r\n".encode(encoding))
    (node,) = load_dataset(tmp_path).nodes
    assert (node.id, node.name, node.props["aliases"]) == ("pta", "精对苯二甲酸", ["涤纶原料"])


def test_bom_does_not_stick_to_the_first_header(tmp_path):
    (tmp_path / "stages.csv").write_bytes("\ufeffid,name\nx,纺丝\n".encode("utf-8"))
    assert [n.id for n in load_dataset(tmp_path).nodes] == ["x"]


def test_undecodable_bytes_are_reported_with_the_line(tmp_path):
    (tmp_path / "stages.csv").write_bytes(b"id,name\nx,ok\ny,\x81\xff\xfe\n")
    assert problems_of(tmp_path) == ["stages.csv:3: cannot decode the file as UTF-8 or GB18030/GBK; if it is another encoding "
                                     "(Windows-1252 or Latin-1 for European names), save it as UTF-8 or load it with --encoding cp1252 (or its own)"]


def test_trailing_separators_and_blank_lines_are_ignored(tmp_path):
    write(tmp_path, stages="id,name,,\na,甲,,\n\n,,,\nb,乙,,\n")
    assert [n.id for n in load_dataset(tmp_path).nodes] == ["a", "b"]


def test_a_huge_cell_is_refused_with_its_place(tmp_path):
    write(tmp_path, stages=f"id,name,description\na,甲,{'x' * 200_000}\n")
    assert problems_of(tmp_path) == ["stages.csv:2: description: cell of 200,000 characters is longer than the limit of 100,000"]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_zip_of_the_dataset_folder_loads(tmp_path):
    path = _zip(tmp_path / "d.zip", {"textile/stages.csv": STAGES.encode(), "textile/regions.csv": REGIONS.encode(), "textile/dataset.json": b'{"name": "t"}'})
    data = load_dataset(path)
    assert len([n for n in data.nodes if n.label == "Stage"]) == 4 and data.manifest == {"name": "t"}


def test_unsafe_zip_member_names_are_refused(tmp_path):
    path = _zip(tmp_path / "d.zip", {"stages.csv": STAGES.encode(), "../evil.csv": b"x", "/abs/stages.csv": b"y"})
    assert problems_of(path) == ["d.zip: unsafe member name '../evil.csv' (absolute or '..')", "d.zip: unsafe member name '/abs/stages.csv' (absolute or '..')"]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    import loaders.read

    monkeypatch.setattr(loaders.read, "MAX_UNZIPPED_BYTES", 1_000_000)
    path = _zip(tmp_path / "bomb.zip", {"stages.csv": b"id,name\n" + b"a" * 5_000_000})
    assert path.stat().st_size < 50_000
    assert problems_of(path) == ["bomb.zip: would expand to 5,000,008 bytes; at most 1,000,000 bytes are accepted (raise the limit with CHAINX_MAX_UNZIPPED_BYTES)"]


def test_not_a_zip(tmp_path):
    path = tmp_path / "d.zip"
    path.write_bytes(b"not a zip")
    assert problems_of(path)[0].startswith("d.zip: not a readable .zip file")


def _workbook(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def test_an_xlsx_workbook_has_one_sheet_per_file(tmp_path):
    path = _workbook(tmp_path / "d.xlsx", {
        "stages": [["id", "name", "tier"], ["pta", "精对苯二甲酸", "upstream"], ["poly", "聚合", None]],
        "stage_links": [["source", "target", "weight"], ["pta", "poly", 2]],
        "Notes": [["anything"]],
    })
    data = load_dataset(path)
    assert sorted(n.id for n in data.nodes) == ["poly", "pta"]
    (link,) = data.relationships
    assert (link.source, link.target, link.props) == ("pta", "poly", {"weight": 2.0})


def test_xlsx_errors_name_the_sheet_row_and_column(tmp_path):
    path = _workbook(tmp_path / "d.xlsx", {"stages": [["id", "name"], ["pta", "甲"], ["", "乙"]], "regions": [["id", "name"], ["r", "某"]]}, hidden=("regions",))
    assert problems_of(path) == [
        "regions.csv: sheet 'regions' is hidden; unhide it or remove it so nothing loads unseen",
        "stages.csv:3: id: is required but empty",
    ]


def test_a_plain_csv_file_is_not_a_dataset(tmp_path):
    (tmp_path / "stages.csv").write_text(STAGES)
    assert problems_of(tmp_path / "stages.csv")[0].startswith("stages.csv: a dataset is a folder")


def test_raw_tables_keep_the_encoding_they_were_read_with(tmp_path):
    (tmp_path / "stages.csv").write_bytes("id,name\nx,纺丝\n".encode("gbk"))
    assert read_dataset(tmp_path).tables["stages.csv"].encoding == "gb18030"


def test_a_cycle_the_store_held_before_the_check_is_not_blamed_on_the_dataset(tmp_path):
    # a store written before the checks holds a → b → a and e ⇄ f (each controls the other), and g controls f
    context = StoreContext({"a": "Stage", "b": "Stage", "e": "Enterprise", "f": "Enterprise", "g": "Enterprise"},
                           part_of=[("a", "b"), ("b", "a")], controls=[("e", "f"), ("f", "e"), ("f", "g")])
    regions = "id,name\ntown,镇\n"
    folder = write(tmp_path, stages="id,name,parent\nx,新,a\n", controls="source,target\ne,h\n",
                   enterprises="id,name,region\nh,辛,town\n", regions=regions)
    data = load_dataset(folder, context)
    assert {(r.type, r.source, r.target) for r in data.relationships} >= {("PART_OF", "x", "a"), ("CONTROLS", "e", "h")}
    # the old cycle is found first (g → f → e → f) and set aside; f controlling g, which controls f, is refused
    closing = write(tmp_path / "b", stages="id,name,parent\ny,新,a\n", controls="source,target\nf,g\n", regions=regions)
    assert problems_of(closing, context) == [
        "controls.csv:2: source: control links form a cycle: g → f → g (each controls the next)"]
