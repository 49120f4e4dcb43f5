"""The embedded store: one SQLite file, durable and transactional, no set-up.

Nodes and relationships are rows; their properties a JSON object. A load is one transaction, so
a crash or a kill mid-load leaves the previous graph (SQLite's rollback journal undoes the rest
when the file is next opened).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import compress, islice
from operator import itemgetter, lt
from pathlib import Path

from graph.errors import InvalidParameter, StoreBusy, StoreChanged, StoreError, StoreFull, StoreIOError, StoreUnavailable
from graph.model import GraphData, Node, Relationship, a_kind, check_label, check_rel_type

from .base import (
    BATCH_SIZE,
    BEFORE_PROVENANCE,
    NAME_KEY,
    Dataset,
    GraphStore,
    Progress,
    ProjectionColumns,
    UnloadSummary,
    WriteSummary,
    changes,
    folded_names,
    revert,
    search_text,
    unknown_dataset,
)
from .queries import CodedLinks, CodedOperations, Link, Operation, Queries, RingCounts, StageFirm

__all__ = ["SqliteStore"]

# A node's ``num`` is its number for the relationships that touch it (``source_num``,
# ``target_num``; NULL while that end is not in the store): projections and reports code a graph's
# ends from integers, not by hashing hundreds of thousands of ids in Python. It is the table's
# INTEGER PRIMARY KEY, which VACUUM keeps (SQLite documents that it may renumber an implicit
# rowid); a deleted node's relationships go before it, so a number a later node reuses is never
# referred to.
NODES_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    num INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    name TEXT NOT NULL,
    props TEXT NOT NULL,
    search TEXT NOT NULL,
    names TEXT NOT NULL DEFAULT ''
)"""
SCHEMA = NODES_TABLE.format(table="nodes") + """;
CREATE INDEX IF NOT EXISTS nodes_label ON nodes (label);
CREATE INDEX IF NOT EXISTS nodes_region ON nodes (json_extract(props, '$.region'));
CREATE TABLE IF NOT EXISTS rels (
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    key TEXT NOT NULL,
    props TEXT NOT NULL,
    source_num INTEGER,
    target_num INTEGER,
    PRIMARY KEY (type, source, target, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rels_source ON rels (source, type);
CREATE INDEX IF NOT EXISTS rels_target ON rels (target, type);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Provenance: the datasets loaded, and which of them state each node and relationship. ``before``
# is what a dataset's write changed on a node or relationship the store already held (JSON:
# {"old": {property: value}, "absent": [property], "new": {property: value}}, the name as the
# property "\u0000name"), so that unloading it can put that back; NULL where the dataset created it.
PROVENANCE = """
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    hash TEXT NOT NULL,
    nodes INTEGER NOT NULL,
    relationships INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS node_sources (
    node TEXT NOT NULL,
    dataset TEXT NOT NULL,
    before TEXT,
    PRIMARY KEY (node, dataset)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS node_sources_dataset ON node_sources (dataset);
CREATE TABLE IF NOT EXISTS rel_sources (
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    key TEXT NOT NULL,
    dataset TEXT NOT NULL,
    before TEXT,
    PRIMARY KEY (type, source, target, key, dataset)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rel_sources_dataset ON rel_sources (dataset);
"""

# Only rows whose content differs are touched, so re-loading the same data changes nothing and
# the change count tells whether the graph changed at all.
UPSERT_NODE = """
INSERT INTO nodes (id, label, name, props, search, names) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET label = excluded.label, name = excluded.name,
    props = excluded.props, search = excluded.search, names = excluded.names
WHERE nodes.label IS NOT excluded.label OR nodes.name IS NOT excluded.name
    OR nodes.props IS NOT excluded.props
"""
UPSERT_REL = """
INSERT INTO rels (type, source, target, key, props, source_num, target_num)
VALUES (?1, ?2, ?3, ?4, ?5, (SELECT num FROM nodes WHERE id = ?2), (SELECT num FROM nodes WHERE id = ?3))
ON CONFLICT (type, source, target, key) DO UPDATE SET props = excluded.props
WHERE rels.props IS NOT excluded.props
"""
# the ends a batch of new nodes gives to relationships stored before them (by the end indexes)
NUMBER_ENDS = """
UPDATE rels SET {end}_num = (SELECT num FROM nodes WHERE id = rels.{end})
WHERE {end} IN (SELECT value FROM json_each(?)) AND {end}_num IS NULL
"""

# SQLite allows at most 32,766 host parameters in one statement
_MAX_PARAMS = 30_000
_SEP = "\x1f"  # the unit separator, between the keys coded_links joins into one string


# One encoder for every row: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
# A load into an empty store holds this much of the database in memory (SQLite's default, 2 MB,
# spills B-tree pages to disk over and over on a million rows), in KiB.
_BULK_CACHE_KIB = 256 * 1024


def _reusable(encoder: json.JSONEncoder):
    """The C encoder that ``encoder.encode`` builds anew on every call (JSONEncoder.iterencode),
    half the cost of encoding a small dict; None without the C accelerator or where encode would
    not use it. Unlike encode's, it does not look for cycles: see _dumps."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or encoder.indent is not None:
        return None
    strings = json.encoder.encode_basestring_ascii if encoder.ensure_ascii else json.encoder.encode_basestring
    return make(None, encoder.default, strings, encoder.indent, encoder.key_separator, encoder.item_separator,
                encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)


_ENCODE = _reusable(_ENCODER)


def _dumps(props: dict) -> str:
    if not props:
        return "{}"
    if _ENCODE is not None:
        try:
            return "".join(_ENCODE(props, 0))
        except Exception:
            pass  # a value JSON cannot hold, or a cycle: _ENCODER raises what it always has
    return _ENCODER.encode(props)


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# base.projection_weight as an SQL expression (JSON true/false read as 1/0, as Python's float(True))
_PROJECTION_WEIGHT = """CASE
    WHEN type = 'SUPPLIES' THEN 1.0
    WHEN json_type(props, '$.weight') IS NOT NULL THEN
        CASE WHEN json_type(props, '$.weight') IN ('integer', 'real', 'true', 'false')
             THEN CAST(json_extract(props, '$.weight') AS REAL) ELSE 1.0 END
    WHEN json_type(props, '$.volume') IN ('integer', 'real', 'true', 'false')
        THEN CAST(json_extract(props, '$.volume') AS REAL)
    ELSE 1.0 END"""


# SQLite's ``->`` operator (3.38, 2022): a value of a node's JSON as JSON text, in one parse
_JSON_ARROW = sqlite3.sqlite_version_info >= (3, 38, 0)
# number_or_none(capacity) as an SQL expression: a number, as REAL; anything else NULL
_CAPACITY = "CASE WHEN json_type({props}, '$.capacity') IN ('integer', 'real') THEN CAST(json_extract({props}, '$.capacity') AS REAL) END"


# How long a statement waits for another connection's lock (a load in progress) before the store
# is reported busy; a request must not hang for SQLite's own 30 s default.
BUSY_SECONDS_ENV = "CHAINX_BUSY_SECONDS"
DEFAULT_BUSY_SECONDS = 5.0


def busy_seconds() -> float:
    text = os.environ.get(BUSY_SECONDS_ENV, "").strip()
    if not text:
        return DEFAULT_BUSY_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise InvalidParameter(BUSY_SECONDS_ENV, f"must be a number of seconds from 0 to 3600, not {text!r}")
    return value


def _lock_error(error: sqlite3.Error) -> bool:
    return isinstance(error, sqlite3.OperationalError) and ("database is locked" in str(error) or "database is busy" in str(error))


class _Connection(sqlite3.Connection):
    """A connection whose lock timeouts, full disks and I/O errors come out as chainx's errors
    (StoreBusy, StoreFull, StoreIOError) naming the file, wherever in chainx the statement ran."""

    path: Path
    wait: float

    def _translated(self, error: sqlite3.OperationalError) -> Exception:
        if _lock_error(error):
            return StoreBusy(f"store busy: {self.path} is locked by another connection (a load in progress?) and stayed locked "
                             f"for {self.wait:g} s; try again shortly, or wait longer with {BUSY_SECONDS_ENV}")
        code = getattr(error, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "database or disk is full" in str(error):
            return StoreFull(f"disk full at {self.path}: the store could not grow, so the write was undone and the store is as it was; "
                             f"free space on {self.path.parent} (or move the store) and try again")
        if (code is not None and code & 0xFF == sqlite3.SQLITE_IOERR) or "disk I/O error" in str(error):
            return StoreIOError(f"cannot write or read the store at {self.path}: disk I/O error ({getattr(error, 'sqlite_errorname', error)}); "
                                f"is the disk full or failing, or a file-size limit (ulimit -f) in the way? The write was undone")
        return error

    def _run(self, method, *args):
        try:
            return method(*args)
        except sqlite3.OperationalError as error:
            translated = self._translated(error)
            if translated is error:
                raise
            raise translated from None

    def execute(self, *args):
        return self._run(super().execute, *args)

    def executemany(self, *args):
        return self._run(super().executemany, *args)

    def executescript(self, *args):
        return self._run(super().executescript, *args)


def _connect(path: Path, wait: float) -> _Connection:
    # check_same_thread=False: the API serves requests from a thread pool; every statement runs
    # under the connection's own lock.
    db = sqlite3.connect(path, timeout=wait, isolation_level=None, check_same_thread=False, factory=_Connection)
    db.path, db.wait = path, wait
    return db


def _now() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _by_end(end: str, types: list[str] | None) -> str:
    """``rels WHERE <end> IN`` (its marks follow) for relationships found by their ``end``
    (source or target), `` AND type IN (?, ...)`` of ``types`` added by the caller. By the
    target, the target index is named: SQLite, without statistics, scans every relationship of
    the type on the primary key (type, source, ...) instead (0.14 s against 3 ms for a town's
    firms on a 1M-relationship graph, 14 s when the ids come as a JSON array)."""
    return "rels INDEXED BY rels_target WHERE target IN" if end == "target" and types else f"rels WHERE {end} IN"


def _sorted_distinct(ids: Iterable[str]) -> list[str]:
    """``sorted(set(ids))``, without the set and the sort when ``ids`` already are (a report's
    every enterprise, read in id order: a tenth of what sorting a hundred thousand ids costs).

    >>> _sorted_distinct(["a", "b", "c"]), _sorted_distinct(["b", "a", "b"])
    (['a', 'b', 'c'], ['a', 'b'])
    """
    ids = list(ids)
    if all(map(lt, ids, islice(ids, 1, None))):
        return ids
    return sorted(set(ids))


class _Positions:
    """A node's number (``num``) → its position, from the numbers of the nodes at each position,
    for numpy arrays of numbers: -1 for a node not among them, for an end without a number (-1)
    and for a number above the highest this read saw (a node written since, outside a snapshot)."""

    def __init__(self, db: sqlite3.Connection, numbers, positions=None):
        import numpy as np

        top = db.execute("SELECT max(num) FROM nodes").fetchone()[0] or 0
        self.array = np.full(top + 2, -1, dtype=np.int64)
        self.array[np.asarray(numbers, dtype=np.int64)] = np.arange(len(numbers)) if positions is None else positions

    @classmethod
    def of_ids(cls, db: sqlite3.Connection, ids: list[str], label: str | None = None) -> _Positions:
        """The positions of ``ids`` (one JSON array: any number of them), only the nodes with
        ``label`` among them when given."""
        import numpy as np

        # the pairs as two lists of numbers in one row, cut apart in C: a tuple per node cost twice as much
        where = " WHERE n.label = ?" if label else ""
        numbers, positions = db.execute(f"SELECT group_concat(n.num), group_concat(j.key) FROM json_each(?1) j CROSS JOIN nodes n ON n.id = j.value{where}",
                                        (json.dumps(ids), *([label] if label else []))).fetchone()
        if numbers is None:  # none of them
            return cls(db, [])
        return cls(db, np.fromstring(numbers, dtype=np.int64, sep=","), np.fromstring(positions, dtype=np.int64, sep=","))

    def __getitem__(self, nums):
        import numpy as np

        return self.array[np.minimum(nums, len(self.array) - 1)]


class SqliteStore(GraphStore):
    """A graph in a single SQLite file.

    >>> import tempfile, os
    >>> store = SqliteStore(os.path.join(tempfile.mkdtemp(), "g.db"), create=True)
    >>> store.counts()
    ({}, {})
    """

    def __init__(self, path: str | Path, *, create: bool = False):
        self.path = Path(path)
        self.uri = str(self.path)
        if not self.path.exists() and not create:
            raise StoreUnavailable(
                f"no store at {self.path}: load a dataset first (chainx load PATH --store {self.path})"
            )
        wait = busy_seconds()
        try:
            self._db = _connect(self.path, wait)
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = OFF")
            if not self._has_schema():
                self._db.executescript(SCHEMA)
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('store_id', ?)", (uuid.uuid4().hex,))
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('version', '0')")
            if not self._has_provenance():
                self._add_provenance()
            if not self._has_names():
                self._add_names()
            if not self._has_numbers():
                self._add_numbers()
        except sqlite3.DatabaseError as error:
            raise StoreUnavailable(f"{self.path} is not a chainx store: {error}") from None

    def _has_schema(self) -> bool:
        row = self._db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('nodes', 'rels', 'meta')").fetchone()
        return row[0] == 3

    def _has_provenance(self) -> bool:
        row = self._db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('datasets', 'node_sources', 'rel_sources')").fetchone()
        return row[0] == 3

    def _has_names(self) -> bool:
        return any(row[1] == "names" for row in self._db.execute("PRAGMA table_info(nodes)"))

    def _add_names(self) -> None:
        """The ``names`` column (every node's folded names, :func:`graph.store.base.folded_names`),
        into a store made before it, filled from the nodes already there."""
        with self._write_lock() as db:
            if not self._has_names():  # another connection may have added it meanwhile
                db.execute("ALTER TABLE nodes ADD COLUMN names TEXT NOT NULL DEFAULT ''")
                rows = [(folded_names(self._node(row)), row[0]) for row in db.execute("SELECT id, label, name, props FROM nodes")]
                db.executemany("UPDATE nodes SET names = ? WHERE id = ?", rows)

    def _has_numbers(self) -> bool:
        return any(row[1] == "target_num" for row in self._db.execute("PRAGMA table_info(rels)"))

    def _add_numbers(self) -> None:
        """The nodes' numbers and the relationships' ends by them (see SCHEMA), into a store made
        before them. SQLite cannot give a table a primary key in place: the nodes are copied into
        a table of SCHEMA's, each keeping its rowid as its number."""
        with self._write_lock() as db:
            if self._has_numbers():  # another connection may have added them meanwhile
                return
            if not any(row[1] == "num" for row in db.execute("PRAGMA table_info(nodes)")):
                db.execute(NODES_TABLE.format(table="nodes_numbered"))
                db.execute("INSERT INTO nodes_numbered (num, id, label, name, props, search, names)"
                           " SELECT rowid, id, label, name, props, search, names FROM nodes")
                db.execute("DROP TABLE nodes")  # and its indexes, made again below
                db.execute("ALTER TABLE nodes_numbered RENAME TO nodes")
            db.execute("ALTER TABLE rels ADD COLUMN source_num INTEGER")
            db.execute("ALTER TABLE rels ADD COLUMN target_num INTEGER")
            db.execute("UPDATE rels SET source_num = (SELECT num FROM nodes WHERE id = rels.source),"
                       " target_num = (SELECT num FROM nodes WHERE id = rels.target)")
            for statement in filter(str.strip, SCHEMA.split(";")):  # the nodes' indexes; the rest is there
                db.execute(statement)

    def _add_provenance(self) -> None:
        """The provenance tables, into a new store or one made before them; a graph already there
        is attributed to the dataset BEFORE_PROVENANCE (which can be unloaded like any other)."""
        with self._write_lock() as db:
            if not self._has_provenance():  # another connection may have added them meanwhile
                for statement in filter(str.strip, PROVENANCE.split(";")):
                    db.execute(statement)
                nodes = db.execute("SELECT count(*) FROM nodes").fetchone()[0]
                rels = db.execute("SELECT count(*) FROM rels").fetchone()[0]
                if nodes or rels:
                    db.execute("INSERT INTO datasets VALUES (?, 1, ?, 'before provenance', ?, '', ?, ?)",
                               (BEFORE_PROVENANCE, str(self.path), _now(), nodes, rels))
                    db.execute("INSERT INTO node_sources SELECT id, ?, NULL FROM nodes", (BEFORE_PROVENANCE,))
                    db.execute("INSERT INTO rel_sources SELECT type, source, target, key, ?, NULL FROM rels", (BEFORE_PROVENANCE,))

    # -- writing ---------------------------------------------------------------------------
    def write(self, data: GraphData, *, replace: bool = False, progress: Progress | None = None,
              expect_version: str | None = None, dataset: Dataset | None = None) -> WriteSummary:
        db = self._db
        done = 0
        graph_changes = 0
        cache = db.execute("PRAGMA cache_size").fetchone()[0]
        try:
            self._begin_immediate()
            if expect_version is not None and self.version() != expect_version:
                raise StoreChanged(f"{self.path} changed while the data was validated (another write got in first)")
            before = db.total_changes
            db.execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
            empty = replace or not db.execute("SELECT EXISTS (SELECT 1 FROM nodes) OR EXISTS (SELECT 1 FROM rels)").fetchone()[0]
            # Into an empty store, rows go in before the secondary indexes, which are then built
            # in one sorted pass (several times faster than updating them row by row). The
            # indexes are dropped and re-created inside the transaction, so a failed or killed
            # load rolls them back with the rows.
            indexes = self._secondary_indexes() if empty else []
            for name, _ in indexes:
                db.execute(f'DROP INDEX "{name}"')
            if replace:
                mark = db.total_changes
                db.execute("DELETE FROM nodes")
                db.execute("DELETE FROM rels")
                graph_changes += db.total_changes - mark
                for table in ("datasets", "node_sources", "rel_sources"):
                    db.execute(f"DELETE FROM {table}")
            if dataset is not None:
                self._record_dataset(dataset)
            for batch in _batched(data.nodes, BATCH_SIZE):
                if not empty:
                    self._refuse_other_labels(batch)
                if dataset is not None:
                    self._record_nodes(dataset.id, batch, empty)
                mark = db.total_changes
                db.executemany(
                    UPSERT_NODE,
                    [(n.id, n.label, n.name, _dumps(n.props), search_text(n), folded_names(n)) for n in batch],
                )
                graph_changes += db.total_changes - mark
                if not empty:  # a number for the relationships already waiting for these nodes
                    ids = json.dumps([n.id for n in batch])
                    for end in ("source", "target"):
                        db.execute(NUMBER_ENDS.format(end=end), (ids,))
                done += len(batch)
                if progress:
                    progress(done)
            for batch in _batched(data.relationships, BATCH_SIZE):
                if dataset is not None:
                    self._record_rels(dataset.id, batch, empty)
                mark = db.total_changes
                db.executemany(
                    UPSERT_REL,
                    [(r.type, r.source, r.target, r.key, _dumps(r.props)) for r in batch],
                )
                graph_changes += db.total_changes - mark
                done += len(batch)
                if progress:
                    progress(done)
            for _, sql in indexes:
                db.execute(sql)
            changed = graph_changes > 0
            if db.total_changes != before:  # the graph, or only its provenance: either way a new version
                self._bump_version()
            db.execute("COMMIT")
        except BaseException:
            # (a commit that readers' snapshots held past the wait is StoreBusy, by _Connection)
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            with contextlib.suppress(sqlite3.Error):  # back to the usual cache, between loads
                db.execute(f"PRAGMA cache_size = {int(cache)}")
        return WriteSummary(len(data.nodes), len(data.relationships), changed, replace)

    # -- provenance ------------------------------------------------------------------------
    def _record_dataset(self, dataset: Dataset) -> None:
        self._db.execute(
            "INSERT INTO datasets VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM datasets), ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET source = excluded.source, kind = excluded.kind, loaded_at = excluded.loaded_at,"
            " hash = excluded.hash, nodes = excluded.nodes, relationships = excluded.relationships",
            (dataset.id, dataset.source, dataset.kind, dataset.loaded_at, dataset.content_hash, dataset.nodes, dataset.relationships),
        )

    def _record_nodes(self, dataset_id: str, batch: list[Node], empty: bool) -> None:
        """Record that ``dataset_id`` states the nodes of ``batch``, and what writing them changes
        on nodes the store holds (before the upsert that changes it)."""
        stored: dict[str, tuple[str, dict]] = {}
        recorded: dict[str, str | None] = {}
        if not empty:
            ids = [n.id for n in batch]
            marks = ",".join("?" * len(ids))
            stored = {row[0]: (row[1], json.loads(row[2])) for row in self._db.execute(f"SELECT id, name, props FROM nodes WHERE id IN ({marks})", ids)}
            recorded = dict(self._db.execute(f"SELECT node, before FROM node_sources WHERE dataset = ? AND node IN ({marks})", [dataset_id, *ids]))
        rows = []
        for node in batch:
            if node.id in recorded and recorded[node.id] is None:
                continue  # this dataset created it: nothing to put back
            held = stored.get(node.id)
            before = None if held is None else changes({NAME_KEY: held[0], **held[1]}, {NAME_KEY: node.name, **node.props}, recorded.get(node.id))
            rows.append((node.id, dataset_id, before))
        self._db.executemany("INSERT INTO node_sources VALUES (?, ?, ?) ON CONFLICT (node, dataset) DO UPDATE SET before = excluded.before", rows)

    def _record_rels(self, dataset_id: str, batch: list[Relationship], empty: bool) -> None:
        stored: dict[tuple, dict] = {}
        recorded: dict[tuple, str | None] = {}
        if not empty:
            for rel in batch:  # by primary key, one lookup each
                row = self._db.execute("SELECT props FROM rels WHERE type = ? AND source = ? AND target = ? AND key = ?", rel.identity).fetchone()
                if row is not None:
                    stored[rel.identity] = json.loads(row[0])
                    mine = self._db.execute("SELECT before FROM rel_sources WHERE type = ? AND source = ? AND target = ? AND key = ? AND dataset = ?",
                                            (*rel.identity, dataset_id)).fetchone()
                    if mine is not None:
                        recorded[rel.identity] = mine[0]
        rows = []
        for rel in batch:
            if rel.identity in recorded and recorded[rel.identity] is None:
                continue
            held = stored.get(rel.identity)
            before = None if held is None else changes(held, rel.props, recorded.get(rel.identity))
            rows.append((*rel.identity, dataset_id, before))
        self._db.executemany("INSERT INTO rel_sources VALUES (?, ?, ?, ?, ?, ?)"
                             " ON CONFLICT (type, source, target, key, dataset) DO UPDATE SET before = excluded.before", rows)

    def _datasets(self) -> list[Dataset]:
        rows = self._db.execute("SELECT id, source, kind, loaded_at, hash, nodes, relationships FROM datasets ORDER BY seq")
        return [Dataset(*row) for row in rows]

    def _sources(self, ids: Iterable[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for batch in _batched(sorted(set(ids)), _MAX_PARAMS):
            marks = ",".join("?" * len(batch))
            for node_id in self._db.execute(f"SELECT id FROM nodes WHERE id IN ({marks})", batch):
                found[node_id[0]] = []
            sql = (f"SELECT s.node, s.dataset FROM node_sources s JOIN datasets d ON d.id = s.dataset"
                   f" WHERE s.node IN ({marks}) ORDER BY s.node, d.seq")
            for node_id, dataset_id in self._db.execute(sql, batch):
                found.setdefault(node_id, []).append(dataset_id)
        return found

    def _unload(self, dataset_id: str) -> UnloadSummary:
        with self._write_lock() as db:
            if db.execute("SELECT 1 FROM datasets WHERE id = ?", (dataset_id,)).fetchone() is None:
                raise StoreError(unknown_dataset(dataset_id, [row[0] for row in db.execute("SELECT id FROM datasets")]))
            kept: list[str] = []
            counts = dict(removed_nodes=0, removed_relationships=0, shared_nodes=0, shared_relationships=0, reverted=0)
            # relationships first: a node is then needed only by relationships that stay
            rel_rows = db.execute("SELECT type, source, target, key, before FROM rel_sources WHERE dataset = ?", (dataset_id,)).fetchall()
            db.execute("DELETE FROM rel_sources WHERE dataset = ?", (dataset_id,))
            for *identity, before in rel_rows:
                key_clause = "type = ? AND source = ? AND target = ? AND key = ?"
                if db.execute(f"SELECT 1 FROM rel_sources WHERE {key_clause}", identity).fetchone() is None:
                    db.execute(f"DELETE FROM rels WHERE {key_clause}", identity)
                    counts["removed_relationships"] += 1
                    continue
                counts["shared_relationships"] += 1
                row = db.execute(f"SELECT props FROM rels WHERE {key_clause}", identity).fetchone()
                if row is None:
                    continue
                props, reverted = revert(json.loads(row[0]), before, f"{identity[0]} {identity[1]} → {identity[2]}", dataset_id, kept)
                counts["reverted"] += reverted
                if reverted:
                    db.execute(f"UPDATE rels SET props = ? WHERE {key_clause}", (_dumps(props), *identity))
            node_rows = db.execute("SELECT node, before FROM node_sources WHERE dataset = ?", (dataset_id,)).fetchall()
            db.execute("DELETE FROM node_sources WHERE dataset = ?", (dataset_id,))
            for node_id, before in node_rows:
                row = db.execute("SELECT label, name, props FROM nodes WHERE id = ?", (node_id,)).fetchone()
                if row is None:
                    continue
                label, name, props = row[0], row[1], json.loads(row[2])
                if db.execute("SELECT 1 FROM node_sources WHERE node = ?", (node_id,)).fetchone() is None:
                    needed = db.execute(
                        "SELECT count(*) FROM rels r WHERE (r.source = ? OR r.target = ?) AND EXISTS (SELECT 1 FROM rel_sources s"
                        " WHERE s.type = r.type AND s.source = r.source AND s.target = r.target AND s.key = r.key)", (node_id, node_id)).fetchone()[0]
                    if needed:
                        kept.append(f"{label} {node_id}: kept, {needed} relationship(s) of other datasets need it")
                        continue
                    db.execute("DELETE FROM rels WHERE source = ? OR target = ?", (node_id, node_id))
                    db.execute("DELETE FROM nodes WHERE id = ?", (node_id,))
                    counts["removed_nodes"] += 1
                    continue
                counts["shared_nodes"] += 1
                values, reverted = revert({NAME_KEY: name, **props}, before, f"{label} {node_id}", dataset_id, kept)
                counts["reverted"] += reverted
                if reverted:
                    name = values.pop(NAME_KEY)
                    node = Node(label, node_id, name, values)
                    db.execute("UPDATE nodes SET name = ?, props = ?, search = ?, names = ? WHERE id = ?",
                               (name, _dumps(values), search_text(node), folded_names(node), node_id))
            db.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))
            self._bump_version()
        return UnloadSummary(dataset_id, kept=tuple(kept), **counts)

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the write lock (:meth:`_begin_immediate`), committed when
        the block ends and rolled back on any error."""
        db = self._db
        try:
            self._begin_immediate()
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _begin_immediate(self) -> None:
        """Take the write lock (waiting for another writer up to the connection's timeout; then
        StoreBusy, by _Connection)."""
        self._db.execute("BEGIN IMMEDIATE")

    def _refuse_other_labels(self, batch: list[Node]) -> None:
        """StoreError for a node whose id the store holds under another label: the upsert would
        silently turn a Stage into an Enterprise, keeping the Stage's relationships."""
        ids = [n.id for n in batch]
        stored = dict(self._db.execute(f"SELECT id, label FROM nodes WHERE id IN ({','.join('?' * len(ids))})", ids))
        for node in batch:
            other = stored.get(node.id)
            if other is not None and other != node.label:
                raise StoreError(f"id {node.id!r} is {a_kind(other)} in the store and cannot also be {a_kind(node.label)}: "
                                 "ids are unique across kinds")

    def _secondary_indexes(self) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the indexes on nodes and rels other than their keys."""
        return self._db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('nodes', 'rels') AND sql IS NOT NULL ORDER BY name"
        ).fetchall()

    def _bump_version(self) -> None:
        self._db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")

    def set_properties(self, values: dict[str, dict]) -> None:
        with self._write_lock() as db:
            for batch in _batched(values.items(), _MAX_PARAMS):
                ids = [node_id for node_id, _ in batch]
                current = {
                    row[0]: (row[1], row[2], json.loads(row[3]))
                    for row in db.execute(
                        f"SELECT id, label, name, props FROM nodes WHERE id IN ({','.join('?' * len(ids))})", ids
                    )
                }
                missing = [i for i in ids if i not in current]
                if missing:
                    raise StoreError(f"cannot set properties of unknown nodes: {', '.join(missing[:5])}")
                changed = [(i, {**current[i][2], **props}) for i, props in batch]
                db.executemany(
                    "UPDATE nodes SET props = ?, names = ? WHERE id = ?",
                    [(_dumps(p), folded_names(Node(current[i][0], i, current[i][1], p)), i) for i, p in changed],
                )
            self._bump_version()

    # -- reading ---------------------------------------------------------------------------
    def version(self) -> str:
        rows = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN ('store_id', 'version')"))
        return f"{rows['store_id']}:{rows['version']}"

    @contextlib.contextmanager
    def reading(self) -> Iterator[SqliteStore]:
        # A connection of its own in one read transaction: the shared connection serves other
        # threads' statements, which must not run inside this snapshot. A write waits for the
        # transaction to end before it commits (the rollback journal's shared lock), so what
        # this reads is one version however long the report takes.
        if str(self.path) == ":memory:":  # another connection would be another, empty database
            yield self
            return
        view = SqliteStore.__new__(SqliteStore)
        view.path, view.uri = self.path, self.uri
        try:
            view._db = _connect(self.path, self._db.wait)
            view._db.execute("BEGIN")
            view.version()  # the first read takes the shared lock: from here on, this version
        except sqlite3.DatabaseError as error:
            raise StoreUnavailable(f"{self.path} cannot be read: {error}") from None
        try:
            yield view
        finally:
            with contextlib.suppress(sqlite3.Error):
                view._db.execute("COMMIT")
            view._db.close()

    def peek_version(self) -> str:
        # its own connection, waiting on no lock: the shared one may be held by a long read, or
        # waiting on a load's lock itself
        probe = _connect(self.path, 0.0)
        try:
            rows = dict(probe.execute("SELECT key, value FROM meta WHERE key IN ('store_id', 'version')"))
        finally:
            probe.close()
        return f"{rows['store_id']}:{rows['version']}"

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        nodes = dict(self._db.execute("SELECT label, count(*) FROM nodes GROUP BY label"))
        rels = dict(self._db.execute("SELECT type, count(*) FROM rels GROUP BY type"))
        return nodes, rels

    @staticmethod
    def _node(row) -> Node:
        return Node(row[1], row[0], row[2], json.loads(row[3]))

    def nodes(self, labels: Iterable[str] | None = None, ids: Iterable[str] | None = None) -> Iterator[Node]:
        where, params = [], []
        if labels is not None:
            labels = [check_label(label) for label in labels]
            where.append(f"label IN ({','.join('?' * len(labels))})")
            params.extend(labels)
        query = "SELECT id, label, name, props FROM nodes"
        if ids is None:
            sql = query + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
            yield from map(self._node, self._db.execute(sql, params))
            return
        for batch in _batched(sorted(set(ids)), _MAX_PARAMS - len(params)):
            clause = where + [f"id IN ({','.join('?' * len(batch))})"]
            sql = f"{query} WHERE {' AND '.join(clause)} ORDER BY id"
            yield from map(self._node, self._db.execute(sql, params + batch))

    @staticmethod
    def _rel(row) -> Relationship:
        return Relationship(row[0], row[1], row[2], row[3], json.loads(row[4]))

    def relationships(self, types: Iterable[str] | None = None) -> Iterator[Relationship]:
        sql = "SELECT type, source, target, key, props FROM rels"
        params: list[str] = []
        if types is not None:
            params = [check_rel_type(t) for t in types]
            sql += f" WHERE type IN ({','.join('?' * len(params))})"
        yield from map(self._rel, self._db.execute(sql + " ORDER BY type, source, target, key", params))

    def incident(self, ids: Iterable[str], types: Iterable[str] | None = None) -> list[Relationship]:
        type_list = [check_rel_type(t) for t in types] if types else None
        type_clause = f" AND type IN ({','.join('?' * len(type_list))})" if type_list else ""
        found: dict[tuple, Relationship] = {}
        for batch in _batched(sorted(set(ids)), 10_000):
            marks = ",".join("?" * len(batch))
            for end in ("source", "target"):
                sql = f"SELECT type, source, target, key, props FROM {_by_end(end, type_list)} ({marks}){type_clause}"
                for row in self._db.execute(sql, batch + (type_list or [])):
                    rel = self._rel(row)
                    found[rel.identity] = rel
        return sorted(found.values(), key=lambda r: r.identity)

    def projection_columns(self, labels: Iterable[str], types: Iterable[str]) -> ProjectionColumns:
        labels = [check_label(label) for label in labels]
        types = [check_rel_type(t) for t in types]
        rows = self._db.execute(
            f"SELECT id, label, name, json_extract(props, '$.region'), num FROM nodes"
            f" WHERE label IN ({','.join('?' * len(labels))}) ORDER BY id",
            labels,
        ).fetchall()
        ids = [row[0] for row in rows]
        positions = _Positions(self._db, list(map(itemgetter(4), rows)))
        # projection_weight in SQL: the weights travel as numbers, never as parsed props dicts;
        # the ends as the nodes' numbers (hashing the ids in Python cost twice as much)
        rels = self._db.execute(
            f"SELECT ifnull(source_num, -1), ifnull(target_num, -1), {_PROJECTION_WEIGHT} FROM rels"
            f" WHERE type IN ({','.join('?' * len(types))})"
            " ORDER BY type, source, target, key",  # relationships()' order: weights add up in the same order
            types,
        ).fetchall()
        import numpy as np  # here: a load, a search or a stats call never needs it

        source = positions[np.fromiter(map(itemgetter(0), rels), dtype=np.int64, count=len(rels))]
        target = positions[np.fromiter(map(itemgetter(1), rels), dtype=np.int64, count=len(rels))]
        weight = np.fromiter(map(itemgetter(2), rels), dtype=np.float64, count=len(rels))
        inside = (source >= 0) & (target >= 0)
        if not inside.all():
            source, target, weight = source[inside], target[inside], weight[inside]
        return ProjectionColumns(
            ids=ids,
            labels=[row[1] for row in rows],
            names=[row[2] for row in rows],
            regions=[row[3] for row in rows],
            source=source,
            target=target,
            weight=weight,
        )

    def _search_candidates(self, query: str, label: str | None) -> list[Node]:
        sql = "SELECT id, label, name, props FROM nodes WHERE instr(search, ?) > 0"
        params = [query]
        if label:
            sql += " AND label = ?"
            params.append(label)
        return [self._node(row) for row in self._db.execute(sql, params)]

    def close(self) -> None:
        self._db.close()


# The relationships with both ends among the ids of a JSON array (?1, any number of them): found
# on the covering source index first, both ends checked there, and only those read whole by
# their key (a hub's other links never reach the table, let alone Python).
_AMONG = ("(SELECT r.type t, r.source s, r.target g, r.key k FROM json_each(?1) j CROSS JOIN rels r INDEXED BY rels_source"
          " ON r.source = j.value WHERE r.target IN (SELECT value FROM json_each(?1)))"
          " CROSS JOIN rels r ON r.type = t AND r.source = s AND r.target = g AND r.key = k")


class SqliteQueries(Queries):
    """The report queries pushed down into SQL, one query each; :class:`graph.store.queries.Queries`
    is the reference the store contract suite holds them to."""

    store: SqliteStore

    def id_labels(self) -> dict[str, str]:
        return dict(self.store._db.execute("SELECT id, label FROM nodes"))

    def stage_rows(self, ids: Iterable[str] | None = None) -> list[tuple[str, str, object]]:
        sql = "SELECT id, name, json_extract(props, '$.tier'), json_type(props, '$.tier') FROM nodes WHERE label = 'Stage'"
        if ids is None:
            found = self.store._db.execute(sql + " ORDER BY id").fetchall()
        else:  # by the primary key, the ids as one JSON array (any number of them)
            found = self.store._db.execute(
                "SELECT n.id, n.name, json_extract(n.props, '$.tier'), json_type(n.props, '$.tier')"
                " FROM json_each(?1) j CROSS JOIN nodes n ON n.id = j.value WHERE n.label = 'Stage'",
                (json.dumps(sorted(set(ids))),)).fetchall()
            found.sort()
        # a tier that is not a scalar (it should be a word) comes back as JSON text: decoded, as the reference has it
        return [(i, name, json.loads(tier) if kind in ("array", "object") else tier) for i, name, tier, kind in found]

    def stage_links(self, type: str) -> list[tuple[str, str]]:
        # the primary key gives the links in order; each end's label by its key
        sql = ("SELECT r.source, r.target FROM rels r CROSS JOIN nodes a ON a.id = r.source CROSS JOIN nodes b ON b.id = r.target"
               " WHERE r.type = ? AND a.label = 'Stage' AND b.label = 'Stage' ORDER BY r.type, r.source, r.target, r.key")
        return self.store._db.execute(sql, (check_rel_type(type),)).fetchall()

    def named(self, folded: str, labels: Iterable[str] | None = None) -> list[Node]:
        # the names column holds each node's folded names one a line: an exact line is a match
        if not folded or "\n" in folded:
            return []
        sql = "SELECT id, label, name, props FROM nodes WHERE instr(names, ?) > 0"
        params = ["\n" + folded + "\n"]
        if labels:
            label_list = [check_label(label) for label in labels]
            sql += f" AND label IN ({','.join('?' * len(label_list))})"
            params += label_list
        return sorted((self.store._node(row) for row in self.store._db.execute(sql, params)), key=lambda n: n.id)

    def incident_keys(self, ids: Iterable[str], types: Iterable[str] | None = None) -> set[tuple[str, str, str, str]]:
        type_list = [check_rel_type(t) for t in types] if types else None
        type_clause = f" AND type IN ({','.join('?' * len(type_list))})" if type_list else ""
        found: set[tuple[str, str, str, str]] = set()
        for batch in _batched(sorted(set(ids)), 10_000):
            marks = ",".join("?" * len(batch))
            for end in ("source", "target"):
                sql = f"SELECT type, source, target, key FROM {_by_end(end, type_list)} ({marks}){type_clause}"
                found.update(self.store._db.execute(sql, batch + (type_list or [])))
        return found

    def ring_counts(self, ids: Iterable[str]) -> RingCounts:
        # counted in SQL, by the source and target indexes (each holds the whole key of a
        # WITHOUT ROWID table): nothing but the counts crosses into Python. The ids go in as one
        # JSON array, so any number of them is one statement each.
        wanted = json.dumps(sorted(set(ids)))
        db = self.store._db
        outgoing = "FROM json_each(?1) j CROSS JOIN rels r ON r.source = j.value"
        incoming = "FROM json_each(?1) j CROSS JOIN rels r ON r.target = j.value"
        # each node's distinct neighbours counted by its own two index ranges: many small sets
        # instead of one sort of every relationship around the ids (twice as fast on a hub's ring)
        degrees = {node: n for node, n in db.execute(
            "SELECT j.value, (SELECT COUNT(*) FROM (SELECT target FROM rels WHERE source = j.value"
            " UNION SELECT source FROM rels WHERE target = j.value)) FROM json_each(?1) j", (wanted,)) if n}
        # a relationship with both ends among the ids is counted from its source only
        (rels,) = db.execute(f"SELECT (SELECT COUNT(*) {outgoing}) + (SELECT COUNT(*) {incoming}"
                             " WHERE r.source NOT IN (SELECT value FROM json_each(?1)))", (wanted,)).fetchone()
        (nodes,) = db.execute(f"SELECT COUNT(*) FROM (SELECT r.target {outgoing} UNION SELECT r.source {incoming}"
                              " UNION SELECT value FROM json_each(?1))", (wanted,)).fetchone()
        return RingCounts(degrees, rels, nodes)

    def relationships_among(self, ids: Iterable[str]) -> list[Relationship]:
        # both ends checked in SQL (the ids as one JSON array, any number of them): a hub's
        # other links never become Python tuples, let alone parsed properties
        sql = f"SELECT r.type, r.source, r.target, r.key, r.props FROM {_AMONG}"
        found = [self.store._rel(row) for row in self.store._db.execute(sql, (json.dumps(sorted(set(ids))),))]
        return sorted(found, key=lambda r: r.identity)

    def links_among(self, ids: Iterable[str]) -> list[Link]:
        # the strength worked out in SQL (numbers only, as tie_strength reads them): no row's
        # properties are parsed in Python; sorted in SQL (byte order of UTF-8 = code-point order)
        number = "CASE WHEN json_type(r.props, '$.{0}') IN ('integer', 'real') THEN CAST(json_extract(r.props, '$.{0}') AS REAL) END"
        sql = (f"SELECT r.type, r.source, r.target, r.key, COALESCE({number.format('volume')}, {number.format('weight')}, 1.0)"
               f" FROM {_AMONG} ORDER BY 1, 2, 3, 4")
        return list(map(Link._make, self.store._db.execute(sql, (json.dumps(sorted(set(ids))),))))

    def operations(self, *, regions: Iterable[str] | None = None, stages: Iterable[str] | None = None) -> list[Operation]:
        # One join instead of pulling every OPERATES_IN relationship. With regions, the
        # enterprises come first, found by the nodes_region expression index (CROSS JOIN fixes
        # that order; the + keeps the planner off the label index); stores made before the index
        # existed scan the nodes instead.
        columns = f"SELECT r.source, r.target, json_extract(n.props, '$.region'), {_CAPACITY.format(props='r.props')}, json_extract(r.props, '$.unit')"
        region_params: list[str] = []
        if regions is None:
            base = columns + " FROM rels r JOIN nodes n ON n.id = r.source AND n.label = 'Enterprise' WHERE r.type = 'OPERATES_IN'"
        else:
            region_params = sorted(set(regions))
            base = (
                columns + " FROM nodes n CROSS JOIN rels r ON r.source = n.id AND r.type = 'OPERATES_IN'"
                f" WHERE +n.label = 'Enterprise' AND json_extract(n.props, '$.region') IN ({','.join('?' * len(region_params))})"
            )
        stage_batches = [None] if stages is None else list(_batched(sorted(set(stages)), _MAX_PARAMS - len(region_params)))
        found = []
        for batch in stage_batches:
            sql, params = base, list(region_params)
            if batch is not None:
                sql += f" AND r.target IN ({','.join('?' * len(batch))})"
                params += batch
            # sorted by (stage, enterprise) in SQL, ties in relationships() order (byte order of
            # UTF-8 = code-point order; stages in order batch after batch): a sort in Python by a
            # key tuple per row costs a national graph a tenth of a second more. Rows straight
            # into tuples (no Python call per row; capacity already REAL).
            rows = self.store._db.execute(sql + " ORDER BY r.target, r.source, r.key", params)
            found.extend(map(partial(tuple.__new__, Operation), rows))
        return found

    def stage_firms(self, stages: Iterable[str], *, exclude_regions: Iterable[str] = ()) -> list[StageFirm]:
        # The OPERATES_IN rows come by the rels_target index, then each enterprise by its key
        # (CROSS JOIN fixes that order: left alone, the planner walks every enterprise by the
        # label index instead, ten times slower). Only the properties asked for leave the JSON,
        # numbers only, as base._capacity reads them; rows come out as StageFirm wants them.
        number = "CASE WHEN json_type(n.props, '$.{0}') IN ('integer', 'real') THEN CAST(json_extract(n.props, '$.{0}') AS REAL) END"
        sql = (
            f"SELECT r.target, r.source, n.name, json_extract(n.props, '$.region'), {number.format('revenue_cny')}, {number.format('employees')}"
            " FROM rels r CROSS JOIN nodes n ON n.id = r.source AND +n.label = 'Enterprise'"
            " WHERE r.type = 'OPERATES_IN' AND r.target IN ({marks})"
            " ORDER BY r.target, r.source"  # byte order of UTF-8 = Python's code-point order
        )
        excluded = set(exclude_regions)
        found: list[StageFirm] = []
        # stages in id order, batch after batch: the rows come out sorted as a whole
        for batch in _batched(sorted(set(stages)), _MAX_PARAMS):
            rows = self.store._db.execute(sql.format(marks=",".join("?" * len(batch))), batch)
            found.extend(map(StageFirm._make, (row for row in rows if row[3] not in excluded) if excluded else rows))
        return found

    def links(self, types: Iterable[str]) -> list[tuple[str, str, str, str]]:
        types = [check_rel_type(t) for t in types]
        if not types:
            return []
        # the primary key covers it: no row's properties are read
        sql = f"SELECT type, source, target, key FROM rels WHERE type IN ({','.join('?' * len(types))}) ORDER BY type, source, target, key"
        return self.store._db.execute(sql, types).fetchall()

    def coded_links(self, type: str, ids: Iterable[str]) -> CodedLinks:
        # ends coded from the nodes' numbers, never hashed as strings in Python; SQLite groups by
        # the primary key (type, source, target, key) and joins each source's target numbers and
        # keys into one string each, cut apart in C (a tuple per relationship costs twice as much)
        import numpy as np

        wanted = _sorted_distinct(ids)
        db = self.store._db
        positions = _Positions.of_ids(db, wanted)
        # (a source's number is the same on all its rows; group_concat leaves a NULL out, which
        # the count of numbers then shows; ifnull() on every row would cost as much as the rest)
        rows = db.execute(
            f"SELECT source_num, count(*), group_concat(target_num), group_concat(key, '{_SEP}')"
            " FROM rels WHERE type = ? GROUP BY source ORDER BY source", (check_rel_type(type),)).fetchall()
        sources, targets = list(map(itemgetter(0), rows)), list(map(itemgetter(2), rows))
        if None in sources or None in targets:  # an end not in the store: the reference codes it
            return super().coded_links(type, wanted)
        counts = np.fromiter(map(itemgetter(1), rows), dtype=np.int64, count=len(rows))
        source = positions[np.repeat(np.array(sources, dtype=np.int64), counts)]
        target = positions[np.fromstring(",".join(targets), dtype=np.int64, sep=",")]
        keys = _SEP.join(map(itemgetter(3), rows)).split(_SEP) if rows else []
        # an end outside the ids or not in the store, or a key holding the separator (cut apart
        # wrongly): the reference codes them
        if len(keys) != len(source) or len(target) != len(source) or (source < 0).any() or (target < 0).any():
            return super().coded_links(type, wanted)
        return CodedLinks(wanted, source, target, keys)

    def coded_operations(self, ids: list[str], *, regions: Iterable[str] | None = None) -> CodedOperations:
        if regions is not None:  # the region's index finds its few enterprises first (operations)
            return super().coded_operations(ids, regions=regions)
        # no join to the enterprises (a label is checked by their positions, their regions are
        # not asked for): half the cost of operations(). Few ids are looked up on the primary
        # key (type, source, ...); many (a bottlenecks report's every enterprise) cost less in one scan.
        import numpy as np

        db = self.store._db
        ids = list(ids)
        positions = _Positions.of_ids(db, ids, "Enterprise")
        columns = f"SELECT r.source_num, r.target, {_CAPACITY.format(props='r.props')}, json_extract(r.props, '$.unit')"
        enterprises = db.execute("SELECT count(*) FROM nodes WHERE label = 'Enterprise'").fetchone()[0]
        if 8 * len(ids) < enterprises:
            rows = db.execute(columns + " FROM (SELECT DISTINCT value FROM json_each(?1)) j CROSS JOIN rels r ON r.source = j.value AND r.type = 'OPERATES_IN'"
                              " WHERE r.source_num IS NOT NULL ORDER BY r.target, r.source, r.key", (json.dumps(ids),)).fetchall()
        else:
            rows = db.execute(columns + " FROM rels r WHERE r.type = 'OPERATES_IN' AND r.source_num IS NOT NULL"
                              " ORDER BY r.target, r.source, r.key").fetchall()
        firm = positions[np.fromiter(map(itemgetter(0), rows), dtype=np.int64, count=len(rows))]
        if not (firm >= 0).all():  # an operation of a node that is no enterprise among the ids
            rows = list(compress(rows, (firm >= 0).tolist()))
            firm = firm[firm >= 0]
        return CodedOperations(firm, list(map(itemgetter(1), rows)), list(map(itemgetter(2), rows)), list(map(itemgetter(3), rows)))

    def enterprises_in(self, stages: Iterable[str]) -> set[str]:
        # identities only, by the rels_target index: the operations with their regions and
        # capacities took a 1M-relationship graph's gaps report 0.70 s for what this reads in 0.17
        found: set[str] = set()
        for batch in _batched(sorted(set(stages)), _MAX_PARAMS):
            sql = ("SELECT DISTINCT r.source FROM rels r JOIN nodes n ON n.id = r.source AND n.label = 'Enterprise'"
                   f" WHERE r.type = 'OPERATES_IN' AND r.target IN ({','.join('?' * len(batch))})")
            found.update(row[0] for row in self.store._db.execute(sql, batch))
        return found

    def enterprise_tags(self) -> dict[str, object]:
        # only the tags leave the JSON, as JSON text (``->``: one parse per node, where json_type
        # and json_extract took two more), and every value is decoded in one json.loads: one call
        # per enterprise cost 0.5 s of a 1M-relationship graph's gaps report. A list, a text or
        # any other value (a number, true, null) comes out as the node's JSON holds it. Before
        # SQLite 3.38 (Ubuntu 22.04's 3.37, older Pythons' own) there is no ``->``: a tagged
        # enterprise's whole JSON is read, and its tags taken from it.
        if _JSON_ARROW:
            sql = "SELECT id, props -> '$.tags' FROM nodes WHERE label = 'Enterprise' ORDER BY id"
        else:
            sql = "SELECT id, props FROM nodes WHERE label = 'Enterprise' AND json_type(props, '$.tags') IS NOT NULL ORDER BY id"
        rows = [row for row in self.store._db.execute(sql) if row[1] is not None]
        values = json.loads("[" + ",".join(map(itemgetter(1), rows)) + "]")
        return dict(zip(map(itemgetter(0), rows), values if _JSON_ARROW else [props["tags"] for props in values]))

    def enterprise_ids(self, regions: Iterable[str]) -> set[str]:
        # the nodes_region expression index finds them (the + keeps the planner off the label index)
        found: set[str] = set()
        for batch in _batched(sorted(set(regions)), _MAX_PARAMS):
            sql = f"SELECT id FROM nodes WHERE +label = 'Enterprise' AND json_extract(props, '$.region') IN ({','.join('?' * len(batch))})"
            found.update(row[0] for row in self.store._db.execute(sql, batch))
        return found


SqliteStore._queries = SqliteQueries
