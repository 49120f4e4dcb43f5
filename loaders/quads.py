"""Import a temporal edge-list knowledge graph (quadruples or triples) onto the data contract.

The folder holds the files of ICEWS/GDELT-style temporal-KG benchmarks:

- ``train.txt`` (required), ``valid.txt``, ``test.txt``: one fact a line,
  ``head<TAB>relation<TAB>tail<TAB>time_id``, or ``head<TAB>relation<TAB>tail`` (plain triples).
  Heads, relations and tails are given by id (from the files below) or by name.
- ``entity2id.txt``, ``relation2id.txt``: ``name<TAB>id`` (optional: without them the facts name
  their entities and relations).
- ``time2id.txt``: ``time_id,date`` (optional: without it a time is read as a date itself).
- any ``*.csv`` whose header names ``head``, ``relation``, ``tail`` (and optionally ``time`` or
  ``date``): an edge list, read after the text files.

Each relation maps to a contract relationship type (:data:`DEFAULT_RELATIONS`, or the user's
mapping: ``TYPE``, ``TYPE:reverse`` for facts written the other way round, ``ignore``, or
``patents``). Nothing in the files says what an entity is: its label follows from the roles it
plays in the mapped types (a FEEDS end is a Stage, an OPERATES_IN head an Enterprise and its tail
a Stage, both ends of a firm tie are Enterprises, a patent's holder an Enterprise or Institute).

Every line is accounted for (see :mod:`loaders.importing`): a fact whose entity already plays
another role (the first role seen, in file then line order, stands), an unmapped relation, a
self-loop, a second parent (PART_OF, CONTROLS) or an unknown entity is *skipped* with its file and
line; a fact restated (at another time, or the other way round for a symmetric tie) is *merged*;
a relation mapped to ``ignore`` is *ignored*.

Time: a fact's ``since`` is the earliest date it is seen. When a fact stops being restated,
nothing is inferred unless ``intervals=True``: then a fact last seen before the dataset's last
date gets ``until`` = the last date it was seen (one interval from first to last sighting).
Nodes get ``since`` = the earliest date of their facts.

Patents are a count (the ``patents`` property of the holder: the distinct patents it holds), not
nodes: a patent has no place of its own in a chain and would only add leaves.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections import defaultdict
from pathlib import Path

from graph.errors import DatasetError, Problem
from graph.model import REL_ENDPOINTS, SYMMETRIC_TIES

from .contract import FIRM_TIE_FILES
from .importing import (
    PLACEHOLDER_REGION,
    FolderImport,
    Imported,
    _source_text,
    checked_folder,
    clean_name,
    formula_in_cell,
    read_csv_records,
)

__all__ = ["read_quads", "read_mapping", "parse_mapping", "DEFAULT_RELATIONS", "FACT_FILES", "node_id"]

SOURCE = "quads"
FACT_FILES = ("train.txt", "valid.txt", "test.txt")
PATENTS = "patents"
IGNORE = "ignore"

# The relations of Chinese industrial-chain knowledge graphs, and what each becomes. "X 包含 Y"
# (X contains Y) is Y PART_OF X; "X 母公司 Y" (X's parent company is Y) is Y CONTROLS X.
DEFAULT_RELATIONS: dict[str, str] = {
    "上游于": "FEEDS",
    "供给": "SUPPLIES",
    "包含": "PART_OF:reverse",
    "涉足行业": "OPERATES_IN",
    "归属于行业": "OPERATES_IN",
    "合作": "COOPERATES_WITH",
    "竞争": "COMPETES_WITH",
    "投资": "INVESTS_IN",
    "并购": "ACQUIRED",
    "合资": "JOINT_VENTURE",
    "母公司": "CONTROLS:reverse",
    "控股": "CONTROLS",
    "持有专利": PATENTS,
}

# The contract file (and its two columns) each mapped type becomes.
_FILES = {
    "FEEDS": ("stage_links.csv", "source", "target"),
    "SUPPLIES": ("supplies.csv", "supplier", "customer"),
    "OPERATES_IN": ("enterprise_stages.csv", "enterprise", "stage"),
    "COLLABORATES_WITH": ("ties.csv", "enterprise", "institute"),
    "RESEARCHES": ("institute_stages.csv", "institute", "stage"),
    **{rel: (file, "source", "target") for rel, file in FIRM_TIE_FILES.items()},
}
_ONE_PARENT = ("PART_OF", "CONTROLS")  # a node has at most one: a second one is skipped
_MAPPABLE = (*_FILES, "PART_OF")
_PREFIX = {"Stage": "qs", "Enterprise": "qe", "Institute": "qi"}
_NODE_FILES = {"Stage": "stages.csv", "Enterprise": "enterprises.csv", "Institute": "institutes.csv"}


def node_id(label: str, name: str) -> str:
    """The id of an imported entity: a prefix of its label and its name (``qe:恒力``)."""
    return f"{_PREFIX[label]}:{name}"


def parse_mapping(items: dict[str, str], where: str = "--map") -> dict[str, tuple[str, bool]]:
    """Relation → (type, reversed), from relation → ``TYPE`` / ``TYPE:reverse`` / ``ignore`` /
    ``patents``; a type the contract does not know is a DatasetError naming ``where``."""
    mapping = {}
    for relation, target in items.items():
        text = target.strip()
        kind, _, flag = text.partition(":")
        kind = kind.strip()
        kind = kind.lower() if kind.lower() in (IGNORE, PATENTS) else kind.upper()
        if kind not in (*_MAPPABLE, IGNORE, PATENTS) or flag.strip() not in ("", "reverse"):
            raise DatasetError([Problem(where, None, None, f"relation {relation!r}: {target!r} is not one of {', '.join(_MAPPABLE)} "
                                        f"(optionally with :reverse), {IGNORE} or {PATENTS}")])
        mapping[relation.strip()] = (kind, flag.strip() == "reverse")
    return mapping


def read_mapping(path: str | Path) -> dict[str, str]:
    """A relation mapping from a file: JSON (``{"合作": "COOPERATES_WITH"}``) or CSV with a header
    ``relation,type``."""
    path = Path(path)
    text = _source_text(path)
    if path.suffix.lower() == ".json":
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as error:
            raise DatasetError([Problem(path.name, error.lineno, error.colno, f"not valid JSON: {error.msg}")]) from None
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise DatasetError([Problem(path.name, None, None, 'expected an object of relation → type, e.g. {"合作": "COOPERATES_WITH"}')])
        return mapping
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["relation", "type"]:
        raise DatasetError([Problem(path.name, 1, None, "expected a header relation,type")])
    mapping = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < 2:
            raise DatasetError([Problem(path.name, number, None, "expected two cells: relation,type")])
        mapping[row[0].strip()] = row[1]
    return mapping


def read_quads(folder: str | Path, *, relations: dict[str, str] | None = None, intervals: bool = False) -> Imported:
    """Map a quadruple (or triple) folder onto contract tables; return them with the import report.

    ``relations`` adds to (and overrides) :data:`DEFAULT_RELATIONS`. Raises DatasetError only for
    a missing folder, a missing train.txt (in a folder without CSV edge lists), or a mapping the contract cannot take; every other defect is
    a report entry.
    """
    folder = Path(folder)
    # a folder of CSV edge lists needs no train.txt
    edge_lists = folder.is_dir() and any(p.suffix.lower() == ".csv" and _edge_list_header(p) for p in folder.iterdir())
    folder = checked_folder(folder, label="quadruple", required=() if edge_lists else ("train.txt",), dangling="skip")
    mapping = parse_mapping({**DEFAULT_RELATIONS, **(relations or {})})
    return _Quads(folder, mapping, intervals).run()


_DATE = re.compile(r"^(\d{4})(?:[-/.]?(\d{1,2})(?:[-/.]?(\d{1,2}))?)?$")


def _date(text: str) -> str | None:
    """An ISO date from 2021-03-01, 20210301, 2021-03 or 2021 (the first day of a month or year)."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


class _Quads(FolderImport):
    def __init__(self, folder: Path, mapping: dict[str, tuple[str, bool]], intervals: bool):
        super().__init__(folder, "skip", "quads")
        self.mapping = mapping
        self.intervals = intervals
        self.entities: dict[str, str] = {}  # id → name
        self.entity_lines: dict[str, int] = {}  # name → line of entity2id.txt
        self.relations: dict[str, str] = {}  # id → name
        self.relation_lines: dict[str, int] = {}
        self.times: dict[str, str] = {}  # time id → ISO date
        self.labels: dict[str, tuple[str, str, int, str]] = {}  # name → (label, file, line, relation)
        # (type, source, target) → {"file", "line", "dates"}
        self.facts: dict[tuple[str, str, str], dict] = {}
        self.parents: dict[tuple[str, str], tuple[str, str, int]] = {}  # (type, child) → (parent, file, line)
        self.patents: dict[str, set[str]] = defaultdict(set)
        self.used_relations: set[str] = set()

    def run(self) -> Imported:
        if path := self.present("entity2id.txt"):
            self.read_ids(path, self.entities, self.entity_lines, "entity")
        if path := self.present("relation2id.txt"):
            self.read_ids(path, self.relations, self.relation_lines, "relation")
        if path := self.present("time2id.txt"):
            self.read_times(path)
        for name in FACT_FILES:
            if path := self.present(name):
                self.read_facts(path)
        edge_lists = sorted(p.name for p in self.folder.iterdir() if p.suffix.lower() == ".csv" and _edge_list_header(p))
        for name in edge_lists:
            self.read_edge_list(self.folder / name)
        self.account_ids()
        self.note_other_files(("entity2id.txt", "relation2id.txt", "time2id.txt", *FACT_FILES, *edge_lists), (".txt", ".csv"),
                              "not a file of the format: not read")
        self.build_tables()
        return Imported(self.tables.raw, self.report)

    # -- the id files ----------------------------------------------------------------------------
    def lines(self, path: Path):
        file = path.name
        self.report.file(file)
        text = _source_text(path).split("\n")
        if text and text[-1] == "":
            text.pop()
        for number, line in enumerate(text, start=1):
            self.report.read(file, number)
            if not line.strip():
                self.report.line(file, number, "ignored", "blank", "an empty line")
                continue
            yield number, line.rstrip("\r")

    def read_ids(self, path: Path, ids: dict[str, str], lines: dict[str, int], what: str) -> None:
        file = path.name
        for number, line in self.lines(path):
            cells = line.split("\t")
            name, key = clean_name(cells[0]), clean_name(cells[1]) if len(cells) > 1 else ""
            if len(cells) != 2 or not name or not key:
                self.report.line(file, number, "skipped", "bad_row", f"expected {what} name<TAB>id, got {line[:60]!r}")
            elif key in ids:
                self.report.line(file, number, "skipped", "duplicate_id", f"id {key!r} is already {ids[key]!r} (line {lines[ids[key]]})")
            elif name in lines:
                self.report.line(file, number, "merged", f"duplicate_{what}", f"{what} {name!r} again (first at line {lines[name]})")
                ids[key] = name
            else:
                ids[key], lines[name] = name, number

    def read_times(self, path: Path) -> None:
        file = path.name
        for number, line in self.lines(path):
            key, _, text = line.partition(",")
            date = _date(text)
            if date is None:
                self.report.line(file, number, "skipped", "bad_date", f"expected time_id,date (2021-03-01), got {line[:60]!r}")
            else:
                self.times[key.strip()] = date

    def account_ids(self) -> None:
        used = set(self.labels) | {p for held in self.patents.values() for p in held}
        for name, line in self.entity_lines.items():
            if name not in used:
                self.report.line("entity2id.txt", line, "ignored", "unused_entity", f"{name!r} is in no imported fact")
        for name, line in self.relation_lines.items():
            if name not in self.used_relations:
                kind = self.mapping.get(name, (None,))[0]
                why = "mapped to ignore" if kind == IGNORE else ("not mapped (its facts are skipped)" if kind is None else "in no fact")
                self.report.line("relation2id.txt", line, "ignored", "unused_relation", f"relation {name!r}: {why}")

    # -- the facts -------------------------------------------------------------------------------
    def read_facts(self, path: Path) -> None:
        file = path.name
        for number, line in self.lines(path):
            cells = [clean_name(c) for c in line.split("\t")]
            if len(cells) not in (3, 4) or not all(cells[:3]):
                self.report.line(file, number, "skipped", "bad_row", f"expected head<TAB>relation<TAB>tail[<TAB>time], got {line[:60]!r}")
                continue
            head, relation, tail = (self.entities.get(cells[0], cells[0]), self.relations.get(cells[1], cells[1]),
                                    self.entities.get(cells[2], cells[2]))
            date = None
            if len(cells) == 4 and cells[3]:
                date = self.times.get(cells[3]) or _date(cells[3])
                if date is None:
                    self.report.value(file, number, "dropped", "unknown_time", f"time {cells[3]!r} is not in time2id.txt nor a date: the fact has no date")
            self.fact(file, number, head, relation, tail, date)

    def read_edge_list(self, path: Path) -> None:
        """A CSV edge list with a header naming head, relation, tail and optionally time (or date)."""
        file = path.name
        for number, row in read_csv_records(path, self.report):
            head, relation, tail = (clean_name(row.get(c)) for c in ("head", "relation", "tail"))
            if not (head and relation and tail):
                self.report.line(file, number, "skipped", "bad_row", "a fact needs a head, a relation and a tail")
                continue
            when = clean_name(row.get("time") or row.get("date") or "")
            date = (self.times.get(when) or _date(when)) if when else None
            if when and date is None:
                self.report.value(file, number, "dropped", "unknown_time", f"time {when!r} is not in time2id.txt nor a date: the fact has no date")
            self.fact(file, number, self.entities.get(head, head), self.relations.get(relation, relation), self.entities.get(tail, tail), date)

    def fact(self, file: str, line: int, head: str, relation: str, tail: str, date: str | None) -> None:
        report = self.report
        if relation not in self.mapping:
            report.line(file, line, "skipped", "unmapped_relation", f"relation {relation!r} is not mapped (--map {relation}=TYPE, or =ignore)")
            return
        kind, reverse = self.mapping[relation]
        self.used_relations.add(relation)
        if kind == IGNORE:
            report.line(file, line, "ignored", "ignored_relation", f"relation {relation!r} is mapped to ignore")
            return
        if self.entity_lines and (head not in self.entity_lines or tail not in self.entity_lines):
            missing = [e for e in (head, tail) if e not in self.entity_lines]
            report.line(file, line, "skipped", "dangling_reference", f"{', '.join(map(repr, missing))} not in entity2id.txt")
            return
        for name in (head, tail):
            if formula_in_cell(name):
                report.line(file, line, "skipped", "formula_like", f"entity {name[:40]!r} would run as a spreadsheet formula")
                return
        if head == tail:
            report.line(file, line, "skipped", "self_loop", f"{head!r} {relation} itself")
            return
        source, target = (tail, head) if reverse else (head, tail)
        if kind == PATENTS:
            roles = [(source, self.holder_label(source)), (target, "Patent")]
        else:
            (source_label, target_label), = REL_ENDPOINTS[kind] if kind != "PART_OF" else {("Stage", "Stage")}
            roles = [(source, source_label), (target, target_label)]
        for name, label in roles:
            known = self.labels.get(name)
            if known is not None and known[0] != label:
                report.line(file, line, "skipped", "conflicting_roles",
                            f"{relation} makes {name!r} {_kind(label)}, but it is {_kind(known[0])} (from {known[3]} at {known[1]}:{known[2]})")
                return
        if kind in SYMMETRIC_TIES and source > target:
            source, target = target, source
        identity = (kind, source, target)
        first = self.facts.get(identity)
        if first is not None:
            if date is not None:
                first["dates"].add(date)
            report.line(file, line, "merged", "restated", f"{source!r} {kind} {target!r} again (first at {first['file']}:{first['line']})")
            return
        if kind in _ONE_PARENT:
            # PART_OF points from the child, CONTROLS from the parent
            child, parent_name = (source, target) if kind == "PART_OF" else (target, source)
            parent = self.parents.get((kind, child))
            if parent is not None:
                report.line(file, line, "skipped", "second_parent",
                            f"{child!r} already has {parent[0]!r} as its {_parent_word(kind)} ({parent[1]}:{parent[2]})")
                return
            above = parent_name  # one parent each: walk up from the new parent; meeting the child closes a cycle
            while above is not None and above != child:
                above = self.parents.get((kind, above), (None,))[0]
            if above == child:
                report.line(file, line, "skipped", "parent_cycle",
                            f"{child!r} is already above {parent_name!r}: making {parent_name!r} its {_parent_word(kind)} would close a cycle")
                return
            self.parents[(kind, child)] = (parent_name, file, line)
        for name, label in roles:
            self.labels.setdefault(name, (label, file, line, relation))
        self.facts[identity] = {"file": file, "line": line, "dates": {date} if date else set()}

    def holder_label(self, name: str) -> str:
        known = self.labels.get(name)
        return known[0] if known is not None and known[0] == "Institute" else "Enterprise"

    # -- the contract tables -----------------------------------------------------------------------
    def build_tables(self) -> None:
        add, table = self.tables.add, self.tables.table
        patents: dict[str, int] = defaultdict(int)
        first_seen: dict[str, str] = {}
        last_date = max((d for fact in self.facts.values() for d in fact["dates"]), default=None)
        rows = []
        for (kind, source, target), fact in self.facts.items():
            dates = sorted(fact["dates"])
            for name in (source, target):
                if dates and (name not in first_seen or dates[0] < first_seen[name]):
                    first_seen[name] = dates[0]
            if kind == PATENTS:
                patents[source] += 1
                continue
            until = dates[-1] if self.intervals and dates and dates[-1] < last_date else ""
            rows.append((kind, source, target, fact, dates[0] if dates else "", until))

        table("stages.csv", "train.txt", ["id", "name", "parent", "since", "source"])
        parents = {child: parent for (kind, child), (parent, _, _) in self.parents.items() if kind == "PART_OF"}
        region_id, region_name, level, description = PLACEHOLDER_REGION
        has_enterprises = any(label == "Enterprise" for label, *_ in self.labels.values())
        if has_enterprises:
            table("regions.csv", "placeholder region", ["id", "name", "level", "description"]).rows.append((1, [region_id, region_name, level, description]))
        for name, (label, file, line, _) in self.labels.items():
            if label == "Patent":
                continue
            row = {"id": node_id(label, name), "name": name, "since": first_seen.get(name, ""), "source": SOURCE}
            header = ["id", "name", "since", "source"]
            if label == "Stage":
                row["parent"] = node_id("Stage", parents[name]) if name in parents else ""
                header = ["id", "name", "parent", "since", "source"]
            elif label == "Enterprise":
                row.update(region=region_id, patents=patents.get(name, ""))
                header = ["id", "name", "region", "patents", "since", "source"]
            elif label == "Institute":
                row["patents"] = patents.get(name, "")
                header = ["id", "name", "patents", "since", "source"]
            add(_NODE_FILES[label], self.entity_file(file), self.entity_lines.get(name, line), row, header)
        for kind, source, target, fact, since, until in rows:
            if kind == "PART_OF":
                continue  # the stage's parent column
            file, source_column, target_column = _FILES[kind]
            source_label, target_label = next(iter(REL_ENDPOINTS[kind]))
            add(file, fact["file"], fact["line"], {source_column: node_id(source_label, source), target_column: node_id(target_label, target),
                                                   "since": since, "until": until}, [source_column, target_column, "since", "until"])

    def entity_file(self, fact_file: str) -> str:
        return "entity2id.txt" if self.entity_lines else fact_file


def _edge_list_header(path: Path) -> bool:
    """Whether the CSV file's first line names the columns head, relation and tail."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline()
    except OSError:
        return False
    return {"head", "relation", "tail"} <= {c.strip().lower() for c in first.split(",")}


def _kind(label: str) -> str:
    return "a patent" if label == "Patent" else ("an " if label[0] in "AEIOU" else "a ") + label


def _parent_word(kind: str) -> str:
    return "parent stage" if kind == "PART_OF" else "parent company"
