"""Chains as objects: a named set of stages with its FEEDS links, held in the store.

A chain is a ``Chain`` node (chains.csv, or saved by ``chainx chains save`` / ``POST /chains``)
defined one of two ways: by its member ``stages`` (a list of stage ids, each also an
``INCLUDES`` relationship Chain → Stage), or by its ``source`` and ``sink`` stages (the stages on
near-shortest FEEDS paths between them, :func:`graph.scope.between`, worked out when read, so a
chain so defined follows the store's links as they change). Either way the chain's stages are
read as top-level stages of the chain graph (:class:`graph.analysis.stages.StageChain`).

>>> import networkx as nx
>>> from graph.analysis.stages import StageChain
>>> from graph.model import Node
>>> whole = StageChain(nx.DiGraph([("oil", "pta"), ("pta", "fibre"), ("egg", "cake")]), {s: s for s in "oil pta fibre egg cake".split()})
>>> sorted(members(whole, Node("Chain", "c", "C", {"source": "oil", "sink": "fibre"})))
['fibre', 'oil', 'pta']
>>> sorted(members(whole, Node("Chain", "c", "C", {"stages": ["egg", "cake"]})))
['cake', 'egg']
"""

from __future__ import annotations

from .analysis.stages import StageChain
from .errors import InvalidParameter, NotFound
from .model import GraphData, Node, Relationship
from .names import resolve
from .store.base import GraphStore

__all__ = ["chain_node", "members", "definition", "chain_listing", "chain_detail", "save_chain"]


def chain_node(store: GraphStore, text: str, parameter: str = "chain") -> Node:
    """The chain ``text`` names (its id, name or alias; graph.names.resolve), else NotFound with
    the nearest chain names."""
    chain_id = resolve(store, text, ["Chain"], parameter=parameter, what="chain")
    return next(iter(store.nodes(["Chain"], ids=[chain_id])))


def definition(node: Node) -> str:
    """How a chain is defined, in one line: "stages" or "source → sink"."""
    if node.props.get("stages"):
        return "stages"
    return f"{node.props.get('source')} → {node.props.get('sink')}"


def members(whole: StageChain, node: Node) -> set[str]:
    """The top-level stages of ``whole`` the chain ``node`` holds (its stages rolled up into their
    top-level stages, or the stages between its source and sink)."""
    from .scope import between  # graph.scope reads chains through here

    stages = node.props.get("stages")
    if stages:
        return {whole.top[s] for s in stages if s in whole.top}
    source, sink = node.props.get("source"), node.props.get("sink")
    if source not in whole.top or sink not in whole.top:
        missing = source if source not in whole.top else sink
        raise NotFound(f"chain {node.id!r}: its stage {missing!r} is not in the store")
    return between(whole, whole.top[source], whole.top[sink])


def chain_listing(store: GraphStore, rollup: str = "auto") -> list[dict]:
    """Every chain of the store: id, name, how many top-level stages it holds, how it is defined."""
    from .analysis.stages import stage_chain

    whole = stage_chain(store, rollup)
    rows = []
    for node in sorted(store.nodes(["Chain"]), key=lambda n: n.id):
        rows.append({"id": node.id, "name": node.name, "stages": len(members(whole, node)), "defined_by": definition(node),
                     "description": node.props.get("description")})
    return rows


def chain_detail(store: GraphStore, text: str, rollup: str = "auto") -> dict:
    """One chain: its definition, its top-level stages (id, name) and the FEEDS links among them."""
    from .analysis.stages import stage_chain

    node = chain_node(store, text)
    whole = stage_chain(store, rollup)
    held = members(whole, node)
    graph = whole.graph.subgraph(held)
    return {
        "id": node.id, "name": node.name, "defined_by": definition(node), "description": node.props.get("description"),
        "source": node.props.get("source"), "sink": node.props.get("sink"), "member_stages": node.props.get("stages"),
        "stages": [{"id": s, "name": whole.name(s)} for s in sorted(held)],
        "links": [{"source": a, "target": b} for a, b in sorted(graph.edges())],
    }


def save_chain(store: GraphStore, chain_id: str, name: str, *, stages: list[str] | None = None, source: str | None = None,
               sink: str | None = None, region: str | None = None, scope_depth: int | None = None,
               description: str | None = None) -> Node:
    """Write a new chain to ``store``: by its member ``stages`` (ids or names), by ``source`` and
    ``sink`` (ids or names, kept as ids), or as the stages of a ``region`` scope
    (graph.scope.chain_in_scope: the region's stages and their FEEDS neighbourhood to
    ``scope_depth``), saved as member stages. An id the store already holds is refused."""
    chain_id, name = str(chain_id).strip(), str(name).strip()
    if region is not None:
        if stages or source is not None or sink is not None:
            raise InvalidParameter("region", "save a region's scope, or stages, or a source and sink: one of them")
        from .regions import region_descendants
        from .scope import chain_in_scope

        region_id = resolve(store, region, ["Region"], parameter="region", what="region")
        scoped, _ = chain_in_scope(store, regions=region_descendants(store, region_id), scope="region", depth=scope_depth)
        stages = sorted(scoped.graph)
        if not stages:
            raise NotFound(f"region {region_id!r}: its enterprises operate in no stage, so its scope is empty")
    if not chain_id:
        raise InvalidParameter("id", "give the chain an id")
    if not name:
        raise InvalidParameter("name", "give the chain a name")
    if next(iter(store.nodes(ids=[chain_id])), None) is not None:
        raise InvalidParameter("id", f"the store already holds a node with id {chain_id!r}; give the chain another id")
    if bool(stages) == (source is not None or sink is not None):
        raise InvalidParameter("stages", "give the chain's stages, or its source and sink, one or the other")
    props: dict = {}
    rels: list[Relationship] = []
    if stages:
        ids = list(dict.fromkeys(resolve(store, s, ["Stage"], parameter="stages", what="stage") for s in stages))
        props["stages"] = ids
        rels = [Relationship("INCLUDES", chain_id, s) for s in ids]
    else:
        if source is None or sink is None:
            raise InvalidParameter("to" if sink is None else "from", "give both ends of the chain, or neither")
        props["source"] = resolve(store, source, ["Stage"], parameter="from", what="stage")
        props["sink"] = resolve(store, sink, ["Stage"], parameter="to", what="stage")
        if props["source"] == props["sink"]:
            raise InvalidParameter("to", "the source and the sink are the same stage")
        from .analysis.stages import stage_chain

        whole = stage_chain(store, "auto")
        if not members(whole, Node("Chain", chain_id, name, props)):
            raise NotFound(f"no FEEDS path from {whole.name(whole.top[props['source']])} ({props['source']}) to "
                           f"{whole.name(whole.top[props['sink']])} ({props['sink']}): the chain between them is empty; nothing was saved")
    if description:
        props["description"] = str(description)
    node = Node("Chain", chain_id, name, props)
    store.write(GraphData(nodes=[node], relationships=rels))
    return node
