"""Measurements: generating the dataset, loading it into the embedded store and over Bolt."""

from __future__ import annotations

import sys
from functools import partial

from benchmarks.core import Run, Timer, measurement, peak_rss_mb, row, span, timed
from benchmarks.generate import _generate
from graph.store.neo4j import clear_database

ROW_BY_ROW_SAMPLE = 2_000  # nodes, and relationships among them, sent one MERGE at a time
TINY_ROW_BY_ROW_SAMPLE = 300  # the same on the tiny run: a fresh JVM takes some 10 s over 2,000
# the way a row is written one at a time: MERGE on the identity, then the properties
_MERGE_NODE = "MERGE (n:{label} {{id: $id}}) SET n = $props"
_MERGE_RELATIONSHIP = ("MATCH (a:{source} {{id: $source}}) MATCH (b:{target} {{id: $target}})"
                       " MERGE (a)-[r:{type} {{key: $key}}]->(b) SET r = $props")
# the Neo4j server's JVM heap: a 1M-relationship load is one transaction, some 2.7 GiB by Neo4j's
# count against its limit of 70% of the heap the JVM reports; with half the heap young
# (tests/bolt_server.py) a 4g heap reports less and refuses it, 5g takes it (measured)
BOLT_HEAP = "5g"
# rows, about, of the untimed warm-up load: all of a 100k run; at 1M, every n-th row, since the JIT
# is as warm after these as after the whole (a method is compiled after some 10k calls), which costs minutes
WARMUP_ROWS = 120_000
# Loads into an empty graph timed again once the first is done, up to this many rows, their median
# shown: a server a team shares has long finished compiling its write path, and the first load
# into a fresh JVM still pays for the JIT (about as much server CPU as the load itself at 100k)
WARM_LOADS, WARM_LOAD_ROWS = 3, 200_000
# rows, about, of the "load again" row: all of a 100k run; at 1M every n-th row, matched against the
# whole loaded graph (a MERGE's work is its lookups there; at 100k the whole again took 8–26 s of the
# server's CPU in three runs, so the whole 1M would cost minutes for the same figure)
RELOAD_ROWS = 120_000


def _rates(rows: int, t: Timer) -> dict:
    return {"rows_per_s": round(rows / max(t.wall, 1e-9)), "rows_per_cpu_s": round(rows / max(t.cpu, 1e-9))}


@measurement("generate")
def _generate_dataset(run: Run) -> list[dict]:
    with timed() as t:
        folder, shape = _generate(run.workdir / "dataset", run.size, run.seed)
    run.dataset = folder
    return [row("generate dataset", t, rows_per_s=round((shape.nodes + run.size) / max(t.wall, 1e-9)), note=", ".join(f"{k} {v:,}" for k, v in shape.counts.items()))]


@measurement("load_embedded", needs=("generate",))
def _load_embedded(run: Run) -> list[dict]:
    from graph.collector import gc_paused
    from graph.store.sqlite import SqliteStore
    from loaders import read_dataset
    from loaders.pipeline import prepare

    store = SqliteStore(run.workdir / "chainx.db", create=True)
    # the steps of loaders.pipeline.load_path, timed one by one (it pauses the collector throughout)
    with gc_paused():
        with timed() as read_t:
            raw = read_dataset(run.dataset)
        with timed() as validate_t:
            data, _ = prepare(store, raw)
        with timed() as write_t:
            store.write(data)
    run.store = store
    rows = len(data)
    del data, raw  # as after a real load: the graph lives in the store now
    run.extra["rss_after_load_mb"] = round(peak_rss_mb(), 1)
    total = span(read_t.wall + validate_t.wall + write_t.wall, read_t.cpu + validate_t.cpu + write_t.cpu)
    return [
        row("read CSV", read_t, **_rates(rows, read_t)),
        row("validate (ingest.prepare)", validate_t, **_rates(rows, validate_t)),
        row("write SQLite", write_t, **_rates(rows, write_t)),
        row(f"load embedded, end to end ({rows:,} rows)", total, **_rates(rows, total), target="≥ 100k rows/s"),
    ]


def _row_by_row(store, data, sample: int = ROW_BY_ROW_SAMPLE) -> int:
    """The baseline: ``sample`` nodes of ``data``, and relationships among them, loaded into the
    empty server with one MERGE query per node or relationship (:data:`_MERGE_NODE`,
    :data:`_MERGE_RELATIONSHIP`) in one transaction, committed as chainx's load is; the server is
    emptied again afterwards (not timed: :func:`_server_timed` times the call). The rows sent."""
    from graph.model import GraphData

    nodes = data.nodes[:sample]
    ids = {node.id for node in nodes}
    rels = [r for r in data.relationships if r.source in ids and r.target in ids][:sample]
    labels = GraphData(nodes=nodes).label_of()
    with store._transaction() as tx:
        for node in nodes:
            tx.run(_MERGE_NODE.format(label=node.label), id=node.id, props={**node.props, "id": node.id, "name": node.name}).consume()
        for rel in rels:
            query = _MERGE_RELATIONSHIP.format(type=rel.type, source=labels[rel.source], target=labels[rel.target])
            tx.run(query, source=rel.source, target=rel.target, key=rel.key, props={**rel.props, "key": rel.key}).consume()
    return len(nodes) + len(rels)


def _stride(data, rows: int) -> int:
    """The n of :func:`_every_nth`: 1 where ``data`` has no more than ``rows`` rows."""
    return -(-len(data) // rows)


def _every_nth(data, rows: int):
    """About ``rows`` of ``data`` with the mix of the whole: every n-th relationship and node, and
    the nodes those relationships need (``data`` itself when it is no bigger)."""
    from graph.model import GraphData

    step = _stride(data, rows)
    if step <= 1:
        return data
    rels = data.relationships[::step]
    ends = {r.source for r in rels} | {r.target for r in rels}
    nodes = [node for i, node in enumerate(data.nodes) if i % step == 0 or node.id in ends]
    return GraphData(nodes=nodes, relationships=rels, manifest=data.manifest, defaults=data.defaults)


def _step(server, label: str, work) -> None:
    """An untimed step of the Bolt section, its seconds printed: where the section's time goes."""
    _, t, server_cpu = _server_timed(server, work)
    shown = "" if server_cpu is None else f", the server's CPU {server_cpu:.1f} s"
    print(f"    load_bolt: {label}: {t.wall:.1f} s wall, {t.cpu:.1f} s CPU{shown}", file=sys.stderr, flush=True)


def _server_timed(server, work) -> tuple[object, Timer, float | None]:
    """(``work()``'s result, its time in this process, the server's CPU seconds meanwhile — None
    for a server not started here)."""
    before = server.cpu_seconds()
    with timed() as t:
        result = work()
    after = server.cpu_seconds()
    return result, t, (None if before is None or after is None else after - before)


def _bolt_rates(rows: int, t: Timer, server_cpu: float | None) -> dict:
    """Rows per wall second, and per CPU second of this process and the server together (the
    server does most of a load's work; its CPU time is known only for a server started here)."""
    cpu = t.cpu + (server_cpu or 0.0)
    figures = {"rows_per_s": round(rows / max(t.wall, 1e-9)), "rows_per_cpu_s": round(rows / max(cpu, 1e-9))}
    if server_cpu is not None:
        figures["server_cpu_s"] = round(server_cpu, 3)
    return figures


@measurement("load_bolt", needs=("generate",))
def _load_bolt(run: Run) -> list[dict]:
    """chainx's load over Bolt (batched UNWIND) against one MERGE per row into the same server
    (Neo4j Community from neo4j/ with Graph Data Science, started as the GDS tests start it, or
    CHAINX_TEST_NEO4J_URI's). The loaded server stays for the GDS section
    (:mod:`benchmarks.measure_gds`), which empties and stops it.

    Both ways are run once untimed first (the load on at most :data:`WARMUP_ROWS` rows): a fresh
    JVM compiles Neo4j's write path as it goes, and the first load into it cost three times the
    CPU of the third one (100k relationships), so whichever ran first would look the slower. The speedup is the ratio of rows per CPU second,
    this process's and the server's together, when the server was started here (a wall ratio
    swings with the machine's load), else of rows per wall second."""
    from graph.collector import gc_paused
    from graph.fastproj import build_fast_projection
    from loaders import read_dataset
    from loaders.pipeline import prepare
    from tests.bolt import BoltServer

    try:
        # compiled as a server that runs for days is (tests/bolt_server.py): the peer measured
        server = BoltServer.for_tests(run.workdir, heap=BOLT_HEAP, gds=True, short_lived=False)
        if server.local:
            server.start()
            run.servers.append(server)  # its CPU is charged to each section while it runs
            print(f"    load_bolt: the server started in {server.start_seconds:.1f} s wall, its CPU {server.cpu_seconds():.1f} s",
                  file=sys.stderr, flush=True)
        store = server.store()
        clear_database(store)
    except Exception as error:  # no server here: the table says so instead of failing the run
        return [row("load over Bolt", span(), note=f"not measured: no Bolt server ({str(error).splitlines()[0][:200]})")]
    rows = []
    try:
        with gc_paused():
            data, _ = prepare(store, read_dataset(run.dataset))
            # the warm-up (see the docstring)
            _step(server, "warm-up load", partial(store.write, _every_nth(data, WARMUP_ROWS)))
            _step(server, "empty it", partial(clear_database, store))
            sample = TINY_ROW_BY_ROW_SAMPLE if run.tiny else ROW_BY_ROW_SAMPLE
            _step(server, "warm-up MERGE per row", partial(_row_by_row, store, data, sample // 4))
            clear_database(store)
            sent, baseline, baseline_server = _server_timed(server, partial(_row_by_row, store, data, sample))
            _step(server, "empty it", partial(clear_database, store))
            _, create_t, create_server = _server_timed(server, partial(store.write, data))
            warm = []
            for _ in range(WARM_LOADS if len(data) <= WARM_LOAD_ROWS else 0):
                _step(server, "empty it", partial(clear_database, store))
                warm.append(_server_timed(server, partial(store.write, data))[1:])
            # the same data again (or every n-th row of it at 1M): every row matched, nothing changed
            again = _every_nth(data, RELOAD_ROWS)
            _, merge_t, merge_server = _server_timed(server, partial(store.write, again))
        n = len(data)
        part = "" if again is data else f" of the {n:,} loaded, every {_stride(data, RELOAD_ROWS)}th row"

        base = _bolt_rates(sent, baseline, baseline_server)
        by_cpu = baseline_server is not None
        measure = "rows_per_cpu_s" if by_cpu else "rows_per_s"
        note = ("rate: rows per wall s (per CPU s of chainx and the server together); speedup by CPU"
                if by_cpu else "rate: rows per wall s (per CPU s of chainx alone: the server's is not known); speedup by wall")
        rows.append(row(f"one MERGE per row (baseline, {sent:,}-row sample)", baseline, **base, note=note))
        # (row, rows loaded, its timing, the server's CPU meanwhile, target)
        loads = [(f"load into an empty graph ({n:,} rows, UNWIND + CREATE)", n, create_t, create_server, "≥ 20× one MERGE per row and ≥ 50k rows/s")]
        if warm:
            warm_t, warm_server = sorted(warm, key=lambda timing: timing[0].wall)[len(warm) // 2]
            loads.append((f"load into an empty graph, warm server ({n:,} rows, the median of {len(warm)} more loads)", n, warm_t, warm_server,
                          "≥ 50k rows/s"))
        loads.append((f"load again, nothing changes ({len(again):,} rows{part}, UNWIND + MERGE)", len(again), merge_t, merge_server,
                      "≥ 10× one MERGE per row"))
        for label, loaded, t, server_cpu, target in loads:
            rates = _bolt_rates(loaded, t, server_cpu)
            shown = {"note": f"the server's CPU {server_cpu:.2f} s"} if server_cpu is not None else {}
            rows.append(row(label, t, **rates, speedup=round(rates[measure] / max(base[measure], 1), 1), target=target, **shown))
        with timed() as read_t:
            P = build_fast_projection(store, "all")
        read_rows = P.number_of_nodes() + int(P.count.sum())
        rows.append(row(f"read the 'all' projection back ({read_rows:,} rows)", read_t, **_rates(read_rows, read_t)))
        del data, P
        run.extra["bolt"] = (server, store)  # loaded, for the GDS section
    finally:
        if "bolt" not in run.extra:
            close_bolt(server, store)
    return rows


def close_bolt(server, store) -> None:
    """Empty the benchmark's Bolt store, close it and stop its server when it was started here."""
    try:
        clear_database(store)  # a national graph left on a shared server would slow everyone's clear()
    finally:
        store.close()
        if server.local:
            server.stop()

