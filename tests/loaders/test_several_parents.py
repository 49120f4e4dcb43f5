"""A stage with several parents: stages.csv ``parent`` takes several stage ids, ``;``-separated."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.analysis.stages import build_stage_chain
from graph.errors import DatasetError
from graph.model import Node
from loaders import load_dataset
from loaders.overlay import overlay
from loaders.pipeline import load
from loaders.read import read_dataset

# By construction: 复合微生物肥料 (fert) is a sub-category of both 生物肥料 (bio) and 微生物肥料 (micro);
# micro is itself under bio, so bio has two stages below it and micro one: fert rolls up along the
# narrower, micro, whose own top is bio.
STAGES = "id,name,parent\nbio,生物肥料,\nmicro,微生物肥料,bio\nfert,复合微生物肥料,bio;micro\nsoil,土壤,\n"


def _folder(tmp_path: Path, stages: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "stages.csv").write_text(stages, encoding="utf-8")
    return tmp_path


def _problems(tmp_path: Path, stages: str) -> list[str]:
    with pytest.raises(DatasetError) as info:
        load_dataset(_folder(tmp_path, stages))
    return [str(p) for p in info.value.problems]


def test_every_parent_becomes_a_part_of(tmp_path):
    data = load_dataset(_folder(tmp_path, STAGES))
    assert sorted((r.source, r.target) for r in data.relationships if r.type == "PART_OF") == [
        ("fert", "bio"), ("fert", "micro"), ("micro", "bio")]
    props = {n.id: n.props.get("parent") for n in data.nodes}
    assert props == {"bio": None, "micro": "bio", "fert": ["bio", "micro"], "soil": None}  # one parent stays a plain id


@pytest.mark.parametrize("stages, expected", [
    # each parent checked, the wrong one named
    (STAGES + "x,某,bio;nope\n", ["stages.csv:6: parent: unknown stage 'nope'"]),
    # a cycle that goes through a second parent: a → c → a (b is a's first parent)
    ("id,name,parent\na,甲,b;c\nb,乙,\nc,丙,a\n", ["stages.csv:2: parent: parent links form a cycle: a → c → a"]),
    # the cycle closed on a later line: its line is the first link of the dataset on it
    ("id,name,parent\nb,乙,\nc,丙,a\na,甲,b;c\n", ["stages.csv:3: parent: parent links form a cycle: c → a → c"]),
    (STAGES + "x,某,bio;bio\n", ["stages.csv:6: parent: parent 'bio' is given twice"]),
    (STAGES + "x,某,soil;x\n", ["stages.csv:6: parent: 'x' cannot be its own parent"]),
])
def test_bad_parents_are_refused_with_line_and_column(tmp_path, stages, expected):
    assert _problems(tmp_path, stages) == expected


def test_several_parents_are_stored_and_roll_up_along_the_narrowest(store, tmp_path):
    loaded = load(store, read_dataset(_folder(tmp_path, STAGES)))
    assert loaded.summary.relationships == 3
    assert sorted((r.source, r.target) for r in store.relationships(["PART_OF"])) == [("fert", "bio"), ("fert", "micro"), ("micro", "bio")]
    chain = build_stage_chain(store, "top")
    assert chain.parents["fert"] == ["bio", "micro"]
    assert (chain.top["fert"], chain.top["micro"], chain.stages) == ("bio", "bio", ["bio", "soil"])
    assert chain.members["bio"] == ["bio", "fert", "micro"]
    assert build_stage_chain(store, "none").stages == ["bio", "fert", "micro", "soil"]


def test_the_overlay_matches_each_parent_by_name(tmp_path):
    store_stages = [Node("Stage", "p:生物肥料", "生物肥料"), Node("Stage", "p:微生物肥料", "微生物肥料")]
    raw = read_dataset(_folder(tmp_path, "id,name,parent\nfert,复合微生物肥料,生物肥料; 微生物肥料\n"))
    mapped, report = overlay(raw, store_stages)
    assert [(m["value"], m["stage"]) for m in report.matched] == [("生物肥料", "p:生物肥料"), ("微生物肥料", "p:微生物肥料")]
    assert mapped.tables["stages.csv"].rows == [(2, ["fert", "复合微生物肥料", "p:生物肥料;p:微生物肥料"])]


def test_a_parent_whose_id_holds_a_semicolon_is_one_parent(tmp_path):
    data = load_dataset(_folder(tmp_path, "id,name,parent\nkp:a;b,甲,\nkp:c,乙,kp:a;b\n"))
    assert [(r.source, r.target) for r in data.relationships if r.type == "PART_OF"] == [("kp:c", "kp:a;b")]
