"""What the importers of foreign formats (chainkg, KAG) share: the import report that accounts for
every input line, name cleaning, line-numbered readers, and the builder of contract tables.

An importer maps a foreign dataset onto *tables of contract rows* (the same
:class:`~loaders.read.RawDataset` that :func:`~loaders.read.read_dataset` gives for a CSV folder),
so the result is validated and written exactly as ``chainx load`` does it. Nothing here knows a
store.

Every input line ends in one of four outcomes, counted per file:

- ``mapped``: it became (part of) a contract row;
- ``merged``: it repeats or refines a line already mapped (a duplicate id, the same edge twice);
- ``skipped``: it could not be imported (a self-loop, a dangling reference, broken JSON);
- ``ignored``: its kind of record has no place in the chain model (persons, events), by design.

Besides these, an entry may record what happened to one *value* of a mapped line: ``dropped``
(a value not imported, e.g. a negative weight), ``placeholder`` (a node created for a dangling
reference) or ``changed`` (a value normalised, e.g. a control character removed from a name).
``--strict`` fails on any ``skipped`` line or ``dropped`` value: everything else loses nothing.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from graph.errors import DatasetError, Problem

from .contract import FILES
from .read import RawDataset, Table, decode

# Cells that a spreadsheet would run as a formula are refused by the validator; an importer
# skips such a line with a reason instead of failing the whole import (the validator's own rule,
# so the two never disagree).
from .validate import formula_in_cell

__all__ = [
    "ImportReport",
    "Entry",
    "Imported",
    "TableBuilder",
    "FolderImport",
    "checked_folder",
    "clean_name",
    "formula_in_cell",
    "parenthesised_aliases",
    "split_list",
    "read_ndjson",
    "read_csv_records",
    "LINE_OUTCOMES",
    "VALUE_OUTCOMES",
    "PLACEHOLDER_REGION",
    "PLACEHOLDER",
    "DANGLING_CHOICES",
]

LINE_OUTCOMES = ("mapped", "merged", "skipped", "ignored")
VALUE_OUTCOMES = ("dropped", "placeholder", "changed")
DANGLING_CHOICES = ("skip", "placeholder")

# National data without locations still needs a region (the contract requires one per
# enterprise): every imported enterprise is placed in this one, which a regional overlay can
# hang its provinces and towns below.
PLACEHOLDER_REGION = ("cn", "中国", "country", "placeholder region of imported national data that gives no locations")
# The region row's ``placeholder`` cell: centrality on the ``all`` projection leaves such a region
# out (every imported firm is LOCATED_IN it, so it would top every measure and join firms that
# share nothing but the country).
PLACEHOLDER = "yes"

_LINE_BREAK = re.compile(r"\s*[\n\r\x0b\x0c\x85\u2028\u2029]+\s*")


def _join_lines(match: re.Match) -> str:
    # A line break inside a name is a wrapped spreadsheet cell (光纤复合⏎架空地线): Chinese is
    # joined back without a space, words of Latin script keep one.
    text, start, end = match.string, match.start(), match.end()
    before, after = text[start - 1 : start], text[end : end + 1]
    return " " if before.isascii() and after.isascii() and before.isalnum() and after.isalnum() else ""


def clean_name(value: object) -> str:
    r"""A name as the graph keeps it: a line break inside it is joined (with a space only between
    Latin letters or digits), other control and invisible format characters (DEL, backspace,
    zero-width joiner) are removed, runs of whitespace collapse to one space, and the ends are
    trimmed.

    >>> clean_name(" 北极虾\u200d ")
    '北极虾'
    >>> clean_name("光纤复合\n架空地线\n")
    '光纤复合架空地线'
    >>> clean_name("Polyester\nfibre")
    'Polyester fibre'
    """
    text = "" if value is None else str(value)
    if text.isprintable() and text == text.strip() and "  " not in text:
        return text  # the common case, without looking at each character
    text = _LINE_BREAK.sub(_join_lines, text.strip())
    kept = "".join(" " if char == "\t" else char for char in text if char == "\t" or not unicodedata.category(char).startswith("C"))
    return " ".join(kept.split())


@dataclass
class Entry:
    """One line (or one value of a line) that was not simply mapped, and why."""

    file: str
    line: int | None
    outcome: str
    reason: str
    message: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "outcome": self.outcome, "reason": self.reason, "message": self.message}

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.outcome} ({self.reason}): {self.message}"


@dataclass
class _FileCount:
    read: int = 0
    present: bool = True
    note: str = ""
    outcomes: dict[int, str] = field(default_factory=dict)  # line → outcome, for lines not mapped


class ImportReport:
    """The account of one import: per file the lines read and what became of each."""

    def __init__(self, format: str, source: str | Path):
        self.format = format
        self.source = str(source)
        self.files: dict[str, _FileCount] = {}
        self.entries: list[Entry] = []
        self.graph: dict | None = None  # nodes per label and relationships per type, once validated

    # -- recording ---------------------------------------------------------------------------
    def file(self, name: str, *, present: bool = True, note: str = "") -> None:
        self.files.setdefault(name, _FileCount(present=present, note=note))

    def read(self, file: str, line: int) -> None:
        """Count one input line of ``file`` (mapped unless an outcome is recorded for it)."""
        self.files[file].read += 1

    def line(self, file: str, line: int, outcome: str, reason: str, message: str) -> None:
        """Record that input line ``line`` of ``file`` was merged, skipped or ignored."""
        assert outcome in LINE_OUTCOMES and outcome != "mapped", outcome
        outcomes = self.files[file].outcomes
        # The first outcome decided for a line stands: a line skipped for one reason is not
        # counted again when a later step finds another.
        if line in outcomes:
            return
        outcomes[line] = outcome
        self.entries.append(Entry(file, line, outcome, reason, message))

    def value(self, file: str, line: int | None, outcome: str, reason: str, message: str) -> None:
        """Record what happened to one value of a mapped line (dropped, placeholder, changed)."""
        assert outcome in VALUE_OUTCOMES, outcome
        self.entries.append(Entry(file, line, outcome, reason, message))

    # -- reading it back -----------------------------------------------------------------------
    def counts(self, file: str) -> dict[str, int]:
        entry = self.files[file]
        tally = Counter(entry.outcomes.values())
        counts = {"read": entry.read, "mapped": entry.read - sum(tally.values())}
        counts.update({outcome: tally.get(outcome, 0) for outcome in LINE_OUTCOMES[1:]})
        return counts

    def failures(self) -> list[Entry]:
        """What ``--strict`` refuses: skipped lines and dropped values."""
        return [e for e in self.entries if e.outcome in ("skipped", "dropped")]

    def reasons(self) -> list[dict]:
        """Entries grouped by (file, outcome, reason), with a count and the first example."""
        groups: dict[tuple[str, str, str], dict] = {}
        for entry in self.entries:
            key = (entry.file, entry.outcome, entry.reason)
            if key not in groups:
                groups[key] = {"file": entry.file, "outcome": entry.outcome, "reason": entry.reason, "count": 0,
                               "first": {"line": entry.line, "message": entry.message}}
            groups[key]["count"] += 1
        return list(groups.values())

    def as_dict(self) -> dict:
        files = {}
        for name, entry in self.files.items():
            files[name] = {**self.counts(name), "present": entry.present}
            if entry.note:
                files[name]["note"] = entry.note
        return {
            "format": self.format,
            "source": self.source,
            "files": files,
            "totals": {key: sum(f[key] for f in files.values()) for key in ("read", *LINE_OUTCOMES)},
            "values": dict(Counter(e.outcome for e in self.entries if e.outcome in VALUE_OUTCOMES)),
            "strict_failures": len(self.failures()),
            "graph": self.graph,
            "reasons": self.reasons(),
            "entries": [e.as_dict() for e in self.entries],
        }

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def summary(self, examples: int = 1) -> str:
        """A few lines for a terminal: the count table per file, then each reason with a count."""
        header = ("file", "read", "mapped", "merged", "skipped", "ignored")
        rows = [header]
        for name, entry in self.files.items():
            if not entry.present:
                rows.append((name, "missing", "", "", "", ""))
                continue
            counts = self.counts(name)
            rows.append((name, *(f"{counts[key]:,}" for key in header[1:])))
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
        lines = ["  ".join(str(cell).ljust(w) if i == 0 else str(cell).rjust(w) for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
        reasons = self.reasons()
        if reasons:
            lines.append("")
            for group in reasons:
                first = group["first"]
                where = group["file"] if first["line"] is None else f"{group['file']}:{first['line']}"
                lines.append(f"{group['count']:>7,} {group['outcome']:<11} {group['reason']:<22} e.g. {where}: {first['message']}")
        return "\n".join(lines)


@dataclass
class Imported:
    """A foreign dataset mapped onto the contract: its raw tables and the report of the mapping."""

    raw: RawDataset
    report: ImportReport


class TableBuilder:
    """Collects contract rows for the tables of one import.

    Rows keep the file and line they came from, so a validation problem points at the input.
    Cells are text, as if read from a CSV file; the validator types them.
    """

    def __init__(self, source: str, report: ImportReport):
        self.raw = RawDataset(source=source)
        self.report = report

    def table(self, contract_file: str, source_file: str, header: list[str]) -> Table:
        table = self.raw.tables.get(contract_file)
        if table is None:
            table = self.raw.tables[contract_file] = Table(source_file, list(header), [])
        return table

    def add(self, contract_file: str, source_file: str, line: int, row: dict[str, object], header: list[str]) -> None:
        """Add one row (column → value; missing columns empty).

        A cell that a spreadsheet would run as a formula is refused by the validator; it is
        left empty here and reported as a dropped value. A list cell (tags) the validator checks
        item by item, split on ";", and so is it here: only its items that would run are dropped.
        (Importers skip lines whose *name* looks like one before they get here, since others
        refer to them.)
        """
        cells = []
        for column, is_list in zip(header, _list_columns(contract_file, tuple(header))):
            value = row.get(column)
            cell = "" if value is None else str(value)
            items = cell.split(";") if is_list else [cell]
            formulas = [item for item in items if formula_in_cell(item.strip())]
            for item in formulas:
                self.report.value(source_file, line, "dropped", "formula_like",
                                  f"{column} {item[:40]!r} would run as a spreadsheet formula; not imported")
            if formulas:
                cell = ";".join(item for item in items if item not in formulas)
            cells.append(cell)
        self.table(contract_file, source_file, header).rows.append((line, cells))


@functools.cache
def _list_columns(contract_file: str, header: tuple[str, ...]) -> tuple[bool, ...]:
    """Whether each column of ``header`` is one of the contract's list columns (tags): worked out
    once per file and header, not for every cell (an import adds hundreds of thousands of rows)."""
    spec = FILES.get(contract_file)
    return tuple(spec is not None and (kind := spec.column(column)) is not None and kind.type == "list" for column in header)


def checked_folder(folder: str | Path, *, label: str, required: tuple[str, ...], dangling: str) -> Path:
    """``folder`` as a Path once it is a folder holding the ``required`` files of format ``label``.

    Raises ValueError for a ``dangling`` rule that is not one of :data:`DANGLING_CHOICES` (a
    caller's mistake), DatasetError when the folder or a required file is missing (the user's).
    """
    folder = Path(folder)
    if dangling not in DANGLING_CHOICES:
        raise ValueError(f"dangling must be one of {DANGLING_CHOICES}")
    if not folder.is_dir():
        raise DatasetError([Problem(str(folder), None, None, f"not a folder: give the folder that holds {label}'s {required[0]}")])
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        raise DatasetError([Problem(name, None, None, f"required {label} file is missing from the folder") for name in missing])
    return folder


class FolderImport:
    """One import of a foreign folder: its folder, its dangling rule, its report and its tables,
    and how it looks for the files of the format (each importer's class builds on this)."""

    def __init__(self, folder: Path, dangling: str, format: str):
        self.folder = folder
        self.dangling = dangling
        self.report = ImportReport(format, folder)
        self.tables = TableBuilder(str(folder), self.report)

    def present(self, name: str) -> Path | None:
        """The path of file ``name`` of the folder, or None (reported as absent)."""
        path = self.folder / name
        if path.is_file():
            return path
        self.report.file(name, present=False, note="not in the folder")
        return None

    def note_other_files(self, known: tuple[str, ...], suffixes: tuple[str, ...], note: str) -> None:
        """Report every file with one of ``suffixes`` (lower case) that is not ``known`` as not read."""
        for extra in sorted(self.folder.iterdir()):
            if extra.suffix.lower() in suffixes and extra.name not in known:
                self.report.file(extra.name, note=note)


# -- readers that keep line numbers ----------------------------------------------------------------
def _source_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DatasetError([Problem(path.name, None, None, f"cannot read: {error.strerror or error}")]) from None
    return decode(data, path.name)[0]


def read_ndjson(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    """The JSON objects of a one-object-per-line file, as (line number, object).

    Every physical line is counted in ``report``; a blank line is ignored and a line that is not
    a JSON object is skipped, each with its reason.
    """
    file = path.name
    report.file(file)
    # Only \n ends a record: names may hold other line separators (U+2028) inside a JSON string.
    lines = _source_text(path).split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # what follows the final newline is not a line
    for number, text in enumerate(lines, start=1):
        report.read(file, number)
        if not text.strip():
            report.line(file, number, "ignored", "blank", "an empty line")
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            report.line(file, number, "skipped", "not_json", f"not valid JSON: {error.msg} at column {error.colno}")
            continue
        if not isinstance(record, dict):
            report.line(file, number, "skipped", "not_json", f"a JSON {type(record).__name__}, not an object")
            continue
        yield number, record


def read_csv_records(path: Path, report: ImportReport) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with a header, as (line number where the row starts, column →
    cell), header names trimmed. Rows of empty cells are counted and ignored."""
    file = path.name
    report.file(file)
    text = _source_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                header = [c.strip() for c in cells]
                continue
            report.read(file, start)
            if not any(c.strip() for c in cells):
                report.line(file, start, "ignored", "blank", "an empty row")
                continue
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                report.line(file, start, "skipped", "bad_row", f"the row has {len(cells)} cells but the header names {len(header)} columns")
                continue
            yield start, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
    except csv.Error as error:
        raise DatasetError([Problem(file, reader.line_num or line, None, f"malformed CSV: {error}")]) from None


def split_list(value: str, separator: str = ",") -> list[str]:
    """The non-empty, cleaned parts of a multi-value cell, in order."""
    return [part for part in (clean_name(p) for p in value.split(separator)) if part]


_PARENTHESES = re.compile(r"^(?P<outer>[^()（）]+?)\s*[(（](?P<inner>[A-Za-z0-9][A-Za-z0-9 .+-]*)[)）]$")


def parenthesised_aliases(name: str) -> list[str]:
    """The full name and the abbreviation of a name of the form ``X(ABBR)``, as Chinese product
    lists write them; a Chinese qualifier in parentheses (猪肉(瘦)) is not an abbreviation.

    >>> parenthesised_aliases("精对苯二甲酸(PTA)")
    ['精对苯二甲酸', 'PTA']
    >>> parenthesised_aliases("猪肉(瘦）"), parenthesised_aliases("涤纶")
    ([], [])
    """
    match = _PARENTHESES.match(name)
    if not match:
        return []
    parts = [clean_name(match["outer"]), clean_name(match["inner"])]
    # ';' separates aliases in the contract, so a part holding one cannot be an alias
    return [p for p in parts if p and p != name and ";" not in p]
