"""The local Bolt server of the test run: Neo4j Community Edition, run by the launcher in neo4j/.

The launcher (neo4j/pom.xml, neo4j/src/main/java/chainx/Neo4jLauncher.java) embeds Neo4j in a
JVM with its Bolt connector on a loopback port, a data folder of its own and a password for the
user ``neo4j``; it prints one :data:`READY` line once Bolt takes logins. Built with Maven from
Maven Central by ``make neo4j-build`` (``make test`` and ``make neo4j`` do it; :func:`ensure_built`
does it when the suite is run by hand). tests/bolt.py runs it as a child process.

Graph Data Science is registered from the jars of the server's plugins folder: a server started
with :data:`GDS_PLUGINS` has it, one started with an empty folder has not (and starts in about
two thirds of the CPU time). Only the GDS tests ask for it.

A test run starts the JVM some ten times (a server per worker, the GDS servers, the outage tests'
restarts), and much of a start is loading Neo4j's classes. A server started while there is no
class-data-sharing archive of the current jar (:data:`ARCHIVE`, beside it, some 150 MB) writes one
as it stops cleanly (:func:`archive_options`, :func:`keep_archive`); every later start maps it
instead (some 4 s less CPU per start on these machines). A JVM that cannot use it starts as before.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = ["READY", "DATABASE", "USER", "JAR", "ARCHIVE", "GDS_PLUGINS", "command", "ensure_built", "archive_options", "keep_archive"]

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / "neo4j"
JAR = LAUNCHER / "target" / "chainx-neo4j.jar"
GDS_PLUGINS = LAUNCHER / "target" / "plugins"  # GDS's jars (neo4j/pom.xml copies them there)
ARCHIVE = LAUNCHER / "target" / "chainx-neo4j.jsa"  # the classes a server loaded, for the next starts (archive_options)
SOURCES = (LAUNCHER / "pom.xml", LAUNCHER / "src" / "main" / "java" / "chainx" / "Neo4jLauncher.java")
READY = "CHAINX-NEO4J-READY"
USER = "neo4j"
DATABASE = "neo4j"  # Community Edition holds one user database
# A test server lives for minutes on a small, busy machine: a single-threaded collector leaves
# the cores to the tests.
JVM_ARGS = ("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")
# A test's server lives for seconds to minutes, and the JIT's optimising compiler (C2) cost it more
# CPU than the code it compiled saved: the chainkg import's write took the server 30.4 and 28.9 CPU s
# with it, 17.2 and 15.9 with the quick compiler (C1) alone, in the same wall time; a start 9.0 and
# 5.6. The benchmark's server stands for one that runs for days, and keeps it (``short_lived``).
SHORT_LIVED_JVM_ARGS = ("-XX:TieredStopAtLevel=1",)
# The young generation's share of the heap (young_generation): a load is one transaction whose
# state lives on the heap until the commit, and with the collector's default third (of a heap
# that starts small) every young collection copies that growing state again: a third of the
# server's CPU on a 100k-relationship load. With half, most of a load fits in eden (measured on
# these machines, warm servers side by side, loads alternating: the collector's CPU per load
# 1.04 -> 0.17 s and 0.99 -> 0.40 s (medians, two runs), the server's 0.66x and 0.72x).
YOUNG_SHARE = 2
# The launcher's record of the last password it set, in its home: the SHA-256 of it, in hex.
PASSWORD_RECORD = Path("data") / "chainx-password.sha256"
# How long a stop waits for open transactions before it ends them: Neo4j's 10 s, each time an
# outage test stops the server in the middle of a write, is waiting and nothing else.
SHUTDOWN_WAIT_SECONDS = 1


def young_generation(heap: str) -> str:
    """The ``-Xmn`` size for a JVM heap of ``heap`` (a size as -Xmx takes it: 4g, 1536m): 1/YOUNG_SHARE of it.

    >>> young_generation("4g"), young_generation("1536m"), young_generation("3G")
    ('2048m', '768m', '1536m')
    >>> young_generation("lots")
    Traceback (most recent call last):
    ValueError: heap: expected a size such as 2g or 1536m, got 'lots'
    """
    units = {"k": 1 / 1024, "m": 1, "g": 1024}
    number, unit = heap[:-1], heap[-1].lower()
    if unit not in units or not number.isdigit():
        raise ValueError(f"heap: expected a size such as 2g or 1536m, got {heap!r}")
    return f"{int(int(number) * units[unit]) // YOUNG_SHARE}m"


def ensure_built() -> Path:
    """The launcher's jar, built first (``make neo4j-build``) when missing or older than its sources."""
    if not JAR.exists() or JAR.stat().st_mtime < max(source.stat().st_mtime for source in SOURCES):
        done = subprocess.run(["make", "-s", "-C", str(ROOT), "neo4j-build"], capture_output=True, text=True)
        if done.returncode or not JAR.exists():
            raise RuntimeError(f"building the Neo4j launcher failed (make neo4j-build):\n{(done.stdout + done.stderr)[-3000:]}")
    return JAR


def _archive_current() -> bool:
    return ARCHIVE.exists() and JAR.exists() and ARCHIVE.stat().st_mtime >= JAR.stat().st_mtime


_partials = itertools.count()


def archive_options() -> tuple[list[str], Path | None]:
    """The JVM options of a server's start: map :data:`ARCHIVE` when it is the current jar's; else
    write one when the JVM exits (into the partial file returned, which :func:`keep_archive` puts
    in place once the server has stopped; a killed JVM writes nothing)."""
    if _archive_current():
        return [f"-XX:SharedArchiveFile={ARCHIVE}"], None
    partial = ARCHIVE.with_name(f"{ARCHIVE.name}.{os.getpid()}-{next(_partials)}.tmp")
    return [f"-XX:ArchiveClassesAtExit={partial}"], partial


def keep_archive(partial: Path, exited_cleanly: bool) -> None:
    """After a server started with a partial archive has exited: it becomes :data:`ARCHIVE` when
    the JVM exited cleanly and wrote it (workers that each wrote one replace each other's: any is
    good), else it is thrown away."""
    if exited_cleanly and partial.exists() and partial.stat().st_size:
        os.replace(partial, ARCHIVE)
    else:
        partial.unlink(missing_ok=True)


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise RuntimeError("no java on PATH: run `make neo4j-build` (it installs Debian's openjdk-17-jdk-headless and maven)")
    return found


def command(home: Path, bolt_port: int, password: str, plugins: Path, *, heap: str = "1g", page_cache: str = "128m",
            jvm_options: Sequence[str] = (), short_lived: bool = False) -> list[str]:
    """The command that runs Neo4j on ``bolt_port`` with its data in ``home`` and the procedures of
    the jars in ``plugins`` (:data:`GDS_PLUGINS`, or an empty folder for none), with ``jvm_options``
    (:func:`archive_options`), compiled for a short life (``short_lived``: :data:`SHORT_LIVED_JVM_ARGS`);
    it stops when its standard input closes (the test run's end, however it ends) or on SIGTERM."""
    jar = ensure_built()
    return [
        java(), f"-Xmx{heap}", f"-Xmn{young_generation(heap)}", *JVM_ARGS, *(SHORT_LIVED_JVM_ARGS if short_lived else ()),
        *jvm_options, "-jar", str(jar),
        "--home", str(home), "--bolt-port", str(bolt_port), "--password", password,
        "--plugins", str(plugins), "--page-cache", page_cache, "--shutdown-wait", str(SHUTDOWN_WAIT_SECONDS), "--stop-on-eof",
    ]
