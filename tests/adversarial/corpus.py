"""A generated corpus of broken datasets, and of awkward but valid ones.

Every dataset is a small "town" dataset (the BASE files) that hangs off the bundled textile
chain — its enterprises operate in textile stages, its regions sit under Wujiang — with one thing
broken. BASE itself is valid (the suite checks that first), so each rejection is the broken
thing's doing. Each broken case names the error class it covers and a regex that the error
report must match: ``file:line: column: what is wrong`` wherever the input has a line and a
column.

The valid variants (a BOM, CRLF line ends, trailing separators, GBK, an .xlsx and a .zip of BASE)
must load into exactly the graph BASE loads into.

    for name, path in bad_inputs(tmp_path): ...
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BASE",
    "Case",
    "CASES",
    "VALID",
    "bad_inputs",
    "valid_inputs",
    "write_files",
    "zip_folder",
    "workbook_bytes",
]

BASE: dict[str, str] = {
    "stages": (
        "id,name,tier,parent,aliases,description\n"
        "adv_texturing,测试加弹,midstream,polyester_filament,DTY-test;draw texturing test,Draw texturing of POY into DTY.\n"
        "adv_covering,测试空包,midstream,adv_texturing,air covering test,\n"
    ),
    "stage_links": "source,target,weight\npolyester_filament,adv_texturing,1\nadv_texturing,weaving,0.5\n",
    "regions": "id,name,parent,level\nadv_town,测试镇,wujiang,town\nadv_village,测试村,adv_town,village\n",
    "parks": "id,name,region,kind\nadv_park,测试园区,adv_town,industrial_park\n",
    "enterprises": (
        "id,name,region,park,revenue_cny,employees,founded,tags\n"
        "adv_e1,测试纺织有限公司,adv_town,adv_park,1200000.5,120,2008,illustrative;test\n"
        "adv_e2,测试化纤有限公司,adv_village,,,35,2015,illustrative\n"
        "adv_e3,测试印染厂,shengze,,,,,\n"
    ),
    "enterprise_stages": "enterprise,stage,capacity,unit\nadv_e1,adv_texturing,5000,t/a\nadv_e2,polyester_filament,,\nadv_e3,printing_and_dyeing,120,Mm/a\n",
    "supplies": "supplier,customer,stage,volume\nadv_e2,adv_e1,polyester_filament,3000\ne_hengli_group,adv_e2,polyester_filament,2000\n",
    "institutes": "id,name,kind,region\nadv_lab,测试纺织研究所,research_institute,adv_town\n",
    "ties": "enterprise,institute,kind,year,weight\nadv_e1,adv_lab,joint_lab,2020,2\nadv_e2,i_donghua_university,project,2019,1\n",
    "institute_stages": "institute,stage\nadv_lab,adv_texturing\n",
}
MANIFEST = '{"name": "adversarial base", "licence": "CC0"}'
# The next data line of each BASE file: a row appended by a case sits on this line.
NEXT_LINE = {name: text.count("\n") + 1 for name, text in BASE.items()}


def write_files(folder: Path, files: dict[str, str | bytes | None], manifest: str | None = MANIFEST) -> Path:
    """A dataset folder: ``files`` maps a file stem to its text (UTF-8), raw bytes, or None."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, content in files.items():
        if content is None:
            continue
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / f"{stem}.csv").write_bytes(data)
    if manifest is not None:
        (folder / "dataset.json").write_text(manifest, encoding="utf-8")
    return folder


def zip_folder(folder: Path, path: Path, *, prefix: str = "") -> Path:
    """Zip the files of a dataset folder (the API takes uploads as .zip or .xlsx)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for child in sorted(folder.iterdir()):
            archive.write(child, prefix + child.name)
    return path


def _rows(text: str) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(text)))


def workbook_bytes(files: dict[str, str], *, hidden: dict[str, str] | None = None, merge: dict[str, str] | None = None) -> bytes:
    """An .xlsx workbook of ``files`` (one sheet per file, cells as text, numbers as numbers),
    with sheets hidden (``{"regions": "hidden" | "veryHidden"}``) or cells merged
    (``{"enterprises": "H3:H4"}``)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for stem, text in files.items():
        sheet = book.create_sheet(stem)
        for row in _rows(text):
            sheet.append([_typed(cell) for cell in row])
        if hidden and stem in hidden:
            sheet.sheet_state = hidden[stem]
        if merge and stem in merge:
            sheet.merge_cells(merge[stem])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _typed(cell: str):
    """A cell as a spreadsheet holds it: empty, a number, or text."""
    if cell == "":
        return None
    if re.fullmatch(r"\d+", cell):
        return int(cell)
    return float(cell) if re.fullmatch(r"\d+\.\d+", cell) else cell


# -- zip archives written byte by byte: bombs and liars that zipfile will not write ---------
@dataclass
class _Member:
    name: str
    deflated: bytes  # raw deflate stream (or the bytes themselves when method is 0)
    crc: int
    size: int  # the uncompressed size the headers declare
    method: int = 8
    flags: int = 0


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _member(name: str, data: bytes, **overrides) -> _Member:
    member = _Member(name, _deflate(data), zlib.crc32(data), len(data))
    for key, value in overrides.items():
        setattr(member, key, value)
    return member


def _write_zip(path: Path, members: list[_Member]) -> Path:
    """A plain (non-zip64) archive: local headers, data, central directory, end record."""
    out, central = bytearray(), bytearray()
    for m in members:
        name = m.name.encode("utf-8")
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, m.flags, m.method, 0, 0x21, m.crc, len(m.deflated), m.size, len(name), 0)
        out += name + m.deflated
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, m.flags, m.method, 0, 0x21, m.crc, len(m.deflated), m.size,
            len(name), 0, 0, 0, 0, 0, offset,
        )
        central += name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def _bomb_member(name: str, prefix: bytes, chunk: bytes, repeats: int, suffix: bytes) -> _Member:
    """A member of ``prefix + chunk * repeats + suffix`` deflated without deflating it all:
    after a full flush the compressor starts afresh, so every chunk deflates to the same bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(suffix) + compressor.flush()
    crc = zlib.crc32(prefix)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(suffix, crc)
    return _Member(name, head + body * repeats + tail, crc, len(prefix) + len(chunk) * repeats + len(suffix))


BOMB_MIB = 600  # over the loaders' 512 MiB limit on what a dataset may expand to


def _zip_bomb(folder: Path) -> Path:
    row = b"adv_bomb,\xe7\x82\xb8\xe5\xbc\xb9\n"  # "adv_bomb,炸弹" — rows of a plausible file
    chunk = row * ((1 << 20) // len(row))
    bomb = _bomb_member("stages.csv", b"id,name\n", chunk, BOMB_MIB, b"")
    return _write_zip(folder / "bomb.zip", [bomb])


def _xlsx_members(data: bytes) -> list[_Member]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [_member(info.filename, archive.read(info)) for info in archive.infolist()]


def _is_sheet(member: _Member) -> bool:
    return member.name.startswith("xl/worksheets/sheet")


def _xlsx_bomb(folder: Path) -> Path:
    data = workbook_bytes({"stages": BASE["stages"]})
    members = _xlsx_members(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for i, member in enumerate(members):
            if _is_sheet(member):
                # whitespace between elements is legal XML: a parser would chew through all of it
                head, tail = archive.read(member.name).split(b"</sheetData>")
                members[i] = _bomb_member(member.name, head, b" " * (1 << 20), BOMB_MIB, b"</sheetData>" + tail)
    return _write_zip(folder / "bomb.xlsx", members)


def _lying_zip(folder: Path) -> Path:
    data = b"id,name\n" + b"adv_liar,\xe8\xaf\xb4\xe8\xb0\x8e\n" * 400_000  # ~6 MB that says it is 100 bytes
    return _write_zip(folder / "liar.zip", [_member("stages.csv", data, size=100)])


def _lying_xlsx(folder: Path) -> Path:
    members = _xlsx_members(workbook_bytes({"stages": BASE["stages"]}))
    for member in members:
        if _is_sheet(member):
            member.size = 10  # the sheet says it is 10 bytes long
    return _write_zip(folder / "liar.xlsx", members)


def _zip_with(folder: Path, name: str, extra: dict[str, bytes], **member_overrides) -> Path:
    members = [_member(f"{stem}.csv", text.encode()) for stem, text in BASE.items()]
    members += [_member(member, data, **member_overrides) for member, data in extra.items()]
    return _write_zip(folder / name, members)


# -- the cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One broken dataset: what it breaks, how to make it, and what the report must say."""

    name: str
    kind: str  # the error class of the data contract it covers
    build: Callable[[Path], Path]  # makes the dataset inside an empty folder; returns what to load
    expect: str  # regex one line of the error report must match
    # How the API gets it: "zip" (the folder, zipped), "file" (the file built, as it is), or
    # "" when the case is about a local path and has no upload form.
    upload: str = "zip"


def _files(**changes: str | bytes | None) -> Callable[[Path], Path]:
    """A BASE folder with whole files replaced (text or bytes) or removed (None)."""
    return lambda folder: write_files(folder / "dataset", {**BASE, **changes})


def _append(stem: str, *rows: str) -> Callable[[Path], Path]:
    """A BASE folder with rows appended to one file (the first at NEXT_LINE[stem])."""
    return _files(**{stem: BASE[stem] + "".join(row + "\n" for row in rows)})


def _header(stem: str, header: str) -> Callable[[Path], Path]:
    """A BASE folder with one file's header row replaced."""
    return _files(**{stem: header + "\n" + BASE[stem].split("\n", 1)[1]})


def _written(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data() if callable(data) else data)
        return path

    return build


def _at(stem: str, offset: int = 0) -> str:
    """``stem.csv:LINE`` of the ``offset``-th appended row, as a regex."""
    return re.escape(f"{stem}.csv:{NEXT_LINE[stem] + offset}")


def _mixed_encodings(stem: str, row: str) -> bytes:
    # rows saved as UTF-8, then one as GBK: what copy-pasting between two editors makes
    return BASE[stem].encode("utf-8") + (row + "\n").encode("gbk")


TEN_MIB = 10 * 1024 * 1024
E = "enterprises"

CASES: tuple[Case, ...] = (
    # missing files and columns
    Case("no_stages_file", "missing file", _files(stages=None), r"stages\.csv: required file is missing from the dataset"),
    Case("empty_stages_file", "missing file", _files(stages=""), r"stages\.csv:1: the file is empty"),
    Case("stages_without_name_column", "missing column", _files(stages="id,tier\nadv_x,midstream\n"),
         r"stages\.csv:1: name: required column is missing from the header"),
    Case("enterprises_without_region_column", "missing column", _header(E, "id,name,park,revenue_cny,employees,founded,tags,extra"),
         r"enterprises\.csv:1: region: required column is missing from the header"),
    Case("supplies_without_customer_column", "missing column", _header("supplies", "supplier,client,stage,volume"),
         r"supplies\.csv:1: customer: required column is missing from the header"),
    Case("ties_without_institute_column", "missing column", _header("ties", "enterprise,university,kind,year,weight"),
         r"ties\.csv:1: institute: required column is missing from the header"),
    Case("column_named_twice", "missing column", _header("stages", "id,name,tier,parent,aliases,NAME"),
         r"stages\.csv:1: NAME: the column appears twice in the header"),
    # empty and duplicate ids
    Case("empty_stage_id", "empty id", _append("stages", ",空的阶段,midstream,,,"), _at("stages") + r": id: is required but empty"),
    Case("blank_enterprise_id", "empty id", _append(E, "   ,空格企业,adv_town,,,,,"), _at(E) + r": id: is required but empty"),
    Case("empty_enterprise_name", "empty id", _append(E, "adv_e4,,adv_town,,,,,"), _at(E) + r": name: is required but empty"),
    Case("duplicate_id_in_a_file", "duplicate id", _append(E, "adv_e1,重复的公司,adv_town,,,,,"),
         _at(E) + r": id: duplicate id 'adv_e1': already used by Enterprise at enterprises\.csv:2"),
    Case("duplicate_id_across_files", "duplicate id", _append("regions", "adv_lab,研究所镇,wujiang,town"),
         r"institutes\.csv:2: id: duplicate id 'adv_lab': already used by Region at regions\.csv:4"),
    Case("id_of_another_kind_in_the_store", "duplicate id", _append(E, "pta,冒名企业,adv_town,,,,,"),
         _at(E) + r": id: id 'pta' is already used by a Stage in the store"),
    # dangling references, one per kind of reference
    Case("link_from_unknown_stage", "dangling reference", _append("stage_links", "no_such_stage,weaving,1"),
         _at("stage_links") + r": source: unknown stage 'no_such_stage'"),
    Case("link_to_unknown_stage", "dangling reference", _append("stage_links", "adv_texturing,no_such_stage,1"),
         _at("stage_links") + r": target: unknown stage 'no_such_stage'"),
    Case("operates_in_unknown_stage", "dangling reference", _append("enterprise_stages", "adv_e1,no_such_stage,,"),
         _at("enterprise_stages") + r": stage: unknown stage 'no_such_stage'"),
    Case("operates_in_by_unknown_enterprise", "dangling reference", _append("enterprise_stages", "adv_ghost,weaving,,"),
         _at("enterprise_stages") + r": enterprise: unknown enterprise 'adv_ghost'"),
    Case("supplies_from_unknown_supplier", "dangling reference", _append("supplies", "adv_ghost,adv_e1,,"),
         _at("supplies") + r": supplier: unknown enterprise 'adv_ghost'"),
    Case("supplies_to_unknown_customer", "dangling reference", _append("supplies", "adv_e1,adv_ghost,,"),
         _at("supplies") + r": customer: unknown enterprise 'adv_ghost'"),
    Case("supplies_of_unknown_stage", "dangling reference", _append("supplies", "adv_e1,adv_e3,no_such_stage,"),
         _at("supplies") + r": stage: unknown stage 'no_such_stage'"),
    Case("enterprise_in_unknown_region", "dangling reference", _append(E, "adv_e4,无处企业,atlantis,,,,,"),
         _at(E) + r": region: unknown region 'atlantis'"),
    Case("enterprise_in_unknown_park", "dangling reference", _append(E, "adv_e4,无园企业,adv_town,no_such_park,,,,"),
         _at(E) + r": park: unknown park 'no_such_park'"),
    Case("park_in_unknown_region", "dangling reference", _append("parks", "adv_park2,无处园区,atlantis,market"),
         _at("parks") + r": region: unknown region 'atlantis'"),
    Case("institute_in_unknown_region", "dangling reference", _append("institutes", "adv_lab2,无处研究所,university,atlantis"),
         _at("institutes") + r": region: unknown region 'atlantis'"),
    Case("tie_to_unknown_institute", "dangling reference", _append("ties", "adv_e1,no_such_institute,project,2020,1"),
         _at("ties") + r": institute: unknown institute 'no_such_institute'"),
    Case("tie_of_unknown_enterprise", "dangling reference", _append("ties", "adv_ghost,adv_lab,project,2020,1"),
         _at("ties") + r": enterprise: unknown enterprise 'adv_ghost'"),
    Case("research_by_unknown_institute", "dangling reference", _append("institute_stages", "no_such_institute,weaving"),
         _at("institute_stages") + r": institute: unknown institute 'no_such_institute'"),
    Case("research_of_unknown_stage", "dangling reference", _append("institute_stages", "adv_lab,no_such_stage"),
         _at("institute_stages") + r": stage: unknown stage 'no_such_stage'"),
    Case("stage_under_unknown_parent", "dangling reference", _append("stages", "adv_orphan,孤儿阶段,midstream,no_such_stage,,"),
         _at("stages") + r": parent: unknown stage 'no_such_stage'"),
    Case("region_under_unknown_parent", "dangling reference", _append("regions", "adv_hamlet,孤村,atlantis,village"),
         _at("regions") + r": parent: unknown region 'atlantis'"),
    Case("reference_to_the_wrong_kind", "dangling reference", _append("enterprise_stages", "adv_e1,shengze,,"),
         _at("enterprise_stages") + r": stage: unknown stage 'shengze' \('shengze' is a Region\)"),
    # values of the wrong type, negative or non-numeric numbers
    Case("revenue_in_words", "wrong type", _append(E, "adv_e4,文字营收,adv_town,,lots,,,"), _at(E) + r": revenue_cny: 'lots' is not a number"),
    Case("employees_with_a_fraction", "wrong type", _append(E, "adv_e4,半个员工,adv_town,,,12.5,,"),
         _at(E) + r": employees: '12\.5' is not a whole number"),
    Case("founded_with_a_unit", "wrong type", _append(E, "adv_e4,年份企业,adv_town,,,,1994年,"), _at(E) + r": founded: '1994年' is not a whole number"),
    Case("unknown_tier", "wrong type", _append("stages", "adv_side,侧向阶段,sideways,,,"),
         _at("stages") + r": tier: 'sideways' is not one of upstream, midstream, downstream, support"),
    Case("negative_revenue", "negative number", _append(E, "adv_e4,亏损企业,adv_town,,-5,,,"), _at(E) + r": revenue_cny: -5 must be at least 0"),
    Case("negative_capacity", "negative number", _append("enterprise_stages", "adv_e3,weaving,-3,t/a"),
         _at("enterprise_stages") + r": capacity: -3 must be at least 0"),
    Case("zero_link_weight", "negative number", _append("stage_links", "adv_covering,weaving,0"),
         _at("stage_links") + r": weight: 0 must be greater than 0"),
    Case("negative_tie_weight", "negative number", _append("ties", "adv_e3,adv_lab,project,2020,-1"),
         _at("ties") + r": weight: -1 must be greater than 0"),
    Case("infinite_volume", "non-numeric number", _append("supplies", "adv_e1,adv_e3,,inf"), _at("supplies") + r": volume: 'inf' is not a finite number"),
    Case("nan_volume", "non-numeric number", _append("supplies", "adv_e1,adv_e3,,NaN"), _at("supplies") + r": volume: 'NaN' is not a finite number"),
    # cycles of PART_OF, within the dataset and through the store
    Case("stage_cycle", "PART_OF cycle", _append("stages", "adv_c1,循环一,midstream,adv_c2,,", "adv_c2,循环二,midstream,adv_c1,,"),
         r"stages\.csv:\d+: parent: parent links form a cycle: adv_c\d → adv_c\d → adv_c\d"),
    Case("stage_cycle_through_the_store", "PART_OF cycle", _append("stages", "polyester_filament,涤纶长丝,midstream,adv_covering,,"),
         r"stages\.csv:\d+: parent: parent links form a cycle: .*polyester_filament.*adv_covering|"
         r"stages\.csv:\d+: parent: parent links form a cycle: .*adv_covering.*polyester_filament"),
    Case("region_cycle", "region cycle", _append("regions", "adv_r1,一地,adv_r2,town", "adv_r2,二地,adv_r1,town"),
         r"regions\.csv:\d+: parent: parent links form a cycle: adv_r\d → adv_r\d → adv_r\d"),
    Case("region_cycle_through_the_store", "region cycle", _append("regions", "wujiang,吴江区,adv_village,district"),
         r"regions\.csv:\d+: parent: parent links form a cycle: .*wujiang.*adv_village|regions\.csv:\d+: parent: parent links form a cycle: .*adv_village.*wujiang"),
    Case("stage_its_own_parent", "PART_OF cycle", _append("stages", "adv_self,自指阶段,midstream,adv_self,,"),
         _at("stages") + r": parent: 'adv_self' cannot be its own parent"),
    # relationships that cannot be
    Case("stage_feeds_itself", "self reference", _append("stage_links", "adv_texturing,adv_texturing,1"),
         _at("stage_links") + r": target: a stage cannot feed itself"),
    Case("enterprise_supplies_itself", "self reference", _append("supplies", "adv_e1,adv_e1,,"),
         _at("supplies") + r": customer: an enterprise cannot supply itself"),
    Case("duplicate_relationship_row", "duplicate row", _append("enterprise_stages", "adv_e1,adv_texturing,5000,t/a"),
         _at("enterprise_stages") + r": duplicate row: same as line 2"),
    # bytes and CSV syntax
    # (GB18030 decodes this whole file without an error: the UTF-8 rows would become mojibake)
    Case("mixed_utf8_and_gbk", "mixed encodings", _files(stages=_mixed_encodings("stages", "adv_mixed,混合编码,midstream,,,")),
         _at("stages") + r": mixes encodings: line \d+ is UTF-8 but this line is not"),
    Case("mixed_utf8_and_gbk_undecodable_whole", "mixed encodings", _files(enterprises=_mixed_encodings(E, "adv_e4,混合编码纺织厂,adv_town,,,,,")),
         _at(E) + r": mixes encodings: line \d+ is UTF-8 but this line is not"),
    Case("undecodable_bytes", "encoding", _files(enterprises=BASE[E].encode() + b"adv_e4,\x81\xff\xfe,adv_town,,,,,\n"),
         _at(E) + r": cannot decode the file as UTF-8 or GB18030/GBK"),
    Case("nul_byte_in_a_cell", "wrong type", _files(enterprises=BASE[E].encode() + b"adv_e4,\xe7\xa9\xba\x00\xe5\xad\x97,adv_town,,,,,\n"),
         _at(E) + r": name: the cell holds the control character U\+0000"),
    Case("unclosed_quote", "CSV syntax", _append("stages", 'adv_q,"未闭合的引号,midstream,,,'), r"stages\.csv:\d+: malformed CSV"),
    Case("row_wider_than_header", "CSV syntax", _append("stages", "adv_w,太宽,midstream,,,,surplus"),
         _at("stages") + r": the row has 7 cells but the header names 6 columns"),
    # formula-looking cells (CSV injection into whoever opens an export in Excel)
    Case("formula_hyperlink", "formula", _append(E, 'adv_e4,"=HYPERLINK(""http://evil.example"",""点击"")",adv_town,,,,,'),
         _at(E) + r": name: '=HYPERLINK\(.*' looks like a spreadsheet formula"),
    Case("formula_at_sign", "formula", _append("stages", "adv_f,公式阶段,midstream,,@SUM(1+1)*cmd|' /C calc'!A0,"),
         _at("stages") + r": aliases: the item [\"']@SUM\(1\+1\).*[\"'] looks like a spreadsheet formula"),
    Case("formula_plus", "formula", _append("stages", 'adv_f,公式阶段,midstream,,,"+HYPERLINK(""http://evil.example"")"'),
         _at("stages") + r": description: '\+HYPERLINK\(.*' looks like a spreadsheet formula"),
    Case("formula_minus_dde", "formula", _append(E, "adv_e4,公式企业,adv_town,,,,,-2+3+cmd|' /C calc'!A0"),
         _at(E) + r": tags: the item [\"']-2\+3\+cmd.*[\"'] looks like a spreadsheet formula"),
    Case("formula_after_a_tab", "formula", _append(E, 'adv_e4,"\t=1+2",adv_town,,,,,'), _at(E) + r": name: '=1\+2' looks like a spreadsheet formula"),
    # one enormous cell
    Case("ten_mib_cell", "huge cell", _append("stages", "adv_big,巨大描述,midstream,,," + "x" * TEN_MIB),
         # a row's bytes are bounded (issue 15) before its cells are
         _at("stages") + r": the row \(one record's properties\) has 10,485,788 bytes; at most 1,048,576 bytes are accepted "
                         r"\(raise the limit with CHAINX_MAX_ROW_BYTES\)"),
    # workbooks
    Case("xlsx_hidden_sheet", "xlsx", _written("hidden.xlsx", lambda: workbook_bytes(BASE, hidden={"parks": "hidden"})),
         r"parks\.csv: sheet 'parks' is hidden", upload="file"),
    Case("xlsx_very_hidden_sheet", "xlsx", _written("very_hidden.xlsx", lambda: workbook_bytes(BASE, hidden={"ties": "veryHidden"})),
         r"ties\.csv: sheet 'ties' is hidden", upload="file"),
    Case("xlsx_merged_cells", "xlsx", _written("merged.xlsx", lambda: workbook_bytes(BASE, merge={E: "H3:H4"})),
         r"enterprises\.csv:3: tags: merged cells H3:H4", upload="file"),
    Case("xlsx_formula_text", "formula", _written("formula.xlsx", lambda: workbook_bytes({**BASE, E: BASE[E] + 'adv_e4,"=HYPERLINK(""http://evil.example"")",adv_town,,,,,\n'})),
         r"enterprises\.csv:5: name: '=HYPERLINK\(.*' looks like a spreadsheet formula", upload="file"),
    Case("xlsx_damaged", "xlsx", _written("damaged.xlsx", lambda: workbook_bytes(BASE)[:3000]), r"damaged\.xlsx: not a readable \.xlsx workbook", upload="file"),
    Case("xlsx_bomb", "zip bomb", _xlsx_bomb, r"bomb\.xlsx: would expand to [\d,]+ bytes; at most [\d,]+ bytes are accepted \(raise the limit with CHAINX_MAX_UNZIPPED_BYTES\)", upload="file"),
    Case("xlsx_member_lies_about_its_size", "zip bomb", _lying_xlsx, r"liar\.xlsx: not a readable \.xlsx workbook: .*sheet1\.xml", upload="file"),
    # zip archives
    Case("zip_bomb", "zip bomb", _zip_bomb, r"bomb\.zip: would expand to [\d,]+ bytes; at most [\d,]+ bytes are accepted \(raise the limit with CHAINX_MAX_UNZIPPED_BYTES\)", upload="file"),
    Case("zip_member_lies_about_its_size", "zip bomb", _lying_zip, r"liar\.zip: member 'stages\.csv' is damaged or larger than it declares", upload="file"),
    Case("zip_encrypted_member", "zip", lambda folder: _zip_with(folder, "encrypted.zip", {"institute_stages.csv": b"x"}, flags=1),
         r"encrypted\.zip: member 'institute_stages\.csv' is encrypted", upload="file"),
    Case("zip_traversal_dotdot", "path traversal", lambda folder: _zip_with(folder, "dotdot.zip", {"../../evil.csv": b"id,name\n"}),
         r"dotdot\.zip: unsafe member name '\.\./\.\./evil\.csv'", upload="file"),
    Case("zip_traversal_absolute", "path traversal", lambda folder: _zip_with(folder, "absolute.zip", {"/etc/cron.d/stages.csv": b"id,name\n"}),
         r"absolute\.zip: unsafe member name '/etc/cron\.d/stages\.csv'", upload="file"),
    Case("zip_traversal_backslash", "path traversal", lambda folder: _zip_with(folder, "backslash.zip", {"..\\..\\evil.csv": b"id,name\n"}),
         r"backslash\.zip: unsafe member name '\.\.\\\\\.\.\\\\evil\.csv'", upload="file"),
    Case("zip_traversal_drive", "path traversal", lambda folder: _zip_with(folder, "drive.zip", {"C:/Windows/evil.csv": b"id,name\n"}),
         r"drive\.zip: unsafe member name 'C:/Windows/evil\.csv'", upload="file"),
    Case("zip_too_many_members", "zip bomb", lambda folder: _zip_with(folder, "many.zip", {f"notes/{i}.txt": b"" for i in range(1001)}),
         r"many\.zip: holds 1,?0\d\d files; at most 1,?000 are accepted", upload="file"),
    Case("not_a_zip", "zip", _written("garbage.zip", b"PK\x03\x04 this is not really a zip archive"), r"garbage\.zip: not a readable \.zip file", upload="file"),
    # the manifest and the path itself
    Case("manifest_not_json", "manifest", lambda folder: write_files(folder / "dataset", BASE, manifest='{"name": "broken",'),
         r"dataset\.json:1: not valid JSON"),
    Case("manifest_not_an_object", "manifest", lambda folder: write_files(folder / "dataset", BASE, manifest='["a", "list"]'),
         r"dataset\.json:1: must be a JSON object"),
    Case("a_single_csv_file", "path", lambda folder: write_files(folder / "dataset", BASE) / "stages.csv",
         r"stages\.csv: a dataset is a folder of CSV files, an \.xlsx workbook or a \.zip", upload=""),
    Case("no_such_path", "path", lambda folder: folder / "no-such-dataset", r"no-such-dataset: no such file or folder", upload=""),
)


def bad_inputs(root: Path) -> Iterator[tuple[str, Path]]:
    """Generate every broken dataset under ``root``: (case name, path to load)."""
    for case in CASES:
        folder = root / case.name
        folder.mkdir(parents=True, exist_ok=True)
        yield case.name, case.build(folder)


# -- valid, if awkward: these must load, into exactly BASE's graph -----------------------------
def _transform(text_of: Callable[[str], str], encoding: str = "utf-8") -> Callable[[Path], Path]:
    return lambda folder: write_files(folder / "dataset", {stem: text_of(text).encode(encoding) for stem, text in BASE.items()})


def _trailing_separators(text: str) -> str:
    return "".join(line + ",," + "\n" for line in text.splitlines())


VALID: dict[str, Callable[[Path], Path]] = {
    "utf8_bom": _transform(lambda text: "\ufeff" + text),
    "crlf_line_ends": _transform(lambda text: text.replace("\n", "\r\n")),
    "trailing_separators": _transform(_trailing_separators),
    "gbk": _transform(lambda text: text, "gbk"),
    "bom_crlf_and_trailing_separators": _transform(lambda text: "\ufeff" + _trailing_separators(text).replace("\n", "\r\n")),
    "xlsx_workbook": _written("base.xlsx", lambda: workbook_bytes(BASE)),
    "zip_of_the_folder": lambda folder: zip_folder(write_files(folder / "dataset", BASE), folder / "base.zip", prefix="dataset/"),
}


def valid_inputs(root: Path) -> Iterator[tuple[str, Path]]:
    for name, build in VALID.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        yield name, build(folder)
