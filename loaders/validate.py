"""Validate a dataset's raw tables against the data contract and map them onto the graph model.

All problems are collected before anything is returned: a user fixing a spreadsheet wants the
whole list at once, each as ``file:line: column: what is wrong``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from graph.errors import DatasetError, Problem
from graph.model import GraphData, Node, Relationship

from .contract import FILE_ORDER, FILES, TIERS, Column, FileSpec
from .read import RawDataset, Table

__all__ = ["validate", "StoreContext"]

# Cells that a spreadsheet would run as a formula. They are refused rather than stored, because
# exporting them back to CSV/Excel would hand a formula to the next person who opens the file.
FORMULA_PREFIXES = ("=", "@")
# "+" and "-" start formulas too, but also signed numbers and real names ("-四氟苯甲酰氯", a
# chemical whose locants were cut off). Only those that call a function or link to another
# program (DDE: -2+3+cmd|' /C calc'!A0) can do harm.
_FORMULA_CALL = re.compile(r"[(|!]")


def looks_like_formula(value: str) -> bool:
    """Whether a spreadsheet would run the (stripped) cell ``value`` as a harmful formula.

    >>> [looks_like_formula(v) for v in ("=1+1", "+HYPERLINK('http://x')", "-2+3+cmd|' /C calc'!A0", "-12.5", "-四氟苯甲酰氯")]
    [True, True, True, False, False]
    """
    if value.startswith(FORMULA_PREFIXES):
        return True
    return value[:1] in ("+", "-") and _FORMULA_CALL.search(value) is not None


# Every first character looks_like_formula can accept: cells starting otherwise (nearly all) skip
# the call. tests/loaders/test_formula_guard.py checks the two agree.
_FORMULA_FIRST = frozenset("=@+-")


class StoreContext:
    """What a dataset may refer to beyond itself: the nodes already in the store.

    A regional dataset can name stages of a national chain loaded before it; an id already used
    by another kind of node is refused.
    """

    def __init__(self, labels: Mapping[str, str] | None = None, part_of: Iterable[tuple[str, str]] = ()):
        self.labels = dict(labels or {})
        self.part_of = list(part_of)


def _normalise_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


def _convert(value: str, column: Column, file: str, line: int, header: str, problems: list[Problem]):
    """Turn one non-empty cell into its typed value, or record a problem and return None."""
    if column.type == "list":
        return [part.strip() for part in value.split(";") if part.strip()]
    if column.type not in ("int", "float"):
        return value
    try:
        number = float(value) if column.type == "float" else int(value)
    except ValueError:
        kind = "a whole number" if column.type == "int" else "a number"
        problems.append(Problem(file, line, header, f"{value[:40]!r} is not {kind}"))
        return None
    if column.type == "float" and not math.isfinite(number):
        problems.append(Problem(file, line, header, f"{value!r} is not a finite number"))
        return None
    if column.minimum is not None:
        too_small = number <= column.minimum if column.exclusive_minimum else number < column.minimum
        if too_small:
            relation = "greater than" if column.exclusive_minimum else "at least"
            problems.append(Problem(file, line, header, f"{value} must be {relation} {column.minimum:g}"))
            return None
    return number


class _Rows:
    """The rows of one table with cells keyed by normalised column name, checked and typed."""

    def __init__(self, table: Table, spec: FileSpec, problems: list[Problem]):
        self.file = table.file
        self.spec = spec
        self.records: list[tuple[int, dict[str, object]]] = []
        self.headers: dict[str, str] = {}  # normalised name → as the user wrote it
        self.ok = True

        positions: dict[str, int] = {}
        for index, written in enumerate(table.header):
            name = _normalise_header(written)
            if not name:
                continue
            if name in positions:
                problems.append(Problem(self.file, 1, written, "the column appears twice in the header"))
                self.ok = False
                continue
            positions[name] = index
            self.headers[name] = written.strip()
        for column in spec.columns:
            if column.required and column.name not in positions:
                problems.append(Problem(self.file, 1, column.name, "required column is missing from the header"))
                self.ok = False
        if not self.ok:
            return

        width = len(table.header)
        # Looked up once per column, not once per cell: a national chain has ~10^6 cells.
        # Unknown columns (column None), text and reference columns keep the stripped text as
        # it is (what _convert would return for them).
        plan = [
            (name, index, self.headers[name], spec.column(name), spec.column(name) is None or spec.column(name).type not in ("list", "int", "float"))
            for name, index in positions.items()
        ]
        for line, cells in table.rows:
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                problems.append(
                    Problem(self.file, line, None, f"the row has {len(cells)} cells but the header names {width} columns")
                )
                continue
            record: dict[str, object] = {}
            for name, index, header, column, as_text in plan:
                value = cells[index].strip() if index < len(cells) else ""
                if not value:
                    if column is not None and column.required:
                        problems.append(Problem(self.file, line, header, "is required but empty"))
                    continue
                if value[0] in _FORMULA_FIRST and looks_like_formula(value):
                    problems.append(
                        Problem(self.file, line, header, f"{value[:40]!r} looks like a spreadsheet formula; enter the value itself")
                    )
                    continue
                if as_text:
                    record[name] = value
                    continue
                converted = _convert(value, column, self.file, line, header, problems)
                if converted is not None:
                    record[name] = converted
            self.records.append((line, record))

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


def _find_cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """A cycle in a graph where each node has at most one parent, as a list of ids, or None."""
    parent = dict(edges)
    done: set[str] = set()
    for start in parent:
        path: list[str] = []
        seen: set[str] = set()
        node = start
        while node in parent and node not in done:
            if node in seen:
                return path[path.index(node):] + [node]
            seen.add(node)
            path.append(node)
            node = parent[node]
        done.update(path)
    return None


def validate(raw: RawDataset, context: StoreContext | None = None) -> GraphData:
    """Check ``raw`` against the contract and return it as graph data, or raise DatasetError."""
    context = context or StoreContext()
    problems = list(raw.problems)
    unreadable = bool(problems) and not raw.tables  # the container itself was refused
    if "stages.csv" not in raw.tables and not unreadable and not any(p.file == "stages.csv" for p in problems):
        problems.append(Problem("stages.csv", None, None, "required file is missing from the dataset"))

    tables = {
        name: _Rows(raw.tables[name], FILES[name], problems)
        for name in FILE_ORDER
        if name in raw.tables
    }

    nodes: list[Node] = []
    relationships: list[Relationship] = []
    # id → (label, file, line) for every node the dataset defines
    defined: dict[str, tuple[str, str, int]] = {}

    for rows in tables.values():
        label = rows.spec.label
        if label is None or not rows.ok:
            continue
        for line, record in rows.records:
            node_id = record.get("id")
            if not isinstance(node_id, str):
                continue
            if node_id in defined:
                other_label, other_file, other_line = defined[node_id]
                problems.append(
                    Problem(rows.file, line, rows.header("id"), f"duplicate id {node_id!r}: already used by {other_label} at {other_file}:{other_line}")
                )
                continue
            stored = context.labels.get(node_id)
            if stored is not None and stored != label:
                problems.append(
                    Problem(rows.file, line, rows.header("id"), f"id {node_id!r} is already used by {'an' if stored[0] in 'AEIOU' else 'a'} {stored} in the store")
                )
                continue
            defined[node_id] = (label, rows.file, line)

    def resolve(rows: _Rows, line: int, column: str, value: object, label: str) -> bool:
        found = defined.get(value)
        found_label = found[0] if found else context.labels.get(value)
        if found_label == label:
            return True
        what = f"unknown {label.lower()} {value!r}"
        if found_label is not None:
            what += f" ({value!r} is a {found_label})"
        problems.append(Problem(rows.file, line, rows.header(column), what))
        return False

    seen_relationships: dict[tuple, tuple[str, int]] = {}
    part_of: list[tuple[str, str, str, int]] = []  # child, parent, file, line

    def add_relationship(rows: _Rows, line: int, rel: Relationship) -> None:
        identity = rel.identity
        earlier = seen_relationships.get(identity)
        if earlier is not None:
            problems.append(Problem(rows.file, line, None, f"duplicate row: same as line {earlier[1]}"))
            return
        seen_relationships[identity] = (rows.file, line)
        relationships.append(rel)

    for name, rows in tables.items():
        if not rows.ok:
            continue
        spec = rows.spec
        refs = [(c.name, c.type[4:]) for c in spec.columns if c.type.startswith("ref:")]
        required = {c.name for c in spec.columns if c.required}
        for line, record in rows.records:
            refs_ok = True
            for column, label in refs:
                if column in record:
                    value = record[column]
                    # the common case inline: a reference to a node this dataset defines
                    found = defined.get(value)
                    if found is None or found[0] != label:
                        refs_ok &= resolve(rows, line, column, value, label)
            required_present = record.keys() >= required
            if not (refs_ok and required_present):
                continue
            if spec.label is not None and defined.get(record["id"], ("", "", 0))[1:] != (rows.file, line):
                continue  # a duplicate id, already reported
            _map_record(name, rows, line, record, nodes, add_relationship, part_of, problems)

    for kind in ("Stage", "Region"):
        edges = [(child, parent) for child, parent, _, _ in part_of if defined[child][0] == kind]
        new_children = {child for child, _ in edges}
        existing = [(c, p) for c, p in context.part_of if context.labels.get(c) == kind and c not in new_children]
        cycle = _find_cycle(edges + existing)
        if cycle:
            child = next(c for c in cycle if c in new_children)
            _, _, file, line = next(entry for entry in part_of if entry[0] == child)
            problems.append(Problem(file, line, "parent", f"parent links form a cycle: {' → '.join(cycle)}"))

    if problems:
        raise DatasetError(problems)
    return GraphData(nodes=nodes, relationships=relationships, manifest=dict(raw.manifest))


_CORE_COLUMNS = {"id", "name"}


def _map_record(name, rows: _Rows, line, record, nodes, add_relationship, part_of, problems) -> None:
    """Turn one checked record into nodes and relationships of the graph model."""
    rel = Relationship
    if rows.spec.label is not None:
        props = {k: v for k, v in record.items() if k not in _CORE_COLUMNS}
        node_id, label = record["id"], rows.spec.label
        if name == "stages.csv":
            tier = str(props.get("tier", "midstream")).lower()
            if tier not in TIERS:
                problems.append(Problem(rows.file, line, rows.header("tier"), f"{props['tier']!r} is not one of {', '.join(TIERS)}"))
                return
            props["tier"] = tier
        nodes.append(Node(label, node_id, str(record["name"]), props))
        parent = props.get("parent")
        if name in ("stages.csv", "regions.csv") and parent is not None:
            if parent == node_id:
                problems.append(Problem(rows.file, line, rows.header("parent"), f"{node_id!r} cannot be its own parent"))
                return
            add_relationship(rows, line, rel("PART_OF", node_id, parent))
            part_of.append((node_id, parent, rows.file, line))
        if name in ("parks.csv", "enterprises.csv", "institutes.csv") and "region" in props:
            add_relationship(rows, line, rel("LOCATED_IN", node_id, props["region"]))
        if name == "enterprises.csv" and "park" in props:
            add_relationship(rows, line, rel("LOCATED_IN", node_id, props["park"]))
        return

    def props_without(*keys):
        return {k: v for k, v in record.items() if k not in keys}

    if name == "stage_links.csv":
        if record["source"] == record["target"]:
            problems.append(Problem(rows.file, line, rows.header("target"), "a stage cannot feed itself"))
            return
        add_relationship(rows, line, rel("FEEDS", record["source"], record["target"], "", props_without("source", "target")))
    elif name == "enterprise_stages.csv":
        add_relationship(rows, line, rel("OPERATES_IN", record["enterprise"], record["stage"], "", props_without("enterprise", "stage")))
    elif name == "supplies.csv":
        if record["supplier"] == record["customer"]:
            problems.append(Problem(rows.file, line, rows.header("customer"), "an enterprise cannot supply itself"))
            return
        key = str(record.get("stage", ""))
        add_relationship(rows, line, rel("SUPPLIES", record["supplier"], record["customer"], key, props_without("supplier", "customer")))
    elif name == "ties.csv":
        key = str(record.get("kind", ""))
        add_relationship(rows, line, rel("COLLABORATES_WITH", record["enterprise"], record["institute"], key, props_without("enterprise", "institute")))
    elif name == "institute_stages.csv":
        add_relationship(rows, line, rel("RESEARCHES", record["institute"], record["stage"], "", props_without("institute", "stage")))
