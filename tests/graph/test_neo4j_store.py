"""What only the Neo4j store has: a server to reach, a login, query text, outages — and a load
killed halfway over Bolt. Runs against the session's Bolt server (tests/bolt.py)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from chainx.cli import app
from graph.errors import InvalidParameter, StoreError, StoreUnavailable
from graph.model import LABELS, GraphData, Node, Relationship
from graph.neighbourhood import neighbourhood_data
from graph.store import open_store, reads
from graph.store.neo4j import Neo4jStore
from graph.store.queries import queries
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.bolt import free_port
from tests.bolt_server import PASSWORD_RECORD
from tests.conftest import ROOT, TEXTILE
from tests.graph.test_sqlite_crash import make_dataset
from tests.graph.test_store_contract import HOSTILE, canonical, chain

pytestmark = pytest.mark.neo4j

runner = CliRunner()


def dead_uri() -> str:
    """A loopback address where nothing listens."""
    return f"bolt://127.0.0.1:{free_port()}"


def one_line(message: str) -> str:
    assert "\n" not in message and "Traceback" not in message, message
    return message


# -- reaching the server -------------------------------------------------------------------------
def test_opening_a_store_does_not_connect():
    store = open_store(dead_uri())  # nothing listens there, and nothing is asked yet
    assert isinstance(store, Neo4jStore)
    store.close()


def test_a_server_that_is_down_is_one_clear_line():
    uri = dead_uri()
    with Neo4jStore(uri, password="x") as store:
        for call in (store.counts, store.version, lambda: store.search("x"), lambda: store.write(chain())):
            with pytest.raises(StoreUnavailable) as caught:
                call()
            message = one_line(str(caught.value))
            assert message.startswith(f"cannot reach the Neo4j server at {uri}: ")
            assert "refused" in message.lower() and message.endswith("is it running?")


def test_a_wrong_password_is_one_clear_line(bolt_server):
    with bolt_server.store(password="not-the-password") as store:
        with pytest.raises(StoreUnavailable) as caught:
            reads.stats(store).to_dict()
    assert one_line(str(caught.value)) == f"the Neo4j server at {bolt_server.uri} refused the login for user {bolt_server.user!r}"


def test_no_password_says_which_variable_to_set(bolt_server):
    if not bolt_server.local:
        pytest.skip("an external server may allow logins without a password")
    with bolt_server.store(password=None) as store:
        with pytest.raises(StoreUnavailable, match=r"refused the login .*set CHAINX_NEO4J_PASSWORD"):
            reads.stats(store).to_dict()


def test_an_unknown_database_is_one_clear_line(bolt_server):
    with bolt_server.store(database="no_such_db") as store:
        with pytest.raises(StoreUnavailable) as caught:
            reads.stats(store).to_dict()
    assert one_line(str(caught.value)) == (
        f"the Neo4j server at {bolt_server.uri} has no database 'no_such_db' (CHAINX_NEO4J_DATABASE)"
    )


def test_the_login_comes_from_the_environment(monkeypatch):
    for name in ("CHAINX_NEO4J_USER", "CHAINX_NEO4J_PASSWORD", "CHAINX_NEO4J_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    store = Neo4jStore.from_env("neo4j://db.example:7687")
    assert (store.user, store._password, store.database) == ("neo4j", None, None)
    monkeypatch.setenv("CHAINX_NEO4J_USER", "chain")
    monkeypatch.setenv("CHAINX_NEO4J_PASSWORD", "secret")
    monkeypatch.setenv("CHAINX_NEO4J_DATABASE", "textile")
    store = open_store("bolt://db.example:7687")
    assert (store.uri, store.user, store._password, store.database) == ("bolt://db.example:7687", "chain", "secret", "textile")


def test_an_outage_is_reported_and_the_same_store_recovers(bolt_server, neo4j_store):
    if not bolt_server.local:
        pytest.skip("the tests cannot stop an external server")
    neo4j_store.write(chain())
    before = canonical(reads.snapshot(neo4j_store))
    bolt_server.stop()
    # the launcher skips setting the password on a restart when its record of the last one set is
    # this one's digest, and sets it again otherwise: made to differ, the login must still work
    record = bolt_server.data_dir / PASSWORD_RECORD
    assert record.read_text() == hashlib.sha256(bolt_server.password.encode()).hexdigest()
    record.write_text("0" * 64)
    try:
        for call in (neo4j_store.counts, lambda: neo4j_store.write(chain()), lambda: reads.get_node(neo4j_store, "px")):
            with pytest.raises(StoreUnavailable, match="is it running"):
                call()
    finally:
        bolt_server.start()
    assert canonical(reads.snapshot(neo4j_store)) == before  # durable, and the same driver reconnects
    assert record.read_text() == hashlib.sha256(bolt_server.password.encode()).hexdigest()
    neo4j_store.write(GraphData(nodes=[Node("Stage", "after", "之后", {})]))
    assert reads.stats(neo4j_store).to_dict()["nodes"]["Stage"] == 7


# -- query text: labels and types from the allow-list, values only as parameters -----------------
def test_no_value_ever_reaches_the_query_text(neo4j_store, monkeypatch):
    import neo4j

    queries: list[str] = []
    for cls in (neo4j.Session, neo4j.Transaction):
        original = cls.run

        def run(self, query, *args, _original=original, **kwargs):
            queries.append(str(query))
            return _original(self, query, *args, **kwargs)

        monkeypatch.setattr(cls, "run", run)
    data = GraphData(
        nodes=[Node("Enterprise", text, text, {"tags": [text]}) for text in HOSTILE],
        relationships=[Relationship("SUPPLIES", text, HOSTILE[0], text, {"stage": text}) for text in HOSTILE],
    )
    neo4j_store.write(data)
    neo4j_store.set_properties({text: {"note": text} for text in HOSTILE})
    for text in HOSTILE:
        neo4j_store.search(text)
        neighbourhood_data(neo4j_store, text, 2)
    assert queries
    for text in HOSTILE:
        assert not any(text in query for query in queries), text
    assert reads.stats(neo4j_store).to_dict()["total_nodes"] == len(HOSTILE)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.write(GraphData(nodes=[Node("Stage) DETACH DELETE n //", "x", "x", {})])),
        lambda s: s.write(GraphData(relationships=[Relationship("FEEDS]->() DETACH DELETE n //", "px", "pta")])),
        lambda s: list(s.nodes(["Stage`"])),
        lambda s: list(s.relationships(["FEEDS|SUPPLIES"])),
        lambda s: s.incident(["px"], ["X"]),
        lambda s: s.search("x", label="Stage OR 1=1"),
    ],
)
def test_labels_and_types_outside_the_allow_list_are_refused(neo4j_store, call):
    neo4j_store.write(chain())
    with pytest.raises(InvalidParameter, match="unknown"):
        call(neo4j_store)
    assert canonical(reads.snapshot(neo4j_store)) == canonical(chain())


def test_a_relationship_to_a_node_the_graph_lacks_writes_nothing(neo4j_store):
    # The embedded store keeps such a dangling row; a graph database cannot hold it. Loaders
    # never produce one (validation refers every end to a node), so this only guards misuse.
    neo4j_store.write(chain())
    broken = GraphData(nodes=[Node("Stage", "new", "新", {})], relationships=[Relationship("FEEDS", "new", "ghost")])
    with pytest.raises(StoreError, match="ghost"):
        neo4j_store.write(broken)
    assert canonical(reads.snapshot(neo4j_store)) == canonical(chain())


def test_ids_are_unique_per_label_on_the_server_itself(bolt_server, neo4j_store):
    import neo4j

    neo4j_store.write(chain())
    auth = (bolt_server.user, bolt_server.password) if bolt_server.password is not None else None
    with neo4j.GraphDatabase.driver(bolt_server.uri, auth=auth) as driver:
        with driver.session(database=bolt_server.database) as session:
            with pytest.raises(neo4j.exceptions.ConstraintError):
                session.run("CREATE (n:Stage {id: $id, name: 'dup'})", id="px").consume()
    assert reads.stats(neo4j_store).to_dict()["nodes"]["Stage"] == 6


def test_the_version_node_is_not_part_of_the_graph(neo4j_store):
    assert neo4j_store.version() == "empty:0"
    neo4j_store.write(chain())
    store_id, counter = neo4j_store.version().split(":")
    assert counter == "1" and len(store_id) == 32
    assert reads.stats(neo4j_store).to_dict()["total_nodes"] == 14 and len(reads.snapshot(neo4j_store).nodes) == 14
    assert "graph" not in queries(neo4j_store).id_labels()


# -- the CLI over Bolt ---------------------------------------------------------------------------
def test_stats_over_bolt_equal_the_embedded_stats(bolt_server, neo4j_store, tmp_path):
    db = str(tmp_path / "chainx.db")
    env = bolt_server.env()
    for store in (db, bolt_server.uri):
        result = runner.invoke(app, ["load", str(TEXTILE), "--store", store], env=env)
        assert result.exit_code == 0, result.output
    stats = {}
    for store in (db, bolt_server.uri):
        result = runner.invoke(app, ["stats", "--format", "json", "--store", store], env=env)
        assert result.exit_code == 0, result.output
        stats[store] = json.loads(result.stdout)
    assert stats[bolt_server.uri] == stats[db]
    assert stats[db]["total_nodes"] > 100


def chainx(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINX_")} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "chainx", *args], capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=300, **kwargs
    )


def test_the_cli_reports_a_down_server_in_one_line():
    uri = dead_uri()
    result = chainx("stats", "--format", "json", "--store", uri, env={"CHAINX_NEO4J_PASSWORD": "x"})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"Error: cannot reach the Neo4j server at {uri}: ")
    assert result.stderr.endswith("is it running?\n") and result.stderr.count("\n") == 1


def test_the_cli_reports_a_refused_login_in_one_line(bolt_server):
    env = {**bolt_server.env(), "CHAINX_NEO4J_PASSWORD": "not-the-password"}
    result = chainx("stats", "--store", bolt_server.uri, env=env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"Error: the Neo4j server at {bolt_server.uri} refused the login for user {bolt_server.user!r}\n"


# -- a load killed halfway ---------------------------------------------------------------------
# `chainx load` itself, with one hook: once all the nodes and the first relationship batch have
# gone to the server, inside the open transaction, it says so and waits — so the kill lands
# mid-write every time. (The SQLite test can watch its journal file; a server's open
# transaction cannot be seen from outside.)
HELD_LOAD = textwrap.dedent(
    """
    import sys
    from graph.store.neo4j import Neo4jStore

    write = Neo4jStore.write

    def held_write(self, data, *, replace=False, progress=None, **options):
        def tick(done):
            if done > len(data.nodes):
                print("WROTE", done, flush=True)
                sys.stdin.readline()  # held here until killed
        return write(self, data, replace=replace, progress=tick, **options)

    Neo4jStore.write = held_write
    from chainx.cli import main
    sys.argv = ["chainx", *sys.argv[1:]]
    main()
    """
)


def test_a_load_killed_mid_write_leaves_the_previous_graph(bolt_server, neo4j_store, tmp_path):
    small = make_dataset(tmp_path / "small", 10)
    big = make_dataset(tmp_path / "big", 3_000)
    env = bolt_server.env()
    load_path(neo4j_store, small)
    before = canonical(reads.snapshot(neo4j_store))
    version = neo4j_store.version()

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINX_")} | env
    process = subprocess.Popen(
        [sys.executable, "-c", HELD_LOAD, "load", str(big), "--store", bolt_server.uri],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env, cwd=ROOT,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("WROTE "), process.stderr.read() if process.poll() is not None else line
        # 50 stages, 1 region, 3,000 enterprises and one batch of 3,000 relationships of 6,000
        assert int(line.split()[1]) == 3_051 + 3_000
        assert process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL

    with bolt_server.store() as store:  # a fresh connection, as the next command would open
        assert canonical(reads.snapshot(store)) == before
        assert store.version() == version

    rerun = chainx("load", str(big), "--store", bolt_server.uri, env=env)
    assert rerun.returncode == 0, rerun.stderr
    stats = reads.stats(neo4j_store).to_dict()
    assert stats["nodes"]["Enterprise"] == 3_000 and stats["relationships"]["OPERATES_IN"] == 3_000
    assert stats["relationships"]["LOCATED_IN"] == 3_000 and stats["nodes"]["Stage"] == 50


# -- the server, managed transactions, writers at once -------------------------------------------
def test_the_server_really_is_neo4j(bolt_server):
    import neo4j

    auth = (bolt_server.user, bolt_server.password) if bolt_server.password is not None else None
    with neo4j.GraphDatabase.driver(bolt_server.uri, auth=auth) as driver:
        components = driver.execute_query("CALL dbms.components() YIELD name, versions, edition RETURN *", database_="system").records
    assert [c["name"] for c in components] == ["Neo4j Kernel"]
    if bolt_server.local:  # the launcher's: Community Edition of the 5.26 LTS line
        assert components[0]["edition"] == "community" and components[0]["versions"][0].startswith("5.26.")


def server_error(code: str = "Neo.TransientError.Transaction.DeadlockDetected"):
    """The error the server sends with ``code`` (by default, a deadlock), as the driver hands it over."""
    from neo4j.exceptions import Neo4jError

    return Neo4jError._hydrate_neo4j(code=code, message="simulated: the transaction was chosen as a deadlock victim")


class FailingOnce:
    """Wraps Neo4jStore._create: the first ``failures`` calls send their batch, then raise a
    transient error, inside the open transaction (which by then holds part of the write)."""

    def __init__(self, failures: int):
        self.failures, self.calls = failures, 0
        self.create = Neo4jStore._create

    def __call__(self, tx, query, batch, what):
        result = self.create(tx, query, batch, what)
        self.calls += 1
        if self.calls <= self.failures:
            raise server_error()
        return result


def test_a_write_that_meets_a_transient_error_is_tried_again_whole(neo4j_store, monkeypatch):
    failing = FailingOnce(2)
    monkeypatch.setattr(Neo4jStore, "_create", staticmethod(failing))
    monkeypatch.setattr("graph.store.neo4j.RETRY_PAUSE", 0.0)
    summary = neo4j_store.write(chain())
    assert summary.changed and failing.calls > 2
    # exactly the graph, once: what the failed tries had sent was rolled back with them
    assert canonical(reads.snapshot(neo4j_store)) == canonical(chain())
    assert neo4j_store.version().endswith(":1")


def test_a_write_that_keeps_failing_gives_up_after_its_tries_and_writes_nothing(neo4j_store, monkeypatch):
    from graph.store import neo4j as module

    neo4j_store.write(chain())
    before, version = canonical(reads.snapshot(neo4j_store)), neo4j_store.version()
    failing = FailingOnce(10**6)
    monkeypatch.setattr(Neo4jStore, "_create", staticmethod(failing))
    monkeypatch.setattr(module, "RETRY_PAUSE", 0.0)
    bigger = chain()
    bigger.nodes.append(Node("Stage", "extra", "额外", {}))
    with pytest.raises(StoreUnavailable, match="try again"):
        neo4j_store.write(bigger)
    assert failing.calls == module.ATTEMPTS  # one batch sent per try, each try a transaction of its own
    assert canonical(reads.snapshot(neo4j_store)) == before and neo4j_store.version() == version


def test_an_error_that_is_not_transient_is_not_tried_again(neo4j_store, monkeypatch):
    calls = []

    def refusing(tx, query, batch, what):
        calls.append(what)
        raise server_error("Neo.ClientError.Statement.SyntaxError")

    monkeypatch.setattr(Neo4jStore, "_create", staticmethod(refusing))
    with pytest.raises(StoreError, match="refused the operation"):
        neo4j_store.write(chain())
    assert calls == ["nodes"] and neo4j_store.version() == "empty:0"


def test_a_read_that_meets_a_transient_error_is_tried_again(neo4j_store, monkeypatch):
    from neo4j import Session

    neo4j_store.write(chain())
    begin, calls = Session.begin_transaction, []

    def failing_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise server_error("Neo.TransientError.General.DatabaseUnavailable")
        return begin(self, *args, **kwargs)

    monkeypatch.setattr(Session, "begin_transaction", failing_once)
    monkeypatch.setattr("graph.store.neo4j.RETRY_PAUSE", 0.0)
    assert neo4j_store.counts()[0]["Stage"] == 6 and len(calls) == 3  # counts() reads twice: nodes, then relationships


def test_a_read_of_many_rows_gives_each_record_s_values_as_one_list(neo4j_store):
    from graph.store.neo4j import _union

    load_path(neo4j_store, TEXTILE)
    # a union of every label, with nulls (a stage has no region) and Chinese text
    query = _union("MATCH (n:{label}) RETURN n.id AS id, '{label}' AS label, n.name AS name, n.region AS region", LABELS)
    columns = ("id", "label", "name", "region")
    as_records = [dict(record) for record in neo4j_store._read(query)]
    packed = neo4j_store._rows(query, columns)
    assert sorted(packed, key=lambda r: (r["label"], r["id"])) == sorted(as_records, key=lambda r: (r["label"], r["id"]))
    assert len(as_records) == reads.stats(neo4j_store).to_dict()["total_nodes"] and any(r["region"] is None for r in packed)
    # parameters reach the packed query, and an empty result is no rows
    assert neo4j_store._rows("UNWIND $ids AS i MATCH (s:Stage {id: i}) RETURN s.id AS id", ("id",), ids=["nope"]) == []
    assert neo4j_store._rows("UNWIND $ids AS i RETURN i AS id, i + 1 AS next", ("id", "next"), ids=[2, 1]) == [
        {"id": 2, "next": 3}, {"id": 1, "next": 2}]


def test_a_commit_whose_answer_is_lost_says_the_write_may_be_in_the_store(neo4j_store, monkeypatch):
    # the driver's IncompleteCommit: the connection went after the commit was sent (a server
    # stopped mid-load once committed it so), where "the load failed" would not be the truth
    from neo4j.exceptions import IncompleteCommit

    from neo4j import Transaction

    def lost(self):
        raise IncompleteCommit("Connection closed during commit (simulated)")

    monkeypatch.setattr(Transaction, "commit", lost)
    with pytest.raises(StoreUnavailable) as caught:
        neo4j_store.write(chain())
    message = one_line(str(caught.value))
    assert message.startswith(f"lost the connection to the Neo4j server at {neo4j_store.uri} as it committed")
    assert "may or may not be in the store" in message and "Running it again is safe" in message


def test_two_loads_at_once_into_an_empty_graph_both_complete(bolt_server, neo4j_store, tmp_path):
    # Both begin their transactions together (a barrier just before BEGIN): without the version
    # node's lock both would see an empty graph, both create, and the second would break the
    # uniqueness constraint. With it they take turns, and the second finds nothing to change.
    import threading

    first, second = make_dataset(tmp_path / "a", 400), make_dataset(tmp_path / "b", 400)
    stores = [bolt_server.store(), bolt_server.store()]
    barrier = threading.Barrier(2, timeout=60)
    begin = Neo4jStore._transaction

    held = []

    def together(self):
        # the retries, the second try after the other load got in first (validated again) and
        # clear() of other stores are not held
        if self in stores and self not in held:
            held.append(self)
            barrier.wait()
        return begin(self)

    results: dict[int, object] = {}

    def load(i, path):
        try:
            results[i] = load_path(stores[i], path)
        except Exception as error:  # reported below, with its message
            results[i] = error

    try:
        Neo4jStore._transaction = together
        threads = [threading.Thread(target=load, args=(i, p)) for i, p in enumerate((first, second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        Neo4jStore._transaction = begin
        for store in stores:
            store.close()
    assert not any(isinstance(r, Exception) for r in results.values()), results
    stats = reads.stats(neo4j_store).to_dict()
    # the same dataset twice: one graph of 400 enterprises
    assert stats["nodes"]["Enterprise"] == 400 and stats["relationships"]["OPERATES_IN"] == 400


# -- replace touches only chainx's graph ----------------------------------------------------------
def test_replace_deletes_only_chainxs_graph_and_a_users_own_nodes_survive(neo4j_store, tmp_path):
    load_path(neo4j_store, TEXTILE)
    with neo4j_store._session() as session:
        session.run("CREATE (:Person {name: 'Ann'})-[:KNOWS]->(:Person {name: 'Bob'})-[:PAID]->(:Invoice {no: 7})").consume()
    other = make_dataset(tmp_path / "other", 3)
    load_path(neo4j_store, other, replace=True)
    with neo4j_store._session() as session:
        left = session.run("MATCH (p:Person)-[:KNOWS]->(q:Person)-[:PAID]->(i:Invoice) RETURN p.name AS p, q.name AS q, i.no AS i").data()
    assert left == [{"p": "Ann", "q": "Bob", "i": 7}]
    # the user's nodes and relationships are not part of chainx's graph either
    with SqliteStore(tmp_path / "alone.db", create=True) as alone:
        load_path(alone, other)
        assert reads.snapshot(neo4j_store) == reads.snapshot(alone)
        assert neo4j_store.counts() == alone.counts()


def test_a_store_written_before_names_were_kept_is_named_the_reference_way_then_indexed(neo4j_store):
    from graph.store.base import fold
    from graph.store.neo4j import META_LABEL, NAMES
    from graph.store.queries import Queries

    neo4j_store.write(chain())
    with neo4j_store._session() as session:  # as a store written before: no names kept, no mark
        session.run(f"MATCH (n) REMOVE n.`{NAMES}`").consume()
        session.run(f"MATCH (m:{META_LABEL}) REMOVE m.names").consume()
    assert not neo4j_store._names_kept()
    found = [n.id for n in queries(neo4j_store).named(fold("ＰＸ"))]
    assert found == ["px"] == [n.id for n in Queries(neo4j_store).named(fold("ＰＸ"))]
    neo4j_store.write(GraphData(nodes=[Node("Region", "new", "新区")]))  # the first write keeps every node's names
    assert neo4j_store._names_kept()
    with neo4j_store._session() as session:
        missing = session.run(f"MATCH (n:Stage) WHERE n.`{NAMES}` IS NULL RETURN count(n) AS c").single()["c"]
    assert missing == 0
    assert [n.id for n in queries(neo4j_store).named(fold("paraxylene"), ["Stage"])] == ["px"]
    assert "~names" not in reads.get_node(neo4j_store, "px").props and NAMES not in reads.get_node(neo4j_store, "px").props


def test_a_write_in_batches_of_two_creates_and_then_merges_exactly_the_graph(neo4j_store):
    # every label and type spread over several batches, each answered only after the next was sent
    # (_Creation) and the nodes' after the relationships were grouped: each relationship must still
    # find its own two ends, into an empty graph (by the element ids answered) and into a full one
    neo4j_store.batch_size = 2
    neo4j_store.write(chain())
    assert canonical(reads.snapshot(neo4j_store)) == canonical(chain())
    grown = chain()
    grown.nodes += [Node("Stage", f"extra{i}", f"额外{i}", {"rank": i}) for i in range(5)]
    grown.relationships += [Relationship("FEEDS", "weave", f"extra{i}", "", {"weight": float(i)}) for i in range(5)]
    grown.relationships += [Relationship("OPERATES_IN", "small", f"extra{i}") for i in range(3)]
    neo4j_store.write(grown)
    assert canonical(reads.snapshot(neo4j_store)) == canonical(grown)
