"""A small chain whose names, aliases and descriptions are script payloads.

Every payload sets ``window.__xss`` if it ever runs; the views must show each one as text.

    stages   fibre → spin (⊃ ring) → weave → dye → garment;  machinery → spin (support)
    regions  prov ⊃ town, other
    town     e_xss (fibre)  e2 (ring, a sub-stage of spin)  e3 (weave)  e4 (garment)  — dye missing
    other    e5 (dye)  e6 (fibre)
    supplies e_xss → e2 → e3 → e5 → e4;  e6 → e2
    ties     i1: e_xss, e2, e4;  i2: e3, e5
"""

from __future__ import annotations

import csv
from pathlib import Path

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
CLOSER = "纺纱 </script><script>window.__xss=1</script>"
ATTR = '"><img src=x onerror=window.__xss=1>'
SVG = "<svg onload=window.__xss=1>"
COMMENT = "印染 <!-- "
QUOTE = "'\"><script>window.__xss=1</script>织造厂"
IMG2 = "<img src=y onerror=window.__xss=1>印染厂"
INSTITUTE = SCRIPT + "大学"
STYLE = "研究院 <style>body{display:none}</style>"
PARK = "<iframe src=javascript:window.__xss=1></iframe>园区"

# every string above, for the "shows literally" checks
PAYLOADS = (IMG, SCRIPT, CLOSER, ATTR, SVG, COMMENT, QUOTE, IMG2, INSTITUTE, STYLE, PARK)

ROWS = {
    "stages": [
        ["id", "name", "tier", "parent", "aliases", "description"],
        ["fibre", IMG, "upstream", "", SCRIPT + ";fibre", "<b onmouseover=window.__xss=1>desc</b>"],
        ["spin", CLOSER, "midstream", "", "", ""],
        ["ring", "环锭纺", "midstream", "spin", "", ""],
        ["weave", "织造", "midstream", "", "", ""],
        ["dye", COMMENT, "midstream", "", "", ""],
        ["garment", "服装", "downstream", "", "", ""],
        ["machinery", "纺织机械", "support", "", "", ""],
    ],
    "stage_links": [
        ["source", "target"],
        ["fibre", "spin"],
        ["spin", "weave"],
        ["weave", "dye"],
        ["dye", "garment"],
        ["machinery", "spin"],
    ],
    "regions": [
        ["id", "name", "parent", "level"],
        ["prov", SVG + "省", "", "province"],
        ["town", ATTR, "prov", "town"],
        ["other", "别处", "prov", "city"],
    ],
    "parks": [["id", "name", "region"], ["p1", PARK, "town"]],
    "enterprises": [
        ["id", "name", "region", "park", "name_en", "revenue_cny", "employees"],
        ["e_xss", IMG, "town", "p1", SCRIPT, "100", "10"],
        ["e2", "纺纱厂", "town", "", "", "", ""],
        ["e3", QUOTE, "town", "", "", "", ""],
        ["e4", "服装厂", "town", "", "", "", ""],
        ["e5", IMG2, "other", "", "", "50", "5"],
        ["e6", "化纤厂", "other", "", "", "", ""],
    ],
    "enterprise_stages": [
        ["enterprise", "stage"],
        ["e_xss", "fibre"],
        ["e2", "ring"],
        ["e3", "weave"],
        ["e4", "garment"],
        ["e5", "dye"],
        ["e6", "fibre"],
    ],
    "supplies": [
        ["supplier", "customer", "stage"],
        ["e_xss", "e2", "fibre"],
        ["e2", "e3", "spin"],
        ["e3", "e5", "weave"],
        ["e5", "e4", "dye"],
        ["e6", "e2", "fibre"],
    ],
    "institutes": [["id", "name", "kind", "region"], ["i1", INSTITUTE, "university", "town"], ["i2", STYLE, "research_institute", "other"]],
    "ties": [
        ["enterprise", "institute", "kind"],
        ["e_xss", "i1", "project"],
        ["e2", "i1", "training"],
        ["e4", "i1", "project"],
        ["e3", "i2", "joint_lab"],
        ["e5", "i2", "project"],
    ],
    "institute_stages": [["institute", "stage"], ["i1", "fibre"]],
}


def write_hostile_dataset(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in ROWS.items():
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder
