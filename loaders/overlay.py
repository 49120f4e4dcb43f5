"""Overlay: attach a regional dataset to a chain already in the store.

A town's spreadsheet names the chain's stages its own way: by the ids of an imported national
chain (``p:涤纶``), by their Chinese names (涤纶), or by an alias (PTA). Before such a dataset is
validated, :func:`overlay` maps its stage references onto the stages the store already holds:

1. by id — a reference that is a stage id of the dataset or of the store stays as it is;
2. by exact name — a stage of the store whose name is the reference;
3. by alias — a stage of the store with the reference among its aliases.

Names and aliases are compared after Unicode NFKC folding and case folding (全角 ``ＰＴＡ`` is
``pta``), nothing looser. A row of the dataset's own stages.csv whose id is new but whose name (or
one of its aliases) matches a stage of the store is that stage: the row is dropped rather than
duplicated, and every reference to its id is pointed at the store's stage. A name that matches
several stages is ambiguous and is not guessed.

The report lists every match, every stage of the dataset that matched nothing (it is added as a
new stage) and every reference that matched nothing (validation then refuses it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from graph.errors import Problem
from graph.model import Node

from .contract import FILES, is_list, referred_label
from .read import RawDataset, Table

__all__ = ["overlay", "OverlayReport", "match_key"]


def match_key(text: str) -> str:
    """The form in which names and aliases are compared: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass
class OverlayReport:
    matched: list[dict] = field(default_factory=list)  # {"file", "line", "value", "stage", "name", "by"}
    new_stages: list[dict] = field(default_factory=list)  # {"file", "line", "id", "name"}
    unmatched: list[dict] = field(default_factory=list)  # {"file", "line", "column", "value"}
    ambiguous: list[dict] = field(default_factory=list)  # {"file", "line", "value", "candidates"}

    @property
    def active(self) -> bool:
        """Whether the dataset met stages of the store by name or alias at all."""
        return bool(self.matched or self.ambiguous)

    def as_dict(self) -> dict:
        return {"matched": self.matched, "new_stages": self.new_stages, "unmatched": self.unmatched, "ambiguous": self.ambiguous}

    def summary(self, limit: int = 20) -> str:
        lines = []
        # the dataset's own stages first, then the references in file order
        self.matched.sort(key=lambda m: (m["file"] != "stages.csv", m["file"], m["line"]))
        if self.matched:
            lines.append(f"Matched {len(self.matched)} stage reference{'s' if len(self.matched) != 1 else ''} to stages already in the store:")
            lines += [f"  {m['file']}:{m['line']}: {m['value']} → {m['stage']} ({m['name']}, by {m['by']})" for m in self.matched[:limit]]
            if len(self.matched) > limit:
                lines.append(f"  ... and {len(self.matched) - limit} more")
        if self.ambiguous:
            lines.append(f"{len(self.ambiguous)} name{'s' if len(self.ambiguous) != 1 else ''} match several stages of the store and were not matched:")
            lines += [f"  {a['file']}:{a['line']}: {a['value']} → {', '.join(a['candidates'])}" for a in self.ambiguous[:limit]]
        if self.new_stages and self.active:
            lines.append(f"{len(self.new_stages)} stage{'s' if len(self.new_stages) != 1 else ''} of the dataset matched no stage of the store (added as new):")
            lines += [f"  {s['file']}:{s['line']}: {s['id']} ({s['name']})" for s in self.new_stages[:limit]]
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} stage reference{'s' if len(self.unmatched) != 1 else ''} matched no stage by id, name or alias:")
            lines += [f"  {u['file']}:{u['line']}: {u['column']} {u['value']}" for u in self.unmatched[:limit]]
        return "\n".join(lines)


class _Index:
    """Stages findable by id, then by name, then by alias."""

    def __init__(self):
        self.ids: dict[str, str] = {}  # id → name
        self.names: dict[str, set[str]] = {}
        self.aliases: dict[str, set[str]] = {}

    def add(self, node_id: str, name: str, aliases: Iterable[str]) -> None:
        self.ids[node_id] = name
        self.names.setdefault(match_key(name), set()).add(node_id)
        for alias in aliases:
            self.aliases.setdefault(match_key(alias), set()).add(node_id)

    def find(self, text: str) -> tuple[str, set[str]]:
        """(how it matched, the candidate ids): by id, name or alias; ("", set()) for none."""
        if text in self.ids:
            return "id", {text}
        key = match_key(text)
        for by, table in (("name", self.names), ("alias", self.aliases)):
            if key in table:
                return by, table[key]
        return "", set()


def _aliases(value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value or "").split(";") if part.strip()]


def _positions(table: Table, file: str) -> dict[str, int]:
    """The position of each column of ``file`` by its contract name (headers may be Chinese aliases: 环节编号 is id)."""
    spec = FILES[file]
    positions: dict[str, int] = {}
    for i, cell in enumerate(table.header):
        name = spec.column_for(cell)
        if name is not None:
            positions.setdefault(name, i)
    return positions


def _stage_columns(table: Table, file: str) -> dict[str, int]:
    """Positions of the columns of ``file`` that refer to stages (one, or a ``;``-separated list: a chain's stages)."""
    positions = _positions(table, file)
    return {c.name: positions[c.name] for c in FILES[file].columns
            if (referred_label(c) == "Stage" or c.items_ref == "Stage") and c.name in positions}


def overlay(raw: RawDataset, store_stages: Iterable[Node]) -> tuple[RawDataset, OverlayReport]:
    """Map the stage references of ``raw`` onto ``store_stages`` (by id, exact name, alias).

    Returns the dataset to validate (``raw`` itself when nothing matched) and the report.
    """
    report = OverlayReport()
    store = _Index()
    for node in store_stages:
        store.add(node.id, node.name, _aliases(node.props.get("aliases")))
    if not store.ids:
        return raw, report  # nothing to overlay onto: an ordinary load

    stages = raw.tables.get("stages.csv")
    renamed: dict[str, str] = {}  # dataset stage id → store stage id
    dropped_lines: set[int] = set()
    own = _Index()  # the dataset's stages that stay its own
    if stages is not None:
        columns = _positions(stages, "stages.csv")
        id_at, name_at, alias_at = columns.get("id"), columns.get("name"), columns.get("aliases")
        for line, cells in stages.rows:
            cell = lambda at, cells=cells: cells[at].strip() if at is not None and at < len(cells) else ""  # noqa: E731
            stage_id, name = cell(id_at), cell(name_at)
            if not stage_id or stage_id in store.ids:
                continue  # an ordinary row: a new stage id, or an update of a stage of the store by id
            candidates, by = set(), ""
            for text in [name, *_aliases(cell(alias_at))]:
                if not text:
                    continue
                by, candidates = store.find(text)
                if candidates:
                    break
            if len(candidates) == 1:
                (target,) = candidates
                renamed[stage_id] = target
                dropped_lines.add(line)
                report.matched.append({"file": stages.file, "line": line, "value": f"{stage_id} ({name})", "stage": target, "name": store.ids[target], "by": by})
            else:
                if candidates:
                    report.ambiguous.append({"file": stages.file, "line": line, "value": name, "candidates": sorted(candidates)})
                own.add(stage_id, name, _aliases(cell(alias_at)))
                report.new_stages.append({"file": stages.file, "line": line, "id": stage_id, "name": name})

    tables = dict(raw.tables)
    problems = list(raw.problems)
    several = {name: {c.name for c in spec.columns if is_list(c)} for name, spec in FILES.items()}
    changed = bool(renamed)

    def matched(value: str, column: str, line: int, file: str) -> str:
        """The stage id ``value`` stands for (itself when it is one, or names none or several: each reported)."""
        if value in renamed:
            return renamed[value]
        if value in own.ids or value in store.ids:
            return value
        by, candidates = own.find(value)
        where = own
        if not candidates:
            by, candidates = store.find(value)
            where = store
        if len(candidates) == 1:
            (target,) = candidates
            report.matched.append({"file": file, "line": line, "value": value, "stage": target, "name": where.ids[target], "by": by})
            return target
        if candidates:
            report.ambiguous.append({"file": file, "line": line, "value": value, "candidates": sorted(candidates)})
            problems.append(Problem(file, line, column, f"{value!r} names several stages ({', '.join(sorted(candidates))}): give the id"))
        else:
            report.unmatched.append({"file": file, "line": line, "column": column, "value": value})
        return value
    for file, table in raw.tables.items():
        refs = _stage_columns(table, file) if file in FILES else {}
        # a stages.csv without a parent column refers to no stage, but its matched rows must still go
        if not refs and not (file == "stages.csv" and dropped_lines):
            continue
        rows = []
        for line, cells in table.rows:
            if file == "stages.csv" and line in dropped_lines:
                continue
            cells = list(cells)
            for column, at in refs.items():
                cell = cells[at].strip() if at < len(cells) else ""
                if not cell:
                    continue
                # a stage's parents and a chain's stages may name several stages (";"-separated): each is matched on its own
                whole = cell in renamed or cell in own.ids or cell in store.ids  # an id may hold a ";"
                values = [v.strip() for v in cell.split(";")] if column in several.get(file, ()) and not whole else [cell]
                mapped = [matched(value, column, line, table.file) if value else value for value in values]
                if mapped != values:
                    cells[at] = ";".join(mapped)
                    changed = True
            rows.append((line, cells))
        tables[file] = Table(table.file, table.header, rows, table.encoding)
    if not changed and len(problems) == len(raw.problems):
        return raw, report
    return RawDataset(raw.source, tables, raw.manifest, problems), report
