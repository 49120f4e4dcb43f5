"""The GDS section's figures (benchmarks/measure_gds.py), worked by hand: no server, no timing."""

from __future__ import annotations

import os

from benchmarks.core import span
from benchmarks.measure_gds import _figures, _jvm_cpu, _max_diff


def test_the_ratio_is_of_cpu_seconds_where_the_server_s_cpu_is_measurable():
    figures = _figures(span(wall=2.0, cpu=0.5), span(wall=4.0, cpu=1.0))
    assert (figures["speedup"], figures["ratio_of"]) == (2.0, "CPU s")  # chainx 1.0 CPU s ÷ GDS 0.5


def test_a_call_under_the_server_clock_s_resolution_is_compared_on_wall_seconds():
    figures = _figures(span(wall=0.25, cpu=0.02), span(wall=0.5, cpu=0.01))
    assert (figures["speedup"], figures["ratio_of"]) == (2.0, "wall s")
    external = _figures(span(wall=1.0, cpu=None), span(wall=3.0, cpu=1.0))
    assert (external["speedup"], external["ratio_of"]) == (3.0, "wall s")


def test_max_diff_is_over_the_same_nodes():
    assert _max_diff({"a": 0.5, "b": 0.25}, {"a": 0.5, "b": 0.5}) == 0.25
    assert _max_diff({"a": 1.0}, {"a": 1.0, "b": 0.0}) == float("inf")  # a node one side lacks
    assert _max_diff(None, {"a": 1.0}) is None and _max_diff({}, {}) == 0.0


def test_the_cpu_of_a_process_is_read_from_proc():
    mine = os.times()
    assert _jvm_cpu(os.getpid()) >= 0.0 and _jvm_cpu(None) is None
    assert abs(_jvm_cpu(os.getpid()) - (mine.user + mine.system)) < 1.0
