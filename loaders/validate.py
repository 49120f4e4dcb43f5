"""Validate a dataset's raw tables against the data contract and map them onto the graph model.

All problems are collected before anything is returned: a user fixing a spreadsheet wants the
whole list at once, each as ``file:line: column: what is wrong``.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from itertools import compress, repeat

from graph.errors import DatasetError, Problem
from graph.model import GraphData, Node, Relationship, a_kind

from .contract import (
    COLUMN_TYPES,
    EXTRA_TYPES,
    FILE_ORDER,
    FILES,
    FIRM_TIE_FILES,
    TIER_ALIASES,
    TIERS,
    Column,
    FileSpec,
    fold,
    is_list,
    referred_label,
)
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


def formula_in_cell(value: str) -> bool:
    """Whether the contract refuses the cell ``value`` as a formula: :func:`looks_like_formula`
    of the cell without a leading apostrophe (Excel's "this is text" mark, which the guard sees
    through). Importers check with it so that what they map always loads.

    >>> [formula_in_cell(v) for v in ("'=1+1", "=A1", "2010-06-01", "'abc")]
    [True, True, False, False]
    """
    unquoted = _unquoted(value)
    return unquoted[:1] in _FORMULA_FIRST and looks_like_formula(unquoted)


# Every first character looks_like_formula can accept: cells starting otherwise (nearly all) skip
# the call. tests/loaders/test_formula_guard.py checks the two agree.
_FORMULA_FIRST = frozenset("=@+-")


class StoreContext:
    """What a dataset may refer to beyond itself: the nodes already in the store.

    A regional dataset can name stages of a national chain loaded before it; an id already used
    by another kind of node is refused.
    """

    def __init__(self, labels: Mapping[str, str] | None = None, part_of: Iterable[tuple[str, str]] = (),
                 controls: Iterable[tuple[str, str]] = ()):
        self.labels = dict(labels or {})
        self.part_of = list(part_of)  # (child, parent)
        self.controls = list(controls)  # (subsidiary, parent)


def _normalise_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


def _list_items(value: str) -> list[str]:
    return [_unquoted(part.strip()) for part in value.split(";") if part.strip()]


def _unquoted(value: str) -> str:
    """``value`` without the apostrophe that keeps a spreadsheet from running it as a formula
    ('-四氟苯甲酰氯: how Excel users, and chainx's own exports, write a text starting with - = + @).
    What is left is checked like any other value.

    >>> _unquoted("'-四氟苯甲酰氯"), _unquoted("'=1+1"), _unquoted("O'Brien"), _unquoted("'quoted'")
    ('-四氟苯甲酰氯', '=1+1', "O'Brien", "'quoted'")
    """
    if value[:1] == "'" and value[1:].lstrip()[:1] in _FORMULA_FIRST:
        return value[1:].strip()
    return value


# How office workbooks write amounts: 1.2亿 (10^8), 300万 (10^4), 5千; 约 / 大约 / 近 in front of
# an estimate; thousands separators, full-width digits.
_UNITS = {"亿": 100_000_000, "万": 10_000, "千": 1_000}
_APPROXIMATE = ("大约", "约", "近", "逾", "超过", "~", "≈")
_OFFICE_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(亿|万|千)?\s*(?:元|人|家|个)?$")


def office_number(value: str) -> tuple[float, bool] | None:
    """A number as office workbooks write it, and whether it was marked approximate; None when
    ``value`` is no such number.

    >>> office_number("1.2亿"), office_number("约300"), office_number("1,200万元"), office_number("３００"), office_number("三百")
    ((120000000.0, False), (300.0, True), (12000000.0, False), (300.0, False), None)
    """
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
    approximate = text.startswith(_APPROXIMATE)
    for mark in _APPROXIMATE:
        text = text.removeprefix(mark)
    found = _OFFICE_NUMBER.match(text.strip())
    if found is None:
        return None
    digits, unit = found.groups()
    # Decimal arithmetic: 1.2 * 10^8 must be 120000000, not 119999999.99999999
    return float(Decimal(digits) * _UNITS.get(unit, 1)), approximate


def _is_iso_date(value: str) -> bool:
    """Whether ``value`` is a calendar date written YYYY-MM-DD (so dates compare as text)."""
    if len(value) != 10:
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _convert(value: str, column: Column, file: str, line: int, header: str, problems: list[Problem],
             notes: list[Problem] | None = None):
    """Turn one non-empty cell into its typed value, or record a problem and return None."""
    if column.type == "list":
        return _list_items(value)
    value = _unquoted(value)
    if column.type == "date":
        if not _is_iso_date(value):
            problems.append(Problem(file, line, header, f"{value[:40]!r} is not a date (write it as 2024-03-01)"))
            return None
        return value
    if column.type not in ("int", "float"):
        return value
    kind = "a whole number" if column.type == "int" else "a number"
    try:
        number = float(value) if column.type == "float" else int(value)
    except ValueError:
        office = office_number(value)
        if office is None or (column.type == "int" and not office[0].is_integer()):
            problems.append(Problem(file, line, header, f"{value[:40]!r} is not {kind} "
                                    "(write it as 1200, 1.2万, 1.2亿 or 约300)"))
            return None
        number = int(office[0]) if column.type == "int" else office[0]
        if office[1] and notes is not None:
            notes.append(Problem(file, line, header, f"{value[:40]!r} read as {number:g}: an estimate, kept as the number"))
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


# A cell that could be a formula (or an apostrophe-quoted one) starts a line once a column's
# cells are joined by newlines (so does a line inside a cell: _typed_column then checks cell by
# cell); in a list column so may every item, after a ";".
# Spaces are matched within a line only ([^\S\n]): \s would run over the newlines of a column of
# empty cells from every line start, cubic in the column's length (the chainkg import took
# minutes in this regex instead of seconds).
_FORMULA_START = re.compile(r"^'?[^\S\n]*[=@+-]", re.MULTILINE)
_FORMULA_START_IN_LIST = re.compile(r"(?:^|;)[^\S\n]*'?[^\S\n]*[=@+-]", re.MULTILINE)


def _typed_column(values: list[str], lines: list[int], column: Column | None, file: str, header: str, problems: list[Problem],
                  notes: list[Problem] | None = None) -> list:
    """The typed values of one column's stripped cells, None where a cell is empty or wrong (each
    wrong one recorded as a problem); ``lines`` are the cells' lines.

    Most columns are clean and are typed in one sweep (float and int: the very conversions
    _convert makes). A column that might hold a problem (an empty required cell, a cell starting
    like a formula, a value that does not convert or is out of range) is checked cell by cell
    instead, so that every problem is found, and worded, as there.
    """
    all_filled = all(values)
    if (not all_filled and column is not None and column.required) or _may_hold_formula(values, column is not None and column.type == "list"):
        return _typed_cells(values, lines, column, file, header, problems, notes)
    kind = "text" if column is None else column.type
    present = values if all_filled else [value for value in values if value]
    if kind == "float" or kind == "int":
        try:
            typed = list(map(float if kind == "float" else int, present))
        except ValueError:
            return _typed_cells(values, lines, column, file, header, problems, notes)
        if kind == "float" and not all(map(math.isfinite, typed)):
            return _typed_cells(values, lines, column, file, header, problems, notes)
        if column.minimum is not None and typed:
            lowest = min(typed)
            if (lowest <= column.minimum) if column.exclusive_minimum else (lowest < column.minimum):
                return _typed_cells(values, lines, column, file, header, problems, notes)
    elif kind == "list":
        typed = list(map(_list_items, present))
    elif kind == "date":
        if not all(map(_is_iso_date, present)):
            return _typed_cells(values, lines, column, file, header, problems, notes)
        typed = present
    else:
        typed = present  # text, references and unknown columns: the stripped text
    if present is values:
        return typed
    typed_values = iter(typed)
    return [next(typed_values) if value else None for value in values]


def _may_hold_formula(values: list[str], is_list: bool = False) -> bool:
    """Whether a cell of ``values`` (or a line inside one, or an item of a list) starts with a
    character a formula can, maybe behind an apostrophe."""
    pattern = _FORMULA_START_IN_LIST if is_list else _FORMULA_START
    return bool(values) and pattern.search("\n".join(value for value in values if value)) is not None


def _typed_cells(values: list[str], lines: list[int], column: Column | None, file: str, header: str, problems: list[Problem],
                 notes: list[Problem] | None = None) -> list:
    """_typed_column, cell by cell."""
    typed: list = []
    for value, line in zip(values, lines):
        if not value:
            if column is not None and column.required:
                problems.append(Problem(file, line, header, "is required but empty"))
            typed.append(None)
        elif column is not None and column.type == "list":
            # every item on its own: a spreadsheet splitting the cell on ";" starts a cell with each
            items = _list_items(value)
            formula = next((item for item in items if item[0] in _FORMULA_FIRST and looks_like_formula(item)), None)
            if formula is not None:
                problems.append(Problem(file, line, header, f"the item {formula[:40]!r} looks like a spreadsheet formula; enter the value itself"))
            typed.append(None if formula is not None else items)
        elif formula_in_cell(value):
            problems.append(Problem(file, line, header, f"{value[:40]!r} looks like a spreadsheet formula; enter the value itself"))
            typed.append(None)
        else:
            # an unknown column keeps the stripped text, as _convert does for text and references
            typed.append(_unquoted(value) if column is None else _convert(value, column, file, line, header, problems, notes))
    return typed


def _nearest(text: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices closest to ``text`` (a typo's likely meaning), best first."""
    folded = {fold(choice): choice for choice in choices}
    return [folded[f] for f in difflib.get_close_matches(fold(text), list(folded), n=n, cutoff=0.6)]


def _missing_column(name: str, spec: FileSpec, header: list[str], positions: dict[str, int]) -> str:
    """The message for a required column the header lacks: the headers seen, and which one was
    probably meant (a header that is no column of the file and is close to this one's names)."""
    seen = [h.strip() for h in header if h.strip()]
    column = spec.column(name)
    unknown = [h for h in seen if spec.column_for(h) is None]
    guess = next((h for h in unknown if _nearest(h, (name, *column.aliases), n=1)), None)
    message = "required column is missing from the header"
    if column.aliases:
        message += f" (also accepted: {', '.join(column.aliases)})"
    message += f"; the header has: {', '.join(seen) if seen else 'nothing'}"
    if guess is not None:
        message += f"; did you mean {guess!r}?"
    return message


def _extra_types(manifest: dict, problems: list[Problem]) -> dict[str, dict[str, Column]]:
    """The types dataset.json gives columns beyond the contract (contract.COLUMN_TYPES), by
    file and column; a malformed entry is a problem naming it."""
    given = manifest.get(COLUMN_TYPES)
    if given is None:
        return {}
    shape = f'"{COLUMN_TYPES}" must map files to {{column: type}} with a type among {", ".join(EXTRA_TYPES)}'
    if not isinstance(given, dict):
        problems.append(Problem("dataset.json", None, COLUMN_TYPES, shape))
        return {}
    found: dict[str, dict[str, Column]] = {}
    for file, columns in given.items():
        spec = FILES.get(file)
        if spec is None or not isinstance(columns, dict):
            problems.append(Problem("dataset.json", None, COLUMN_TYPES, f"{file!r}: " + (f"not a file of the contract; {shape}" if spec is None else shape)))
            continue
        for name, kind in columns.items():
            if kind not in EXTRA_TYPES or spec.column_for(str(name)) is not None:
                what = "a column of the contract has its own type" if kind in EXTRA_TYPES else shape
                problems.append(Problem("dataset.json", None, COLUMN_TYPES, f"{file!r} {name!r}: {what}"))
                continue
            found.setdefault(file, {})[_normalise_header(str(name))] = Column(str(name), type=kind)
    return found


def _missing_file(raw: RawDataset) -> str:
    """The message for a dataset without stages.csv: what it holds instead, and the likely one."""
    message = "required file is missing from the dataset (a stages.csv file, or a sheet named stages or 环节)"
    found = [*raw.origins.values(), *raw.ignored]
    if found:
        message += f"; found: {', '.join(found)}"
    guess = next((name for name in raw.ignored if _nearest(name.removesuffix(".csv"), ("stages", *FILES["stages.csv"].aliases), n=1)), None)
    if guess is not None:
        message += f"; did you mean {guess!r}?"
    return message


class _Rows:
    """The rows of one table, checked and typed a column at a time (a national chain has ~10^6
    cells): ``columns`` maps each normalised column name to a typed value per row, None where the
    cell is empty or wrong; ``lines`` are the rows' lines. A row wider than the header is left out."""

    def __init__(self, table: Table, spec: FileSpec, problems: list[Problem], notes: list[Problem] | None = None,
                 extra_types: dict[str, Column] | None = None):
        self.file = table.file
        self.spec = spec
        self.lines: list[int] = []
        self.columns: dict[str, list] = {}
        self.headers: dict[str, str] = {}  # the contract's column name → the header as the user wrote it
        self.ok = True

        positions: dict[str, int] = {}
        for index, written in enumerate(table.header):
            # a column of the contract by its name or an alias (编号 is id); any other column is
            # kept as a property under its own (folded) name
            name = spec.column_for(written) or _normalise_header(written)
            if not name:
                continue
            if name in positions:
                first = self.headers[name]
                both = f"with {first!r}" if fold(first) != fold(written) else "twice in the header"
                problems.append(Problem(self.file, 1, written.strip(), f"the column appears {both}" if both.startswith("twice")
                                        else f"names the same column as {first!r} ({name}); keep one of them"))
                self.ok = False
                continue
            positions[name] = index
            self.headers[name] = written.strip()
        missing = [column.name for column in spec.columns if column.required and column.name not in positions]
        for name in missing:
            problems.append(Problem(self.file, 1, name, _missing_column(name, spec, table.header, positions)))
            self.ok = False
        if not self.ok:
            return

        width = len(table.header)
        # The rows kept, each exactly as wide as the header: nearly always every row as it is.
        self.lines, grid = [line for line, _ in table.rows], [cells for _, cells in table.rows]
        if set(map(len, grid)) - {width}:
            self.lines, grid = [], []
            for line, cells in table.rows:
                if len(cells) != width:
                    if len(cells) > width and any(c.strip() for c in cells[width:]):
                        problems.append(
                            Problem(self.file, line, None, f"the row has {len(cells)} cells but the header names {width} columns")
                        )
                        continue
                    cells = cells[:width] + [""] * (width - len(cells))  # the cells missing at the end are empty
                self.lines.append(line)
                grid.append(cells)
        cells_by_column = list(zip(*grid)) or [()] * width
        for name, index in positions.items():
            values = list(map(str.strip, cells_by_column[index]))
            column = spec.column(name) or (extra_types or {}).get(name)
            self.columns[name] = _typed_column(values, self.lines, column, self.file, self.headers[name], problems, notes)
        if "since" in self.columns and "until" in self.columns:  # ISO dates: their text sorts as the days do
            for line, since, until in zip(self.lines, self.columns["since"], self.columns["until"]):
                if since is not None and until is not None and until < since:
                    problems.append(Problem(self.file, line, self.header("until"), f"until {until} is before since {since}: "
                                            "a time span ends on or after the day it begins"))

    def header(self, name: str) -> str:
        return self.headers.get(name, name)

    def properties(self, exclude: tuple[str, ...]) -> tuple[list[str], Iterable[tuple]]:
        """The names of the columns that become properties (all but ``exclude``), and each row's
        values of them (see _props)."""
        names = [name for name in self.columns if name not in exclude]
        values = zip(*(self.columns[name] for name in names)) if names else repeat((), len(self.lines))
        return names, values


def _props(names: list[str], values: tuple) -> dict:
    """A row's properties: its values by column name, without those empty or wrong (None)."""
    if None in values:
        return {name: value for name, value in zip(names, values) if value is not None}
    return dict(zip(names, values))


# Several references (refs:<Label>) are typed as the cell's text, checked for a formula as a
# whole, and split once the ids are known (_references): every item must be a node's id, and ids
# are themselves checked, so an item cannot smuggle a formula in.
def _references(cell: str, label_of: Callable[[str], str | None], label: str) -> list[str]:
    """The ids a cell of several references names: the cell itself when it is the id of a node
    of ``label`` (an imported id may hold a ";"), else its ``;``-separated items.

    >>> _references("a;b", {"a": "Stage", "b": "Stage"}.get, "Stage"), _references("kp:;", {"kp:;": "Stage"}.get, "Stage")
    (['a', 'b'], ['kp:;'])
    """
    return [cell] if label_of(cell) == label else _list_items(cell)


def _find_cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """A cycle of child → parent links (a node may have several parents), as a list of ids
    from a node back to it, or None. One depth-first walk: linear in the links.

    >>> _find_cycle([("a", "b"), ("a", "c"), ("c", "d"), ("d", "a")]), _find_cycle([("a", "b"), ("a", "c"), ("c", "b")])
    (['a', 'c', 'd', 'a'], None)
    """
    parents: dict[str, list[str]] = {}
    for child, parent in edges:
        parents.setdefault(child, []).append(parent)
    state: dict[str, int] = {}  # 1: on the walk's path, 2: done (no cycle through it)
    for start in parents:
        if state.get(start):
            continue
        path, stack = [start], [iter(parents[start])]
        state[start] = 1
        while stack:
            node = next(stack[-1], None)
            if node is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(node) == 1:
                return path[path.index(node):] + [node]
            elif not state.get(node):
                state[node] = 1
                path.append(node)
                stack.append(iter(parents.get(node, ())))
    return None


def _closing_cycle(new: list[tuple[str, str]], existing: list[tuple[str, str]]) -> list[str] | None:
    """A cycle of child → parent links that one of the ``new`` links closes with the store's
    ``existing`` ones. A cycle of the store's links alone (a store written before the check) is
    not the dataset's doing: one of its links is set aside and the search goes on."""
    existing = list(existing)
    ours = set(new) - set(existing)
    while cycle := _find_cycle(new + existing):
        steps = list(zip(cycle, cycle[1:]))
        if any(step in ours for step in steps):
            return cycle
        existing.remove(steps[0])
    return None


def validate(raw: RawDataset, context: StoreContext | None = None) -> GraphData:
    """Check ``raw`` against the contract and return it as graph data, or raise DatasetError."""
    context = context or StoreContext()
    problems = list(raw.problems)
    unreadable = bool(problems) and not raw.tables  # the container itself was refused
    if "stages.csv" not in raw.tables and not unreadable and not any(p.file.endswith("stages.csv") for p in problems):
        problems.append(Problem("stages.csv", None, None, _missing_file(raw)))

    extra_types = _extra_types(raw.manifest, problems)
    tables = {
        name: _Rows(raw.tables[name], FILES[name], problems, raw.notes, extra_types.get(name, {}))
        for name in FILE_ORDER
        if name in raw.tables
    }

    nodes: list[Node] = []
    defaults: dict[str, frozenset[str]] = {}
    # id → (label, file, line) for every node the dataset defines
    defined: dict[str, tuple[str, str, int]] = {}

    for rows in tables.values():
        label = rows.spec.label
        if label is None or not rows.ok:
            continue
        for line, node_id in zip(rows.lines, rows.columns["id"]):
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
                    Problem(rows.file, line, rows.header("id"), f"id {node_id!r} is already used by {a_kind(stored)} in the store and cannot also be {a_kind(label)}")
                )
                continue
            defined[node_id] = (label, rows.file, line)

    def label_of(node_id: str) -> str | None:
        found = defined.get(node_id)
        return found[0] if found else context.labels.get(node_id)

    relationships = _Relationships(problems)
    part_of: list[tuple[str, str, str, int]] = []  # child, parent, file, line
    # A file of nodes that could not be read at all (a required column missing) makes every
    # reference to its kind look unknown: those follow-on problems would only mislead.
    unreadable_kinds = {rows.spec.label for rows in tables.values() if rows.spec.label and not rows.ok}
    suggest = _Suggestions(tables, context)

    for name, rows in tables.items():
        if not rows.ok:
            continue
        accepted = _accepted_rows(rows, label_of, defined, problems, unreadable_kinds, suggest)
        if rows.spec.label is None:
            _map_relationships(rows, _RELATIONSHIP_FILES[name], accepted, relationships, problems)
        else:
            _map_nodes(name, rows, accepted, nodes, relationships, part_of, problems, defaults, label_of)

    for kind in ("Stage", "Region"):
        edges = [(child, parent) for child, parent, _, _ in part_of if defined[child][0] == kind]
        new_children = {child for child, _ in edges}
        existing = [(c, p) for c, p in context.part_of if context.labels.get(c) == kind and c not in new_children]
        cycle = _closing_cycle(edges, existing)
        if cycle:
            # the line of a link of the dataset's own that closes it
            links = {(child, parent): (file, line) for child, parent, file, line in reversed(part_of)}
            file, line = next(links[step] for step in zip(cycle, cycle[1:]) if step in links)
            problems.append(Problem(file, line, "parent", f"parent links form a cycle: {' → '.join(cycle)}"))
    # a control group is a parent and what it controls: control that comes back round has no parent
    control = [(r.target, r.source) for r in relationships.found if r.type == "CONTROLS"]  # subsidiary → parent
    cycle = _closing_cycle(control, context.controls)
    if cycle:
        ours = set(control) - set(context.controls)  # a link the store already holds does not close it
        line = min(relationships.line_of("CONTROLS", parent, sub) for sub, parent in zip(cycle, cycle[1:]) if (sub, parent) in ours)
        problems.append(Problem(FIRM_TIE_FILES["CONTROLS"], line, "source",
                                f"control links form a cycle: {' → '.join(reversed(cycle))} (each controls the next)"))

    if problems:
        raise DatasetError(problems)
    return GraphData(nodes=nodes, relationships=relationships.found, manifest=dict(raw.manifest), defaults=defaults)


class _Suggestions:
    """What an unknown reference probably meant: the node whose name it is (an id column given a
    name), else the nearest ids and names of that kind. Worked out for a few values per column
    only: a national chain has ~10^5 ids, and a list of a thousand guesses helps nobody."""

    PER_COLUMN = 20
    MAX_POOL = 50_000

    def __init__(self, tables: dict[str, _Rows], context: StoreContext):
        self._tables, self._context = tables, context
        self._pools: dict[str, tuple[dict[str, str], list[str]]] = {}

    def _pool(self, label: str) -> tuple[dict[str, str], list[str]]:
        if label not in self._pools:
            by_name: dict[str, str] = {}  # folded name → id, from the dataset's own files
            ids: list[str] = []
            for rows in self._tables.values():
                if rows.spec.label == label and rows.ok:
                    for node_id, name in zip(rows.columns["id"], rows.columns["name"]):
                        if isinstance(node_id, str):
                            ids.append(node_id)
                            if isinstance(name, str):
                                by_name.setdefault(fold(name), node_id)
            stored = [i for i, found in self._context.labels.items() if found == label]
            if len(ids) + len(stored) <= self.MAX_POOL:
                ids.extend(stored)
            self._pools[label] = (by_name, ids)
        return self._pools[label]

    def __call__(self, value: str, label: str) -> str:
        by_name, ids = self._pool(label)
        named = by_name.get(fold(value))
        if named is not None:
            return f"; {value!r} is the name of {named!r}: give its id"
        near = _nearest(value, ids)
        return f"; did you mean {', '.join(map(repr, near))}?" if near else ""


def _accepted_rows(rows: _Rows, label_of: Callable[[str], str | None], defined: dict, problems: list[Problem],
                   unreadable_kinds: set[str] = frozenset(), suggest: Callable[[str, str], str] | None = None) -> list[bool]:
    """Whether each row of ``rows`` goes into the graph: its references resolve (each one that
    does not is reported), it holds every required column (an empty or wrong one is already
    reported) and, for nodes, its id is not a duplicate (already reported)."""
    accepted = [True] * len(rows.lines)
    for column in rows.spec.columns:
        values = rows.columns.get(column.name)
        if values is None:
            continue
        label = referred_label(column)
        if label is not None:
            several = is_list(column)
            # each distinct value looked up once; the rows holding a wrong one are then found
            wrong = {}  # value → the label of the node it names, None for none
            split = {cell: _references(cell, label_of, label) for cell in set(values) if cell is not None} if several else {}
            for value in set(item for items in split.values() for item in items) if several else set(values):
                if value is not None and (found := label_of(value)) != label:
                    wrong[value] = found
            if wrong:
                hints = {}
                if suggest is not None:
                    for value in sorted(v for v, found in wrong.items() if found is None)[: _Suggestions.PER_COLUMN]:
                        hints[value] = suggest(value, label)
                for index, cell in enumerate(values):
                    for value in split.get(cell, ()) if several else (cell,):
                        if value not in wrong:
                            continue
                        accepted[index] = False
                        if label in unreadable_kinds:
                            continue
                        what = f"unknown {label.lower()} {value!r}"
                        if wrong[value] is not None:
                            what += f" ({value!r} is a {wrong[value]})"
                        problems.append(Problem(rows.file, rows.lines[index], rows.header(column.name), what + hints.get(value, "")))
        if column.items_ref is not None:
            _check_items(rows, column, values, accepted, label_of, problems, unreadable_kinds, suggest)
        if column.required and None in values:
            for index, value in enumerate(values):
                if value is None:
                    accepted[index] = False
    if rows.spec.label is not None:
        for index, (line, node_id) in enumerate(zip(rows.lines, rows.columns["id"])):
            if accepted[index] and defined.get(node_id, ("", "", 0))[1:] != (rows.file, line):
                accepted[index] = False  # a duplicate id, or one of another kind in the store
    return accepted


def _check_items(rows: _Rows, column: Column, values: list, accepted: list[bool], label_of: Callable[[str], str | None],
                 problems: list[Problem], unreadable_kinds: set[str], suggest: Callable[[str, str], str] | None) -> None:
    """Every item of a list of references (``column.items_ref``: a chain's stages) names a node
    of that label, and no item is given twice; each that does not is a problem of its row."""
    label = column.items_ref
    for index, items in enumerate(values):
        if not items:
            continue
        seen: set[str] = set()
        for item in items:
            found = label_of(item)
            if found != label:
                accepted[index] = False
                if label in unreadable_kinds:
                    continue
                what = f"unknown {label.lower()} {item!r}"
                if found is not None:
                    what += f" ({item!r} is a {found})"
                elif suggest is not None:
                    what += suggest(item, label)
                problems.append(Problem(rows.file, rows.lines[index], rows.header(column.name), what))
            elif item in seen:
                accepted[index] = False
                problems.append(Problem(rows.file, rows.lines[index], rows.header(column.name), f"{item!r} is listed twice"))
            seen.add(item)


class _Relationships:
    """The dataset's relationships, each once: a second row of the same one is a problem."""

    def __init__(self, problems: list[Problem]):
        self.found: list[Relationship] = []
        self._lines: dict[tuple[str, str, str, str], int] = {}  # identity → the line that gave it
        self._problems = problems

    def line_of(self, rel_type: str, source: str, target: str, key: str = "") -> int:
        return self._lines[(rel_type, source, target, key)]

    def add(self, file: str, line: int, rel_type: str, source: str, target: str, key: str = "", props: dict | None = None) -> None:
        identity = (rel_type, source, target, key)  # Relationship.identity
        earlier = self._lines.get(identity)
        if earlier is not None:
            self._problems.append(Problem(file, line, None, f"duplicate row: same as line {earlier}"))
            return
        self._lines[identity] = line
        self.found.append(Relationship(rel_type, source, target, key, {} if props is None else props))


# The files of relationships: file → (relationship type, source column, target column, the column
# that tells parallel relationships apart or None, the problem with a row whose source is its
# target or None when that cannot happen).
_RELATIONSHIP_FILES: dict[str, tuple[str, str, str, str | None, str | None]] = {
    "stage_links.csv": ("FEEDS", "source", "target", None, "a stage cannot feed itself"),
    "enterprise_stages.csv": ("OPERATES_IN", "enterprise", "stage", None, None),
    "supplies.csv": ("SUPPLIES", "supplier", "customer", "stage", "an enterprise cannot supply itself"),
    "ties.csv": ("COLLABORATES_WITH", "enterprise", "institute", "kind", None),
    "institute_stages.csv": ("RESEARCHES", "institute", "stage", None, None),
    **{file: (rel_type, "source", "target", None, "an enterprise cannot have this tie with itself") for rel_type, file in FIRM_TIE_FILES.items()},
}


_TIER_DEFAULTED = frozenset({"tier"})


def _map_nodes(name: str, rows: _Rows, accepted: list[bool], nodes: list[Node], relationships: _Relationships, part_of, problems,
               defaults: dict[str, frozenset[str]], label_of: Callable[[str], str | None]) -> None:
    """Turn the accepted rows of a file of nodes into nodes, PART_OF and LOCATED_IN."""
    file, label = rows.file, rows.spec.label
    is_stage = name == "stages.csv"
    has_parent = name in ("stages.csv", "regions.csv")
    has_region = name in ("parks.csv", "enterprises.csv", "institutes.csv")
    has_park = name == "enterprises.csv"
    prop_names, prop_values = rows.properties(exclude=("id", "name"))
    for line, node_id, node_name, values in compress(zip(rows.lines, rows.columns["id"], rows.columns["name"], prop_values), accepted):
        props = _props(prop_names, values)
        if is_stage:
            if "tier" not in props:
                defaults[node_id] = _TIER_DEFAULTED
            tier = str(props.get("tier", "midstream")).strip().lower()
            tier = TIER_ALIASES.get(tier, tier)
            if tier not in TIERS:
                near = _nearest(tier, TIERS, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                problems.append(Problem(file, line, rows.header("tier"), f"{props['tier']!r} is not one of {', '.join(TIERS)} "
                                        f"(or {', '.join(TIER_ALIASES)}){hint}"))
                continue
            props["tier"] = tier
        if name == "chains.csv" and not _chain_defined(rows, line, props, problems):
            continue
        nodes.append(Node(label, node_id, str(node_name), props))
        for stage in props.get("stages", ()) if name == "chains.csv" else ():
            relationships.add(file, line, "INCLUDES", node_id, stage)
        parents = props.get("parent") if has_parent else None
        if is_stage and parents is not None:  # a stage's several parents; one stays the plain id it always was
            parents = _references(parents, label_of, "Stage")
            if len(set(parents)) < len(parents):
                again = next(p for i, p in enumerate(parents) if p in parents[:i])
                problems.append(Problem(file, line, rows.header("parent"), f"parent {again!r} is given twice"))
                continue
            props["parent"] = parents[0] if len(parents) == 1 else parents
        elif parents is not None:
            parents = [parents]
        if parents and node_id in parents:
            problems.append(Problem(file, line, rows.header("parent"), f"{node_id!r} cannot be its own parent"))
            continue
        for parent in parents or ():
            relationships.add(file, line, "PART_OF", node_id, parent)
            part_of.append((node_id, parent, file, line))
        if has_region and "region" in props:
            relationships.add(file, line, "LOCATED_IN", node_id, props["region"])
        if has_park and "park" in props:
            relationships.add(file, line, "LOCATED_IN", node_id, props["park"])


def _chain_defined(rows: _Rows, line: int, props: dict, problems: list[Problem]) -> bool:
    """Whether a row of chains.csv says which stages the chain holds: its member stages, or its
    source and sink stages (one or the other); the problem with it otherwise."""
    source, sink, stages = props.get("source"), props.get("sink"), props.get("stages")
    wrong = None
    if stages and (source or sink):
        wrong = ("stages", "give the member stages or the source and sink stages, not both")
    elif not stages and not (source and sink):
        missing = "source" if sink else "sink" if source else "stages"
        wrong = (missing, "give the chain's member stages (stages, ;-separated) or its source and sink stages"
                 if missing == "stages" else f"give both the source and the sink stage ({missing} is empty)")
    elif source is not None and source == sink:
        wrong = ("sink", f"the source and the sink are the same stage {source!r}")
    if wrong is not None:
        problems.append(Problem(rows.file, line, rows.header(wrong[0]), wrong[1]))
        return False
    return True


def _map_relationships(rows: _Rows, kind: tuple, accepted: list[bool], relationships: _Relationships, problems: list[Problem]) -> None:
    """Turn the accepted rows of a file of relationships into relationships (``kind``: the
    file's entry in _RELATIONSHIP_FILES)."""
    rel_type, source_column, target_column, key_column, self_loop = kind
    key_values = rows.columns.get(key_column) if key_column is not None else None
    keys = repeat("") if key_values is None else ["" if key is None else str(key) for key in key_values]
    prop_names, prop_values = rows.properties(exclude=(source_column, target_column))
    sources, targets = rows.columns[source_column], rows.columns[target_column]
    for line, source, target, key, values in compress(zip(rows.lines, sources, targets, keys, prop_values), accepted):
        if self_loop is not None and source == target:
            problems.append(Problem(rows.file, line, rows.header(target_column), self_loop))
            continue
        relationships.add(rows.file, line, rel_type, source, target, key, _props(prop_names, values))
