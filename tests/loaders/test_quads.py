"""chainx import quads: a small temporal quadruple folder written here by hand, whose labels,
accounting, relationships, times and as-of counts are worked out below, on both stores."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.errors import DatasetError
from graph.store import reads
from graph.store.asof import as_of
from loaders.pipeline import prepare
from loaders.quads import node_id, read_mapping, read_quads
from loaders.validate import validate
from loaders.write import write_dataset

runner = CliRunner()

ENTITIES = ["原油", "石脑油", "PX", "PTA", "恒力石化", "荣盛石化", "桐昆股份", "恒力集团", "专利A", "专利B", "专利C", "化纤", "孤立实体"]
RELATIONS = ["上游于", "供给", "包含", "涉足行业", "合作", "竞争", "控股", "持有专利", "未知关系"]
TRAIN = [
    "0 0 1 0",  # 1 原油 上游于 石脑油 2020
    "1 0 2 0",  # 2 石脑油 上游于 PX 2020
    "2 0 3 1",  # 3 PX 上游于 PTA 2021
    "0 0 1 1",  # 4 restated in 2021: merged
    "11 2 3 0",  # 5 化纤 包含 PTA: PTA PART_OF 化纤
    "4 3 3 0",  # 6 恒力石化 涉足行业 PTA
    "5 3 2 1",  # 7 荣盛石化 涉足行业 PX 2021
    "4 1 6 1",  # 8 恒力石化 供给 桐昆股份 2021
    "4 4 5 0",  # 9 恒力石化 合作 荣盛石化 2020
    "5 4 4 2",  # 10 the same cooperation the other way round, 2022: merged
    "7 6 4 0",  # 11 恒力集团 控股 恒力石化
    "5 6 4 1",  # 12 荣盛石化 控股 恒力石化: a second parent, skipped
    "4 7 8 0",  # 13 恒力石化 持有专利 专利A
    "4 7 9 1",  # 14 恒力石化 持有专利 专利B
    "5 7 8 1",  # 15 荣盛石化 持有专利 专利A
    "4 8 5 0",  # 16 未知关系: unmapped, skipped
    "6 0 3 0",  # 17 桐昆股份 上游于 PTA: 桐昆 is an Enterprise (line 8), skipped
    "3 3 3 0",  # 18 a self-loop, skipped
    "4 5 6 2",  # 19 恒力石化 竞争 桐昆股份 2022
    "99 0 1 0",  # 20 entity 99 unknown, skipped
]
VALID = ["5 5 6 2", "1 0 2 1"]  # 荣盛 竞争 桐昆 2022; 石脑油 上游于 PX again (merged)
TEST = ["5 3 2 2", "0 0 1 7"]  # both restated (merged); time 7 is unknown (a dropped value)


def _tsv(lines: list[str]) -> str:
    return "".join("\t".join(line.split()) + "\n" for line in lines)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("quads")
    (root / "entity2id.txt").write_text("".join(f"{name}\t{i}\n" for i, name in enumerate(ENTITIES)), encoding="utf-8")
    (root / "relation2id.txt").write_text("".join(f"{name}\t{i}\n" for i, name in enumerate(RELATIONS)), encoding="utf-8")
    (root / "time2id.txt").write_text("0,2020-01-01\n1,2021-01-01\n2,2022-01-01\n", encoding="utf-8")
    (root / "train.txt").write_text(_tsv(TRAIN), encoding="utf-8")
    (root / "valid.txt").write_text(_tsv(VALID), encoding="utf-8")
    (root / "test.txt").write_text(_tsv(TEST), encoding="utf-8")
    return root


S, E = (lambda name: node_id("Stage", name)), (lambda name: node_id("Enterprise", name))


def test_every_line_is_accounted_for(folder):
    report = read_quads(folder).report
    counts = {name: report.counts(name) for name in report.files if report.files[name].present}
    assert counts["train.txt"] == {"read": 20, "mapped": 13, "merged": 2, "skipped": 5, "ignored": 0}
    assert counts["valid.txt"] == {"read": 2, "mapped": 1, "merged": 1, "skipped": 0, "ignored": 0}
    assert counts["test.txt"] == {"read": 2, "mapped": 0, "merged": 2, "skipped": 0, "ignored": 0}
    assert counts["entity2id.txt"] == {"read": 13, "mapped": 11, "merged": 0, "skipped": 0, "ignored": 2}
    assert counts["relation2id.txt"] == {"read": 9, "mapped": 8, "merged": 0, "skipped": 0, "ignored": 1}
    assert counts["time2id.txt"]["mapped"] == 3
    skipped = {(e.file, e.line): e.reason for e in report.entries if e.outcome == "skipped"}
    assert skipped == {("train.txt", 12): "second_parent", ("train.txt", 16): "unmapped_relation", ("train.txt", 17): "conflicting_roles",
                       ("train.txt", 18): "self_loop", ("train.txt", 20): "dangling_reference"}
    conflict = next(e for e in report.entries if e.reason == "conflicting_roles")
    assert "桐昆股份" in conflict.message and "train.txt:8" in conflict.message
    assert [(e.file, e.line, e.reason) for e in report.entries if e.outcome == "dropped"] == [("test.txt", 2, "unknown_time")]


@pytest.fixture(scope="module")
def data(folder):
    return validate(read_quads(folder).raw)


def test_labels_follow_from_the_roles(data):
    labels = {n.id: n.label for n in data.nodes}
    assert {i for i, label in labels.items() if label == "Stage"} == {S(n) for n in ("原油", "石脑油", "PX", "PTA", "化纤")}
    assert {i for i, label in labels.items() if label == "Enterprise"} == {E(n) for n in ("恒力石化", "荣盛石化", "桐昆股份", "恒力集团")}
    assert Counter(labels.values()) == {"Stage": 5, "Enterprise": 4, "Region": 1}
    patents = {n.id: n.props.get("patents") for n in data.nodes if n.label == "Enterprise"}
    assert patents == {E("恒力石化"): 2, E("荣盛石化"): 1, E("桐昆股份"): None, E("恒力集团"): None}


def test_relationships_and_their_since(data):
    since = {(r.type, r.source, r.target): r.props.get("since") for r in data.relationships if r.type != "LOCATED_IN"}
    assert since == {
        ("FEEDS", S("原油"), S("石脑油")): "2020-01-01",
        ("FEEDS", S("石脑油"), S("PX")): "2020-01-01",
        ("FEEDS", S("PX"), S("PTA")): "2021-01-01",
        ("PART_OF", S("PTA"), S("化纤")): None,
        ("OPERATES_IN", E("恒力石化"), S("PTA")): "2020-01-01",
        ("OPERATES_IN", E("荣盛石化"), S("PX")): "2021-01-01",
        ("SUPPLIES", E("恒力石化"), E("桐昆股份")): "2021-01-01",
        ("COOPERATES_WITH", *sorted((E("恒力石化"), E("荣盛石化")))): "2020-01-01",
        ("CONTROLS", E("恒力集团"), E("恒力石化")): "2020-01-01",
        ("COMPETES_WITH", *sorted((E("恒力石化"), E("桐昆股份")))): "2022-01-01",
        ("COMPETES_WITH", *sorted((E("荣盛石化"), E("桐昆股份")))): "2022-01-01",
    }
    assert not any("until" in r.props for r in data.relationships)  # nothing inferred unless asked
    assert {n.id: n.props.get("since") for n in data.nodes if n.id in (E("桐昆股份"), S("PTA"))} == {E("桐昆股份"): "2021-01-01", S("PTA"): "2020-01-01"}


def test_intervals_end_a_fact_at_its_last_sighting(folder):
    data = validate(read_quads(folder, intervals=True).raw)
    until = {(r.type, r.source, r.target): r.props.get("until") for r in data.relationships if r.type in ("FEEDS", "OPERATES_IN", "CONTROLS")}
    assert until == {
        ("FEEDS", S("原油"), S("石脑油")): "2021-01-01",
        ("FEEDS", S("石脑油"), S("PX")): "2021-01-01",
        ("FEEDS", S("PX"), S("PTA")): "2021-01-01",
        ("OPERATES_IN", E("恒力石化"), S("PTA")): "2020-01-01",
        ("OPERATES_IN", E("荣盛石化"), S("PX")): None,  # seen on the last date
        ("CONTROLS", E("恒力集团"), E("恒力石化")): "2020-01-01",
    }


def test_the_folder_lands_in_each_store_and_reads_as_of_three_days(folder, store):
    data, _ = prepare(store, read_quads(folder).raw, match_stages=False)
    store.write(data)
    assert reads.snapshot(store).relationships == sorted(data.relationships, key=lambda r: r.identity)
    # 2019: only the placeholder region and PART_OF-free nothing; 2020: all but 桐昆股份 and what
    # began in 2021 or 2022; 2022: everything
    def counts(day):
        nodes, rels = as_of(store, day).counts()
        return sum(nodes.values()), rels.get("FEEDS", 0), rels.get("COMPETES_WITH", 0)

    assert counts("2019-06-01") == (1, 0, 0)
    assert counts("2020-06-01") == (9, 2, 0)
    assert counts("2022-06-01") == (10, 3, 2)


def test_the_export_round_trip_keeps_the_firm_ties(data, tmp_path):
    write_dataset(data, tmp_path / "out")
    from loaders import load_dataset

    back = load_dataset(tmp_path / "out")
    assert sorted(back.relationships, key=lambda r: r.identity) == sorted(data.relationships, key=lambda r: r.identity)
    assert sorted(back.nodes, key=lambda n: n.id) == sorted(data.nodes, key=lambda n: n.id)


def test_cli_imports_with_a_mapping_and_strict_refuses(folder, tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text("relation,type\n未知关系,ignore\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "quads", str(folder), "--relations", str(mapping), "--store", str(tmp_path / "q.db"),
                                 "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["files"]["train.txt"]["ignored"] == 1 and report["files"]["train.txt"]["skipped"] == 4
    assert report["graph"]["relationships"]["COMPETES_WITH"] == 2
    strict = runner.invoke(app, ["import", "quads", str(folder), "--strict", "--store", str(tmp_path / "s.db"), "--report", str(tmp_path / "s.json")])
    assert strict.exit_code != 0 and "--strict" in strict.output and not (tmp_path / "s.db").exists()
    bad = runner.invoke(app, ["import", "quads", str(folder), "--map", "合作=FRIENDS", "--store", str(tmp_path / "b.db")])
    assert bad.exit_code != 0 and "FRIENDS" in bad.output and "Traceback" not in bad.output


def test_a_mapping_file_that_is_not_one_names_itself(tmp_path):
    path = tmp_path / "map.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(DatasetError, match="map.json"):
        read_mapping(path)


def test_plain_triples_by_name_without_id_files(tmp_path):
    (tmp_path / "train.txt").write_text("甲公司\t供给\t乙公司\n乙公司\t涉足行业\t织造\n甲公司\t控股\t乙公司\n", encoding="utf-8")
    imported = read_quads(tmp_path)
    assert imported.report.counts("train.txt") == {"read": 3, "mapped": 3, "merged": 0, "skipped": 0, "ignored": 0}
    data = validate(imported.raw)
    assert sorted((r.type, r.source, r.target) for r in data.relationships if r.type != "LOCATED_IN") == [
        ("CONTROLS", E("甲公司"), E("乙公司")), ("OPERATES_IN", E("乙公司"), S("织造")), ("SUPPLIES", E("甲公司"), E("乙公司"))]
    assert not any("since" in n.props for n in data.nodes)


def test_a_csv_edge_list_with_a_header(tmp_path):
    (tmp_path / "facts.csv").write_text("head,relation,tail,date\n原油,上游于,石脑油,2021-05-01\n原油,上游于,石脑油,2020\n甲,合资,乙,\n",
                                        encoding="utf-8")
    imported = read_quads(tmp_path)
    assert imported.report.counts("facts.csv") == {"read": 3, "mapped": 2, "merged": 1, "skipped": 0, "ignored": 0}
    data = validate(imported.raw)
    rels = {(r.type, r.source, r.target): r.props.get("since") for r in data.relationships if r.type != "LOCATED_IN"}
    assert rels == {("FEEDS", S("原油"), S("石脑油")): "2020-01-01", ("JOINT_VENTURE", E("乙"), E("甲")): None}


def test_a_fact_that_would_close_a_control_or_part_of_cycle_is_skipped_and_the_rest_imports(tmp_path):
    root = tmp_path / "cycle"
    root.mkdir()
    (root / "entity2id.txt").write_text("甲\t0\n乙\t1\n丙\t2\n纱\t3\n布\t4\n", encoding="utf-8")
    (root / "relation2id.txt").write_text("控股\t0\n包含\t1\n", encoding="utf-8")
    # 甲 controls 乙, 乙 controls 丙, then 丙 controls 甲 would make control come back round;
    # 布 contains 纱, then 纱 contains 布 likewise
    (root / "train.txt").write_text(_tsv(["0 0 1", "1 0 2", "2 0 0", "4 1 3", "3 1 4"]), encoding="utf-8")
    imported = read_quads(root)
    skipped = [(e.line, e.reason) for e in imported.report.entries if e.outcome == "skipped"]
    assert skipped == [(3, "parent_cycle"), (5, "parent_cycle")]
    data = validate(imported.raw)
    assert sorted((r.type, r.source, r.target) for r in data.relationships if r.type in ("CONTROLS", "PART_OF")) == sorted([
        ("CONTROLS", E("甲"), E("乙")), ("CONTROLS", E("乙"), E("丙")), ("PART_OF", S("纱"), S("布"))])


def test_a_control_cycle_in_a_dataset_is_refused_naming_the_file_and_line(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "stages.csv").write_text("id,name\nweave,织造\n", encoding="utf-8")
    (folder / "regions.csv").write_text("id,name\ntown,镇\n", encoding="utf-8")
    (folder / "enterprises.csv").write_text("id,name,region\na,甲,town\nb,乙,town\nc,丙,town\n", encoding="utf-8")
    (folder / "controls.csv").write_text("source,target\na,b\nb,c\nc,a\n", encoding="utf-8")
    from loaders import load_dataset

    with pytest.raises(DatasetError) as error:
        load_dataset(folder)
    assert [(p.file, p.line) for p in error.value.problems] == [("controls.csv", 2)]
    assert "control links form a cycle" in str(error.value)


def test_a_control_cycle_closed_with_the_stores_own_controls_is_refused_and_the_store_kept(tmp_path):
    # the store holds 甲 controls 乙 controls 丙; a later dataset says 丙 controls 甲
    from graph.store.sqlite import SqliteStore
    from loaders.pipeline import load_path

    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
    for folder in (first, second):
        (folder / "stages.csv").write_text("id,name\nweave,织造\n", encoding="utf-8")
    (first / "regions.csv").write_text("id,name\ntown,镇\n", encoding="utf-8")
    (first / "enterprises.csv").write_text("id,name,region\na,甲,town\nb,乙,town\nc,丙,town\n", encoding="utf-8")
    (first / "controls.csv").write_text("source,target\na,b\nb,c\n", encoding="utf-8")
    (second / "controls.csv").write_text("source,target\nb,c\nc,a\n", encoding="utf-8")
    store = SqliteStore(tmp_path / "x.db", create=True)
    load_path(store, first)
    before = sorted((r.source, r.target) for r in store.relationships(["CONTROLS"]))
    with pytest.raises(DatasetError) as error:
        load_path(store, second)
    assert [(p.file, p.line) for p in error.value.problems] == [("controls.csv", 3)]
    assert "c → a → b → c (each controls the next)" in str(error.value)
    assert sorted((r.source, r.target) for r in store.relationships(["CONTROLS"])) == before == [("a", "b"), ("b", "c")]
    store.close()
