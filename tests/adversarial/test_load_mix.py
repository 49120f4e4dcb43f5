"""Part 10: a bounded mix of costly and cheap requests against ``chainx serve`` on a generated
100k-relationship store (issue 15): the costly reads of the hostile tester, each with its own
seed or size so the cache does not answer it, sent at once while /health is asked over and over.

Held when no request gets a 5xx other than the 503 Overloaded refusal (with Retry-After) and every
/health answers 200. Reported (not asserted: no timing assertions): the requests, the refused
count (503 Overloaded, 422 too expensive) and the p99 of /health, whose target (≤ 50 ms) is a row
of ``make bench`` beside /health alone in the same run (benchmarks/measure_service.py). The mix
itself is :func:`benchmarks.loadgen.costly_mix`, shared with that row.
"""

from __future__ import annotations

import json
import sqlite3

from benchmarks.generate import generate_dataset
from benchmarks.loadgen import COSTLY_LIMITS, costly_mix, costly_targets, percentile
from graph.store.sqlite import SqliteStore
from loaders import load_dataset
from tests.serve import chainx_serve

RELATIONSHIPS = 100_000
HEALTH_REQUESTS = 50_000  # a bound on a broken run: the loop stops when the costly requests are answered


def test_a_mix_of_costly_and_cheap_requests_gets_no_5xx_and_health_answers(tmp_path, figures):
    folder = generate_dataset(tmp_path / "chain", relationships=RELATIONSHIPS, seed=15)
    db = tmp_path / "chainx.db"
    with SqliteStore(db, create=True) as store:
        store.write(load_dataset(folder))
    with sqlite3.connect(db) as raw:
        hub = raw.execute("SELECT source FROM rels WHERE type = 'SUPPLIES' GROUP BY source ORDER BY count(*) DESC, source LIMIT 1").fetchone()[0]
        institute = raw.execute("SELECT id FROM nodes WHERE label = 'Institute' ORDER BY id LIMIT 1").fetchone()[0]
    costly = costly_targets(hub, institute)
    with chainx_serve(str(db), env=COSTLY_LIMITS) as base:
        answers, health = costly_mix(int(base.rsplit(":", 1)[1]), costly, HEALTH_REQUESTS)

    def refused(status: int, headers: dict, body: str) -> bool:
        if status == 503:
            return json.loads(body)["error"]["type"] == "Overloaded" and "retry-after" in headers
        return status == 422 and json.loads(body)["error"]["type"] in ("TooExpensive", "InvalidParameter")

    server_errors = [t for t, (status, headers, body) in answers.items() if status >= 500 and not refused(status, headers, body)]
    refusals = sum(refused(*answer) for answer in answers.values())
    latencies = sorted(seconds for _, seconds in health)
    figures["load"] = {
        "relationships": RELATIONSHIPS,
        "costly": len(costly),
        "health": len(health),
        "server_errors": len(server_errors) + sum(status >= 500 for status, _ in health),
        "refused": refusals,
        "health_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }
    assert not server_errors, {t: answers[t][:1] + (answers[t][2][:300],) for t in server_errors}
    assert health and all(status == 200 for status, _ in health), sorted({status for status, _ in health})
    assert all(status in (200, 422, 503) for status, _, _ in answers.values()), {t: a[0] for t, a in answers.items()}
    # a cost refusal says what it estimated and which limit it crossed
    costly_refusals = [json.loads(body)["error"]["message"] for status, _, body in answers.values()
                       if status == 422 and json.loads(body)["error"]["type"] == "TooExpensive"]
    assert all("CHAINX_MAX_" in message and ("would take about" in message or "could list up to" in message or "holds more than" in message)
               for message in costly_refusals), costly_refusals
