"""FEEDS cycles in stats and in the load report: a planted cycle, found on both stores."""

from __future__ import annotations

import pytest

from graph.model import GraphData, Node, Relationship
from graph.store import reads
from loaders.pipeline import load
from loaders.read import RawDataset, Table

# By construction: a 3-cycle c1 → c2 → c3 → c1, a two-way pair p1 ⇄ p2, and a chain a → b → c1 that
# reaches the cycle without being on it.
STAGES = {"c1": "涤纶", "c2": "纺丝", "c3": "聚酯", "p1": "钢铁", "p2": "铁矿", "a": "原油", "b": "PTA"}
FEEDS = [("c1", "c2"), ("c2", "c3"), ("c3", "c1"), ("p1", "p2"), ("p2", "p1"), ("a", "b"), ("b", "c1")]


def _data() -> GraphData:
    return GraphData(nodes=[Node("Stage", s, name) for s, name in STAGES.items()],
                     relationships=[Relationship("FEEDS", a, b) for a, b in FEEDS])


def test_stats_lists_the_planted_cycles_largest_first(store):
    store.write(_data())
    cycles = reads.stats(store).cycles
    assert (cycles.count, cycles.stages) == (2, 5)
    assert [(c.size, c.stages, c.names) for c in cycles.largest] == [(3, ["c1", "c2", "c3"], ["涤纶", "纺丝", "聚酯"]),
                                                                    (2, ["p1", "p2"], ["钢铁", "铁矿"])]
    assert cycles.line().startswith("FEEDS cycles: 2 (5 stages on them; largest 3 stages: 涤纶, 纺丝, 聚酯; then 2)")


def test_no_cycle_says_none(store):
    store.write(GraphData(nodes=[Node("Stage", "x", "x"), Node("Stage", "y", "y")], relationships=[Relationship("FEEDS", "x", "y")]))
    assert reads.stats(store).to_dict()["cycles"] == {"count": 0, "stages": 0, "largest": []}
    assert reads.stats(store).cycles.line() == "FEEDS cycles: none"


def _raw(links: list[tuple[str, str]]) -> RawDataset:
    stages = Table("stages.csv", ["id", "name"], [(i + 2, [s, name]) for i, (s, name) in enumerate(STAGES.items())])
    feeds = Table("stage_links.csv", ["source", "target"], [(i + 2, [a, b]) for i, (a, b) in enumerate(links)])
    return RawDataset("planted", {"stages.csv": stages, "stage_links.csv": feeds})


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_load_reports_the_cycles_of_the_store_after_it(sqlite_store, dry_run):
    first = load(sqlite_store, _raw(FEEDS[3:]))  # the pair only
    assert [c.stages for c in first.cycles.largest] == [["p1", "p2"]]
    second = load(sqlite_store, _raw(FEEDS[:3]), dry_run=dry_run)  # the 3-cycle joins the pair
    assert [c.size for c in second.cycles.largest] == [3, 2]
    assert reads.stats(sqlite_store).cycles.count == (1 if dry_run else 2)


def test_bottlenecks_and_whatif_say_which_cycles_they_counted_as_one_link(sqlite_store, tmp_path):
    from typer.testing import CliRunner

    from chainx.cli import app
    from graph.analysis.bottlenecks import bottlenecks, whatif

    data = _data()
    data.nodes.append(Node("Enterprise", "mill", "纺丝厂"))
    data.relationships.append(Relationship("OPERATES_IN", "mill", "c2"))
    sqlite_store.write(data)
    for report in (bottlenecks(sqlite_store), whatif(sqlite_store, ["a"])):
        assert (report.cycles.count, report.cycles.stages) == (2, 5)
        assert [(c.stages, c.local_enterprises) for c in report.cycles.largest] == [(["c1", "c2", "c3"], 1), (["p1", "p2"], 0)]
    runner = CliRunner()
    for args in (["bottlenecks"], ["whatif", "--remove", "a"]):
        done = runner.invoke(app, [*args, "--store", str(sqlite_store.path)])
        assert done.exit_code == 0, done.output
        assert "FEEDS cycles: 2 in scope (5 stages; largest 3: 涤纶, 纺丝, 聚酯); a cycle counts as one link." in done.output.splitlines()
