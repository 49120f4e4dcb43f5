"""Backup and restore: a csv export of either store loads back into the same graph (written-back
values included), and a zip holding two members for one file is refused naming both."""

from __future__ import annotations

import zipfile

import pytest

from graph.errors import DatasetError
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders import read_dataset
from loaders.pipeline import load_path
from loaders.write import write_dataset
from tests.conftest import TEXTILE


def test_an_export_of_either_store_loads_back_into_the_same_graph(store, tmp_path):
    load_path(store, TEXTILE)
    # values a dataset never had: centrality written back, a list and a text with a comma and quotes
    store.set_properties({"e_hengli_group": {"pagerank": 0.125, "notes": 'a "quoted", text'}, "weaving": {"codes": ["a", "b"]}})
    original = reads.snapshot(store)
    # the bundled chains (data/textile/chains.csv) are part of what goes out and comes back
    assert sorted(n.id for n in original.nodes if n.label == "Chain") == ["home_textiles_chain", "polyester_garments"]
    out = tmp_path / "export"
    write_dataset(original, out)

    with SqliteStore(tmp_path / "restored.db", create=True) as restored:
        load_path(restored, out)
        assert reads.snapshot(restored) == original
    # and into the same kind of store, in place of its graph
    load_path(store, out, replace=True)
    assert reads.snapshot(store) == original


@pytest.mark.parametrize(("first", "second", "file"), [
    ("stages.csv", "dataset/stages.csv", "stages.csv"),
    ("stages.csv", "STAGES.CSV", "stages.csv"),
    ("dataset.json", "dataset/Dataset.json", "dataset.json"),
])
def test_a_zip_holding_two_members_for_one_file_is_refused_naming_both(tmp_path, first, second, file):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for member in (first, second):
            archive.writestr(member, '{"name": "x"}' if member.lower().endswith(".json") else "id,name\na,甲\n")
        if file != "stages.csv":
            archive.writestr("stages.csv", "id,name\na,甲\n")
    with SqliteStore(tmp_path / "s.db", create=True) as store, pytest.raises(DatasetError) as info:
        load_path(store, path)
    assert [str(p) for p in info.value.problems] == [f"{file}: both {first!r} and {second!r} are {file}; keep one of them"]
    assert read_dataset(path).problems  # refused at reading, before anything is validated


@pytest.mark.parametrize(("types", "problem"), [
    ({"enterprises.csv": {"pagerank": "complex"}}, "dataset.json: column_types: 'enterprises.csv' 'pagerank': \"column_types\" must map files"),
    ({"enterprises.csv": {"revenue_cny": "text"}}, "dataset.json: column_types: 'enterprises.csv' 'revenue_cny': a column of the contract has its own type"),
    ({"notes.csv": {"x": "int"}}, "dataset.json: column_types: 'notes.csv': not a file of the contract"),
    (["float"], "dataset.json: column_types: \"column_types\" must map files"),
])
def test_column_types_that_are_not_understood_are_refused_naming_them(tmp_path, types, problem):
    import json

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "stages.csv").write_text("id,name\na,甲\n", encoding="utf-8")
    (folder / "dataset.json").write_text(json.dumps({"column_types": types}), encoding="utf-8")
    with SqliteStore(tmp_path / "s.db", create=True) as store, pytest.raises(DatasetError) as info:
        load_path(store, folder)
    assert [str(p)[: len(problem)] for p in info.value.problems] == [problem]


def test_a_typed_column_beyond_the_contract_is_checked_like_any_number(tmp_path):
    import json

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "stages.csv").write_text("id,name,score\na,甲,0.5\nb,乙,high\n", encoding="utf-8")
    (folder / "dataset.json").write_text(json.dumps({"column_types": {"stages.csv": {"score": "float"}}}), encoding="utf-8")
    with SqliteStore(tmp_path / "s.db", create=True) as store, pytest.raises(DatasetError) as info:
        load_path(store, folder)
    assert [str(p) for p in info.value.problems] == ["stages.csv:3: score: 'high' is not a number (write it as 1200, 1.2万, 1.2亿 or 约300)"]
