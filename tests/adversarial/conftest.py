"""The adversarial suite: fixtures shared by its parts, and the figures it reports.

Each part records what it measured in :data:`FIGURES` (through the ``figures`` fixture); the
terminal summary prints them as one line and writes them to tests/artifacts/adversarial.json.
A part that failed half-way reports what it measured before it failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graph.store import reads
from graph.store.neo4j import clear_database
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.conftest import ROOT, TEXTILE

ARTIFACT = ROOT / "tests" / "artifacts" / "adversarial.json"
CHAINX = [sys.executable, "-m", "chainx"]

# part → {figure: value}; filled by the tests, printed by pytest_terminal_summary
FIGURES: dict[str, dict] = {}


@pytest.fixture(scope="session")
def figures() -> dict[str, dict]:
    return FIGURES


def summary_line(figures: dict[str, dict]) -> str:
    """The figures as one line, in the order of the issue."""
    parts = []
    if c := figures.get("corpus"):
        part = f"{c['bad_inputs']} bad inputs, {c['rejected_clearly']} rejected clearly, {c['changed_store']} changed the store"
        if "valid_inputs" in c:
            part += f" ({c['accepted_correctly']} of {c['valid_inputs']} valid variants accepted correctly)"
        parts.append(part)
    if c := figures.get("crash"):
        parts.append(f"{c['kills']} kills, {c['inconsistent']} inconsistent stores")
    if c := figures.get("concurrency"):
        part = f"concurrent loads: {c['loads']}, {c['corrupt']} corrupt"
        if c.get("reads"):  # measured only where reads under replace ran
            part += f"; reads under replace: {c['reads']}, {c['mixed']} mixed"
        parts.append(part)
    if c := figures.get("fuzzing"):
        parts.append(
            f"fuzzing: {c['requests']} requests over {len(c['operations'])} operations, {c['server_errors']} 5xx, "
            f"{c['schema_violations']} schema violations"
        )
    if c := figures.get("injection"):
        parts.append(f"injection: {c['strings']} strings, {c['changed_graph']} changed the graph, {c['not_round_tripped']} not round-tripped")
    if c := figures.get("xss"):
        parts.append(f"XSS: {c['payloads']} payloads over {c['pages']} page loads, {c['executed']} executed")
    if c := figures.get("outages"):
        parts.append(
            f"outages: {c['outages']} outages, {c['refused_clearly']} of {c['refusals']} requests refused clearly, "
            f"{c['partial_writes']} partial writes, {c['recovered']} of {c['recoveries']} recovered"
        )
    if c := figures.get("limits"):
        parts.append(f"limits: {c['enforced']} of {c['checked']} enforced")
    if c := figures.get("write_protection"):
        parts.append(
            f"write protection: {c['endpoints']} endpoints checked ({c['writes']} writes), {c['open']} open; "
            f"{c['reads_open']} reads open without a key"
        )
    if c := figures.get("load"):
        parts.append(f"load: {c['costly']} costly requests at once on {c['relationships']:,} relationships, {c['server_errors']} 5xx, "
                     f"{c['refused']} refused, /health p99 {c['health_p99_ms']} ms over {c['health']} requests")
    if c := figures.get("round_two"):
        # the classes of issue 15, each as held of tried (refused clearly or made harmless)
        parts.append("round two: " + ", ".join(f"{kind} {n['held']} of {n['tried']} held" for kind, n in c.items()))
    return "adversarial: " + "; ".join(parts)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not FIGURES:
        return
    terminalreporter.write_sep("-", "adversarial figures")
    terminalreporter.write_line(summary_line(FIGURES))
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps({"summary": summary_line(FIGURES), **FIGURES}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# -- stores holding the textile chain -----------------------------------------------------------
@pytest.fixture(scope="session")
def textile_template(tmp_path_factory) -> Path:
    """An embedded store of data/textile, to be copied (never opened for writing itself)."""
    path = tmp_path_factory.mktemp("adversarial-textile") / "chainx.db"
    with SqliteStore(path, create=True) as store:
        load_path(store, TEXTILE)
    return path


@pytest.fixture
def textile_db(textile_template, tmp_path) -> Path:
    """This test's own copy of the textile store."""
    path = tmp_path / "chainx.db"
    shutil.copyfile(textile_template, path)
    return path


@pytest.fixture(scope="module")
def bolt_textile(bolt_server):
    """The Bolt server's database holding data/textile, for one module's tests."""
    if not bolt_server.running:
        bolt_server.start()
    store = bolt_server.store()
    clear_database(store)
    load_path(store, TEXTILE)
    yield store
    store.close()


def run_chainx(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """``chainx ARGS`` in a subprocess, as a user runs it (no CHAINX_DEBUG: never a traceback)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CHAINX_DEBUG", "CHAINX_STORE")}
    environment.update(env or {})
    return subprocess.run([*CHAINX, *args], capture_output=True, text=True, env=environment, cwd=cwd, timeout=timeout)


def fingerprint(store) -> tuple:
    """What a store holds, compared whole: every node and relationship with its properties."""
    data = reads.snapshot(store)
    return (
        tuple((n.label, n.id, n.name, json.dumps(n.props, sort_keys=True, ensure_ascii=False)) for n in data.nodes),
        tuple((r.type, r.source, r.target, r.key, json.dumps(r.props, sort_keys=True, ensure_ascii=False)) for r in data.relationships),
    )
