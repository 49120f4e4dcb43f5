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
restarts), and most of a start is loading Neo4j's classes: :func:`ensure_archive` writes them once
into a class-data-sharing archive beside the jar (:data:`ARCHIVE`, about 110 MB, rebuilt when the
jar changes), which every later start maps instead (about half the CPU time of a start). A JVM
that cannot use it starts as before.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["READY", "DATABASE", "USER", "JAR", "ARCHIVE", "GDS_PLUGINS", "command", "ensure_built", "ensure_archive"]

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / "neo4j"
JAR = LAUNCHER / "target" / "chainx-neo4j.jar"
GDS_PLUGINS = LAUNCHER / "target" / "plugins"  # GDS's jars (neo4j/pom.xml copies them there)
ARCHIVE = LAUNCHER / "target" / "chainx-neo4j.jsa"  # the classes a start loads, for the next starts (ensure_archive)
SOURCES = (LAUNCHER / "pom.xml", LAUNCHER / "src" / "main" / "java" / "chainx" / "Neo4jLauncher.java")
READY = "CHAINX-NEO4J-READY"
USER = "neo4j"
DATABASE = "neo4j"  # Community Edition holds one user database
# A test server lives for minutes on a small, busy machine: a single-threaded collector leaves
# the cores to the tests.
JVM_ARGS = ("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")


def ensure_built() -> Path:
    """The launcher's jar, built first (``make neo4j-build``) when missing or older than its sources."""
    if not JAR.exists() or JAR.stat().st_mtime < max(source.stat().st_mtime for source in SOURCES):
        done = subprocess.run(["make", "-s", "-C", str(ROOT), "neo4j-build"], capture_output=True, text=True)
        if done.returncode or not JAR.exists():
            raise RuntimeError(f"building the Neo4j launcher failed (make neo4j-build):\n{(done.stdout + done.stderr)[-3000:]}")
    return JAR


def _archive_current() -> bool:
    return ARCHIVE.exists() and JAR.exists() and ARCHIVE.stat().st_mtime >= JAR.stat().st_mtime


def ensure_archive() -> Path | None:
    """The class-data-sharing archive of the launcher (:data:`ARCHIVE`), written first when missing
    or older than the jar: the launcher is started once with GDS, on an empty folder, and stops as
    soon as it is ready; the JVM writes the classes it loaded as it exits. Several test workers
    (or checkouts sharing one neo4j/target) take turns on a lock, and the first writes it. None
    when it cannot be written: the servers then start without it, only slower."""
    if _archive_current():
        return ARCHIVE
    jar = ensure_built()
    with open(ARCHIVE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _archive_current():
            return ARCHIVE
        with tempfile.TemporaryDirectory(prefix="chainx-neo4j-archive-") as home:
            partial = ARCHIVE.with_name(f"{ARCHIVE.name}.{os.getpid()}.tmp")
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            argv = [java(), "-Xmx1g", *JVM_ARGS, f"-XX:ArchiveClassesAtExit={partial}", "-jar", str(jar), "--home", str(Path(home) / "neo4j"),
                    "--bolt-port", str(port), "--password", "archive-only-password", "--plugins", str(GDS_PLUGINS), "--stop-on-eof"]
            try:  # standard input at its end: the launcher stops once it is ready
                done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
            except (OSError, subprocess.TimeoutExpired):
                done = None
            if done is None or done.returncode or not partial.exists() or READY.encode() not in done.stdout:
                partial.unlink(missing_ok=True)
                return None
            os.replace(partial, ARCHIVE)
    return ARCHIVE


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise RuntimeError("no java on PATH: run `make neo4j-build` (it installs Debian's openjdk-17-jdk-headless and maven)")
    return found


def command(home: Path, bolt_port: int, password: str, plugins: Path, *, heap: str = "1g", page_cache: str = "128m") -> list[str]:
    """The command that runs Neo4j on ``bolt_port`` with its data in ``home`` and the procedures of
    the jars in ``plugins`` (:data:`GDS_PLUGINS`, or an empty folder for none); it stops when its
    standard input closes (the test run's end, however it ends) or on SIGTERM."""
    jar = ensure_built()
    shared = [f"-XX:SharedArchiveFile={ARCHIVE}"] if _archive_current() else []
    return [
        java(), f"-Xmx{heap}", *JVM_ARGS, *shared, "-jar", str(jar),
        "--home", str(home), "--bolt-port", str(bolt_port), "--password", password,
        "--plugins", str(plugins), "--page-cache", page_cache, "--stop-on-eof",
    ]
