"""Generate a realistic industrial-chain dataset of a chosen size, in the data contract, from a seed.

The shape follows the textile chain ("from a drop of oil to a cloth"):

- **stages**: a layered DAG from crude oil, coal and cotton through polymers, fibres, spinning,
  weaving, dyeing and finishing to garments, with ``tier`` (upstream / midstream / downstream /
  support), sub-stages (``parent``) under some stages, and support stages (machinery, dyes,
  testing, logistics) that feed stages across the layers;
- **regions**: a tree of provinces, cities and districts; enterprises sit in districts, a few
  districts hold most of them (Zipf), and each district specialises in a handful of stages, so a
  region has gaps the way Tianmen lacks weaving and dyeing;
- **enterprises** operating in 1–3 stages (a primary one, often the stages it feeds too), with a
  heavy-tailed size ("fitness", Pareto) that drives revenue, ties and supply degree;
- **supplies** only along FEEDS: a supplier operating in stage A sells A's output to a customer
  operating in a stage A feeds; suppliers and customers are drawn in proportion to their fitness,
  so supply degrees are heavy-tailed as in real chains (a few national champions, many small
  firms);
- **institutes** in cities, researching a few stages, tied to enterprises (bigger firms more often).

The files hold exactly ``relationships`` relationships once loaded (every PART_OF, FEEDS,
LOCATED_IN, OPERATES_IN, SUPPLIES, COLLABORATES_WITH and RESEARCHES row counts); supplies take
whatever the rest leaves. The same seed and size give the same bytes.

Command line::

    python -m benchmarks.generate --relationships 100000 --seed 1 --out chain-100k

From tests::

    >>> import tempfile
    >>> folder = generate_dataset(tempfile.mkdtemp(), relationships=3_000, seed=1)
    >>> sorted(p.name for p in folder.iterdir())[:3]
    ['dataset.json', 'enterprise_stages.csv', 'enterprises.csv']
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["generate_dataset", "SIZES", "MIN_RELATIONSHIPS", "DatasetShape"]

SIZES = {"tiny": 3_000, "quick": 10_000, "default": 100_000, "full": 1_000_000}
MIN_RELATIONSHIPS = 2_000

# (id, name, English name) by layer; the last group is the support tier.
_LAYERS: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("upstream", [("crude_oil", "原油", "crude oil"), ("coal", "煤炭", "coal"), ("natural_gas", "天然气", "natural gas"),
                  ("cotton", "原棉", "raw cotton"), ("cocoon", "蚕茧", "cocoon"), ("wood_pulp", "木浆", "wood pulp")]),
    ("upstream", [("px", "对二甲苯", "paraxylene"), ("meg", "乙二醇", "ethylene glycol"), ("caprolactam", "己内酰胺", "caprolactam"),
                  ("acrylonitrile", "丙烯腈", "acrylonitrile"), ("raw_silk", "生丝", "raw silk"), ("dissolving_pulp", "溶解浆", "dissolving pulp")]),
    ("upstream", [("pta", "精对苯二甲酸", "PTA"), ("polymerisation", "聚酯聚合", "polyester polymerisation"),
                  ("nylon_polymerisation", "锦纶聚合", "nylon polymerisation"), ("acrylic_polymerisation", "腈纶聚合", "acrylic polymerisation"),
                  ("viscose", "粘胶", "viscose")]),
    ("upstream", [("polyester_filament", "涤纶长丝", "polyester filament"), ("polyester_staple", "涤纶短纤", "polyester staple fibre"),
                  ("nylon_filament", "锦纶长丝", "nylon filament"), ("acrylic_fibre", "腈纶纤维", "acrylic fibre"),
                  ("viscose_staple", "粘胶短纤", "viscose staple fibre")]),
    ("midstream", [("cotton_spinning", "棉纺", "cotton spinning"), ("staple_spinning", "短纤纺纱", "staple fibre spinning"),
                   ("texturing", "加弹", "texturing"), ("silk_reeling", "缫丝", "silk reeling")]),
    ("midstream", [("weaving", "机织", "weaving"), ("knitting", "针织", "knitting"), ("non_wovens", "非织造布", "non-wovens")]),
    ("midstream", [("printing_dyeing", "印染", "printing and dyeing"), ("finishing", "后整理", "finishing"), ("coating", "涂层", "coating")]),
    ("midstream", [("embroidery", "刺绣", "embroidery"), ("sewing_thread", "缝纫线", "sewing thread"), ("trims", "辅料", "trims"),
                   ("fabric_trading", "面料贸易", "fabric trading")]),
    ("downstream", [("garments", "服装", "garments"), ("home_textiles", "家用纺织品", "home textiles"),
                    ("industrial_textiles", "产业用纺织品", "industrial textiles"), ("footwear", "鞋帽", "footwear and hats")]),
]
_SUPPORT = [("textile_machinery", "纺织机械", "textile machinery"), ("dyes_auxiliaries", "染料助剂", "dyes and auxiliaries"),
            ("rd_design", "研发设计", "R&D and design"), ("testing", "检验检测", "testing"), ("logistics", "物流", "logistics"),
            ("ecommerce", "电子商务", "e-commerce"), ("trade", "商贸市场", "trade markets")]
_MODIFIERS = [("差别化", "differentiated"), ("功能性", "functional"), ("再生", "recycled"), ("高端", "premium"),
              ("超细", "microfibre"), ("阻燃", "flame-retardant"), ("抗菌", "antibacterial"), ("高强", "high-tenacity"),
              ("智能", "smart"), ("绿色", "green")]
_PROVINCES = [("jiangsu", "江苏省"), ("zhejiang", "浙江省"), ("fujian", "福建省"), ("guangdong", "广东省"), ("shandong", "山东省"),
              ("hubei", "湖北省"), ("henan", "河南省"), ("hebei", "河北省"), ("xinjiang", "新疆维吾尔自治区"), ("anhui", "安徽省"),
              ("jiangxi", "江西省"), ("sichuan", "四川省"), ("liaoning", "辽宁省"), ("shanghai", "上海市"), ("hunan", "湖南省"),
              ("shaanxi", "陕西省"), ("chongqing", "重庆市"), ("tianjin", "天津市"), ("beijing", "北京市"), ("guangxi", "广西壮族自治区"),
              ("shanxi", "山西省"), ("jilin", "吉林省"), ("heilongjiang", "黑龙江省"), ("yunnan", "云南省"), ("guizhou", "贵州省"),
              ("gansu", "甘肃省"), ("neimenggu", "内蒙古自治区"), ("ningxia", "宁夏回族自治区"), ("qinghai", "青海省"),
              ("hainan", "海南省"), ("xizang", "西藏自治区")]
_SYLLABLES = "江宁华盛恒新东南兴安和平泰丰瑞德明昌永福康隆宏远达通海山湖阳春金银鑫嘉荣利源富吉祥云天长"
_TIER_FIRMS = {"upstream": 0.35, "midstream": 1.0, "downstream": 1.6, "support": 0.5}
_INSTITUTE_KINDS = [("university", "大学"), ("research_institute", "研究院"), ("testing_centre", "检测中心"),
                    ("industry_association", "行业协会")]
_TIE_KINDS = ["joint_lab", "postdoc_station", "membership", "project", "training"]

# Per enterprise, on average: one LOCATED_IN its district, one to a park for PARK_SHARE of them,
# OPERATES_IN 1.6 stages, TIE_RATE ties; supplies fill the rest of the budget.
PARK_SHARE = 0.45
OPERATION_COUNTS = (1, 2, 3)
OPERATION_P = (0.55, 0.30, 0.15)
TIE_RATE = 0.12
SUPPLY_DEGREE = 6.0
BOM = "\ufeff"  # the files open in Excel with Chinese intact, as loaders/write.py writes them


@dataclass
class DatasetShape:
    """What was generated: node and relationship counts per file, and the size asked for."""

    relationships: int
    seed: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def nodes(self) -> int:
        return sum(self.counts.get(f, 0) for f in ("stages", "regions", "parks", "enterprises", "institutes"))


def _name(rng: np.random.Generator, syllables: int = 2) -> str:
    return "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), syllables))


def _stages(rng: np.random.Generator, relationships: int):
    """Stages as (id, name, name_en, tier, parent, layer) and FEEDS links as (source, target, weight)."""
    # Sub-stages grow with the chain: a national dataset distinguishes more specialities.
    share = min(0.8, 0.25 + 0.12 * math.log10(max(relationships, 10_000) / 10_000))
    stages, by_layer = [], []
    for layer, (tier, group) in enumerate(_LAYERS):
        members = []
        for sid, name, name_en in group:
            stages.append((sid, name, name_en, tier, "", layer))
            members.append(sid)
            if rng.random() < share:
                picks = rng.choice(len(_MODIFIERS), size=int(rng.integers(2, 5)), replace=False)
                for j in sorted(picks):
                    mod, mod_en = _MODIFIERS[j]
                    stages.append((f"{sid}_{mod_en.replace('-', '_')}", f"{mod}{name}", f"{mod_en} {name_en}", tier, sid, layer))
                    members.append(stages[-1][0])
        by_layer.append(members)
    for sid, name, name_en in _SUPPORT:
        stages.append((sid, name, name_en, "support", "", -1))

    links: dict[tuple[str, str], float] = {}
    for layer in range(1, len(by_layer)):
        for target in by_layer[layer]:
            for _ in range(int(rng.integers(1, 4))):
                back = 2 if layer >= 2 and rng.random() < 0.1 else 1  # now and then a layer is skipped
                pool = by_layer[layer - back]
                links.setdefault((pool[int(rng.integers(len(pool)))], target), round(float(rng.uniform(0.2, 1.0)), 2))
    fed = {source for source, _ in links}
    for layer in range(len(by_layer) - 1):  # every stage but the last layer's feeds something
        for source in by_layer[layer]:
            if source not in fed:
                pool = by_layer[layer + 1]
                links[(source, pool[int(rng.integers(len(pool)))])] = round(float(rng.uniform(0.2, 1.0)), 2)
    chain = [s[0] for s in stages if s[5] >= 0]
    for sid, _, _ in _SUPPORT:
        for target in rng.choice(len(chain), size=int(rng.integers(2, 7)), replace=False):
            links.setdefault((sid, chain[target]), round(float(rng.uniform(0.1, 0.6)), 2))
    last = by_layer[-1]
    for sid in ("logistics", "ecommerce", "trade"):  # the market end: downstream goods flow into trade
        links.setdefault((last[int(rng.integers(len(last)))], sid), round(float(rng.uniform(0.3, 0.8)), 2))
    return stages, sorted(links.items())


def _regions(rng: np.random.Generator, districts_wanted: int):
    """Regions as (id, name, parent, level); returns (regions, city ids, district ids)."""
    provinces = min(len(_PROVINCES), max(3, round(districts_wanted ** 0.5 / 2)))
    cities_per = max(2, round((districts_wanted / provinces) ** 0.5))
    regions, cities, districts = [], [], []
    for p in range(provinces):
        pid, pname = _PROVINCES[p]
        regions.append((pid, pname, "", "province"))
        for c in range(int(rng.integers(max(1, cities_per - 1), cities_per + 2))):
            cid = f"{pid}_c{c}"
            regions.append((cid, _name(rng) + "市", pid, "city"))
            cities.append(cid)
            for d in range(int(rng.integers(max(1, cities_per - 1), cities_per + 2))):
                did = f"{cid}_d{d}"
                regions.append((did, _name(rng) + ("区" if d % 3 else "镇"), cid, "district" if d % 3 else "town"))
                districts.append(did)
    return regions, cities, districts


def _zipf(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Probabilities of n items falling off as 1/rank^exponent, ranks in random order."""
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    rng.shuffle(weights)
    return weights / weights.sum()


def _writer(path: Path):
    handle = path.open("w", encoding="utf-8", newline="")
    handle.write(BOM)  # once, rather than through the utf-8-sig codec on every write
    return handle, csv.writer(handle)


def generate_dataset(out: str | Path, relationships: int = 100_000, seed: int = 0) -> Path:
    """Write a dataset of exactly ``relationships`` relationships into the folder ``out``.

    Returns the folder. See the module docstring for the shape; :data:`SIZES` names the sizes the
    benchmark uses.
    """
    return _generate(Path(out), relationships, seed)[0]


def _generate(out: Path, relationships: int, seed: int) -> tuple[Path, DatasetShape]:
    if relationships < MIN_RELATIONSHIPS:
        raise ValueError(f"relationships must be at least {MIN_RELATIONSHIPS:,}, not {relationships:,}")
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    shape = DatasetShape(relationships, seed)
    mean_ops = float(np.dot(OPERATION_COUNTS, OPERATION_P))
    per_enterprise = 1 + PARK_SHARE + mean_ops + TIE_RATE + SUPPLY_DEGREE
    enterprises_est = int(relationships / per_enterprise)

    # -- stages and FEEDS ------------------------------------------------------------------------
    stages, links = _stages(rng, relationships)
    stage_ids = [s[0] for s in stages]
    stage_index = {sid: i for i, sid in enumerate(stage_ids)}
    has_children = {s[4] for s in stages if s[4]}
    # -- regions and parks ---------------------------------------------------------------------
    regions, cities, districts = _regions(rng, max(12, enterprises_est // 120))
    region_name = {r[0]: r[1] for r in regions}
    parks = []  # (id, name, region, kind)
    parks_of: dict[int, list[str]] = {}
    for d, did in enumerate(districts):
        if rng.random() < 0.35:
            for j in range(int(rng.integers(1, 3))):
                pid = f"park_{len(parks)}"
                kind = ("industrial_park", "high_tech_zone", "market")[int(rng.integers(3))]
                suffix = {"industrial_park": "纺织产业园", "high_tech_zone": "高新技术产业开发区", "market": "纺织市场"}[kind]
                parks.append((pid, region_name[did][:-1] + suffix + ("" if j == 0 else "二期"), did, kind))
                parks_of.setdefault(d, []).append(pid)
    institutes_n = max(8, enterprises_est // 400)
    institute_stage_rows: list[tuple[str, str]] = []
    institutes = []
    for i in range(institutes_n):
        city = cities[int(rng.integers(len(cities)))]
        kind, word = _INSTITUTE_KINDS[int(rng.integers(len(_INSTITUTE_KINDS)))]
        iid = f"inst_{i}"
        institutes.append((iid, f"{region_name[city][:-1]}{_name(rng)}纺织{word}", kind, city))
        for s in sorted(rng.choice(len(stages), size=int(rng.integers(2, 7)), replace=False)):
            institute_stage_rows.append((iid, stage_ids[s]))

    fixed = (
        sum(1 for s in stages if s[4]) + len(links) + sum(1 for r in regions if r[2])
        + len(parks) + len(institutes) + len(institute_stage_rows)
    )
    enterprises_n = max(50, int((relationships - fixed) / per_enterprise))

    # -- enterprises -----------------------------------------------------------------------------
    fitness = rng.pareto(1.3, enterprises_n) + 1.0  # heavy-tailed size: a few champions, many small firms
    district_p = _zipf(rng, len(districts), 0.9)
    home = rng.choice(len(districts), size=enterprises_n, p=district_p)
    stage_weight = np.array([_TIER_FIRMS[s[3]] * (0.4 if s[0] in has_children else 1.0) for s in stages])
    stage_p = stage_weight / stage_weight.sum()
    # each district specialises in a few stages (clusters), so regions have gaps
    special = [rng.choice(len(stages), size=int(rng.integers(3, 9)), replace=False, p=stage_p) for _ in districts]
    successors: dict[int, list[int]] = {}
    for (source, target), _ in links:
        successors.setdefault(stage_index[source], []).append(stage_index[target])
    op_counts = rng.choice(OPERATION_COUNTS, size=enterprises_n, p=OPERATION_P)
    global_pick = rng.choice(len(stages), size=enterprises_n, p=stage_p)
    local = rng.random(enterprises_n) < 0.7  # most firms work in their district's specialities
    op_ent, op_stage = [], []
    for e in range(enterprises_n):
        spec = special[home[e]]
        primary = int(spec[int(rng.integers(len(spec)))]) if local[e] else int(global_pick[e])
        mine = [primary]
        while len(mine) < op_counts[e]:
            nxt = successors.get(mine[-1])
            cand = nxt[int(rng.integers(len(nxt)))] if nxt and rng.random() < 0.7 else int(rng.integers(len(stages)))
            if cand in mine:
                break
            mine.append(cand)
        op_ent.extend([e] * len(mine))
        op_stage.extend(mine)
    op_ent_a = np.array(op_ent, dtype=np.int64)
    op_stage_a = np.array(op_stage, dtype=np.int64)
    in_park = rng.random(enterprises_n) < PARK_SHARE / 0.6  # only districts with parks can place one
    revenue = np.round(fitness * rng.lognormal(17.0, 0.8, enterprises_n), -3)
    employees = np.maximum(3, (revenue / rng.uniform(4e5, 1.2e6, enterprises_n)).astype(np.int64))
    founded = rng.integers(1978, 2024, enterprises_n)

    enterprise_ids = [f"ent_{e:07d}" for e in range(enterprises_n)]
    primary_stage = op_stage_a[np.searchsorted(op_ent_a, np.arange(enterprises_n))].tolist()
    located = 0
    handle, w = _writer(out / "enterprises.csv")
    with handle:
        w.writerow(["id", "name", "region", "park", "revenue_cny", "employees", "founded", "tags"])
        brand = rng.integers(0, len(_SYLLABLES), size=(enterprises_n, 2))
        for e in range(enterprises_n):
            district = districts[home[e]]
            district_parks = parks_of.get(int(home[e]))
            park = district_parks[e % len(district_parks)] if (district_parks and in_park[e]) else ""
            located += 1 + bool(park)
            stage_name = stages[primary_stage[e]][1]
            name = f"{region_name[district][:-1]}{_SYLLABLES[brand[e, 0]]}{_SYLLABLES[brand[e, 1]]}{stage_name}有限公司"
            tags = "synthetic;leading" if fitness[e] > 20 else "synthetic"
            w.writerow([enterprise_ids[e], name, district, park, int(revenue[e]), int(employees[e]), int(founded[e]), tags])

    # -- ties --------------------------------------------------------------------------------------
    ties_wanted = int(TIE_RATE * enterprises_n)
    tie_ent = rng.choice(enterprises_n, size=ties_wanted, p=fitness / fitness.sum())
    tie_inst = rng.choice(institutes_n, size=ties_wanted, p=_zipf(rng, institutes_n, 0.8))
    tie_kind = rng.integers(0, len(_TIE_KINDS), ties_wanted)
    tie_codes = np.unique((tie_ent * institutes_n + tie_inst) * len(_TIE_KINDS) + tie_kind)

    used = fixed + located + len(op_ent) + len(tie_codes)
    supplies_wanted = relationships - used
    if supplies_wanted < 0:
        raise ValueError(f"{relationships:,} relationships is too few for this chain's structure")
    supplier, customer, product = _supplies(rng, supplies_wanted, links, stage_index, op_ent_a, op_stage_a, fitness)

    # -- the rest of the files -----------------------------------------------------------------
    handle, w = _writer(out / "stages.csv")
    with handle:
        w.writerow(["id", "name", "tier", "parent", "aliases", "description", "name_en"])
        for sid, name, name_en, tier, parent, layer in stages:
            where = "support stage" if layer < 0 else f"layer {layer + 1} of {len(_LAYERS)}"
            w.writerow([sid, name, tier, parent, name_en, f"{name_en} ({tier}, {where})", name_en])
    handle, w = _writer(out / "stage_links.csv")
    with handle:
        w.writerow(["source", "target", "weight"])
        w.writerows((s, t, weight) for (s, t), weight in links)
    handle, w = _writer(out / "regions.csv")
    with handle:
        w.writerow(["id", "name", "parent", "level"])
        w.writerows(regions)
    handle, w = _writer(out / "parks.csv")
    with handle:
        w.writerow(["id", "name", "region", "kind"])
        w.writerows(parks)
    handle, w = _writer(out / "institutes.csv")
    with handle:
        w.writerow(["id", "name", "kind", "region"])
        w.writerows(institutes)
    handle, w = _writer(out / "institute_stages.csv")
    with handle:
        w.writerow(["institute", "stage"])
        w.writerows(institute_stage_rows)
    handle, w = _writer(out / "enterprise_stages.csv")
    capacity = np.round(fitness[op_ent_a] * rng.uniform(500, 5000, len(op_ent_a)), -1)
    with handle:
        w.writerow(["enterprise", "stage", "capacity", "unit"])
        w.writerows((enterprise_ids[e], stage_ids[s], int(c), "t/a") for e, s, c in zip(op_ent, op_stage, capacity.tolist()))
    handle, w = _writer(out / "ties.csv")
    years = rng.integers(2005, 2025, len(tie_codes)).tolist()
    weights = rng.integers(1, 6, len(tie_codes)).tolist()
    with handle:
        w.writerow(["enterprise", "institute", "kind", "year", "weight"])
        for code, year, weight in zip(tie_codes.tolist(), years, weights):
            pair, kind = divmod(code, len(_TIE_KINDS))
            e, i = divmod(pair, institutes_n)
            w.writerow([enterprise_ids[e], institutes[i][0], _TIE_KINDS[kind], year, weight])
    handle, w = _writer(out / "supplies.csv")
    volumes = np.round(np.sqrt(fitness[supplier] * fitness[customer]) * rng.lognormal(7, 1, len(supplier)), 0)
    with handle:
        w.writerow(["supplier", "customer", "stage", "volume"])
        w.writerows(
            (enterprise_ids[s], enterprise_ids[c], stage_ids[p], int(v))
            for s, c, p, v in zip(supplier.tolist(), customer.tolist(), product.tolist(), volumes.tolist())
        )
    manifest = {
        "name": f"Synthetic textile chain, {relationships:,} relationships (seed {seed})",
        "description": "Generated by benchmarks/generate.py for benchmarks and tests: a layered stage DAG with "
        "sub-stages, provinces/cities/districts, enterprises with heavy-tailed supply degrees along FEEDS, "
        "institutes and ties. Every name and number is invented.",
        "source": "benchmarks/generate.py",
        "generator": {"relationships": relationships, "seed": seed},
        "licence": "CC0-1.0",
    }
    (out / "dataset.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    shape.counts = {
        "stages": len(stages), "stage_links": len(links), "regions": len(regions), "parks": len(parks),
        "enterprises": enterprises_n, "institutes": institutes_n, "enterprise_stages": len(op_ent),
        "supplies": len(supplier), "ties": len(tie_codes), "institute_stages": len(institute_stage_rows),
    }
    return out, shape


def _supplies(rng, wanted, links, stage_index, op_ent, op_stage, fitness):
    """``wanted`` distinct supplies (supplier, customer, stage product) along FEEDS links."""
    if wanted == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    order = np.argsort(op_stage, kind="stable")
    ent_by_stage, stage_sorted = op_ent[order], op_stage[order]
    n_stages = len(stage_index)
    start = np.searchsorted(stage_sorted, np.arange(n_stages), side="left")
    end = np.searchsorted(stage_sorted, np.arange(n_stages), side="right")
    firms = end - start
    src = np.array([stage_index[s] for (s, _), _ in links])
    dst = np.array([stage_index[t] for (_, t), _ in links])
    ok = (firms[src] > 0) & (firms[dst] > 0)
    src, dst = src[ok], dst[ok]
    link_p = np.sqrt(firms[src] * firms[dst]).astype(float)
    link_p /= link_p.sum()

    def sampler(exponent: float):
        weight = fitness[ent_by_stage] ** exponent
        cum = np.cumsum(weight)
        before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
        total = np.where(firms > 0, cum[np.maximum(end - 1, 0)] - before, 0.0)

        def draw(stages: np.ndarray) -> np.ndarray:
            u = before[stages] + rng.random(len(stages)) * total[stages]
            idx = np.searchsorted(cum, u, side="right")
            return ent_by_stage[np.clip(idx, start[stages], end[stages] - 1)]

        return draw

    draw_supplier, draw_customer = sampler(1.0), sampler(0.6)
    n_ent = len(fitness)
    codes = np.zeros(0, dtype=np.int64)
    for _ in range(60):
        need = wanted - len(codes)
        if need <= 0:
            break
        batch = int(need * 1.2) + 64
        link = rng.choice(len(src), size=batch, p=link_p)
        s, c = draw_supplier(src[link]), draw_customer(dst[link])
        keep = s != c
        new = (s[keep] * n_ent + c[keep]) * n_stages + src[link][keep]
        codes = np.unique(np.concatenate([codes, new]))
    if len(codes) < wanted:
        raise ValueError(f"could not draw {wanted:,} distinct supplies; the chain is too small for this size")
    codes = np.sort(rng.choice(codes, size=wanted, replace=False))
    pair, product = np.divmod(codes, n_stages)
    supplier, customer = np.divmod(pair, n_ent)
    return supplier, customer, product


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--relationships", "-n", type=int, default=SIZES["default"], help="relationships in the dataset")
    parser.add_argument("--seed", "-s", type=int, default=0)
    parser.add_argument("--out", "-o", type=Path, required=True, help="folder to write the CSV files into")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        _, shape = _generate(args.out, args.relationships, args.seed)
    except ValueError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    counts = ", ".join(f"{k} {v:,}" for k, v in shape.counts.items())
    print(f"Wrote {args.out}/ in {seconds:.1f} s: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
