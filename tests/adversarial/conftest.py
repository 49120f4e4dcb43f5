"""The adversarial suite: fixtures shared by its parts. Each part records what it measured
through the ``figures`` fixture (tests/adversarial/figures.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graph.store import reads
from graph.store.neo4j import clear_database
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.conftest import TEXTILE

from .figures import FIGURES

CHAINX = [sys.executable, "-m", "chainx"]


@pytest.fixture(scope="session")
def figures() -> dict[str, dict]:
    return FIGURES


# -- stores holding the textile chain -----------------------------------------------------------
@pytest.fixture(scope="session")
def textile_template(tmp_path_factory) -> Path:
    """An embedded store of data/textile, to be copied (never opened for writing itself)."""
    path = tmp_path_factory.mktemp("adversarial-textile") / "chainx.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, TEXTILE)
    return path


@pytest.fixture
def textile_db(textile_template, tmp_path) -> Path:
    """This test's own copy of the textile store."""
    path = tmp_path / "chainx.db"
    shutil.copyfile(textile_template, path)
    return path


@pytest.fixture(scope="module")
def bolt_textile(bolt_server):
    """The Bolt server's database holding data/textile, for one module's tests."""
    if not bolt_server.running:
        bolt_server.start()
    store = bolt_server.store()
    clear_database(store)
    load_path(store, TEXTILE)
    yield store
    store.close()


def run_chainx(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """``chainx ARGS`` in a subprocess, as a user runs it (no CHAINX_DEBUG: never a traceback)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CHAINX_DEBUG", "CHAINX_STORE")}
    environment.update(env or {})
    return subprocess.run([*CHAINX, *args], capture_output=True, text=True, env=environment, cwd=cwd, timeout=timeout)


def fingerprint(store) -> tuple:
    """What a store holds, compared whole: every node and relationship with its properties."""
    data = reads.snapshot(store)
    return (
        tuple((n.label, n.id, n.name, json.dumps(n.props, sort_keys=True, ensure_ascii=False)) for n in data.nodes),
        tuple((r.type, r.source, r.target, r.key, json.dumps(r.props, sort_keys=True, ensure_ascii=False)) for r in data.relationships),
    )
