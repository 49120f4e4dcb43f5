"""A report as an Excel workbook (.xlsx, written by XlsxWriter): a first sheet "说明 About" with what
the report is, its parameters and the data version, then one sheet per table of its model.

Numbers are stored as numbers (they sort and sum), everything else as text: ids such as the stock
code ``000581`` keep their zeros, and every text cell goes through the formula guard
(:func:`viz.formats.spreadsheet_safe`), so a name that looks like a formula is shown, never run.
Header rows are frozen and columns are as wide as their text (a Chinese character counts two).

>>> from graph.reports import CentralityReport, CentralityRow
>>> row = CentralityRow.model_construct(rank=1, node="000581", name="=1+1", kind="Enterprise", value=0.5)
>>> report = CentralityReport.model_construct(rows=[row], metric="degree")
>>> from openpyxl import load_workbook
>>> book = load_workbook(io.BytesIO(report_xlsx(report, {"report": "centrality"})))
>>> book.sheetnames
['说明 About', 'rows']
>>> [(c.value, c.data_type) for c in book["rows"][2]]
[(1, 'n'), ('000581', 's'), ("'=1+1", 's'), ('Enterprise', 's'), (0.5, 'n')]
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

import xlsxwriter
from pydantic import BaseModel

from .formats import display_width, report_sections, spreadsheet_safe

__all__ = ["ABOUT_SHEET", "report_xlsx"]

ABOUT_SHEET = "说明 About"
# wide enough for a company name and a short reason; longer text wraps instead
MAX_WIDTH = 60
WIDTH_SAMPLE = 1000
# characters XML 1.0 cannot hold (control characters): no spreadsheet can store them
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def report_xlsx(report: BaseModel, about: Mapping[str, Any]) -> bytes:
    """``report`` as the bytes of an .xlsx workbook.

    ``about`` is what the first sheet says before the report's own figures: which report, its
    parameters as they were given, the data version. The report's top-level values (and those of
    its small parts, such as a gaps report's ``scope.kind``) follow, so the sheet also records
    what the analysis settled (the scope it read, the betweenness method, what was cut).
    """
    buffer = io.BytesIO()
    # text is written as text (write_string), never turned into a formula, a number or a link
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False})
    styles = {"header": book.add_format({"bold": True}), "text": book.add_format({"num_format": "@"}),
              "wrap": book.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})}
    figures = [(key, value) for key, value in _figures(report) if about.get(key, not value) != value]  # region, min_firms: said once
    _write(book.add_worksheet(ABOUT_SHEET), styles, ["item", "value"],
           [[key, _about_value(value)] for key, value in [*about.items(), *figures]])
    for name, headers, rows in report_sections(report, csv=True):
        _write(book.add_worksheet(_sheet_name(name)), styles, headers, rows)
    book.close()
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


def _write(sheet, styles: dict, headers: list[str], rows: list[list[Any]]) -> None:
    # widths from the first rows: a column's text is alike all the way down, and a long report
    # would otherwise be measured cell by cell
    widths = [display_width(str(h)) for h in headers]
    for row in rows[:WIDTH_SAMPLE]:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _text_width(value))
    for i, width in enumerate(widths):
        sheet.set_column(i, i, min(width, MAX_WIDTH) + 2)
    sheet.freeze_panes(1, 0)
    for i, header in enumerate(headers):
        sheet.write_string(0, i, _text(header), styles["header"])
    for r, row in enumerate(rows, start=1):
        for i, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, i, value)
            elif isinstance(value, (int, float)):
                if value == value and abs(value) != float("inf"):  # NaN and infinity have no cell
                    sheet.write_number(r, i, value)
            else:
                text = _text(value)
                sheet.write_string(r, i, text, styles["wrap"] if len(text) > MAX_WIDTH and _text_width(text) > MAX_WIDTH else styles["text"])


def _text(value: Any) -> str:
    """A text cell: lists joined, the formula guard applied, characters no spreadsheet holds replaced."""
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    return _ILLEGAL.sub("\ufffd", spreadsheet_safe(str(value)))


def _text_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:.6g}")
    text = "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    if len(text) > 2 * MAX_WIDTH and "\n" not in text:
        return len(text)  # over the cap whatever its characters
    return max(display_width(line) for line in text.split("\n"))
