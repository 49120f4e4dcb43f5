"""Enterprise–institute ties: who collaborates with whom, the groups they form, who bridges them.

The ties graph is the ``ties`` projection: enterprises and institutes, joined by
COLLABORATES_WITH (parallel ties of different kinds collapse into one edge whose ``weight`` adds
their strengths). From it:

- the **enterprise projection**: enterprises linked when they share institutes, ``weight`` = the
  number of institutes they share (as ``networkx.algorithms.bipartite.weighted_projected_graph``);
  the **institute projection** likewise, ``weight`` = shared enterprises;
- **communities**: Louvain (``nx.community.louvain_communities``, seeded, weighted by tie
  strength) on the bipartite ties graph itself, not on the enterprise projection, so each
  community holds its institutes with their firms and a hub institute does not become one big
  clique of firms. Organisations without ties are left out;
- **brokers**: betweenness on the ties graph (the same numbers as
  ``centrality(store, "betweenness", "ties")``), and Burt's constraint of each organisation in
  the projection of its own kind (an enterprise among enterprises linked by shared institutes,
  weighted by how many they share; an institute among institutes). Not on the ties graph itself:
  a two-mode graph has no triangles, so there constraint is just 1/degree and says nothing about
  brokerage. :func:`burt_constraint` gives ``nx.constraint``'s values, computed in
  Σ degree² instead of NetworkX's Σ degree³ so hub institutes stay affordable;
- **research gaps**: top-level stages (sub-stages rolled up as in the gaps analysis) that have
  enterprises (OPERATES_IN) but none of those enterprises has any institute tie.

Notebook use:

>>> from graph.model import GraphData, Node, Relationship
>>> from graph.store.sqlite import SqliteStore
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(
...     nodes=[Node("Institute", "dhu", "东华大学"), Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B")],
...     relationships=[Relationship("COLLABORATES_WITH", "a", "dhu"), Relationship("COLLABORATES_WITH", "b", "dhu")]))
>>> sorted(enterprise_projection(store).edges(data="weight"))
[('a', 'b', 1)]
>>> report = ties_report(store)
>>> [(i.institute, i.enterprises) for i in report.institutes]
[('dhu', 2)]
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import networkx as nx

from graph.errors import TooExpensive
from graph.i18n import choose_lang, joined, message
from graph.model import SYMMETRIC_TIES
from graph.params import COMMUNITY_SEED, GROUPS, MAX_TIES_SECONDS, MAX_TIES_SECONDS_ENV, TIES_TOP, budget
from graph.projection import projection
from graph.reports import (
    Broker,
    BrokersMethod,
    Community,
    EnterpriseTies,
    FirmTieRow,
    FirmTies,
    Focus,
    FocusStage,
    InstituteTies,
    Pair,
    Projection,
    Projections,
    ResearchGap,
    SharedInstitute,
    TiesReport,
    TiesSummary,
)
from graph.store.base import GraphStore
from graph.store.reads import get_node

from .centrality import MAX_SECONDS as MAX_BETWEENNESS_SECONDS
from .centrality import affordable_k, analysis_graph, centrality_values, tie_value
from .centrality import estimate_seconds as centrality_seconds
from .groups import check_tie_types, control_groups, group_of
from .stages import stage_chain

__all__ = ["ties_report", "firm_ties", "check_tie_types", "enterprise_projection", "institute_projection", "burt_constraint", "SECTIONS",
           "MAX_PROJECTION_PAIRS", "estimate_seconds", "TiesCost"]

SECTIONS: tuple[str, ...] = ("summary", "institutes", "enterprises", "projections", "communities", "brokers", "research_gaps", "firm_ties")

# Building the enterprise projection visits every pair of firms sharing an institute; a hub
# institute with thousands of firms makes millions of pairs. Above this the report gives the
# projection's size but not its pairs nor its members' constraint (enterprise_projection() still
# builds it on request).
MAX_PROJECTION_PAIRS = 2_000_000


# What a ties report costs, in units of work per second measured on one core of the 2-core
# reference machine (a generated 100k-relationship store, pure-Python NetworkX), rounded down:
# Louvain per tied node and tie; a projection per pair visit; Burt's constraint per unit of
# Σ degree² in the projection. The constraint's work is bounded from above without building the
# projection (every organisation of two ties or more counted as a candidate broker, a partner's
# degree in the projection by the pairs its hubs give it), so the estimate is cautious: ~6x the
# time on that store. Betweenness is the centrality module's estimate, at most its own limit
# (above it the report samples sources to fit).
_LOUVAIN_PER_SECOND = 5e3
_PAIRS_PER_SECOND = 9e4
_CONSTRAINT_PER_SECOND = 3e6


@dataclass(frozen=True)
class TiesCost:
    """An estimate of a ties report's time, by part (seconds)."""

    communities: float
    projections: float
    constraint: float
    betweenness: float

    @property
    def seconds(self) -> float:
        return self.communities + self.projections + self.constraint + self.betweenness

    def parts(self) -> str:
        return ", ".join(f"{name} {_seconds(value)}" for name, value in (("communities", self.communities), ("projections", self.projections),
                                                                     ("constraint", self.constraint), ("betweenness", self.betweenness)))


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.2g} s"


def estimate_seconds(store: GraphStore, G: nx.Graph | None = None) -> TiesCost:
    """A cautious estimate of :func:`ties_report`'s time on ``store`` (``G``: its ties
    projection, read when not given), from degrees alone: nothing costly is built.

    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(nodes=[Node("Institute", "u", "U"), Node("Enterprise", "a", "A"), Node("Enterprise", "b", "B")],
    ...     relationships=[Relationship("COLLABORATES_WITH", "a", "u"), Relationship("COLLABORATES_WITH", "b", "u")]))
    >>> cost = estimate_seconds(store)
    >>> round(cost.communities * _LOUVAIN_PER_SECOND), round(cost.projections * _PAIRS_PER_SECOND)  # 3 tied + 2 ties; 1 pair
    (5, 1)
    """
    G = projection(store, "ties") if G is None else G
    degree = dict(G.degree())
    tied = sum(1 for d in degree.values() if d)
    communities = (tied + G.number_of_edges()) / _LOUVAIN_PER_SECOND
    pairs = constraint = 0.0
    for kind in ("Enterprise", "Institute"):
        side = {n for n, k in G.nodes(data="kind") if k == kind}
        work = sum(d * (d - 1) // 2 for n, d in degree.items() if n not in side)
        if work > MAX_PROJECTION_PAIRS:
            continue  # not built, and no constraint on it (see _one_mode)
        pairs += work
        # Σ over the projection's nodes of degree² (what burt_constraint walks), each degree at
        # most the pairs its hubs give it
        constraint += sum(min(len(side) - 1, sum(degree[h] - 1 for h in G.adj[n])) ** 2 for n in side if degree[n] >= 2)
    tied_graph = analysis_graph(store, "ties")
    betweenness = min(centrality_seconds(tied_graph, "betweenness"), MAX_BETWEENNESS_SECONDS) if G.number_of_edges() else 0.0
    return TiesCost(communities, pairs / _PAIRS_PER_SECOND, constraint / _CONSTRAINT_PER_SECOND, betweenness)


def _check_cost(store: GraphStore, G: nx.Graph, max_seconds: float | None) -> None:
    limit = budget(MAX_TIES_SECONDS, MAX_TIES_SECONDS_ENV, max_seconds)
    cost = estimate_seconds(store, G)
    if cost.seconds > limit:
        raise TooExpensive(
            "max_ties_seconds",
            f"the ties report on this store ({G.number_of_nodes():,} organisations, {G.number_of_edges():,} ties) would take about "
            f"{_seconds(cost.seconds)} ({cost.parts()}), over the {limit:g} s limit. It always covers the whole ties graph (an institute "
            f"only focuses what it lists), so narrow it by the data (a store with fewer COLLABORATES_WITH ties), or raise the limit "
            f"with {MAX_TIES_SECONDS_ENV} (the server's setting, or the environment of chainx ties)",
        )


def _side(G: nx.Graph, kind: str) -> list[str]:
    return [node for node, k in G.nodes(data="kind") if k == kind]


def _project(G: nx.Graph, nodes: list[str]) -> nx.Graph:
    """The weighted projection of bipartite ``G`` onto ``nodes``: two nodes linked when they share
    neighbours, ``weight`` = how many. Equal to ``bipartite.weighted_projected_graph``, which
    refuses a graph with an empty other side (a store with no institutes yet)."""
    P = nx.Graph()
    P.add_nodes_from((n, G.nodes[n]) for n in nodes)
    side = set(nodes)
    for hub in G:
        if hub in side:
            continue
        around = sorted(n for n in G.adj[hub] if n in side)
        for i, a in enumerate(around):
            for b in around[i + 1 :]:
                if P.has_edge(a, b):
                    P.edges[a, b]["weight"] += 1
                else:
                    P.add_edge(a, b, weight=1)
    return P


def enterprise_projection(store: GraphStore) -> nx.Graph:
    """Enterprises linked by shared institutes; edge ``weight`` = number of institutes shared.

    Every enterprise is a node, tied or not.
    """
    ties = projection(store, "ties")
    return _project(ties, _side(ties, "Enterprise"))


def institute_projection(store: GraphStore) -> nx.Graph:
    """Institutes linked by shared enterprises; edge ``weight`` = number of enterprises shared."""
    ties = projection(store, "ties")
    return _project(ties, _side(ties, "Institute"))


def burt_constraint(G: nx.Graph, nodes=None, weight: str | None = None) -> dict:
    """Burt's constraint of ``nodes`` (all when None): the values of ``nx.constraint``.

    c(u) = Σ_v (p_uv + Σ_w p_uw·p_wv)², p_uv = u's share of its tie strength spent on v. For an
    undirected graph without self-loops the inner sum is gathered by walking each neighbour's
    neighbours once; otherwise NetworkX's own function is called. Isolated nodes get NaN, as
    in NetworkX.

    >>> round(burt_constraint(nx.star_graph(3))[0], 6), burt_constraint(nx.star_graph(3))[1]
    (0.333333, 1.0)
    """
    if G.is_directed() or nx.number_of_selfloops(G):
        return nx.constraint(G, nodes, weight)
    shares: dict = {}

    def share(u) -> dict:
        if u not in shares:
            strength = {v: (attrs.get(weight, 1) if weight else 1) for v, attrs in G.adj[u].items()}
            total = sum(strength.values())
            shares[u] = {v: s / total for v, s in strength.items()}
        return shares[u]

    result = {}
    for u in G if nodes is None else nodes:
        p_u = share(u)
        if not p_u:
            result[u] = math.nan
            continue
        indirect = dict.fromkeys(p_u, 0.0)
        for w, p_uw in p_u.items():
            for v, p_wv in share(w).items():
                if v in indirect:
                    indirect[v] += p_uw * p_wv
        result[u] = sum((p_uv + indirect[v]) ** 2 for v, p_uv in p_u.items())
    return result


def _one_mode(G: nx.Graph, kind: str) -> tuple[list[str], nx.Graph | None, int]:
    """(nodes of ``kind``, their projection or None when too big, the pair visits it takes)."""
    nodes = _side(G, kind)
    side = set(nodes)
    work = sum(G.degree(h) * (G.degree(h) - 1) // 2 for h in G if h not in side)
    if work > MAX_PROJECTION_PAIRS:
        return nodes, None, work
    return nodes, _project(G, nodes), work


def _pairs(G: nx.Graph, nodes: list[str], P: nx.Graph | None, work: int, top: int) -> dict:
    """Size and the strongest pairs of ``P``, the projection of bipartite ``G`` onto ``nodes``."""
    # linked: nodes with at least one partner in the projection (they share a hub with someone)
    linked = sum(1 for n in nodes if any(G.degree(h) > 1 for h in G.adj[n]))
    if P is None:
        return {"nodes": len(nodes), "linked": linked, "edges": None, "top_pairs": [],
                "note": f"pairs not listed: {work:,} pair visits exceed {MAX_PROJECTION_PAIRS:,}"}
    pairs = sorted((min(a, b), max(a, b), w) for a, b, w in P.edges(data="weight"))
    pairs.sort(key=lambda pair: -pair[2])  # stable: equal weights stay in id order

    def name(node: str) -> str:
        return G.nodes[node].get("name", node)

    return {
        "nodes": len(nodes),
        "linked": linked,
        "edges": P.number_of_edges(),
        "top_pairs": [
            {"a": a, "a_name": name(a), "b": b, "b_name": name(b), "shared": w, "via": sorted(set(G.adj[a]) & set(G.adj[b]))}
            for a, b, w in pairs[:top]
        ],
    }


def _tie_counts(store: GraphStore, G: nx.Graph) -> tuple[dict, dict]:
    per: dict[str, dict] = {}
    for rel in store.relationships(["COLLABORATES_WITH"]):
        if rel.source not in G or rel.target not in G:
            continue
        kind = rel.props.get("kind") or rel.key or "unspecified"
        for node, other in ((rel.source, rel.target), (rel.target, rel.source)):
            entry = per.setdefault(node, {"ties": 0, "partners": set(), "kinds": Counter()})
            entry["ties"] += 1
            entry["partners"].add(other)
            entry["kinds"][kind] += 1
    institutes, enterprises = {}, {}
    for node, entry in per.items():
        (institutes if G.nodes[node].get("kind") == "Institute" else enterprises)[node] = entry
    return institutes, enterprises


def _tie_rows(G: nx.Graph, counts: dict, key: str, partner: str, lang: str = "en") -> list[dict]:
    rows = []
    for node, entry in sorted(counts.items(), key=lambda item: (-item[1]["ties"], -len(item[1]["partners"]), item[0])):
        attrs = G.nodes[node]
        kinds = dict(sorted(entry["kinds"].items()))
        partners = sorted(entry["partners"])
        rows.append({
            key: node,
            "name": attrs.get("name", node),
            "region": attrs.get("region"),
            "ties": entry["ties"],
            partner + "s": len(partners),
            "tie_kinds": kinds,
            "partners": partners,
            "reasons": [message(_ROW_KEYS[partner, min(entry["ties"], 2), min(len(partners), 2)], lang, ties=entry["ties"],
                                n=len(partners), kinds=joined((f"{kind} {n}" for kind, n in kinds.items()), lang))],
        })
    return rows


# the catalogue key of a sentence by its counts (1, or 2 for more: English says "1 tie", "2 ties")
_ROW_KEYS = {("enterprise", 1, 1): "ties.row_enterprises_one", ("enterprise", 2, 1): "ties.row_enterprises_many_one",
             ("enterprise", 2, 2): "ties.row_enterprises_many", ("institute", 1, 1): "ties.row_institutes_one",
             ("institute", 2, 1): "ties.row_institutes_many_one", ("institute", 2, 2): "ties.row_institutes_many"}
_COMMUNITY_KEYS = {(1, 1): "ties.community_one_one", (1, 2): "ties.community_one_many", (2, 1): "ties.community_many_one",
                   (2, 2): "ties.community_many_many"}


def _communities(G: nx.Graph, seed: int, lang: str = "en") -> list[dict]:
    tied = G.subgraph([n for n in G if G.degree(n)])
    if tied.number_of_nodes() == 0:
        return []
    found = nx.community.louvain_communities(tied, weight="weight", seed=seed)
    groups = sorted((sorted(c) for c in found if len(c) > 1), key=lambda c: (-len(c), c[0]))
    result = []
    for number, members in enumerate(groups, start=1):
        inside = set(members)
        internal = tied.subgraph(members).number_of_edges()
        touching = sum(tied.degree(n) for n in members) - internal
        enterprises = [n for n in members if G.nodes[n].get("kind") == "Enterprise"]
        institutes = [n for n in members if G.nodes[n].get("kind") == "Institute"]
        # The member with most ties inside names the community for a reader ("the 东华大学 group").
        hub = min(members, key=lambda n: (-sum(1 for m in tied.adj[n] if m in inside), n))
        result.append({
            "community": number,
            "size": len(members),
            "hub": hub,
            "hub_name": G.nodes[hub].get("name", hub),
            "enterprises": enterprises,
            "institutes": institutes,
            "internal_links": internal,
            "external_links": touching - internal,
            "reasons": [
                message(_COMMUNITY_KEYS[min(len(enterprises), 2), min(len(institutes), 2)], lang, enterprises=len(enterprises),
                        institutes=len(institutes), hub=G.nodes[hub].get("name", hub)),
                message("ties.inside", lang, internal=internal, touching=touching),
            ],
        })
    return result


def _betweenness(store: GraphStore, G: nx.Graph, seed: int) -> tuple[dict, int | None]:
    """Betweenness of the ties graph: exact when affordable, else sampled with ``seed``."""
    try:
        return centrality_values(store, "betweenness", "ties"), None
    except TooExpensive:
        k = affordable_k(analysis_graph(store, "ties"))
        return centrality_values(store, "betweenness", "ties", k=k, seed=seed), k


def _brokers(store: GraphStore, G: nx.Graph, projections: dict, seed: int, top: int, lang: str = "en") -> tuple[list[dict], dict]:
    betweenness, k = _betweenness(store, G, seed)
    candidates = sorted(n for n, value in betweenness.items() if value > 0)
    constraint: dict = {}
    for kind, P in projections.items():
        members = [n for n in candidates if G.nodes[n].get("kind") == kind]
        if P is not None:
            constraint.update(burt_constraint(P, members, weight="weight"))
        else:
            constraint.update(dict.fromkeys(members, None))
    # unknown or undefined (NaN: no partner in its projection) constraint sorts last
    def c_key(n):
        value = constraint.get(n)
        return math.inf if value is None or math.isnan(value) else tie_value(value)

    by_betweenness = sorted(candidates, key=lambda n: (-tie_value(betweenness[n]), c_key(n), n))
    b_rank = {n: i for i, n in enumerate(by_betweenness, start=1)}
    # constraint is ranked within each kind: an enterprise's and an institute's come from
    # different graphs (many firm peers, few institute peers) and do not compare
    chosen, c_rank = set(by_betweenness[:top]), {}
    for kind in projections:
        by_constraint = sorted((n for n in candidates if G.nodes[n].get("kind") == kind),
                               key=lambda n: (c_key(n), -tie_value(betweenness[n]), n))
        c_rank.update((n, i) for i, n in enumerate(by_constraint, start=1))
        chosen.update(by_constraint[:top])
    chosen = sorted(chosen, key=lambda n: b_rank[n])
    rows = []
    for node in chosen:
        kind = G.nodes[node].get("kind")
        value = constraint.get(node)
        if value is not None and math.isnan(value):
            value = None
        reasons = [message("ties.betweenness", lang, value=betweenness[node], rank=b_rank[node], of=len(candidates))]
        P = projections.get(kind)
        if value is not None:
            peers = P.degree(node)
            other = message("ties.among_enterprises" if kind == "Enterprise" else "ties.among_institutes", lang)
            reasons.append(message("ties.constraint_one" if peers == 1 else "ties.constraint_many", lang, value=value, rank=c_rank[node],
                                   among=other, peers=peers))
        rows.append({
            "node": node,
            "name": G.nodes[node].get("name", node),
            "kind": kind,
            "betweenness": betweenness[node],
            "constraint": value,
            "betweenness_rank": b_rank[node],
            "constraint_rank": c_rank[node],
            "reasons": reasons,
        })
    method = {
        "betweenness": "exact" if k is None else f"sampled from {k} sources (seed {seed})",
        "constraint": "Burt's constraint in the enterprise / institute projection, weighted by shared partners",
        "candidates": len(candidates),
    }
    return rows, method


def _research_gaps(store: GraphStore, G: nx.Graph, lang: str = "en") -> list[dict]:
    chain = stage_chain(store)
    tied = {n for n in G if G.nodes[n].get("kind") == "Enterprise" and G.degree(n)}
    firms: dict[str, set[str]] = defaultdict(set)
    for rel in store.relationships(["OPERATES_IN"]):
        if rel.target in chain.top:
            firms[chain.top[rel.target]].add(rel.source)
    research: dict[str, set[str]] = defaultdict(set)
    for rel in store.relationships(["RESEARCHES"]):
        if rel.target in chain.top:
            research[chain.top[rel.target]].add(rel.source)
    gaps = []
    for stage in chain.stages:
        if not firms[stage] or firms[stage] & tied:
            continue
        count = len(firms[stage])
        researchers = sorted(research[stage])
        reasons = [message("ties.untied_many" if count != 1 else "ties.untied_one", lang, n=count)]
        if researchers:
            reasons.append(message("ties.researched_one" if len(researchers) == 1 else "ties.researched_many", lang, n=len(researchers),
                                   names=joined(researchers, lang)))
        else:
            reasons.append(message("ties.not_researched", lang))
        gaps.append({"stage": stage, "name": chain.name(stage), "tier": chain.tier(stage),
                     "enterprises": count, "researched_by": researchers, "reasons": reasons})
    return sorted(gaps, key=lambda g: (-g["enterprises"], g["stage"]))


def firm_ties(store: GraphStore, *, tie_types=None, groups: bool = False) -> FirmTies:
    """Ties between enterprises (cooperation, competition, investment, control, joint ventures,
    acquisitions), per enterprise or, with ``groups``, per control group.

    Each relationship counts once for each of its two ends: as its type at the source, and as
    ``TYPE←`` at the target of a directed one (an investee's ``INVESTS_IN←``). With ``groups``
    every enterprise is replaced by the head of its control group (:mod:`.groups`), and a tie
    between two members of one group is left out (``inside_groups``) — CONTROLS ties among a
    group's own members among them.

    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Enterprise", e, e.upper()) for e in ("p", "s", "x")],
    ...     relationships=[Relationship("CONTROLS", "p", "s"), Relationship("COOPERATES_WITH", "s", "x")]))
    >>> [(r.enterprise, r.ties) for r in firm_ties(store).rows]
    [('s', 2), ('p', 1), ('x', 1)]
    >>> [(r.enterprise, r.members, r.partners) for r in firm_ties(store, groups=True).rows]
    [('p', ['p', 's'], ['x']), ('x', ['x'], ['p'])]
    """
    types = check_tie_types(tie_types)
    groups = GROUPS.check(groups)
    heads = control_groups(store)
    members: dict[str, list[str]] = defaultdict(list)
    for member, head in heads.items():
        members[head].append(member)
    counts: Counter = Counter()
    inside = 0
    per: dict[str, dict] = {}
    for rel in store.relationships(types):
        a, b = (group_of(heads, rel.source), group_of(heads, rel.target)) if groups else (rel.source, rel.target)
        if a == b:
            inside += 1
            continue
        counts[rel.type] += 1
        back = rel.type if rel.type in SYMMETRIC_TIES else rel.type + "←"
        for node, other, kind in ((a, b, rel.type), (b, a, back)):
            entry = per.setdefault(node, {"ties": 0, "partners": set(), "kinds": Counter()})
            entry["ties"] += 1
            entry["partners"].add(other)
            entry["kinds"][kind] += 1
    names = {node.id: node.name for node in store.nodes(["Enterprise"], ids=sorted(per))} if per else {}
    rows = []
    for node, entry in sorted(per.items(), key=lambda item: (-item[1]["ties"], -len(item[1]["partners"]), item[0])):
        group = [node] + sorted(m for m in members.get(node, ()) if m != node) if groups else [node]
        kinds = dict(sorted(entry["kinds"].items()))
        reasons = [f"{entry['ties']} tie{'s' if entry['ties'] != 1 else ''} with {len(entry['partners'])} "
                   f"{'group' if groups else 'enterprise'}{'s' if len(entry['partners']) != 1 else ''}: "
                   + ", ".join(f"{kind} {n}" for kind, n in kinds.items())]
        if len(group) > 1:
            reasons.append(f"the control group of {names.get(node, node)}: {len(group)} enterprises")
        rows.append(FirmTieRow.model_construct(enterprise=node, name=names.get(node, node), members=group, ties=entry["ties"],
                                               firms=len(entry["partners"]), tie_kinds=kinds, partners=sorted(entry["partners"]),
                                               reasons=reasons))
    return FirmTies.model_construct(tie_types=types, groups=groups, counts={t: counts.get(t, 0) for t in types}, inside_groups=inside,
                                    group_count=len(members), rows=rows)


def ties_report(store: GraphStore, *, institute: str | None = None, seed: int = 0, top: int = 20, tie_types=None,
                groups: bool = False, lang: str | None = None, max_seconds: float | None = None) -> TiesReport:
    """Enterprise–institute ties: counts, projections, communities, brokers and research gaps.

    Parameters
    ----------
    store : GraphStore
    institute : str, optional
        Focus on one institute: ``institutes`` lists only it, ``enterprises`` only its partners,
        ``communities`` only the one holding it, and ``focus`` adds the institutes it shares
        firms with and the stages its firms work in. Projections, brokers and research gaps stay
        whole-graph. NotFound when no institute has this id.
    seed : int
        Seed of Louvain (and of sampled betweenness on graphs too big for the exact one).
    top : int
        How many pairs per projection and brokers per ordering to list.
    tie_types : list of str, optional
        The firm ties ``firm_ties`` counts (default all: :func:`firm_ties`).
    groups : bool
        ``firm_ties`` per control group instead of per enterprise.
    max_seconds : float, optional
        Refuse (TooExpensive) when :func:`estimate_seconds` is above this; default the
        environment's CHAINX_MAX_TIES_SECONDS, else :data:`graph.params.MAX_TIES_SECONDS`'s.

    Returns
    -------
    TiesReport
        ``institute``, ``seed``, ``summary``, ``institutes``, ``enterprises``, ``projections``,
        ``communities``, ``brokers``, ``brokers_method``, ``research_gaps`` (and ``focus`` with
        an institute); list items carry ``reasons``.

    Examples
    --------
    Two groups of firms around two universities, with no tie between the groups:

    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> ties = [("a1", "u1"), ("a2", "u1"), ("b1", "u2"), ("b2", "u2")]
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Institute", u, u) for u in ("u1", "u2")] + [Node("Enterprise", e, e) for e, _ in ties],
    ...     relationships=[Relationship("COLLABORATES_WITH", e, u) for e, u in ties]))
    >>> [c.institutes + c.enterprises for c in ties_report(store).communities]
    [['u1', 'a1', 'a2'], ['u2', 'b1', 'b2']]
    """
    COMMUNITY_SEED.check(seed)
    TIES_TOP.check(top)
    check_tie_types(tie_types)
    GROUPS.check(groups)
    G = projection(store, "ties")
    focus_node = None
    if institute is not None:
        focus_node = get_node(store, institute, "Institute")
    _check_cost(store, G, max_seconds)
    institutes, enterprises = _tie_counts(store, G)
    lang = choose_lang(lang, (G.nodes[n].get("name") or "" for n in G))
    communities = _communities(G, seed, lang)
    all_enterprises, firm_projection, firm_work = _one_mode(G, "Enterprise")
    all_institutes, institute_graph, institute_work = _one_mode(G, "Institute")
    brokers, method = _brokers(store, G, {"Enterprise": firm_projection, "Institute": institute_graph}, seed, top, lang)
    report = {
        "institute": institute,
        "seed": seed,
        "summary": {
            "enterprises": len(all_enterprises),
            "institutes": len(all_institutes),
            "ties": sum(e["ties"] for e in institutes.values()),
            "enterprises_with_ties": len(enterprises),
            "institutes_with_ties": len(institutes),
            "communities": len(communities),
        },
        "institutes": _tie_rows(G, institutes, "institute", "enterprise", lang),
        "enterprises": _tie_rows(G, enterprises, "enterprise", "institute", lang),
        "projections": {
            "enterprise": _pairs(G, all_enterprises, firm_projection, firm_work, top),
            "institute": _pairs(G, all_institutes, institute_graph, institute_work, top),
        },
        "communities": communities,
        "brokers": brokers,
        "brokers_method": method,
        "research_gaps": _research_gaps(store, G, lang),
        "firm_ties": firm_ties(store, tie_types=tie_types, groups=groups),
    }
    if focus_node is not None:
        partners = set(institutes.get(institute, {}).get("partners", ()))
        report["institutes"] = [row for row in report["institutes"] if row["institute"] == institute]
        report["enterprises"] = [row for row in report["enterprises"] if row["enterprise"] in partners]
        report["communities"] = [c for c in communities if institute in c["institutes"]]
        report["focus"] = _focus(store, G, focus_node.id, focus_node.name, partners)
    typed = _typed(report)
    typed._lang = lang
    return typed


def _projection(part: dict) -> Projection:
    return Projection.model_construct(**{**part, "top_pairs": [Pair.model_construct(**pair) for pair in part["top_pairs"]]})


def _typed(report: dict) -> TiesReport:
    """The report, worked out as a dict, as its model (``focus`` only when there is one)."""
    focus = report.get("focus")
    return TiesReport.model_construct(
        institute=report["institute"],
        seed=report["seed"],
        summary=TiesSummary.model_construct(**report["summary"]),
        institutes=[InstituteTies.model_construct(**row) for row in report["institutes"]],
        enterprises=[EnterpriseTies.model_construct(**row) for row in report["enterprises"]],
        projections=Projections.model_construct(**{name: _projection(part) for name, part in report["projections"].items()}),
        communities=[Community.model_construct(**c) for c in report["communities"]],
        brokers=[Broker.model_construct(**b) for b in report["brokers"]],
        brokers_method=BrokersMethod.model_construct(**report["brokers_method"]),
        research_gaps=[ResearchGap.model_construct(**g) for g in report["research_gaps"]],
        firm_ties=report["firm_ties"],
        **({} if focus is None else {"focus": Focus.model_construct(
            institute=focus["institute"], name=focus["name"], enterprises=focus["enterprises"],
            shared_institutes=[SharedInstitute.model_construct(**x) for x in focus["shared_institutes"]],
            stages=[FocusStage.model_construct(**x) for x in focus["stages"]],
        )}),
    )


def _focus(store: GraphStore, G: nx.Graph, institute: str, name: str, partners: set[str]) -> dict:
    shared: Counter = Counter()
    for firm in partners:
        for other in G.adj[firm]:
            if other != institute:
                shared[other] += 1
    stages: Counter = Counter()
    if partners:
        chain = stage_chain(store)
        for rel in store.incident(sorted(partners), ["OPERATES_IN"]):
            if rel.source in partners and rel.target in chain.top:
                stages[chain.top[rel.target]] += 1
    else:
        chain = None
    return {
        "institute": institute,
        "name": name,
        "enterprises": len(partners),
        "shared_institutes": [
            {"institute": other, "name": G.nodes[other].get("name", other), "shared_enterprises": n}
            for other, n in sorted(shared.items(), key=lambda item: (-item[1], item[0]))
        ],
        "stages": [
            {"stage": stage, "name": chain.name(stage), "enterprises": n}
            for stage, n in sorted(stages.items(), key=lambda item: (-item[1], item[0]))
        ],
    }
