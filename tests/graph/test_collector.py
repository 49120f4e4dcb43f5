"""A load and a bottlenecks report pause the cyclic garbage collector and give it back as it was,
nested or not, failed or not."""

from __future__ import annotations

import gc

import pytest

from graph.analysis import bottlenecks as bottlenecks_module
from graph.cache import clear_all
from graph.collector import gc_paused
from graph.errors import DatasetError, InvalidParameter
from loaders.pipeline import load_path

from .small_graphs import E, R, S, rel, write


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


def test_a_bottlenecks_report_and_a_whatif_run_paused_and_resume_it(sqlite_store, monkeypatch):
    write(sqlite_store, [S("yarn"), S("cloth"), E("mill"), E("weaver")],
          [rel("FEEDS", "yarn", "cloth"), rel("OPERATES_IN", "mill", "yarn"), rel("OPERATES_IN", "weaver", "cloth"),
           rel("SUPPLIES", "mill", "weaver", "yarn")])
    seen = []
    read_world = bottlenecks_module._read_world
    monkeypatch.setattr(bottlenecks_module, "_read_world", lambda *a: seen.append(gc.isenabled()) or read_world(*a))
    clear_all("supply world")
    bottlenecks_module.bottlenecks(sqlite_store)
    clear_all("supply world")
    assert bottlenecks_module.whatif(sqlite_store, ["mill"]).enterprises_total == 1
    assert seen == [False, False]
    assert gc.isenabled()
    with pytest.raises(InvalidParameter):
        bottlenecks_module.bottlenecks(sqlite_store, hhi_threshold=2.0)
    assert gc.isenabled()


def test_a_gaps_report_runs_paused_and_resumes_it(sqlite_store, monkeypatch):
    from graph.analysis import gaps as gaps_module

    write(sqlite_store, [R("here"), S("yarn"), S("cloth"), E("mill", region="here")],
          [rel("FEEDS", "yarn", "cloth"), rel("OPERATES_IN", "mill", "yarn")])
    seen = []
    chain_in_scope = gaps_module.chain_in_scope
    monkeypatch.setattr(gaps_module, "chain_in_scope", lambda *a, **k: seen.append(gc.isenabled()) or chain_in_scope(*a, **k))
    # cloth has no firm here, yarn one, below the default min_firms of 2
    assert sorted(gap.stage for gap in gaps_module.gaps(sqlite_store, "here").gaps) == ["cloth", "yarn"]
    assert seen == [False] and gc.isenabled()
    with pytest.raises(InvalidParameter):
        gaps_module.gaps(sqlite_store, "here", min_firms=0)
    assert gc.isenabled()


def test_a_pause_kept_going_by_overlapping_ones_still_collects_now_and_then(monkeypatch):
    import weakref

    from graph import collector

    now = [1000.0]
    monkeypatch.setattr(collector, "_clock", lambda: now[0])

    class Cycle:
        pass

    def garbage():
        a, b = Cycle(), Cycle()
        a.other, b.other = b, a
        return weakref.ref(a)

    with gc_paused():  # a long request: others begin and end while it runs
        with gc_paused():
            young = garbage()
        assert young() is not None  # ended before the longest pause: nothing collected
        now[0] += collector.LONGEST_PAUSE_SECONDS
        with gc_paused():
            old = garbage()
        assert old() is None and young() is None  # collected as that one ended
        assert not gc.isenabled()  # still paused for the long one
        with gc_paused():
            later = garbage()
        assert later() is not None  # the clock starts again from that collection
    assert gc.isenabled()
