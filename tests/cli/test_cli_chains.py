"""chainx chains, chains show, chains save and --chain, on the tiny chain of tests/api/conftest.py:

    pta → poly → spin → weave → dye;  sz operates in pta, poly, spin, dye; tm in weave
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.api.conftest import write_dataset

runner = CliRunner()
CHAINS = "id,name,stages,source,sink\nfront,前段,pta;poly,,\n"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "chainx.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, write_dataset(tmp_path / "d", chains=CHAINS))
    return str(path)


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_a_chain_saved_by_names_is_listed_and_scopes_gaps(db):
    saved = run("chains", "save", "mid", "--name", "中段", "--from", "聚合", "--to", "weaving", "--store", db)
    assert saved.exit_code == 0, saved.output
    assert saved.output.strip() == "Saved chain 中段 (mid), defined by poly → weave: 3 stages."
    listed = json.loads(run("chains", "--store", db, "--format", "json").stdout)
    assert [(c["id"], c["stages"], c["defined_by"]) for c in listed["chains"]] == [("front", 2, "stages"), ("mid", 3, "poly → weave")]
    table = run("chains", "--store", db).stdout
    assert "前段" in table and table.rstrip().endswith("2 chains")
    report = json.loads(run("gaps", "--region", "sz", "--chain", "前段", "--min-firms", "1", "--store", db, "--format", "json").stdout)
    assert report["chain_scope"]["kind"] == "chain" and report["gaps"] == []  # sz has pta and poly
    out = run("gaps", "--region", "tm", "--chain", "front", "--store", db).stdout
    assert "Scope: the chain 前段 (front): its member stages, 2 of 5 stages (to widen: --scope whole)." in out


@pytest.mark.parametrize(("args", "message"), [
    (["gaps", "--region", "sz", "--chain", "back"], "unknown chain 'back'"),
    (["gaps", "--region", "sz", "--chain", "front", "--from", "pta", "--to", "dye"], "not both"),
    (["chains", "show", "nope"], "unknown chain 'nope'"),
    (["chains", "save", "front", "--name", "x", "--stages", "pta"], "already holds a node with id 'front'"),
    (["chains", "save", "c", "--name", "x"], "give the chain's stages, or its source and sink"),
    (["chains", "save", "c", "--name", "x", "--from", "dye", "--to", "pta"], "no FEEDS path from 印染 (dye) to 精对苯二甲酸 (pta)"),
])
def test_bad_chain_input_is_one_line_and_a_non_zero_exit(db, args, message):
    with SqliteStore(db) as store:
        before = store.version()
    result = run(*args, "--store", db)
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output, result.output
    with SqliteStore(db) as store:
        assert store.version() == before
