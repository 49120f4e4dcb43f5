"""Shared fixtures. Stores are parametrised: every test taking ``store_kind`` runs on the embedded
SQLite store and on a real Bolt server (see tests/bolt.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXTILE = ROOT / "data" / "textile"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def textile_path() -> Path:
    return TEXTILE


@pytest.fixture
def sqlite_store(tmp_path):
    from graph.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "chainx.db", create=True)
    yield store
    store.close()
