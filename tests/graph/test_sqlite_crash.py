"""A load killed halfway leaves the embedded store with the previous graph, and a re-run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from graph.store import reads
from graph.store.sqlite import SqliteStore

CHAINX = [sys.executable, "-m", "chainx"]


def make_dataset(folder: Path, enterprises: int) -> Path:
    folder.mkdir(parents=True)
    stages = [f"s{i}" for i in range(50)]
    (folder / "stages.csv").write_text("id,name\n" + "".join(f"{s},阶段{s}\n" for s in stages), encoding="utf-8")
    (folder / "regions.csv").write_text("id,name\nr,某地\n", encoding="utf-8")
    (folder / "enterprises.csv").write_text(
        "id,name,region\n" + "".join(f"e{i},企业{i},r\n" for i in range(enterprises)), encoding="utf-8"
    )
    (folder / "enterprise_stages.csv").write_text(
        "enterprise,stage\n" + "".join(f"e{i},{stages[i % 50]}\n" for i in range(enterprises)), encoding="utf-8"
    )
    return folder


def load(db: Path, dataset: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CHAINX, "load", str(dataset), "--store", str(db)], capture_output=True, text=True, timeout=300)


def test_a_load_killed_mid_write_leaves_the_previous_graph(tmp_path):
    db = tmp_path / "chainx.db"
    small = make_dataset(tmp_path / "small", 10)
    big = make_dataset(tmp_path / "big", 60_000)
    assert load(db, small).returncode == 0
    with SqliteStore(db) as store:
        before = reads.snapshot(store)

    journal = Path(f"{db}-journal")
    process = subprocess.Popen([*CHAINX, "load", str(big), "--store", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # The rollback journal exists exactly while a write transaction is open: kill inside it.
    deadline = time.monotonic() + 120
    while not journal.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert process.poll() is None, "the load finished before it could be killed mid-write"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    with SqliteStore(db) as store:
        assert reads.snapshot(store) == before
    assert load(db, big).returncode == 0
    with SqliteStore(db) as store:
        stats = reads.stats(store).to_dict()
    assert stats["nodes"]["Enterprise"] == 60_000 and stats["relationships"]["OPERATES_IN"] == 60_000
