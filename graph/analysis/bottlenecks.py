"""Bottlenecks: where the chain can snap, and what snaps with it.

Three kinds of items, each with ``kind``, ``node``, ``name``, ``score`` and ``reasons``; stages are
the top-level stages of :mod:`graph.analysis.stages` (sub-stages rolled up).

``chokepoint`` — a stage every FEEDS path from a source stage to some end-product stage passes
through (it dominates that end product: computed with ``networkx.immediate_dominators`` from a
virtual stage feeding every source), or an articulation point of the undirected stage graph.
Sources are the stages nothing feeds (the stages of the source components when FEEDS links form
cycles), support-tier stages excepted when other sources exist, since machinery or R&D is not
where material comes from. End products are the downstream-tier stages when the chain marks
some (garments still feed e-commerce), else the stages that feed nothing (the stages of the sink
components). Stages with no FEEDS link are neither. Score::

    max(dominated end products / end products, stages cut off / (chain stages − 1))

where "stages cut off" are those that, without the stage, are no longer connected to the largest
remaining part of its component.

``single_source`` — a stage served by exactly one enterprise (in the region, or anywhere without
one), or whose concentration HHI = Σ share² exceeds ``hhi_threshold``. Shares are of the stated
OPERATES_IN capacity when every firm of the stage states one in one unit, else equal shares of
the firm count (so HHI = 1 / firms). Score: the HHI; equal scores (every stage of one firm has
HHI 1) are ordered by what depends on the stage: the firms, then the stages, FEEDS-downstream of
it in scope (its own FEEDS cycle not counted).

``critical_enterprise`` — an enterprise whose removal leaves some customer with no supplier of a
stage it buys (SUPPLIES relationships carrying a stage), or removes the last firm of a stage in
the region (with ``min_firms`` > 1 also: leaves a stage with fewer than ``min_firms``). Its
cascade is worked out as in :func:`whatif`. Score::

    enterprises that lose supply + stages left without a firm + stages left below min_firms

counting only those in the region when one is given; equal scores are ordered by the firms of
the downstream stages that lose an input.

The cascade: an enterprise left with no supplier of a stage it buys can no longer deliver that
stage or anything FEEDS-downstream of it (a weaver without yarn delivers no cloth), so customers
buying those from it lose it as a supplier in turn, transitively. Support-tier inputs (machinery,
R&D, testing, trade, ...) are counted as lost but stop nothing further. A stage is lost when none
of its firms (in the region, when one is given) is left delivering it; the stages FEEDS-
downstream of a lost stage that still have firms lose that input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import groupby

import networkx as nx
import numpy as np

from graph.cache import VersionedCache, of_one_version
from graph.collector import gc_paused
from graph.errors import InvalidParameter, NotFound, TooExpensive
from graph.i18n import choose_lang, joined, message
from graph.names import resolve
from graph.params import CRITICAL_MIN_FIRMS, HHI_THRESHOLD, LISTING_TOP, MAX_LISTED_ITEMS, MAX_LISTED_ITEMS_ENV, budget
from graph.reach import carry_bits, reachable
from graph.regions import check_region, region_descendants
from graph.reports import (
    BottlenecksListed,
    BottlenecksReport,
    Cascade,
    Chokepoint,
    CriticalEnterprise,
    CriticalScreening,
    Disrupted,
    DownstreamStage,
    NodeRef,
    Scope,
    Share,
    SingleSource,
    StageChange,
    WhatIfReport,
)
from graph.scope import chain_in_scope
from graph.store.base import GraphStore
from graph.store.queries import CodedLinks, CodedOperations, queries
from graph.store.reads import get_node

from .reasons import NAMES_IN_REASON as _NAMES_IN_REASON
from .reasons import listing as _listing
from .stages import StageChain, chain_order, condensed, condensed_adjacency, cycle_summary, listing_limit, topological_position

__all__ = ["bottlenecks", "whatif", "chokepoints", "articulation_pieces", "hhi", "KINDS", "CASCADE_LIMIT", "most_listed"]

KINDS = ("chokepoint", "single_source", "critical_enterprise")
_PIECES_IN_REASON = 20  # part sizes a chokepoint's reason spells out
_CASCADE_LISTED = 20  # enterprises listed per critical enterprise's cascade (all are counted)
# The full cascade is worked out for at most this many suspects, those with the most direct
# losses (see bottlenecks()): on the bundled data every suspect, on a generated 1M-relationship
# chain 500 of ~43,000 (each cascade can walk a good part of the supply network).
CASCADE_LIMIT = 500
_SUPER_SOURCE = ("virtual source",)  # not a string, so it can never clash with a stage id


def hhi(shares: Iterable[float]) -> float:
    """Herfindahl–Hirschman index of ``shares`` (normalised to sum 1 first).

    >>> hhi([1, 1, 1, 1])
    0.25
    >>> hhi([3, 1])
    0.625
    """
    shares = list(shares)
    total = sum(shares)
    return sum((s / total) ** 2 for s in shares) if total else 0.0


# -- chokepoints ----------------------------------------------------------------------------

def articulation_pieces(graph: nx.Graph) -> dict:
    """The articulation points of the undirected ``graph``, each with the sizes of the pieces its
    component falls into without it (largest first).

    One depth-first search (Hopcroft–Tarjan low points) instead of a search per articulation
    point: a child ``u`` of ``v`` in the search tree whose subtree reaches no higher than ``v``
    (low[u] ≥ disc[v]) is cut off with its subtree; what is left (the parent's side) is the rest
    of the component. The points are those of ``nx.articulation_points``.

    >>> articulation_pieces(nx.Graph([("a", "b"), ("b", "c"), ("c", "d"), ("c", "e")]))
    {'c': [2, 1, 1], 'b': [3, 1]}
    """
    disc: dict = {}
    low: dict = {}
    size: dict = {}
    pieces: dict = {}
    clock = 0
    for root in graph:
        if root in disc:
            continue
        cut_off: dict = defaultdict(list)  # v → sizes of the subtrees hanging from v that only v holds on
        disc[root] = low[root] = clock
        clock += 1
        size[root] = 1
        stack = [(root, None, iter(graph[root]))]
        while stack:
            v, parent, neighbours = stack[-1]
            for w in neighbours:
                if w == parent or w == v:
                    continue
                if w in disc:
                    low[v] = min(low[v], disc[w])
                else:
                    disc[w] = low[w] = clock
                    clock += 1
                    size[w] = 1
                    stack.append((w, v, iter(graph[w])))
                    break
            else:
                stack.pop()
                if parent is not None:
                    low[parent] = min(low[parent], low[v])
                    size[parent] += size[v]
                    if low[v] >= disc[parent]:
                        cut_off[parent].append(size[v])
        component = size[root]
        for v, sizes in cut_off.items():
            if v == root:
                if len(sizes) >= 2:  # the root holds its subtrees together only if it has two
                    pieces[v] = sorted(sizes, reverse=True)
            else:
                rest = component - 1 - sum(sizes)  # the parent's side, never empty
                pieces[v] = sorted(sizes + [rest], reverse=True)
    return pieces


def _ends(chain: StageChain) -> tuple[list[str], list[str]]:
    """(source stages, end-product stages) of the rolled-up chain; see the module docstring."""
    graph = chain.graph
    graph_c, members, _ = condensed(chain)
    linked = [s for s in graph if graph.degree(s) > 0]
    sources = [s for s in linked if graph_c.in_degree(members[s]) == 0]
    material = [s for s in sources if chain.tier(s) != "support"]
    end_products = [s for s in linked if chain.tier(s) == "downstream"]
    sinks = end_products or [s for s in linked if graph_c.out_degree(members[s]) == 0]
    return sorted(material or sources), sorted(sinks)


def _bare(graph: nx.DiGraph, kind: type[nx.Graph]) -> nx.Graph:
    """``graph``'s nodes and edges, in its order, as a ``kind`` without attributes: what
    ``nx.DiGraph(graph)`` or ``graph.to_undirected()`` hold, less the copies of every node's
    attributes (``to_undirected`` deep-copies them: 1.5 s on chainkg's 75k top-level stages)."""
    bare = kind()
    bare.add_nodes_from(graph)
    bare.add_edges_from(graph.edges)
    return bare


def chokepoints(chain: StageChain, lang: str = "en") -> list[dict]:
    """Chokepoint items of the rolled-up chain (see the module docstring), best first.

    >>> from graph.analysis.stages import StageChain
    >>> g = nx.DiGraph([("oil", "pta"), ("pta", "fibre"), ("cotton", "fibre"), ("fibre", "cloth")])
    >>> [(i["node"], i["dominates"], i["articulation_point"]) for i in chokepoints(StageChain(g, {s: s for s in g}))]
    [('fibre', ['cloth'], True), ('pta', [], True)]
    """
    graph = chain.graph
    sources, sinks = _ends(chain)
    dominated: dict[str, set[str]] = defaultdict(set)
    if sources and sinks:
        rooted = _bare(graph, nx.DiGraph)
        rooted.add_edges_from((_SUPER_SOURCE, s) for s in sources)
        idom = nx.immediate_dominators(rooted, _SUPER_SOURCE)
        for sink in sinks:
            if sink not in idom:
                continue  # no source reaches it
            node = idom[sink]
            while node != _SUPER_SOURCE:
                dominated[node].add(sink)
                node = idom[node]

    undirected = _bare(graph, nx.Graph)
    undirected.remove_nodes_from([s for s in graph if graph.degree(s) == 0])
    linked = len(undirected)
    parts = articulation_pieces(undirected)

    items = []
    for stage in sorted(set(dominated) | set(parts)):
        reasons = []
        dom = sorted(dominated.get(stage, ()))
        dom_share = len(dom) / len(sinks) if sinks else 0.0
        cut_share = 0.0
        if dom:
            reasons.append(message(
                "bn.dominates", lang, sources=_listing((chain.name(s) for s in sources[:_NAMES_IN_REASON]), len(sources), lang=lang),
                sinks=_listing((chain.name(s) for s in dom[:_NAMES_IN_REASON]), len(dom), lang=lang), cut=len(dom), total=len(sinks)))
        if stage in parts:
            pieces = parts[stage]
            cut = sum(pieces) - pieces[0]
            cut_share = cut / (linked - 1) if linked > 1 else 0.0
            # a hub of a national chain holds thousands of single stages
            sizes = _listing(map(str, pieces), shown=_PIECES_IN_REASON, lang=lang)
            reasons.append(message("bn.articulation", lang, parts=len(pieces), sizes=sizes, cut=cut))
        score = max(dom_share, cut_share)
        reasons.append(message("bn.chokepoint_score", lang, cut=len(dom), total=len(sinks), share=cut_share, score=score))
        items.append({
            "kind": "chokepoint", "node": stage, "name": chain.name(stage), "score": round(score, 6),
            "reasons": reasons, "dominates": dom, "articulation_point": stage in parts, "parts": parts.get(stage, []),
        })
    items.sort(key=lambda i: (-i["score"], i["node"]))
    return items


# -- the supply world and its cascade -------------------------------------------------------

class _Reach(dict):
    """top-level stage → it and every stage FEEDS-downstream of it, found when first asked for
    (a national chain has tens of thousands of stages; a cascade asks about a few)."""

    def __init__(self, graph: nx.DiGraph):
        super().__init__()
        self.graph = graph

    @cached_property
    def _succ(self) -> dict[str, list[str]]:
        # plain lists: a walk through NetworkX's adjacency views costs several times more per step
        return {stage: list(after) for stage, after in self.graph.succ.items() if after}

    def __missing__(self, stage: str) -> set[str]:
        found = reachable(self._succ, stage) | {stage}
        self[stage] = found
        return found


# A chain with fewer top-level stages than this keeps its FEEDS reach as a square of booleans
# (16 MB at most); a national chain's tens of thousands keep a row per stage asked about.
_DENSE_REACH = 4096

_worlds = VersionedCache("supply world", size=2)  # one world of a 1M-relationship graph holds a few hundred MB


def _world(store: GraphStore, chain: StageChain, regions: set[str] | None) -> _World:
    """The supply world of ``store`` for ``regions``, read once per store version: a bottlenecks
    report and the what-ifs that follow it share it (it is only read afterwards)."""
    key = (None if regions is None else frozenset(regions), chain.rollup, frozenset(chain.graph))
    return _worlds.get(store, key, lambda: _read_world(store, chain, regions))


@dataclass
class _Supplies:
    """The SUPPLIES relationships that name a stage, as arrays: what the cascades walk (a
    national graph has hundreds of thousands of them, a bottlenecks report walks 500 cascades).

    Enterprises are coded in id order (``firms[code]``), stages bought in order of first sight
    (``stages[code]``). A *purchase* ``g`` is a (``customer[g]``, ``stage[g]``) pair with
    ``size[g]`` distinct suppliers; a *supply* ``e`` is one (``group[e]``, ``supplier[e]``) pair,
    ``by_supplier[supplier_start[f]:supplier_start[f + 1]]`` the supplies of enterprise ``f``.
    ``stage_top[t]`` is the place of stage ``t``'s top-level stage in the world's ``tops`` (its
    length when the stage is not in the chain), ``material[t]`` whether losing it stops a firm
    (in the chain, not support tier), ``edge_top[e]`` ``stage_top`` of the stage supply ``e`` sells.
    """

    firms: list[str]
    firm_code: dict[str, int]
    stages: list[str]
    stage_code: dict[str, int]
    customer: np.ndarray
    stage: np.ndarray
    size: np.ndarray
    group: np.ndarray
    supplier: np.ndarray
    by_supplier: np.ndarray
    supplier_start: np.ndarray
    stage_top: np.ndarray
    material: np.ndarray
    edge_top: np.ndarray


@dataclass
class _Dag:
    """The condensed chain as arrays: ``succ[succ_start[c]:succ_start[c + 1]]`` the components
    below component ``c``, ``level[c]`` the length of the longest path down to it, ``component``
    each top-level stage's, ``members_with_firms[c]`` its stages with firms in scope
    (``with_firms[c]``: any)."""

    size: int
    succ: np.ndarray
    succ_start: np.ndarray
    level: np.ndarray
    component: dict[str, int]
    members_with_firms: list[list[str]]
    with_firms: np.ndarray

    @classmethod
    def of(cls, chain: StageChain, firms: dict[str, dict]) -> _Dag:
        _, component, order = condensed(chain)
        size = len(order)
        succ_lists, _ = condensed_adjacency(chain)
        counts = np.array([len(succ_lists[c]) for c in range(size)], dtype=np.int64)
        succ = np.array([d for c in range(size) for d in succ_lists[c]], dtype=np.int64)
        level = [0] * size
        for c in order:  # topological: a component's parents are done before it
            step = level[c] + 1
            for d in succ_lists[c]:
                if level[d] < step:
                    level[d] = step
        members: list[list[str]] = [[] for _ in range(size)]
        for stage, c in component.items():
            if firms[stage]:
                members[c].append(stage)
        return cls(size, succ, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), np.array(level, dtype=np.int64), component, members,
                   np.array([bool(m) for m in members], dtype=bool))


@dataclass
class _World:
    """What the cascade needs, read from the store once: the firms of each stage as dicts (what
    the stage items list and count), the supplies as arrays (:class:`_Supplies`).

    ``tops`` are the chain's top-level stages (``top_index``: their places); ``pair_firm`` and
    ``pair_top`` the (enterprise code, top place) pairs of the in-scope operations, sorted by
    enterprise (``pair_start`` as ``supplier_start``); ``in_scope_code`` an enterprise code's
    :meth:`in_scope`.
    """

    chain: StageChain
    regions: set[str] | None
    names: dict[str, str]
    region_of: dict[str, str | None]
    # top-level stage → in-scope enterprise → the (sub-)stages it operates in there
    firms: dict[str, dict[str, frozenset[str]]]
    # the in-scope operations of the chain's stages, by (stage, enterprise), their enterprises
    # as codes of ``supplies``; ``op_pair[i]``: the place of the i-th's (enterprise, top) pair
    # among ``pair_firm`` / ``pair_top``
    ops: CodedOperations
    op_pair: np.ndarray
    supplies: _Supplies
    tops: list[str]
    top_index: dict[str, int]
    in_scope_code: np.ndarray
    pair_firm: np.ndarray
    pair_top: np.ndarray
    pair_start: np.ndarray
    reach: dict[str, set[str]] = field(default_factory=dict)  # top-level stage → it and all below it
    order: dict[str, int] = field(default_factory=dict)  # top-level stage → place in chain order
    _rows: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def in_scope(self, enterprise: str) -> bool:
        return self.regions is None or self.region_of.get(enterprise) in self.regions

    def stage_name(self, stage: str) -> str:
        return self.names.get(stage, stage)

    def concentrated(self, threshold: float) -> list[str]:
        """The top-level stages that may be single-source items: those with one firm or an HHI
        near ``threshold`` or above, worked out for every stage at once (a national chain has
        a hundred thousand operations); :func:`_single_sources` decides on each exactly."""
        n_tops = len(self.tops)
        top_of_op = self.top_of_op
        n_ops = len(self.ops.stage)
        value = np.fromiter((np.nan if c is None else c for c in self.ops.capacity), dtype=np.float64, count=n_ops)
        unit = _Codes()
        unit_of_op = np.fromiter(map(unit.__getitem__, self.ops.unit), dtype=np.int64, count=n_ops)
        unstated = np.bincount(top_of_op, weights=~(value > 0), minlength=n_tops)  # None or ≤ 0
        units = np.bincount(_distinct(top_of_op * max(len(unit.values_), 1) + unit_of_op) // max(len(unit.values_), 1), minlength=n_tops)
        firms = np.bincount(self.pair_top, minlength=n_tops)
        weight = np.bincount(self.op_pair, weights=np.nan_to_num(value, nan=0.0), minlength=len(self.pair_top))
        total = np.bincount(self.pair_top, weights=weight, minlength=n_tops)
        with np.errstate(divide="ignore", invalid="ignore"):
            by_capacity = np.bincount(self.pair_top, weights=(weight / total[self.pair_top]) ** 2, minlength=n_tops)
            index = np.where((unstated == 0) & (units == 1), by_capacity, 1.0 / firms)
        # a margin far above the rounding of either sum: the exact test is made on each
        maybe = (firms == 1) | (index > threshold - 1e-9)
        return [self.tops[t] for t in np.flatnonzero(maybe & (firms > 0)).tolist()]

    def downstream(self, stage: str) -> tuple[int, int]:
        """(stages, distinct firms) FEEDS-downstream of the top-level ``stage`` that have firms in
        scope, the stages of its own FEEDS cycle not counted (see :meth:`_ReferenceWorld.downstream`)."""
        return self._below.get(stage, (0, 0))

    def inputs_lost(self, lost: set[str]) -> dict[str, list[str]]:
        """:meth:`_ReferenceWorld.inputs_lost`: a bitset of ``lost`` carried down the condensed
        chain as arrays, a level at a time (:attr:`_dag`), not a search from each lost stage (a
        bottlenecks report's 500 cascades lose ten thousand stages on chainkg)."""
        if not lost:
            return {}
        dag = self._dag
        ordered = sorted(lost)
        seeds = np.array([dag.component[s] for s in ordered], dtype=np.int64)
        # the components downstream of the lost stages', theirs included: a search a level at a time
        reached = np.zeros(dag.size, dtype=bool)
        reached[seeds] = True
        frontier = np.unique(seeds)
        while len(frontier):
            after, _ = _ragged(dag.succ, dag.succ_start, frontier)
            frontier = _distinct(after[~reached[after]])
            reached[frontier] = True
        comps = np.flatnonzero(reached)
        local = np.full(dag.size, -1, dtype=np.int64)
        local[comps] = np.arange(len(comps))
        words = (len(ordered) + 63) // 64
        bits = np.zeros((len(comps), words), dtype="<u8")  # little-endian words: int.from_bytes below
        place = np.arange(len(ordered))
        np.bitwise_or.at(bits, (local[seeds], place // 64), np.left_shift(np.uint64(1), (place % 64).astype(np.uint64)))
        # every parent of a component is on a lower level: level by level, each ORs its parents' bits in
        child, owner = _ragged(dag.succ, dag.succ_start, comps)
        parent = comps[owner]
        by_level = np.argsort(dag.level[child], kind="stable")
        child, parent = local[child[by_level]], local[parent[by_level]]
        bounds = np.flatnonzero(np.diff(dag.level[comps[child]])) + 1 if len(child) else np.zeros(0, dtype=np.int64)
        for a, b in zip(np.r_[0, bounds].tolist(), np.r_[bounds, len(child)].tolist()):
            np.bitwise_or.at(bits, child[a:b], bits[parent[a:b]])
        inputs = {}
        names: dict[bytes, list[str]] = {}  # most stages below share their lost inputs with many others
        keep = dag.with_firms[comps]
        for row, c in zip(bits[keep], comps[keep].tolist()):
            key = row.tobytes()
            if key not in names:
                names[key] = [ordered[i] for i in _bits(int.from_bytes(key, "little"))]
            for stage in dag.members_with_firms[c]:
                if stage not in lost:
                    inputs[stage] = names[key]
        return inputs

    @cached_property
    def _dag(self) -> _Dag:
        return _Dag.of(self.chain, self.firms)

    @cached_property
    def _below(self) -> dict[str, tuple[int, int]]:
        """:meth:`downstream` of every top-level stage with something below it, worked out at once:
        a bitset of the stages with firms and one of their firms carried up the condensed chain
        (:func:`graph.reach.carry_bits`), where a search from each of a national chain's tens of
        thousands of single-source stages walked it 37k times."""
        graph_c, component, order = condensed(self.chain)
        code = self.supplies.firm_code
        stage_bits: dict[int, int] = {}
        firm_bits: dict[int, int] = {}
        bit = 0  # stages numbered up from the bottom of the chain: a bitset is as long as its highest stage
        for c in reversed(order):
            for stage in graph_c.nodes[c]["members"]:
                firms = self.firms[stage]
                if firms:
                    stage_bits[c] = stage_bits.get(c, 0) | (1 << bit)
                    bit += 1
                    firm_bits[c] = firm_bits.get(c, 0) | sum(1 << code[f] for f in firms)
        position = topological_position(self.chain)
        succ, pred = condensed_adjacency(self.chain)
        stages_below = carry_bits(pred, succ, stage_bits, position, downwards=False)
        firms_below = carry_bits(pred, succ, firm_bits, position, downwards=False)
        return {stage: (bits.bit_count(), firms_below[c].bit_count())
                for c, bits in stages_below.items() for stage in graph_c.nodes[c]["members"]}

    @cached_property
    def top_of_op(self) -> np.ndarray:
        """The place of each of ``ops``' top-level stage."""
        return self.pair_top[self.op_pair]

    @cached_property
    def _op_rows(self) -> list[np.ndarray]:
        """The rows of ``ops`` of each top-level stage (by its place), grouped once: a national
        chain asks :meth:`capacities` of tens of thousands of stages."""
        order = np.argsort(self.top_of_op, kind="stable")
        bounds = np.searchsorted(self.top_of_op[order], np.arange(len(self.tops) + 1))
        return [order[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())]

    def capacities(self, stage: str) -> dict[tuple[str, str], tuple[float | None, str | None]]:
        """(firm, (sub-)stage) → (stated capacity or None, unit or None) of the top-level ``stage``."""
        ops, firms = self.ops, self.supplies.firms
        rows = self._op_rows[self.top_index[stage]]
        return {(firms[f], ops.stage[i]): (ops.capacity[i], ops.unit[i]) for i, f in zip(rows.tolist(), ops.firm[rows].tolist())}

    def tops_of(self, firm: str) -> list[str]:
        """The top-level stages ``firm`` operates in (in scope)."""
        code = self.supplies.firm_code.get(firm)
        if code is None:
            return []
        return [self.tops[t] for t in self.pair_top[self.pair_start[code]:self.pair_start[code + 1]].tolist()]

    def sole_counts(self) -> dict[str, int]:
        """supplier → the purchases (customer, stage bought) it is the only supplier of."""
        s = self.supplies
        counts = np.bincount(s.supplier[s.size[s.group] == 1], minlength=len(s.firms))
        return {s.firms[i]: int(counts[i]) for i in np.flatnonzero(counts).tolist()}

    def sole_purchases(self, firm: str) -> list[tuple[str, str]]:
        """(customer, stage) of the purchases ``firm`` is the only supplier of, sorted."""
        s = self.supplies
        code = s.firm_code.get(firm)
        if code is None:
            return []
        groups = s.group[s.by_supplier[s.supplier_start[code]:s.supplier_start[code + 1]]]
        groups = groups[s.size[groups] == 1]
        return sorted((s.firms[c], s.stages[t]) for c, t in zip(s.customer[groups].tolist(), s.stage[groups].tolist()))

    def reaches(self, above: np.ndarray, below: np.ndarray) -> np.ndarray:
        """For top places ``above[i]`` and ``below[i]`` (``len(tops)``: none): whether ``below[i]``
        is ``above[i]`` or FEEDS-downstream of it. One boolean row per top asked about, made when
        first asked for (a national chain has tens of thousands of top-level stages)."""
        if not len(above):
            return np.zeros(0, dtype=bool)
        if len(self.tops) < _DENSE_REACH:  # one lookup in a square of rows made when first asked for
            square, made = self._square
            needed = above[~made[above]]
            if len(needed):
                for place in _distinct(needed).tolist():
                    square[place, self._reach_places(place)] = True
                    made[place] = True  # after its row: another thread reads only whole rows
            return square[above, below]
        asked, row_of = np.unique(above, return_inverse=True)
        rows = np.stack([self._row(t) for t in asked.tolist()])
        return rows[row_of.reshape(-1), below]

    @cached_property
    def _square(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`reaches`' rows as one square of booleans (the row of "none" all False) and which
        of them are made: a cascade asks a few thousand times, a few dozen pairs each."""
        n = len(self.tops) + 1
        made = np.zeros(n, dtype=bool)
        made[n - 1] = True
        return np.zeros((n, n), dtype=bool), made

    def _row(self, place: int) -> np.ndarray:
        row = self._rows.get(place)
        if row is None:
            row = np.zeros(len(self.tops) + 1, dtype=bool)
            row[self._reach_places(place)] = True
            self._rows[place] = row
        return row

    def _reach_places(self, place: int) -> list[int]:
        """The places of the top-level stage at ``place`` and of every stage FEEDS-downstream of it."""
        return [self.top_index[s] for s in self.reach[self.tops[place]]]


def _bits(bits: int) -> list[int]:
    """The places of the set bits of ``bits``, lowest first.

    >>> _bits(0b10110)
    [1, 2, 4]
    """
    places = []
    while bits:
        low = bits & -bits
        places.append(low.bit_length() - 1)
        bits ^= low
    return places


def _ragged(order: np.ndarray | None, start: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the entries ``order[start[o]:start[o + 1]]`` of every ``o`` in ``owners``, one after the
    other, or their positions when ``order`` is None; for each, its owner's place in
    ``owners``), without a Python loop.

    >>> _ragged(np.array([7, 8, 9]), np.array([0, 2, 2, 3]), np.array([2, 0]))
    (array([9, 7, 8]), array([0, 1, 1]))
    """
    if not len(owners):
        nothing = np.zeros(0, dtype=np.int64)
        return nothing, nothing
    low = start[owners]
    counts = start[owners + 1] - low
    owner = np.repeat(np.arange(len(owners)), counts)
    offsets = np.cumsum(counts) - counts
    positions = np.arange(int(counts.sum())) - offsets[owner] + low[owner]
    return (positions if order is None else order[positions]), owner


def _distinct(values: np.ndarray, counts: bool = False):
    """The distinct ``values``, sorted (and how often each occurs, with ``counts``): by sorting,
    which on these integer codes is several times quicker than ``np.unique``'s hash table.

    >>> _distinct(np.array([3, 1, 3, 2]), counts=True)
    (array([1, 2, 3]), array([1, 1, 2]))
    """
    if len(values) < 2 and not counts:  # most of a cascade's waves lose no purchase, or one
        return values
    ordered = np.sort(values)
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    found = ordered[first]
    if not counts:
        return found
    return found, np.diff(np.append(np.flatnonzero(first), len(ordered)))


class _Codes(dict):
    """value → its code, a new value getting the next code (``values_`` in code order)."""

    def __init__(self, values: Iterable = ()):
        self.values_: list = list(values)
        super().__init__(zip(self.values_, range(len(self.values_))))

    def __missing__(self, value) -> int:
        code = self[value] = len(self.values_)
        self.values_.append(value)
        return code


def _read_supplies(links: CodedLinks, chain: StageChain, top_index: dict[str, int]) -> _Supplies:
    """The :class:`_Supplies` of the SUPPLIES ``links`` that name a stage, the enterprises coded as
    the links code them (in id order)."""
    stage_code = _Codes(["", None])  # no stage named: dropped below
    supplier, customer = links.source, links.target
    stage = np.fromiter(map(stage_code.__getitem__, links.keys), dtype=np.int64, count=len(links.keys))
    named = stage >= 2
    if not named.all():
        supplier, customer, stage = supplier[named], customer[named], stage[named]
    firm_ids = links.ids
    n_firms, n_stages = max(len(firm_ids), 1), max(len(stage_code), 1)
    # one sort: the distinct (purchase, supplier) pairs in purchase order (a supplier listed twice
    # for one purchase sells once)
    pairs = _distinct((customer * n_stages + stage) * n_firms + supplier)
    bought, supplier = pairs // n_firms, pairs % n_firms
    first = np.ones(len(bought), dtype=bool)
    first[1:] = bought[1:] != bought[:-1]
    purchases, group = bought[first], np.cumsum(first) - 1
    stages = stage_code.values_
    none = len(top_index)
    stage_top = np.array([top_index.get(chain.top.get(s), none) for s in stages], dtype=np.int64)
    material = np.array([chain.top.get(s) is not None and chain.tier(chain.top[s]) != "support" for s in stages], dtype=bool)
    return _Supplies(
        firms=firm_ids, firm_code=dict(zip(firm_ids, range(len(firm_ids)))), stages=stages, stage_code=dict(stage_code),
        customer=purchases // n_stages, stage=purchases % n_stages, size=np.bincount(group, minlength=len(purchases)),
        group=group, supplier=supplier, by_supplier=np.argsort(supplier, kind="stable"),
        supplier_start=_starts(supplier, len(firm_ids)),
        stage_top=stage_top, material=material, edge_top=stage_top[purchases % n_stages][group],
    )


def _starts(owners: np.ndarray, n: int) -> np.ndarray:
    """Where each of ``n`` owners' entries start in ``owners`` sorted (and the end)."""
    return np.concatenate([[0], np.cumsum(np.bincount(owners, minlength=n))]).astype(np.int64)


def _stage_names(store: GraphStore, chain: StageChain) -> dict[str, str]:
    """Every stage of the chain (sub-stages too) → its name, from the stages' rows alone (the
    chain projection as a NetworkX graph took 1.7 s on chainkg's 95k products to give the same)."""
    return {stage: name for stage, name, _ in queries(store).stage_rows() if stage in chain.top}


def _read_world(store: GraphStore, chain: StageChain, regions: set[str] | None) -> _World:
    chain_top = chain.top
    tops = list(chain.graph)
    top_index = {s: i for i, s in enumerate(tops)}
    names = _stage_names(store, chain)
    # every enterprise's name and region in one light query (no properties parsed); an
    # operation's enterprise is one of them
    columns = store.projection_columns(["Enterprise"], [])
    names.update(zip(columns.ids, columns.names))
    region_of = dict(zip(columns.ids, columns.regions))
    # ends only: a national graph has hundreds of thousands of supplies, their properties unused
    supplies = _read_supplies(queries(store).coded_links("SUPPLIES", columns.ids), chain, top_index)
    firm_ids = supplies.firms
    # the operations, sorted by (stage, enterprise); those of a stage outside the chain dropped
    # a stage at a time, not a row at a time
    coded = queries(store).coded_operations(firm_ids, regions=regions)
    stage_of = coded.stage
    firm_of = np.array(firm_ids, dtype=object)[coded.firm].tolist()  # each operation's enterprise id
    firms: dict[str, dict[str, frozenset[str]]] = {s: {} for s in chain.graph}
    kept = np.zeros(len(stage_of), dtype=bool)  # the operations of a stage in the chain
    end = 0
    for stage, run in groupby(stage_of):
        start, end = end, end + len(list(run))
        if stage not in chain_top:
            continue
        kept[start:end] = True
        here = firms[chain_top[stage]]
        enterprises = firm_of[start:end]
        only = frozenset((stage,))  # one set shared by the firms of the stage (the world is read-only)
        also = [e for e in enterprises if e in here] if here else []  # in another (sub-)stage of the top too
        here.update(dict.fromkeys(enterprises, only) if not also else dict.fromkeys((e for e in enterprises if e not in here), only))
        for enterprise in also:
            here[enterprise] = here[enterprise] | only
    if kept.all():
        ops = coded
    else:
        rows = np.flatnonzero(kept)
        listed = rows.tolist()
        ops = CodedOperations(coded.firm[rows], [stage_of[i] for i in listed], [coded.capacity[i] for i in listed], [coded.unit[i] for i in listed])
    if regions is None:
        in_scope = np.ones(len(firm_ids), dtype=bool)
    else:
        in_scope = np.fromiter((region_of.get(f) in regions for f in firm_ids), dtype=bool, count=len(firm_ids))
    # (enterprise, top-level stage) pairs of the operations, by enterprise
    place = {s: top_index[t] for s, t in chain_top.items()}
    op_code = ops.firm * max(len(tops), 1) + np.fromiter(map(place.__getitem__, ops.stage), dtype=np.int64, count=len(ops.stage))
    pair = _distinct(op_code)
    pair_firm, pair_top = pair // max(len(tops), 1), pair % max(len(tops), 1)
    order = chain.memo("order_index", lambda: {s: i for i, s in enumerate(chain_order(chain))})
    return _World(chain, regions, names, region_of, firms, ops, np.searchsorted(pair, op_code), supplies, tops, top_index,
                  in_scope, pair_firm, pair_top, _starts(pair_firm, len(firm_ids)), _Reach(chain.graph), order)


def _cascade(world: _World, firms_out: set[str], stages_out: set[str], min_firms: int, limit: int | None = None) -> dict:
    """What goes when ``firms_out`` and ``stages_out`` (stage ids, sub-stages included) go.

    A supply stops when its supplier is removed, when its stage is removed, or when its supplier
    has lost every supplier of a material input from which the supplied stage is made (the
    input's stage or a stage FEEDS-downstream of it; support-tier inputs such as machinery do not
    stop deliveries). A customer whose suppliers of a stage all stop has lost that input. Worked
    out to a fixed point, a wave of supplies at a time on the arrays of :class:`_Supplies` (the
    fixed point does not depend on the order: :func:`_reference_cascade` takes one supply at a
    time). ``limit`` caps the enterprises listed (their total is always given).
    """
    s = world.supplies
    out_codes = np.array(sorted(s.firm_code[f] for f in firms_out if f in s.firm_code), dtype=np.int64)
    out = np.zeros(len(s.firms), dtype=bool)
    out[out_codes] = True
    # Only what the cascade touches is visited (a bottlenecks report runs 500 of them): no pass
    # over every supply or purchase.
    cut = np.zeros(len(s.group), dtype=bool)
    wave, _ = _ragged(s.by_supplier, s.supplier_start, out_codes)
    removed = [s.stage_code[x] for x in stages_out if x in s.stage_code]
    if removed:
        wave = _distinct(np.concatenate([wave, np.flatnonzero(np.isin(s.stage[s.group], removed))]))
    count = np.zeros(len(s.size), dtype=np.int64)  # purchase → its suppliers that stopped
    supplies_cut = 0
    lost_parts = []
    while len(wave):
        cut[wave] = True
        supplies_cut += len(wave)
        groups = s.group[wave]
        np.add.at(count, groups, 1)
        lost_now = _distinct(groups[count[groups] == s.size[groups]])  # (a purchase's last suppliers may stop at once)
        lost_parts.append(lost_now)
        # a firm still in business that lost a material input stops what that input is made into
        lost_now = lost_now[~out[s.customer[lost_now]] & s.material[s.stage[lost_now]]]
        edges, owner = _ragged(s.by_supplier, s.supplier_start, s.customer[lost_now])
        onward = edges[world.reaches(s.stage_top[s.stage[lost_now]][owner], s.edge_top[edges])]
        wave = _distinct(onward[~cut[onward]])
    lost_groups = np.concatenate(lost_parts) if lost_parts else np.zeros(0, dtype=np.int64)  # purchases left with no supplier
    lost_by = s.customer[lost_groups]
    disrupted = _distinct(lost_by[~out[lost_by]])  # in id order
    in_scope = world.in_scope_code[disrupted]
    ranked = disrupted[np.lexsort((disrupted, ~in_scope))]  # in scope first, then by id
    shown = ranked if limit is None else ranked[:limit]
    lost: dict[int, list[str]] = {int(c): [] for c in shown.tolist()}
    marked = np.zeros(len(s.firms), dtype=bool)
    marked[shown] = True
    listed = marked[lost_by]
    for c, t in zip(lost_by[listed].tolist(), s.stage[lost_groups[listed]].tolist()):
        lost[c].append(s.stages[t])
    enterprises = []
    for c in shown.tolist():
        e = s.firms[c]
        enterprises.append({"enterprise": e, "name": world.names.get(e, e), "region": world.region_of.get(e),
                            "in_scope": world.in_scope(e), "lost": sorted(lost[c])})

    # (firm, top-level stage) pairs that stop: every pair of a removed firm; a disrupted firm's
    # stages its lost material inputs are made into; a stage whose every operation of the firm
    # was in a removed stage. Only in-scope firms have pairs.
    removed_pairs, _ = _ragged(None, world.pair_start, out_codes)
    material = ~out[lost_by] & s.material[s.stage[lost_groups]]
    hit, owner = _ragged(None, world.pair_start, lost_by[material])
    hit = hit[world.reaches(s.stage_top[s.stage[lost_groups[material]]][owner], world.pair_top[hit])]
    emptied = [(s.firm_code[firm], world.top_index[top]) for top in {world.chain.top.get(x) for x in stages_out} - {None}
               for firm, ops in world.firms[top].items() if not (ops - stages_out)]
    if emptied:
        width = max(len(world.tops), 1)  # a pair's place among the sorted pair codes
        hit = np.concatenate([hit, np.searchsorted(world.pair_firm * width + world.pair_top, [f * width + t for f, t in emptied])])
    per_top = np.bincount(world.pair_top[_distinct(np.concatenate([removed_pairs, hit]))], minlength=len(world.tops))
    stopped = {world.tops[t]: int(per_top[t]) for t in np.flatnonzero(per_top).tolist()}
    stages_lost, weakened, downstream = _stage_effects(world, stopped, stages_out, min_firms)
    return {
        "supplies_cut": supplies_cut,
        "enterprises_total": len(disrupted),
        "enterprises_in_scope": int(in_scope.sum()),
        "enterprises": enterprises,
        "stages_lost": stages_lost,
        "stages_weakened": weakened,
        "stages_downstream": downstream,
    }


def _stage_effects(world: _World | _ReferenceWorld, stopped: dict[str, int], stages_out: set[str], min_firms: int) -> tuple[list, list, list]:
    """(stages lost, stages weakened below ``min_firms``, stages downstream of a lost one that
    still have firms) once ``stopped[stage]`` of each top-level stage's firms stopped delivering
    it and ``stages_out`` were removed: the same for either world (:class:`_World`,
    :class:`_ReferenceWorld`)."""
    # a removed stage that had no firm (in scope) takes nothing away: not lost, cuts off nothing
    removed_tops = {t for t in (world.chain.top.get(x) for x in stages_out)
                    if t and set(world.chain.members[t]) <= stages_out and world.firms[t]}
    stages_lost, weakened = [], []
    for stage in sorted(set(stopped) | removed_tops, key=world.order.get):
        before = len(world.firms[stage])
        after = 0 if stage in removed_tops else before - stopped[stage]
        row = {"stage": stage, "name": world.stage_name(stage), "before": before, "after": after}
        if stage in removed_tops or (before and not after):
            stages_lost.append(row)
        elif before >= min_firms > after:
            weakened.append(row)
    lost_ids = {row["stage"] for row in stages_lost}
    inputs = world.inputs_lost(lost_ids)
    downstream = []
    for stage in sorted(inputs.keys() - lost_ids, key=world.order.get):
        active = len(world.firms[stage]) - stopped.get(stage, 0)
        if active > 0:
            downstream.append({"stage": stage, "name": world.stage_name(stage), "enterprises": active, "inputs_lost": inputs[stage]})
    return stages_lost, weakened, downstream


# -- the reference: the same world and cascade on dicts and sets ----------------------------

@dataclass
class _ReferenceWorld:
    """The supply world as dicts and sets: the straightforward reading, kept as the reference
    the parity tests hold :class:`_World` and :func:`_cascade` to."""

    chain: StageChain
    regions: set[str] | None
    names: dict[str, str]
    region_of: dict[str, str | None]
    # top-level stage → in-scope enterprise → the (sub-)stages it operates in there
    firms: dict[str, dict[str, set[str]]]
    stages_of: dict[str, set[str]]  # in-scope enterprise → top-level stages
    # (customer, stage bought) → suppliers, from SUPPLIES relationships that name a stage
    groups: dict[tuple[str, str], set[str]]
    # (in-scope enterprise, stage) → (stated capacity or None, unit or None)
    capacity: dict[tuple[str, str], tuple[float | None, str | None]] = field(default_factory=dict)
    supplier_groups: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # supplier → its groups
    groups_by_stage: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    reach: dict[str, set[str]] = field(default_factory=dict)  # top-level stage → it and all below it
    order: dict[str, int] = field(default_factory=dict)  # top-level stage → place in chain order

    def in_scope(self, enterprise: str) -> bool:
        return self.regions is None or self.region_of.get(enterprise) in self.regions

    def stage_name(self, stage: str) -> str:
        return self.names.get(stage, stage)

    def blocked_by(self, stage: str) -> set[str]:
        """The top-level stages a firm can no longer deliver once it lacks ``stage``: the stage's
        own top-level stage and everything FEEDS-downstream of it. Nothing for a support-tier
        stage: a firm without its machinery or R&D supplier still runs what it has."""
        top = self.chain.top.get(stage)
        if top is None or self.chain.tier(top) == "support":
            return set()
        return self.reach[top]

    def concentrated(self, threshold: float) -> list[str]:
        return [stage for stage, firms in self.firms.items() if firms]

    def inputs_lost(self, lost: set[str]) -> dict[str, list[str]]:
        """Each top-level stage with firms in scope FEEDS-downstream of a stage in ``lost`` (or
        on its cycle), with the stages of ``lost`` it is below, sorted; the stages of ``lost``
        themselves left out."""
        below = set().union(*(self.reach[x] for x in lost)) - lost
        return {stage: sorted(x for x in lost if stage in self.reach[x]) for stage in below if self.firms[stage]}

    def downstream(self, stage: str) -> tuple[int, int]:
        """(stages, distinct firms) FEEDS-downstream of ``stage`` that have firms in scope. The
        stages of its own FEEDS cycle are not below it (as in the gaps report): through a cycle
        every member reaches every other, which says nothing about what depends on what."""
        graph_c, component, _ = condensed(self.chain)
        own = graph_c.nodes[component[stage]]["members"]
        below = [s for s in self.reach[stage] if s not in own and self.firms.get(s)]
        return len(below), len(set().union(*(self.firms[s] for s in below))) if below else 0

    def capacities(self, stage: str) -> dict[tuple[str, str], tuple[float | None, str | None]]:
        return self.capacity

    def sole_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for suppliers in self.groups.values():
            if len(suppliers) == 1:
                counts[next(iter(suppliers))] += 1
        return dict(counts)

    def tops_of(self, firm: str) -> list[str]:
        return sorted(self.stages_of.get(firm, ()))

    def sole_purchases(self, firm: str) -> list[tuple[str, str]]:
        return [(c, s) for (c, s) in self.supplier_groups.get(firm, ()) if self.groups[(c, s)] == {firm}]


def _reference_read_world(store: GraphStore, chain: StageChain, regions: set[str] | None) -> _ReferenceWorld:
    firms: dict[str, dict[str, set[str]]] = {s: {} for s in chain.graph}
    stages_of: dict[str, set[str]] = defaultdict(set)
    region_of: dict[str, str | None] = {}
    capacity: dict[tuple[str, str], tuple[float | None, str | None]] = {}
    for op in queries(store).operations(regions=regions):
        if op.stage in chain.top:
            top = chain.top[op.stage]
            firms[top].setdefault(op.enterprise, set()).add(op.stage)
            stages_of[op.enterprise].add(top)
            region_of[op.enterprise] = op.region
            capacity[(op.enterprise, op.stage)] = (op.capacity, op.unit)
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    # ends only: a national graph has hundreds of thousands of supplies, their properties unused
    for _, supplier, customer, stage in queries(store).links(["SUPPLIES"]):
        if stage:
            groups[(customer, stage)].add(supplier)
    supplier_groups: dict[str, list] = defaultdict(list)
    groups_by_stage: dict[str, list] = defaultdict(list)
    for group in sorted(groups):
        groups_by_stage[group[1]].append(group)
        for supplier in sorted(groups[group]):
            supplier_groups[supplier].append(group)
    names = _stage_names(store, chain)
    # every enterprise's name and region in one light query (no properties parsed)
    columns = store.projection_columns(["Enterprise"], [])
    names.update(zip(columns.ids, columns.names))
    region_of.update(zip(columns.ids, columns.regions))
    order = chain.memo("order_index", lambda: {s: i for i, s in enumerate(chain_order(chain))})
    return _ReferenceWorld(chain, regions, names, region_of, firms, dict(stages_of), dict(groups), capacity,
                  dict(supplier_groups), dict(groups_by_stage), _Reach(chain.graph), order)


def _reference_cascade(world: _ReferenceWorld, firms_out: set[str], stages_out: set[str], min_firms: int, limit: int | None = None) -> dict:
    """What goes when ``firms_out`` and ``stages_out`` (stage ids, sub-stages included) go.

    A supply stops when its supplier is removed, when its stage is removed, or when its supplier
    has lost every supplier of a material input from which the supplied stage is made (the
    input's stage or a stage FEEDS-downstream of it; support-tier inputs such as machinery do not
    stop deliveries). A customer whose suppliers of a stage all stop has lost that input. Worked
    out to a fixed point. ``limit`` caps the enterprises listed (their total is always given).
    """
    cut: dict[tuple[str, str], set[str]] = defaultdict(set)  # group → its suppliers that stopped
    lost: dict[str, set[str]] = defaultdict(set)  # enterprise → inputs it has no supplier of
    work: list[tuple[str, str]] = []  # (supplier, group) supplies to stop
    for firm in sorted(firms_out):
        work.extend((firm, group) for group in world.supplier_groups.get(firm, ()))
    for stage in sorted(stages_out):
        for group in world.groups_by_stage.get(stage, ()):
            work.extend((supplier, group) for supplier in sorted(world.groups[group]))
    supplies_cut = 0
    while work:
        supplier, group = work.pop()
        if supplier in cut[group]:
            continue
        cut[group].add(supplier)
        supplies_cut += 1
        customer, stage = group
        if len(cut[group]) < len(world.groups[group]) or stage in lost[customer]:
            continue
        lost[customer].add(stage)
        if customer in firms_out:
            continue
        blocked = world.blocked_by(stage)
        work.extend(
            (customer, onward) for onward in world.supplier_groups.get(customer, ())
            if world.chain.top.get(onward[1]) in blocked
        )

    disrupted = sorted((e for e in lost if lost[e] and e not in firms_out), key=lambda e: (not world.in_scope(e), e))
    shown = disrupted if limit is None else disrupted[:limit]
    enterprises = [{
        "enterprise": e, "name": world.names.get(e, e), "region": world.region_of.get(e), "in_scope": world.in_scope(e),
        "lost": sorted(lost[e]),
    } for e in shown]

    # Firms that stop delivering a stage: removed ones, ones whose every operation there was in a
    # removed stage, and disrupted ones for the stages their lost inputs are made into. Only
    # these are visited, so a cascade costs what it touches, not the size of the stages.
    candidates = set(firms_out) | set(disrupted)
    for stage in stages_out:
        top = world.chain.top.get(stage)
        if top is not None:
            candidates |= {f for f, ops in world.firms[top].items() if ops & stages_out}
    stopped: dict[str, int] = defaultdict(int)
    for firm in candidates:
        cannot = set().union(*(world.blocked_by(k) for k in lost.get(firm, ())))
        for stage in world.stages_of.get(firm, ()):
            if firm in firms_out or not (world.firms[stage][firm] - stages_out) or stage in cannot:
                stopped[stage] += 1
    stages_lost, weakened, downstream = _stage_effects(world, stopped, stages_out, min_firms)
    return {
        "supplies_cut": supplies_cut,
        "enterprises_total": len(disrupted),
        "enterprises_in_scope": sum(1 for e in disrupted if world.in_scope(e)),
        "enterprises": enterprises,
        "stages_lost": stages_lost,
        "stages_weakened": weakened,
        "stages_downstream": downstream,
    }


def _cascade_reasons(world: _World, cascade: dict, scope: str, lang: str = "en") -> list[str]:
    reasons = []
    total = cascade["enterprises_total"]
    if total:
        named = [e["name"] + ": " + "/".join(world.stage_name(s) for s in e["lost"]) for e in cascade["enterprises"]]
        reasons.append(
            message("bn.lose_supplier", lang, total=total, names=_listing(named, total, lang=lang))
            + (message("bn.lose_in_scope", lang, n=cascade['enterprises_in_scope'], scope=scope) if world.regions is not None
               else message("bn.end", lang))
        )
    if cascade["stages_lost"]:
        reasons.append(message("bn.stages_lost", lang, n=len(cascade['stages_lost']), scope=scope,
                               names=_listing([r['name'] for r in cascade['stages_lost']], lang=lang)))
    if cascade["stages_weakened"]:
        weakened = [message("bn.weakened", lang, name=r['name'], before=r['before'], after=r['after']) for r in cascade["stages_weakened"]]
        reasons.append(message("bn.stages_weakened", lang, n=len(weakened), scope=scope, names=_listing(weakened, lang=lang)))
    if cascade["stages_downstream"]:
        reasons.append(message("bn.stages_downstream", lang, n=len(cascade['stages_downstream']),
                               names=_listing([r['name'] for r in cascade['stages_downstream']], lang=lang)))
    return reasons


def _cascade_score(cascade: dict) -> int:
    return cascade["enterprises_in_scope"] + len(cascade["stages_lost"]) + len(cascade["stages_weakened"])


# -- the reports ----------------------------------------------------------------------------

def _check_params(hhi_threshold: float, min_firms: int) -> None:
    HHI_THRESHOLD.check(hhi_threshold)
    CRITICAL_MIN_FIRMS.check(min_firms)


def _named(store: GraphStore, text: str) -> str | None:
    try:
        return resolve(store, text, ["Enterprise", "Stage"], parameter="remove")
    except NotFound:
        return None


def _scope(store: GraphStore, region: str | None, lang: str = "en") -> tuple[set[str] | None, str]:
    """(the region's ids, its name) for a region id (names resolved beforehand: check_region)."""
    if region is None:
        return None, message("bn.whole", lang)
    regions = region_descendants(store, region)
    return regions, get_node(store, region).name


@of_one_version
@gc_paused()  # the supply world is hundreds of thousands of acyclic rows (graph.collector)
def bottlenecks(store: GraphStore, region: str | None = None, *, hhi_threshold: float = 0.5, min_firms: int = 1,
                top: int | None = None, scope: str = "auto", scope_depth: int | None = None, source: str | None = None,
                sink: str | None = None, rollup: str = "auto", pairs: str = "keep", chain: str | None = None, lang: str | None = None,
                max_listed: int | None = None) -> BottlenecksReport:
    """Where the chain can snap: chokepoint stages, single-source stages, critical enterprises.

    See the module docstring for each kind's definition and score.

    Parameters
    ----------
    store : GraphStore
    region : str, optional
        Count firms, single sources and critical enterprises in this region (and its
        sub-regions); the whole graph when None. Chokepoints are a property of the chain itself.
    hhi_threshold : float
        A stage whose HHI exceeds this is ``single_source``.
    min_firms : int
        With more than 1, an enterprise whose removal leaves a stage with fewer firms than this
        is critical too (match the ``min_firms`` of a gaps report).
    top : int, optional
        List at most ``top`` items of each kind (the highest scores). When not given: every item
        on a chain of up to :data:`~graph.analysis.stages.FULL_LISTING_STAGES` top-level stages,
        else :data:`~graph.analysis.stages.DEFAULT_TOP` of each kind. ``counts`` count them all.
    lang : {"zh", "en"}, optional
        The language of the reasons and of the tables (:func:`graph.i18n.choose_lang`).
    max_listed : int, optional
        Refuse (TooExpensive, naming ``top``) a ``top`` that could list more items than this
        (:func:`most_listed`): default the environment's CHAINX_MAX_LISTED_ITEMS, else
        :data:`graph.params.MAX_LISTED_ITEMS`'s.

    Suspects of being critical are the sole suppliers of some purchase and the firms of a stage
    with exactly 1 or ``min_firms`` firms. Each gets a cheap direct count — purchases it is the
    only supplier of, plus stages it is the last (or the ``min_firms``-th) firm of — and only
    the :data:`CASCADE_LIMIT` suspects with the highest count (then by id) get the full cascade;
    ``critical_screening`` says how many suspects there were and how many were followed.

    Returns
    -------
    BottlenecksReport
        ``region``, ``hhi_threshold``, ``min_firms``, ``sources``, ``end_products``, ``counts``,
        ``listed``, ``critical_screening``, ``items`` (kind, node, name, score, reasons, ...),
        items by kind, score (highest first), then id. A critical enterprise's ``cascade`` is
        :func:`whatif`'s, listing at most 20 of the enterprises that lose supply
        (``enterprises_total`` counts them all).

    Examples
    --------
    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Stage", "yarn", "Yarn"), Node("Stage", "cloth", "Cloth"),
    ...            Node("Enterprise", "mill", "Mill"), Node("Enterprise", "weaver", "Weaver")],
    ...     relationships=[Relationship("FEEDS", "yarn", "cloth"),
    ...                    Relationship("OPERATES_IN", "mill", "yarn"),
    ...                    Relationship("OPERATES_IN", "weaver", "cloth"),
    ...                    Relationship("SUPPLIES", "mill", "weaver", "yarn")]))
    >>> [(i.kind, i.node) for i in bottlenecks(store).items]  # doctest: +NORMALIZE_WHITESPACE
    [('chokepoint', 'yarn'), ('single_source', 'yarn'), ('single_source', 'cloth'),
     ('critical_enterprise', 'mill'), ('critical_enterprise', 'weaver')]
    """
    _check_params(hhi_threshold, min_firms)
    region = check_region(store, region) if region is not None else None
    regions, scope_name = _scope(store, region)
    chain, used = chain_in_scope(store, regions=regions, region_label=scope_name if region else None, scope=scope, depth=scope_depth,
                                 source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain)
    lang = choose_lang(lang, (chain.name(s) for s in chain.graph))
    scope = scope_name if region else message("bn.whole", lang)
    limit = listing_limit(top, len(chain.graph))
    _check_listing(limit, len(chain.graph), max_listed)
    world = _world(store, chain, regions)
    sources, sinks = _ends(chain)
    items = chokepoints(chain, lang)
    if regions is not None:
        for item in items:
            count = len(world.firms[item["node"]])
            item["local_enterprises"] = count
            item["reasons"].insert(-1, message("bn.local", lang, scope=scope, count=count))

    items += _single_sources(world, scope, hhi_threshold, lang)

    # Only a sole supplier of some purchase, or a firm of a stage on the edge of emptying or
    # turning weak, can set anything off; the cascade decides whether it matters in scope.
    direct: dict[str, int] = defaultdict(int, world.sole_counts())  # suspect → purchases and stages it alone holds up
    for firms in world.firms.values():
        if len(firms) in (1, min_firms):
            for firm in firms:
                direct[firm] += 1
    suspects = sorted(direct, key=lambda f: (-direct[f], f))
    followed = suspects[:CASCADE_LIMIT]
    critical = []
    for firm in sorted(followed):
        cascade = _cascade(world, {firm}, set(), min_firms, limit=_CASCADE_LISTED)
        score = _cascade_score(cascade)
        if not score:
            continue
        reasons = []
        sole = world.sole_purchases(firm)
        if sole:
            # a national champion is the sole supplier of thousands: only the names listed are spelt out
            reasons.append(message("bn.sole_supplier", lang, purchases=_listing(
                (message("bn.supply_to", lang, stage=world.stage_name(s), buyer=world.names.get(c, c)) for c, s in sole[:_NAMES_IN_REASON]),
                len(sole), lang=lang)))
        for stage in sorted(world.tops_of(firm), key=world.order.get):
            count = len(world.firms[stage])
            if count == 1:
                reasons.append(message("bn.only_firm", lang, scope=scope, stage=world.stage_name(stage)))
            elif count == min_firms:
                reasons.append(message("bn.below_min", lang, stage=world.stage_name(stage), left=count - 1, scope=scope, min_firms=min_firms))
        reasons += _cascade_reasons(world, cascade, scope, lang)
        reasons.append(message("bn.critical_score", lang, firms=cascade['enterprises_in_scope'], lost=len(cascade['stages_lost']),
                               weakened=len(cascade['stages_weakened']), score=score))
        critical.append({
            "kind": "critical_enterprise", "node": firm, "name": world.names.get(firm, firm), "score": float(score),
            "region": world.region_of.get(firm), "reasons": reasons, "cascade": cascade,
            "downstream_firms": sum(row["enterprises"] for row in cascade["stages_downstream"]),
        })
    # equal scores: the firms whose loss reaches the most firms downstream first, never the id alone
    critical.sort(key=lambda i: (-i["score"], -i["downstream_firms"], i["node"]))
    items += critical
    counts = {kind: sum(1 for i in items if i["kind"] == kind) for kind in KINDS}
    if limit is not None:
        kept = defaultdict(int)
        listed = []
        for item in items:  # already by kind, then score
            if kept[item["kind"]] < limit:
                kept[item["kind"]] += 1
                listed.append(item)
        items = listed
    report = BottlenecksReport.model_construct(
        region=region, scope=scope, chain_scope=Scope.model_construct(**used.as_dict()), cycles=cycle_summary(chain, world.firms),
        hhi_threshold=hhi_threshold, min_firms=min_firms,
        sources=sources, end_products=sinks,
        counts=counts,
        listed=BottlenecksListed.model_construct(top=limit, complete=len(items) == sum(counts.values()),
                                                 **{kind: sum(1 for i in items if i["kind"] == kind) for kind in KINDS}),
        critical_screening=CriticalScreening.model_construct(
            suspects=len(suspects), cascades=len(followed), limit=CASCADE_LIMIT, complete=len(followed) == len(suspects),
            rule=(message("bn.rule_all", lang, n=len(suspects)) if len(followed) == len(suspects) else
                  message("bn.rule_some", lang, followed=len(followed), n=len(suspects))),
        ),
        items=[_item(item) for item in items],
    )
    report._lang = lang
    return report


def _cascade_model(cascade: dict) -> Cascade:
    return Cascade.model_construct(**_cascade_fields(cascade))


def _cascade_fields(cascade: dict) -> dict:
    return {
        **cascade,
        "enterprises": [Disrupted.model_construct(**e) for e in cascade["enterprises"]],
        "stages_lost": [StageChange.model_construct(**r) for r in cascade["stages_lost"]],
        "stages_weakened": [StageChange.model_construct(**r) for r in cascade["stages_weakened"]],
        "stages_downstream": [DownstreamStage.model_construct(**r) for r in cascade["stages_downstream"]],
    }


def _item(item: dict) -> Chokepoint | SingleSource | CriticalEnterprise:
    """A bottleneck item (worked out as a dict) as its report row."""
    if item["kind"] == "chokepoint":
        return Chokepoint.model_construct(**item)
    if item["kind"] == "single_source":
        return SingleSource.model_construct(**{**item, "shares": [Share.model_construct(**s) for s in item["shares"]]})
    return CriticalEnterprise.model_construct(**{**item, "cascade": _cascade_model(item["cascade"])})


def most_listed(top: int | None, stages: int) -> int:
    """The most items a bottlenecks report lists with ``top`` (None: all) on a chain of
    ``stages`` top-level stages: a chokepoint and a single-source item per stage at most, and a
    critical enterprise per followed suspect (at most :data:`CASCADE_LIMIT`).

    >>> most_listed(None, 31), most_listed(10, 31), most_listed(100_000, 50_000)
    (562, 30, 100500)
    """
    per_stage = stages if top is None else min(top, stages)
    return 2 * per_stage + (CASCADE_LIMIT if top is None else min(top, CASCADE_LIMIT))


def _check_listing(top: int | None, stages: int, max_listed: int | None) -> None:
    limit = budget(MAX_LISTED_ITEMS, MAX_LISTED_ITEMS_ENV, max_listed)
    listed = most_listed(top, stages)
    if listed <= limit:
        return
    # the largest top that fits (most_listed grows with top), if even top=1 does
    low, high = 0, int(LISTING_TOP.maximum)
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if most_listed(middle, stages) <= limit else (low, middle - 1)
    advice = f"ask for top={low} or less" if low >= 1 else "narrow the chain read (region, scope, from/to)"
    asked = f"top={top}" if top is not None else "no top (every item)"
    raise TooExpensive("top", f"{asked} on a chain of {stages:,} top-level stages could list up to {listed:,} items, each with its "
                              f"reasons, over the limit of {limit:,}; {advice}, or raise the limit with {MAX_LISTED_ITEMS_ENV}")


def _single_sources(world: _World, scope: str, threshold: float, lang: str = "en") -> list[dict]:
    items = []
    for stage in world.concentrated(threshold):
        firms = world.firms[stage]
        stated_capacity = world.capacities(stage)
        # A firm's capacity in a stage adds up its capacities in the stage's sub-stages.
        capacity: dict[str, float] = {}
        units = set()
        stated = True
        for firm, ops in firms.items():
            for sub in ops:
                value, unit = stated_capacity[(firm, sub)]
                if value is None or value <= 0:
                    stated = False
                capacity[firm] = capacity.get(firm, 0.0) + (value or 0.0)
                units.add(unit)
        basis = "capacity" if stated and len(units) == 1 else "firm_count"
        weights = capacity if basis == "capacity" else {f: 1.0 for f in firms}
        index = hhi(weights.values())
        single = len(firms) == 1
        if not (single or index > threshold):
            continue
        total = sum(weights.values())
        top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
        reasons = []
        if single:
            reasons.append(message("bn.only_one", lang, scope=scope, name=world.names.get(top[0][0], top[0][0])))
        if basis == "capacity":
            unit = next(iter(units))
            shares = joined((f"{world.names.get(f, f)} {w / total:.0%}" for f, w in top[:_NAMES_IN_REASON]), lang)
            reasons.append(message("bn.capacity_shares", lang, unit=unit or message("bn.no_unit", lang), shares=shares, index=index))
        else:
            why = message("bn.units_differ" if stated else "bn.not_stated", lang)
            reasons.append(message("bn.equal_shares", lang, n=len(firms), why=why, index=index))
        if index > threshold:
            reasons.append(message("bn.exceeds", lang, index=index, threshold=threshold))
        below, below_firms = world.downstream(stage)
        if below:
            reasons.append(message("bn.depend", lang, n=below, firms=below_firms, scope=scope))
        reasons.append(message("bn.hhi_score", lang, index=index))
        items.append({
            "kind": "single_source", "node": stage, "name": world.stage_name(stage), "score": round(index, 6),
            "reasons": reasons, "enterprises": len(firms), "hhi": round(index, 6), "basis": basis,
            "shares": [{"enterprise": f, "share": round(w / total, 6)} for f, w in top],
            "downstream_stages": below, "downstream_firms": below_firms,
        })
    # equal scores (every sole firm's HHI is 1): what depends on it first, never the id alone
    items.sort(key=lambda i: (-i["score"], -i["downstream_firms"], -i["downstream_stages"], i["node"]))
    return items


@of_one_version
@gc_paused()
def whatif(store: GraphStore, remove: Iterable[str], region: str | None = None, *, min_firms: int = 1, scope: str = "auto",
           scope_depth: int | None = None, source: str | None = None, sink: str | None = None, rollup: str = "auto", pairs: str = "keep", chain: str | None = None,
           lang: str | None = None) -> WhatIfReport:
    """What goes if the enterprises and stages in ``remove`` go: the cascade of the module
    docstring, as a report.

    Removing a stage removes its sub-stages too: supplies of it stop, firms stop operating in it.

    Returns
    -------
    WhatIfReport
        ``region``, ``removed`` (id, name, kind), ``supplies_cut``, ``enterprises_total``,
        ``enterprises_in_scope``, ``enterprises`` (enterprise, name, region, in_scope, lost),
        ``stages_lost`` and ``stages_weakened`` (stage, name, before, after),
        ``stages_downstream`` (stage, name, enterprises, inputs_lost), ``score``, ``reasons``;
        the score is counted as for a critical enterprise.

    Examples
    --------
    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B"), Node("Enterprise", "c", "C"),
    ...            Node("Stage", "s", "S"), Node("Stage", "t", "T")],
    ...     relationships=[Relationship("FEEDS", "s", "t"),
    ...                    Relationship("SUPPLIES", "a", "b", "s"), Relationship("SUPPLIES", "b", "c", "t")]))
    >>> [(e.enterprise, e.lost) for e in whatif(store, ["a"]).enterprises]
    [('b', ['s']), ('c', ['t'])]
    >>> whatif(store, ["zz"])
    Traceback (most recent call last):
    graph.errors.NotFound: unknown id(s) to remove: zz
    """
    remove = list(dict.fromkeys(remove))
    if not remove:
        raise InvalidParameter("remove", "give at least one enterprise or stage id")
    CRITICAL_MIN_FIRMS.check(min_firms)
    found = {n.id: n for n in store.nodes(ids=remove)}
    # a name or alias stands for its id (graph.names); what names nothing stays unknown
    remove = list(dict.fromkeys(i if i in found else _named(store, i) or i for i in remove))
    found = {n.id: n for n in store.nodes(ids=remove)}
    unknown = [i for i in remove if i not in found]
    if unknown:
        raise NotFound(f"unknown id(s) to remove: {', '.join(unknown)}")
    wrong = [f"{i} is a {found[i].label}" for i in remove if found[i].label not in ("Enterprise", "Stage")]
    if wrong:
        raise InvalidParameter("remove", f"only enterprises and stages can be removed: {'; '.join(wrong)}")
    region = check_region(store, region) if region is not None else None
    regions, scope_name = _scope(store, region)
    chain, used = chain_in_scope(store, regions=regions, region_label=scope_name if region else None, scope=scope, depth=scope_depth,
                                 source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain)
    lang = choose_lang(lang, (chain.name(s) for s in chain.graph))
    scope = scope_name if region else message("bn.whole", lang)
    world = _world(store, chain, regions)
    firms_out = {i for i in remove if found[i].label == "Enterprise"}
    stages_out = set().union(*(chain.below(i) for i in remove if found[i].label == "Stage"))
    cascade = _cascade(world, firms_out, stages_out, min_firms)
    score = _cascade_score(cascade)
    reasons = [message("wi.removed", lang, names=_listing((found[i].name for i in remove), lang=lang))]
    idle = [found[i].name for i in remove if found[i].label == "Stage" and not world.firms.get(chain.top.get(i, ""))]
    if idle:
        reasons.append(message("wi.idle", lang, names=_listing(idle, lang=lang), scope=scope))
    reasons += _cascade_reasons(world, cascade, scope, lang) or [message("wi.nothing", lang)]
    report = WhatIfReport.model_construct(
        region=region, scope=scope, chain_scope=Scope.model_construct(**used.as_dict()), cycles=cycle_summary(chain, world.firms),
        min_firms=min_firms,
        removed=[NodeRef.model_construct(id=i, name=found[i].name, kind=found[i].label) for i in remove],
        **_cascade_fields(cascade), score=score, reasons=reasons,
    )
    report._lang = lang
    return report
