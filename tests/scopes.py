"""Reference scopes worked out with NetworkX, for the tests of graph.scope to compare against."""

from __future__ import annotations

import networkx as nx


def region_scope(store, whole, seeds, depth) -> set[str]:
    """The top-level stages of the region scope around ``seeds``, by NetworkX: the walk starts
    from each seed stage and the stages of its top-level stage PART_OF it (however deep, through
    such stages; a top-level seed: all its members), and goes up to ``depth`` FEEDS links up or
    down (never both) over the stages' own links; a link between two top-level stages only where
    the whole chain keeps it (pairs broken); the stages reached, rolled up."""
    top = whole.top
    feeds = nx.DiGraph()
    feeds.add_nodes_from(top)
    feeds.add_edges_from((r.source, r.target) for r in store.relationships(["FEEDS"])
                         if r.source in top and r.target in top and r.source != r.target
                         and (top[r.source] == top[r.target] or whole.graph.has_edge(top[r.source], top[r.target])))
    part_of = nx.DiGraph((r.source, r.target) for r in store.relationships(["PART_OF"]) if r.source in top and r.target in top)
    starts = set()
    for seed in set(seeds) & set(top):
        members = whole.members[top[seed]]
        inside = part_of.subgraph(members)
        below = nx.ancestors(inside, seed) if seed in inside else set()  # PART_OF runs child → parent
        starts |= set(members) if seed == top[seed] else {seed} | below
    reached = set(starts)
    for start in starts:
        reached |= set(nx.single_source_shortest_path_length(feeds, start, cutoff=depth))
        reached |= set(nx.single_source_shortest_path_length(feeds.reverse(copy=False), start, cutoff=depth))
    return {top[s] for s in reached}
