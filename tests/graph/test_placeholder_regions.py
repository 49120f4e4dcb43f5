"""Placeholder regions (an importer's invented 中国) are left out of centrality on ``all``."""

from __future__ import annotations

import networkx as nx

from graph.analysis.centrality import centrality, centrality_values
from graph.fastproj import fast_projection, without_nodes
from graph.model import GraphData, Node, Relationship
from graph.projection import placeholder_regions, projection

# By construction: four firms all LOCATED_IN the placeholder cn, one real region wz with one of
# them; a supply e1 → e2 → e3. With cn in, cn has the highest degree (4 of 6 other nodes).
FIRMS = ["e1", "e2", "e3", "e4"]


def _data() -> GraphData:
    nodes = [Node("Region", "cn", "中国", {"placeholder": "yes"}), Node("Region", "wz", "吴江", {"parent": "cn"})]
    nodes += [Node("Enterprise", f, f"企业{f}") for f in FIRMS]
    rels = [Relationship("LOCATED_IN", f, "cn") for f in FIRMS]
    rels += [Relationship("LOCATED_IN", "e4", "wz"), Relationship("PART_OF", "wz", "cn"),
             Relationship("SUPPLIES", "e1", "e2"), Relationship("SUPPLIES", "e2", "e3")]
    return GraphData(nodes=nodes, relationships=rels)


def test_degree_on_all_leaves_the_placeholder_out(store):
    store.write(_data())
    assert placeholder_regions(store, "all") == ["cn"] and placeholder_regions(store, "supply") == []
    # the reference: NetworkX's own degree centrality of the all projection less cn
    whole = projection(store, "all")
    expected = nx.degree_centrality(whole.subgraph(n for n in whole if n != "cn"))
    values = centrality_values(store, "degree", "all", engine="chainx")
    assert "cn" not in values and values == expected
    report = centrality(store, "degree", "all", top=3, engine="chainx")
    assert report.rows[0].node != "cn" and "placeholder region(s) left out: cn" in report.note


def test_the_fast_projection_leaves_the_same_nodes_and_edges_out(store):
    store.write(_data())
    whole = projection(store, "all")
    fewer = without_nodes(fast_projection(store, "all"), {"cn"}).to_networkx()
    assert sorted(fewer) == sorted(n for n in whole if n != "cn")
    assert {frozenset(e) for e in fewer.edges} == {frozenset(e) for e in whole.edges if "cn" not in e}
    assert all(fewer.edges[e]["weight"] == whole.edges[e]["weight"] for e in fewer.edges)
