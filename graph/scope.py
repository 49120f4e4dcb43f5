"""Chain scopes: which part of the stage graph a report reads.

A store may hold a whole national product web (chainkg: ~95,000 products, ~57,000 FEEDS links)
with a town's firms on top. Read as one chain, everything is upstream and downstream of
everything, and a textile town's "gaps" are eggs and radishes. A report therefore reads a
*scope* of the chain:

- ``whole``: every top-level stage (the default on a chain small enough to read: up to
  :data:`graph.params.FULL_LISTING_STAGES` top-level stages, the bundled textile chain has 31);
- ``region``: the stages the region's enterprises operate in, and the stages up to ``depth``
  FEEDS steps upstream and downstream of them (directed steps only: a sideways step, up to a
  shared input and down again, is how a search of 涤纶 reaches 鸡蛋), walked over the stages'
  own links and rolled up afterwards (:func:`graph.analysis.stages.scoped_chain`: a link into
  one sub-stage of a category goes on only through that sub-stage's links, so a retinoid that
  shares the category 甲酸 with PTA does not reach 聚酯). The default for a region on a larger
  chain;
- ``endpoints``: the stages on near-shortest FEEDS paths from one stage to another
  (``source`` → ``sink``: on a path at most :data:`ENDPOINT_SLACK` steps longer than the
  shortest), which a cycle cannot widen;
- ``chain``: a chain the store holds (graph/chains.py: chains.csv, or saved by ``chainx chains
  save``), by its id or name: its member stages, or the stages between its source and sink.

Every report that reads the chain says which scope it used, how many stages it holds of how
many, and how to widen it (:class:`Scope`).

>>> import networkx as nx
>>> from graph.analysis.stages import StageChain
>>> g = nx.DiGraph([("oil", "pta"), ("pta", "fibre"), ("fibre", "cloth"), ("egg", "cake")])
>>> chain = StageChain(g, {s: s for s in g})
>>> sorted(between(chain, "oil", "cloth"))
['cloth', 'fibre', 'oil', 'pta']
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from .analysis.stages import StageChain, scoped_chain, stage_chain, stage_hierarchy
from .cache import VersionedCache
from .errors import InvalidParameter, NotFound
from .params import CHAIN, FULL_LISTING_STAGES, PAIRS, SCOPE, SCOPE_DEPTH
from .store.base import GraphStore
from .store.queries import queries

__all__ = ["Scope", "chain_in_scope", "between", "ENDPOINT_SLACK"]

ENDPOINT_SLACK = 1


@dataclass(frozen=True)
class Scope:
    """The part of the chain a report read, and how it was chosen."""

    kind: str  # whole | region | endpoints | chain
    stages: int  # top-level stages in the scope
    of: int  # top-level stages of the whole chain
    rollup: str  # how sub-stages were rolled up (graph.params.ROLLUP)
    depth: int | None = None  # region: FEEDS steps up and down from the region's stages
    source: str | None = None  # endpoints
    sink: str | None = None
    rule: str = ""  # one sentence: what the scope holds
    widen: str | None = None  # how to read more of the chain: the report's parameters, by name
    chain: str | None = None  # chain: the id of the chain read
    chain_name: str | None = None
    pairs: str = "keep"  # two-way FEEDS pairs kept or broken (graph.params.PAIRS)

    def as_dict(self) -> dict:
        return asdict(self)


def chain_in_scope(store: GraphStore, *, pairs: str = "keep", **options) -> tuple[StageChain, Scope]:
    """The chain a report reads, and the :class:`Scope` it says it used: :func:`_chain_in_scope`
    on the chain with two-way FEEDS pairs kept or broken (``pairs``, :func:`graph.analysis.stages.stage_chain`)."""
    PAIRS.check(pairs)
    chain, scope = _chain_in_scope(store, pairs=pairs, **options)
    return chain, replace(scope, pairs=pairs)


def _chain_in_scope(store: GraphStore, *, regions: set[str] | None = None, region_label: str | None = None,
                   scope: str = "auto", depth: int | None = None, source: str | None = None, sink: str | None = None,
                   rollup: str = "auto", pairs: str = "keep", chain: str | None = None) -> tuple[StageChain, Scope]:
    """The chain a report reads, and the :class:`Scope` it says it used.

    ``regions`` are the region ids whose enterprises a ``region`` scope starts from (a region
    and its sub-regions, or several regions compared); ``region_label`` names them in the rule.
    ``source`` and ``sink`` (stage ids, both or neither) choose the ``endpoints`` scope and
    override ``scope``; so does ``chain`` (a chain of the store by id or name; not with source and
    sink). ``scope="auto"``: ``region`` when regions are given and the whole chain
    has more than :data:`~graph.params.FULL_LISTING_STAGES` top-level stages, else ``whole``.
    """
    SCOPE.check(scope)
    depth = SCOPE_DEPTH.check(SCOPE_DEPTH.default if depth is None else depth)
    # the whole chain is built only for a scope that needs it: a region's is cut from store
    # queries around the region's stages (scoped_chain), and the count of top-level stages
    # comes from the stage hierarchy alone
    total = stage_hierarchy(store, rollup).total
    if (source is None) != (sink is None):
        raise InvalidParameter("to" if sink is None else "from", "give both ends of the chain (--from and --to), or neither")
    if chain is not None:
        if source is not None:
            raise InvalidParameter("chain", "read a chain of the store (--chain) or the chain between two stages (--from, --to), not both")
        from .chains import chain_node, definition, members

        node = chain_node(store, CHAIN.check(chain))
        whole = stage_chain(store, rollup, pairs)
        held = members(whole, node)
        if not held:
            raise NotFound(f"chain {node.name} ({node.id}) holds no stage of the store")
        scoped = _restricted(whole, held)
        how = "its member stages" if definition(node) == "stages" else f"the stages from {node.props['source']} to {node.props['sink']}"
        return scoped, Scope(
            "chain", len(scoped.graph), total, rollup, source=node.props.get("source"), sink=node.props.get("sink"),
            rule=f"the chain {node.name} ({node.id}): {how}, {len(scoped.graph):,} of {total:,} stages",
            widen='scope="whole"', chain=node.id, chain_name=node.name,
        )
    if source is not None:
        whole = stage_chain(store, rollup, pairs)
        a, b = _top_of(whole, source, "from"), _top_of(whole, sink, "to")
        members = between(whole, a, b)
        if not members:
            raise NotFound(f"no FEEDS path from {whole.name(a)} ({a}) to {whole.name(b)} ({b}): the chain between them is empty")
        chain = _restricted(whole, members)
        return chain, Scope(
            "endpoints", len(chain.graph), total, rollup, source=a, sink=b,
            rule=(f"the {len(chain.graph):,} stages on FEEDS paths from {whole.name(a)} to {whole.name(b)} at most "
                  f"{ENDPOINT_SLACK} step{'s' if ENDPOINT_SLACK != 1 else ''} longer than the shortest, of {total:,}"),
            widen='scope="whole" (or other source and sink)',
        )
    if scope == "auto":
        scope = "region" if regions and total > FULL_LISTING_STAGES else "whole"
    if scope == "region":
        if not regions:
            raise InvalidParameter("scope", "the region scope needs a region")
        chain, seeds = _region_chain(store, frozenset(regions), depth, rollup, pairs)
        label = region_label or ", ".join(sorted(regions))
        return chain, Scope(
            "region", len(chain.graph), total, rollup, depth=depth,
            rule=(f"the {len(seeds):,} stages {label}'s enterprises operate in and the stages up to {depth} FEEDS "
                  f"step{'s' if depth != 1 else ''} upstream or downstream of them: {len(chain.graph):,} of {total:,}"),
            widen=(f'scope_depth={depth + 1}, or scope="whole"' if depth < SCOPE_DEPTH.maximum else 'scope="whole"'),
        )
    return stage_chain(store, rollup, pairs), Scope("whole", total, total, rollup, rule=f"the whole chain: {total:,} top-level stages")


_region_chains = VersionedCache("region scope chain", size=16)


def _region_chain(store: GraphStore, regions: frozenset[str], depth: int, rollup: str, pairs: str) -> tuple[StageChain, set[str]]:
    """The chain of a region scope and its seeds (the top-level stages the regions' enterprises
    operate in): the whole chain cut to the top-level stages of the FEEDS walk from the stages
    the enterprises operate in, built from store queries around them
    (:func:`graph.analysis.stages.scoped_chain`). Cached per store version."""
    def compute():
        stages = {op.stage for op in queries(store).operations(regions=regions)}
        hierarchy = stage_hierarchy(store, rollup)
        chain = scoped_chain(store, stages, depth, rollup, pairs)
        return chain, {hierarchy.top_of(s) for s in stages if s in chain.top}

    return _region_chains.get(store, (regions, depth, rollup, pairs), compute)


def _restricted(whole: StageChain, members: Iterable[str]) -> StageChain:
    key = ("restricted", frozenset(members))
    return whole.memo(key, lambda: whole.restricted(key[1]))


def _top_of(chain: StageChain, stage: str, parameter: str) -> str:
    if stage not in chain.top:
        raise NotFound(f"{parameter}: no stage {stage!r}")
    return chain.top[stage]


def between(chain: StageChain, source: str, sink: str, slack: int = ENDPOINT_SLACK) -> set[str]:
    """Top-level stages on a FEEDS walk from ``source`` to ``sink`` at most ``slack`` steps longer
    than the shortest (empty when ``sink`` cannot be reached): d(source, s) + d(s, sink) ≤
    d(source, sink) + slack. Cycles do not widen it, as reachability would."""
    ahead = _distances(chain.graph.succ, source)
    if sink not in ahead:
        return set()
    behind = _distances(chain.graph.pred, sink)
    limit = ahead[sink] + slack
    return {s for s, d in ahead.items() if s in behind and d + behind[s] <= limit}


def _distances(step, start: str) -> dict[str, int]:
    dist, queue = {start: 0}, deque([start])
    while queue:
        node = queue.popleft()
        for nxt in step[node]:
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist
