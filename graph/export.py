"""Whole-graph exports for other tools: GraphML (yEd, Cytoscape) and GEXF (Gephi)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from .model import GraphData

__all__ = ["to_networkx", "write_graph_file"]


def _flat(value):
    # GraphML and GEXF hold scalars only; lists (aliases, tags) become "a;b"
    if isinstance(value, list):
        return ";".join(map(str, value))
    return value


def to_networkx(data: GraphData) -> nx.MultiDiGraph:
    """Every node and relationship of ``data`` as a MultiDiGraph with flat attributes."""
    graph = nx.MultiDiGraph()
    for node in data.nodes:
        # "label" is what Gephi and yEd show on a node; "type" says which kind of node it is
        attrs = {k: _flat(v) for k, v in node.props.items() if v is not None}
        attrs.update(type=node.label, name=node.name, label=node.name)
        graph.add_node(node.id, **attrs)
    for rel in data.relationships:
        attrs = {k: _flat(v) for k, v in rel.props.items() if v is not None}
        attrs.update(type=rel.type, label=rel.type, rel_key=rel.key)
        graph.add_edge(rel.source, rel.target, key=f"{rel.type}:{rel.key}", **attrs)
    return graph


def write_graph_file(data: GraphData, path: str | Path, fmt: str) -> None:
    graph = to_networkx(data)
    if fmt == "graphml":
        nx.write_graphml(graph, path)
    elif fmt == "gexf":
        nx.write_gexf(graph, path)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
