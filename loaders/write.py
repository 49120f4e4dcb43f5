"""Write graph data back out as a dataset folder of the data contract (CSV files).

The files open in Excel as they are (UTF-8 with BOM, so Chinese shows correctly) and load back
with ``chainx load`` into the same graph.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from graph.errors import InvalidParameter
from graph.export import csv_line, spreadsheet_safe
from graph.model import GraphData

from .contract import COLUMN_TYPES, FILES, FIRM_TIE_FILES

__all__ = ["write_dataset"]

# Which relationship type each relationship file holds, and its two id columns.
_REL_FILES = {
    "FEEDS": ("stage_links.csv", "source", "target"),
    "OPERATES_IN": ("enterprise_stages.csv", "enterprise", "stage"),
    "SUPPLIES": ("supplies.csv", "supplier", "customer"),
    "COLLABORATES_WITH": ("ties.csv", "enterprise", "institute"),
    "RESEARCHES": ("institute_stages.csv", "institute", "stage"),
    **{rel_type: (file, "source", "target") for rel_type, file in FIRM_TIE_FILES.items()},
}
_NODE_FILES = {spec.label: name for name, spec in FILES.items() if spec.label}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        # each item safe on its own: the loader splits the cell on ";" and checks every item
        return ";".join(spreadsheet_safe(str(v)) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column_type(values: list) -> str | None:
    """The type a column beyond the contract loads back as (COLUMN_TYPES), None for text: what
    every value of it is (numbers written back by centrality, lists); mixed columns stay text."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "float"
    if all(isinstance(v, list) for v in present):
        return "list"
    return None


def _write(path: Path, contract_columns: list[str], rows: list[dict]) -> dict[str, str]:
    """Write one file; return the types of its columns beyond the contract that are not text."""
    extra = sorted({k for row in rows for k in row} - set(contract_columns))
    columns = contract_columns + extra
    # every cell safe for Excel (csv_line: OWASP's CSV-injection guidance); the loader takes the
    # apostrophe it may add off again
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write(csv_line(columns) + "\r\n")
        for row in rows:
            handle.write(csv_line([_cell(row.get(c)) for c in columns]) + "\r\n")
    types = {column: _column_type([row.get(column) for row in rows]) for column in extra}
    return {column: kind for column, kind in types.items() if kind is not None}


def write_dataset(data: GraphData, out: str | Path) -> list[Path]:
    """Write ``data`` as contract CSV files into the folder ``out`` (new or empty); return the
    files written.

    A folder that already holds files is refused (InvalidParameter): a stale ties.csv left
    beside the export would load back with it as if it were part of the graph.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InvalidParameter("output", f"{out} is a file; a csv export is a folder of files (give a new folder)")
    if out.is_dir():
        present = sorted(child.name for child in out.iterdir())
        if present:
            shown = ", ".join(present[:5]) + (f" and {len(present) - 5} more" if len(present) > 5 else "")
            raise InvalidParameter("output", f"folder {out} is not empty (it holds {shown}); "
                                   "give a new or empty folder, so that nothing else loads back with the export")
    out.mkdir(parents=True, exist_ok=True)
    by_label = defaultdict(list)
    for node in data.nodes:
        by_label[node.label].append({"id": node.id, "name": node.name, **node.props})
    by_type = defaultdict(list)
    for rel in data.relationships:
        by_type[rel.type].append(rel)

    written = []
    column_types: dict[str, dict[str, str]] = {}
    for label, file in _NODE_FILES.items():
        rows = sorted(by_label.get(label, []), key=lambda r: r["id"])
        if rows or file == "stages.csv":
            column_types[file] = _write(out / file, [c.name for c in FILES[file].columns], rows)
            written.append(out / file)
    for rel_type, (file, source_col, target_col) in _REL_FILES.items():
        rels = sorted(by_type.get(rel_type, []), key=lambda r: r.identity)
        if not rels:
            continue
        rows = [{source_col: r.source, target_col: r.target, **r.props} for r in rels]
        column_types[file] = _write(out / file, [c.name for c in FILES[file].columns], rows)
        written.append(out / file)
    # numbers and lists beyond the contract (a written-back pagerank) load back as what they were
    column_types = {file: types for file, types in column_types.items() if types}
    manifest = {**data.manifest, COLUMN_TYPES: column_types} if column_types else data.manifest
    if manifest:
        (out / "dataset.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        written.append(out / "dataset.json")
    return written
