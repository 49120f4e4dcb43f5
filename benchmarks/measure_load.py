"""Measurements: generating the dataset, loading it into the embedded store and over Bolt."""

from __future__ import annotations

from benchmarks.core import Run, Timer, measurement, peak_rss_mb, row, span, timed
from benchmarks.generate import _generate
from graph.store.neo4j import clear_database

ROW_BY_ROW_SAMPLE = 2_000  # nodes, and relationships among them, sent one MERGE at a time
# the way a row is written one at a time: MERGE on the identity, then the properties
_MERGE_NODE = "MERGE (n:{label} {{id: $id}}) SET n = $props"
_MERGE_RELATIONSHIP = ("MATCH (a:{source} {{id: $source}}) MATCH (b:{target} {{id: $target}})"
                       " MERGE (a)-[r:{type} {{key: $key}}]->(b) SET r = $props")
BOLT_HEAP = "4g"  # the Neo4j test server's JVM heap: a 1M-relationship load is one transaction


def _rates(rows: int, t: Timer) -> dict:
    return {"rows_per_s": round(rows / max(t.wall, 1e-9)), "rows_per_cpu_s": round(rows / max(t.cpu, 1e-9))}


@measurement("generate")
def _generate_dataset(run: Run) -> list[dict]:
    with timed() as t:
        folder, shape = _generate(run.workdir / "dataset", run.size, run.seed)
    run.dataset = folder
    return [row("generate dataset", t, rows_per_s=round((shape.nodes + run.size) / max(t.wall, 1e-9)), note=", ".join(f"{k} {v:,}" for k, v in shape.counts.items()))]


@measurement("load_embedded")
def _load_embedded(run: Run) -> list[dict]:
    from graph.store.sqlite import SqliteStore
    from loaders import read_dataset
    from loaders.pipeline import gc_paused, prepare

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


def _row_by_row(store, data) -> tuple[int, Timer]:
    """The baseline: a sample of ``data`` loaded into the empty server with one MERGE query per
    node or relationship (:data:`_MERGE_NODE`, :data:`_MERGE_RELATIONSHIP`) in one transaction,
    committed as chainx's load is; the server is emptied again afterwards. Returns the rows sent
    and their time."""
    from graph.model import GraphData

    nodes = data.nodes[:ROW_BY_ROW_SAMPLE]
    ids = {node.id for node in nodes}
    rels = [r for r in data.relationships if r.source in ids and r.target in ids][:ROW_BY_ROW_SAMPLE]
    labels = GraphData(nodes=nodes).label_of()
    with timed() as t:
        with store._transaction() as tx:
            for node in nodes:
                tx.run(_MERGE_NODE.format(label=node.label), id=node.id, props={**node.props, "id": node.id, "name": node.name}).consume()
            for rel in rels:
                query = _MERGE_RELATIONSHIP.format(type=rel.type, source=labels[rel.source], target=labels[rel.target])
                tx.run(query, source=rel.source, target=rel.target, key=rel.key, props={**rel.props, "key": rel.key}).consume()
    clear_database(store)
    return len(nodes) + len(rels), t


@measurement("load_bolt")
def _load_bolt(run: Run) -> list[dict]:
    """chainx's load over Bolt (batched UNWIND) against one MERGE per row into the same server
    (Neo4j Community from neo4j/ with Graph Data Science, started as the GDS tests start it, or
    CHAINX_TEST_NEO4J_URI's). The loaded server stays for the GDS section
    (:mod:`benchmarks.measure_gds`), which empties and stops it."""
    from graph.fastproj import build_fast_projection
    from loaders import read_dataset
    from loaders.pipeline import gc_paused, prepare
    from tests.bolt import BoltServer

    try:
        server = BoltServer.for_tests(run.workdir, heap=BOLT_HEAP, gds=True)
        if server.local:
            server.start()
        store = server.store()
        clear_database(store)
    except Exception as error:  # no server here: the table says so instead of failing the run
        return [row("load over Bolt", span(), note=f"not measured: no Bolt server ({str(error).splitlines()[0][:200]})")]
    rows = []
    try:
        with gc_paused():
            data, _ = prepare(store, read_dataset(run.dataset))
            sent, baseline = _row_by_row(store, data)
            with timed() as create_t:
                store.write(data)
            with timed() as merge_t:  # the same data again: every row matched, nothing changed
                store.write(data)
        n = len(data)
        base_rate = sent / max(baseline.wall, 1e-9)
        rows.append(row(f"one MERGE per row (baseline, {sent:,}-row sample)", baseline, **_rates(sent, baseline)))
        for label, t in ((f"load into an empty graph ({n:,} rows, UNWIND + CREATE)", create_t),
                         (f"load again, nothing changes ({n:,} rows, UNWIND + MERGE)", merge_t)):
            rate = n / max(t.wall, 1e-9)
            rows.append(row(label, t, **_rates(n, t), speedup=round(rate / base_rate, 1), target="≥ 10× one MERGE per row"))
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

