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

Candidates to attract into a gap are enterprises outside R operating in the stage, scored::

    candidate score = 2·S + I + Z

S = the number of R's enterprises it has SUPPLIES relationships with (either direction), I = the
number of institutes it collaborates with that some enterprise of R also collaborates with, Z =
its size in [0, 1]: (revenue / largest revenue + employees / largest employees) / 2 among that
stage's candidates (a figure not given counts 0). Ties are broken by enterprise id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import networkx as nx

from graph.errors import InvalidParameter
from graph.regions import check_region, enterprises_in, region_descendants
from graph.store.base import GraphStore

from .stages import StageChain, chain_order, stage_chain

__all__ = ["gaps", "compare", "stage_coverage", "GAP_KINDS", "STATUSES"]

STATUSES = ("missing", "weak", "present")
GAP_KINDS = ("break", "extension", "absent", "strengthen")
# How many stage or enterprise names a reason spells out before saying "and N more".
_NAMES_IN_REASON = 5


def _check_positive_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidParameter(name, f"must be a whole number ≥ {minimum}, got {value!r}")
    return value


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMES_IN_REASON])
    more = len(names) - _NAMES_IN_REASON
    return f"{shown} and {more} more" if more > 0 else shown


def _status(count: int, min_firms: int) -> str:
    if count == 0:
        return "missing"
    return "weak" if count < min_firms else "present"


def stage_coverage(store: GraphStore, region: str, *, chain: StageChain | None = None) -> dict[str, set[str]]:
    """R's enterprises per top-level stage: {stage id: {enterprise ids}} (every stage listed).

    Counted in the store (one query for R's OPERATES_IN relationships), then rolled up.

    >>> from graph.store.sqlite import SqliteStore
    >>> stage_coverage(SqliteStore(":memory:", create=True), "nowhere")
    Traceback (most recent call last):
    graph.errors.NotFound: unknown region 'nowhere'
    """
    regions = region_descendants(store, region)
    chain = chain or stage_chain(store)
    local: dict[str, set[str]] = {stage: set() for stage in chain.graph}
    for op in store.operations(regions=regions):
        if op.stage in chain.top:
            local[chain.top[op.stage]].add(op.enterprise)
    return local


def _sides(graph: nx.DiGraph, stage: str, local: dict[str, set[str]]) -> tuple[set[str], set[str], list[str], list[str]]:
    """(upstream enterprises, downstream enterprises, upstream stages with some, downstream
    stages with some) of ``stage`` in R."""
    up_stages = sorted(s for s in nx.ancestors(graph, stage) if local[s])
    down_stages = sorted(s for s in nx.descendants(graph, stage) if local[s])
    up = set().union(*(local[s] for s in up_stages))
    down = set().union(*(local[s] for s in down_stages))
    return up, down, up_stages, down_stages


def gaps(store: GraphStore, region: str, *, min_firms: int = 2, top_candidates: int = 5) -> dict:
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

    Returns
    -------
    dict
        ``{"region", "completeness", "completeness_weighted", "stages": [{"stage", "name",
        "status", "local_enterprises", ...}], "gaps": [{"stage", "name", "status", "kind",
        "score", "upstream_local", "downstream_local", "reasons", "candidates": [{"enterprise",
        "name", "region", "score", "reasons"}]}]}``; gaps by score (highest first), then id.

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
    >>> [(g["stage"], g["kind"], g["score"]) for g in report["gaps"]]
    [('b', 'break', 0.5)]
    """
    _check_positive_int("min_firms", min_firms, 1)
    _check_positive_int("top_candidates", top_candidates, 0)
    chain = stage_chain(store)
    local = stage_coverage(store, region, chain=chain)
    region_name = store.get_node(region).name
    graph = chain.graph
    firms_total = len(set().union(*local.values())) if local else 0
    betweenness = nx.betweenness_centrality(graph, normalized=True) if len(graph) else {}

    def share(count: int) -> float:
        return count / firms_total if firms_total else 0.0

    stages_out, gap_rows, weights, present = [], [], {}, set()
    for stage in chain_order(chain):
        name, count = chain.name(stage), len(local[stage])
        status = _status(count, min_firms)
        up, down, up_stages, down_stages = _sides(graph, stage, local)
        d, u, b = share(len(down)), share(len(up)), betweenness.get(stage, 0.0)
        score = (d + u + b) / 3
        weights[stage] = score
        sub_stages = [s for s in chain.members.get(stage, []) if s != stage]
        stages_out.append({"stage": stage, "name": name, "tier": chain.tier(stage), "status": status, "local_enterprises": count, "sub_stages": sub_stages})
        if status == "present":
            present.add(stage)
            continue
        where = f"{name} ({stage})" + (f" or its {len(sub_stages)} sub-stage{'s' if len(sub_stages) != 1 else ''}" if sub_stages else "")
        if status == "missing":
            reasons = [f"No enterprise in {region_name} operates in {where}."]
            if up and down:
                kind = "break"
                reasons.append(
                    f"{region_name} has {len(up)} enterprise(s) upstream (in {_listing([chain.name(s) for s in up_stages])}) and {len(down)} downstream "
                    f"(in {_listing([chain.name(s) for s in down_stages])}): the local chain is broken here (补链 break)."
                )
            elif up or down:
                kind = "extension"
                side, firms, stages = ("upstream", up, up_stages) if up else ("downstream", down, down_stages)
                direction = "downstream" if up else "upstream"
                reasons.append(
                    f"{region_name} has {len(firms)} enterprise(s) {side} only (in {_listing([chain.name(s) for s in stages])}): "
                    f"attracting this stage extends the local chain {direction} (延链 extension)."
                )
            else:
                kind = "absent"
                reasons.append(f"{region_name} has no enterprise upstream or downstream of it along FEEDS links (absent).")
        else:
            kind = "strengthen"
            firms = [f"{n.name} ({n.id})" for n in sorted(store.nodes(["Enterprise"], ids=local[stage]), key=lambda n: n.id)]
            reasons = [
                f"Only {count} enterprise(s) in {region_name} operate in {where} ({_listing(firms)}), fewer than min_firms={min_firms} (强链 strengthen)."
            ]
        reasons.append(
            f"score = (D + U + B) / 3 = ({len(down)}/{firms_total} + {len(up)}/{firms_total} + {b:.4f}) / 3 = {score:.4f}: "
            f"D and U are the shares of {region_name}'s {firms_total} enterprises in the chain that sit downstream and upstream, "
            "B the stage's betweenness in the stage graph."
        )
        gap_rows.append({
            "stage": stage, "name": name, "status": status, "kind": kind, "score": round(score, 6),
            "upstream_local": len(up), "downstream_local": len(down), "betweenness": round(b, 6),
            "reasons": reasons, "candidates": [],
        })
    gap_rows.sort(key=lambda g: (-g["score"], g["stage"]))
    if top_candidates and gap_rows:
        _add_candidates(store, region, chain, gap_rows, top_candidates)

    total_weight = sum(weights.values())
    completeness = len(present) / len(graph) if len(graph) else 0.0
    weighted = sum(weights[s] for s in present) / total_weight if total_weight else completeness
    counts = {status: sum(1 for s in stages_out if s["status"] == status) for status in STATUSES}
    return {
        "region": region,
        "region_name": region_name,
        "min_firms": min_firms,
        "completeness": round(completeness, 6),
        "completeness_weighted": round(weighted, 6),
        "local_enterprises": firms_total,
        "counts": {"stages": len(graph), **counts},
        "stages": stages_out,
        "gaps": gap_rows,
    }


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _add_candidates(store: GraphStore, region: str, chain: StageChain, gap_rows: list[dict], top: int) -> None:
    """Fill each gap's ``candidates``: enterprises outside ``region`` operating in its stage."""
    regions = region_descendants(store, region)
    region_name = store.get_node(region).name
    members = {stage: g["stage"] for g in gap_rows for stage in chain.members[g["stage"]]}
    by_gap: dict[str, set[str]] = defaultdict(set)
    for op in store.operations(stages=members):
        if op.region not in regions:
            by_gap[members[op.stage]].add(op.enterprise)
    pool = set().union(*by_gap.values()) if by_gap else set()
    if not pool:
        return
    local_firms = enterprises_in(store, region)

    # SUPPLIES ties with R's enterprises, either direction.
    sells_to: dict[str, set[str]] = defaultdict(set)
    buys_from: dict[str, set[str]] = defaultdict(set)
    for rel in store.incident(pool, ["SUPPLIES"]):
        if rel.source in pool and rel.target in local_firms:
            sells_to[rel.source].add(rel.target)
        if rel.target in pool and rel.source in local_firms:
            buys_from[rel.target].add(rel.source)

    # Institutes shared with R's enterprises.
    local_institutes = {r.target for r in store.incident(local_firms, ["COLLABORATES_WITH"]) if r.source in local_firms}
    shared: dict[str, set[str]] = defaultdict(set)
    for rel in store.incident(pool, ["COLLABORATES_WITH"]):
        if rel.source in pool and rel.target in local_institutes:
            shared[rel.source].add(rel.target)
    institute_names = {n.id: n.name for n in store.nodes(["Institute"], ids=set().union(*shared.values()))} if shared else {}
    info = {n.id: n for n in store.nodes(["Enterprise"], ids=pool | set().union(*sells_to.values(), *buys_from.values()))}

    for gap in gap_rows:
        firms = sorted(by_gap.get(gap["stage"], ()))
        revenue = {e: _number(info[e].props.get("revenue_cny")) for e in firms}
        employees = {e: _number(info[e].props.get("employees")) for e in firms}
        max_revenue = max((v for v in revenue.values() if v), default=0.0)
        max_employees = max((v for v in employees.values() if v), default=0.0)
        scored = []
        for firm in firms:
            s = len(sells_to[firm] | buys_from[firm])
            i = len(shared[firm])
            z_revenue = revenue[firm] / max_revenue if revenue[firm] and max_revenue else 0.0
            z_employees = employees[firm] / max_employees if employees[firm] and max_employees else 0.0
            z = (z_revenue + z_employees) / 2
            scored.append((round(2 * s + i + z, 6), firm, s, i, z))
        scored.sort(key=lambda row: (-row[0], row[1]))
        for score, firm, s, i, z in scored[:top]:
            node = info[firm]
            reasons = [f"Operates in {gap['name']} ({gap['stage']}) in {node.props.get('region')}, outside {region_name}."]
            if s:
                parts = []
                if sells_to[firm]:
                    parts.append(f"supplies {len(sells_to[firm])} of {region_name}'s enterprises ({_listing(sorted(info[e].name for e in sells_to[firm]))})")
                if buys_from[firm]:
                    parts.append(f"buys from {len(buys_from[firm])} ({_listing(sorted(info[e].name for e in buys_from[firm]))})")
                reasons.append(f"Already {' and '.join(parts)}: S = {s}.")
            else:
                reasons.append(f"No SUPPLIES ties with {region_name}'s enterprises: S = 0.")
            if i:
                reasons.append(f"Works with {i} institute(s) that {region_name}'s enterprises also work with ({_listing(sorted(institute_names[x] for x in shared[firm]))}): I = {i}.")
            else:
                reasons.append(f"Shares no institute with {region_name}'s enterprises: I = 0.")
            size = []
            if revenue[firm] is not None:
                size.append(f"revenue {revenue[firm]:,.0f} CNY (largest among candidates {max_revenue:,.0f})")
            if employees[firm] is not None:
                size.append(f"{employees[firm]:,.0f} employees (largest {max_employees:,.0f})")
            reasons.append(f"Size: {', '.join(size) if size else 'revenue and employees not given'}: Z = {z:.4f}.")
            reasons.append(f"score = 2·S + I + Z = 2×{s} + {i} + {z:.4f} = {score:.4f}.")
            gap["candidates"].append({
                "enterprise": firm, "name": node.name, "region": node.props.get("region"), "score": score,
                "supply_ties": s, "shared_institutes": i, "size": round(z, 6), "reasons": reasons,
            })


def compare(store: GraphStore, regions: Iterable[str], *, min_firms: int = 2) -> dict:
    """Stage-by-stage coverage of several regions side by side.

    Each stage row holds, per region id, ``{"status", "local_enterprises"}`` (as in
    :func:`gaps`), plus ``present_in`` and ``lacking_in`` (regions where it is not present), so
    what one region has and another lacks reads off one row.

    Examples
    --------
    >>> from graph.model import GraphData, Node, Relationship
    >>> from graph.store.sqlite import SqliteStore
    >>> store = SqliteStore(":memory:", create=True)
    >>> _ = store.write(GraphData(
    ...     nodes=[Node("Region", "r1", "R1"), Node("Region", "r2", "R2"), Node("Stage", "a", "A"),
    ...            Node("Enterprise", "e", "E", {"region": "r1"})],
    ...     relationships=[Relationship("OPERATES_IN", "e", "a")]))
    >>> row = compare(store, ["r1", "r2"], min_firms=1)["stages"][0]
    >>> row["r1"], row["r2"]["status"], row["lacking_in"]
    ({'status': 'present', 'local_enterprises': 1}, 'missing', ['r2'])
    """
    regions = list(regions)
    if not regions:
        raise InvalidParameter("regions", "give at least one region")
    duplicates = sorted({r for r in regions if regions.count(r) > 1})
    if duplicates:
        raise InvalidParameter("regions", f"each region once, please: {', '.join(duplicates)} repeated")
    reserved = {"stage", "name", "tier", "present_in", "lacking_in"} & set(regions)
    if reserved:
        raise InvalidParameter("regions", f"a region id cannot be {', '.join(sorted(reserved))} (a column of the matrix)")
    _check_positive_int("min_firms", min_firms, 1)
    for region in regions:
        check_region(store, region)
    chain = stage_chain(store)
    coverage = {region: stage_coverage(store, region, chain=chain) for region in regions}
    rows = []
    for stage in chain_order(chain):
        row = {"stage": stage, "name": chain.name(stage), "tier": chain.tier(stage)}
        for region in regions:
            count = len(coverage[region][stage])
            row[region] = {"status": _status(count, min_firms), "local_enterprises": count}
        row["present_in"] = [r for r in regions if row[r]["status"] == "present"]
        row["lacking_in"] = [r for r in regions if row[r]["status"] != "present"]
        rows.append(row)
    total = len(rows)
    completeness = {r: round(sum(1 for row in rows if row[r]["status"] == "present") / total, 6) if total else 0.0 for r in regions}
    return {"regions": regions, "min_firms": min_firms, "completeness": completeness, "stages": rows}
