"""A load pauses the cyclic garbage collector and gives it back as it was, nested or not."""

from __future__ import annotations

import gc

import pytest

from graph.errors import DatasetError
from loaders.pipeline import gc_paused, load_path


def test_the_collector_is_paused_inside_and_resumed_after_the_outermost_block():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer load is still running
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_failed_load_resumes_the_collector(sqlite_store, tmp_path):
    (tmp_path / "stages.csv").write_text("id,name,tier\ns,S,nowhere\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="nowhere"):
        load_path(sqlite_store, tmp_path)
    assert gc.isenabled()
