"""Read a dataset's raw tables from a folder of CSV files, an .xlsx workbook or a .zip.

This layer only turns bytes into rows of text cells with their line numbers; what the cells mean
is checked in :mod:`loaders.validate`. Problems found here (an undecodable file, a cell too big,
an unsafe zip member) are collected, not raised one by one, so a user sees them all at once.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from graph.errors import DatasetError, Problem

from .contract import FILES

__all__ = ["Table", "RawDataset", "read_dataset", "decode", "MAX_CELL_CHARS", "MAX_UNZIPPED_BYTES"]

# A single cell longer than this is a mistake (or an attack), never a name or a description.
MAX_CELL_CHARS = 100_000
# A dataset zip may expand to at most this much; larger is refused before it is unpacked.
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 1_000


@dataclass
class Table:
    """One file of a dataset: its header (as written) and its rows as (line number, cells)."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str = "utf-8"


@dataclass
class RawDataset:
    source: str
    tables: dict[str, Table] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def decode(data: bytes, file: str) -> tuple[str, str]:
    """Decode a CSV file's bytes: UTF-8 (with or without BOM), else GB18030 (Excel on Chinese
    Windows writes GBK, which GB18030 contains). Returns (text, encoding name)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise DatasetError(
                [Problem(file, line, None, "cannot decode the file as UTF-8 or GB18030/GBK")]
            ) from None


# The csv module's own limit (128 KiB) would stop parsing with a vague error; ours, checked per
# cell below, names the cell. This only lets an over-long cell reach that check.
csv.field_size_limit(1 << 30)


def _parse_csv(text: str, file: str, problems: list[Problem]) -> Table | None:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            # A record starts on the line after the previous one ended; reader.line_num is
            # where this one ended (quoted cells may span lines).
            start, line = line, reader.line_num + 1
            if header is None:
                header = cells
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank lines and rows of empty cells (trailing separators) say nothing
            for index, cell in enumerate(cells):
                if len(cell) > MAX_CELL_CHARS:
                    column = header[index] if index < len(header) else f"column {index + 1}"
                    problems.append(
                        Problem(file, start, column, f"cell of {len(cell):,} characters is longer than the limit of {MAX_CELL_CHARS:,}")
                    )
                    cells[index] = ""
            rows.append((start, cells))
    except csv.Error as error:
        problems.append(Problem(file, reader.line_num or line, None, f"malformed CSV: {error}"))
        return None
    if header is None:
        problems.append(Problem(file, 1, None, "the file is empty: it needs a header row"))
        return None
    return Table(file, header, rows)


def _read_csv_bytes(data: bytes, file: str, raw: RawDataset) -> None:
    try:
        text, encoding = decode(data, file)
    except DatasetError as error:
        raw.problems.extend(error.problems)
        return
    table = _parse_csv(text, file, raw.problems)
    if table is not None:
        table.encoding = encoding
        raw.tables[file] = table


def _read_manifest(data: bytes, raw: RawDataset) -> None:
    try:
        manifest = json.loads(decode(data, "dataset.json")[0])
    except (DatasetError, json.JSONDecodeError) as error:
        line = getattr(error, "lineno", None)
        raw.problems.append(Problem("dataset.json", line, None, f"not valid JSON: {error}"))
        return
    if not isinstance(manifest, dict):
        raw.problems.append(Problem("dataset.json", 1, None, "must be a JSON object"))
        return
    raw.manifest = manifest


def _accept(name: str, data: bytes, raw: RawDataset) -> None:
    if name == "dataset.json":
        _read_manifest(data, raw)
    elif name.lower().endswith(".csv"):
        known = next((f for f in FILES if f == name.lower()), None)
        if known is None:
            return  # not part of the contract: a user's own notes beside the data
        _read_csv_bytes(data, known, raw)


def _read_folder(path: Path, raw: RawDataset) -> None:
    for child in sorted(path.iterdir()):
        if child.is_file():
            _accept(child.name, child.read_bytes(), raw)


def _read_zip(path: Path, raw: RawDataset, name: str) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raw.problems.append(Problem(name, None, None, f"not a readable .zip file: {error}"))
        return
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raw.problems.append(Problem(name, None, None, f"holds {len(members)} files; at most {MAX_ZIP_MEMBERS} are accepted"))
            return
        total = sum(m.file_size for m in members)
        if total > MAX_UNZIPPED_BYTES:
            raw.problems.append(
                Problem(name, None, None, f"would expand to {total:,} bytes; at most {MAX_UNZIPPED_BYTES:,} are accepted")
            )
            return
        for member in members:
            member_path = PurePosixPath(member.filename.replace("\\", "/"))
            if member_path.is_absolute() or ".." in member_path.parts or ":" in member.filename:
                raw.problems.append(Problem(name, None, None, f"unsafe member name {member.filename!r} (absolute or '..')"))
                continue
            if member_path.name.startswith(".") or "__MACOSX" in member_path.parts:
                continue
            # Files may sit at the top or in one folder (a zipped dataset folder).
            if len(member_path.parts) > 2:
                continue
            with archive.open(member) as handle:
                # Read at most the declared size plus one byte: a member that lies about its
                # size (a zip bomb) is caught here rather than filling memory.
                data = handle.read(member.file_size + 1)
            if len(data) > member.file_size:
                raw.problems.append(Problem(name, None, None, f"member {member.filename!r} is larger than it declares"))
                continue
            _accept(member_path.name, data, raw)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, raw: RawDataset, name: str) -> None:
    import openpyxl  # only needed for workbooks; keeps CSV loads light

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raw.problems.append(Problem(name, None, None, f"not a readable .xlsx workbook: {error}"))
        return
    try:
        for sheet in workbook.worksheets:
            file = f"{sheet.title.strip().lower()}.csv"
            if file not in FILES:
                continue
            if sheet.sheet_state != "visible":
                raw.problems.append(
                    Problem(file, None, None, f"sheet {sheet.title!r} is hidden; unhide it or remove it so nothing loads unseen")
                )
                continue
            rows = [(index, [_cell_text(v) for v in values]) for index, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
            if not rows:
                raw.problems.append(Problem(file, 1, None, "the sheet is empty: it needs a header row"))
                continue
            header = rows[0][1]
            body = []
            for line, cells in rows[1:]:
                if not any(c.strip() for c in cells):
                    continue
                for index, cell in enumerate(cells):
                    if len(cell) > MAX_CELL_CHARS:
                        column = header[index] if index < len(header) else f"column {index + 1}"
                        raw.problems.append(Problem(file, line, column, f"cell of {len(cell):,} characters is longer than the limit of {MAX_CELL_CHARS:,}"))
                        cells[index] = ""
                body.append((line, cells))
            raw.tables[file] = Table(file, header, body, encoding="xlsx")
        if "dataset" in workbook.sheetnames:
            sheet = workbook["dataset"]
            raw.manifest = {str(k): _cell_text(v) for k, v, *_ in sheet.iter_rows(values_only=True) if k}
    finally:
        workbook.close()


def read_dataset(path: str | Path) -> RawDataset:
    """Read the raw tables of the dataset at ``path`` (folder, .xlsx or .zip)."""
    path = Path(path)
    raw = RawDataset(source=str(path))
    if not path.exists():
        raise DatasetError([Problem(str(path), None, None, "no such file or folder")])
    if path.is_dir():
        _read_folder(path, raw)
    elif path.suffix.lower() == ".zip":
        _read_zip(path, raw, path.name)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        _read_xlsx(path, raw, path.name)
    elif path.suffix.lower() == ".csv":
        raw.problems.append(Problem(path.name, None, None, "a dataset is a folder of CSV files, an .xlsx workbook or a .zip; give the folder that holds this file"))
    else:
        raw.problems.append(Problem(path.name, None, None, "not a dataset: expected a folder, an .xlsx workbook or a .zip"))
    return raw
