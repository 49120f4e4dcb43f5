"""Import chainkg, the A-share industrial-chain knowledge graph (liuhuanyong/ChainKnowledgeGraph),
onto the data contract.

The folder holds eight NDJSON files (see its SOURCE.md). They map as follows:

- ``product.json`` → stages, id ``p:<name>``. Names are cleaned (:func:`clean_name`); two names
  that clean to the same text are one stage. A name of the form ``X(Y)`` also gets X and Y as
  aliases (精对苯二甲酸(PTA) → 精对苯二甲酸, PTA), so a regional overlay can name it either way.
- ``product_product.json``: ``上游材料`` (to_entity is a raw material of from_entity) → FEEDS
  to → from; ``下游产品`` (to_entity is a downstream product of from_entity) → FEEDS from → to;
  the two often state the same edge, which is then merged. ``产品小类`` (to_entity is a
  sub-category of from_entity) → the stage's ``parent`` (PART_OF child → parent). A product
  keeps every parent the data gives it, in file order (``parent`` holds them ``;``-separated,
  each a PART_OF: 复合微生物肥料 is under both 生物肥料 and 微生物肥料); a parent that would close a
  cycle of sub-categories is skipped. Self-loops are skipped.
- ``company.json`` → enterprises, id ``c:<6-digit code>`` (codes come with and without the
  exchange suffix; the first six characters identify a company, the first record of a code
  wins). Properties: ``fullname``, ``code`` (with suffix, taken from the exchange when the record
  has none), ``exchange``, ``listed`` (listing date). Every enterprise is in the placeholder
  region ``cn`` (中国): the data gives no locations.
- ``company_industry.json`` + ``industry.json`` + ``industry_industry.json`` → the Shenwan
  classification as enterprise properties: ``industry_code`` and ``industry`` (level 3),
  ``industry_path`` (``L1/L2/L3`` names) and the three names as ``tags``, so enterprises can be
  filtered by any level. Industries are not nodes. Industry lines no enterprise uses are
  ``ignored``.
- ``company_product.json`` (主营产品) → OPERATES_IN with ``capacity`` = ``rel_weight`` and
  ``unit`` = ``revenue_share``: the weight is the product's share of the company's revenue, not
  a production capacity, and the unit says so. A negative weight is dropped (the link stays).
- ``industry_up.json`` is ignored: its weights are co-occurrence noise between industries, and
  industries are a classification here, not nodes that could be linked.

References to products missing from product.json are skipped (``dangling="skip"``, the default)
or become placeholder stages (``dangling="placeholder"``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from .importing import (
    PLACEHOLDER,
    PLACEHOLDER_REGION,
    FolderImport,
    Imported,
    checked_folder,
    clean_name,
    formula_in_cell,
    parenthesised_aliases,
    read_ndjson,
)

__all__ = ["read_chainkg", "FILES", "product_id", "company_id"]

FILES = (
    "product.json",
    "product_product.json",
    "company.json",
    "company_industry.json",
    "company_product.json",
    "industry.json",
    "industry_industry.json",
    "industry_up.json",
)
REQUIRED = ("product.json",)
SOURCE = "chainkg"

UPSTREAM, DOWNSTREAM, SUBCLASS = "上游材料", "下游产品", "产品小类"
MAIN_PRODUCT, BELONGS_TO, PARENT_INDUSTRY = "主营产品", "所属行业", "上级行业"
EXCHANGES = {"上海证券交易所": "SH", "深圳证券交易所": "SZ", "北京证券交易所": "BJ"}
REVENUE_SHARE = "revenue_share"

STAGE_COLUMNS = ["id", "name", "parent", "aliases", "placeholder", "source"]
ENTERPRISE_COLUMNS = ["id", "name", "region", "tags", "fullname", "code", "exchange", "listed",
                      "industry_code", "industry", "industry_path", "source"]
LINK_COLUMNS = ["source", "target"]
OPERATES_COLUMNS = ["enterprise", "stage", "capacity", "unit"]
REGION_COLUMNS = ["id", "name", "level", "description", "placeholder"]

_CODE = re.compile(r"\d{6}")


def product_id(name: str) -> str:
    return f"p:{name}"


def company_id(code: str) -> str:
    return f"c:{code[:6]}"


def read_chainkg(folder: str | Path, *, dangling: str = "skip") -> Imported:
    """Map the chainkg folder onto contract tables; return them with the import report.

    Raises DatasetError only when the folder or product.json is missing; every other defect is
    a report entry.
    """
    folder = checked_folder(folder, label="chainkg", required=REQUIRED, dangling=dangling)
    return _Chainkg(folder, dangling).run()


class _Chainkg(FolderImport):
    def __init__(self, folder: Path, dangling: str):
        super().__init__(folder, dangling, "chainkg")
        self.products: dict[str, int] = {}  # cleaned name → its line in product.json
        self.placeholders: dict[str, tuple[str, int]] = {}  # name → (file, line) that first named it
        self.feeds: dict[tuple[str, str], int] = {}  # (source, target) → line
        self.parent: dict[str, list[str]] = {}  # product → its parents, in file order
        self.companies: dict[str, dict] = {}  # 6-digit code → record
        self.industries: dict[str, tuple[str, int]] = {}  # code → (name, line)
        self.industry_parent: dict[str, tuple[str, int]] = {}  # code → (parent code, line)
        self.row_industry_names: dict[str, str] = {}  # names of codes missing from industry.json
        self.used_industries: set[str] = set()

    def run(self) -> Imported:
        for name in FILES:
            self.present(name)
        self.read_products()
        if path := self.present("product_product.json"):
            self.read_product_links(path)
        if path := self.present("company.json"):
            self.read_companies(path)
        if path := self.present("industry.json"):
            self.read_industries(path)
        if path := self.present("industry_industry.json"):
            self.read_industry_parents(path)
        company_industry = {}
        if path := self.present("company_industry.json"):
            company_industry = self.read_company_industries(path)
        operates = []
        if path := self.present("company_product.json"):
            operates = self.read_company_products(path)
        if path := self.present("industry_up.json"):
            for line, _ in read_ndjson(path, self.report):
                self.report.line(path.name, line, "ignored", "industry_links",
                                 "upstream-industry weights are not imported: they are co-occurrence noise, and industries are a classification of enterprises here, not nodes")
        self.note_other_files(FILES, (".json", ".csv"), "not a chainkg file: not read")

        self.build_tables(company_industry, operates)
        self.account_industries()
        return Imported(self.tables.raw, self.report)

    # -- products and their links ----------------------------------------------------------
    def read_products(self) -> None:
        path = self.folder / "product.json"
        for line, record in read_ndjson(path, self.report):
            raw = record.get("name")
            name = clean_name(raw)
            if not name:
                self.report.line(path.name, line, "skipped", "missing_field", "no product name")
                continue
            if formula_in_cell(name):
                self.report.line(path.name, line, "skipped", "formula_like", f"name {name[:40]!r} would run as a spreadsheet formula")
                continue
            first = self.products.get(name)
            if first is not None:
                self.report.line(path.name, line, "merged", "duplicate_product",
                                 f"{raw!r} is product {name!r} again (line {first}) once cleaned")
                continue
            self.products[name] = line
            if name != raw:
                self.report.value(path.name, line, "changed", "name_cleaned", f"name {raw!r} cleaned to {name!r}")

    def name_of(self, record: dict, key: str, file: str, line: int) -> str:
        """The cleaned product name under ``key``; a name that cleaning changed is reported."""
        raw = record.get(key)
        name = clean_name(raw)
        if name and name != raw:
            self.report.value(file, line, "changed", "name_cleaned", f"{key} {raw!r} cleaned to {name!r}")
        return name

    def product(self, name: str, file: str, line: int) -> bool:
        """Whether ``name`` is (or has just become) a stage; a placeholder is made when asked."""
        if name in self.products or name in self.placeholders:
            return True
        # a name that would run as a spreadsheet formula never becomes a stage, even a placeholder
        if self.dangling == "placeholder" and not formula_in_cell(name):
            self.placeholders[name] = (file, line)
            self.report.value(file, line, "placeholder", "dangling_reference",
                              f"{name!r} is not in product.json: created as a placeholder stage")
            return True
        return False

    def read_product_links(self, path: Path) -> None:
        file = path.name
        for line, record in read_ndjson(path, self.report):
            rel = clean_name(record.get("rel"))
            source, target = self.name_of(record, "from_entity", file, line), self.name_of(record, "to_entity", file, line)
            if rel not in (UPSTREAM, DOWNSTREAM, SUBCLASS):
                self.report.line(file, line, "skipped", "unknown_relation", f"relation {rel!r} is not {UPSTREAM}, {DOWNSTREAM} or {SUBCLASS}")
                continue
            if not source or not target:
                self.report.line(file, line, "skipped", "missing_field", "from_entity or to_entity is empty")
                continue
            if source == target:
                self.report.line(file, line, "skipped", "self_loop", f"{source!r} {rel} itself")
                continue
            unknown = [n for n in (source, target) if n not in self.products and n not in self.placeholders]
            if unknown and (self.dangling == "skip" or any(map(formula_in_cell, unknown))):
                self.report.line(file, line, "skipped", "dangling_reference",
                                 f"{source!r} {rel} {target!r}: {', '.join(map(repr, unknown))} not in product.json")
                continue
            for name in unknown:
                self.product(name, file, line)
            if rel == SUBCLASS:
                self.add_parent(file, line, child=target, parent=source)
                continue
            edge = (target, source) if rel == UPSTREAM else (source, target)
            first = self.feeds.get(edge)
            if first is not None:
                self.report.line(file, line, "merged", "duplicate_link", f"FEEDS {edge[0]!r} → {edge[1]!r} already stated at line {first}")
                continue
            self.feeds[edge] = line

    def add_parent(self, file: str, line: int, *, child: str, parent: str) -> None:
        current = self.parent.setdefault(child, [])
        if parent in current:
            self.report.line(file, line, "merged", "duplicate_link", f"{child!r} is already a sub-category of {parent!r}")
            return
        if self._above(parent, child):
            self.report.line(file, line, "skipped", "cycle", f"{child!r} as a sub-category of {parent!r} would close a cycle of sub-categories")
            return
        current.append(parent)

    def _above(self, start: str, target: str) -> bool:
        """Whether ``target`` is ``start`` or one of its ancestors (up any of its parents)."""
        seen, stack = {start}, [start]
        while stack:
            node = stack.pop()
            if node == target:
                return True
            for up in self.parent.get(node, ()):
                if up not in seen:
                    seen.add(up)
                    stack.append(up)
        return False

    # -- companies and industries ------------------------------------------------------------
    def read_companies(self, path: Path) -> None:
        file = path.name
        for line, record in read_ndjson(path, self.report):
            code = clean_name(record.get("code")).upper()
            if not _CODE.fullmatch(code[:6]):
                self.report.line(file, line, "skipped", "bad_code", f"company code {code!r} does not start with six digits")
                continue
            name = clean_name(record.get("name")) or clean_name(record.get("fullname"))
            if not name:
                self.report.line(file, line, "skipped", "missing_field", f"company {code} has no name")
                continue
            if formula_in_cell(name):
                self.report.line(file, line, "skipped", "formula_like", f"name {name[:40]!r} would run as a spreadsheet formula")
                continue
            location = clean_name(record.get("location"))
            suffix = code[7:] if "." in code else EXCHANGES.get(location, "")
            company = {
                "line": line,
                "name": name,
                "fullname": clean_name(record.get("fullname")),
                "code": f"{code[:6]}.{suffix}" if suffix else code[:6],
                "exchange": location if location in EXCHANGES else next((k for k, v in EXCHANGES.items() if v == suffix), ""),
                "listed": clean_name(record.get("time")),
            }
            for key in ("fullname", "listed"):
                if formula_in_cell(company[key]):  # as for names: never imported to run in a spreadsheet
                    self.report.value(file, line, "dropped", "formula_like", f"{key} {company[key][:40]!r} would run as a spreadsheet formula")
                    company[key] = ""
            first = self.companies.get(code[:6])
            if first is not None:
                self.report.line(file, line, "merged", "duplicate_company", f"company code {code[:6]} again (first at line {first['line']})")
                for key in ("name", "fullname", "listed", "exchange"):
                    if company[key] != first[key]:
                        self.report.value(file, line, "dropped", "duplicate_differs",
                                          f"{key} {company[key]!r} of the repeated code {code[:6]} not imported (kept {first[key]!r} from line {first['line']})")
                continue
            self.companies[code[:6]] = company
            if location and location not in EXCHANGES:
                self.report.value(file, line, "dropped", "bad_location",
                                  f"location {location!r} is not a stock exchange; exchange {company['exchange'] or 'unknown'} taken from the code")

    def read_industries(self, path: Path) -> None:
        file = path.name
        for line, record in read_ndjson(path, self.report):
            code, name = clean_name(record.get("code")), clean_name(record.get("name"))
            if not code or not name:
                self.report.line(file, line, "skipped", "missing_field", "an industry needs a code and a name")
                continue
            if formula_in_cell(name):  # it would become an enterprise's industry and tag
                self.report.line(file, line, "skipped", "formula_like", f"name {name[:40]!r} would run as a spreadsheet formula")
                continue
            if code in self.industries:
                first_name, first_line = self.industries[code]
                self.report.line(file, line, "merged", "duplicate_industry", f"industry code {code} again (first at line {first_line})")
                if name != first_name:
                    self.report.value(file, line, "dropped", "duplicate_differs", f"name {name!r} not imported (kept {first_name!r})")
                continue
            self.industries[code] = (name, line)

    def read_industry_parents(self, path: Path) -> None:
        file = path.name
        for line, record in read_ndjson(path, self.report):
            rel = clean_name(record.get("rel"))
            child, parent = clean_name(record.get("from_code")), clean_name(record.get("to_code"))
            if rel != PARENT_INDUSTRY:
                self.report.line(file, line, "skipped", "unknown_relation", f"relation {rel!r} is not {PARENT_INDUSTRY}")
                continue
            if not child or not parent:
                self.report.line(file, line, "skipped", "missing_field", "from_code or to_code is empty")
                continue
            if child == parent:
                self.report.line(file, line, "skipped", "self_loop", f"industry {child} is its own parent")
                continue
            if child in self.industry_parent:
                first, first_line = self.industry_parent[child]
                outcome = "merged"
                self.report.line(file, line, outcome, "duplicate_link" if first == parent else "second_parent",
                                 f"industry {child} already has parent {first} (line {first_line})")
                if first != parent:
                    self.report.value(file, line, "dropped", "second_parent", f"second parent {parent} of industry {child} not imported")
                continue
            self.industry_parent[child] = (parent, line)
            for code, name in ((child, record.get("from_industry")), (parent, record.get("to_industry"))):
                if code not in self.industries and clean_name(name):
                    self.row_industry_names.setdefault(code, clean_name(name))

    def industry_name(self, code: str) -> str:
        name = self.industries[code][0] if code in self.industries else self.row_industry_names.get(code, "")
        return "" if formula_in_cell(name) else name  # a company line's own name for it is not checked on reading

    def industry_path(self, code: str) -> list[str]:
        """The codes from level 1 down to ``code``: by industry_industry.json, else by the code's
        own structure (xx0000 level 1, xxyy00 level 2) where those codes are known."""
        path = [code]
        while len(path) < 3:
            current = path[0]
            parent = self.industry_parent.get(current, (None, 0))[0]
            if parent is None:
                candidates = [current[:4] + "00", current[:2] + "0000"]
                parent = next((c for c in candidates if c != current and c not in path and self.industry_name(c)), None)
            if parent is None or parent in path:
                break
            path.insert(0, parent)
        return path

    def read_company_industries(self, path: Path) -> dict[str, str]:
        file = path.name
        found: dict[str, tuple[str, int]] = {}
        for line, record in read_ndjson(path, self.report):
            six = clean_name(record.get("company_code"))[:6]
            code, row_name = clean_name(record.get("industry_code")), clean_name(record.get("industry_name"))
            rel = clean_name(record.get("rel"))
            if rel != BELONGS_TO:
                self.report.line(file, line, "skipped", "unknown_relation", f"relation {rel!r} is not {BELONGS_TO}")
                continue
            if six not in self.companies:
                self.report.line(file, line, "skipped", "dangling_reference", f"company code {record.get('company_code')!r} is not in company.json")
                continue
            if not code:
                self.report.line(file, line, "skipped", "missing_field", "no industry code")
                continue
            if six in found:
                first, first_line = found[six]
                self.report.line(file, line, "merged", "duplicate_link", f"company {six} already classified (line {first_line})")
                if first != code:
                    self.report.value(file, line, "dropped", "second_industry", f"second industry {code} of company {six} not imported (kept {first})")
                continue
            if code in self.industries:
                if row_name and row_name != self.industries[code][0]:
                    self.report.value(file, line, "changed", "industry_name",
                                      f"industry {code} is named {row_name!r} here and {self.industries[code][0]!r} in industry.json; industry.json's name is used")
            elif row_name:
                self.row_industry_names.setdefault(code, row_name)
                self.report.value(file, line, "changed", "unknown_industry",
                                  f"industry code {code} is not in industry.json: its name {row_name!r} is taken from this line, its parents from the code")
            else:
                self.report.line(file, line, "skipped", "dangling_reference", f"industry code {code} is not in industry.json and the line names none")
                continue
            found[six] = (code, line)
        return {six: code for six, (code, _) in found.items()}

    def read_company_products(self, path: Path) -> list[tuple[int, str, str, float | None]]:
        file = path.name
        seen: dict[tuple[str, str], tuple[int, object]] = {}
        rows = []
        for line, record in read_ndjson(path, self.report):
            six = clean_name(record.get("company_code"))[:6]
            name = self.name_of(record, "product_name", file, line)
            rel = clean_name(record.get("rel"))
            weight = record.get("rel_weight")
            if rel != MAIN_PRODUCT:
                self.report.line(file, line, "skipped", "unknown_relation", f"relation {rel!r} is not {MAIN_PRODUCT}")
                continue
            if six not in self.companies:
                self.report.line(file, line, "skipped", "dangling_reference", f"company code {record.get('company_code')!r} is not in company.json")
                continue
            if not name:
                self.report.line(file, line, "skipped", "missing_field", "no product name")
                continue
            if (six, name) in seen:
                first_line, first_weight = seen[(six, name)]
                self.report.line(file, line, "merged", "duplicate_link", f"company {six} and {name!r} already linked at line {first_line}")
                if weight != first_weight:
                    self.report.value(file, line, "dropped", "duplicate_differs",
                                      f"weight {weight!r} not imported (kept {first_weight!r} from line {first_line})")
                continue
            if not self.product(name, file, line):
                self.report.line(file, line, "skipped", "dangling_reference", f"product {name!r} is not in product.json")
                continue
            seen[(six, name)] = (line, weight)
            rows.append((line, six, name, self.share(file, line, weight)))
        return rows

    def share(self, file: str, line: int, weight: object) -> float | None:
        if weight is None or weight == "":
            return None
        try:
            value = float(weight) if not isinstance(weight, bool) else math.nan
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value):
            self.report.value(file, line, "dropped", "bad_weight", f"weight {weight!r} is not a number: the link is kept without it")
            return None
        if value < 0:
            self.report.value(file, line, "dropped", "negative_weight", f"weight {value:g} is negative, not a revenue share: the link is kept without it")
            return None
        return value

    # -- the contract tables -------------------------------------------------------------------
    def build_tables(self, company_industry: dict[str, str], operates: list) -> None:
        add = self.tables.add
        self.tables.table("stages.csv", "product.json", STAGE_COLUMNS)  # required, even if empty
        for name, line in self.products.items():
            self.add_stage("product.json", line, name, placeholder=False)
        for name, (file, line) in self.placeholders.items():
            self.add_stage(file, line, name, placeholder=True)
        for (source, target), line in self.feeds.items():
            add("stage_links.csv", "product_product.json", line, {"source": product_id(source), "target": product_id(target)}, LINK_COLUMNS)
        # the national frame, present even without companies: a regional overlay hangs below it
        region_id, region_name, level, description = PLACEHOLDER_REGION
        self.tables.table("regions.csv", "placeholder region", REGION_COLUMNS).rows.append((1, [region_id, region_name, level, description, PLACEHOLDER]))
        for six, company in self.companies.items():
            row = {key: company[key] for key in ("name", "fullname", "code", "exchange", "listed")}
            row.update(id=company_id(six), region=region_id, source=SOURCE)
            if six in company_industry:
                codes = self.industry_path(company_industry[six])
                names = [self.industry_name(c) for c in codes]
                self.used_industries.update(codes)
                row.update(industry_code=codes[-1], industry=names[-1], industry_path="/".join(names), tags=";".join(n for n in names if n))
            add("enterprises.csv", "company.json", company["line"], row, ENTERPRISE_COLUMNS)
        for line, six, name, share in operates:
            row = {"enterprise": company_id(six), "stage": product_id(name)}
            if share is not None:
                row.update(capacity=repr(share), unit=REVENUE_SHARE)
            add("enterprise_stages.csv", "company_product.json", line, row, OPERATES_COLUMNS)

    def add_stage(self, file: str, line: int, name: str, *, placeholder: bool) -> None:
        row = {
            "id": product_id(name),
            "name": name,
            "parent": ";".join(product_id(p) for p in self.parent.get(name, ())),
            "aliases": ";".join(parenthesised_aliases(name)),
            "placeholder": "yes" if placeholder else "",
            "source": SOURCE,
        }
        # A placeholder's row carries the line of the reference that created it (the report
        # names that file); every other row its own line in product.json.
        self.tables.add("stages.csv", file, line, row, STAGE_COLUMNS)

    def account_industries(self) -> None:
        """Industry lines that no enterprise's classification uses are ignored, not mapped."""
        for code, (_, line) in self.industries.items():
            if code not in self.used_industries:
                self.report.line("industry.json", line, "ignored", "unused_industry", f"no enterprise is classified under industry {code}")
        for child, (_, line) in self.industry_parent.items():
            if child not in self.used_industries:
                self.report.line("industry_industry.json", line, "ignored", "unused_industry", f"no enterprise is classified under industry {child}")
