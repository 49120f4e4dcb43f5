"""Relatedness: which missing stages a region could realistically grow, and which regions are like it.

Economic-complexity measures (Hidalgo et al. 2007, "The Product Space Conditions the Development
of Nations"; the Atlas of Economic Complexity; the ``ecomplexity`` package) on a region × stage
matrix X: x_rs is what region r has in top-level stage s (its enterprises operating there, their
stated capacity or their revenue, the ``measure``), over the regions of the store (see
:func:`region_stage_matrix`) and the top-level stages of a chain scope (:mod:`graph.scope`).

- **RCA** (Balassa): RCA_rs = (x_rs / Σ_s x_rs) / (Σ_r x_rs / Σ_rs x_rs); 0 where r or s holds nothing.
- **Presence** M_rs = 1 when RCA_rs ≥ 1 (``presence="rca"``), or when x_rs > 0 (``presence="any"``).
  Diversity k_r = Σ_s M_rs, ubiquity k_s = Σ_r M_rs.
- **Proximity** φ_ss′ = Σ_r M_rs·M_rs′ / max(k_s, k_s′): the smaller of the two conditional
  probabilities of having one stage given the other (0 when neither stage is present anywhere;
  φ_ss = 1 for a stage present somewhere).
- **Density** ω_rs = Σ_s′ M_rs′·φ_ss′ / Σ_s′ φ_ss′ (the sums over every stage, s itself included,
  as ``ecomplexity`` does): the share of s's relatedness that r already holds.
- **ECI / PCI**: K_r is the eigenvector of the second largest eigenvalue of
  M̃_rr′ = Σ_s M_rs·M_r′s / (k_r·k_s); K_s = Σ_r M_rs·K_r / (λ·k_s), λ that eigenvalue. ECI = (K_r − mean K_r) / std K_r,
  PCI = (K_s − mean K_r) / std K_r, signed so that ECI correlates positively with diversity
  (``ecomplexity``'s convention). Computed on the R × R side, so 5,000 stages cost no 5,000² eigenproblem.
- **Opportunity gain** of s for r: Σ_s′ φ_ss′ / Σ_s″ φ_s″s′ · (1 − M_rs′) · PCI_s′ − (1 − ω_rs)·PCI_s.
- **Peer regions**: cosine similarity of the regions' stage profiles (the rows of X):
  cos(r, r′) = x_r·x_r′ / (|x_r|·|x_r′|), 0 for a region holding nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graph.errors import InvalidParameter
from graph.i18n import choose_lang, message
from graph.params import MEASURE, PEERS, PRESENCE, REGION_LEVEL, RELATED_TOP
from graph.regions import check_region, region_descendants
from graph.reports import FeasibleStage, PeerRegion, RelatedMatrix, RelatedReport, RelatedStage, Scope
from graph.scope import chain_in_scope
from graph.store.base import GraphStore
from graph.store.queries import queries
from graph.store.reads import get_node

from .reasons import listing as _listing
from .stages import StageChain

__all__ = ["rca", "presence", "proximity", "density", "region_density", "complexity", "opportunity_gain", "cosine_peers",
           "Relatedness", "relatedness", "region_stage_matrix", "stage_density", "peer_regions", "related", "MEASURES", "PRESENCES"]

MEASURES = ("enterprises", "capacity", "revenue")
PRESENCES = ("rca", "any")


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (a region or stage holding nothing)."""
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape))
    np.divide(num, den, out=out, where=den != 0)
    return out


def rca(x: np.ndarray) -> np.ndarray:
    """Balassa's revealed comparative advantage of every (region, stage) of ``x`` (regions × stages).

    >>> rca(np.array([[2.0, 0.0], [1.0, 1.0]])).round(4).tolist()
    [[1.3333, 0.0], [0.6667, 2.0]]
    """
    x = np.asarray(x, dtype=float)
    total = x.sum()
    share = _divide(x, x.sum(axis=1, keepdims=True))
    return _divide(share, x.sum(axis=0, keepdims=True) / total if total else np.zeros((1, x.shape[1])))


def presence(x: np.ndarray, how: str = "rca", threshold: float = 1.0) -> np.ndarray:
    """M (0/1 floats): RCA ≥ ``threshold`` (``how="rca"``) or x > 0 (``how="any"``)."""
    if how == "rca":
        return (rca(x) >= threshold).astype(float)
    return (np.asarray(x) > 0).astype(float)


def proximity(m: np.ndarray) -> np.ndarray:
    """φ (stages × stages) of a presence matrix ``m``: co-presence over the larger ubiquity.

    >>> proximity(np.array([[1.0, 1.0], [1.0, 0.0]])).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    m = np.asarray(m, dtype=float)
    ubiquity = m.sum(axis=0)
    return _divide(m.T @ m, np.maximum(ubiquity[:, None], ubiquity[None, :]))


def density(m: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """ω (regions × stages): ω_rs = Σ_s′ M_rs′ φ_ss′ / Σ_s′ φ_ss′."""
    return _divide(np.asarray(m, dtype=float) @ phi.T, phi.sum(axis=1)[None, :])


def region_density(m: np.ndarray, r: int) -> np.ndarray:
    """Row ``r`` of :func:`density` (``density(m, proximity(m))[r]``) without the stages × stages
    φ, which on a national chain (50,000 stages: 19 GB) does not fit in memory.

    φ_ss′ = C_ss′ / max(u_s, u_s′) with C = MᵀM: for the stages s′ of one ubiquity v the
    denominator is one number, so Σ_{s′: u_s′ = v} C_ss′ = Σ_r′ M_r′s · (stages of ubiquity v
    present in r′). Both sums of ω_rs therefore need only the regions × ubiquities counts: a
    product of (stages × regions) by (regions × distinct ubiquities).

    >>> m = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> bool(np.allclose(region_density(m, 1), density(m, proximity(m))[1]))
    True
    """
    m = np.asarray(m, dtype=float)
    ubiquity = m.sum(axis=0)
    values, group = np.unique(ubiquity, return_inverse=True)
    by_group = np.zeros((m.shape[1], len(values)))
    by_group[np.arange(m.shape[1]), group] = 1.0  # stage → its ubiquity's column
    present = m @ by_group  # regions × ubiquities: stages of that ubiquity present in the region
    shared = (m * m[r]) @ by_group  # the same, of the stages present in region r too
    weight = _divide(np.ones(1), np.maximum(ubiquity[:, None], values[None, :]))  # 1 / max(u_s, v)
    return _divide((weight * (m.T @ shared)).sum(axis=1), (weight * (m.T @ present)).sum(axis=1))


def complexity(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ECI per region, PCI per stage) of ``m``, standardised as the module docstring says;
    NaN for a region or stage with no presence, and everywhere when fewer than two regions have any."""
    m = np.asarray(m, dtype=float)
    k_r, k_s = m.sum(axis=1), m.sum(axis=0)
    rows, cols = k_r > 0, k_s > 0
    eci, pci = np.full(m.shape[0], np.nan), np.full(m.shape[1], np.nan)
    if rows.sum() < 2:
        return eci, pci
    valid = m[rows][:, cols]
    by_region = valid / k_r[rows][:, None]
    by_stage = valid / k_s[cols][None, :]
    values, vectors = np.linalg.eig(by_region @ by_stage.T)
    second = np.argsort(np.real(values))[-2]
    kc = np.real(vectors[:, second])
    # K_s on the same scale as K_r (K_r = Σ_s M_rs K_s / k_r), so one standardisation fits both
    kp = by_stage.T @ kc / np.real(values[second])
    sign = np.sign(np.corrcoef(k_r[rows], kc)[0, 1]) or 1.0
    kc, kp = sign * kc, sign * kp
    mean, std = kc.mean(), kc.std()
    eci[rows], pci[cols] = (kc - mean) / std, (kp - mean) / std
    return eci, pci


def opportunity_gain(m: np.ndarray, phi: np.ndarray, omega: np.ndarray, pci: np.ndarray) -> np.ndarray:
    """Opportunity gain (regions × stages), the formula of the module docstring (NaN PCI as 0)."""
    pci = np.nan_to_num(pci)
    weight = _divide(phi, phi.sum(axis=0)[None, :])  # φ_ss′ / Σ_s″ φ_s″s′
    return ((1 - m) * pci[None, :]) @ weight.T - (1 - omega) * pci[None, :]


def cosine_peers(x: np.ndarray, row: int) -> np.ndarray:
    """Cosine similarity of every region's profile (row of ``x``) with region ``row``'s."""
    x = np.asarray(x, dtype=float)
    norms = np.linalg.norm(x, axis=1)
    return _divide(x @ x[row], norms * norms[row])


@dataclass
class Relatedness:
    """Every measure of one matrix (rows: regions, columns: stages)."""

    x: np.ndarray
    rca: np.ndarray
    m: np.ndarray
    proximity: np.ndarray
    density: np.ndarray
    diversity: np.ndarray
    ubiquity: np.ndarray
    eci: np.ndarray | None = None
    pci: np.ndarray | None = None
    gain: np.ndarray | None = None


def relatedness(x: np.ndarray, *, how: str = "rca", threshold: float = 1.0, with_complexity: bool = True) -> Relatedness:
    """RCA, presence, proximity, density (and ECI, PCI and opportunity gain) of ``x`` at once.

    Parameters
    ----------
    x : numpy.ndarray
        Regions × stages, non-negative.
    how : {"rca", "any"}
        Presence by RCA ≥ ``threshold``, or by x > 0.
    with_complexity : bool
        Also the complexity indices and the opportunity gain (an R × R eigenproblem).

    Returns
    -------
    Relatedness

    Examples
    --------
    >>> r = relatedness(np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), how="any", with_complexity=False)
    >>> r.density.round(4).tolist()[0]
    [0.75, 0.75, 0.5]
    """
    x = np.asarray(x, dtype=float)
    ratio = rca(x)
    m = (ratio >= threshold).astype(float) if how == "rca" else (x > 0).astype(float)
    phi = proximity(m)
    omega = density(m, phi)
    out = Relatedness(x, ratio, m, phi, omega, m.sum(axis=1), m.sum(axis=0))
    if with_complexity:
        out.eci, out.pci = complexity(m)
        out.gain = opportunity_gain(m, phi, omega, out.pci)
    return out


def _levels(store: GraphStore) -> dict[str, str | None]:
    return {n.id: n.props.get("level") for n in store.nodes(["Region"])}


def region_stage_matrix(store: GraphStore, chain: StageChain, region: str, *, level: str | None = None,
                        measure: str = "enterprises", lang: str = "en") -> tuple[list[str], list[str], np.ndarray, str]:
    """(region ids, stage ids, X, the rule that chose the regions) for ``chain``'s top-level stages.

    With ``level`` given, the rows are the regions of that level, each holding the enterprises of
    its sub-regions too; ``region`` must be one of them. Without it, the rows are the regions
    enterprises are located in, with ``region``'s sub-regions folded into it (Shengze against the
    other places firms are, whatever their level).
    """
    levels = _levels(store)
    owner: dict[str, str] = {}  # a region id → the row it counts in
    if level is not None:
        rows = sorted(r for r, lv in levels.items() if lv == level)
        if not rows:
            known = sorted({lv for lv in levels.values() if lv})
            raise InvalidParameter("level", f"no region has level {level!r} (levels: {', '.join(known) or 'none'})")
        if region not in rows:
            raise InvalidParameter("level", f"region {region!r} is at level {levels.get(region)!r}, not {level!r}")
        for row in rows:
            for sub in region_descendants(store, row):
                owner.setdefault(sub, row)
        rule = message("rel.rule_level", lang, n=len(rows), level=level)
    else:
        for sub in region_descendants(store, region):
            owner[sub] = region
        rule = message("rel.rule_located", lang, name="{name}")
    stages = sorted(chain.graph)
    column = {s: i for i, s in enumerate(stages)}
    # the scope's stages and their sub-stages only, asked of the store: a national chain's other
    # OPERATES_IN links are never read
    wanted = {sub for top in stages for sub in chain.members.get(top, [top])}
    ops = [op for op in queries(store).operations(stages=wanted) if chain.top.get(op.stage) in column]
    revenue: dict[str, float] = {}
    if measure == "revenue":
        revenue = {row.enterprise: row.revenue_cny or 0.0 for row in queries(store).stage_firms({op.stage for op in ops})}
    # the row of each operation (None: in no row), then the cells summed with NumPy in the
    # operations' order (a national chain has a few hundred thousand of them)
    row_of = [owner.get(op.region, op.region if level is None else None) for op in ops]
    ops = [op for op, row in zip(ops, row_of) if row is not None]
    row_of = [row for row in row_of if row is not None]
    names = sorted(set(row_of) | {region}) if level is None else rows
    index = {r: i for i, r in enumerate(names)}
    cell = (np.fromiter(map(index.__getitem__, row_of), dtype=np.int64, count=len(ops)) * len(stages)
            + np.fromiter((column[chain.top[op.stage]] for op in ops), dtype=np.int64, count=len(ops)))
    if measure == "capacity":
        value = np.fromiter((op.capacity or 0.0 for op in ops), dtype=np.float64, count=len(ops))
    else:
        # one enterprise counts once per top-level stage, however many sub-stages it lists: its
        # first operation there (in the operations' order, so that revenues add up in it)
        firm = {}
        key = cell * max(len(ops), 1) + np.fromiter((firm.setdefault(op.enterprise, len(firm)) for op in ops), dtype=np.int64, count=len(ops))
        first = np.sort(np.unique(key, return_index=True)[1])
        cell = cell[first]
        value = (np.ones(len(first)) if measure == "enterprises" else
                 np.fromiter((revenue.get(ops[i].enterprise, 0.0) for i in first.tolist()), dtype=np.float64, count=len(first)))
    x = np.bincount(cell, weights=value, minlength=len(names) * len(stages)).reshape(len(names), len(stages))
    return names, stages, x, rule


def _peers(regions: list[str], x: np.ndarray, r: int, n: int, names: dict[str, str]) -> list[PeerRegion]:
    """The ``n`` regions whose rows of ``x`` are nearest row ``r``'s by cosine (ties by id)."""
    if not n:
        return []
    cos = cosine_peers(x, r)
    has = x[r] > 0
    order = sorted((k for k in range(len(regions)) if k != r), key=lambda k: (-round(cos[k], 12), regions[k]))[:n]
    return [PeerRegion.model_construct(region=regions[k], name=names.get(regions[k], regions[k]), similarity=round(float(cos[k]), 6),
                                       shared_stages=int(((x[k] > 0) & has).sum()), stages=int((x[k] > 0).sum())) for k in order]


def peer_regions(store: GraphStore, chain: StageChain, region: str, n: int) -> list[PeerRegion]:
    """The ``n`` regions most like ``region`` by cosine similarity of their enterprise counts per
    top-level stage of ``chain`` (the rows of :func:`region_stage_matrix`'s default matrix)."""
    regions, _, x, _ = region_stage_matrix(store, chain, region)
    names = {node.id: node.name for node in store.nodes(["Region"], ids=set(regions))}
    return _peers(regions, x, regions.index(region), n, names)


def stage_density(store: GraphStore, chain: StageChain, region: str) -> tuple[dict[str, float], float]:
    """({stage: ω of ``region``} for every top-level stage of ``chain``, the mean ω over the stages
    the region has no activity in): what the gaps report shows beside each gap's score. The
    matrix is :func:`region_stage_matrix`'s default (enterprise counts, presence by RCA ≥ 1)."""
    regions, stages, x, _ = region_stage_matrix(store, chain, region)
    m = presence(x)
    omega = region_density(m, regions.index(region))
    lacking = x[regions.index(region)] == 0
    return dict(zip(stages, omega.tolist())), float(omega[lacking].mean()) if lacking.any() else 0.0


def related(store: GraphStore, region: str, *, level: str | None = None, measure: str = "enterprises", presence: str = "rca",
            top: int = 20, peers: int = 5, scope: str = "auto", scope_depth: int | None = None, source: str | None = None,
            sink: str | None = None, rollup: str = "auto", pairs: str = "keep", chain: str | None = None, lang: str | None = None) -> RelatedReport:
    """Relatedness of ``region``'s chain: the missing stages it could grow, ranked by density,
    and its peer regions.

    See the module docstring for every formula.

    Parameters
    ----------
    store : GraphStore
    region : str
        Region id or name; its sub-regions count as part of it.
    level : str, optional
        Compare against the regions of this level (see :func:`region_stage_matrix`).
    measure : {"enterprises", "capacity", "revenue"}
        What x_rs adds up.
    presence : {"rca", "any"}
        A stage is present in a region by RCA ≥ 1, or by x > 0.
    top : int
        How many feasible stages to list.
    peers : int
        How many peer regions to list (0 for none).
    scope, scope_depth, source, sink, rollup
        The part of the chain read (:func:`graph.scope.chain_in_scope`).

    Returns
    -------
    RelatedReport
        ``feasible`` (missing stages by density, each with the related stages the region has and
        the FEEDS links tying them), ``stages`` (every stage of the scope: x, RCA, presence,
        density, PCI), ``peers``, ``matrix`` (its size and the rules).
    """
    MEASURE.check(measure)
    PRESENCE.check(presence)
    RELATED_TOP.check(top)
    PEERS.check(peers)
    REGION_LEVEL.check(level)
    region = check_region(store, region)
    region_name = get_node(store, region).name
    chain, used = chain_in_scope(store, regions=region_descendants(store, region), region_label=region_name, scope=scope,
                                 depth=scope_depth, source=source, sink=sink, rollup=rollup, pairs=pairs, chain=chain)
    lang = choose_lang(lang, (chain.name(s) for s in chain.graph))
    regions, stages, x, rule = region_stage_matrix(store, chain, region, level=level, measure=measure, lang=lang)
    result = relatedness(x, how=presence)
    r = regions.index(region)
    phi = result.proximity
    held = result.m[r] > 0
    has = x[r] > 0
    names = {n.id: n.name for n in store.nodes(["Region"], ids=set(regions))}
    held_stages = {stages[j] for j in np.flatnonzero(has)}

    stage_rows = []
    for j, s in enumerate(stages):
        stage_rows.append(RelatedStage.model_construct(
            stage=s, name=chain.name(s), value=float(x[r, j]), rca=round(float(result.rca[r, j]), 6), present=bool(held[j]),
            ubiquity=int(result.ubiquity[j]), density=round(float(result.density[r, j]), 6),
            pci=None if np.isnan(result.pci[j]) else round(float(result.pci[j]), 6),
            opportunity_gain=round(float(result.gain[r, j]), 6)))
    missing = [j for j in range(len(stages)) if not has[j]]
    missing.sort(key=lambda j: (-round(result.density[r, j], 9), stages[j]))
    feasible = []
    for rank, j in enumerate(missing[:top], start=1):
        s = stages[j]
        related_js = [k for k in np.argsort(-phi[j], kind="stable") if k != j and held[k] and phi[j, k] > 0]
        related_ids = [stages[k] for k in related_js[:10]]
        links = ([f"{chain.name(s)} → {chain.name(t)}" for t in sorted(chain.graph.succ[s]) if t in held_stages] +
                 [f"{chain.name(t)} → {chain.name(s)}" for t in sorted(chain.graph.pred[s]) if t in held_stages])
        omega = float(result.density[r, j])
        nearest = _listing([f"{chain.name(stages[k])} (φ={phi[j, k]:.2f})" for k in related_js[:5]], len(related_js), lang=lang)
        reasons = [
            message("rel.none", lang, region=region_name, name=chain.name(s), stage=s),
            message("rel.density", lang, omega=omega, name=chain.name(s), region=region_name,
                    rule="RCA ≥ 1" if presence == "rca" else "x > 0")
            + (message("rel.nearest", lang, names=nearest) if related_js else message("rel.no_nearest", lang, region=region_name)),
        ]
        if links:
            reasons.append(message("rel.feeds", lang, region=region_name, links=_listing(links[:5], len(links), lang=lang)))
        feasible.append(FeasibleStage.model_construct(
            rank=rank, stage=s, name=chain.name(s), density=round(omega, 6), ubiquity=int(result.ubiquity[j]),
            pci=None if np.isnan(result.pci[j]) else round(float(result.pci[j]), 6),
            opportunity_gain=round(float(result.gain[r, j]), 6), related=related_ids,
            related_names=[chain.name(t) for t in related_ids], feeds_links=links, reasons=reasons))

    peer_rows = _peers(regions, x, r, peers, names)
    eci = result.eci[r]
    report = RelatedReport.model_construct(
        region=region, region_name=region_name, measure=measure, presence=presence,
        eci=None if np.isnan(eci) else round(float(eci), 6),
        matrix=RelatedMatrix.model_construct(
            regions=len(regions), stages=len(stages), present=int(held.sum()), held=int(has.sum()),
            rule=rule.format(name=region_name),
            peer_measure=message("rel.peer_measure", lang),
            note=message("rel.few_regions", lang) if len(regions) < 3 else ""),
        feasible=feasible, feasible_total=len(missing), stages=stage_rows, peers=peer_rows,
        chain_scope=Scope.model_construct(**used.as_dict()),
    )
    report._space = (stages, phi)
    report._lang = lang
    return report
