"""A report as an Excel workbook (.xlsx, written by openpyxl): a first sheet "说明 About" with what
the report is, its parameters and the data version, then one sheet per table of its model.

Numbers are stored as numbers (they sort and sum), everything else as text: ids such as the stock
code ``000581`` keep their zeros, and every text cell goes through the formula guard
(:func:`viz.formats.spreadsheet_safe`), so a name that looks like a formula is shown, never run.
Header rows are frozen and columns are as wide as their text (a Chinese character counts two).

>>> from graph.reports import CentralityReport, CentralityRow
>>> row = CentralityRow.model_construct(rank=1, node="000581", name="=1+1", kind="Enterprise", value=0.5)
>>> report = CentralityReport.model_construct(rows=[row], metric="degree")
>>> book = load_workbook(io.BytesIO(report_xlsx(report, {"report": "centrality"})))
>>> book.sheetnames
['说明 About', 'rows']
>>> [(c.value, c.data_type) for c in book["rows"][2]]
[(1, 'n'), ('000581', 's'), ("'=1+1", 's'), ('Enterprise', 's'), (0.5, 'n')]
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pydantic import BaseModel

from .formats import display_width, report_sections, spreadsheet_safe

__all__ = ["ABOUT_SHEET", "report_xlsx", "load_workbook"]

ABOUT_SHEET = "说明 About"
# wide enough for a company name and a short reason; longer text wraps instead
MAX_WIDTH = 60
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def report_xlsx(report: BaseModel, about: Mapping[str, Any]) -> bytes:
    """``report`` as the bytes of an .xlsx workbook.

    ``about`` is what the first sheet says before the report's own figures: which report, its
    parameters as they were given, the data version. The report's top-level values (and those of
    its small parts, such as a gaps report's ``scope.kind``) follow, so the sheet also records
    what the analysis settled (the scope it read, the betweenness method, what was cut).
    """
    book = Workbook()
    sheet = book.active
    sheet.title = ABOUT_SHEET
    figures = [(key, value) for key, value in _figures(report) if about.get(key, not value) != value]  # region, min_firms: said once
    _write(sheet, ["item", "value"], [[key, _about_value(value)] for key, value in [*about.items(), *figures]])
    for name, headers, rows in report_sections(report, csv=True):
        _write(book.create_sheet(_sheet_name(name)), headers, rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _figures(report: BaseModel, prefix: str = "") -> Iterable[tuple[str, Any]]:
    """The scalar values of ``report`` and of its nested models, by dotted name; lists (the rows
    the tables show) and mappings of many values left out."""
    for name in type(report).model_fields:
        value = getattr(report, name, None)
        if isinstance(value, BaseModel):
            yield from _figures(value, f"{prefix}{name}.")
        elif isinstance(value, dict) and len(value) <= 20 and all(not isinstance(v, (dict, list, BaseModel)) for v in value.values()):
            yield from ((f"{prefix}{name}.{key}", v) for key, v in value.items())
        elif not isinstance(value, (list, tuple, dict)):
            yield f"{prefix}{name}", value


def _about_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "value") and not isinstance(value, (int, float, str)):  # an Enum
        return value.value
    return value


def _sheet_name(name: str) -> str:
    # Excel refuses [ ] : * ? / \ in a sheet name and more than 31 characters
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31]


def _write(sheet, headers: list[str], rows: Iterable[list[Any]]) -> None:
    sheet.append([spreadsheet_safe(str(h)) for h in headers])
    for cell in sheet[1]:
        cell.font = _BOLD
    widths = [display_width(str(h)) for h in headers]
    for row in rows:
        sheet.append([_value(v) for v in row])
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _text_width(value))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":  # never: every text went through the guard; kept text whatever openpyxl guessed
                cell.data_type = "s"
            if cell.data_type == "s":
                cell.number_format = "@"
                if "\n" in cell.value or display_width(cell.value) > MAX_WIDTH:
                    cell.alignment = _WRAP
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(width, MAX_WIDTH) + 2
    sheet.freeze_panes = "A2"


def _value(value: Any) -> Any:
    """A cell: numbers and booleans as themselves, nothing as an empty cell, the rest as guarded text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value if value == value else None  # NaN has no cell
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    return spreadsheet_safe(str(value))


def _text_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:.6g}")
    text = "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return max(display_width(line) for line in text.split("\n"))
