"""Read a dataset's raw tables from a folder of CSV files, an .xlsx workbook or a .zip.

This layer only turns bytes into rows of text cells with their line numbers; what the cells mean
is checked in :mod:`loaders.validate`. Problems found here (an undecodable file, a cell too big,
an unsafe zip member) are collected, not raised one by one, so a user sees them all at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from graph.errors import DatasetError, InvalidParameter, Problem

from .contract import file_for

__all__ = ["Table", "RawDataset", "read_dataset", "decode", "MAX_CELL_CHARS", "MAX_UNZIPPED_BYTES", "MAX_COLUMNS", "MAX_ROW_BYTES", "limit"]

# A single cell longer than this is a mistake (or an attack), never a name or a description.
MAX_CELL_CHARS = 100_000
# A dataset zip may expand to at most this much; larger is refused before it is unpacked.
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 1_000
# A file of more columns, or a row (one node's or link's properties) of more bytes, is an attack
# or a mistake: 200,000 extra columns of 250 rows zip to 530 KB and take gigabytes to load,
# store and search. The contract's files have a dozen columns; a user's own few dozen more.
MAX_COLUMNS = 1_000
MAX_ROW_BYTES = 1024 * 1024
# the variables that raise each limit (a trusted dataset that is larger)
LIMIT_ENV = {"MAX_COLUMNS": "CHAINX_MAX_COLUMNS", "MAX_ROW_BYTES": "CHAINX_MAX_ROW_BYTES", "MAX_UNZIPPED_BYTES": "CHAINX_MAX_UNZIPPED_BYTES"}


def limit(name: str) -> int:
    """The limit ``name`` (MAX_COLUMNS, MAX_ROW_BYTES, MAX_UNZIPPED_BYTES): its variable's value
    when set, else the default above."""
    env = LIMIT_ENV[name]
    text = os.environ.get(env, "").strip().replace("_", "").replace(",", "")
    if not text:
        return globals()[name]
    if not text.isdigit() or int(text) < 1:
        raise DatasetError([Problem(env, None, None, f"must be a whole number of at least 1, not {os.environ[env]!r}")])
    return int(text)


def _over(what: str, size: int, name: str, unit: str) -> str:
    return f"{what} {size:,} {unit}; at most {limit(name):,} {unit} are accepted (raise the limit with {LIMIT_ENV[name]})"


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
    # what is worth saying though nothing is wrong (a value read with 约 dropped, ...)
    notes: list[Problem] = field(default_factory=list)
    # the file or sheet each table came from, as the dataset names it (环节, data/stages.csv, ...)
    origins: dict[str, str] = field(default_factory=dict)
    # the files and sheets that are not part of the contract, as named (a user's own notes, or a typo)
    ignored: list[str] = field(default_factory=list)
    # the encoding every CSV file is in, when the user says (None: UTF-8, or GB18030 Chinese)
    encoding: str | None = None

    def claim(self, file: str, origin: str) -> bool:
        """Record that ``origin`` holds the contract's ``file``; a second holder is a problem
        naming both (nothing may load by whichever came last)."""
        earlier = self.origins.get(file)
        if earlier is not None:
            self.problems.append(Problem(file, None, None, f"both {earlier!r} and {origin!r} are {file}; keep one of them"))
            return False
        self.origins[file] = origin
        return True


def decode(data: bytes, file: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a CSV file's bytes: UTF-8 (with or without BOM), else GB18030 (Excel on Chinese
    Windows writes GBK, which GB18030 contains) when the text it gives is plausibly Chinese; or,
    given an ``encoding`` (``chainx load --encoding``), in that one. Returns (text, encoding name)."""
    if encoding is not None:
        try:
            return data.decode("utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding), encoding
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise DatasetError([Problem(file, line, None, f"cannot decode the file as {encoding}: {error.reason} at byte {error.start}")]) from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        mixed = _mixed_encodings(data, file)
        if mixed is not None:
            raise DatasetError([mixed]) from None
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise DatasetError(
                [Problem(file, line, None, "cannot decode the file as UTF-8 or GB18030/GBK; " + _ENCODING_ADVICE)]
            ) from None
        garbled = _not_chinese(text, file)
        if garbled is not None:
            raise DatasetError([garbled]) from None
        return text, "gb18030"


_ENCODING_ADVICE = "if it is another encoding (Windows-1252 or Latin-1 for European names), save it as UTF-8 or load it with --encoding cp1252 (or its own)"


def _gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _not_chinese(text: str, file: str) -> Problem | None:
    """The problem with a file GB18030 decodes but into text that is not Chinese: GB18030 takes
    nearly any bytes, so a Windows-1252 "Müller" reads as "M黮ler". Chinese text is mostly the
    6,763 common characters of GB2312 (a traditional one, outside it, among many that are not);
    a European accent read as GBK lands outside it nearly always."""
    foreign = [c for c in text if ord(c) > 0x7F]
    rare = [c for c in foreign if not _gb2312(c)]
    if not foreign or len(rare) * 2 <= len(foreign):
        return None
    first = text.index(rare[0])
    line = text.count("\n", 0, first) + 1
    start = text.rfind("\n", 0, first) + 1
    shown = text[start:text.find("\n", first) if "\n" in text[first:] else len(text)].strip()[:80]
    return Problem(file, line, None, f"is not UTF-8, and read as GB18030/GBK it is not Chinese either ({shown!r}); " + _ENCODING_ADVICE)


def _mixed_encodings(data: bytes, file: str) -> Problem | None:
    """The problem with a file some of whose lines are UTF-8 and others not (GBK, pasted in from
    another editor). GB18030 decodes most such files without an error, turning the UTF-8 lines
    into mojibake (测试 → 娴嬭瘯), so the mix has to be caught before that."""
    utf8_line = other_line = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            if other_line is None and _decodes(line, "gb18030"):
                other_line = number  # (a line that is neither is reported as undecodable)
        else:
            # UTF-8 Chinese is three bytes a character; GBK text practically never forms such
            # sequences (two-byte ones, U+0080–U+07FF, it does: those are no evidence)
            if utf8_line is None and any(ord(c) >= 0x800 for c in text):
                utf8_line = number
        if utf8_line and other_line:
            return Problem(file, other_line, None, f"mixes encodings: line {utf8_line} is UTF-8 but this line is not (GBK?); save the whole file in one encoding")
    return None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


# Control characters other than tab and line ends: a binary, UTF-16 or damaged file. Stored, they
# would travel unseen into names, URLs and exports.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# The csv module's own limit (128 KiB) would stop parsing with a vague error; ours, checked per
# cell below, names the cell. This only lets an over-long cell reach that check.
csv.field_size_limit(1 << 30)


def _parse_csv(text: str, file: str, problems: list[Problem]) -> Table | None:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    line = 1
    has_control = _CONTROL.search(text) is not None
    max_columns, max_row_bytes = limit("MAX_COLUMNS"), limit("MAX_ROW_BYTES")
    try:
        for cells in reader:
            # A record starts on the line after the previous one ended; reader.line_num is
            # where this one ended (quoted cells may span lines).
            start, line = line, reader.line_num + 1
            if len(cells) > max_columns:
                # stop here: the rest would be read (and stored) for nothing
                problems.append(Problem(file, start, None, _over("has", len(cells), "MAX_COLUMNS", "columns")))
                return None
            if header is None:
                header = cells
                continue
            joined = "".join(cells)
            if not joined.strip():
                continue  # blank lines and rows of empty cells (trailing separators) say nothing
            # a character is at most 4 bytes: only a long row is measured
            if len(joined) * 4 > max_row_bytes and (size := len(joined.encode("utf-8", "surrogatepass"))) > max_row_bytes:
                problems.append(Problem(file, start, None, _over("the row (one record's properties) has", size, "MAX_ROW_BYTES", "bytes")))
                continue
            # the per-cell checks only for a row that could fail one (nearly none: fast loads)
            for index, cell in enumerate(cells) if has_control or len(joined) > MAX_CELL_CHARS else ():
                if len(cell) > MAX_CELL_CHARS:
                    column = header[index] if index < len(header) else f"column {index + 1}"
                    problems.append(
                        Problem(file, start, column, f"cell of {len(cell):,} characters is longer than the limit of {MAX_CELL_CHARS:,}")
                    )
                    cells[index] = ""
                elif has_control and (control := _CONTROL.search(cell)):
                    column = header[index] if index < len(header) else f"column {index + 1}"
                    problems.append(Problem(file, start, column, f"the cell holds the control character U+{ord(control.group()):04X}; is this a text file?"))
                    cells[index] = ""
            rows.append((start, cells))
    except csv.Error as error:
        problems.append(Problem(file, reader.line_num or line, None, f"malformed CSV: {error}"))
        return None
    if header is None:
        problems.append(Problem(file, 1, None, "the file is empty: it needs a header row"))
        return None
    return Table(file, header, rows)


def _as_shown(name: str, file: str) -> str:
    """What problems call a table: the contract's file name, with the name the user gave it
    beside it when that is an alias (企业.csv (enterprises.csv); 环节 (stages.csv) for a sheet)."""
    return file if name.strip().lower() in (file, file.removesuffix(".csv")) else f"{name.strip()} ({file})"


def _read_csv_bytes(data: bytes, file: str, raw: RawDataset, shown: str | None = None) -> None:
    shown = shown or file
    try:
        text, encoding = decode(data, shown, raw.encoding)
    except DatasetError as error:
        raw.problems.extend(error.problems)
        return
    table = _parse_csv(text, shown, raw.problems)
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
    except RecursionError:
        # json gives up on deep nesting (200,000 "[") with Python's own recursion limit
        raw.problems.append(Problem("dataset.json", 1, None, "nested too deeply to be read; a manifest is a flat JSON object of names and values"))
        return
    if not isinstance(manifest, dict):
        raw.problems.append(Problem("dataset.json", 1, None, "must be a JSON object"))
        return
    raw.manifest = manifest


def _accept(name: str, data: bytes, raw: RawDataset, shown: str | None = None) -> None:
    """Take one file of a folder or zip (``shown``: its path as the user knows it)."""
    shown = shown or name
    if name.casefold() == "dataset.json":
        # a second manifest (Dataset.json, dataset/dataset.json) would replace the first unseen
        if raw.claim("dataset.json", shown):
            _read_manifest(data, raw)
    elif name.lower().endswith(".csv"):
        known = file_for(name)
        if known is None:
            raw.ignored.append(shown)  # not part of the contract: a user's own notes beside the data
        elif raw.claim(known, shown):
            _read_csv_bytes(data, known, raw, _as_shown(name, known))


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
        too_big = _too_big(archive, name)
        if too_big is not None:
            raw.problems.append(too_big)
            return
        for member in (m for m in archive.infolist() if not m.is_dir()):
            member_path = PurePosixPath(member.filename.replace("\\", "/"))
            if member_path.is_absolute() or ".." in member_path.parts or ":" in member.filename:
                raw.problems.append(Problem(name, None, None, f"unsafe member name {member.filename!r} (absolute or '..')"))
                continue
            if member_path.name.startswith(".") or "__MACOSX" in member_path.parts:
                continue
            # Files may sit at the top or in one folder (a zipped dataset folder).
            if len(member_path.parts) > 2:
                continue
            if member.flag_bits & 0x1:
                raw.problems.append(Problem(name, None, None, f"member {member.filename!r} is encrypted; zip the dataset without a password"))
                continue
            try:
                with archive.open(member) as handle:
                    # Read at most the declared size plus one byte: a member that lies about its
                    # size (a zip bomb) is caught here rather than filling memory. (zipfile
                    # itself stops at the declared size and fails the CRC check.)
                    data = handle.read(member.file_size + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
                raw.problems.append(Problem(name, None, None, f"member {member.filename!r} is damaged or larger than it declares: {error}"))
                continue
            if len(data) > member.file_size:
                raw.problems.append(Problem(name, None, None, f"member {member.filename!r} is larger than it declares"))
                continue
            _accept(member_path.name, data, raw, member.filename)


def _too_big(archive: zipfile.ZipFile, name: str) -> Problem | None:
    """The problem with an archive (.zip or .xlsx) that holds too many files or would expand to
    too much: judged from its directory, before anything is unpacked."""
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        return Problem(name, None, None, f"holds {len(members)} files; at most {MAX_ZIP_MEMBERS} are accepted")
    total = sum(m.file_size for m in members)
    if total > limit("MAX_UNZIPPED_BYTES"):
        return Problem(name, None, None, _over("would expand to", total, "MAX_UNZIPPED_BYTES", "bytes"))
    return None


def _cell_text(value) -> str:
    if value is None:
        return ""
    formula = getattr(value, "text", None)  # an array formula comes as an object holding its text
    if isinstance(formula, str):
        return formula
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="(([A-Z]+)(\d+)(?::[A-Z]+\d+)?)"')


def _merged_cells(workbook, sheet) -> list[tuple[str, str, int]]:
    """(range, first column's letters, first row) of every merged range of a sheet.

    A merged range keeps its value in its first cell only: the rows below would load empty, and
    silently. Read-only sheets do not report merges, so the sheet's XML is scanned for them (they
    follow the rows); openpyxl offers the XML's path only as private attributes.
    """
    found: set[tuple[str, str, int]] = set()
    tail = b""
    with workbook._archive.open(sheet._worksheet_path) as xml:
        while chunk := xml.read(1 << 20):
            window = tail + chunk
            found.update((m.group(1).decode(), m.group(2).decode(), int(m.group(3))) for m in _MERGE_CELL.finditer(window))
            tail = window[-256:]  # a tag cut between two chunks is whole in the next window
    return sorted(found, key=lambda r: (r[2], r[1]))


def _read_xlsx(path: Path, raw: RawDataset, name: str) -> None:
    import openpyxl  # only needed for workbooks; keeps CSV loads light
    from openpyxl.utils import column_index_from_string

    try:
        with zipfile.ZipFile(path) as archive:
            # an .xlsx is a zip: the same limits hold before anything is parsed
            too_big = _too_big(archive, name)
    except (zipfile.BadZipFile, OSError) as error:
        raw.problems.append(Problem(name, None, None, f"not a readable .xlsx workbook: {error}"))
        return
    if too_big is not None:
        raw.problems.append(too_big)
        return
    try:
        # Formulas come back as their text ("=A2&B2") and are refused like a formula in a CSV:
        # a cached value may be stale, and files written by tools other than Excel have none
        # (it would load as an empty cell).
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raw.problems.append(Problem(name, None, None, f"not a readable .xlsx workbook: {error}"))
        return
    try:
        for sheet in workbook.worksheets:
            file = file_for(sheet.title)
            if file is None:
                if sheet.title.strip().lower() != "dataset":
                    raw.ignored.append(sheet.title)
                continue
            if not raw.claim(file, sheet.title):
                continue
            known, file = file, _as_shown(sheet.title, file)
            if sheet.sheet_state != "visible":
                raw.problems.append(
                    Problem(file, None, None, f"sheet {sheet.title!r} is hidden; unhide it or remove it so nothing loads unseen")
                )
                continue
            rows = [(index, [_cell_text(v) for v in values]) for index, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
            if not rows:
                raw.problems.append(Problem(file, 1, None, "the sheet is empty: it needs a header row"))
                continue
            width = max(len(cells) for _, cells in rows)
            if width > limit("MAX_COLUMNS"):
                raw.problems.append(Problem(file, 1, None, _over("has", width, "MAX_COLUMNS", "columns")))
                continue
            header = rows[0][1]
            for ref, letters, line in _merged_cells(workbook, sheet):
                index = column_index_from_string(letters) - 1
                column = header[index] if index < len(header) and header[index].strip() else f"column {letters}"
                raw.problems.append(Problem(file, line, column, f"merged cells {ref}; unmerge them so that every row holds its own value"))
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
            raw.tables[known] = Table(file, header, body, encoding="xlsx")
        if "dataset" in workbook.sheetnames:
            sheet = workbook["dataset"]
            raw.manifest = {str(k): _cell_text(v) for k, v, *_ in sheet.iter_rows(values_only=True) if k}
    except Exception as error:  # a damaged part found only while reading (bad XML, a failed CRC)
        raw.problems.append(Problem(name, None, None, f"not a readable .xlsx workbook: {error}"))
    finally:
        workbook.close()


def read_dataset(path: str | Path, *, name: str | None = None, encoding: str | None = None) -> RawDataset:
    """Read the raw tables of the dataset at ``path`` (folder, .xlsx or .zip).

    ``name`` is what problems with the file itself call it (default: its file name); an upload
    saved under a name of the server's own is reported under the name its sender gave it.
    ``encoding``: the CSV files' encoding, when not UTF-8 or GB18030 Chinese (cp1252, ...).
    """
    path = Path(path)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidParameter("encoding", f"unknown encoding {encoding!r} (try utf-8, gb18030, cp1252, latin-1)") from None
    raw = RawDataset(source=str(path), encoding=encoding)
    if not path.exists():
        raise DatasetError([Problem(str(path), None, None, "no such file or folder")])
    name = name or path.name
    if path.is_dir():
        _read_folder(path, raw)
    elif path.suffix.lower() == ".zip":
        _read_zip(path, raw, name)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        _read_xlsx(path, raw, name)
    elif path.suffix.lower() == ".csv":
        raw.problems.append(Problem(name, None, None, "a dataset is a folder of CSV files, an .xlsx workbook or a .zip; give the folder that holds this file"))
    else:
        raw.problems.append(Problem(name, None, None, "not a dataset: expected a folder, an .xlsx workbook or a .zip"))
    return raw
