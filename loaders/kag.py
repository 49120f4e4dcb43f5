"""Import the supply-chain example of OpenSPG/KAG onto the data contract.

The folder holds comma-separated files with a header row (see its SOURCE.md). They map as
follows:

- ``Product.csv`` → stages, id ``kp:<product id>``, named by the id's last segment. The
  hierarchy is in the ids: ``A-B-C`` is a sub-category of ``A-B`` (PART_OF). Repeated rows of
  one id are merged. ``belongToIndustry`` becomes the stage's ``industry`` (leaf name) and
  ``industry_path`` (``/``-separated levels).
- ``hasSupplyChain`` lists products *downstream* of the row's product → FEEDS row → target.
- ``Company.csv`` → enterprises, id ``kc:<company id>``, each in the placeholder region ``cn``;
  its ``product`` list → OPERATES_IN. ``CompanyUpdate.csv`` replaces a company's products (the
  links it drops are reported as changed). An enterprise's ``tags`` are the levels of the
  industries of the products it makes (KAG's own belongToIndustry rule for companies).
- ``Company_fundTrans_Company.csv``: every transfer adds to the payer's ``fund_out_total`` and the
  payee's ``fund_in_total``. A transfer is a payment, not a delivery, so it becomes SUPPLIES
  only where KAG's own ``mainSupply`` rule holds: the payee makes a product whose
  hasSupplyChain lists a product the payer makes, and the payer's transfers are more than half
  of everything the payee received. Then SUPPLIES payee → payer, ``stage`` = that upstream
  product (the first, by id, if several), ``volume`` = the payer's transfers to the payee.
- ``Industry.csv`` lines are mapped when a product belongs to the industry, else ignored.
- ``Person.csv`` and the event vocabulary (``ProductChainEvent``, ``Index``, ``Trend``,
  ``TaxOf*Event``) are ignored: the chain model has no persons or events.

Most hasSupplyChain targets and some company products are not product ids. They become
placeholder stages (``dangling="placeholder"``, the default here: a dashed id names a concept of
the same taxonomy even without a row of its own, and its ancestors are made too) or are dropped
(``dangling="skip"``); either way each one is reported.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .importing import (
    PLACEHOLDER,
    PLACEHOLDER_REGION,
    FolderImport,
    Imported,
    checked_folder,
    clean_name,
    formula_in_cell,
    read_csv_records,
    split_list,
)

__all__ = ["read_kag", "FILES", "product_id", "company_id"]

SOURCE = "kag"
FILES = (
    "Product.csv",
    "Company.csv",
    "CompanyUpdate.csv",
    "Company_fundTrans_Company.csv",
    "Industry.csv",
    "Person.csv",
    "ProductChainEvent.csv",
    "Index.csv",
    "Trend.csv",
    "TaxOfProdEvent.csv",
    "TaxOfCompanyEvent.csv",
)
REQUIRED = ("Product.csv",)
IGNORED = {
    "Person.csv": ("persons", "persons are not part of the chain model (their legal-representative links name companies by masked name)"),
    "ProductChainEvent.csv": ("events", "events are not part of the chain model"),
    "Index.csv": ("events", "a vocabulary of the events, which are not part of the chain model"),
    "Trend.csv": ("events", "a vocabulary of the events, which are not part of the chain model"),
    "TaxOfProdEvent.csv": ("events", "a vocabulary of the events, which are not part of the chain model"),
    "TaxOfCompanyEvent.csv": ("events", "a vocabulary of the events, which are not part of the chain model"),
}
MAIN_SUPPLY_SHARE = 0.5  # KAG's rule: the payer's share of the payee's inflow must exceed this

STAGE_COLUMNS = ["id", "name", "parent", "industry", "industry_path", "placeholder", "source"]
ENTERPRISE_COLUMNS = ["id", "name", "region", "tags", "fund_in_total", "fund_out_total", "source"]
REGION_COLUMNS = ["id", "name", "level", "description", "placeholder"]
SUPPLY_COLUMNS = ["supplier", "customer", "stage", "volume", "transfers", "basis"]


def product_id(product: str) -> str:
    return f"kp:{product}"


def company_id(company: str) -> str:
    return f"kc:{company}"


def read_kag(folder: str | Path, *, dangling: str = "placeholder") -> Imported:
    """Map the KAG supply-chain folder onto contract tables; return them with the import report.

    Raises DatasetError only when the folder or Product.csv is missing; every other defect is a
    report entry.
    """
    folder = checked_folder(folder, label="KAG", required=REQUIRED, dangling=dangling)
    return _Kag(folder, dangling).run()


def _segments(product: str) -> list[str]:
    return product.split("-")


def _name(product: str) -> str:
    """A product's name: the last segment of its id (the whole id when that is empty or would
    run as a spreadsheet formula)."""
    last = clean_name(_segments(product)[-1])
    return last if last and not formula_in_cell(last) else product


def _parent(product: str) -> str | None:
    """The product one dash up, cleaned as product ids are ("1 -" is under "1", not "1 "); None
    at the top."""
    parts = _segments(product)
    return (clean_name("-".join(parts[:-1])) or None) if len(parts) > 1 else None


class _Kag(FolderImport):
    def __init__(self, folder: Path, dangling: str):
        super().__init__(folder, dangling, "kag")
        self.products: dict[str, dict] = {}  # product id → {"line", "industry", "downstream": {target: line}}
        self.placeholders: dict[str, tuple[str, int]] = {}  # product id → (file, line) that first named it
        self.companies: dict[str, dict] = {}  # company id → {"line", "name", "products": {product: (file, line)}}
        self.used_industries: set[str] = set()

    def run(self) -> Imported:
        for name in FILES:
            self.present(name)
        self.read_products(self.folder / "Product.csv")
        if path := self.present("Company.csv"):
            self.read_companies(path)
        if path := self.present("CompanyUpdate.csv"):
            self.read_updates(path)
        self.resolve_references()
        supplies = []
        if path := self.present("Company_fundTrans_Company.csv"):
            supplies = self.read_transfers(path)
        if path := self.present("Industry.csv"):
            self.read_industries(path)
        for name, (reason, message) in IGNORED.items():
            if path := self.present(name):
                for line, _ in read_csv_records(path, self.report):
                    self.report.line(name, line, "ignored", reason, message)
        self.note_other_files(FILES, (".csv",), "not a KAG supply-chain file: not read")
        self.build_tables(supplies)
        return Imported(self.tables.raw, self.report)

    # -- products ------------------------------------------------------------------------------
    def read_products(self, path: Path) -> None:
        file = path.name
        for line, row in read_csv_records(path, self.report):
            product = clean_name(row.get("id"))
            if not product:
                self.report.line(file, line, "skipped", "missing_field", "no product id")
                continue
            if formula_in_cell(product):
                self.report.line(file, line, "skipped", "formula_like", f"id {product[:40]!r} would run as a spreadsheet formula")
                continue
            industry = clean_name(row.get("belongToIndustry"))
            targets = split_list(row.get("hasSupplyChain") or "")
            first = self.products.get(product)
            if first is None:
                self.products[product] = {"line": line, "industry": industry, "downstream": {}}
                self.add_targets(product, targets, file, line)
                continue
            new = [t for t in targets if t not in first["downstream"] and t != product]
            same = industry == first["industry"] and not new
            self.report.line(file, line, "merged", "duplicate_product",
                             f"product {product!r} again (first at line {first['line']})" + ("" if same else "; its further targets are added"))
            if industry != first["industry"]:
                self.report.value(file, line, "dropped", "duplicate_differs",
                                  f"belongToIndustry {industry!r} not imported (kept {first['industry']!r} from line {first['line']})")
            self.add_targets(product, new, file, line)

    def add_targets(self, product: str, targets: list[str], file: str, line: int) -> None:
        downstream = self.products[product]["downstream"]
        for target in targets:
            if target == product:
                self.report.value(file, line, "dropped", "self_loop", f"{product!r} lists itself in hasSupplyChain")
            elif target in downstream:
                self.report.value(file, line, "changed", "duplicate_value", f"hasSupplyChain lists {target!r} twice; imported once")
            else:
                downstream[target] = line

    # -- companies -----------------------------------------------------------------------------
    def read_companies(self, path: Path) -> None:
        file = path.name
        for line, row in read_csv_records(path, self.report):
            company, name = clean_name(row.get("id")), clean_name(row.get("name"))
            if not company or not name:
                self.report.line(file, line, "skipped", "missing_field", "a company needs an id and a name")
                continue
            if formula_in_cell(company) or formula_in_cell(name):
                self.report.line(file, line, "skipped", "formula_like", f"{company!r} {name!r} would run as a spreadsheet formula")
                continue
            first = self.companies.get(company)
            if first is not None:
                self.report.line(file, line, "merged", "duplicate_company", f"company {company} again (first at line {first['line']})")
                if name != first["name"]:
                    self.report.value(file, line, "dropped", "duplicate_differs", f"name {name!r} not imported (kept {first['name']!r})")
                self.add_products(company, split_list(row.get("product") or ""), file, line)
                continue
            self.companies[company] = {"line": line, "name": name, "products": {}}
            self.add_products(company, split_list(row.get("product") or ""), file, line)

    def add_products(self, company: str, products: list[str], file: str, line: int) -> None:
        made = self.companies[company]["products"]
        for product in products:
            if product in made:
                self.report.value(file, line, "changed", "duplicate_value", f"company {company} lists {product!r} twice; imported once")
            else:
                made[product] = (file, line)

    def read_updates(self, path: Path) -> None:
        """An update replaces a company's products: the links it leaves out are reported."""
        file = path.name
        for line, row in read_csv_records(path, self.report):
            company = clean_name(row.get("id"))
            if company not in self.companies:
                self.report.line(file, line, "skipped", "dangling_reference", f"company {company!r} is not in Company.csv")
                continue
            products = split_list(row.get("products") or row.get("product") or "")
            made = self.companies[company]["products"]
            for product, (old_file, old_line) in list(made.items()):
                if product not in products:
                    del made[product]
                    self.report.value(old_file, old_line, "changed", "superseded",
                                      f"company {company} no longer makes {product!r}: replaced by {file}:{line}")
            self.add_products(company, [p for p in products if p not in made], file, line)

    # -- dangling references ----------------------------------------------------------------
    def resolve_references(self) -> None:
        """Make placeholders for (or drop) every target and product that is not a product id, and
        for every missing ancestor in the dashed hierarchy."""
        for product in list(self.products):
            info = self.products[product]
            for target, line in list(info["downstream"].items()):
                if not self.known(target, "Product.csv", line, f"hasSupplyChain target {target!r} of {product!r}"):
                    del info["downstream"][target]
        for company, info in self.companies.items():
            for product, (file, line) in list(info["products"].items()):
                if not self.known(product, file, line, f"product {product!r} of company {company}"):
                    del info["products"][product]
        for product in list(self.products) + list(self.placeholders):
            parent = _parent(product)
            if parent and parent not in self.products and parent not in self.placeholders:
                file, line = self.placeholders.get(product) or ("Product.csv", self.products[product]["line"])
                self.known(parent, file, line, f"parent {parent!r} of {product!r} (from the dashed id)")

    def known(self, product: str, file: str, line: int, what: str) -> bool:
        if product in self.products or product in self.placeholders:
            return True
        # a name that would run as a spreadsheet formula never becomes a stage, even a placeholder
        if self.dangling == "skip" or formula_in_cell(product):
            self.report.value(file, line, "dropped", "dangling_reference", f"{what} is not a product id in Product.csv: not imported")
            return False
        self.placeholders[product] = (file, line)
        self.report.value(file, line, "placeholder", "dangling_reference",
                          f"{what} is not a product id in Product.csv: created as a placeholder stage")
        parent = _parent(product)
        if parent:
            self.known(parent, file, line, f"parent {parent!r} of {product!r} (from the dashed id)")
        return True

    # -- money and industries -------------------------------------------------------------------
    def read_transfers(self, path: Path) -> list[tuple[int, dict]]:
        file = path.name
        transfers = []  # (line, payer, payee, amount)
        for line, row in read_csv_records(path, self.report):
            payer, payee = clean_name(row.get("srcId")), clean_name(row.get("dstId"))
            missing = [c for c in (payer, payee) if c not in self.companies]
            if missing:
                self.report.line(file, line, "skipped", "dangling_reference", f"{', '.join(map(repr, missing))} not in Company.csv")
                continue
            if payer == payee:
                self.report.line(file, line, "skipped", "self_loop", f"company {payer} pays itself")
                continue
            try:
                amount = int(clean_name(row.get("transAmt")))
            except ValueError:
                self.report.line(file, line, "skipped", "bad_number", f"transAmt {row.get('transAmt')!r} is not a whole number")
                continue
            if amount < 0:
                self.report.line(file, line, "skipped", "negative_weight", f"transAmt {amount} is negative")
                continue
            transfers.append((line, payer, payee, amount))

        inflow: dict[str, int] = defaultdict(int)
        outflow: dict[str, int] = defaultdict(int)
        paid: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)  # (payee, payer) → [(line, amount)]
        for line, payer, payee, amount in transfers:
            inflow[payee] += amount
            outflow[payer] += amount
            paid[(payee, payer)].append((line, amount))
        for company in self.companies:
            if company in inflow:
                self.companies[company]["fund_in_total"] = inflow[company]
            if company in outflow:
                self.companies[company]["fund_out_total"] = outflow[company]

        supplies = []
        for (payee, payer), payments in paid.items():
            total = sum(amount for _, amount in payments)
            upstream = sorted(
                product for product in self.companies[payee]["products"]
                if any(target in self.companies[payer]["products"] for target in self.products.get(product, {}).get("downstream", {}))
            )
            if upstream and inflow[payee] and total / inflow[payee] > MAIN_SUPPLY_SHARE:
                supplies.append((payments[0][0], {
                    "supplier": company_id(payee), "customer": company_id(payer), "stage": product_id(upstream[0]),
                    "volume": total, "transfers": len(payments),
                    "basis": f"KAG mainSupply: pays {total / inflow[payee]:.0%} of the supplier's inflow and makes a downstream product of {upstream[0]}",
                }))
        return supplies

    def read_industries(self, path: Path) -> None:
        file = path.name
        used = {info["industry"] for info in self.products.values() if info["industry"]}
        seen: dict[str, int] = {}
        for line, row in read_csv_records(path, self.report):
            industry = clean_name(row.get("id"))
            if not industry:
                self.report.line(file, line, "skipped", "missing_field", "no industry id")
            elif industry in seen:
                self.report.line(file, line, "merged", "duplicate_industry", f"industry {industry!r} again (first at line {seen[industry]})")
            elif industry not in used:
                seen[industry] = line
                self.report.line(file, line, "ignored", "unused_industry", f"no product belongs to industry {industry!r}")
            else:
                seen[industry] = line

    # -- the contract tables -------------------------------------------------------------------
    def build_tables(self, supplies: list) -> None:
        add = self.tables.add
        self.tables.table("stages.csv", "Product.csv", STAGE_COLUMNS)  # required, even if empty
        for product, info in self.products.items():
            add("stages.csv", "Product.csv", info["line"], self.stage_row(product, info["industry"], False), STAGE_COLUMNS)
        for product, (file, line) in self.placeholders.items():
            # a placeholder's row carries the line of the reference that created it
            add("stages.csv", file, line, self.stage_row(product, "", True), STAGE_COLUMNS)
        for product, info in self.products.items():
            for target, line in info["downstream"].items():
                add("stage_links.csv", "Product.csv", line, {"source": product_id(product), "target": product_id(target)}, ["source", "target"])
        # the national frame, present even without companies: a regional overlay hangs below it
        region_id, region_name, level, description = PLACEHOLDER_REGION
        self.tables.table("regions.csv", "placeholder region", REGION_COLUMNS).rows.append((1, [region_id, region_name, level, description, PLACEHOLDER]))
        for company, info in self.companies.items():
            industries = sorted({self.products[p]["industry"] for p in info["products"] if p in self.products and self.products[p]["industry"]})
            levels = list(dict.fromkeys(level for industry in industries for level in _segments(industry)))
            row = {"id": company_id(company), "name": info["name"], "region": region_id, "tags": ";".join(levels),
                   "fund_in_total": info.get("fund_in_total"), "fund_out_total": info.get("fund_out_total"), "source": SOURCE}
            add("enterprises.csv", "Company.csv", info["line"], row, ENTERPRISE_COLUMNS)
            for product, (file, line) in info["products"].items():
                add("enterprise_stages.csv", file, line, {"enterprise": company_id(company), "stage": product_id(product)}, ["enterprise", "stage"])
        for line, row in supplies:
            add("supplies.csv", "Company_fundTrans_Company.csv", line, row, SUPPLY_COLUMNS)

    def stage_row(self, product: str, industry: str, placeholder: bool) -> dict:
        parent = _parent(product)
        known = parent is not None and (parent in self.products or parent in self.placeholders)
        return {
            "id": product_id(product),
            "name": _name(product),
            "parent": product_id(parent) if known else "",
            "industry": _segments(industry)[-1] if industry else "",
            "industry_path": "/".join(_segments(industry)) if industry else "",
            "placeholder": "yes" if placeholder else "",
            "source": SOURCE,
        }
