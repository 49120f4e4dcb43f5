"""Presenting results on a terminal: tables, JSON and CSV. No numbers are computed here.

>>> spreadsheet_safe("=1+1"), spreadsheet_safe("-3.5"), spreadsheet_safe("-x")
("'=1+1", '-3.5', "'-x")
>>> display_width("印染 dye")
8
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from enum import Enum

from pydantic import BaseModel

from graph.export import csv_line, spreadsheet_safe
from graph.params import FORMAT

__all__ = ["Format", "emit", "to_json", "rows_to_csv", "rows_to_table", "report_csv", "report_table", "report_sections",
           "spreadsheet_safe", "display_width", "csv_file_bytes"]

#: The output formats, as graph.params.FORMAT defines them (table, json, csv, xlsx).
Format = Enum("Format", [(name, name) for name in FORMAT.choices], type=str, module=__name__)


def to_json(payload) -> str:
    """``payload`` (plain values, reports of :mod:`graph.reports`, or both) as indented JSON."""
    return json.dumps(payload, ensure_ascii=False, indent=2, default=_plain)


def _plain(value):
    if isinstance(value, BaseModel):
        # as the report's to_dict: aliases as keys, the parts the analysis left out left out
        return value.model_dump(by_alias=True, exclude_unset=True)
    return str(value)


def _section(report, section: str | None, csv: bool) -> tuple[list[str], list[dict]]:
    tables = type(report).tables
    table = tables[section] if section is not None else next(iter(tables.values()))
    headers, rows = table.render(report, csv=csv)
    return headers, [dict(zip(headers, row)) for row in rows]


def report_sections(report, *, csv: bool = True) -> list[tuple[str, list[str], list[list]]]:
    """Every table of a report as (name, headers, rows of cells), in the order its model declares
    them; a table the report does not hold (a ties report's focus without an institute) left out."""
    sections = []
    for name, table in type(report).tables.items():
        if name in type(report).model_fields and getattr(report, name) is None:
            continue
        headers, rows = table.render(report, csv=csv)
        sections.append((name, headers, rows))
    return sections


def csv_file_bytes(text: str) -> bytes:
    """CSV text as a file for Excel: UTF-8 with a byte-order mark, without which Excel on Chinese
    Windows reads it as GBK (印染 becomes 鍗版煋). Standard output gets no BOM: a program reading
    a pipe would take it for part of the first header."""
    return ("\ufeff" + text).encode("utf-8")


def report_csv(report, section: str | None = None) -> str:
    """One section of a report (its first when not named) as CSV, in the columns its model
    declares (:class:`graph.reports.Table`)."""
    headers, rows = _section(report, section, csv=True)
    return rows_to_csv(rows, headers)


def report_table(report, section: str | None = None) -> str:
    """One section of a report (its first when not named) as a terminal table."""
    headers, rows = _section(report, section, csv=False)
    return rows_to_table(rows, headers)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def rows_to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """The rows as CSV for a spreadsheet: every cell safe from running as a formula
    (graph.export.csv_line, OWASP's CSV-injection guidance)."""
    lines = [csv_line(columns)]
    lines.extend(csv_line([_csv_cell(row.get(c)) for c in columns]) for row in rows)
    return "\n".join(lines) + "\n"


def _csv_cell(value) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        # each item safe on its own: a spreadsheet splitting on "; " would start a cell with it
        return "; ".join(spreadsheet_safe(_cell(v)) for v in value)
    # a report's text may be a list joined already ("a; =b"): each piece safe on its own too
    return ";".join(map(spreadsheet_safe, _cell(value).split(";")))


# Unicode ranges of East Asian wide characters (Hangul Jamo, CJK, Hangul syllables, compatibility
# ideographs, full-width forms): they take two columns in a terminal.
_WIDE = ((0x1100, 0x115F), (0x2E80, 0xA4CF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFF00, 0xFF60), (0xFFE0, 0xFFE6))


_WIDE_CHARS = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _WIDE) + "]")


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal or a spreadsheet: two for a Chinese character."""
    return len(text) + len(_WIDE_CHARS.findall(text))



def rows_to_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([display_width(c)] + [display_width(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values):
        return "  ".join(v + " " * (w - display_width(v)) for v, w in zip(values, widths)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
