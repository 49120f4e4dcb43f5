"""Presenting results on a terminal: tables, JSON and CSV. No numbers are computed here."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from enum import Enum

from pydantic import BaseModel

__all__ = ["Format", "emit", "to_json", "rows_to_csv", "rows_to_table", "report_csv", "report_table"]


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def _csv_cell(value) -> str:
    text = _cell(value) if not isinstance(value, float) else repr(value)
    # A cell starting with = + - @ would run as a formula in Excel; a leading quote keeps it text.
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# Unicode ranges of East Asian wide characters (Hangul Jamo, CJK, Hangul syllables, compatibility
# ideographs, full-width forms): they take two columns in a terminal.
_WIDE = ((0x1100, 0x115F), (0x2E80, 0xA4CF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFF00, 0xFF60), (0xFFE0, 0xFFE6))


def _width(text: str) -> int:
    return sum(2 if any(low <= ord(ch) <= high for low, high in _WIDE) else 1 for ch in text)


def rows_to_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values):
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
