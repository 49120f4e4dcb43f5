"""Part 1: the bad-input corpus (tests/adversarial/corpus.py) through every door a dataset comes in.

Each broken dataset is loaded onto a store holding data/textile:

- ``chainx load`` on the embedded store: exit status 1, a message naming file, line and column
  (the case's regex), no traceback, and the SQLite file byte for byte as before. The first case of
  each kind runs in a subprocess, as a user runs it (the process's own exit status and stderr);
  the others in this process (the command's own code), since 81 interpreters starting took most
  of this file's time;
- ``chainx load`` on the Bolt store (in this process: the command's own code): the same, with the
  stats and the version token as before;
- ``POST /datasets``: a 4xx carrying the problem list, the store file unchanged.

The awkward but valid variants (BOM, CRLF, trailing separators, GBK, .xlsx, .zip) must load into
exactly the graph the plain dataset loads into.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import traceback
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.errors import Problem
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path

from .conftest import fingerprint, run_chainx
from .corpus import BASE, CASES, VALID, bad_inputs, write_files

CASE_BY_NAME = {case.name: case for case in CASES}
API_KEY = "adversarial-key-0123456789"
WORKERS = 4  # subprocesses at once: each spends most of its life importing, not loading

# the CLI's last line of defence: a bug, not a clear message (chainx/cli.py cli_errors)
UNEXPECTED = re.compile(r"^Error: unexpected \w+:", re.MULTILINE)

# case name → channel → (rejected clearly, changed the store)
RESULTS: dict[str, dict[str, tuple[bool, bool]]] = {}


def record(figures: dict, case: str, channel: str, clear: bool, changed: bool) -> None:
    RESULTS.setdefault(case, {})[channel] = (clear, changed)
    corpus = figures.setdefault("corpus", {})
    corpus.update(
        bad_inputs=len(RESULTS),
        rejected_clearly=sum(all(c for c, _ in channels.values()) for channels in RESULTS.values()),
        changed_store=sum(any(ch for _, ch in channels.values()) for channels in RESULTS.values()),
        channels={name: sorted(channels) for name, channels in RESULTS.items()},
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    changed: bool


def clear_rejection(outcome: Outcome, pattern: str) -> list[str]:
    """What is wrong with a CLI rejection (nothing, when it is clear)."""
    wrong = []
    if outcome.returncode != 1:
        wrong.append(f"exit status {outcome.returncode}, expected 1")
    if "Traceback" in outcome.stderr or UNEXPECTED.search(outcome.stderr):
        wrong.append("a traceback or an unexpected error instead of a clear message")
    if not re.search(pattern, outcome.stderr):
        wrong.append(f"no line of stderr matches {pattern!r}")
    if "Loaded" in outcome.stdout:
        wrong.append("stdout says it loaded")
    return wrong


def describe(outcome: Outcome) -> str:
    return f"exit {outcome.returncode}\nstdout: {outcome.stdout[-500:]}\nstderr: {outcome.stderr[:2000]}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return dict(bad_inputs(tmp_path_factory.mktemp("corpus")))


# the first case of each kind: run as a user's subprocess on the embedded store
IN_A_SUBPROCESS = [next(case.name for case in CASES if case.kind == kind) for kind in dict.fromkeys(case.kind for case in CASES)]


def invoke_load(path: Path, store: str, env: dict[str, str | None]) -> tuple[int, str, str]:
    """``chainx load PATH --store STORE`` in this process (typer's runner): exit status, stdout,
    and stderr with any exception that escaped the command, which a user would see as a traceback."""
    from typer.testing import CliRunner

    from chainx.cli import app

    done = CliRunner().invoke(app, ["load", str(path), "--store", store], env={"CHAINX_DEBUG": None, "CHAINX_STORE": None, **env})
    escaped = done.exception and not isinstance(done.exception, SystemExit)
    return done.exit_code, done.stdout, done.stderr + ("".join(traceback.format_exception(done.exception)) if escaped else "")


@pytest.fixture(scope="module")
def sqlite_outcomes(corpus, textile_template, tmp_path_factory) -> dict[str, Outcome]:
    """Every case loaded by the CLI onto its own copy of the textile store (:data:`IN_A_SUBPROCESS`
    in a subprocess, the others in this process)."""
    work = tmp_path_factory.mktemp("corpus-sqlite")
    expected = sha256(textile_template)

    def copy(name: str) -> Path:
        db = work / f"{name}.db"
        shutil.copyfile(textile_template, db)
        return db

    def run(name: str) -> Outcome:
        db = copy(name)
        done = run_chainx("load", str(corpus[name]), "--store", str(db), cwd=work)
        return Outcome(done.returncode, done.stdout, done.stderr, sha256(db) != expected)

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = dict(zip(IN_A_SUBPROCESS, pool.map(run, IN_A_SUBPROCESS)))
    for name in corpus:
        if name not in outcomes:
            db = copy(name)
            outcomes[name] = Outcome(*invoke_load(corpus[name], str(db), {}), sha256(db) != expected)
    return outcomes


@pytest.fixture(scope="module")
def bolt_outcomes(corpus, bolt_textile, bolt_server, tmp_path_factory) -> dict[str, Outcome]:
    """Every case loaded by the command onto the Bolt store holding textile, one after another.
    In this process (typer's runner, the command's own code and error handling): the embedded
    channel above runs one case of each kind as a user's subprocess, and 81 more interpreters
    starting and connecting took two minutes. The check after each case blames the case itself."""
    outcomes = {}
    for name in corpus:
        before = (reads.stats(bolt_textile).to_dict(), bolt_textile.version())
        done = invoke_load(corpus[name], bolt_server.uri, bolt_server.env())
        outcomes[name] = Outcome(*done, (reads.stats(bolt_textile).to_dict(), bolt_textile.version()) != before)
    return outcomes


@pytest.mark.parametrize("name", CASE_BY_NAME)
def test_the_cli_rejects_it_clearly_and_leaves_the_embedded_store_byte_identical(name, sqlite_outcomes, figures):
    case, outcome = CASE_BY_NAME[name], sqlite_outcomes[name]
    wrong = clear_rejection(outcome, case.expect)
    record(figures, name, "cli-sqlite", not wrong, outcome.changed)
    assert not wrong, f"{name}: {'; '.join(wrong)}\n{describe(outcome)}"
    assert not outcome.changed, f"{name}: the store file changed"


@pytest.mark.neo4j
@pytest.mark.parametrize("name", CASE_BY_NAME)
def test_the_cli_rejects_it_clearly_and_leaves_the_bolt_store_as_it_was(name, bolt_outcomes, figures):
    case, outcome = CASE_BY_NAME[name], bolt_outcomes[name]
    wrong = clear_rejection(outcome, case.expect)
    record(figures, name, "cli-bolt", not wrong, outcome.changed)
    assert not wrong, f"{name}: {'; '.join(wrong)}\n{describe(outcome)}"
    assert not outcome.changed, f"{name}: the Bolt store's stats or version changed"


# -- the API ---------------------------------------------------------------------------------
def upload_of(name: str, path: Path) -> tuple[str, bytes]:
    """(file name, bytes) to send: the case's own file, or its folder zipped."""
    if CASE_BY_NAME[name].upload == "file":
        return path.name, path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for child in sorted(path.iterdir()):
            archive.write(child, child.name)
    return f"{name}.zip", buffer.getvalue()


@pytest.fixture(scope="module")
def api_db(textile_template, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus-api") / "chainx.db"
    shutil.copyfile(textile_template, path)
    return path


@pytest.fixture(scope="module")
def api(api_db):
    with TestClient(create_app(Settings(store=str(api_db), api_key=API_KEY))) as client:
        client.headers["X-API-Key"] = API_KEY
        yield client


@pytest.mark.parametrize("name", [case.name for case in CASES if case.upload])
def test_the_api_answers_4xx_with_the_problem_list(name, corpus, api, api_db, textile_template, figures):
    filename, content = upload_of(name, corpus[name])
    response = api.post("/datasets", files={"file": (filename, content, "application/octet-stream")})
    changed = sha256(api_db) != sha256(textile_template)
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    problems = [str(Problem(**p)) for p in body.get("error", {}).get("problems", [])]
    wrong = []
    if not 400 <= response.status_code < 500:
        wrong.append(f"HTTP {response.status_code}")
    if body.get("error", {}).get("type") != "DatasetError" or not problems:
        wrong.append("no problem list")
    if not any(re.search(CASE_BY_NAME[name].expect, p) for p in problems):
        wrong.append(f"no problem matches {CASE_BY_NAME[name].expect!r}")
    if "Traceback" in response.text:
        wrong.append("a traceback in the response")
    record(figures, name, "api", not wrong, changed)
    assert not wrong, f"{name}: {'; '.join(wrong)}\n{response.status_code} {response.text[:2000]}"
    assert not changed, f"{name}: the store file changed"


# -- valid, if awkward -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base_graph(textile_template, tmp_path_factory) -> tuple:
    """The graph the plain BASE dataset makes on top of textile: worked out in-process, the
    variants must reproduce it through the CLI."""
    work = tmp_path_factory.mktemp("corpus-base")
    db = work / "chainx.db"
    shutil.copyfile(textile_template, db)
    with SqliteStore(db) as store:
        before = fingerprint(store)
        load_path(store, write_files(work / "dataset", BASE))
        after = fingerprint(store)
    # BASE: 2 stages, 2 regions, 1 park, 3 enterprises, 1 institute
    assert len(after[0]) == len(before[0]) + 9
    return after


@pytest.mark.parametrize("variant", VALID)
def test_a_valid_variant_loads_into_the_plain_datasets_graph(variant, base_graph, textile_db, tmp_path, figures):
    (tmp_path / "variant").mkdir()
    path = VALID[variant](tmp_path / "variant")
    done = run_chainx("load", str(path), "--store", str(textile_db), cwd=tmp_path)
    with SqliteStore(textile_db) as store:
        correct = done.returncode == 0 and fingerprint(store) == base_graph
    corpus = figures.setdefault("corpus", {})
    accepted = set(corpus.get("accepted", [])) | ({variant} if correct else set())
    corpus.update(valid_inputs=len(VALID), accepted=sorted(accepted), accepted_correctly=len(accepted))
    assert done.returncode == 0, done.stderr
    assert correct, f"{variant} loaded into a different graph"
