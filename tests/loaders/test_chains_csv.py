"""chains.csv: chains defined in the data contract, by member stages or by a source and a sink.

Every expected answer is worked out by hand on the four-stage chain below:

    stages  oil → pta → fibre → cloth;  dye (sub-stage of cloth)
"""

from __future__ import annotations

import pytest

from graph.errors import DatasetError
from graph.model import GraphData, Node
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from loaders.write import write_dataset

STAGES = "id,name,parent\noil,原油,\npta,精对苯二甲酸,\nfibre,涤纶,\ncloth,面料,\ndye,印染,cloth\n"
LINKS = "source,target\noil,pta\npta,fibre\nfibre,cloth\n"


def folder(tmp_path, chains: str, name: str = "chains.csv"):
    path = tmp_path / "d"
    path.mkdir()
    (path / "stages.csv").write_text(STAGES, encoding="utf-8")
    (path / "stage_links.csv").write_text(LINKS, encoding="utf-8")
    (path / name).write_text(chains, encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path):
    with SqliteStore(tmp_path / "s.db", create=True) as store:
        yield store


def test_a_chain_by_its_stages_and_one_by_its_ends_are_stored(store, tmp_path):
    load_path(store, folder(tmp_path, "id,name,stages,source,sink,description\n"
                                      "front,前段,oil;pta,,,炼化\n"
                                      "all,化纤-面料,,oil,cloth,\n"))
    chains = {n.id: n for n in store.nodes(["Chain"])}
    assert chains["front"].name == "前段" and chains["front"].props == {"stages": ["oil", "pta"], "description": "炼化"}
    assert chains["all"].props == {"source": "oil", "sink": "cloth"}
    # the member stages are also INCLUDES relationships; a chain by its ends has none
    assert sorted((r.source, r.target) for r in store.relationships(["INCLUDES"])) == [("front", "oil"), ("front", "pta")]


def test_chinese_headers_and_file_name(store, tmp_path):
    load_path(store, folder(tmp_path, "编号,名称,成员环节\nc,纺织,fibre;cloth\n", name="产业链.csv"))
    assert [(n.id, n.props["stages"]) for n in store.nodes(["Chain"])] == [("c", ["fibre", "cloth"])]


@pytest.mark.parametrize(("rows", "problem"), [
    ("c,链,oil;fibr,,", "chains.csv:2: stages: unknown stage 'fibr'; did you mean 'fibre'?"),
    ("c,链,oil;涤纶,,", "chains.csv:2: stages: unknown stage '涤纶'; '涤纶' is the name of 'fibre': give its id"),
    ("c,链,oil;oil,,", "chains.csv:2: stages: 'oil' is listed twice"),
    ("c,链,oil,oil,cloth", "chains.csv:2: stages: give the member stages or the source and sink stages, not both"),
    ("c,链,,oil,", "chains.csv:2: sink: give both the source and the sink stage (sink is empty)"),
    ("c,链,,,cloth", "chains.csv:2: source: give both the source and the sink stage (source is empty)"),
    ("c,链,,,", "chains.csv:2: stages: give the chain's member stages (stages, ;-separated) or its source and sink stages"),
    ("c,链,,oil,oil", "chains.csv:2: sink: the source and the sink are the same stage 'oil'"),
    ("c,链,,oil,clth", "chains.csv:2: sink: unknown stage 'clth'; did you mean 'cloth'?"),
    ("oil,链,pta,,", "chains.csv:2: id: duplicate id 'oil': already used by Stage at stages.csv:2"),
])
def test_a_wrong_chain_is_refused_naming_file_line_and_column_and_nothing_is_written(store, tmp_path, rows, problem):
    before = store.version()
    with pytest.raises(DatasetError) as info:
        load_path(store, folder(tmp_path, "id,name,stages,source,sink\n" + rows + "\n"))
    assert [str(p) for p in info.value.problems] == [problem]
    assert store.version() == before and list(store.nodes()) == []


def test_a_chain_may_name_stages_already_in_the_store(store, tmp_path):
    load_path(store, folder(tmp_path, "id,name,stages\nc,链,pta\n"))
    town = tmp_path / "town"
    town.mkdir()
    (town / "stages.csv").write_text("id,name\n", encoding="utf-8")
    (town / "chains.csv").write_text("id,name,stages\nc2,后段,fibre;cloth\n", encoding="utf-8")
    load_path(store, town)
    assert sorted(n.id for n in store.nodes(["Chain"])) == ["c", "c2"]


def test_chains_survive_an_export_and_a_load_back(store, tmp_path):
    load_path(store, folder(tmp_path, "id,name,stages,source,sink,description\nfront,前段,oil;pta,,,\"a, b\"\nall,全链,,oil,cloth,\n"))
    original = reads.snapshot(store)
    write_dataset(original, tmp_path / "out")
    assert (tmp_path / "out" / "chains.csv").exists()
    with SqliteStore(tmp_path / "back.db", create=True) as back:
        load_path(back, tmp_path / "out")
        assert reads.snapshot(back) == original


def test_a_town_s_chains_csv_names_the_store_s_stages_by_name_or_alias(store, tmp_path):
    # the store's stages by name (涤纶), alias (PTA) or id (cloth): an overlay, as for any stage column
    load_path(store, folder(tmp_path, "id,name,stages\nc,链,oil\n"))
    store.write(GraphData(nodes=[Node("Stage", "pta", "精对苯二甲酸", {"aliases": ["PTA"], "tier": "midstream"})]))
    town = tmp_path / "town"
    town.mkdir()
    (town / "stages.csv").write_text("id,name\n", encoding="utf-8")
    (town / "chains.csv").write_text("id,name,stages,source,sink\nt,纺织,ＰＴＡ;涤纶;cloth,,\ne,两端,,原油,面料\n", encoding="utf-8")
    load_path(store, town)
    chains = {n.id: n.props for n in store.nodes(["Chain"])}
    assert chains["t"] == {"stages": ["pta", "fibre", "cloth"]} and chains["e"] == {"source": "oil", "sink": "cloth"}
