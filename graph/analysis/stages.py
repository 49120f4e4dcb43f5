"""The chain at the level staff compare: top-level stages, with sub-stages rolled up into them.

Sub-stages (Stage PART_OF Stage, e.g. 喷水织造 water-jet weaving PART_OF 织造 weaving) belong to
their top-level stage: a firm in a sub-stage counts for its top-level stage, and a FEEDS link from
or to a sub-stage becomes a link from or to its top-level stage. The gaps and bottlenecks
analyses both work on this rolled-up chain, so their stage lists agree.

>>> from graph.model import GraphData, Node, Relationship
>>> from graph.store.sqlite import SqliteStore
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(
...     nodes=[Node("Stage", "spin", "spinning"), Node("Stage", "weave", "weaving"),
...            Node("Stage", "jet", "water-jet weaving", {"parent": "weave"})],
...     relationships=[Relationship("PART_OF", "jet", "weave"), Relationship("FEEDS", "spin", "jet")]))
>>> chain = stage_chain(store)
>>> chain.stages, list(chain.graph.edges), chain.top["jet"]
(['spin', 'weave'], [('spin', 'weave')], 'weave')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from graph.projection import projection
from graph.store.base import GraphStore

__all__ = ["StageChain", "stage_chain", "chain_order"]

_TIER_RANK = {"upstream": 0, "midstream": 1, "downstream": 2, "support": 3}


@dataclass
class StageChain:
    """Top-level stages and the FEEDS graph between them."""

    graph: nx.DiGraph  # nodes: top-level stage ids (with name, tier); edges: rolled-up FEEDS
    top: dict[str, str]  # every stage id → its top-level stage id
    members: dict[str, list[str]] = field(default_factory=dict)  # top-level id → its stage ids
    parent: dict[str, str] = field(default_factory=dict)  # sub-stage id → the stage it is PART_OF

    @property
    def stages(self) -> list[str]:
        return sorted(self.graph)

    def name(self, stage: str) -> str:
        return self.graph.nodes[stage].get("name", stage)

    def tier(self, stage: str) -> str | None:
        return self.graph.nodes[stage].get("tier")

    def below(self, stage: str) -> set[str]:
        """``stage`` and every stage PART_OF it, however deep."""
        children: dict[str, list[str]] = {}
        for child, parent in self.parent.items():
            children.setdefault(parent, []).append(child)
        found, stack = {stage}, [stage]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found


def stage_chain(store: GraphStore) -> StageChain:
    """The rolled-up chain of ``store``: top-level stages and FEEDS between them.

    A stage is top-level when it is PART_OF no other stage. FEEDS links inside one top-level
    stage (between its sub-stages) disappear; the rest join the top-level stages of their ends.
    """
    chain = projection(store, "chain")
    parent: dict[str, str] = {}
    for rel in store.relationships(["PART_OF"]):
        if rel.source in chain and rel.target in chain:
            parent[rel.source] = rel.target
    top: dict[str, str] = {}
    for stage in chain:
        # The loader refuses PART_OF cycles; data written directly might still hold one, so a
        # walk that comes back to a stage makes the cycle's smallest id its top.
        path, current = [stage], stage
        while current in parent:
            current = parent[current]
            if current in path:
                current = min(path[path.index(current):])
                break
            path.append(current)
        top[stage] = current
    graph = nx.DiGraph()
    members: dict[str, list[str]] = {}
    for stage in sorted(chain):
        if top[stage] == stage:
            attrs = chain.nodes[stage]
            graph.add_node(stage, name=attrs.get("name", stage), tier=attrs.get("tier"))
    for stage in sorted(chain):
        members.setdefault(top[stage], []).append(stage)
    for source, target in chain.edges:
        a, b = top[source], top[target]
        if a != b:
            graph.add_edge(a, b)
    return StageChain(graph=graph, top=top, members=members, parent=parent)


def chain_order(chain: StageChain) -> list[str]:
    """Top-level stages from upstream to downstream: by tier (upstream, midstream, downstream,
    support), then by how many FEEDS steps lie above them (cycles count as one step), then id."""
    condensed = nx.condensation(chain.graph)
    level: dict[int, int] = {}
    for component in nx.topological_sort(condensed):
        level[component] = max((level[p] + 1 for p in condensed.predecessors(component)), default=0)
    mapping = condensed.graph["mapping"]
    return sorted(chain.graph, key=lambda s: (_TIER_RANK.get(chain.tier(s) or "midstream", 1), level[mapping[s]], s))
