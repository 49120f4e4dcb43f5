"""The shared store: a Neo4j (or any Bolt + Cypher) server, through the official driver.

It behaves exactly like :class:`graph.store.sqlite.SqliteStore` — the same contract test suite
runs against both — so the rest of the tool never knows which one it has.

How the graph sits in the server: a node is a node with one label from the allow-list and the
properties ``id``, ``name`` and its props as native properties; a relationship carries ``key``
and its props (a prop itself named ``key`` stored as ``~key``). One ``_ChainxMeta`` node holds the store's identity and version counter; it is
never reported as part of the graph.

Provenance lives on the graph itself, so that a load writes it in the same UNWIND batches as the
data: every node and relationship carries ``~sources``, the ids of the datasets that state it, and,
where a dataset changed one the store already held, ``~before``, a JSON map {dataset id: what it
changed} (graph.store.base.changes). A node's own property whose name starts with ``~`` is
stored with one more ``~`` (as a relationship's is), so neither name can be a data property.

Cypher cannot take a label or a relationship type as a parameter, so those two — and only those,
always checked against :data:`graph.model.LABELS` / :data:`graph.model.REL_TYPES` — are written
into query text. Every value travels as a parameter.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from urllib.parse import urlsplit

import numpy as np

from graph.errors import StoreChanged, StoreError, StoreUnavailable
from graph.model import LABELS, GraphData, Node, Relationship, a_kind, check_label, check_rel_type

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
    fold,
    folded_names,
    name_forms,
    projection_weight,
    revert,
    search_text,
    unknown_dataset,
)
from .queries import CodedOperations, Operation, Queries, RingCounts, StageFirm, number_or_none

__all__ = ["Neo4jStore", "META_LABEL", "clear_database"]

log = logging.getLogger(__name__)
# The server's notifications are hints for whoever writes the queries: chainx's read every label
# chainx knows, and on a database without Parks each says "label Park does not exist", a wall of
# warnings on a user's terminal. Errors still show.
logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)

META_LABEL = "_ChainxMeta"
DATASET_LABEL = "_ChainxDataset"
_META_KEY = "graph"

# (uri, database) pairs whose constraints this process has already made sure of; constraints
# outlive connections, so a new store object on the same database need not ask again.
_schema_ready: set[tuple[str, str | None]] = set()
_schema_lock = threading.Lock()

# Into a graph that may hold them already, rows are written in three steps per batch: what is
# stored under their ids is read (without the properties sent along), new rows are created, and
# rows whose stored properties differ (by value and type, as the embedded store compares its
# JSON) are rewritten; SET n = row.props replaces the whole property map, as the embedded store
# replaces its JSON. A re-load that changes nothing costs one read per batch, where MERGE with a
# per-row comparison cost about four times as long on the ArcadeDB test server.
_STORED_NODES = """
UNWIND $ids AS i
MATCH (n:{label} {{id: i}})
RETURN n.id AS id, properties(n) AS props
"""
_REWRITE_NODES = """
UNWIND $rows AS row
MATCH (n:{label} {{id: row.id}})
SET n = row.props
"""
# Both ends by their index, then the relationship between them: ArcadeDB plans the one-pattern
# form, (a {id})-[r {key}]->(b {id}), as an expansion of every relationship of a (5x slower).
_STORED_RELS = """
UNWIND $rows AS row
MATCH (a:{source} {{id: row.source}})
MATCH (b:{target} {{id: row.target}})
MATCH (a)-[r:{type}]->(b) WHERE r.key = row.key
RETURN a.id AS source, b.id AS target, r.key AS key, properties(r) AS props
"""
_REWRITE_RELS = """
UNWIND $rows AS row
MATCH (a:{source} {{id: row.source}})
MATCH (b:{target} {{id: row.target}})
MATCH (a)-[r:{type}]->(b) WHERE r.key = row.key
SET r = row.props
"""
# New rows, and every row of a load into an empty graph (a first load, or after replace's delete),
# are created outright. Still inside the write's one transaction, so a failure leaves nothing
# behind; duplicates within the data are resolved before sending (the last row wins). A row
# travels as a list of plain values under the batch's property names (_create_rows), written into the
# CREATE by name: the server decodes no map keys, and a SET from a map of unknown keys would make
# it materialise the whole batch first (an Eager, as it cannot tell which properties it touches).
# A load into an empty graph finds a relationship's ends by the element ids their CREATE returned
# (a seek by id, not a lookup in the (label, id) index through this transaction's own changes to it).
_CREATE_NODES = """
UNWIND $rows AS row
CREATE (n:{label} {{{props}}}){rest}
RETURN count(*) AS written, collect(elementId(n)) AS created
"""
_CREATE_RELS = """
UNWIND $rows AS row
MATCH (a:{source} {{id: row[0]}})
MATCH (b:{target} {{id: row[1]}})
CREATE (a)-[r:{type} {{{props}}}]->(b){rest}
RETURN count(*) AS written, [] AS created
"""
_CREATE_RELS_BY_NODE = """
UNWIND $rows AS row
MATCH (a) WHERE elementId(a) = row[0]
MATCH (b) WHERE elementId(b) = row[1]
CREATE (a)-[r:{type} {{{props}}}]->(b){rest}
RETURN count(*) AS written, [] AS created
"""
# The first statement of every write: the version node's lock, held to the commit, so that
# chainx's writes to one database take turns (two loads into an empty graph would otherwise both
# create, and the second fail on the uniqueness constraint). Made here on the first write.
_LOCK = f"""
MERGE (m:{META_LABEL} {{key: $key}})
ON CREATE SET m.store_id = $store_id, m.version = 0, m.provenance = 1, m.names = 1
SET m.writing = true REMOVE m.writing
RETURN m.provenance AS provenance, m.names AS names
"""
# The version read under that lock, changing nothing (Neo4jStore.version)
_VERSION_LOCKED = f"""
MATCH (m:{META_LABEL} {{key: $key}})
SET m.reading = true REMOVE m.reading
RETURN m.store_id AS store_id, m.version AS version
"""
# Tries of one transaction on an error the driver calls retryable (a deadlock, a leader switch,
# a connection lost mid-way), each a new transaction from the start, after a growing pause.
ATTEMPTS = 3
RETRY_PAUSE = 0.2  # seconds before the second try; doubled before each next one
_BUMP_VERSION = f"""
MERGE (m:{META_LABEL} {{key: $key}})
ON CREATE SET m.store_id = $store_id, m.version = 0
SET m.version = m.version + 1
"""
# the columns of _rows' reads: what Neo4jStore._node and ._rel read from a row, and a
# relationship's identity (links, incident_keys)
_NODE_COLUMNS = ("label", "props")
_REL_COLUMNS = ("type", "source", "target", "props")
_KEY_COLUMNS = ("type", "source", "target", "key")
_SEARCH_WHERE = """
toLower(n.id) CONTAINS $q OR toLower(n.name) CONTAINS $q
OR toLower(toString(n.name_en)) CONTAINS $q
OR any(alias IN [] + coalesce(n.aliases, []) WHERE toLower(toString(alias)) CONTAINS $q)
"""


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# A property name written into a query's text as it is, between backticks: none that could end
# the quoting (a backtick, or a backslash: the parser reads \u0060 as one even there) or that
# the server refuses anyway (empty, NUL). Any other name's value travels in a map (_create_rows).
_PLAIN_NAME = re.compile(r"[^`\\\x00]+")


def _create_rows(maps: list[dict], ends: list[list], variable: str) -> tuple[dict[str, str], list[list]]:
    """How a batch of property ``maps`` to create travels (see _CREATE_NODES): the query's
    ``props``, the text of the CREATE's property map ``{`name`: row[i], …}``, and its ``rest``, a
    SET of ``variable`` that adds what the not-plain names hold (from a map last in each row) or
    nothing; and one row per map, its ``ends`` row (the values the query finds it by, from row[0])
    followed by its values under those names, None where it has none (CREATE leaves it out).

    >>> _create_rows([{"id": "a", "w": 1}, {"id": "b", "n`x": 2}], [[], []], "n")
    ({'props': '`id`: row[0], `w`: row[1]', 'rest': ' SET n += row[2]'}, [['a', 1, {}], ['b', None, {'n`x': 2}]])
    """
    names = list(dict.fromkeys(name for props in maps for name in props))
    plain = [name for name in names if _PLAIN_NAME.fullmatch(name)]
    first = len(ends[0]) if ends else 0
    text = {"props": ", ".join(f"`{name}`: row[{first + i}]" for i, name in enumerate(plain)), "rest": ""}
    if len(plain) == len(names):
        return text, [[*end, *map(props.get, plain)] for props, end in zip(maps, ends)]
    others = [name for name in names if not _PLAIN_NAME.fullmatch(name)]
    text["rest"] = f" SET {variable} += row[{first + len(plain)}]"
    return text, [[*end, *map(props.get, plain), {name: props[name] for name in others if name in props}]
                  for props, end in zip(maps, ends)]


class _Creation:
    """One batch of rows sent to be created (_CREATE_NODES, _CREATE_RELS…) and not yet answered.
    A transaction's queries run in the order sent and their answers can be read later, so the
    server creates this batch while chainx prepares the next one (a third of a load's time into
    an empty graph is chainx's own). ``ids``: the node ids whose element ids the answer lists."""

    def __init__(self, tx, query: str, rows: list[list], what: str):
        self.result = tx.run(query, {"rows": rows})
        self.expected, self.what = len(rows), what
        self.ids: list[str] | None = None

    def finish(self, created: dict[str, str] | None) -> None:
        """Read the answer: every row written, or the write fails; the element ids into ``created``."""
        record = self.result.single()
        written, element_ids = (record["written"], record["created"]) if record else (0, [])
        if written != self.expected:
            # only relationships can go missing: an end that is not in the graph
            raise StoreError(f"wrote {written} of {self.expected} {self.what}: some ends are not in the graph")
        if self.ids is not None and created is not None:
            created.update(zip(self.ids, element_ids))


def _finish(sent: list[_Creation], created: dict[str, str] | None) -> None:
    """Read the answers of every batch ``sent``, in order, and forget them."""
    for creation in sent:
        creation.finish(created)
    sent.clear()


def _last_of_each(rows: list[dict], *key: str) -> list[dict]:
    """``rows`` with one row per ``key`` value, the last one (as a run of MERGEs would leave it),
    in the order of their first appearance."""
    last = {tuple(row[k] for k in key): row for row in rows}
    if len(last) == len(rows):
        return rows
    return list(last.values())


def _same(stored, given) -> bool:
    """Whether a stored property value is ``given`` in value and in type (12 and 12.0 differ, as
    they do in the embedded store's JSON); lists compare element by element.

    >>> _same({"a": [1, "x"]}, {"a": (1, "x")}), _same({"n": 12}, {"n": 12.0}), _same(True, 1)
    (True, False, False)
    """
    if isinstance(stored, (list, tuple)) and isinstance(given, (list, tuple)):
        return len(stored) == len(given) and all(map(_same, stored, given))
    if isinstance(stored, dict) and isinstance(given, dict):
        return stored.keys() == given.keys() and all(_same(stored[k], given[k]) for k in stored)
    return type(stored) is type(given) and stored == given


def _stored_rel_props(props: dict, key: str) -> dict:
    """A relationship's property map as stored: its own ``key`` (what tells parallel relationships
    apart) under the name ``key``, and its data properties beside it, where one named ``key`` (or
    starting with ``~``) gets a leading ``~`` so that nothing is overwritten. :func:`_data_rel_props`
    undoes it.

    >>> _stored_rel_props({"key": "c7", "~x": 1, "volume": 2}, "pta")
    {'~key': 'c7', '~~x': 1, 'volume': 2, 'key': 'pta'}
    >>> _data_rel_props(_stored_rel_props({"key": "c7", "~x": 1, "volume": 2}, "pta"))
    ('pta', {'key': 'c7', '~x': 1, 'volume': 2})
    """
    stored = {("~" + name if name == "key" or name.startswith("~") else name): value for name, value in props.items()}
    stored["key"] = key
    return stored


def _data_rel_props(stored: dict) -> tuple[str, dict]:
    """(key, data properties) of a relationship's stored property map (see :func:`_stored_rel_props`)."""
    props = {name: value for name, value in stored.items() if name not in _RESERVED}
    key = props.pop("key", "") or ""
    return key, {(name[1:] if name.startswith("~") else name): value for name, value in props.items()}


# where a node or relationship keeps its provenance (see the module's docstring)
SOURCES = "~sources"
BEFORE = "~before"
_RESERVED = (SOURCES, BEFORE)
# every node's folded names (graph.store.base.folded_names), kept beside its data as the embedded
# store keeps its names column: found by a text index, a typed name reads one node, not all of them
NAMES = "~names"


def _stored_node_props(node: Node) -> dict:
    """A node's property map as stored: ``id``, ``name`` and its properties, one whose name
    starts with ``~`` given one more (see :func:`_data_node_props`).

    >>> _stored_node_props(Node("Stage", "s1", "纺纱", {"~x": 1, "step": 2}))
    {'~~x': 1, 'step': 2, 'id': 's1', 'name': '纺纱', '~names': '\\ns1\\n纺纱\\n'}
    """
    stored = {("~" + name if name.startswith("~") else name): value for name, value in node.props.items()}
    stored["id"], stored["name"] = node.id, node.name
    stored[NAMES] = folded_names(node)
    return stored


def _data_node_props(stored: dict) -> tuple[str, str, dict]:
    """(id, name, properties) of a node's stored property map, provenance and folded names left out.

    >>> _data_node_props({"~~x": 1, "id": "s1", "name": "纺纱", "~sources": ["a"], "~names": "\\ns1\\n纺纱\\n"})
    ('s1', '纺纱', {'~x': 1})
    """
    props = {name: value for name, value in stored.items() if name not in _RESERVED and name != NAMES}
    node_id, name = props.pop("id"), props.pop("name", "")
    return node_id, name or "", {(key[1:] if key.startswith("~") else key): value for key, value in props.items()}


def _provenance(stored: dict) -> tuple[list[str], dict[str, str]]:
    """(the datasets that state it, {dataset: its before record}) of a stored property map."""
    import json

    before = stored.get(BEFORE)
    return list(stored.get(SOURCES) or []), (json.loads(before) if before else {})


def _with_provenance(props: dict, sources: list[str], before: dict[str, str]) -> dict:
    """``props`` (a stored map without provenance) with these sources and before records."""
    import json

    out = dict(props)
    if sources:
        out[SOURCES] = sources
    if before:
        out[BEFORE] = json.dumps(before, ensure_ascii=False, sort_keys=True)
    return out


def _stated(stored: dict | None, given: dict, dataset_id: str | None, data_view) -> dict:
    """The full map to store for ``given`` (a stored map without provenance) over ``stored``
    (what the store holds, or None), stating it by ``dataset_id``: the stored provenance kept,
    the dataset added, and what its write changes recorded so that unloading it puts it back."""
    if stored is None:
        return _with_provenance(given, [dataset_id] if dataset_id else [], {})
    sources, before = _provenance(stored)
    if dataset_id is not None:
        if dataset_id not in sources:
            sources.append(dataset_id)
            before[dataset_id] = changes(data_view(stored), data_view(given), None)
        elif dataset_id in before:  # it did not create it: its first old values stand
            before[dataset_id] = changes(data_view(stored), data_view(given), before[dataset_id])
    return _with_provenance(given, sources, before)


def _node_view(stored: dict) -> dict:
    """A stored node map as a before record sees it: its properties, its name as NAME_KEY."""
    _, name, props = _data_node_props(stored)
    return {NAME_KEY: name, **props}


def _rel_view(stored: dict) -> dict:
    return _data_rel_props({k: v for k, v in stored.items() if k not in _RESERVED})[1]


def _union(template: str, labels: Iterable[str]) -> str:
    """One query over several labels: ``template`` per (allow-listed) label, UNION ALL.

    A label in the pattern lets the server use its (label, id) index, where ``MATCH (n)`` with
    a WHERE on the id would scan every node.
    """
    return "\nUNION ALL\n".join(template.format(label=check_label(label)) for label in labels)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _reason(error: Exception) -> str:
    """The useful part of a driver error: "Connection refused", not three lines of addresses."""
    text = str(error)
    found = re.search(r"\(reason ([^)]*)\)", text)
    if found:
        return re.sub(r"^\[Errno -?\d+\]\s*", "", found.group(1))
    return _one_line(getattr(error, "message", None) or text) or type(error).__name__


class Neo4jStore(GraphStore):
    """A graph in a Neo4j database reached over Bolt.

    The driver is created on first use (nothing connects at import or construction time) and is
    kept for the store's life; a server that goes away and comes back is picked up again by the
    next call. Every failure to reach the server is a :class:`StoreUnavailable` with one line.
    """

    def __init__(
        self,
        uri: str,
        *,
        user: str = "neo4j",
        password: str | None = None,
        database: str | None = None,
        batch_size: int = BATCH_SIZE,
        gds: bool = False,
    ):
        self.uri = uri
        self.user = user
        self.database = database or None
        self.batch_size = batch_size
        # centralities in the server by Graph Data Science, when it has it (graph/gds.py)
        self.gds = gds
        self._password = password
        self._driver = None
        self._driver_lock = threading.Lock()

    @classmethod
    def from_env(cls, uri: str) -> Neo4jStore:
        """The store at ``uri`` with the login from CHAINX_NEO4J_USER / _PASSWORD / _DATABASE;
        CHAINX_NEO4J_GDS=1 makes Graph Data Science its default centrality engine."""
        return cls(
            uri,
            user=os.environ.get("CHAINX_NEO4J_USER") or "neo4j",
            password=os.environ.get("CHAINX_NEO4J_PASSWORD"),
            database=os.environ.get("CHAINX_NEO4J_DATABASE") or None,
            gds=os.environ.get("CHAINX_NEO4J_GDS", "").strip().lower() in ("1", "true", "yes"),
        )

    def __repr__(self) -> str:
        return f"Neo4jStore({self.uri!r}, user={self.user!r}, database={self.database!r})"

    # -- connection and errors -----------------------------------------------------------
    def _get_driver(self):
        with self._driver_lock:
            if self._driver is None:
                import neo4j

                auth = (self.user, self._password) if self._password is not None else None
                try:
                    _ = urlsplit(self.uri).port  # a port that is not a number fails here, not mid-query
                    self._driver = neo4j.GraphDatabase.driver(
                        self.uri,
                        auth=auth,
                        connection_timeout=10,
                        connection_acquisition_timeout=30,
                        # Test every pooled connection before use: after a server restart the
                        # pool holds dead sockets, and a query must not be the one to find out.
                        liveness_check_timeout=0,
                    )
                except (ValueError, neo4j.exceptions.DriverError) as error:
                    raise StoreUnavailable(f"cannot use the Neo4j address {self.uri}: {_one_line(error)}") from None
            return self._driver

    @contextmanager
    def _errors(self):
        """Translate driver errors into the tool's own, one line each."""
        from neo4j import exceptions as ne

        where = f"the Neo4j server at {self.uri}"
        try:
            yield
        except ne.AuthError:
            hint = "" if self._password is not None else " (no password given: set CHAINX_NEO4J_PASSWORD)"
            raise StoreUnavailable(f"{where} refused the login for user {self.user!r}{hint}") from None
        except ne.IncompleteCommit as error:
            # the connection went between the commit sent and its answer: the server may have
            # committed (seen when it was stopped mid-load), so "it failed" would not be the truth
            raise StoreUnavailable(f"lost the connection to {where} as it committed: the write may or may not be in the store "
                                   f"({_reason(error)}). Running it again is safe: a load writes only what differs") from None
        except (ne.ServiceUnavailable, ne.SessionExpired) as error:
            raise StoreUnavailable(f"cannot reach {where}: {_reason(error)} — is it running?") from None
        except ne.TransientError as error:
            raise StoreUnavailable(f"{where} could not complete the operation, try again: {_reason(error)}") from None
        except ne.DatabaseError as error:
            # The server failed on its own side (ArcadeDB answers so to a query cut off by its
            # shutdown): no refusal of the request, so no 409 — and no query text in the message.
            raise StoreUnavailable(f"{where} failed while running the operation ({error.code}); is it shutting down? Try again") from None
        except ne.Neo4jError as error:
            if error.code == "Neo.ClientError.Database.DatabaseNotFound":
                raise StoreUnavailable(f"{where} has no database {self.database!r} (CHAINX_NEO4J_DATABASE)") from None
            if (error.code or "").startswith("Neo.ClientError.Security."):
                raise StoreUnavailable(f"{where} refused access for user {self.user!r}: {_reason(error)}") from None
            raise StoreError(f"{where} refused the operation: {_reason(error)}") from None
        except ne.DriverError as error:
            raise StoreUnavailable(f"cannot use {where}: {_reason(error)}") from None

    def _session(self):
        return self._get_driver().session(database=self.database)

    def _retrying(self, run):
        """``run()``, tried again up to :data:`ATTEMPTS` times in all while it fails with an error
        the driver calls retryable. Every try is a transaction of its own and every write is
        idempotent (it compares what is stored before it writes), so a commit that did land
        before its answer was lost is not applied twice."""
        from neo4j.exceptions import DriverError, Neo4jError

        for attempt in range(1, ATTEMPTS + 1):
            try:
                return run()
            except (DriverError, Neo4jError) as error:
                if attempt == ATTEMPTS or not error.is_retryable():
                    raise
                log.info("try %d of %d at %s failed, trying again: %s", attempt, ATTEMPTS, self.uri, _reason(error))
                time.sleep(RETRY_PAUSE * 2 ** (attempt - 1))

    def _read(self, query: str, **params) -> list:
        """Run one read query (in a read transaction, retried as :meth:`_retrying` says); the
        records as a list."""
        from neo4j import READ_ACCESS

        def run() -> list:
            # an explicit transaction: the driver's execute_read would retry on its own, for 30 s
            with self._get_driver().session(database=self.database, default_access_mode=READ_ACCESS) as session:
                with session.begin_transaction() as tx:
                    return list(tx.run(query, params))

        with self._errors():
            return self._retrying(run)

    def _rows(self, query: str, columns: Sequence[str], **params) -> list[dict]:
        """The rows of a read query that may return many, each a dict of ``columns`` (the names
        its RETURN gives), read as :meth:`_read` reads.

        They cross the wire as one list in one record: the driver spends some 25 µs of Python on
        each record it receives and a fraction of that on a list's item (the ids of a national
        chain's 95,558 stages: 2.9 s as records, 0.24 s as a list, and the server's CPU 2.5 s,
        0.4 s). The server holds the list until it is sent: about what the client holds after."""
        packed = f"CALL () {{\n{query}\n}}\nRETURN collect([{', '.join(columns)}]) AS rows"
        (record,) = self._read(packed, **params)
        return [dict(zip(columns, row)) for row in record["rows"]]

    def _write(self, work):
        """``work()`` — one :meth:`_transaction` — retried as :meth:`_retrying` says."""
        with self._errors():
            return self._retrying(work)

    @contextmanager
    def _transaction(self):
        """One explicit write transaction: committed when the block ends, rolled back on any
        error — and, by the server, when this process dies mid-way. It holds the version node's
        lock (see _LOCK) from its start. Not retried itself: :meth:`_write` retries a whole one."""
        from neo4j.exceptions import AuthError, ServiceUnavailable

        self._ensure_schema()
        with self._session() as session:  # errors translated by _write, after its retries
            tx = session.begin_transaction()
            try:
                locked = tx.run(_LOCK, {"key": _META_KEY, "store_id": uuid.uuid4().hex}).single()
                if locked is None or locked["provenance"] is None:
                    self._attribute_graph(tx)
                if locked is None or locked["names"] is None:
                    self._name_graph(tx)
                yield tx
                tx.commit()
            except BaseException as error:
                if not tx.closed():
                    try:
                        tx.rollback()
                    except Exception:  # the connection is gone: the server rolls back itself
                        pass
                if isinstance(error, AuthError):
                    # The login was accepted when the transaction began: a refusal now is a server
                    # going away (ArcadeDB's, shutting down, says so), not a wrong password.
                    raise ServiceUnavailable(f"the server ended the session mid-transaction ({error.code})") from None
                raise

    def _name_graph(self, tx) -> None:
        """Keep every node's folded names (NAMES) in a store written before chainx kept them, in
        the transaction that found it, under the lock; then mark the version node."""
        for label in LABELS:
            rows = [{"element": r["element"], "names": folded_names(self._node({"label": label, "props": r["props"]}))}
                    for r in tx.run(f"MATCH (n:{check_label(label)}) WHERE n.`{NAMES}` IS NULL RETURN elementId(n) AS element, properties(n) AS props")]
            for batch in _batched(rows, self.batch_size):
                tx.run(f"UNWIND $rows AS row MATCH (n) WHERE elementId(n) = row.element SET n.`{NAMES}` = row.names", {"rows": batch}).consume()
        tx.run(f"MATCH (m:{META_LABEL} {{key: $key}}) SET m.names = 1", {"key": _META_KEY}).consume()

    def _names_kept(self) -> bool:
        """Whether every node keeps its folded names (a store written before they were, and not
        written since, does not: it is read the reference way)."""
        records = self._read(f"MATCH (m:{META_LABEL} {{key: $key}}) RETURN m.names AS names", key=_META_KEY)
        return bool(records) and records[0]["names"] is not None

    def _attribute_graph(self, tx) -> None:
        """Record provenance in a store written before chainx recorded it on Neo4j (its version
        node has no ``provenance`` mark): every node and relationship without sources is
        attributed to the dataset BEFORE_PROVENANCE, as the embedded store does on opening
        one, so a later dataset's unload cannot take away what the old graph said. In the
        transaction that found it, under the lock."""
        nodes = sum(self._scalar(tx, f"MATCH (n:{check_label(label)}) WHERE n.`{SOURCES}` IS NULL"
                                     f" SET n.`{SOURCES}` = [$ds] RETURN count(*) AS c", ds=BEFORE_PROVENANCE) for label in LABELS)
        from graph.model import REL_TYPES

        rels = self._scalar(tx, f"MATCH ()-[r:{'|'.join(check_rel_type(t) for t in REL_TYPES)}]->() WHERE r.`{SOURCES}` IS NULL"
                                f" SET r.`{SOURCES}` = [$ds] RETURN count(*) AS c", ds=BEFORE_PROVENANCE)
        if nodes or rels:
            import datetime

            now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            self._record_dataset(tx, Dataset(BEFORE_PROVENANCE, self.uri, "before provenance", now, "", nodes, rels))
        tx.run(f"MATCH (m:{META_LABEL} {{key: $key}}) SET m.provenance = 1", {"key": _META_KEY}).consume()

    def _ensure_schema(self) -> None:
        """Uniqueness of (label, id), created on first use. Servers that lack a construct still
        work: MERGE keeps ids unique, only slower and without the guard."""
        if (self.uri, self.database) in _schema_ready:
            return
        from neo4j.exceptions import ClientError

        statements = (
            # Neo4j 4.4+, 5, and ArcadeDB's Bolt plugin
            "CREATE CONSTRAINT chainx_{lower}_{prop} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE",
            # Neo4j 4.1–4.3
            "CREATE CONSTRAINT chainx_{lower}_{prop} IF NOT EXISTS ON (n:{label}) ASSERT n.{prop} IS UNIQUE",
        )
        with self._errors(), self._session() as session:
            for label, prop in (*((label, "id") for label in LABELS), (META_LABEL, "key")):
                for statement in statements:
                    try:
                        session.run(statement.format(label=label, lower=label.lower(), prop=prop)).consume()
                        break
                    except ClientError as error:
                        if error.code in ("Neo.ClientError.Security.Unauthorized", "Neo.ClientError.Database.DatabaseNotFound"):
                            raise
                        if "AlreadyExists" in (error.code or ""):
                            break  # the same constraint under another name
                        last = error
                else:
                    log.warning("no uniqueness constraint on %s(%s): %s", label, prop, _reason(last))
            for label in LABELS:  # Neo4j 5's text index serves CONTAINS; a server without one scans
                try:
                    session.run(f"CREATE TEXT INDEX chainx_{label.lower()}_names IF NOT EXISTS FOR (n:{label}) ON (n.`{NAMES}`)").consume()
                except ClientError as error:
                    if error.code in ("Neo.ClientError.Security.Unauthorized", "Neo.ClientError.Database.DatabaseNotFound"):
                        raise
                    log.info("no text index on %s names: %s", label, _reason(error))
        with _schema_lock:
            _schema_ready.add((self.uri, self.database))

    # -- writing -------------------------------------------------------------------------
    def write(self, data: GraphData, *, replace: bool = False, progress: Progress | None = None,
              expect_version: str | None = None, dataset: Dataset | None = None) -> WriteSummary:
        return self._write(lambda: self._write_once(data, replace, progress, expect_version, dataset))

    # Provenance: one _ChainxDataset node per dataset (like the version node, outside chainx's
    # labels), and on every node and relationship the datasets that state it (see the module's docstring).
    def _datasets(self) -> list[Dataset]:
        rows = self._read(f"MATCH (d:{DATASET_LABEL}) RETURN d ORDER BY d.seq")
        return [Dataset(d["id"], d["source"], d["kind"], d["loaded_at"], d["content_hash"], d["nodes"], d["relationships"])
                for d in (record["d"] for record in rows)]

    def _sources(self, ids: Iterable[str]) -> dict[str, list[str]]:
        seq = {d.id: i for i, d in enumerate(self._datasets())}
        query = _union(f"UNWIND $ids AS i MATCH (n:{{label}} {{{{id: i}}}}) RETURN n.id AS id, n.`{SOURCES}` AS sources", LABELS)
        found: dict[str, list[str]] = {}
        for batch in _batched(sorted(set(ids)), self.batch_size):
            for record in self._rows(query, ("id", "sources"), ids=batch):
                found[record["id"]] = sorted(record["sources"] or [], key=lambda d: seq.get(d, len(seq)))
        return found

    def _unload(self, dataset_id: str) -> UnloadSummary:
        return self._write(lambda: self._unload_once(dataset_id))

    def _unload_once(self, dataset_id: str) -> UnloadSummary:
        from graph.model import REL_TYPES

        with self._transaction() as tx:  # under the version node's lock, as a load
            known = {r["id"]: r["nodes"] + r["relationships"]
                     for r in tx.run(f"MATCH (d:{DATASET_LABEL}) RETURN d.id AS id, d.nodes AS nodes, d.relationships AS relationships")}
            if dataset_id not in known:
                raise StoreError(unknown_dataset(dataset_id, list(known)))
            kept: list[str] = []
            counts = dict(removed_nodes=0, removed_relationships=0, shared_nodes=0, shared_relationships=0, reverted=0)
            params = {"ds": dataset_id}
            # relationships first: a node is then needed only by relationships that stay
            rels = list(tx.run(
                f"MATCH (a)-[r:{'|'.join(check_rel_type(t) for t in REL_TYPES)}]->(b) WHERE $ds IN r.`{SOURCES}`"
                " RETURN elementId(r) AS element, type(r) AS type, a.id AS source, b.id AS target, properties(r) AS props", params))
            nodes = list(tx.run(_union(f"MATCH (n:{{label}}) WHERE $ds IN n.`{SOURCES}` RETURN elementId(n) AS element,"
                                       " '{label}' AS label, properties(n) AS props", LABELS), params))
            if not rels and not nodes and known[dataset_id]:
                raise StoreError(f"{self.uri}: dataset {dataset_id!r} was loaded before chainx recorded on Neo4j which dataset states "
                                 "each node, so what it alone states is not known; load it again with --replace to record it. "
                                 "Nothing was changed")
            gone, rewritten = [], []
            for rel in rels:
                sources, before = _provenance(rel["props"])
                sources.remove(dataset_id)
                if not sources:
                    gone.append(rel["element"])
                    continue
                counts["shared_relationships"] += 1
                key, props = _data_rel_props(rel["props"])
                props, reverted = revert(props, before.pop(dataset_id, None), f"{rel['type']} {rel['source']} → {rel['target']}",
                                         dataset_id, kept)
                counts["reverted"] += reverted
                rewritten.append({"element": rel["element"], "props": _with_provenance(_stored_rel_props(props, key), sources, before)})
            counts["removed_relationships"] = len(gone)
            for batch in _batched(gone, self.batch_size):
                tx.run("UNWIND $elements AS e MATCH ()-[r]->() WHERE elementId(r) = e DELETE r", {"elements": batch}).consume()
            for batch in _batched(rewritten, self.batch_size):
                tx.run("UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.element SET r = row.props", {"rows": batch}).consume()
            alone = [node for node in nodes if _provenance(node["props"])[0] == [dataset_id]]
            # how many relationships another dataset states each node of this one alone has (after the step above)
            needed = {}
            for batch in _batched([node["element"] for node in alone], self.batch_size):
                needed.update((r["element"], r["needed"]) for r in tx.run(
                    "UNWIND $elements AS e MATCH (n) WHERE elementId(n) = e"
                    f" RETURN e AS element, COUNT {{ (n)-[r]-() WHERE size(coalesce(r.`{SOURCES}`, [])) > 0 }} AS needed",
                    {"elements": batch}))
            gone, rewritten = [], []
            for node in nodes:
                sources, before = _provenance(node["props"])
                sources.remove(dataset_id)
                node_id, name, props = _data_node_props(node["props"])
                what = f"{node['label']} {node_id}"
                if not sources:
                    if needed.get(node["element"]):
                        kept.append(f"{what}: kept, {needed[node['element']]} relationship(s) of other datasets need it")
                        rewritten.append({"element": node["element"], "props": _with_provenance(
                            {k: v for k, v in node["props"].items() if k not in _RESERVED}, [], {})})
                        continue
                    gone.append(node["element"])
                    continue
                counts["shared_nodes"] += 1
                values, reverted = revert({NAME_KEY: name, **props}, before.pop(dataset_id, None), what, dataset_id, kept)
                counts["reverted"] += reverted
                name = values.pop(NAME_KEY)
                rewritten.append({"element": node["element"],
                                  "props": _with_provenance(_stored_node_props(Node(node["label"], node_id, name, values)), sources, before)})
            counts["removed_nodes"] = len(gone)
            for batch in _batched(gone, self.batch_size):
                tx.run("UNWIND $elements AS e MATCH (n) WHERE elementId(n) = e DETACH DELETE n", {"elements": batch}).consume()
            for batch in _batched(rewritten, self.batch_size):
                tx.run("UNWIND $rows AS row MATCH (n) WHERE elementId(n) = row.element SET n = row.props", {"rows": batch}).consume()
            tx.run(f"MATCH (d:{DATASET_LABEL} {{id: $ds}}) DELETE d", params).consume()
            self._bump_version(tx)
        return UnloadSummary(dataset_id, kept=tuple(kept), **counts)

    def _record_dataset(self, tx, dataset: Dataset) -> None:
        tx.run(f"OPTIONAL MATCH (last:{DATASET_LABEL}) WITH coalesce(max(last.seq), 0) + 1 AS next"
               f" MERGE (d:{DATASET_LABEL} {{id: $id}}) ON CREATE SET d.seq = next"
               " SET d.source = $source, d.kind = $kind, d.loaded_at = $loaded_at, d.content_hash = $content_hash,"
               " d.nodes = $nodes, d.relationships = $relationships",
               dict(id=dataset.id, source=dataset.source, kind=dataset.kind, loaded_at=dataset.loaded_at,
                    content_hash=dataset.content_hash, nodes=dataset.nodes, relationships=dataset.relationships)).consume()

    def _write_once(self, data: GraphData, replace: bool, progress: Progress | None, expect_version: str | None = None,
                    dataset: Dataset | None = None) -> WriteSummary:
        by_label: dict[str, list[dict]] = defaultdict(list)
        for node in data.nodes:
            by_label[check_label(node.label)].append(
                {"id": node.id, "props": _stored_node_props(node)}
            )
        for rel in data.relationships:
            check_rel_type(rel.type)
        labels = data.label_of()
        done = 0
        changed = 0  # nodes and relationships whose data changed
        restated = 0  # and those whose provenance alone changed: a new version all the same
        dataset_id = dataset.id if dataset is not None else None
        with self._transaction() as tx:
            if expect_version is not None:
                self._check_version(tx, expect_version)
            if replace:
                changed += self._delete_graph(tx)
                tx.run(f"MATCH (d:{DATASET_LABEL}) DELETE d").consume()
            if dataset is not None:
                self._record_dataset(tx, dataset)
            create = replace or self._is_empty(tx)
            if not create:
                self._refuse_other_labels(tx, data.nodes)
            # into an empty graph: the element id of every node created, which its relationships are found by
            created: dict[str, str] | None = {} if create else None
            sent: list[_Creation] = []  # batches created and not yet answered (see _Creation)
            for label, rows in by_label.items():
                unique = _last_of_each(rows, "id")
                done += len(rows) - len(unique)  # duplicates count as written: the last one is
                for batch in _batched(unique, self.batch_size):
                    data_changes, provenance_changes = self._write_nodes(tx, label, batch, created, dataset_id, sent)
                    changed += data_changes
                    restated += provenance_changes
                    done += len(batch)
                    if progress:
                        progress(done)
            # grouped while the server creates the last node batches
            groups = self._relationship_groups(tx, data.relationships, labels)
            _finish(sent, created)
            for (rel_type, source, target), rows in groups.items():
                unique = _last_of_each(rows, "source", "target", "key")
                done += len(rows) - len(unique)
                for batch in _batched(unique, self.batch_size):
                    data_changes, provenance_changes = self._write_relationships(tx, (rel_type, source, target), batch, created,
                                                                                 dataset_id, sent)
                    changed += data_changes
                    restated += provenance_changes
                    done += len(batch)
                    if progress:
                        progress(done)
            _finish(sent, created)
            if changed or restated:
                self._bump_version(tx)
        return WriteSummary(len(data.nodes), len(data.relationships), bool(changed), replace)

    def _write_nodes(self, tx, label: str, batch: list[dict], created: dict[str, str] | None, dataset_id: str | None,
                     sent: list[_Creation]) -> tuple[int, int]:
        """Write one batch of one label's node rows, stated by ``dataset_id``; (how many were new
        or different, how many differed only in which datasets state them). The new ones are
        created by a batch added to ``sent``, unanswered. Into an empty graph (``created`` given)
        every row is new, and the element id of each goes in ``created`` when it is answered."""
        stored = {}
        if created is None:
            stored = {r["id"]: r["props"] for r in tx.run(_STORED_NODES.format(label=label), {"ids": [row["id"] for row in batch]})}
        fresh, differ, changed = self._stated_rows(batch, stored, dataset_id, _node_view, lambda row: row["id"])
        if fresh:
            text, rows = _create_rows([row["props"] for row in fresh], [[] for _ in fresh], "n")
            creation = self._create(tx, _CREATE_NODES.format(label=label, **text), rows, "nodes")
            if created is not None:
                creation.ids = [row["id"] for row in fresh]
            sent.append(creation)
        if differ:
            tx.run(_REWRITE_NODES.format(label=label), {"rows": differ}).consume()
        return len(fresh) + changed, len(differ) - changed

    def _write_relationships(self, tx, group: tuple[str, str, str], batch: list[dict], created: dict[str, str] | None,
                             dataset_id: str | None, sent: list[_Creation]) -> tuple[int, int]:
        """Write one batch of relationship rows of one (type, source label, target label), as
        :meth:`_write_nodes` writes nodes: into an empty graph, between the nodes ``created``."""
        rel_type, source, target = group
        labels = {"type": rel_type, "source": source, "target": target}
        batch = [{**row, "props": _stored_rel_props(row["props"], row["key"])} for row in batch]
        stored = {}
        if created is None:
            ends = [{"source": row["source"], "target": row["target"], "key": row["key"]} for row in batch]
            stored = {(r["source"], r["target"], r["key"] or ""): r["props"] for r in tx.run(_STORED_RELS.format(**labels), {"rows": ends})}
        fresh, differ, changed = self._stated_rows(batch, stored, dataset_id, _rel_view, lambda row: (row["source"], row["target"], row["key"]))
        if fresh:
            if created is None:
                query, ends = _CREATE_RELS, [[row["source"], row["target"]] for row in fresh]
            else:
                query, ends = _CREATE_RELS_BY_NODE, [[created[row["source"]], created[row["target"]]] for row in fresh]
            text, rows = _create_rows([row["props"] for row in fresh], ends, "r")
            sent.append(self._create(tx, query.format(**labels, **text), rows, "relationships"))
        if differ:
            tx.run(_REWRITE_RELS.format(**labels), {"rows": differ}).consume()
        return len(fresh) + changed, len(differ) - changed

    @staticmethod
    def _stated_rows(batch: list[dict], stored: dict, dataset_id: str | None, view, identity) -> tuple[list[dict], list[dict], int]:
        """(rows to create, rows to rewrite, how many of those differ in data) of ``batch`` over
        what is ``stored`` under their identities, each with its provenance (see _stated)."""
        fresh, differ, changed = [], [], 0
        for row in batch:
            held = stored.get(identity(row))
            full = _stated(held, row["props"], dataset_id, view)
            if held is None:
                fresh.append({**row, "props": full})
            elif not _same(held, full):
                differ.append({**row, "props": full})
                changed += not _same({k: v for k, v in held.items() if k not in _RESERVED}, row["props"])
        return fresh, differ, changed

    @staticmethod
    def _is_empty(tx) -> bool:
        """Whether the graph holds no node (the version node aside), read inside ``tx``."""
        # one record per label that has a node: any record at all says no (single() would warn of several)
        return next(iter(tx.run(_union("MATCH (n:{label}) RETURN n.id AS id LIMIT 1", LABELS))), None) is None

    def _delete_graph(self, tx) -> int:
        """Delete chainx's graph (its labels' nodes and their relationships), nothing else of the
        database: a user's own nodes (a :Person, an :Invoice) stay. How many nodes went."""
        return sum(self._scalar(tx, f"MATCH (n:{check_label(label)}) DETACH DELETE n RETURN count(*) AS c") for label in LABELS)

    @staticmethod
    def _scalar(tx, query: str, **params) -> int:
        record = tx.run(query, params).single()
        # ArcadeDB answers a count over a label it has never seen with no record, not a 0
        return (record[0] or 0) if record is not None else 0

    @staticmethod
    def _create(tx, query: str, batch: list[list], what: str) -> _Creation:
        """Send one batch of rows to be created (_CREATE_NODES, _CREATE_RELS); its answer is read later."""
        return _Creation(tx, query, batch, what)

    def _relationship_groups(self, tx, rels: list[Relationship], labels: dict[str, str]) -> dict[tuple, list[dict]]:
        """Relationship rows grouped by (type, source label, target label), so the query can
        find both ends through the (label, id) index, their properties as given (stored by
        _write_relationships a batch at a time, while the server creates the batch before). Ends
        not in ``data`` are looked up in the store, inside the write's own transaction."""
        unknown = sorted({end for rel in rels for end in (rel.source, rel.target) if end not in labels})
        if unknown:
            labels = {**labels, **self._labels_of(tx, unknown)}
            missing = [end for end in unknown if end not in labels]
            if missing:
                raise StoreError(f"cannot write relationships to unknown nodes: {', '.join(missing[:5])}")
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for rel in rels:
            key = (rel.type, labels[rel.source], labels[rel.target])
            groups[key].append(
                {"source": rel.source, "target": rel.target, "key": rel.key, "props": rel.props}
            )
        return groups

    def _check_version(self, tx, expected: str) -> None:
        """StoreChanged unless the graph is still at version ``expected``, read under the lock
        (a version node made by this very transaction's lock is the empty graph's "empty:0")."""
        record = tx.run(f"MATCH (m:{META_LABEL} {{key: $key}}) RETURN m.store_id AS store_id, m.version AS version",
                        {"key": _META_KEY}).single()
        current = f"{record['store_id']}:{record['version']}"
        if current != expected and not (expected == "empty:0" and record["version"] == 0):
            raise StoreChanged(f"the graph at {self.uri} changed while the data was validated (another write got in first)")

    def _refuse_other_labels(self, tx, nodes: list[Node]) -> None:
        """StoreError for a node whose id the store holds under another label (the per-label
        uniqueness constraint would let both exist)."""
        stored = self._labels_of(tx, sorted({node.id for node in nodes}))
        for node in nodes:
            other = stored.get(node.id)
            if other is not None and other != node.label:
                raise StoreError(f"id {node.id!r} is {a_kind(other)} in the store and cannot also be {a_kind(node.label)}: "
                                 "ids are unique across kinds")

    def _labels_of(self, tx, ids: list[str]) -> dict[str, str]:
        query = _union("MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id, '{label}' AS label", LABELS)
        found: dict[str, str] = {}
        for batch in _batched(ids, self.batch_size):
            found.update((record["id"], record["label"]) for record in tx.run(query, {"ids": batch}))
        return found

    def _bump_version(self, tx) -> None:
        tx.run(_BUMP_VERSION, {"key": _META_KEY, "store_id": uuid.uuid4().hex}).consume()

    def set_properties(self, values: dict[str, dict]) -> None:
        self._write(lambda: self._set_properties_once(values))

    def _set_properties_once(self, values: dict[str, dict]) -> None:
        with self._transaction() as tx:
            ids = list(values)
            labels = self._labels_of(tx, ids)
            missing = [i for i in ids if i not in labels]
            if missing:
                raise StoreError(f"cannot set properties of unknown nodes: {', '.join(missing[:5])}")
            by_label: dict[str, list[dict]] = defaultdict(list)
            for node_id, props in values.items():
                stored = {("~" + name if name.startswith("~") else name): value for name, value in props.items()}
                by_label[labels[node_id]].append({"id": node_id, "props": stored})
            for label, rows in by_label.items():
                for batch in _batched(rows, self.batch_size):
                    query = f"UNWIND $rows AS row MATCH (n:{check_label(label)} {{id: row.id}}) SET n += row.props"
                    tx.run(query, {"rows": batch}).consume()
                renamed = [row["id"] for row in rows if {"aliases", "name_en", "name"} & set(row["props"])]
                for batch in _batched(renamed, self.batch_size):  # what names a node changed: its folded names too
                    named = [{"id": r["id"], "names": folded_names(self._node({"label": label, "props": r["props"]}))}
                             for r in tx.run(_STORED_NODES.format(label=label), {"ids": batch})]
                    tx.run(f"UNWIND $rows AS row MATCH (n:{check_label(label)} {{id: row.id}}) SET n.`{NAMES}` = row.names", {"rows": named}).consume()
            self._bump_version(tx)

    # -- reading -------------------------------------------------------------------------
    def version(self) -> str:
        """``store id:counter``; the counter moves on every write that changes the graph and on
        every set_properties (as the embedded store's does). "empty:0" before the first write.

        Read under the version node's lock (taken and rolled back at once): a write holds it until
        its commit is applied, and a read meeting a commit half-applied may see the new version
        beside old data. So a version read waits for a write in progress, and two equal versions
        read around a computation (graph.cache, reads.consistent) mean no write was applied,
        even in part, in between. A login that may not write reads it without the lock."""
        from neo4j.exceptions import ClientError

        def locked() -> list | None:
            with self._session() as session:
                tx = session.begin_transaction()
                try:
                    return list(tx.run(_VERSION_LOCKED, {"key": _META_KEY}))
                except ClientError as error:
                    if "Forbidden" in (error.code or ""):  # a read-only login or database
                        return None
                    raise
                finally:
                    if not tx.closed():
                        tx.rollback()  # nothing to keep: the lock was the point

        with self._errors():
            records = self._retrying(locked)
        if records is None:
            records = self._read(f"MATCH (m:{META_LABEL} {{key: $key}}) RETURN m.store_id AS store_id, m.version AS version", key=_META_KEY)
        if not records:
            return "empty:0"
        return f"{records[0]['store_id']}:{records[0]['version']}"

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        from graph.model import REL_TYPES

        node_query = _union("MATCH (n:{label}) RETURN '{label}' AS k, count(n) AS c", LABELS)
        rel_query = "\nUNION ALL\n".join(
            f"MATCH ()-[r:{check_rel_type(t)}]->() RETURN '{t}' AS k, count(r) AS c" for t in REL_TYPES
        )
        nodes = {r["k"]: r["c"] for r in self._read(node_query) if r["c"]}
        rels = {r["k"]: r["c"] for r in self._read(rel_query) if r["c"]}
        return nodes, rels

    @staticmethod
    def _node(record) -> Node:
        node_id, name, props = _data_node_props(record["props"])
        return Node(record["label"], node_id, name, props)

    def nodes(self, labels: Iterable[str] | None = None, ids: Iterable[str] | None = None) -> Iterator[Node]:
        labels = LABELS if labels is None else [check_label(label) for label in labels]
        if not labels:
            return
        # Sorted here, not by ORDER BY: the server compares strings by UTF-16 unit, Python and
        # SQLite by code point, and the two stores must list nodes in the same order.
        if ids is None:
            query = _union("MATCH (n:{label}) RETURN '{label}' AS label, properties(n) AS props", labels)
            yield from sorted(map(self._node, self._rows(query, _NODE_COLUMNS)), key=lambda n: n.id)
            return
        query = _union("MATCH (n:{label}) WHERE n.id IN $ids RETURN '{label}' AS label, properties(n) AS props", labels)
        for batch in _batched(sorted(set(ids)), self.batch_size):
            yield from sorted(map(self._node, self._rows(query, _NODE_COLUMNS, ids=batch)), key=lambda n: n.id)

    @staticmethod
    def _rel(record) -> Relationship:
        key, props = _data_rel_props(record["props"])
        return Relationship(record["type"], record["source"], record["target"], key, props)

    def relationships(self, types: Iterable[str] | None = None) -> Iterator[Relationship]:
        from graph.model import REL_TYPES

        # chainx's types only, between chainx's nodes: a user's own relationships are not the graph's
        types = list(REL_TYPES) if types is None else [check_rel_type(t) for t in types]
        if not types:
            return
        pattern = ":" + "|".join(types)
        ends = " OR ".join(f"{{end}}:{check_label(label)}" for label in LABELS)
        query = f"MATCH (a)-[r{pattern}]->(b) WHERE ({ends.format(end='a')}) AND ({ends.format(end='b')}) RETURN type(r) AS type, a.id AS source, b.id AS target, properties(r) AS props"
        yield from sorted(map(self._rel, self._rows(query, _REL_COLUMNS)), key=lambda r: r.identity)

    def projection_columns(self, labels: Iterable[str], types: Iterable[str]) -> ProjectionColumns:
        # Only the columns a projection needs cross the wire (not every property map), which
        # roughly halves reading a national chain back over Bolt
        labels = [check_label(label) for label in labels]
        types = [check_rel_type(t) for t in types]
        query = _union("MATCH (n:{label}) RETURN n.id AS id, '{label}' AS label, n.name AS name, n.region AS region", labels)
        rows = self._rows(query, ("id", "label", "name", "region"))
        nodes = sorted(((r["id"], r["label"], r["name"] or "", r["region"]) for r in rows), key=lambda n: n[0])
        index = {node[0]: i for i, node in enumerate(nodes)}
        found = []
        for rel_type in types:
            query = (f"MATCH (a)-[r:{rel_type}]->(b) RETURN a.id AS source, b.id AS target, r.key AS key,"
                     " r.weight AS weight, r.volume AS volume")
            for r in self._rows(query, ("source", "target", "key", "weight", "volume")):
                if r["source"] in index and r["target"] in index:
                    # the property map projection_weight reads: a property the server does not hold is absent
                    props = {name: r[name] for name in ("weight", "volume") if r[name] is not None}
                    found.append((rel_type, r["source"], r["target"], r["key"] or "", projection_weight(rel_type, props)))
        found.sort(key=lambda rel: rel[:4])  # relationships()' order: weights add up in the same order
        return ProjectionColumns(
            ids=[n[0] for n in nodes],
            labels=[n[1] for n in nodes],
            names=[n[2] for n in nodes],
            regions=[n[3] for n in nodes],
            source=np.fromiter((index[rel[1]] for rel in found), dtype=np.int64, count=len(found)),
            target=np.fromiter((index[rel[2]] for rel in found), dtype=np.int64, count=len(found)),
            weight=np.fromiter((rel[4] for rel in found), dtype=np.float64, count=len(found)),
        )

    def incident(self, ids: Iterable[str], types: Iterable[str] | None = None) -> list[Relationship]:
        pattern = ":" + "|".join(check_rel_type(t) for t in types) if types else ""
        returns = "RETURN type(r) AS type, a.id AS source, b.id AS target, properties(r) AS props"
        # Each end found by its (label, id) index first, then its relationships: ArcadeDB plans
        # "(a)-[r]->(b:Label) WHERE b.id IN $ids" as a scan of every relationship of the type
        # (seconds on a national chain), the UNWIND form as one index lookup per id.
        outgoing = f"UNWIND $ids AS i MATCH (a:{{label}} {{{{id: i}}}}) MATCH (a)-[r{pattern}]->(b) {returns}"
        incoming = f"UNWIND $ids AS i MATCH (b:{{label}} {{{{id: i}}}}) MATCH (a)-[r{pattern}]->(b) {returns}"
        query = _union(outgoing, LABELS) + "\nUNION ALL\n" + _union(incoming, LABELS)
        found: dict[tuple, Relationship] = {}
        for batch in _batched(sorted(set(ids)), self.batch_size):
            for record in self._rows(query, _REL_COLUMNS, ids=batch):
                rel = self._rel(record)
                found[rel.identity] = rel
        return sorted(found.values(), key=lambda r: r.identity)

    def _search_candidates(self, query: str, label: str | None) -> list[Node]:
        labels = [check_label(label)] if label else LABELS
        cypher = _union(
            "MATCH (n:{label}) WHERE " + _SEARCH_WHERE + " RETURN '{label}' AS label, properties(n) AS props", labels
        )
        hits = map(self._node, self._rows(cypher, _NODE_COLUMNS, q=query))
        # The server's toLower and CONTAINS narrow the candidates; the final word is the same
        # test the embedded store applies, so both stores find exactly the same nodes.
        return [node for node in hits if query in search_text(node)]

    def close(self) -> None:
        with self._driver_lock:
            if self._driver is not None:
                self._driver.close()
                self._driver = None


class Neo4jQueries(Queries):
    """The report queries pushed down into Cypher, one query each; :class:`graph.store.queries.Queries`
    is the reference the store contract suite holds them to."""

    store: Neo4jStore

    def id_labels(self) -> dict[str, str]:
        query = _union("MATCH (n:{label}) RETURN n.id AS id, '{label}' AS label", LABELS)
        return {record["id"]: record["label"] for record in self.store._rows(query, ("id", "label"))}

    def named(self, folded: str, labels: Iterable[str] | None = None) -> list[Node]:
        if not folded or "\n" in folded:
            return []
        if not self.store._names_kept():
            return super().named(folded, labels)
        label_list = [check_label(label) for label in labels] if labels else LABELS
        # the text index finds the nodes whose folded names hold this one as a whole line
        query = _union(f"MATCH (n:{{label}}) WHERE n.`{NAMES}` CONTAINS $needle RETURN '{{label}}' AS label, properties(n) AS props", label_list)
        found = map(self.store._node, self.store._rows(query, _NODE_COLUMNS, needle="\n" + folded + "\n"))
        return sorted((n for n in found if any(fold(f) == folded for f in name_forms(n) if f.strip())), key=lambda n: n.id)

    def stage_rows(self, ids: Iterable[str] | None = None) -> list[tuple[str, str, object]]:
        # only the three columns cross the wire; given ids, each stage by its (label, id) index
        returns, columns = "RETURN s.id AS id, s.name AS name, s.tier AS tier", ("id", "name", "tier")
        if ids is None:
            records = self.store._rows(f"MATCH (s:Stage) {returns}", columns)
        else:
            records = []
            for batch in _batched(sorted(set(ids)), self.store.batch_size):
                records.extend(self.store._rows(f"UNWIND $ids AS i MATCH (s:Stage {{id: i}}) {returns}", columns, ids=batch))
        return sorted((r["id"], r["name"] or "", r["tier"]) for r in records)

    def stage_links(self, type: str) -> list[tuple[str, str]]:
        query = f"MATCH (a:Stage)-[r:{check_rel_type(type)}]->(b:Stage) RETURN a.id AS source, b.id AS target, r.key AS key"
        # in links() order (sorted here: the server orders strings by UTF-16 unit)
        return [(source, target) for source, target, _ in sorted((r["source"], r["target"], r["key"] or "") for r in self.store._rows(query, ("source", "target", "key")))]

    def incident_keys(self, ids: Iterable[str], types: Iterable[str] | None = None) -> set[tuple[str, str, str, str]]:
        pattern = ":" + "|".join(check_rel_type(t) for t in types) if types else ""
        returns = "RETURN type(r) AS type, a.id AS source, b.id AS target, r.key AS key"
        # by each end's (label, id) index first, as incident() does
        outgoing = f"UNWIND $ids AS i MATCH (a:{{label}} {{{{id: i}}}}) MATCH (a)-[r{pattern}]->(b) {returns}"
        incoming = f"UNWIND $ids AS i MATCH (b:{{label}} {{{{id: i}}}}) MATCH (a)-[r{pattern}]->(b) {returns}"
        query = _union(outgoing, LABELS) + "\nUNION ALL\n" + _union(incoming, LABELS)
        found: set[tuple[str, str, str, str]] = set()
        for batch in _batched(sorted(set(ids)), self.store.batch_size):
            found.update((r["type"], r["source"], r["target"], r["key"] or "") for r in self.store._rows(query, _KEY_COLUMNS, ids=batch))
        return found

    def ring_counts(self, ids: Iterable[str]) -> RingCounts:
        # by each node's (label, id) index; counted on the server, one query for the degrees and
        # one for the distinct relationships and far ends
        wanted = sorted(set(ids))
        degrees = {
            r["id"]: r["degree"] for r in self.store._rows(
                _union("UNWIND $ids AS i MATCH (a:{label} {{id: i}})-[]-(b) RETURN a.id AS id, count(DISTINCT b) AS degree", LABELS),
                ("id", "degree"), ids=wanted)
        }
        found = _union("UNWIND $ids AS i MATCH (a:{label} {{id: i}}) RETURN a", LABELS)
        record = next(iter(self.store._read(
            f"CALL {{ {found} }} MATCH (a)-[r]-(b)"
            " RETURN count(DISTINCT r) AS rels, count(DISTINCT CASE WHEN NOT b.id IN $ids THEN b.id END) AS far", ids=wanted)))
        return RingCounts(degrees, record["rels"], len(wanted) + record["far"])

    def relationships_among(self, ids: Iterable[str]) -> list[Relationship]:
        wanted = sorted(set(ids))
        query = _union(
            "UNWIND $ids AS i MATCH (a:{label} {{id: i}}) MATCH (a)-[r]->(b) WHERE b.id IN $wanted"
            " RETURN type(r) AS type, a.id AS source, b.id AS target, properties(r) AS props", LABELS)
        found = []
        for batch in _batched(wanted, self.store.batch_size):
            found.extend(map(self.store._rel, self.store._rows(query, _REL_COLUMNS, ids=batch, wanted=wanted)))
        return sorted(found, key=lambda r: r.identity)

    def operations(self, *, regions: Iterable[str] | None = None, stages: Iterable[str] | None = None) -> list[Operation]:
        # One query with the filters pushed down, instead of every OPERATES_IN relationship;
        # stages given are found by their index first (see incident()), the rest by pattern
        params = {}
        match = "MATCH (e:Enterprise)-[r:OPERATES_IN]->(s)"
        if stages is not None:
            params["stages"] = sorted(set(stages))
            match = "UNWIND $stages AS sid MATCH (s:Stage {id: sid}) MATCH (e:Enterprise)-[r:OPERATES_IN]->(s)"
        if regions is not None:
            match += " WHERE e.region IN $regions"
            params["regions"] = sorted(set(regions))
        query = match + " RETURN e.id AS enterprise, s.id AS stage, e.region AS region, r.capacity AS capacity, r.unit AS unit, r.key AS key"
        # ties (parallel operations of one firm in one stage) in key order, as relationships() gives them
        rows = sorted(self.store._rows(query, ("enterprise", "stage", "region", "capacity", "unit", "key"), **params),
                      key=lambda r: (r["stage"], r["enterprise"], r["key"] or ""))
        return [Operation(r["enterprise"], r["stage"], r["region"], number_or_none(r["capacity"]), r["unit"]) for r in rows]

    def coded_operations(self, ids: list[str], *, regions: Iterable[str] | None = None) -> CodedOperations:
        # each enterprise by its index (see incident()): a gaps report's candidates are a few
        # thousand of a national graph's firms, whose every operation the reference would read
        ids = list(ids)
        query = ("UNWIND range(0, size($ids) - 1) AS place MATCH (e:Enterprise {id: $ids[place]})-[r:OPERATES_IN]->(s)"
                 + (" WHERE e.region IN $regions" if regions is not None else "")
                 + " RETURN place, e.id AS enterprise, s.id AS stage, r.capacity AS capacity, r.unit AS unit, r.key AS key")
        params = {"ids": ids} if regions is None else {"ids": ids, "regions": sorted(set(regions))}
        # sorted as operations() (ties in key order)
        rows = sorted(self.store._rows(query, ("place", "enterprise", "stage", "capacity", "unit", "key"), **params),
                      key=lambda r: (r["stage"], r["enterprise"], r["key"] or ""))
        return CodedOperations(np.fromiter((r["place"] for r in rows), dtype=np.int64, count=len(rows)), [r["stage"] for r in rows],
                               [number_or_none(r["capacity"]) for r in rows], [r["unit"] for r in rows])

    def stage_firms(self, stages: Iterable[str], *, exclude_regions: Iterable[str] = ()) -> list[StageFirm]:
        stage_list = sorted(set(stages))
        if not stage_list:
            return []
        # each stage by its index first (see incident()): ~0.5 s for 23,000 stages of the
        # national chain on the ArcadeDB test server, against 100 s for "WHERE s.id IN $stages"
        query = (
            "UNWIND $stages AS sid MATCH (s:Stage {id: sid}) MATCH (e:Enterprise)-[:OPERATES_IN]->(s)"
            " RETURN s.id AS stage, e.id AS enterprise, e.name AS name, e.region AS region,"
            " e.revenue_cny AS revenue, e.employees AS employees"
        )
        excluded = set(exclude_regions)
        found = [
            StageFirm(r["stage"], r["enterprise"], r["name"] or "", r["region"], number_or_none(r["revenue"]), number_or_none(r["employees"]))
            for r in self.store._rows(query, ("stage", "enterprise", "name", "region", "revenue", "employees"), stages=stage_list)
            if r["region"] not in excluded
        ]
        return sorted(found, key=lambda row: (row.stage, row.enterprise))

    def links(self, types: Iterable[str]) -> list[tuple[str, str, str, str]]:
        types = [check_rel_type(t) for t in types]
        if not types:
            return []
        query = f"MATCH (a)-[r:{'|'.join(types)}]->(b) RETURN type(r) AS type, a.id AS source, b.id AS target, r.key AS key"
        # sorted here, as relationships() sorts: the server orders strings by UTF-16 unit
        return sorted((r["type"], r["source"], r["target"], r["key"] or "") for r in self.store._rows(query, _KEY_COLUMNS))

    def enterprise_ids(self, regions: Iterable[str]) -> set[str]:
        region_list = sorted(set(regions))
        if not region_list:
            return set()
        return {r["id"] for r in self.store._rows("MATCH (e:Enterprise) WHERE e.region IN $regions RETURN e.id AS id", ("id",),
                                                  regions=region_list)}


Neo4jStore._queries = Neo4jQueries


def clear_database(store: Neo4jStore) -> None:
    """Delete every node and relationship of the store's database, the version node included;
    constraints stay. The tests start each case from an empty database with it."""
    def once() -> None:
        # in batches of their own (an auto-commit query): a national graph in one transaction
        # takes half as long again, and its memory
        with store._session() as session:
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()

    store._write(once)
