"""What every measurement of :mod:`benchmarks.run` shares: the run's state, the registry, timing.

A measurement is ``def f(run: Run) -> list[dict]`` decorated with ``@measurement("name")``; each
returned row is ``{"name", "wall_s", "cpu_s", ...}`` (see :func:`row`) with optional
``cached_cpu_s`` (the same again, caches warm), ``networkx_cpu_s`` or ``baseline_cpu_s`` (with
``baseline``: what it is), ``library_cpu_s``, ``speedup`` (baseline ÷ chainx), ``over_library``
(chainx ÷ library), ``rows_per_s`` / ``rows_per_cpu_s``, ``p50_ms`` / ``p99_ms``,
``peak_rss_mb``, ``max_abs_diff``, ``target`` and ``note``. Measurements run in the order they are registered, each after the ones above it;
``needs`` names the measurements whose state it reads (``run.dataset``, ``run.store``, ``run.extra``), so that
``benchmarks.run --only`` runs them first.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Run", "MEASUREMENTS", "NEEDS", "measurement", "with_needs", "Timer", "timed", "span", "ratio", "row", "peak_rss_mb", "SEED", "BETWEENNESS_K", "GRAPHS"]

GRAPHS = ("supply", "all")  # the directed supply network and the undirected everything-graph
BETWEENNESS_K = 256
SEED = 1


@dataclass
class Run:
    """What the measurements of one size share."""

    size: int
    seed: int
    workdir: Path
    budget: float
    # relationships above which GDS's exact betweenness is compared on a chain of this size instead
    # (measure_gds; benchmarks.run --gds-exact)
    gds_exact: int = 10_000
    dataset: Path | None = None
    store: object | None = None
    extra: dict = field(default_factory=dict)
    # servers started for this size (tests.bolt.BoltServer): each section is charged their CPU meanwhile
    servers: list = field(default_factory=list)

    @property
    def tiny(self) -> bool:
        """The run of tests/test_bench_quick.py (``--tiny``): each section takes its smallest
        samples, enough for every figure to be there, not for the figures to mean much."""
        from benchmarks.generate import SIZES

        return self.size < SIZES["quick"]


MEASUREMENTS: dict[str, Callable[[Run], list[dict]]] = {}
NEEDS: dict[str, tuple[str, ...]] = {}


def measurement(name: str, needs: tuple[str, ...] = ()):
    """Register a named measurement; they run in the order registered. ``needs``: the measurements
    that must have run before it (what it reads from the run's state)."""

    def register(func):
        MEASUREMENTS[name] = func
        NEEDS[name] = tuple(needs)
        return func

    return register


def with_needs(names) -> list[str]:
    """``names`` and every measurement they need, transitively, in the run's order."""
    wanted: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(NEEDS[name])
    return [name for name in MEASUREMENTS if name in wanted]


class Timer:
    wall: float = 0.0
    cpu: float = 0.0


def _cpu() -> float:
    # this process and its children waited for: the shortest-path centralities run in forked processes
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


@contextmanager
def timed():
    t = Timer()
    wall, cpu = time.perf_counter(), _cpu()
    try:
        yield t
    finally:
        t.wall, t.cpu = time.perf_counter() - wall, _cpu() - cpu


def span(wall: float = 0.0, cpu: float = 0.0) -> Timer:
    """A Timer for a time measured some other way (or none, for a row that only has figures)."""
    t = Timer()
    t.wall, t.cpu = wall, cpu
    return t


def ratio(a: float | None, b: float | None) -> float | None:
    """a ÷ b, rounded; None when either is missing or b is 0."""
    return round(a / b, 2) if a is not None and b else None


def row(name: str, t: Timer, **figures) -> dict:
    return {"name": name, "wall_s": round(t.wall, 4), "cpu_s": round(t.cpu, 4), **figures}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
