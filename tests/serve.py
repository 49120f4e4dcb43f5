"""``chainx serve`` as a user starts it: a child process on a free loopback port, used once its
``/health`` answers. Shared by the HTTP tests and the API benchmark."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.bolt import free_port

__all__ = ["chainx_serve"]


@contextmanager
def chainx_serve(store: str, *, env: dict[str, str] | None = None, timeout: float = 120,
                 port_option: bool = True, host: str | None = None, log: Path | None = None) -> Iterator[str]:
    """Serve ``store`` (with ``env`` added to this process's environment) on a free port, given
    as ``--port`` or, without ``port_option``, as CHAINX_PORT (bound to ``host``, when given, as
    ``--host``; the URL stays the loopback one), and yield its base URL;
    RuntimeError, with what the server printed, if it does not come up within ``timeout`` s.
    What it prints goes to ``log`` (a file; a temporary one when not given), never to a pipe
    nobody reads, where a server logging much would block once the pipe is full."""
    port = free_port()
    port_args = (["--port", str(port)] if port_option else []) + (["--host", host] if host else [])
    env = {**os.environ, **(env or {}), **({} if port_option else {"CHAINX_PORT": str(port)})}
    output_file = open(log, "w+", encoding="utf-8") if log is not None else tempfile.TemporaryFile("w+", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "chainx", "serve", *port_args, "--store", store],
        env=env, stdout=output_file, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output_file.seek(0)
                    output = output_file.read()
                    raise RuntimeError(f"chainx serve did not come up:\n{output[-2000:]}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output_file.close()
