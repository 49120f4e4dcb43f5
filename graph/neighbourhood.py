"""The one neighbourhood search: the nodes within a few relationships of a node, ring by ring.

The neighbours report (graph/analysis/paths.py), the ego view (graph/views_data.py) and
:func:`neighbourhood_data` all start from :func:`rings`. It reads relationship identities only
(``queries(store).incident_keys``, one query per ring): a hub's two-hop neighbourhood on a
national graph holds 10^5 relationships, of which a report shows a few hundred, so what is kept
is read whole afterwards, and nothing else is.

>>> from graph.model import GraphData, Node, Relationship
>>> from graph.store.sqlite import SqliteStore
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(
...     nodes=[Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B"), Node("Stage", "s", "S")],
...     relationships=[Relationship("SUPPLIES", "a", "b"), Relationship("OPERATES_IN", "b", "s")]))
>>> found = rings(store, "a", 2)
>>> found.distance, sorted(found.keys)
({'a': 0, 'b': 1, 's': 2}, [('OPERATES_IN', 'b', 's', ''), ('SUPPLIES', 'a', 'b', '')])
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from .checks import whole_number
from .errors import InvalidParameter, TooExpensive
from .model import GraphData, check_rel_type
from .store.base import GraphStore
from .store.queries import RingCounts, queries
from .store.reads import get_node

__all__ = ["MAX_DEPTH", "Rings", "rings", "ring_beyond", "neighbourhood_data", "check_depth", "MAX_RELATIONSHIPS", "MAX_RELATIONSHIPS_ENV"]

# Three rings around a hub already reach most of a regional chain; deeper is the whole graph.
MAX_DEPTH = 3
# The work budget of one search: relationships read. A hub's three rings on a 1M-relationship
# store read most of it (51 s, +0.86 GB) for a report that lists a few hundred; the search stops
# before a ring that would go past the budget, and says how deep it could go.
MAX_RELATIONSHIPS = 200_000
MAX_RELATIONSHIPS_ENV = "CHAINX_MAX_NEIGHBOURHOOD"


def _budget() -> int:
    text = os.environ.get(MAX_RELATIONSHIPS_ENV, "").strip()
    if not text:
        return MAX_RELATIONSHIPS
    if not text.isdigit() or int(text) < 1:
        raise InvalidParameter(MAX_RELATIONSHIPS_ENV, f"must be a whole number of at least 1, not {text!r}")
    return int(text)

Identity = tuple[str, str, str, str]


def check_depth(depth: object) -> int:
    """``depth`` when it is a whole number from 1 to :data:`MAX_DEPTH`, else InvalidParameter."""
    return whole_number("depth", depth, maximum=MAX_DEPTH)


@dataclass(frozen=True)
class Rings:
    """A neighbourhood's shape. ``distance``: every node reached, with the ring that first
    reached it (the centre 0); ``keys``: the identities (type, source, target, key) of the
    relationships followed, those with an end in an inner ring (ring < depth), both ends reached."""

    centre: str
    depth: int
    distance: dict[str, int]
    keys: frozenset[Identity]


def rings(store: GraphStore, node_id: str, depth: int, types: Iterable[str] | None = None) -> Rings:
    """Search ``depth`` rings out from ``node_id``, either direction, along relationships of
    ``types`` (all when None). The node must exist (NotFound otherwise)."""
    check_depth(depth)
    types = [check_rel_type(t) for t in types] if types else None
    get_node(store, node_id)
    search = queries(store)
    budget = _budget()
    distance, frontier = {node_id: 0}, {node_id}
    keys: set[Identity] = set()
    for ring in range(1, depth + 1):
        # every node of the frontier brings at least the relationship that reached it, and a
        # ring's relationships are read whole: refuse before a ring that is sure to go past
        step = search.incident_keys(frontier, types) if len(keys) + len(frontier) <= budget else None
        if step is None or len(keys | step) > budget:
            _refuse(node_id, budget, ring, len(distance) - 1)
        keys |= step
        frontier = {end for key in step for end in key[1:3] if end not in distance}
        distance.update(dict.fromkeys(frontier, ring))
        if not frontier:
            break
    return Rings(node_id, depth, distance, frozenset(keys))


def _refuse(node_id: str, budget: int, ring: int, reached: int):
    narrower = f"ask for depth {ring - 1}, or " if ring > 1 else ""
    raise TooExpensive("depth", f"the neighbourhood of {node_id!r} holds more than {budget:,} relationships within {ring} "
                                f"relationship{'s' if ring > 1 else ''} of it ({reached:,} nodes reached by ring {ring - 1}); "
                                f"{narrower}raise the budget with {MAX_RELATIONSHIPS_ENV}")


def ring_beyond(store: GraphStore, found: Rings) -> RingCounts:
    """The sizes one ring past ``found`` (all relationship types), counted by the store without
    reading that ring (:meth:`graph.store.queries.Queries.ring_counts`): every relationship with
    an end in ``found``'s rings, how many nodes they reach, each node's relationships. For a
    view that can only draw ``found`` but must rank its nodes and say what it left out. Past the
    work budget it refuses as :func:`rings` does for that ring."""
    counts = queries(store).ring_counts(found.distance)
    budget = _budget()
    if counts.relationships > budget:
        _refuse(found.centre, budget, found.depth + 1, len(found.distance) - 1)
    return counts


def neighbourhood_data(store: GraphStore, node_id: str, depth: int = 1, types: Iterable[str] | None = None) -> GraphData:
    """The node and everything within ``depth`` relationships of it, either direction, as graph
    data: the nodes reached and the relationships followed (see :class:`Rings`), read whole,
    nodes by (label, id), relationships by identity."""
    found = rings(store, node_id, depth, types)
    nodes = sorted(store.nodes(ids=found.distance), key=lambda n: (n.label, n.id))
    relationships = [r for r in queries(store).relationships_among(found.distance) if r.identity in found.keys]
    return GraphData(nodes=nodes, relationships=relationships)
