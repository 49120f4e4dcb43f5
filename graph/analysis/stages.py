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

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import networkx as nx

from graph.cache import VersionedCache
from graph.fastproj import fast_projection
from graph.params import DEFAULT_TOP, FULL_LISTING_STAGES, LISTING_TOP, PAIRS, ROLLUP
from graph.reach import reachable
from graph.reports import CycleListing, Cycles, FeedsCycle, FeedsCycles
from graph.store.base import GraphStore, projection_weight
from graph.store.queries import queries

from .reasons import NAMES_IN_REASON

__all__ = [
    "StageChain", "stage_chain", "build_stage_chain", "ROLLUP_MAX_BELOW", "cycles", "cycle_summary", "feeds_cycles", "cycles_of", "chain_order", "condensed", "stage_betweenness",
    "EXACT_BETWEENNESS_STAGES", "BETWEENNESS_K", "BETWEENNESS_SEED", "FULL_LISTING_STAGES", "DEFAULT_TOP",
    "listing_limit", "Hierarchy", "stage_hierarchy", "build_hierarchy", "scoped_chain", "walk_starts", "chain_size",
]

_TIER_RANK = {"upstream": 0, "midstream": 1, "downstream": 2, "support": 3}

# Stage betweenness (the B of a gap's score) is exact up to this many top-level stages: NetworkX
# runs one search per stage and sets up a dict over the whole graph for each, so its cost grows
# with the square of the stages (2,000 stages: about a second). Above it, BETWEENNESS_K sources
# are sampled with BETWEENNESS_SEED, as ``nx.betweenness_centrality(G, k, seed=...)`` samples
# them (the national chainkg chain, ~50,000 top-level stages: exact NetworkX does not finish, the
# sample takes a third of a second in igraph).
EXACT_BETWEENNESS_STAGES = 2_000
BETWEENNESS_K = 256
BETWEENNESS_SEED = 0


# Under --rollup auto a stage absorbs its sub-stages only while it is a link of the chain, not a
# category: at most ROLLUP_MAX_BELOW stages below it. A national graph has words such as 豆腐,
# 材料, 系统 or 纤维 with hundreds of products under them (chainkg: 39,537 products rolled into
# the tops of one 1,032-stage FEEDS cycle), and a broad category such as 低空经济 absorbed 220 of
# another graph's 847 stages, finance and cars included; rolled up, one broad word becomes the
# chain's chokepoint and its biggest gap, and 涤纶 disappears into 纤维. On a town's chain (the
# bundled textile one: 40 stages, at most 3 under one) auto and top agree.
ROLLUP_MAX_BELOW = 50


@dataclass
class StageChain:
    """Top-level stages and the FEEDS graph between them."""

    graph: nx.DiGraph  # nodes: top-level stage ids (with name, tier); edges: rolled-up FEEDS
    top: dict[str, str]  # every stage id → its top-level stage id
    members: dict[str, list[str]] = field(default_factory=dict)  # top-level id → its stage ids
    parents: dict[str, list[str]] = field(default_factory=dict)  # sub-stage id → the stages it is PART_OF
    rollup: str = "top"  # how sub-stages were rolled up (graph.params.ROLLUP)
    # What is worked out from the chain once and kept with it (order, betweenness, reach): a
    # cached chain serves every report of one store version.
    _memo: dict = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def memo(self, key, compute: Callable[[], object]):
        """``compute()``, worked out once per chain (the chain is read-only once built)."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = compute()
        with self._lock:
            return self._memo.setdefault(key, value)

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
        for child, parents in self.parents.items():
            for parent in parents:
                children.setdefault(parent, []).append(child)
        return reachable(children, stage) | {stage}

    def restricted(self, stages: Iterable[str]) -> StageChain:
        """The chain of these top-level stages only (and their members): a scope's chain."""
        keep = set(stages) & set(self.graph)
        graph = nx.DiGraph()
        graph.add_nodes_from((s, self.graph.nodes[s]) for s in sorted(keep))
        graph.add_edges_from((a, b) for a, b in self.graph.edges if a in keep and b in keep)
        nx.freeze(graph)
        top = {s: t for s, t in self.top.items() if t in keep}
        return StageChain(graph=graph, top=top, members={t: m for t, m in self.members.items() if t in keep},
                          parents={s: p for s, p in self.parents.items() if s in top}, rollup=self.rollup)


_chains = VersionedCache("stage chain", size=8)


def stage_chain(store: GraphStore, rollup: str = "auto", pairs: str = "keep") -> StageChain:
    """The rolled-up chain of ``store``: top-level stages and FEEDS between them.

    A stage is top-level when it is PART_OF no other stage (``rollup="top"``), when it is
    PART_OF only broad categories (``"auto"``, the default: see :data:`ROLLUP_MAX_BELOW`), or
    always (``"none"``). FEEDS links inside one top-level stage (between its sub-stages)
    disappear; the rest join the top-level stages of their ends.

    ``pairs="break"`` breaks two-way FEEDS pairs of top-level stages by :func:`broken_pairs`.

    Cached per store version (:mod:`graph.cache`), like the projections it is built from: the
    returned chain is shared and read-only (its graph is frozen).
    """
    ROLLUP.check(rollup)
    PAIRS.check(pairs)
    return _chains.get(store, (rollup, pairs), lambda: _frozen_chain(build_stage_chain(store, rollup, pairs)))


def _frozen_chain(chain: StageChain) -> StageChain:
    nx.freeze(chain.graph)
    return chain


def build_stage_chain(store: GraphStore, rollup: str = "auto", pairs: str = "keep") -> StageChain:
    """:func:`stage_chain`, uncached.

    A stage may be PART_OF several stages (a real product hierarchy has second parents). It
    rolls up along the narrowest of them (fewest stages below it; then the smallest id), so a
    product under both 服装 and 纺织品 goes with the more specific category.
    """
    ROLLUP.check(rollup)
    # the chain projection's stages and FEEDS, read lean (ids, names, tiers and link ends only,
    # no properties) and kept in its order: stages by id, each one's successors in the order the
    # store lists its links, as the projection's DiGraph would hold them
    search = queries(store)
    rows = search.stage_rows()
    attrs = {stage: (name, tier) for stage, name, tier in rows}
    succ: dict[str, dict[str, None]] = {stage: {} for stage, _, _ in rows}
    for _, source, target, _ in search.links(["FEEDS"]):
        if source in succ and target in succ:
            succ[source].setdefault(target)
    # how each stage rolls up: the one rule, worked out from the PART_OF links (and shared with
    # the scoped chains built from the same cached hierarchy)
    hierarchy = stage_hierarchy(store, rollup)
    parents = hierarchy.parents
    top = {stage: hierarchy.top_of(stage) for stage in succ}
    graph = nx.DiGraph()
    members: dict[str, list[str]] = {}
    graph.add_nodes_from((stage, {"name": attrs[stage][0], "tier": attrs[stage][1]}) for stage in sorted(succ) if top[stage] == stage)
    for stage in sorted(succ):
        members.setdefault(top[stage], []).append(stage)
    graph.add_edges_from((top[source], top[target]) for source, targets in succ.items() for target in targets if top[source] != top[target])
    if pairs == "break":  # the weights decide pairs within a tier: read only then
        weights: dict[tuple[str, str], float] = defaultdict(float)
        for rel in store.relationships(["FEEDS"]):
            if rel.source in top and rel.target in top and top[rel.source] != top[rel.target]:
                weights[top[rel.source], top[rel.target]] += projection_weight("FEEDS", rel.props)
        graph.remove_edges_from(broken_pairs(graph, weights))
    return StageChain(graph=graph, top=top, members=members, parents=parents, rollup=rollup)


@dataclass(frozen=True)
class Hierarchy:
    """How every stage rolls up (the ``top`` and ``parents`` of every :class:`StageChain`), worked
    out from the PART_OF links between stages alone: no stage row and no FEEDS link is read, so a
    scope's chain (:func:`scoped_chain`) can be built without the whole national chain."""

    parents: dict[str, list[str]]  # sub-stage id → the stages it is PART_OF, in id order
    top: dict[str, str]  # a stage with a parent → its top-level stage (any other stage is its own)
    below: dict[str, list[str]]  # top-level stage → the other stages rolled up into it, in id order
    stages: int  # stages of the store
    rollup: str

    @property
    def total(self) -> int:
        """Top-level stages of the whole chain."""
        return self.stages - sum(len(v) for v in self.below.values())

    def top_of(self, stage: str) -> str:
        return self.top.get(stage, stage)

    def members(self, top: str) -> list[str]:
        """The stages of a top-level stage, itself included, in id order (StageChain.members)."""
        below = self.below.get(top)
        return sorted([top, *below]) if below else [top]


_hierarchies = VersionedCache("stage hierarchy", size=8)


def stage_hierarchy(store: GraphStore, rollup: str = "auto") -> Hierarchy:
    """The :class:`Hierarchy` of ``store`` under ``rollup``, cached per store version."""
    ROLLUP.check(rollup)
    return _hierarchies.get(store, rollup, lambda: build_hierarchy(store, rollup))


def build_hierarchy(store: GraphStore, rollup: str = "auto") -> Hierarchy:
    """:func:`stage_hierarchy`, uncached: the roll-up rule described in :func:`build_stage_chain`."""
    parents: dict[str, list[str]] = {}
    for source, target in queries(store).stage_links("PART_OF"):
        if source != target:
            parents.setdefault(source, []).append(target)
    for stage in parents:
        parents[stage] = sorted(set(parents[stage]))
    top: dict[str, str] = {}
    if rollup != "none":
        below_counts = _below_counts(parents, cap=ROLLUP_MAX_BELOW)
        broad = {s for s, n in below_counts.items() if n > ROLLUP_MAX_BELOW} if rollup == "auto" else set()
        top = {s: t for s, t in _tops(parents, parents, below_counts, broad).items() if s != t}
    below: dict[str, list[str]] = {}
    for stage in sorted(top):
        below.setdefault(top[stage], []).append(stage)
    stages = len(queries(store).stage_rows())  # the stages alone: counts() counts every node and relationship
    return Hierarchy(parents=parents, top=top, below=below, stages=stages, rollup=rollup)


_sizes = VersionedCache("chain size", size=8)


def chain_size(store: GraphStore, rollup: str = "auto", pairs: str = "keep") -> tuple[int, int]:
    """(top-level stages, FEEDS links between them) of ``stage_chain(store, rollup, pairs)``,
    counted from the hierarchy and the FEEDS links' ends, without building the chain (with
    two-way pairs broken, the chain is built: the rule needs every pair's weights). Cached per
    store version."""
    ROLLUP.check(rollup)
    PAIRS.check(pairs)

    def compute():
        if pairs == "break":
            whole = stage_chain(store, rollup, pairs)
            return len(whole.graph), whole.graph.number_of_edges()
        h = stage_hierarchy(store, rollup)
        top = h.top
        links = {(top.get(a, a), top.get(b, b)) for a, b in queries(store).stage_links("FEEDS")}
        return h.total, sum(1 for a, b in links if a != b)

    return _sizes.get(store, (rollup, pairs), compute)


class _Links:
    """The rolled-up FEEDS links around some top-level stages, read from the store as they are
    asked for (the members' incident FEEDS links, one indexed query per batch of stages)."""

    def __init__(self, store: GraphStore, hierarchy: Hierarchy, pairs: str):
        self.store, self.h, self.pairs = store, hierarchy, pairs
        self.search = queries(store)
        self.rows: dict[str, tuple[str, object]] = {}  # stage → (name, tier); stages only
        self.checked: set[str] = set()  # ids looked up, stages or not
        self.targets: dict[str, set[str]] = defaultdict(set)  # stage → the stages of other tops it FEEDS
        self.down: dict[str, set[str]] = defaultdict(set)  # stage → every other stage it FEEDS (any top)
        self.up: dict[str, set[str]] = defaultdict(set)  # stage → every other stage FEEDING it (any top)
        self.succ: dict[str, set[str]] = {}  # expanded top-level stage → the top-level stages it feeds
        self.pred: dict[str, set[str]] = {}  # ... and those feeding it (before pairs are broken)
        self.weights: dict[tuple[str, str], dict[tuple, float]] = defaultdict(dict)  # (top, top) → {link: weight}

    def stages(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that are stages (their names and tiers read once)."""
        ids = set(ids)
        fresh = ids - self.checked
        if fresh:
            self.rows.update((stage, (name, tier)) for stage, name, tier in self.search.stage_rows(fresh))
            self.checked |= fresh
        return {s for s in ids if s in self.rows}

    def expand(self, tops: Iterable[str]) -> None:
        """Read every FEEDS link of the members of ``tops`` (top-level stages)."""
        fresh = sorted({t for t in tops if t not in self.succ})
        if not fresh:
            return
        members = [s for t in fresh for s in self.h.members(t)]
        if self.pairs == "break":  # the weights decide pairs within a tier: read only then
            rels = [(rel.identity, rel.source, rel.target, projection_weight("FEEDS", rel.props))
                    for rel in self.store.incident(members, ["FEEDS"])]
        else:
            rels = [(key, key[1], key[2], 1.0) for key in self.search.incident_keys(members, ["FEEDS"])]
        top_of = self.h.top_of
        self.stages([end for _, a, b, _ in rels for end in (a, b)] + [top_of(end) for _, a, b, _ in rels for end in (a, b)])
        for t in fresh:
            self.succ[t], self.pred[t] = set(), set()
        for identity, a, b, weight in rels:
            if a not in self.rows or b not in self.rows:
                continue
            if a != b:
                self.down[a].add(b)
                self.up[b].add(a)
            ta, tb = top_of(a), top_of(b)
            if ta == tb:
                continue
            self.targets[a].add(b)
            if ta in self.succ:
                self.succ[ta].add(tb)
            if tb in self.pred:
                self.pred[tb].add(ta)
            if self.pairs == "break":
                self.weights[ta, tb][identity] = weight

    def _weight(self, a: str, b: str) -> float:
        total = 0.0  # added up in relationships() order, as build_stage_chain adds them
        for _, weight in sorted(self.weights[a, b].items()):
            total += weight
        return total

    def _kept(self, a: str, b: str, both: bool) -> bool:
        """Whether the link a → b (top-level stages) survives ``pairs``; ``both``: b → a exists too."""
        if self.pairs != "break" or not both:
            return True
        return (a, b) not in _pair_removed(self.rows[a][1], self.rows[b][1], self._weight(a, b), self._weight(b, a), a, b)

    def fed(self, stage: str) -> set[str]:
        """The stages ``stage`` FEEDS by its own links (its top-level stage expanded): those of its
        own top-level stage, and those of others whose rolled-up link survives ``pairs``."""
        ta, top_of = self.h.top_of(stage), self.h.top_of
        return {b for b in self.down[stage] if top_of(b) == ta or self._kept(ta, top_of(b), top_of(b) in self.pred[ta])}

    def feeders(self, stage: str) -> set[str]:
        """The stages FEEDING ``stage`` by their own links (its top-level stage expanded), as :meth:`fed`."""
        tb, top_of = self.h.top_of(stage), self.h.top_of
        return {a for a in self.up[stage] if top_of(a) == tb or self._kept(top_of(a), tb, top_of(a) in self.succ[tb])}

    def after(self, top: str) -> set[str]:
        """The top-level stages ``top`` feeds in the chain (``top`` expanded)."""
        return {b for b in self.succ[top] if self._kept(top, b, b in self.pred[top])}

    def before(self, top: str) -> set[str]:
        """The top-level stages feeding ``top`` in the chain (``top`` expanded)."""
        return {a for a in self.pred[top] if self._kept(a, top, a in self.succ[top])}


def scoped_chain(store: GraphStore, seeds: Iterable[str], depth: int, rollup: str = "auto", pairs: str = "keep") -> StageChain:
    """``stage_chain(store, rollup, pairs).restricted(tops)``, where ``tops`` are the top-level
    stages of the region scope around ``seeds`` (stage ids; those not stages are ignored):
    the top-level stages of :func:`walk_starts` of the seeds and of every stage at most
    ``depth`` FEEDS links upstream of one of them or downstream of one (never up and then down).

    The walk runs over the stages' own FEEDS links, not the rolled-up chain's: a walk state is
    a stage, not its top-level stage. A link into one sub-stage of a category goes on only
    through that sub-stage's own links, not through every link of the category (chainkg's 甲酸
    holds PTA and a retinoid: rolled up first, 依曲替酯 → 芳香维甲酸 reached 聚酯 through PTA's
    links, though no chain of links joins them). A link between two sub-stages of one
    top-level stage is a step too; a link between two top-level stages is followed only where
    the chain keeps it (``pairs="break"`` removes some). The stages reached are rolled up
    afterwards into the top-level stages the report reads.

    Built from store queries around the seeds: the hierarchy (:func:`stage_hierarchy`), then the
    FEEDS links of the top-level stages reached, step by step, so a town's scope on a national
    chain reads a few hundred stages, not all of them. Its graph's nodes and links are the whole
    chain's cut to the scope, in the same order."""
    ROLLUP.check(rollup)
    PAIRS.check(pairs)
    h = stage_hierarchy(store, rollup)
    links = _Links(store, h, pairs)
    operated = links.stages(seeds)
    starts = walk_starts(h, operated)
    keep = {h.top_of(s) for s in operated}
    links.stages(keep)
    for step in (links.feeders, links.fed):
        seen, frontier = set(starts), set(starts)
        for _ in range(depth):
            links.expand({h.top_of(s) for s in frontier})
            frontier = {n for s in frontier for n in step(s) if n not in seen}
            if not frontier:
                break
            seen |= frontier
        keep |= {h.top_of(s) for s in seen}
    links.expand(keep)
    graph = nx.DiGraph()
    graph.add_nodes_from((s, {"name": links.rows[s][0], "tier": links.rows[s][1]}) for s in sorted(keep))
    members = {t: h.members(t) for t in sorted(keep)}
    for t, stages in members.items():
        kept = links.after(t) & keep
        order: dict[str, None] = {}  # the whole chain's order: by source, then target, both by id
        for source in stages:
            for target in sorted(links.targets.get(source, ())):
                if h.top_of(target) in kept:
                    order.setdefault(h.top_of(target))
        graph.add_edges_from((t, b) for b in order)
    nx.freeze(graph)
    top = {s: t for t, stages in members.items() for s in stages}
    parents = {s: h.parents[s] for s in top if s in h.parents}
    return StageChain(graph=graph, top=top, members=members, parents=parents, rollup=rollup)


def walk_starts(hierarchy: Hierarchy, operated: Iterable[str]) -> set[str]:
    """Where a region scope's walk starts (:func:`scoped_chain`): every stage a firm operates in
    (``operated``), and the stages rolled up with it into its top-level stage that are PART_OF
    it, directly or through other such stages. A firm in a top-level stage (a category itself,
    not one of its sub-stages) so starts from all of the category's stages; a firm in a
    sub-stage, from that sub-stage and the sub-stages under it, not from its siblings.

    >>> h = Hierarchy(parents={"jet": ["weave"], "air": ["weave"], "jet2": ["jet"]},
    ...               top={"jet": "weave", "air": "weave", "jet2": "weave"},
    ...               below={"weave": ["air", "jet", "jet2"]}, stages=4, rollup="top")
    >>> sorted(walk_starts(h, ["weave"])), sorted(walk_starts(h, ["jet"]))
    (['air', 'jet', 'jet2', 'weave'], ['jet', 'jet2'])
    """
    starts: set[str] = set()
    for stage in set(operated):
        top = hierarchy.top_of(stage)
        if stage == top:
            starts.update(hierarchy.members(top))
            continue
        members = set(hierarchy.members(top))
        children: dict[str, list[str]] = defaultdict(list)
        for member in members:
            for parent in hierarchy.parents.get(member, ()):
                if parent in members:
                    children[parent].append(member)
        starts |= reachable(children, stage) | {stage}
    return starts


def _pair_removed(tier_a, tier_b, weight_ab: float, weight_ba: float, a: str, b: str) -> list[tuple[str, str]]:
    """The links of the two-way pair a ⇄ b that :func:`broken_pairs` removes."""
    ranked = {"upstream": 0, "midstream": 1, "downstream": 2}
    ta, tb = ranked.get(tier_a), ranked.get(tier_b)
    if ta is not None and tb is not None and ta != tb:
        return [(b, a) if ta < tb else (a, b)]
    if weight_ab != weight_ba:
        return [(b, a) if weight_ab > weight_ba else (a, b)]
    return [(a, b), (b, a)]


def broken_pairs(graph: nx.DiGraph, weights: dict[tuple[str, str], float]) -> list[tuple[str, str]]:
    """The links ``pairs="break"`` removes from two-way pairs A ⇄ B of ``graph`` (top-level
    stages with ``tier``; ``weights`` of its links, the FEEDS weights rolled up): the link
    that runs up the tiers (upstream → midstream → downstream; support stages have no place on
    that axis), else, within one tier, the link of the smaller weight; a pair neither tells
    apart loses both links, since nothing in the data says which way it runs.

    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([("ore", {"tier": "upstream"}), ("steel", {"tier": "midstream"}), ("a", {}), ("b", {})])
    >>> g.add_edges_from([("ore", "steel"), ("steel", "ore"), ("a", "b"), ("b", "a")])
    >>> sorted(broken_pairs(g, {("ore", "steel"): 1, ("steel", "ore"): 5, ("a", "b"): 1, ("b", "a"): 1}))
    [('a', 'b'), ('b', 'a'), ('steel', 'ore')]
    """
    removed = []
    for a, b in graph.edges:
        if a < b and graph.has_edge(b, a):
            removed += _pair_removed(graph.nodes[a].get("tier"), graph.nodes[b].get("tier"),
                                     weights.get((a, b), 1.0), weights.get((b, a), 1.0), a, b)
    return removed


def _tops(stages: Iterable[str], parents: dict[str, list[str]], below: dict[str, int], broad: set[str]) -> dict[str, str]:
    """Every stage's top: up its narrowest parent that is not broad, as far as that goes.

    A stage's top is its chosen parent's top, so each walk stops at the first stage already
    settled and every PART_OF step is taken once: linear in the hierarchy, however deep (a
    3,000-deep chain walked from every stage is 4.5 million steps). The loader refuses PART_OF
    cycles; data written directly might still hold one, and a walk that comes back to a stage
    makes the cycle's smallest id the top of it and of everything below it.
    """
    def step(stage: str) -> str | None:
        options = [p for p in parents.get(stage, ()) if p not in broad]
        return min(options, key=lambda p: (below.get(p, 0), p)) if options else None

    top: dict[str, str] = {}
    for start in stages:
        if start not in parents:  # most stages of a national web: a top of its own, or already settled
            top.setdefault(start, start)
            continue
        path, position, current = [], {}, start  # path[i + 1] is path[i]'s chosen parent
        while current not in top:
            position[current] = len(path)
            path.append(current)
            nxt = step(current)
            if nxt is None:
                top[current] = current
            elif nxt in position:  # a PART_OF cycle
                cycle = path[position[nxt]:]
                top.update(dict.fromkeys(cycle, min(cycle)))
            else:
                current = nxt
                continue
            break
        # what the walk passed through goes where its parent went
        for i in range(len(path) - 1, -1, -1):
            top.setdefault(path[i], top[path[i + 1]] if i + 1 < len(path) else top[current])
    return top


def _below_counts(parents: dict[str, list[str]], cap: int) -> dict[str, int]:
    """How many distinct stages lie below each stage that has sub-stages (counting stops just
    above ``cap``: whether a category is broad is all that is asked of it)."""
    children: dict[str, list[str]] = {}
    for child, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(child)
    counts: dict[str, int] = {}
    for root in children:
        seen: set[str] = set()
        stack = [root]
        while stack and len(seen) <= cap:
            for child in children.get(stack.pop(), ()):
                if child not in seen and child != root:
                    seen.add(child)
                    stack.append(child)
        counts[root] = len(seen)
    return counts


def chain_order(chain: StageChain) -> list[str]:
    """Top-level stages from upstream to downstream: by tier (upstream, midstream, downstream,
    support), then by how many FEEDS steps lie above them (cycles count as one step), then id.

    Worked out once per chain; the list is shared, so copy it before changing it."""
    return chain.memo("order", lambda: _chain_order(chain))


def _chain_order(chain: StageChain) -> list[str]:
    graph_c, mapping, order = condensed(chain)
    level: dict[int, int] = {}
    for component in order:
        level[component] = max((level[p] + 1 for p in graph_c.predecessors(component)), default=0)
    return sorted(chain.graph, key=lambda s: (_TIER_RANK.get(chain.tier(s) or "midstream", 1), level[mapping[s]], s))


def cycles(chain: StageChain) -> list[list[str]]:
    """The FEEDS cycles of the chain: its strongly connected components of more than one stage,
    each in id order, the largest first (then by first id). Worked out once per chain.

    >>> chain = StageChain(nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")]), {s: s for s in "abc"})
    >>> cycles(chain)
    [['a', 'b']]
    """
    def compute():
        graph_c, _, _ = condensed(chain)
        found = [sorted(graph_c.nodes[c]["members"]) for c in graph_c if len(graph_c.nodes[c]["members"]) > 1]
        return sorted(found, key=lambda c: (-len(c), c[0]))

    return chain.memo("cycles", compute)


def cycle_summary(chain: StageChain, local: dict[str, set[str]], first: int = 10) -> Cycles:
    """The FEEDS cycles of the chain a report read, for the report to say that they decided
    something: how many, and the ``first`` largest with their size, first stages and names, and
    how many of the region's enterprises (``local``: top-level stage → its firms) sit in them."""
    found = cycles(chain)
    listed = [CycleListing.model_construct(
        size=len(members), stages=members[:NAMES_IN_REASON], names=[chain.name(s) for s in members[:NAMES_IN_REASON]],
        local_enterprises=len(set().union(*(local.get(s, set()) for s in members))),
    ) for members in found[:first]]
    return Cycles.model_construct(count=len(found), stages=sum(len(c) for c in found), largest=listed)


# How many cycles a stats or load line lists, and how many names of each.
CYCLES_LISTED = 5
CYCLE_NAMES = 3


def cycles_of(graph: nx.DiGraph, first: int = CYCLES_LISTED, names: int = CYCLE_NAMES) -> FeedsCycles:
    """The strongly connected components of more than one node of ``graph`` (nodes: stage ids
    with a ``name``), largest first (then by smallest id), the ``first`` largest listed with the
    ``names`` first of their stages in id order.

    >>> found = cycles_of(nx.DiGraph([("a", "b"), ("b", "a"), ("c", "d"), ("d", "e"), ("e", "c"), ("e", "f")]))
    >>> found.count, found.stages, [(c.size, c.stages) for c in found.largest]
    (2, 5, [(3, ['c', 'd', 'e']), (2, ['a', 'b'])])
    """
    found = sorted((sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1), key=lambda c: (-len(c), c[0]))
    listed = [FeedsCycle.model_construct(size=len(c), stages=c[:names], names=[graph.nodes[s].get("name", s) for s in c[:names]])
              for c in found[:first]]
    return FeedsCycles.model_construct(count=len(found), stages=sum(map(len, found)), largest=listed)


_feeds_cycles = VersionedCache("feeds cycles", size=8)


def feeds_cycles(store: GraphStore) -> FeedsCycles:
    """:func:`cycles_of` the store's FEEDS between stages (none rolled up), cached per store version.

    Read from the chain's fast projection (its ids, names and edges only, as the centralities
    read it): every load reports its cycles, and the NetworkX projection's property maps of a
    national chain took seconds to read over Bolt."""
    return _feeds_cycles.get(store, (), lambda: cycles_of(fast_projection(store, "chain").to_networkx()))


def condensed(chain: StageChain) -> tuple[nx.DiGraph, dict[str, int], list[int]]:
    """(``nx.condensation`` of the chain, stage → its component, the components in topological
    order), worked out once per chain: cycles of FEEDS collapsed, so passes up and down the
    chain visit each component once."""
    def compute():
        graph_c = nx.condensation(chain.graph)
        return graph_c, graph_c.graph["mapping"], list(nx.topological_sort(graph_c))

    return chain.memo("condensed", compute)


def condensed_adjacency(chain: StageChain) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """(successors, predecessors) of each component of :func:`condensed`'s condensation, as plain
    lists: the passes of :func:`graph.reach.carry_bits` step through them several times faster
    than through NetworkX's adjacency views (a bottlenecks report makes 500 such passes)."""
    def compute():
        graph_c = condensed(chain)[0]
        return ({c: list(after) for c, after in graph_c.succ.items()}, {c: list(before) for c, before in graph_c.pred.items()})

    return chain.memo("condensed_adjacency", compute)


def topological_position(chain: StageChain) -> dict[int, int]:
    """Each component of :func:`condensed`'s condensation → its place in topological order."""
    return chain.memo("topological_position", lambda: {c: i for i, c in enumerate(condensed(chain)[2])})


def stage_betweenness(chain: StageChain) -> tuple[dict[str, float], dict]:
    """Betweenness of every top-level stage in the rolled-up chain, and how it was computed.

    Exact (``nx.betweenness_centrality(G, normalized=True)``) up to
    :data:`EXACT_BETWEENNESS_STAGES` stages; above, sampled from :data:`BETWEENNESS_K` sources
    with :data:`BETWEENNESS_SEED`, computed by :func:`graph.accel.betweenness_centrality` (igraph,
    the values of ``nx.betweenness_centrality(G, k, seed=seed)``; sources drawn from the stages in
    id order). Worked out once per chain.

    Returns ``(values, method)`` with ``method = {"method": "exact" | "sampled", "k", "seed",
    "engine", "stages", "exact_up_to", "note"}``.

    >>> chain = StageChain(nx.DiGraph([("a", "b"), ("b", "c")]), {s: s for s in "abc"})
    >>> values, method = stage_betweenness(chain)
    >>> values["b"], method["method"], method["engine"]
    (0.5, 'exact', 'networkx')
    """
    return chain.memo("betweenness", lambda: _stage_betweenness(chain.graph))


def _stage_betweenness(graph: nx.DiGraph) -> tuple[dict[str, float], dict]:
    limit = EXACT_BETWEENNESS_STAGES
    n = len(graph)
    if n <= limit:
        values = nx.betweenness_centrality(graph, normalized=True) if n else {}
        return values, {
            "method": "exact", "k": None, "seed": None, "engine": "networkx", "stages": n, "exact_up_to": limit,
            "note": f"exact betweenness over all {n} top-level stages",
        }
    from graph import accel

    # Sources are sampled from the node list: in id order, so a seed means the same sample on
    # either store (stage_chain adds the stages in id order; sorted again in case a caller did not).
    ordered = graph if list(graph) == sorted(graph) else _sorted_copy(graph)
    values = accel.betweenness_centrality(ordered, k=BETWEENNESS_K, seed=BETWEENNESS_SEED)
    return values, {
        "method": "sampled", "k": BETWEENNESS_K, "seed": BETWEENNESS_SEED, "engine": "igraph", "stages": n, "exact_up_to": limit,
        "note": (
            f"betweenness estimated from {BETWEENNESS_K} of {n:,} top-level stages as sources (seed {BETWEENNESS_SEED}): "
            f"exact betweenness is computed up to {limit:,} stages"
        ),
    }


def _sorted_copy(graph: nx.DiGraph) -> nx.DiGraph:
    copy = nx.DiGraph()
    copy.add_nodes_from(sorted(graph.nodes(data=True)))
    copy.add_edges_from(graph.edges(data=True))
    return copy


def listing_limit(top: int | None, stages: int) -> int | None:
    """How many items a report lists (None: all): ``top`` when given (a whole number ≥ 1), else
    all on a chain of up to :data:`FULL_LISTING_STAGES` top-level stages and :data:`DEFAULT_TOP`
    on a larger one.

    >>> listing_limit(None, 31), listing_limit(None, 50_000), listing_limit(10, 31)
    (None, 200, 10)
    """
    if top is None:
        return None if stages <= FULL_LISTING_STAGES else DEFAULT_TOP
    return LISTING_TOP.check(top)
