"""A local Bolt + Cypher server for the test run: ArcadeDB with its Neo4j Bolt plugin.

Run as a child process by tests/bolt.py (a process of its own, so a test can stop and restart it
to play a server outage). It serves Bolt on loopback, prints one ``READY`` line once it accepts
connections, and runs until it gets SIGTERM or its parent closes its stdin — so it never
outlives the test run, even when pytest itself is killed.

    python tests/bolt_server.py --root DIR --http-port P1 --bolt-port P2 --password SECRET
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

__all__ = ["READY", "DATABASE", "USER", "main"]

READY = "CHAINX-BOLT-READY"
DATABASE = "chain"
USER = "root"
JVM_ARGS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:CICompilerCount=1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="data directory (kept across restarts)")
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--bolt-port", type=int, required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--heap", default="1g")
    args = parser.parse_args(argv)

    started = time.monotonic()
    from arcadedb_embedded.server import ArcadeDBServer

    server = ArcadeDBServer(
        root_path=args.root,
        root_password=args.password,
        config={
            "host": "127.0.0.1",
            "http_port": args.http_port,
            "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "bolt_port": args.bolt_port,
            "server_defaultDatabases": f"{DATABASE}[{USER}]",
        },
        # A test server lives for minutes on a small, busy machine: the quick (C1) compiler and
        # a single-threaded collector halve its start and leave the cores to the tests.
        jvm_kwargs={"heap_size": args.heap, "jvm_args": JVM_ARGS},
    )
    server.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_parent() -> None:
        # stdin is a pipe from the test run: EOF means the run ended, however it ended.
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_parent, daemon=True).start()
    print(f"{READY} bolt://127.0.0.1:{args.bolt_port} in {time.monotonic() - started:.1f}s", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    # The databases are closed now. A Bolt connection a client still holds keeps a non-daemon
    # JVM thread alive, which would hold the interpreter's exit until the client goes away.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
