"""A generated temporal dataset: a four-stage chain in a town whose gaps close over three years.

``python -m tests.temporal OUT`` writes it as a dataset directory (README's temporal recipe).

The chain s1 → s2 → s3 → s4; the town ``town`` and ``elsewhere`` (one firm per stage there, always).
In the town (a stage needs 2 local firms, the default ``min_firms``, not to be a gap):

- s1: e_s1 (always) and e_old (until 2022-12-31): present, then weak from 2023 (a gap opens);
- s2: e_s2a, e_s2b since 2022-06-01: missing, then present (its gap closes in 2022);
- s3: e_s3a since 2023-03-01, e_s3b since 2024-01-01: missing, weak, then present (closes in 2024);
- s4: e_s4a, e_s4b always: present.

Supplies: e_old → e_s4a (ends with e_old), e_s1 → e_s4a until 2021-12-31 (its own end),
e_s1 → e_s2a (begins with e_s2a). The three dates of the tests and the answers there follow by hand
from these lines; :data:`EXPECTED` writes them down.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

STAGES = [("s1", "纺丝", "upstream"), ("s2", "织造", "midstream"), ("s3", "印染", "midstream"), ("s4", "服装", "downstream")]
# (id, region, stage, since, until)
ENTERPRISES = [
    ("e_s1", "town", "s1", "", ""),
    ("e_old", "town", "s1", "", "2022-12-31"),
    ("e_s2a", "town", "s2", "2022-06-01", ""),
    ("e_s2b", "town", "s2", "2022-06-01", ""),
    ("e_s3a", "town", "s3", "2023-03-01", ""),
    ("e_s3b", "town", "s3", "2024-01-01", ""),
    ("e_s4a", "town", "s4", "", ""),
    ("e_s4b", "town", "s4", "", ""),
] + [(f"x_{stage}", "elsewhere", stage, "", "") for stage, _, _ in STAGES]
# (supplier, customer, since, until)
SUPPLIES = [("e_old", "e_s4a", "", ""), ("e_s1", "e_s4a", "", "2021-12-31"), ("e_s1", "e_s2a", "", "")]

DATES = ("2021-06-30", "2022-12-31", "2024-06-30")
# Worked out from the lines above: nodes = 4 stages + 2 regions + the firms alive; relationships =
# 3 FEEDS + one LOCATED_IN and one OPERATES_IN per firm alive + the supplies alive.
EXPECTED = {
    "2021-06-30": {"enterprises": 8, "nodes": 14, "supplies": 2, "relationships": 3 + 8 + 8 + 2, "gaps": {"s2", "s3"}},
    "2022-12-31": {"enterprises": 10, "nodes": 16, "supplies": 2, "relationships": 3 + 10 + 10 + 2, "gaps": {"s3"}},
    "2024-06-30": {"enterprises": 11, "nodes": 17, "supplies": 1, "relationships": 3 + 11 + 11 + 1, "gaps": {"s1"}},
}


def write(out: Path) -> Path:
    """Write the dataset to directory ``out`` (made if missing); ``out``."""
    out.mkdir(parents=True, exist_ok=True)

    def table(name: str, header: list[str], rows: list) -> None:
        with open(out / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)

    table("stages.csv", ["id", "name", "tier"], STAGES)
    table("stage_links.csv", ["source", "target"], [(a[0], b[0]) for a, b in zip(STAGES, STAGES[1:])])
    table("regions.csv", ["id", "name"], [("town", "示例镇"), ("elsewhere", "他处")])
    table("enterprises.csv", ["id", "name", "region", "since", "until"],
          [(e, e.upper(), region, since, until) for e, region, _, since, until in ENTERPRISES])
    table("enterprise_stages.csv", ["enterprise", "stage"], [(e, stage) for e, _, stage, _, _ in ENTERPRISES])
    table("supplies.csv", ["supplier", "customer", "since", "until"], SUPPLIES)
    return out


if __name__ == "__main__":
    print(write(Path(sys.argv[1])))
