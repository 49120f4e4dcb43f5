"""Paths and neighbourhoods: how two things are connected, and what lies around one.

:func:`explained_path` finds a shortest path (between two stages along FEEDS, the chain; otherwise
on the undirected ``all`` projection, every node and relationship) and spells each step out with the real relationship's type and direction, so
"恒力集团 —COLLABORATES_WITH→ 东华大学 ←COLLABORATES_WITH— 盛虹集团" reads as: both firms
collaborate with Donghua University.

:func:`neighbors` asks the store for a node's neighbourhood (a query per ring, not the whole
graph) and lists what it finds by distance.

>>> from graph.model import GraphData, Node, Relationship
>>> from graph.store.sqlite import SqliteStore
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(
...     nodes=[Node("Enterprise", "hengli", "恒力集团"), Node("Enterprise", "shenghong", "盛虹集团"),
...            Node("Institute", "dhu", "东华大学")],
...     relationships=[Relationship("COLLABORATES_WITH", "hengli", "dhu"),
...                    Relationship("COLLABORATES_WITH", "shenghong", "dhu")]))
>>> explained_path(store, "hengli", "shenghong").text
'恒力集团 —COLLABORATES_WITH→ 东华大学 ←COLLABORATES_WITH— 盛虹集团'
>>> [n.id for n in neighbors(store, "dhu").nodes]
['hengli', 'shenghong']
"""

from __future__ import annotations

import networkx as nx

from graph.errors import InvalidParameter, NotFound
from graph.model import Relationship, check_label
from graph.names import resolve
from graph.neighbourhood import MAX_DEPTH, check_depth, rings
from graph.params import NEIGHBOR_LIMIT, PATH_VIA, VIA
from graph.projection import projection, projection_spec
from graph.reports import NeighborNode, Neighbors, NodeRef, PathOut, PathStep, RelationshipRef
from graph.store.base import GraphStore
from graph.store.queries import queries
from graph.store.reads import get_node

__all__ = ["explained_path", "neighbors", "MAX_DEPTH", "MAX_NEIGHBORS"]

MAX_NEIGHBORS = int(NEIGHBOR_LIMIT.maximum)


def _node_info(store: GraphStore, node_id: str) -> dict:
    node = get_node(store, node_id)
    return {"id": node.id, "name": node.name, "kind": node.label}


def _smallest_shortest_path(G: nx.Graph, source: str, target: str) -> list[str] | None:
    """The shortest path from source to target whose id sequence sorts first, or None.

    Distances to ``target`` by one breadth-first search; then from ``source`` always step to the
    smallest id that is one hop closer. Every such walk is a shortest path, and picking the
    smallest id at each step gives the lexicographically smallest one.
    """
    # distances to target: along the edges' direction on a directed graph, so searched backwards
    distance = nx.single_source_shortest_path_length(G.reverse(copy=False) if G.is_directed() else G, target)
    if source not in distance:
        return None
    path = [source]
    while path[-1] != target:
        here = distance[path[-1]]
        path.append(min(n for n in G.adj[path[-1]] if distance.get(n) == here - 1))
    return path


def _chain_path(store: GraphStore, source: str, target: str, *, upstream: bool = False, directed: bool = True) -> list[str] | None:
    """:func:`_smallest_shortest_path` on the ``chain`` projection (reversed when ``upstream``;
    either way along FEEDS unless ``directed``), searched through store queries: one FEEDS query
    per ring, from both ends at once, so a path between two products of a national web reads the
    rings around its ends, not the whole chain. The same path: the smallest id sequence among the
    shortest ones. Both ends must be stages.

    The two searches grow whole rings, the smaller frontier first, until some stage is reached
    by both: the shortest length is then d = ks + kt (the rings grown on each side), and every
    shortest path crosses ring ks of the forward search at a stage ring kt of the backward
    search reached. The stages on shortest paths are worked out from that cut, back to the
    source along the edges the forward search read, on to the target along the backward ones;
    then the walk from the source steps to the smallest such stage each time, as
    :func:`_smallest_shortest_path` does.
    """
    if source == target:
        return [source]
    search = queries(store)
    stages: dict[str, bool] = {source: True, target: True}

    def only_stages(ids: set[str]) -> set[str]:
        unknown = [i for i in ids if i not in stages]
        if unknown:
            found = {n.id for n in store.nodes(["Stage"], ids=unknown)}
            stages.update((i, i in found) for i in unknown)
        return {i for i in ids if stages[i]}

    def adjacent(frontier: set[str], outward: bool) -> dict[str, set[str]]:
        # walk-successors (outward) or walk-predecessors of each frontier stage
        found: dict[str, set[str]] = {}
        for _, a, b, _ in search.incident_keys(frontier, ["FEEDS"]):
            if upstream:
                a, b = b, a
            pairs = ((a, b), (b, a)) if not directed else (((a, b),) if outward else ((b, a),))
            for u, v in pairs:
                if u in frontier:
                    found.setdefault(u, set()).add(v)
        return found

    ds, dt = {source: 0}, {target: 0}
    ahead, behind = {source}, {target}
    out_adj: dict[str, set[str]] = {}  # forward-expanded stage → its walk successors
    in_adj: dict[str, set[str]] = {}  # backward-expanded stage → its walk predecessors
    ks = kt = 0
    while not (ds.keys() & dt.keys()):
        if not ahead or not behind:
            return None
        forward = len(ahead) <= len(behind)
        frontier, seen, adj_of = (ahead, ds, out_adj) if forward else (behind, dt, in_adj)
        adj = adjacent(frontier, forward)
        adj_of.update(adj)
        new = only_stages({v for vs in adj.values() for v in vs if v not in seen})
        ring = (ks if forward else kt) + 1
        seen.update(dict.fromkeys(new, ring))
        if forward:
            ahead, ks = new, ring
        else:
            behind, kt = new, ring
    d = ks + kt
    layers: list[set[str]] = [set() for _ in range(d + 1)]
    layers[ks] = {v for v, i in ds.items() if i == ks and dt.get(v) == kt}
    by_ring: dict[int, list[str]] = {}
    for v, i in ds.items():
        by_ring.setdefault(i, []).append(v)
    for i in range(ks - 1, -1, -1):
        layers[i] = {u for u in by_ring.get(i, ()) if out_adj.get(u, set()) & layers[i + 1]}
    by_ring = {}
    for v, i in dt.items():
        by_ring.setdefault(i, []).append(v)
    for i in range(ks, d):
        layers[i + 1] = {w for w in by_ring.get(d - i - 1, ()) if in_adj.get(w, set()) & layers[i]}
    path = [source]
    for i in range(d):
        here = path[-1]
        if i < ks:
            options = out_adj[here] & layers[i + 1]
        else:
            options = {w for w in layers[i + 1] if here in in_adj[w]}
        path.append(min(options))
    return path


def _step(rels: list[Relationship], a: str, b: str) -> PathStep:
    # Several relationships may join a and b (a supplies b and b supplies a; two ties of
    # different kinds). One is shown: the one pointing along the path if any, then by type.
    between = [r for r in rels if {r.source, r.target} == {a, b}]
    chosen = min(between, key=lambda r: (r.source != a, r.type, r.key))
    return PathStep.model_construct(source=chosen.source, type=chosen.type, target=chosen.target, forward=chosen.source == a)


def _without_regions(G, source: str, target: str, through_regions: bool):
    """``G`` without its Region nodes (but the path's own ends), unless ``through_regions``."""
    if through_regions:
        return G
    ends = {source, target}
    return nx.subgraph_view(G, filter_node=lambda n: n in ends or G.nodes[n].get("kind") != "Region")


def explained_path(store: GraphStore, source: str, target: str, *, via: str = "auto", directed: bool = False,
                   through_regions: bool = False) -> PathOut:
    """A shortest path between two nodes, each step with its real relationship and direction.

    Between two stages joined by FEEDS the path follows the chain (``via="auto"``): downstream
    when the first feeds, through others, into the second, else upstream. Otherwise it is
    searched on the undirected ``all`` projection: any relationship, followed either way, is one
    step. ``via`` chooses the walk instead. When several shortest paths exist, the one whose node ids sort first
    (compared node by node from ``source``) is returned, so the answer never depends on the
    store. Between two nodes joined by several relationships the step shows one: one pointing
    along the path when there is such, then the first by type.

    Parameters
    ----------
    store : GraphStore
    source, target : str
        Node ids of any kind, or exact names or aliases (:func:`graph.names.resolve`).
    via : str
        The projection walked: ``auto`` (above), ``all`` (every relationship), ``supply``,
        ``chain`` or ``ties``; the report's ``via`` and ``directed`` say what was walked.
    directed : bool
        Follow SUPPLIES or FEEDS only the way they point (``via`` supply or chain).
    through_regions : bool
        Allow Region nodes inside the path. By default a path never passes through a region:
        two firms LOCATED_IN one (placeholder) country are not connected in any useful sense.

    Returns
    -------
    PathOut
        ``from`` (``from_`` in Python), ``to``, ``via``, ``directed``, ``length``, ``nodes`` (id, name, kind), ``steps``
        (source, type, target, forward), ``text``. ``length`` counts relationships; ``forward``
        tells whether the relationship points from the path's earlier node to its later one.

    Raises
    ------
    NotFound
        An id names no node, or no path joins the two nodes (they lie in separate parts of the
        graph): "no path" is reported as a path that is not found, with a message saying which.

    Examples
    --------
    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Stage", "spin", "纺丝"), Node("Stage", "weave", "织造"), Node("Enterprise", "e", "E")],
    ...     relationships=[Relationship("FEEDS", "spin", "weave"), Relationship("OPERATES_IN", "e", "weave")]))
    >>> path = explained_path(store, "spin", "e")
    >>> path.length, path.text
    (2, '纺丝 —FEEDS→ 织造 ←OPERATES_IN— E')
    """
    PATH_VIA.check(via)
    source, target = resolve(store, source, parameter="from"), resolve(store, target, parameter="to")
    start, end = _node_info(store, source), _node_info(store, target)
    ids = None
    both_stages = start["kind"] == end["kind"] == "Stage"
    if via == "auto":
        # between two stages the chain is what joins them: FEEDS downstream, else upstream (not
        # when the walk is to follow the arrows); every relationship would run through generic
        # inputs (能源, 化学品) or firms, and that is a path that means nothing
        via = "all"
        if both_stages:
            for walk_up in (False,) if directed else (False, True):
                ids = _chain_path(store, source, target, upstream=walk_up)
                if ids is not None:
                    via, directed = "chain", True
                    break
    elif via == "chain" and both_stages:
        # the chain between two stages: searched by store queries, ring by ring from both ends
        ids = _chain_path(store, source, target, directed=directed)
        if ids is None:
            raise NotFound(f"no path between {start['name']} ({source}) and {end['name']} ({target}): they are not connected")
    if ids is not None:
        return _explained(store, ids, {source: start, target: end}, ["FEEDS"], source, target, via, directed)
    G = projection(store, via)
    if directed and not G.is_directed():
        raise InvalidParameter("directed", f"relationships have a direction on via=supply or via=chain, not via={via}")
    if not directed and G.is_directed():
        G = G.to_undirected(as_view=True)
    for end_id, info, parameter in ((source, start, "from"), (target, end, "to")):
        if end_id not in G:
            raise InvalidParameter(parameter, f"{info['name']} ({end_id}) is a {info['kind']}: via={via} walks {', '.join(projection_spec(via)[0])} only")
    G = _without_regions(G, source, target, through_regions)
    ids = _smallest_shortest_path(G, source, target)
    if ids is None:
        raise NotFound(f"no path between {start['name']} ({source}) and {end['name']} ({target}): they are not connected")
    infos = {start["id"]: start, end["id"]: end}
    for node in ids:
        if node not in infos:
            attrs = G.nodes[node]
            infos[node] = {"id": node, "name": attrs.get("name", node), "kind": attrs.get("kind")}
    types = sorted({t for a, b in zip(ids, ids[1:]) for t in G.edges[a, b].get("types", ())})
    return _explained(store, ids, infos, types, source, target, via, directed)


def _explained(store: GraphStore, ids: list[str], infos: dict[str, dict], types: list[str], source: str, target: str,
               via: str, directed: bool) -> PathOut:
    """The path ``ids`` spelt out, each step with its relationship (of ``types``) and direction."""
    missing = [n for n in ids if n not in infos]
    for node in store.nodes(ids=missing) if missing else ():
        infos[node.id] = {"id": node.id, "name": node.name, "kind": node.label}
    rels = store.incident(ids[:-1], types) if len(ids) > 1 else []
    steps = [_step(rels, a, b) for a, b in zip(ids, ids[1:])]
    text = infos[ids[0]]["name"]
    for step, node in zip(steps, ids[1:]):
        arrow = f" —{step.type}→ " if step.forward else f" ←{step.type}— "
        text += arrow + infos[node]["name"]
    return PathOut.model_construct(
        from_=source, to=target, via=via, directed=directed, length=len(steps), nodes=[NodeRef.model_construct(**infos[node]) for node in ids], steps=steps, text=text,
    )


def neighbors(store: GraphStore, node_id: str, *, depth: int = 1, kind: str | None = None, limit: int = 1000, via: str = "all") -> Neighbors:
    """The nodes within ``depth`` relationships of ``node_id`` (either direction), nearest first.

    Parameters
    ----------
    store : GraphStore
    node_id : str
        A node id, or an exact name or alias.
    depth : int
        1 to :data:`MAX_DEPTH` relationships away.
    kind : str, optional
        List only nodes of this label; the relationships listed are those between the listed
        nodes and the centre node.
    limit : int
        At most this many nodes (1 to :data:`MAX_NEIGHBORS`), nearest first, then by kind and id;
        ``total`` says how many there were.
    via : str
        Walk only the relationships of this projection (``supply``, ``chain``, ``ties``), or all.

    Returns
    -------
    Neighbors
        ``node`` (id, name, kind), ``depth``, ``kind``, ``total``, ``truncated``, ``nodes`` (id,
        name, kind, distance), ``relationships`` (source, type, target, key); the centre node is
        not in ``nodes``.

    Examples
    --------
    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B"), Node("Stage", "s", "S")],
    ...     relationships=[Relationship("SUPPLIES", "a", "b"), Relationship("OPERATES_IN", "b", "s")]))
    >>> [(n.id, n.distance) for n in neighbors(store, "a", depth=2).nodes]
    [('b', 1), ('s', 2)]
    >>> [n.id for n in neighbors(store, "a", depth=2, kind="Stage").nodes]
    ['s']
    """
    check_depth(depth)
    NEIGHBOR_LIMIT.check(limit)
    if kind is not None:
        check_label(kind)
    VIA.check(via)
    node_id = resolve(store, node_id, parameter="node")
    found_rings = rings(store, node_id, depth, None if via == "all" else projection_spec(via)[1])
    distance = found_rings.distance
    by_id = {node.id: node for node in store.nodes(ids=distance)}
    centre = by_id[node_id]
    found = sorted(
        (node for node in by_id.values() if node.id != node_id and (kind is None or node.label == kind)),
        key=lambda n: (distance[n.id], n.label, n.id),
    )
    shown = found[:limit]
    keep = {n.id for n in shown} | {node_id}
    relationships = [
        RelationshipRef.model_construct(source=source, type=rel_type, target=target, key=key)
        for rel_type, source, target, key in sorted(found_rings.keys)
        if source in keep and target in keep
    ]
    return Neighbors.model_construct(
        node=NodeRef.model_construct(id=centre.id, name=centre.name, kind=centre.label),
        depth=depth,
        kind=kind,
        total=len(found),
        truncated=len(found) > limit,
        nodes=[NeighborNode.model_construct(id=n.id, name=n.name, kind=n.label, distance=distance[n.id]) for n in shown],
        relationships=relationships,
    )
