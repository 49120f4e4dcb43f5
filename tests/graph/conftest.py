"""Fixtures the graph tests share."""

from __future__ import annotations

import pytest

from benchmarks.generate import generate_dataset
from graph.store.sqlite import SqliteStore
from loaders import load_dataset


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory):
    """A seeded generated chain of 3,000 relationships: its 'supply' and 'all' projections are
    above accel.MIN_SIZE, so reports on them take the compiled path."""
    folder = generate_dataset(tmp_path_factory.mktemp("chain"), relationships=3_000, seed=7)
    store = SqliteStore(tmp_path_factory.mktemp("db") / "chainx.db", create=True)
    store.write(load_dataset(folder))
    yield store
    store.close()
