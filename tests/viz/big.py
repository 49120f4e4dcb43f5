"""Synthetic graphs past the views' node limit (2,000)."""

from __future__ import annotations

import random

from graph.model import GraphData, Node, Relationship


def supply_chain(stages: int = 30, firms: int = 3000, seed: int = 1) -> GraphData:
    """A line of ``stages`` stages; ``firms`` enterprises over three regions, each in one stage and
    supplying two random firms of the next stage."""
    rng = random.Random(seed)
    nodes = [Node("Region", f"r{i}", f"地区{i}") for i in range(3)]
    rels = []
    for i in range(stages):
        nodes.append(Node("Stage", f"s{i:02d}", f"环节{i}", {"tier": "midstream"}))
        if i:
            rels.append(Relationship("FEEDS", f"s{i - 1:02d}", f"s{i:02d}"))
    by_stage: dict[int, list[str]] = {i: [] for i in range(stages)}
    for j in range(firms):
        firm, region = f"e{j:05d}", f"r{j % 3}"
        nodes.append(Node("Enterprise", firm, f"企业{j}", {"region": region}))
        rels += [Relationship("LOCATED_IN", firm, region), Relationship("OPERATES_IN", firm, f"s{j % stages:02d}")]
        by_stage[j % stages].append(firm)
    for j in range(firms):
        stage = j % stages
        if stage + 1 < stages:
            for customer in rng.sample(by_stage[stage + 1], 2):
                rels.append(Relationship("SUPPLIES", f"e{j:05d}", customer, f"s{stage:02d}", {"stage": f"s{stage:02d}"}))
    return GraphData(nodes, rels)


def star(leaves: int) -> GraphData:
    """One enterprise supplying ``leaves`` others."""
    nodes = [Node("Enterprise", "hub", "中心企业")] + [Node("Enterprise", f"l{i:05d}", f"客户{i}") for i in range(leaves)]
    return GraphData(nodes, [Relationship("SUPPLIES", "hub", f"l{i:05d}") for i in range(leaves)])
