"""Measurement: a report's graph as of a day (graph.store.asof) against building that day's snapshot by hand
(read everything, keep what held, write it to a store of its own, project that)."""

from __future__ import annotations

from benchmarks.core import Run, measurement, ratio, row, timed

DAY = "2024-06-30"


@measurement("as-of", needs=("load_embedded",))
def _as_of(run: Run) -> list[dict]:
    from graph.model import GraphData
    from graph.projection import build_projection
    from graph.store.asof import as_of, holds
    from graph.store.sqlite import SqliteStore

    with timed() as plain_t:
        plain = build_projection(run.store, "supply")
    with timed() as view_t:
        viewed = build_projection(as_of(run.store, DAY), "supply")
    with timed() as hand_t:
        nodes = [n for n in run.store.nodes() if holds(n.props, DAY)]
        alive = {n.id for n in nodes}
        rels = [r for r in run.store.relationships() if holds(r.props, DAY) and r.source in alive and r.target in alive]
        with SqliteStore(":memory:", create=True) as day_store:
            day_store.write(GraphData(nodes=nodes, relationships=rels))
            by_hand = build_projection(day_store, "supply")
    assert viewed.number_of_edges() == by_hand.number_of_edges()
    return [row(f"supply projection as of {DAY} ({viewed.number_of_edges():,} edges)", view_t,
                by_hand_wall_s=round(hand_t.wall, 4), without_as_of_wall_s=round(plain_t.wall, 4),
                speedup=ratio(hand_t.wall, view_t.wall),
                note=f"as_of view vs a snapshot store built by hand; {plain.number_of_edges():,} edges without as_of")]
