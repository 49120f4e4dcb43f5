"""A dataset naming nodes the store holds: it changes them only where it says something new, the
report lists every changed property (old → new), stages' definitions are kept unless
--update-existing, a name-matched stage is never duplicated, and a dry run writes nothing
(the SQLite file's bytes unchanged)."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path, load_report
from tests.conftest import TEXTILE
from tests.loaders.test_validate import write

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def textile_rows(file: str) -> dict[str, dict]:
    """The bundled dataset's rows of ``file`` by id, read with the csv module (not by chainx)."""
    with (TEXTILE / file).open(encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def textile_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("existing") / "textile.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, TEXTILE)
    return path


@pytest.fixture
def textile_db(textile_template, tmp_path) -> Path:
    path = tmp_path / "chainx.db"
    shutil.copyfile(textile_template, path)
    return path


def town(folder: Path, stages: str = "id,name\nweaving,织造\nfz,服装\n") -> Path:
    """A town's workbook naming the shared stage weaving by id (under another name) and garments by its name (服装)."""
    return write(folder, stages=stages, regions="id,name\ntm_town,某镇\n", enterprises="id,name,region\nf1,某厂,tm_town\n",
                 enterprise_stages="enterprise,stage\nf1,fz\nf1,weaving\n")


def test_a_name_matched_stage_is_never_duplicated(textile_db, tmp_path):
    stages_in_textile = len(textile_rows("stages.csv"))
    result = run("load", str(town(tmp_path / "town")), "--store", str(textile_db))
    assert result.exit_code == 0, result.output
    assert "stages.csv:3: fz (服装) → garments (服装, by name)" in result.output
    with SqliteStore(textile_db) as store:
        assert reads.stats(store).nodes["Stage"] == stages_in_textile
        assert not list(store.nodes(ids=["fz"]))
        assert {r.target for r in store.relationships(["OPERATES_IN"]) if r.source == "f1"} == {"garments", "weaving"}


def test_a_stages_sheet_with_chinese_headers_is_matched_too(textile_db, tmp_path):
    stages_in_textile = len(textile_rows("stages.csv"))
    result = run("load", str(town(tmp_path / "town", stages="编号,名称\nfz,服装\nweaving,织造\n")), "--store", str(textile_db))
    assert result.exit_code == 0, result.output
    assert "stages.csv:2: fz (服装) → garments (服装, by name)" in result.output
    with SqliteStore(textile_db) as store:
        assert reads.stats(store).nodes["Stage"] == stages_in_textile


def test_a_town_s_file_does_not_rewrite_a_shared_stage_s_definition(textile_db, tmp_path):
    weaving = textile_rows("stages.csv")["weaving"]
    result = run("load", str(town(tmp_path / "town")), "--store", str(textile_db))
    assert result.exit_code == 0, result.output
    assert "1 stage definition value kept as the store has it (--update-existing to rewrite):" in result.output
    assert "  Stage weaving (机织): name: 机织 (the dataset says 织造)" in result.output
    with SqliteStore(textile_db) as store:
        node = reads.get_node(store, "weaving")
        assert node.name == weaving["name"] == "机织"
        assert node.props["aliases"] == weaving["aliases"].split(";")
        assert node.props["description"] == weaving["description"]
        assert node.props["source"] == weaving["source"]
        assert node.props["tier"] == weaving["tier"]  # the town's row gave no tier: the default is not something it says
        assert "weaving" in [n.id for n in store.search("woven fabric")[1]]


def test_update_existing_rewrites_it_and_the_report_says_old_and_new(textile_db, tmp_path):
    folder = town(tmp_path / "town", stages="id,name,aliases\nweaving,织造,weaving cloth\nfz,服装,\n")
    result = run("load", str(folder), "--store", str(textile_db), "--update-existing")
    assert result.exit_code == 0, result.output
    old_aliases = textile_rows("stages.csv")["weaving"]["aliases"].replace(";", "; ")
    assert "2 properties of nodes already in the store changed (old → new):" in result.output
    assert "  Stage weaving (机织): name: 机织 → 织造" in result.output
    assert f"  Stage weaving (机织): aliases: {old_aliases} → weaving cloth" in result.output
    with SqliteStore(textile_db) as store:
        node = reads.get_node(store, "weaving")
        assert (node.name, node.props["aliases"]) == ("织造", ["weaving cloth"])
        assert node.props["description"] == textile_rows("stages.csv")["weaving"]["description"]  # not said, kept


def test_an_existing_node_changes_only_where_the_dataset_says_something_new(textile_db, tmp_path):
    hengli = textile_rows("enterprises.csv")["e_hengli_group"]
    # the same firm, with a revenue and without its English name, park or tags
    folder = write(tmp_path / "d", stages="id,name\n", enterprises=f"id,name,region,revenue_cny\ne_hengli_group,{hengli['name']},{hengli['region']},5000\n")
    result = run("load", str(folder), "--store", str(textile_db))
    assert result.exit_code == 0, result.output
    assert "1 property of nodes already in the store changed (old → new):" in result.output
    assert f"  Enterprise e_hengli_group ({hengli['name']}): revenue_cny: (none) → 5000.0" in result.output
    with SqliteStore(textile_db) as store:
        node = reads.get_node(store, "e_hengli_group")
        assert node.props["revenue_cny"] == 5000.0
        assert node.props["name_en"] == hengli["name_en"] and node.props["park"] == hengli["park"]
        assert node.props["tags"] == hengli["tags"].split(";")
    again = write(tmp_path / "e", stages="id,name\n", enterprises=f"id,name,region,revenue_cny\ne_hengli_group,{hengli['name']},{hengli['region']},6000\n")
    assert f"  Enterprise e_hengli_group ({hengli['name']}): revenue_cny: 5000.0 → 6000.0" in run("load", str(again), "--store", str(textile_db)).output


def test_values_written_back_survive_a_reload_of_the_same_dataset(textile_db):
    enterprises = sorted(textile_rows("enterprises.csv"))
    with SqliteStore(textile_db) as store:
        store.set_properties({node_id: {"degree": float(i)} for i, node_id in enumerate(enterprises)})
        version = store.version()
    result = run("load", str(TEXTILE), "--store", str(textile_db))
    assert result.exit_code == 0, result.output
    assert "(no changes)" in result.output
    with SqliteStore(textile_db) as store:
        assert store.version() == version
        assert {n.id: n.props["degree"] for n in store.nodes(["Enterprise"])} == {node_id: float(i) for i, node_id in enumerate(enterprises)}


def test_a_dry_run_prints_the_whole_report_and_leaves_the_file_byte_identical(textile_db, tmp_path):
    folder = town(tmp_path / "town")
    before = digest(textile_db)
    dry = run("load", str(folder), "--store", str(textile_db), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert digest(textile_db) == before
    assert "nothing was written" in dry.output and "(would change the graph)" in dry.output
    assert not list(tmp_path.glob("chainx.db-*"))  # no journal left beside it either
    real = run("load", str(folder), "--store", str(textile_db))
    # the same report, line for line, after the first line
    assert dry.output.splitlines()[1:] == real.output.splitlines()[1:]
    assert "2 new nodes, 3 new relationships; 1 node and 0 relationships already in the store." in real.output
    assert "(would change nothing)" in run("load", str(folder), "--store", str(textile_db), "--dry-run").output


def test_a_dry_run_without_a_store_creates_none(tmp_path):
    missing = tmp_path / "none.db"
    result = run("load", str(TEXTILE), "--store", str(missing), "--dry-run")
    assert result.exit_code == 0, result.output
    nodes = sum(len(textile_rows(f"{kind}.csv")) for kind in ("stages", "regions", "parks", "enterprises", "institutes", "chains"))
    assert f"{nodes} new nodes, " in result.output.splitlines()[1]
    assert not missing.exists() and list(tmp_path.iterdir()) == []


def test_a_dry_run_reports_what_a_bad_dataset_would_be_refused_for(textile_db, tmp_path):
    before = digest(textile_db)
    folder = write(tmp_path / "bad", stages="id,name\n", enterprises="id,name,region\nf1,某厂,nowhere\n")
    result = run("load", str(folder), "--store", str(textile_db), "--dry-run")
    assert result.exit_code == 1
    assert "enterprises.csv:2: region: unknown region 'nowhere'" in result.output
    assert digest(textile_db) == before


def test_the_library_reports_the_same_as_the_command(textile_db, tmp_path):
    with SqliteStore(textile_db) as store:
        loaded = load_report(store, town(tmp_path / "town"), dry_run=True)
    assert loaded.dry_run and loaded.summary.changed
    assert (loaded.existing.new_nodes, loaded.existing.new_relationships) == (2, 3)  # f1, tm_town; OPERATES_IN ×2, LOCATED_IN
    assert loaded.existing.kept == [{"kind": "Stage", "id": "weaving", "name": "机织", "property": "name", "store": "机织", "dataset": "织造"}]
    assert loaded.existing.changed == []
