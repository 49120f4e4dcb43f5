"""chainx datasets, chainx show, chainx unload: output, errors and exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from tests.api.conftest import write_dataset

runner = CliRunner()


ENV: dict[str, str] = {}  # the Neo4j login, for the test on Neo4j


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False, env=ENV)


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def target(request, tmp_path, monkeypatch) -> str:
    """The --store of each store kind: a new SQLite file, or the test Bolt server emptied."""
    if request.param == "sqlite":
        return str(tmp_path / "chainx.db")
    store = request.getfixturevalue("neo4j_store")
    monkeypatch.setattr(f"{__name__}.ENV", request.getfixturevalue("bolt_server").env())
    return store.uri


def test_load_list_show_and_unload(tmp_path, target):
    db = target
    folder = write_dataset(tmp_path / "tiny")
    assert "as dataset 'tiny'" in run("load", str(folder), "--store", db).output
    again = run("load", str(folder), "--store", db)
    assert again.exit_code == 0 and "(no changes): unchanged, dataset 'tiny' is loaded with the same content" in again.output
    named = run("load", str(folder), "--store", db, "--name", "tiny-copy")
    assert named.exit_code == 0 and "as dataset 'tiny-copy' (no changes)" in named.output
    listed = json.loads(run("datasets", "--store", db, "--format", "json").output)
    assert [d["id"] for d in listed["datasets"]] == ["tiny", "tiny-copy"]
    shown = json.loads(run("show", "e1", "--store", db, "--format", "json").output)
    assert shown["sources"] == ["tiny", "tiny-copy"] and shown["name"] == "恒力集团"
    wrong = runner.invoke(app, ["unload", "tiny-cpy", "--store", db], env=ENV)
    assert wrong.exit_code == 1 and "did you mean 'tiny-copy'" in wrong.output
    gone = run("unload", "tiny-copy", "--store", db)
    # everything tiny-copy states, tiny states too: nothing goes
    assert gone.exit_code == 0 and "removed 0 nodes and 0 relationships; 13 nodes and 20 relationships" in gone.output
    assert run("stats", "--store", db, "--format", "json").output.count('"total_nodes": 13') == 1
