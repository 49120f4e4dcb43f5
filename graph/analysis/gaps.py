"""Gaps: what a region's chain lacks, in the vocabulary investment-promotion staff use.

Every top-level stage of the chain gets a status in region R (sub-stages roll up into their
top-level stage, see :mod:`graph.analysis.stages`; only top-level stages are listed, since those
are what staff compare):

- ``missing``: no enterprise in R operates in the stage or any of its sub-stages;
- ``weak``: fewer than ``min_firms`` do;
- ``present``: otherwise.

Missing stages are classified along the FEEDS links of the stage graph (by reachability, so
cycles are fine): ``break`` (补链) when R has enterprises both upstream (in an ancestor stage) and
downstream (in a descendant stage), ``extension`` (延链) when on one side only, ``absent`` when
on neither. Weak stages are ``strengthen`` (强链).

Each gap's score, in [0, 1]::

    score = (D + U + B) / 3

where D = downstream_local / N (the demand a firm in the stage would find in R), U =
upstream_local / N (the supply ready for it), N = the number of R's enterprises operating in any
stage, and B = the stage's betweenness in the rolled-up stage graph (``networkx.
betweenness_centrality``, normalized=True: the share of shortest FEEDS paths between other stages
that pass through it). upstream_local and downstream_local count distinct enterprises of R in the
stage's ancestor and descendant stages.

On a national chain (tens of thousands of top-level stages) two things change, and the report
says so:

- B is exact up to :data:`graph.analysis.stages.EXACT_BETWEENNESS_STAGES` top-level stages and
  sampled above (k = :data:`~graph.analysis.stages.BETWEENNESS_K` sources, seed
  :data:`~graph.analysis.stages.BETWEENNESS_SEED`); ``stage_betweenness`` in the report gives the
  method, and each gap's reasons say when B is an estimate.
- The lists are cut: with ``top`` not given, every gap and every stage is listed when the chain
  has at most :data:`FULL_LISTING_STAGES` top-level stages, else the :data:`DEFAULT_TOP` gaps
  with the highest score. ``counts``, ``gaps_total`` and both completeness figures always cover
  every stage; ``listing`` says what was cut.

Where R's enterprises sit along FEEDS is worked out once for all stages, not by ancestors and
descendants of every stage: from the stages where R has enterprises, a search down (and one up)
the condensed stage graph visits what they reach, in topological order, carrying the sets of R's
enterprises and stages as bitsets (:func:`local_sides`).

Candidates to attract into a gap are enterprises outside R operating in the stage, scored::

    candidate score = 2·S + I + Z + C + 2·T + F

S = the number of R's enterprises it has SUPPLIES relationships with (either direction), I = the
number of institutes it collaborates with that some enterprise of R also collaborates with, Z =
its size in [0, 1]: (revenue / largest revenue + employees / largest employees) / 2 among that
stage's candidates (a figure not given counts 0). Where a dataset holds no supplies, institutes
or sizes (chainkg holds none), three signals every candidate can have rank them:

- C, its capacity in the stage, in [0, 1]: the capacity its OPERATES_IN links to the stage and
  its sub-stages state (summed), over the largest any of the stage's candidates states **in the
  same unit** (capacities compare only within one unit; of a firm stating several, the unit
  giving it most counts; none stated counts 0). chainkg's is the product's share of the firm's
  revenue (unit ``revenue_share``): a firm with 0.1% of its revenue in EVA is not an EVA maker
  the way one with 40% is.
- T, its tag affinity with R's chain, in [0, 1]: the enterprises of R's own stages (R's
  enterprises, and every enterprise elsewhere operating in a top-level stage where R has one)
  stand for the chain's industries. Each tag t of the candidate counts p(t) · ln(N / n(t)): p(t)
  the share of those enterprises (the candidate itself left out) carrying t, N the tagged
  enterprises of the whole store and n(t) those carrying t (the rarity ln(N / n(t)) is 0 for a
  tag more than half of them carry: a provenance mark such as ``illustrative`` tells no
  industries apart), so a specific tag (a Shenwan level-3 industry) counts most; T is the
  candidate's sum over the most any of the stage's candidates has. chainkg's tags are the Shenwan industry levels: a chemical-fibre maker shares
  two or three with the town's fibre and weaving stages, a game company none.
- F, its fit with the chain in [0, 1]: the other top-level stages of the chain read that it
  operates in, over the most any of that stage's candidates does (0 when none operates in another).

Ties go to the firm with the larger share of its stages inside the chain read, then by
enterprise id.

The weights: a supply tie is the strongest evidence a firm would come (2); T counts double C and
F because an industry classification describes the firm's whole business as it is, while a
product list's revenue shares and stages are what it once reported (chainkg lists 恺英网络, a game
company that made shoe soles as 泰亚股份, with 64% of its revenue in EVA soles). The firm's degree
is not a signal: on chainkg it is the number of products listed, which F already counts where it
matters and which otherwise rewards conglomerates (a property developer lists 化纤 among 17).

Without C, T and F every candidate of a national product graph scored 0 and came out in id
order, a software house ahead of a spinner for 棉纱. The report's ``candidate_signals`` says
which signals the data held at all (and C's units), so a reader knows what the ranking rests on;
each candidate's reasons give every signal with its numbers.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from operator import or_

from graph.cache import VersionedCache
from graph.collector import gc_paused
from graph.errors import InvalidParameter
from graph.i18n import choose_lang, joined, message
from graph.params import COMPARE_PEERS, GROUPS, MIN_FIRMS, REGIONS, TOP_CANDIDATES
from graph.reach import carry_bits
from graph.regions import check_region, region_descendants
from graph.reports import (
    Candidate,
    CandidateSignals,
    CompareReport,
    CompareRow,
    Gap,
    GapCounts,
    GapsListing,
    GapsReport,
    RegionCoverage,
    Scope,
    StageBetweenness,
    StageCoverage,
)
from graph.scope import chain_in_scope
from graph.store.base import GraphStore
from graph.store.queries import StageFirm, queries
from graph.store.reads import get_node

from .groups import control_groups
from .reasons import NAMES_IN_REASON as _NAMES_IN_REASON
from .reasons import listing as _listing
from .related import peer_regions, stage_density
from .stages import (
    DEFAULT_TOP,
    FULL_LISTING_STAGES,
    StageChain,
    chain_order,
    condensed,
    condensed_adjacency,
    cycle_summary,
    cycles,
    listing_limit,
    stage_betweenness,
    stage_chain,
    topological_position,
)

__all__ = ["gaps", "compare", "stage_coverage", "national_coverage", "local_sides", "LocalSides", "GAP_KINDS", "STATUSES", "FULL_LISTING_STAGES", "DEFAULT_TOP"]

STATUSES = ("missing", "weak", "present")
# the candidate score's weights (module docstring)
W_SUPPLY, W_INSTITUTE, W_SIZE, W_CAPACITY, W_TAGS, W_FIT = 2, 1, 1, 1, 2, 1
REVENUE_SHARE = "revenue_share"  # the unit of a capacity that is a share of the firm's revenue (loaders.chainkg)
_NO_SIGNALS = CandidateSignals.model_construct(supply_ties=False, shared_institutes=False, size=False, capacity=False, capacity_units=[],
                                               tags=False, chain_fit=True)
GAP_KINDS = ("break", "extension", "absent", "strengthen")


def _status(count: int, min_firms: int) -> str:
    if count == 0:
        return "missing"
    return "weak" if count < min_firms else "present"


def stage_coverage(store: GraphStore, region: str, *, chain: StageChain | None = None, regions: set[str] | None = None) -> dict[str, set[str]]:
    """R's enterprises per top-level stage: {stage id: {enterprise ids}} (every stage listed).

    Counted in the store (one query for R's OPERATES_IN relationships), then rolled up.
    ``regions`` is R and its sub-regions when the caller already has them.

    >>> from graph.store.sqlite import SqliteStore
    >>> stage_coverage(SqliteStore(":memory:", create=True), "nowhere")
    Traceback (most recent call last):
    graph.errors.NotFound: unknown region 'nowhere'
    """
    regions = region_descendants(store, region) if regions is None else regions
    chain = chain or stage_chain(store)
    local: dict[str, set[str]] = {stage: set() for stage in chain.graph}
    for op in queries(store).operations(regions=regions):
        if op.stage in chain.top:
            local[chain.top[op.stage]].add(op.enterprise)
    return local


def national_coverage(store: GraphStore, chain: StageChain, stages: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Enterprises anywhere (every region) in each of ``stages`` (top-level stages of ``chain``),
    rolled up as :func:`stage_coverage` rolls up a region's, and in each of their member stages
    on its own: ``({top-level stage: count}, {member stage: count})``.

    Read for the given stages only (a national chain has tens of thousands).

    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> from graph.analysis.stages import stage_chain
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData([Node("Stage", "a", "A"), Node("Stage", "a1", "A1"),
    ...     Node("Enterprise", "e1", "E1"), Node("Enterprise", "e2", "E2")],
    ...     [Relationship("PART_OF", "a1", "a"), Relationship("OPERATES_IN", "e1", "a"),
    ...      Relationship("OPERATES_IN", "e1", "a1"), Relationship("OPERATES_IN", "e2", "a1")]))
    >>> national_coverage(store, stage_chain(store), ["a"])
    ({'a': 2}, {'a': 1, 'a1': 2})
    """
    tops = list(stages)
    members = {m for top in tops for m in chain.members.get(top, [top])}
    by_top: dict[str, set[str]] = {top: set() for top in tops}
    by_member: dict[str, set[str]] = {m: set() for m in members}
    for op in queries(store).operations(stages=members):
        by_member[op.stage].add(op.enterprise)
        top = chain.top.get(op.stage)
        if top in by_top:
            by_top[top].add(op.enterprise)
    return {s: len(firms) for s, firms in by_top.items()}, {s: len(firms) for s, firms in sorted(by_member.items())}


@dataclass
class LocalSides:
    """Where a region's enterprises sit along FEEDS, seen from every top-level stage.

    For a stage s, its upstream is ``nx.ancestors(chain, s)`` and its downstream
    ``nx.descendants(chain, s)``, less the stages of s's own FEEDS cycle (a cycle is one link of
    the chain: what sits in it is neither upstream nor downstream of its members). Sets are bitsets (ints):
    bit i of a firm set is ``firms[i]``, bit i of a stage set is ``stages[i]`` (R's stages with
    enterprises, in id order).
    """

    firms: list[str]
    stages: list[str]
    up_firms: dict[str, int]
    down_firms: dict[str, int]
    up_stages: dict[str, int]
    down_stages: dict[str, int]

    def upstream_local(self, stage: str) -> int:
        """Distinct enterprises of R in ``stage``'s upstream stages."""
        return self.up_firms.get(stage, 0).bit_count()

    def downstream_local(self, stage: str) -> int:
        return self.down_firms.get(stage, 0).bit_count()

    def stages_above(self, stage: str, first: int | None = None) -> tuple[list[str], int]:
        """(R's stages upstream of ``stage`` in id order — the first ``first`` of them when
        given —, how many there are)."""
        return self._decode(self.up_stages.get(stage, 0), first)

    def stages_below(self, stage: str, first: int | None = None) -> tuple[list[str], int]:
        return self._decode(self.down_stages.get(stage, 0), first)

    def _decode(self, bits: int, first: int | None) -> tuple[list[str], int]:
        total, found = bits.bit_count(), []
        while bits and (first is None or len(found) < first):
            low = bits & -bits
            found.append(self.stages[low.bit_length() - 1])
            bits ^= low
        return found, total


def _spread(chain: StageChain, own: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """For bitsets ``own`` of some stages: per stage, the OR of ``own`` over its ancestors and
    over its descendants (stages with an empty result left out), a FEEDS cycle counting as one
    link: the other members of a stage's cycle are neither above nor below it.

    Works on the condensed chain (cycles collapsed): a component's ancestors are its predecessor
    components and their ancestors, so one pass in topological order carries the bits down —
    over the components reachable from those holding bits only, so a town with firms in a few
    stages costs a few searches, not the national chain.
    """
    graph_c, mapping, order = condensed(chain)
    position = topological_position(chain)
    inside: dict[int, int] = {}  # component → OR of its members' own bits
    for stage, bits in own.items():
        if bits:
            c = mapping[stage]
            inside[c] = inside.get(c, 0) | bits
    succ, pred = condensed_adjacency(chain)
    above = carry_bits(succ, pred, inside, position, downwards=True)
    beneath = carry_bits(pred, succ, inside, position, downwards=False)
    up: dict[str, int] = {}
    down: dict[str, int] = {}
    # every member of a component gets the component's sides: a cycle is one link of the chain, its
    # members neither upstream nor downstream of one another, so a firm in one of them never makes
    # another a "break" between two sides
    for c in set(above) | set(beneath):
        for stage in graph_c.nodes[c]["members"]:
            if above.get(c):
                up[stage] = above[c]
            if beneath.get(c):
                down[stage] = beneath[c]
    return up, down


def local_sides(chain: StageChain, local: dict[str, set[str]]) -> LocalSides:
    """R's enterprises and stages upstream and downstream of every stage, given R's enterprises
    per top-level stage (:func:`stage_coverage`).

    Equal to taking ``nx.ancestors`` and ``nx.descendants`` of every stage less its own strongly
    connected component, in time linear in the chain (times the bitsets' length) instead of
    stages × chain.

    >>> import networkx as nx
    >>> from graph.analysis.stages import StageChain
    >>> g = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> sides = local_sides(StageChain(g, {s: s for s in g}), {"a": {"e1"}, "b": set(), "c": {"e2", "e3"}})
    >>> sides.upstream_local("b"), sides.downstream_local("b"), sides.stages_above("c")
    (1, 2, (['a'], 1))
    """
    stages = sorted(s for s, firms in local.items() if firms)
    firms = sorted(set().union(*(local[s] for s in stages))) if stages else []
    bit = {firm: i for i, firm in enumerate(firms)}
    firm_bits = {s: reduce(or_, (1 << bit[f] for f in local[s])) for s in stages}
    stage_bits = {s: 1 << i for i, s in enumerate(stages)}
    up_firms, down_firms = _spread(chain, firm_bits)
    up_stages, down_stages = _spread(chain, stage_bits)
    return LocalSides(firms, stages, up_firms, down_firms, up_stages, down_stages)


@gc_paused()  # a national graph's candidates and operations are tens of thousands of acyclic rows (graph.collector)
def gaps(store: GraphStore, region: str, *, min_firms: int = 2, top_candidates: int = 5, top: int | None = None,
         scope: str = "auto", scope_depth: int | None = None, source: str | None = None, sink: str | None = None,
         rollup: str = "auto", pairs: str = "keep", chain: str | None = None, lang: str | None = None, groups: bool = False) -> GapsReport:
    """The gaps of ``region``'s chain: missing and weak stages, classified, scored, with the
    enterprises elsewhere that could fill them.

    See the module docstring for the statuses, kinds and both score formulas.

    ``completeness`` is the share of top-level stages that are ``present``.
    ``completeness_weighted`` weighs each stage by the gap score formula applied to it (present
    stages included): sum of the weights of present stages / sum of all weights, so stages that
    much of R's chain sits around count more. When every weight is 0 it equals ``completeness``.

    Parameters
    ----------
    store : GraphStore
    region : str
        Region id; its sub-regions count as part of it.
    min_firms : int
        A stage with fewer local enterprises than this (but at least one) is ``weak``.
    top_candidates : int
        How many candidates to list per gap (0 for none).
    top : int, optional
        List only the ``top`` gaps by score, and in ``stages`` only those gaps' stages and the
        ``top`` stages with the most local enterprises. When not given: everything on a chain of
        up to :data:`FULL_LISTING_STAGES` top-level stages, else :data:`DEFAULT_TOP`.
    scope, scope_depth, source, sink, rollup
        The part of the chain to read (:func:`graph.scope.chain_in_scope`): by default the whole
        chain when it is small, else the region's stages and their FEEDS neighbourhood. Every
        figure (completeness, counts, scores) is of the scope; ``scope`` in the report says which.
    lang : {"zh", "en"}, optional
        The language of the reasons and of the tables' headers (:mod:`graph.i18n`); by default
        the setting CHAINX_LANG, else zh when most stages read have Chinese names, else en.

    Returns
    -------
    GapsReport
        ``region``, ``completeness``, ``completeness_weighted``, ``stages`` (stage, name, status,
        local_enterprises, ...), ``gaps`` (stage, name, status, kind, score, upstream_local,
        downstream_local, density and feasible (:func:`graph.analysis.related.stage_density`: ω of the
        stage for the region, feasible when > 0 and at least the mean ω of the stages it lacks), reasons,
        candidates: enterprise, name, region, score, reasons, ...),
        ``gaps_total``, ``listing``, ``stage_betweenness``, ``scope`` (the part of the chain read),
        ``cycles`` (its FEEDS cycles); gaps by score (highest first), then
        id; stages upstream to downstream.

    Examples
    --------
    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Region", "r", "R"), Node("Stage", "a", "A"), Node("Stage", "b", "B"),
    ...            Node("Stage", "c", "C"), Node("Enterprise", "e1", "E1", {"region": "r"}),
    ...            Node("Enterprise", "e2", "E2", {"region": "r"})],
    ...     relationships=[Relationship("FEEDS", "a", "b"), Relationship("FEEDS", "b", "c"),
    ...                    Relationship("OPERATES_IN", "e1", "a"), Relationship("OPERATES_IN", "e2", "c")]))
    >>> report = gaps(store, "r", min_firms=1)
    >>> [(g.stage, g.kind, g.score) for g in report.gaps]
    [('b', 'break', 0.5)]
    >>> report.gaps_total, report.listing.complete, report.stage_betweenness.method
    (1, True, 'exact')
    """
    MIN_FIRMS.check(min_firms)
    TOP_CANDIDATES.check(top_candidates)
    GROUPS.check(groups)
    region = check_region(store, region)
    regions = region_descendants(store, region)
    region_name = get_node(store, region).name
    chain, used = chain_in_scope(store, regions=regions, region_label=region_name, scope=scope, depth=scope_depth,
                                 source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain)
    limit = listing_limit(top, len(chain.graph))
    lang = choose_lang(lang, (chain.name(s) for s in chain.graph))
    local = stage_coverage(store, region, chain=chain, regions=regions)
    graph = chain.graph
    sides = local_sides(chain, local)
    firms_total = len(sides.firms)
    betweenness, method = stage_betweenness(chain)
    sampled = method["method"] != "exact"
    densities, mean_density = stage_density(store, chain, region)

    def share(count: int) -> float:
        return count / firms_total if firms_total else 0.0

    # Every stage's status and score first (they are cheap, and completeness needs them all);
    # reasons and candidates only for the gaps that are listed.
    order = chain_order(chain)
    stages_out, found, weights, present = [], [], {}, set()
    for stage in order:
        count = len(local[stage])
        status = _status(count, min_firms)
        up, down = sides.upstream_local(stage), sides.downstream_local(stage)
        b = betweenness.get(stage, 0.0)
        score = (share(down) + share(up) + b) / 3
        weights[stage] = score
        stages_out.append((stage, status, count))
        if status == "present":
            present.add(stage)
        else:
            found.append((-round(score, 6), stage, status, up, down, b, score))
    # gaps by score, then id; rows (with reasons and candidates) only for those listed
    best = sorted(found) if limit is None else heapq.nsmallest(limit, found)
    on_cycle = {s: members for members in cycles(chain) for s in members}
    listed = []
    for minus_score, stage, status, up, down, b, score in best:
        if status == "weak":
            kind = "strengthen"
        elif up and down:
            kind = "break"
        elif up or down:
            kind = "extension"
        else:
            kind = "absent"
        gap = {
            "stage": stage, "name": chain.name(stage), "status": status, "kind": kind, "score": -minus_score,
            "upstream_local": up, "downstream_local": down, "betweenness": round(b, 6), "cycle": len(on_cycle.get(stage, ())),
            "density": round(densities.get(stage, 0.0), 6), "feasible": _feasible(densities.get(stage, 0.0), mean_density),
            "reasons": [], "candidates": [],
        }
        gap["reasons"] = _gap_reasons(store, chain, sides, local, gap, region_name, firms_total, min_firms, b, score,
                                      method if sampled else None, on_cycle.get(stage), lang)
        gap["reasons"].append(_density_reason(gap, region_name, mean_density, lang))
        listed.append(gap)
    gaps_total = len(found)
    signals = _NO_SIGNALS
    if top_candidates and listed:
        signals = _add_candidates(store, regions, region_name, chain, local, listed, top_candidates, lang, groups)

    if limit is not None:
        busiest = sorted((s for s in order if local[s]), key=lambda s: -len(local[s]))[:limit]
        shown = {g["stage"] for g in listed} | set(busiest)
        stages_out = [row for row in stages_out if row[0] in shown]
    # built unvalidated: a national chain lists tens of thousands (the tests validate them)
    stage_rows = [
        StageCoverage.model_construct(stage=stage, name=chain.name(stage), tier=chain.tier(stage), status=status, local_enterprises=count,
                                      sub_stages=[s for s in chain.members.get(stage, []) if s != stage])
        for stage, status, count in stages_out
    ]
    gap_rows = [
        Gap.model_construct(**{**gap, "candidates": [Candidate.model_construct(**c) for c in gap["candidates"]]}) for gap in listed
    ]

    total_weight = sum(weights.values())
    completeness = len(present) / len(graph) if len(graph) else 0.0
    weighted = sum(weights[s] for s in present) / total_weight if total_weight else completeness
    counts = {"stages": len(graph), "missing": 0, "weak": 0, "present": len(present)}
    for row in found:
        counts[row[2]] += 1
    report = GapsReport.model_construct(
        region=region,
        region_name=region_name,
        min_firms=min_firms,
        completeness=round(completeness, 6),
        completeness_weighted=round(weighted, 6),
        local_enterprises=firms_total,
        counts=GapCounts.model_construct(**counts),
        stages=stage_rows,
        gaps=gap_rows,
        gaps_total=gaps_total,
        listing=GapsListing.model_construct(
            top=limit, complete=len(listed) == gaps_total and len(stages_out) == len(graph),
            gaps_listed=len(listed), stages_listed=len(stages_out),
            rule=_listing_rule(top, limit, len(graph)),
        ),
        stage_betweenness=StageBetweenness.model_construct(**method),
        chain_scope=Scope.model_construct(**used.as_dict()),
        cycles=cycle_summary(chain, local),
        candidate_signals=signals,
    )
    report._firms = local
    report._lang = lang
    return report


def _feasible(omega: float, mean_missing: float) -> bool:
    """Feasible by relatedness: a density above nothing and at least the mean density of the stages
    the region lacks (a rule relative to the region, since densities of a sparse matrix are all small)."""
    return omega > 0 and omega >= mean_missing


def _density_reason(gap: dict, region_name: str, mean_missing: float, lang: str = "en") -> str:
    """The gap's relatedness in one sentence in ``lang`` (graph.analysis.related, density ω)."""
    omega = gap["density"]
    if not gap["feasible"]:
        return message("gap.density_low", lang, omega=omega, mean=mean_missing, region=region_name)
    best = message("gap.density_best", lang) if gap["kind"] == "break" else ""
    return message("gap.density_high", lang, omega=omega, mean=mean_missing, region=region_name, best=best)


def _listing_rule(top: int | None, limit: int | None, stages: int) -> str:
    if limit is None:
        return f"every gap and stage: the chain has {stages:,} top-level stages (lists are cut above {FULL_LISTING_STAGES:,})"
    given = "as asked (top)" if top is not None else f"the default for a chain of more than {FULL_LISTING_STAGES:,} top-level stages"
    return (f"the {limit:,} gaps with the highest score, and in stages those gaps' stages and the {limit:,} stages with the most "
            f"local enterprises: {given}; counts, gaps_total and completeness cover all {stages:,} stages")


def _gap_reasons(store: GraphStore, chain: StageChain, sides: LocalSides, local: dict[str, set[str]], gap: dict,
                 region_name: str, firms_total: int, min_firms: int, b: float, score: float, sampled: dict | None,
                 cycle: list[str] | None = None, lang: str = "en") -> list[str]:
    """The reasons of one gap row in ``lang``: why its status and kind, and its score with the numbers."""
    stage, name, count = gap["stage"], gap["name"], len(local[gap["stage"]])
    up, down = gap["upstream_local"], gap["downstream_local"]
    sub_stages = [s for s in chain.members.get(stage, []) if s != stage]
    where_key = "gap.where" if not sub_stages else "gap.where_sub_one" if len(sub_stages) == 1 else "gap.where_sub"
    where = message(where_key, lang, name=name, stage=stage, n=len(sub_stages))

    def named(stages: tuple[list[str], int]) -> str:
        first, total = stages
        return _listing([chain.name(s) for s in first], total, lang=lang)

    if gap["kind"] == "strengthen":
        firms = [message("gap.where", lang, name=n.name, stage=n.id)
                 for n in sorted(store.nodes(["Enterprise"], ids=local[stage]), key=lambda n: n.id)]
        reasons = [message("gap.strengthen", lang, count=count, region=region_name, where=where, firms=_listing(firms, lang=lang),
                           min_firms=min_firms)]
    else:
        reasons = [message("gap.none", lang, region=region_name, where=where)]
        above = sides.stages_above(stage, _NAMES_IN_REASON)
        below = sides.stages_below(stage, _NAMES_IN_REASON)
        if gap["kind"] == "break":
            reasons.append(message("gap.break", lang, region=region_name, up=up, down=down, above=named(above), below=named(below)))
        elif gap["kind"] == "extension":
            key, firms, stages = ("gap.extension_up", up, above) if up else ("gap.extension_down", down, below)
            reasons.append(message(key, lang, region=region_name, firms=firms, stages=named(stages)))
        else:
            reasons.append(message("gap.absent", lang, region=region_name))
    if cycle:
        others = [s for s in cycle if s != stage]
        in_cycle = sorted(set().union(*(local.get(s, set()) for s in others)))
        reasons.append(message("gap.cycle", lang, name=name, size=len(cycle), region=region_name, n=len(in_cycle),
                               others=_listing([chain.name(s) for s in others[:_NAMES_IN_REASON]], len(others), lang=lang)))
    estimated = message("gap.estimated", lang, k=sampled["k"], seed=sampled["seed"], stages=sampled["stages"]) if sampled else ""
    reasons.append(message("gap.score", lang, down=down, up=up, total=firms_total, b=b, score=score, region=region_name,
                           estimated=estimated))
    return reasons


def _tags(tags) -> frozenset[str]:
    """An enterprise's ``tags`` property as a set (a list, or a ``;``-separated text)."""
    if isinstance(tags, str):
        tags = tags.split(";")
    return frozenset(t.strip() for t in tags or () if isinstance(t, str) and t.strip())


@dataclass
class _TagProfile:
    """The industries of a region's chain, as tags (:func:`_tag_profile`)."""

    counts: Counter  # tag → how many of the enterprises of the region's stages carry it
    tagged: set[str]  # those of them with any tag
    rarity: dict[str, float]  # tag → ln(tagged enterprises of the store / those carrying it), 0 above half of them
    tags: dict[str, frozenset[str]]  # every enterprise's tags


def _tag_profile(store: GraphStore, chain: StageChain, local: dict[str, set[str]], local_firms: set[str]) -> _TagProfile:
    """The enterprises of the region's own stages (its enterprises, and every enterprise elsewhere
    operating in a top-level stage where it has one, sub-stages included), their tags, and each
    tag's rarity in the whole store (a tag most enterprises carry, like a provenance mark, says
    little about an industry)."""
    own = {m for stage, firms in local.items() if firms for m in chain.members.get(stage, [stage])}
    profile = set(local_firms) | (queries(store).enterprises_in(own) if own else set())
    tags, rarity = _store_tags.get(store, None, lambda: _read_tags(store))
    tagged = {firm for firm in profile if firm in tags}
    return _TagProfile(Counter(t for firm in tagged for t in tags[firm]), tagged, rarity, tags)


def _read_tags(store: GraphStore) -> tuple[dict[str, frozenset[str]], dict[str, float]]:
    """Every tagged enterprise's tags, and each tag's rarity ln(N / n(t)) among the N tagged."""
    tags = {firm: found for firm, stated in queries(store).enterprise_tags().items() if (found := _tags(stated))}
    carriers = Counter(t for found in tags.values() for t in found)
    # a tag more than half of them carry tells no industries apart: it counts 0
    return tags, {t: math.log(len(tags) / n) if 2 * n <= len(tags) else 0.0 for t, n in carriers.items()}


# the store's enterprise tags, read once per store version (every enterprise: a tag's rarity is of the whole store)
_store_tags = VersionedCache("enterprise_tags", size=4)


def _add_candidates(store: GraphStore, regions: set[str], region_name: str, chain: StageChain, local: dict[str, set[str]],
                    gap_rows: list[dict], top: int, lang: str = "en", groups: bool = False) -> CandidateSignals:
    """Fill each gap's ``candidates``: enterprises outside the region (``regions``: it and its
    sub-regions) operating in its stage; return which signals the data held.

    Everything comes from the store by query: the candidates of the listed gaps' stages with
    their size (:meth:`GraphStore.stage_firms`), the SUPPLIES and COLLABORATES_WITH links
    between them and the region, read from whichever side has fewer nodes, the candidates'
    OPERATES_IN links (for F, and their capacity for C) and tags, and the tags of the
    enterprises of the region's own stages (for T, :func:`_tag_profile`). ``local``: the
    region's enterprises per top-level stage (:func:`stage_coverage`).
    """
    members = {stage: g["stage"] for g in gap_rows for stage in chain.members[g["stage"]]}
    by_gap: dict[str, dict[str, StageFirm]] = defaultdict(dict)  # gap → its candidates' rows
    pool: set[str] = set()
    for row in queries(store).stage_firms(members, exclude_regions=regions):
        by_gap[members[row.stage]].setdefault(row.enterprise, row)
        pool.add(row.enterprise)
    if not pool:
        return _NO_SIGNALS
    local_firms = queries(store).enterprise_ids(regions)

    # F: the chain's top-level stages each candidate operates in; C: the capacity it states in
    # each listed gap's stage (its sub-stages summed), per unit
    in_chain: dict[str, set[str]] = defaultdict(set)
    operated: dict[str, set[str]] = defaultdict(set)  # every stage it operates in, in the chain or not
    stated: dict[tuple[str, str], dict[str | None, float]] = defaultdict(lambda: defaultdict(float))  # (gap, firm) → unit → capacity
    # (their identities and capacities only, not the relationships whole: 0.9 s of a 1M graph's
    # report; taken in the relationships' order, so that capacities add up in it)
    firms = sorted(pool)
    ops = queries(store).coded_operations(firms)
    firm_of = ops.firm.tolist()
    for i in sorted(range(len(firm_of)), key=lambda i: (firm_of[i], ops.stage[i])):
        firm, stage, capacity = firms[firm_of[i]], ops.stage[i], ops.capacity[i]
        operated[firm].add(stage)
        top_stage = chain.top.get(stage)
        if top_stage in chain.graph:
            in_chain[firm].add(top_stage)
        if capacity is not None and stage in members:
            stated[members[stage], firm][ops.unit[i] or None] += capacity

    # T: the tags each candidate shares with the enterprises of the region's own stages
    tag_profile = _tag_profile(store, chain, local, local_firms)
    tagged, cand_tags = tag_profile.tagged, tag_profile.tags

    def sharing(firm: str, tag: str) -> int:
        """How many enterprises of the region's stages other than ``firm`` carry ``tag``."""
        return tag_profile.counts[tag] - (firm in tagged)

    def affinity(firm: str) -> tuple[float, list[str]]:
        """Σ over its tags of (the share of the other tagged enterprises of the region's stages
        carrying it × its rarity), and the tags shared, the most common first."""
        mine = cand_tags.get(firm, frozenset())
        others_tagged = len(tagged) - (firm in tagged)
        shared_tags = {t: sharing(firm, t) for t in mine if sharing(firm, t) > 0}
        if not others_tagged or not shared_tags:
            return 0.0, []
        raw = sum(n / others_tagged * tag_profile.rarity[t] for t, n in shared_tags.items())
        return raw, sorted(shared_tags, key=lambda t: (-shared_tags[t], t))

    tag_raw = {firm: affinity(firm) for firm in pool}

    def focus(firm: str) -> float:
        """The share of its stages inside the chain read: equal scores go to the specialist
        (a spinner before a set-top-box maker that also lists 棉纱)."""
        return len(in_chain[firm]) / len(operated[firm]) if operated[firm] else 0.0

    # SUPPLIES ties with R's enterprises, either direction.
    sells_to: dict[str, set[str]] = defaultdict(set)
    buys_from: dict[str, set[str]] = defaultdict(set)
    for rel in store.incident(min(pool, local_firms, key=len), ["SUPPLIES"]):
        if rel.source in pool and rel.target in local_firms:
            sells_to[rel.source].add(rel.target)
        if rel.target in pool and rel.source in local_firms:
            buys_from[rel.target].add(rel.source)

    # Institutes shared with R's enterprises.
    local_institutes = {r.target for r in store.incident(local_firms, ["COLLABORATES_WITH"]) if r.source in local_firms}
    shared: dict[str, set[str]] = defaultdict(set)
    for rel in store.incident(min(pool, local_institutes, key=len), ["COLLABORATES_WITH"]) if local_institutes else ():
        if rel.source in pool and rel.target in local_institutes:
            shared[rel.source].add(rel.target)
    institute_names = {n.id: n.name for n in store.nodes(["Institute"], ids=set().union(*shared.values()))} if shared else {}
    partners = set().union(*sells_to.values(), *buys_from.values())
    local_names = {n.id: n.name for n in store.nodes(["Enterprise"], ids=partners)} if partners else {}

    tied = set(sells_to) | set(buys_from) | set(shared)

    def others(firm: str, gap: str) -> int:
        return len(in_chain[firm] - {gap})

    def capacity_share(gap: str, firm: str, largest: dict[str | None, float]) -> tuple[float, str | None, float | None]:
        """(C, the unit it was read in, the capacity): against the largest of the stage's
        candidates in the same unit; of a firm stating several units, the unit giving it most."""
        units = stated.get((gap, firm))
        if not units:
            return 0.0, None, None
        c, unit = max(((amount / largest[u] if largest[u] else 0.0), u) for u, amount in units.items())
        return c, unit, units[unit]

    def scored(gap: str, rows: dict[str, StageFirm], max_revenue: float, max_employees: float, max_others: int,
               largest: dict[str | None, float], max_tags: float) -> Iterator[tuple]:
        for firm, row in rows.items():
            s, i = (len(sells_to[firm] | buys_from[firm]), len(shared[firm])) if firm in tied else (0, 0)
            z_revenue = row.revenue_cny / max_revenue if row.revenue_cny and max_revenue else 0.0
            z_employees = row.employees / max_employees if row.employees and max_employees else 0.0
            z = (z_revenue + z_employees) / 2
            c = capacity_share(gap, firm, largest)[0]
            t = tag_raw[firm][0] / max_tags if max_tags else 0.0
            f = others(firm, gap) / max_others if max_others else 0.0
            score = W_SUPPLY * s + W_INSTITUTE * i + W_SIZE * z + W_CAPACITY * c + W_TAGS * t + W_FIT * f
            yield round(score, 6), firm, s, i, z, c, t, f

    # with groups, a control group's candidates of a stage compete as one: its best stands for it
    heads = control_groups(store) if groups else {}
    group_size = Counter(heads.values())

    def collapsed(ranked: Iterable[tuple]) -> Iterator[tuple]:
        seen: dict[str, list[str]] = {}
        for row in ranked:
            head = heads.get(row[1])
            if head is None:
                yield row, None, []
            elif head not in seen:
                seen[head] = [row[1]]
                yield row, head, seen[head]
            else:
                seen[head].append(row[1])  # filled in place: the list yielded grows

    sized = False
    units: set[str | None] = set()
    affine = False
    chosen = []
    for gap in gap_rows:
        rows = by_gap.get(gap["stage"], {})
        max_revenue = max((r.revenue_cny for r in rows.values() if r.revenue_cny), default=0.0)
        max_employees = max((r.employees for r in rows.values() if r.employees), default=0.0)
        max_others = max((others(firm, gap["stage"]) for firm in rows), default=0)
        largest: dict[str | None, float] = defaultdict(float)  # unit → the largest capacity a candidate states in it
        for firm in rows:
            for unit, amount in stated.get((gap["stage"], firm), {}).items():
                largest[unit] = max(largest[unit], amount)
        max_tags = max((tag_raw[firm][0] for firm in rows), default=0.0)
        sized = sized or bool(max_revenue or max_employees)
        units |= set(largest)
        affine = affine or max_tags > 0
        # nsmallest = sorted(...)[:top], without sorting every enterprise of a national stage
        order = (lambda row: (-row[0], -focus(row[1]), row[1]))
        ranked = scored(gap["stage"], rows, max_revenue, max_employees, max_others, largest, max_tags)
        if heads:
            every = list(collapsed(sorted(ranked, key=order)))
            best = [(row, head, members) for row, head, members in every[:top]]
        else:
            best = [(row, None, []) for row in heapq.nsmallest(top, ranked, key=order)]
        chosen.append((gap, rows, max_revenue, max_employees, max_others, largest, max_tags, best))
    # a reason names the region a candidate is in by its name, not its id (one read for them all)
    located = sorted({rows[row[1]].region for _, rows, *_, best in chosen for row, _, _ in best if rows[row[1]].region})
    place = {node.id: node.name for node in store.nodes(["Region"], ids=located)} if located else {}
    for gap, rows, max_revenue, max_employees, max_others, largest, max_tags, best in chosen:
        for (score, firm, s, i, z, c, t, f), head, members in best:
            node = rows[firm]
            reasons = [message("cand.operates", lang, gap=gap["name"], stage=gap["stage"], where=place.get(node.region, node.region),
                               region=region_name)]
            if s:
                parts = []
                if sells_to[firm]:
                    parts.append(message("cand.supplies", lang, n=len(sells_to[firm]), region=region_name,
                                         names=_listing(sorted(local_names[e] for e in sells_to[firm]), lang=lang)))
                if buys_from[firm]:
                    parts.append(message("cand.buys", lang, n=len(buys_from[firm]),
                                         names=_listing(sorted(local_names[e] for e in buys_from[firm]), lang=lang)))
                reasons.append(message("cand.already", lang, parts=message("and", lang).join(parts), s=s))
            else:
                reasons.append(message("cand.no_supply", lang, region=region_name))
            if i:
                reasons.append(message("cand.institutes", lang, i=i, region=region_name,
                                       names=_listing(sorted(institute_names[x] for x in shared[firm]), lang=lang)))
            else:
                reasons.append(message("cand.no_institute", lang, region=region_name))
            size = []
            if node.revenue_cny is not None:
                size.append(message("cand.revenue", lang, revenue=node.revenue_cny, largest=max_revenue))
            if node.employees is not None:
                size.append(message("cand.employees", lang, employees=node.employees, largest=max_employees))
            reasons.append(message("cand.size", lang, size=joined(size, lang) if size else message("cand.no_size", lang), z=z))
            _, unit, capacity = capacity_share(gap["stage"], firm, largest)
            reasons.append(_capacity_reason(gap["name"], unit, capacity, largest, c, lang))
            raw, common = tag_raw[firm]
            if common:
                listed_tags = joined([message("cand.tag", lang, tag=tag, n=sharing(firm, tag), rarity=tag_profile.rarity[tag])
                                      for tag in common], lang)
                reasons.append(message("cand.tags", lang, region=region_name, tags=listed_tags, n=len(tagged) - (firm in tagged),
                                       raw=raw, best=max_tags, t=t))
            else:
                reasons.append(message("cand.no_tags" if cand_tags.get(firm) else "cand.untagged", lang, region=region_name))
            n_others = others(firm, gap["stage"])
            reasons.append(message("cand.fit", lang, n=n_others, most=max_others, inside=len(in_chain[firm]),
                                   stages=len(operated[firm]), f=f))
            reasons.append(message("cand.score", lang, s=s, i=i, z=z, c=c, t=t, f=f, score=score))
            grouped = {}
            if head is not None:
                reasons.append(message("cand.group", lang, head=head, size=group_size[head], n=len(members),
                                       names=_listing(sorted(rows[m].name for m in members), lang=lang)))
                grouped = {"group": head, "group_members": sorted(members)}
            gap["candidates"].append({
                "enterprise": firm, "name": node.name, "region": node.region, "score": score,
                "supply_ties": s, "shared_institutes": i, "size": round(z, 6),
                "capacity": capacity, "capacity_unit": unit, "capacity_share": round(c, 6), "shared_tags": common, "tag_affinity": round(t, 6),
                "chain_stages": n_others, "chain_fit": round(f, 6),
                **grouped, "reasons": reasons,
            })
    # which signals the data held at all: SUPPLIES or COLLABORATES_WITH links of the region's
    # firms, and a size of some candidate
    return CandidateSignals.model_construct(
        supply_ties=bool(local_firms) and bool(store.incident(local_firms, ["SUPPLIES"])),
        shared_institutes=bool(local_institutes), size=sized, capacity=bool(units),
        capacity_units=sorted(u or "" for u in units), tags=affine, chain_fit=True,
    )


def _capacity_reason(gap_name: str, unit: str | None, capacity: float | None, largest: dict[str | None, float], c: float,
                     lang: str) -> str:
    """A candidate's C in one sentence: what it states, against the largest in the same unit."""
    if capacity is None:
        return message("cand.no_capacity", lang, gap=gap_name)
    if unit == REVENUE_SHARE:
        return message("cand.revenue_share", lang, gap=gap_name, share=capacity, largest=largest[unit], c=c)
    return message("cand.capacity", lang, gap=gap_name, capacity=capacity, largest=largest[unit], c=c,
                   unit=unit or message("cand.no_unit", lang))


def compare(store: GraphStore, regions: Iterable[str], *, min_firms: int = 2, top: int | None = None, scope: str = "auto",
            scope_depth: int | None = None, source: str | None = None, sink: str | None = None, rollup: str = "auto", pairs: str = "keep", chain: str | None = None,
            peers: int = 0, lang: str | None = None) -> CompareReport:
    """Stage-by-stage coverage of several regions side by side.

    Each stage row holds, per region id, ``{"status", "local_enterprises"}`` (as in
    :func:`gaps`), plus ``present_in`` and ``lacking_in`` (regions where it is not present), so
    what one region has and another lacks reads off one row.

    ``peers`` (when > 0) adds ``peers``: per region, its ``peers`` most similar regions by the
    cosine similarity of their enterprise counts per stage (:func:`graph.analysis.related.peer_regions`).

    ``top`` cuts the rows to the ``top`` stages with the most enterprises of the regions
    together (kept in chain order); when not given, every stage is listed on a chain of up to
    :data:`FULL_LISTING_STAGES` top-level stages, else :data:`DEFAULT_TOP` rows. ``completeness``
    and ``stages_total`` always cover every stage. ``lang`` (zh or en, :func:`graph.i18n.choose_lang`):
    the language of the tables' headers and statuses (the JSON is the same in both).

    Examples
    --------
    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Region", "r1", "R1"), Node("Region", "r2", "R2"), Node("Stage", "a", "A"),
    ...            Node("Enterprise", "e", "E", {"region": "r1"})],
    ...     relationships=[Relationship("OPERATES_IN", "e", "a")]))
    >>> row = compare(store, ["r1", "r2"], min_firms=1).stages[0]
    >>> row.coverage("r1").model_dump(), row.coverage("r2").status, row.lacking_in
    ({'status': 'present', 'local_enterprises': 1}, 'missing', ['r2'])
    """
    regions = [check_region(store, r) for r in REGIONS.check(list(regions))]
    duplicates = sorted({r for r in regions if regions.count(r) > 1})
    if duplicates:
        raise InvalidParameter("regions", f"each region once, please: {', '.join(duplicates)} repeated")
    reserved = {"stage", "name", "tier", "present_in", "lacking_in"} & set(regions)
    if reserved:
        raise InvalidParameter("regions", f"a region id cannot be {', '.join(sorted(reserved))} (a column of the matrix)")
    MIN_FIRMS.check(min_firms)
    COMPARE_PEERS.check(peers)
    # one chain for all the regions: the union of their neighbourhoods on a national chain
    everywhere = set().union(*(region_descendants(store, r) for r in regions))
    chain, used = chain_in_scope(store, regions=everywhere, region_label=" and ".join(regions), scope=scope, depth=scope_depth,
                                 source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain)
    limit = listing_limit(top, len(chain.graph))
    coverage = {region: stage_coverage(store, region, chain=chain) for region in regions}
    order = chain_order(chain)
    total = len(order)
    present = {r: sum(1 for stage in order if len(coverage[r][stage]) >= min_firms) for r in regions}
    completeness = {r: round(present[r] / total, 6) if total else 0.0 for r in regions}
    listed = order
    if limit is not None:
        firms = {stage: sum(len(coverage[r][stage]) for r in regions) for stage in order}
        kept = set(sorted((s for s in order if firms[s]), key=lambda s: -firms[s])[:limit])
        listed = [stage for stage in order if stage in kept]
    rows = []
    for stage in listed:
        cells = {}
        for region in regions:
            count = len(coverage[region][stage])
            cells[region] = RegionCoverage.model_construct(status=_status(count, min_firms), local_enterprises=count)
        rows.append(CompareRow.model_construct(
            stage=stage, name=chain.name(stage), tier=chain.tier(stage),
            present_in=[r for r in regions if cells[r].status == "present"],
            lacking_in=[r for r in regions if cells[r].status != "present"],
            **cells,
        ))
    report = CompareReport.model_construct(regions=regions, min_firms=min_firms, completeness=completeness, stages=rows,
                                           stages_total=total, stages_listed=len(rows), top=limit,
                                           chain_scope=Scope.model_construct(**used.as_dict()))
    if peers:
        # benchmarked against towns like it: graph.analysis.related.peer_regions (cosine of stage profiles)
        report.peers = {region: peer_regions(store, chain, region, peers) for region in regions}
    report._lang = choose_lang(lang, (chain.name(s) for s in chain.graph))
    return report
