"""The Bolt server the test run uses for the Neo4j store.

When ``CHAINX_TEST_NEO4J_URI`` is set, that server is used (with ``CHAINX_TEST_NEO4J_USER``,
``_PASSWORD``, ``_DATABASE``); its data is deleted before every test that uses it. Otherwise the
run starts a local Neo4j Community Edition (the launcher in neo4j/, see tests/bolt_server.py) in
a child process, once per session, on a free loopback port, without Graph Data Science (an empty
plugins folder: it starts faster); the GDS tests start one with it (``gds=True``). Tests can
:meth:`BoltServer.stop` and :meth:`BoltServer.start` it again — same ports, same data — to play an
outage.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.bolt_server import DATABASE, GDS_PLUGINS, READY, USER, archive_options, command, keep_archive

__all__ = ["BoltServer", "free_port"]

START_TIMEOUT = 180  # seconds; a cold JVM on a busy 2-core machine takes 5-20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BoltServer:
    """A Bolt server for tests: where it is, how to log in, and (when local) how to stop it."""

    def __init__(self, uri: str, user: str, password: str | None, database: str | None, *, data_dir: Path | None = None,
                 heap: str = "2g", gds: bool = False, short_lived: bool = True):
        self.uri = uri
        self.heap = heap
        self.short_lived = short_lived
        self.gds = gds
        self.user = user
        self.password = password
        self.database = database
        self.data_dir = data_dir
        self.local = data_dir is not None
        self.start_seconds: float | None = None
        self._process: subprocess.Popen | None = None
        self._archive: Path | None = None  # the class-data-sharing archive this JVM writes as it stops (tests/bolt_server.py)
        self._log = None
        if self.local:
            self.bolt_port = int(uri.rsplit(":", 1)[1])
            _servers.append(self)

    @classmethod
    def for_tests(cls, workdir: Path, *, heap: str = "2g", gds: bool = False, short_lived: bool = True) -> BoltServer:
        """The server named by CHAINX_TEST_NEO4J_URI, or a local one to be started in ``workdir``
        (with a JVM heap of ``heap``, Graph Data Science if ``gds``, and compiled for a test's short
        life unless not ``short_lived``: tests/bolt_server.py). An external server is what it is:
        with ``gds`` it is used as it is, and has GDS or not."""
        uri = os.environ.get("CHAINX_TEST_NEO4J_URI")
        if uri:
            return cls(
                uri,
                os.environ.get("CHAINX_TEST_NEO4J_USER") or "neo4j",
                os.environ.get("CHAINX_TEST_NEO4J_PASSWORD"),
                os.environ.get("CHAINX_TEST_NEO4J_DATABASE") or None,
            )
        return cls(f"bolt://127.0.0.1:{free_port()}", USER, "chainx-test-password", DATABASE, data_dir=workdir / "neo4j", heap=heap,
                   gds=gds, short_lived=short_lived)

    # -- how clients reach it --------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The environment variables that make ``chainx --store URI`` log in to this server."""
        env = {"CHAINX_NEO4J_USER": self.user}
        if self.password is not None:
            env["CHAINX_NEO4J_PASSWORD"] = self.password
        if self.database:
            env["CHAINX_NEO4J_DATABASE"] = self.database
        return env

    def store(self, **overrides):
        from graph.store.neo4j import Neo4jStore

        settings = {"user": self.user, "password": self.password, "database": self.database, **overrides}
        return Neo4jStore(self.uri, **settings)

    # -- the local server's life -----------------------------------------------------------
    @property
    def running(self) -> bool:
        return not self.local or (self._process is not None and self._process.poll() is None)

    def cpu_seconds(self) -> float | None:
        """The CPU time (user + system) the local server's JVM has used so far, from /proc; None
        for an external server or where /proc is not there. The Bolt load benchmark counts the
        server's work with it: on a shared machine a wall time says little."""
        if not self.local or self._process is None:
            return None
        try:
            fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def start(self) -> None:
        """Start the local server (same ports, same data) and wait until it serves Bolt."""
        if not self.local:
            raise RuntimeError(f"{self.uri} is an external server (CHAINX_TEST_NEO4J_URI): the tests cannot start it")
        if self.running:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir.parent / "server.log"
        self._log = open(log_path, "ab")
        begun = time.monotonic()
        plugins = GDS_PLUGINS if self.gds else self.data_dir.parent / "no-plugins"
        plugins.mkdir(exist_ok=True)
        options, self._archive = archive_options()
        argv = command(self.data_dir, self.bolt_port, self.password, plugins, heap=self.heap, jvm_options=options,
                       short_lived=self.short_lived)
        # stdin stays a pipe to this process: when the test run ends, however it ends, the
        # server sees EOF and stops (--stop-on-eof). A session of its own keeps a ^C meant for
        # pytest from killing it before the fixture stops it in order.
        self._process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        offset = log_path.stat().st_size
        while True:
            with open(log_path, "rb") as log:
                log.seek(offset)
                if READY.encode() in log.read():
                    break
            if self._process.poll() is not None or time.monotonic() - begun > START_TIMEOUT:
                self.stop()
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the local Bolt server did not start (log {log_path}):\n{tail}")
            time.sleep(0.1)
        self.start_seconds = time.monotonic() - begun

    def stop(self) -> None:
        """Stop the local server the way an operator would (SIGTERM), killing it if it hangs."""
        if not self.local:
            raise RuntimeError(f"{self.uri} is an external server (CHAINX_TEST_NEO4J_URI): the tests cannot stop it")
        process, self._process = self._process, None
        killed = False
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                killed = True
        if process is not None and self._archive is not None:
            keep_archive(self._archive, exited_cleanly=not killed and process.returncode in (0, 143, -signal.SIGTERM))
            self._archive = None
        if process is not None and process.stdin:
            process.stdin.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        """At the end of the run: the data is thrown away, so the server is killed, not shut down
        in order (a clean shutdown checkpoints the store first), unless it is to write the
        class-data-sharing archive as it exits."""
        if self.local and self._process is not None and self._archive is None:
            self._process.kill()
        if self.local:
            self.stop()


_servers: list[BoltServer] = []


@atexit.register
def _stop_all() -> None:  # a last net under the session fixture's own teardown
    for server in _servers:
        if server.local:
            server.stop()
