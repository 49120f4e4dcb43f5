"""A national-noise chain: a textile chain planted in a large, cyclic product web, with several
towns' firms on top.

Real national chain graphs (chainkg: ~95,000 products) are not a chain: FEEDS links run between
eggs, glass and crude oil, generic products (energy, chemicals) feed thousands of others, and some
products feed each other (钢铁⇄铁矿) or sit on long cycles. This module builds such a web with
right answers known by construction, for the tests of chain scopes, cycles, names and paths
(tests/graph/test_national_noise.py) and for the national section of ``make bench``:

- **noise**: ``stages`` products ``产品00000``…, each under one of a few hundred categories
  (PART_OF; a category holds more stages than a roll-up absorbs), with FEEDS links only from a
  lower to a higher index (a DAG), plus planted cycles and nothing else cyclic: one ring of
  ``ring`` products, one ring of 7, and ``pairs`` two-way pairs (the first is 铁矿⇄钢铁). Two
  generic hubs, 能源 and 化学品, each feed a couple of thousand products.
- **the textile chain** (tiers given; 涤纶 has two sub-stages)::

      能源 → 原油 → 精对苯二甲酸, 乙二醇 → 聚酯 → 涤纶 → 纱线 → 面料 → 印染 → 服装 → 电商
      原棉 → 纱线          染料 → 印染          化学品 → 印染          印染 → 家纺

  The only links between it and the noise are 能源 → 原油 and 化学品 → 印染, as generic inputs
  are in real data.
- **firms**: 盛泽镇 (聚酯 2, 涤纶长丝 3, 面料 4, 服装 1), 天门市 (纱线 3, 面料 2, 服装 2),
  柯桥区 (印染 5, 面料 3), five national PTA makers, and ``firms`` national firms in 1–3 noise
  products each, located in the placeholder region 中国 the way the chainkg importer places them.
  One Tianmen spinner already supplies a Shengze weaver.

The same arguments give the same bytes.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["generate_national", "NationalChain", "TEXTILE"]

# (id, name, tier, parent): the planted chain
TEXTILE: list[tuple[str, str, str, str]] = [
    ("tx_crude", "原油", "upstream", ""),
    ("tx_pta", "精对苯二甲酸", "upstream", ""),
    ("tx_meg", "乙二醇", "upstream", ""),
    ("tx_cotton", "原棉", "upstream", ""),
    ("tx_polyester", "聚酯", "midstream", ""),
    ("tx_fibre", "涤纶", "midstream", ""),
    ("tx_filament", "涤纶长丝", "midstream", "tx_fibre"),
    ("tx_staple", "涤纶短纤", "midstream", "tx_fibre"),
    ("tx_yarn", "纱线", "midstream", ""),
    ("tx_fabric", "面料", "midstream", ""),
    ("tx_dyeing", "印染", "midstream", ""),
    ("tx_dyes", "染料", "support", ""),
    ("tx_garments", "服装", "downstream", ""),
    ("tx_home", "家纺", "downstream", ""),
    ("tx_ecommerce", "电商", "downstream", ""),
]
_TEXTILE_FEEDS = [
    ("tx_crude", "tx_pta"), ("tx_crude", "tx_meg"), ("tx_pta", "tx_polyester"), ("tx_meg", "tx_polyester"),
    ("tx_polyester", "tx_fibre"), ("tx_fibre", "tx_yarn"), ("tx_cotton", "tx_yarn"), ("tx_yarn", "tx_fabric"),
    ("tx_fabric", "tx_dyeing"), ("tx_dyes", "tx_dyeing"), ("tx_dyeing", "tx_garments"), ("tx_dyeing", "tx_home"),
    ("tx_garments", "tx_ecommerce"),
]
HUBS = [("n_energy", "能源"), ("n_chemicals", "化学品")]
_HUB_LINKS = [("n_energy", "tx_crude"), ("n_chemicals", "tx_dyeing")]

_REGIONS = [
    ("cn", "中国", "", "country"), ("jiangsu", "江苏省", "cn", "province"), ("suzhou", "苏州市", "jiangsu", "city"),
    ("wujiang", "吴江区", "suzhou", "district"), ("shengze", "盛泽镇", "wujiang", "town"),
    ("hubei", "湖北省", "cn", "province"), ("tianmen", "天门市", "hubei", "city"),
    ("zhejiang", "浙江省", "cn", "province"), ("shaoxing", "绍兴市", "zhejiang", "city"), ("keqiao", "柯桥区", "shaoxing", "district"),
]
# region → [(stage, number of firms)]
TOWN_FIRMS: dict[str, list[tuple[str, int]]] = {
    "shengze": [("tx_polyester", 2), ("tx_filament", 3), ("tx_fabric", 4), ("tx_garments", 1)],
    "tianmen": [("tx_yarn", 3), ("tx_fabric", 2), ("tx_garments", 2)],
    "keqiao": [("tx_dyeing", 5), ("tx_fabric", 3)],
    "cn": [("tx_pta", 5)],
}
_SUPPLIES = [("tianmen_tx_yarn_1", "shengze_tx_fabric_1", "tx_yarn")]


@dataclass
class NationalChain:
    """What was planted: the folder, and the answers known by construction."""

    folder: Path
    stages: int  # every stage written, sub-stages and categories included
    feeds: int
    cycles: list[int] = field(default_factory=list)  # sizes of the planted FEEDS cycles, largest first
    pair: tuple[str, str] = ("", "")  # ids of 铁矿 and 钢铁


def _noise_id(i: int) -> str:
    return f"n{i:05d}"


def generate_national(folder: str | Path, *, stages: int = 50_000, firms: int = 3_000, seed: int = 1,
                      categories: int | None = None, pairs: int = 50) -> NationalChain:
    """Write the national-noise chain into ``folder`` (the data contract's CSV files)."""
    if stages < 200:
        raise ValueError("a national-noise chain needs at least 200 noise stages")
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    categories = categories or max(2, stages // 250)  # 250 each: more than a roll-up absorbs
    ring = min(1_000, stages // 10)
    ring_start, seven_start, pairs_start = stages // 10, stages // 10 + ring + 10, stages // 10 + ring + 30
    pairs = min(pairs, (stages - pairs_start) // 10)

    names = {_noise_id(i): f"产品{i:05d}" for i in range(stages)}
    first_pair = (_noise_id(pairs_start), _noise_id(pairs_start + 1))
    names[first_pair[0]], names[first_pair[1]] = "铁矿", "钢铁"
    stage_rows = [(sid, name, tier, parent) for sid, name, tier, parent in TEXTILE]
    stage_rows += [(f"c{j:03d}", f"类别{j:03d}", "", "") for j in range(categories)]
    stage_rows += [(sid, name, "", "") for sid, name in HUBS]
    stage_rows += [(sid, names[sid], "", f"c{i % categories:03d}") for i, sid in enumerate(names)]

    links: set[tuple[str, str]] = set(_TEXTILE_FEEDS) | set(_HUB_LINKS)
    for i in range(stages - 1):  # the DAG: each product feeds one or two later ones
        for _ in range(1 + (rng.random() < 0.2)):
            links.add((_noise_id(i), _noise_id(rng.randrange(i + 1, stages))))
    for hub, _ in HUBS:
        for j in rng.sample(range(stages), min(2_000, stages // 5)):
            links.add((hub, _noise_id(j)))
    for start, size in ((ring_start, ring), (seven_start, 7)):  # rings closed by one backward link
        links.update((_noise_id(k), _noise_id(k + 1)) for k in range(start, start + size - 1))
        links.add((_noise_id(start + size - 1), _noise_id(start)))
    for p in range(pairs):
        a, b = _noise_id(pairs_start + 10 * p), _noise_id(pairs_start + 10 * p + 1)
        links.update({(a, b), (b, a)})

    enterprises, operations = [], []
    for region, holdings in TOWN_FIRMS.items():
        region_name = next(name for rid, name, _, _ in _REGIONS if rid == region)
        for stage, count in holdings:
            stage_name = next(name for sid, name, _, _ in TEXTILE if sid == stage)
            for k in range(1, count + 1):
                firm = f"{region}_{stage}_{k}"
                enterprises.append((firm, f"{region_name}{stage_name}企业{k}", region))
                operations.append((firm, stage))
    for f in range(firms):
        firm = f"nat{f:05d}"
        enterprises.append((firm, f"全国企业{f:05d}", "cn"))
        for j in rng.sample(range(stages), rng.randint(1, 3)):
            operations.append((firm, _noise_id(j)))

    _write(folder / "stages.csv", ["id", "name", "tier", "parent"], stage_rows)
    _write(folder / "stage_links.csv", ["source", "target"], sorted(links))
    _write(folder / "regions.csv", ["id", "name", "parent", "level"], _REGIONS)
    _write(folder / "enterprises.csv", ["id", "name", "region"], enterprises)
    _write(folder / "enterprise_stages.csv", ["enterprise", "stage"], operations)
    _write(folder / "supplies.csv", ["supplier", "customer", "stage"], _SUPPLIES)
    (folder / "dataset.json").write_text(json.dumps({
        "name": f"national-noise chain ({stages:,} products, seed {seed})",
        "description": "Generated by benchmarks/national.py: a textile chain planted in a cyclic product web.",
        "source": "benchmarks/national.py", "licence": "CC0-1.0",
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    return NationalChain(folder, len(stage_rows), len(links), sorted([ring, 7] + [2] * pairs, reverse=True), first_pair)


def _write(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
