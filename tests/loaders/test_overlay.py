"""Overlay: ``chainx load`` of a town's dataset on an imported national chain attaches the town's
enterprises to the national stages by id, then exact name, then alias (data/overlay-example)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.errors import DatasetError
from graph.regions import enterprises_in
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders import read_dataset, validate
from loaders.overlay import overlay
from loaders.pipeline import prepare, store_context
from tests.loaders.test_validate import good, write

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "overlay-example"

# A national chain in chainkg's format, holding every product the example names.
PRODUCTS = ["原油", "对二甲苯", "精对苯二甲酸(PTA)", "乙二醇", "涤纶", "涤纶长丝", "织造", "印染", "聚酰胺6(PA6)", "锦纶", "丝绸", "服装"]
UPSTREAM = [("涤纶", "精对苯二甲酸(PTA)"), ("涤纶", "乙二醇"), ("精对苯二甲酸(PTA)", "对二甲苯"), ("对二甲苯", "原油"),
            ("涤纶长丝", "涤纶"), ("织造", "涤纶长丝"), ("印染", "织造"), ("服装", "印染"), ("锦纶", "聚酰胺6(PA6)")]


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def national(tmp_path) -> Path:
    folder = tmp_path / "chainkg"
    folder.mkdir()
    (folder / "product.json").write_text("".join(json.dumps({"name": p}, ensure_ascii=False) + "\n" for p in PRODUCTS), encoding="utf-8")
    links = [{"from_entity": a, "rel": "上游材料", "to_entity": b} for a, b in UPSTREAM]
    (folder / "product_product.json").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in links), encoding="utf-8")
    db = tmp_path / "national.db"
    result = run("import", "chainkg", str(folder), "--store", str(db), "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    return db


def operates(db: Path) -> set[tuple[str, str]]:
    with SqliteStore(db) as store:
        return {(r.source, r.target) for r in store.relationships(["OPERATES_IN"])}


def test_the_town_example_attaches_to_the_national_chain(national):
    with SqliteStore(national) as store:
        stages_before = reads.stats(store).to_dict()["nodes"]["Stage"]
    result = run("load", str(EXAMPLE), "--store", str(national))
    assert result.exit_code == 0, result.output
    assert "polyester_filament (涤纶长丝) → p:涤纶长丝 (涤纶长丝, by name)" in result.output
    assert "PA6 → p:聚酰胺6(PA6) (聚酰胺6(PA6), by alias)" in result.output
    assert "water_jet_weaving (喷水织造)" in result.output  # the one stage new to the chain
    assert operates(national) == {
        ("sz_hengli", "p:精对苯二甲酸(PTA)"), ("sz_hengli", "p:涤纶长丝"), ("sz_hengli", "p:织造"),  # by name, and by the town's own id
        ("sz_shenghong", "p:涤纶"), ("sz_shenghong", "p:印染"),
        ("sz_yingxiang", "p:聚酰胺6(PA6)"), ("sz_yingxiang", "p:锦纶"),  # PA6 by alias
        ("sz_example_weaver", "water_jet_weaving"), ("sz_example_weaver", "p:涤纶长丝"),
        ("sz_example_dyer", "p:丝绸"), ("sz_example_dyer", "p:印染"),
    }
    with SqliteStore(national) as store:
        assert reads.stats(store).to_dict()["nodes"]["Stage"] == stages_before + 1  # 涤纶长丝 not duplicated
        weaving = reads.get_node(store, "water_jet_weaving")
        assert weaving.props["parent"] == "p:织造"  # its parent named 织造 in the town's file
        assert ("PART_OF", "jiangsu", "cn") in {(r.type, r.source, r.target) for r in store.relationships(["PART_OF"])}
        assert enterprises_in(store, "shengze") == {"sz_hengli", "sz_shenghong", "sz_yingxiang", "sz_example_weaver", "sz_example_dyer"}
        assert len(enterprises_in(store, "cn")) == 5


def test_loading_the_overlay_again_changes_nothing(national):
    assert run("load", str(EXAMPLE), "--store", str(national)).exit_code == 0
    with SqliteStore(national) as store:
        version, snapshot = store.version(), reads.snapshot(store)
    result = run("load", str(EXAMPLE), "--store", str(national))
    assert "(no changes)" in result.output
    with SqliteStore(national) as store:
        assert store.version() == version and reads.snapshot(store) == snapshot


def test_without_matching_the_towns_stage_stays_its_own(national):
    result = run("load", str(EXAMPLE), "--store", str(national), "--no-match-stages")
    # the names are no longer looked up, so the enterprise_stages that use them are refused
    assert result.exit_code == 1
    assert "enterprise_stages.csv:2: stage: unknown stage '精对苯二甲酸(PTA)'" in result.output


def test_ambiguous_and_unmatched_names_are_refused_and_the_store_is_untouched(national, tmp_path):
    # a second stage named 涤纶, under another id, makes the name ambiguous
    assert run("load", str(write(tmp_path / "other", stages="id,name\npolyester,涤纶\n")), "--store", str(national), "--no-match-stages").exit_code == 0
    before = national.read_bytes()
    town = write(tmp_path / "town", stages="id,name\n", regions="id,name\ntown,某镇\n", enterprises="id,name,region\nf1,某厂,town\n",
                 enterprise_stages="enterprise,stage\nf1,涤纶\nf1,不存在的工序\nf1,锦纶\n")
    result = run("load", str(town), "--store", str(national))
    assert result.exit_code == 1
    assert "enterprise_stages.csv:2: stage: '涤纶' names several stages (p:涤纶, polyester): give the id" in result.output
    assert "enterprise_stages.csv:3: stage: unknown stage '不存在的工序'" in result.output
    assert national.read_bytes() == before
    with SqliteStore(national) as store:
        with pytest.raises(DatasetError):
            prepare(store, read_dataset(town))
        _, report = overlay(read_dataset(town), store.nodes(["Stage"]))
    assert [(u["line"], u["value"]) for u in report.unmatched] == [(3, "不存在的工序")]
    assert [(a["line"], a["candidates"]) for a in report.ambiguous] == [(2, ["p:涤纶", "polyester"])]
    assert [(m["line"], m["stage"], m["by"]) for m in report.matched] == [(4, "p:锦纶", "name")]


def test_an_ordinary_dataset_validates_as_it_did_without_the_overlay(national, tmp_path):
    # stages whose names and aliases the national chain does not know
    stages = "id,name,parent,aliases\ns1,甲工序,,step one\ns2,乙工序,s1,\n"
    dataset = good(tmp_path / "d", stages=stages, stage_links="source,target\ns1,s2\n", enterprise_stages="enterprise,stage\ne1,s2\n")
    with SqliteStore(national) as store:
        overlaid, report = prepare(store, read_dataset(dataset))
        plain = validate(read_dataset(dataset), store_context(store))
    assert overlaid == plain
    assert not report.matched and not report.ambiguous and not report.unmatched


def test_names_are_matched_after_width_and_case_folding(national, tmp_path):
    town = write(tmp_path / "town", stages="id,name\n", regions="id,name\ntown,某镇\n", enterprises="id,name,region\nf1,某厂,town\n",
                 enterprise_stages="enterprise,stage\nf1,ｐａ６\nf1,精对苯二甲酸（PTA）\n")
    assert run("load", str(town), "--store", str(national)).exit_code == 0
    assert {t for e, t in operates(national) if e == "f1"} == {"p:聚酰胺6(PA6)", "p:精对苯二甲酸(PTA)"}


def test_the_town_example_on_the_real_national_chain(chainkg_import, tmp_path):
    db = tmp_path / "national.db"
    shutil.copy(chainkg_import["store"], db)
    result = run("load", str(EXAMPLE), "--store", str(db))
    assert result.exit_code == 0, result.output
    links = operates(db)
    assert {("sz_hengli", "p:精对苯二甲酸(PTA)"), ("sz_hengli", "p:涤纶长丝"), ("sz_yingxiang", "p:聚酰胺6(PA6)"),
            ("sz_shenghong", "p:涤纶"), ("sz_example_weaver", "water_jet_weaving")} <= links
    with SqliteStore(db) as store:
        assert reads.get_node(store, "water_jet_weaving").props["parent"] == "p:织造"
        assert len(enterprises_in(store, "shengze")) == 5
        # the town's firms now sit on the national chain "from a drop of oil to a cloth"
        upstream_of_pta = {r.source for r in store.relationships(["FEEDS"]) if r.target == "p:精对苯二甲酸(PTA)"}
        assert "p:对二甲苯" in upstream_of_pta
