"""The Host header checked against an allow-list, as Jupyter does against DNS rebinding.

A page on attacker.example that makes its name resolve to 127.0.0.1 reaches a local ``chainx
serve`` as same-origin, so CORS does not stop it; its requests still carry ``Host:
attacker.example``. The server answers only to the names it is known by: localhost, the loopback
addresses, the address ``chainx serve`` binds to, and the names CHAINX_ALLOWED_HOSTS adds
(comma-separated; ``*`` turns the check off, ``*.example.org`` allows the subdomains).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HostCheckMiddleware", "DEFAULT_HOSTS", "host_allowed", "ALLOWED_HOSTS_ENV"]

ALLOWED_HOSTS_ENV = "CHAINX_ALLOWED_HOSTS"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")


def _name(host: str) -> str:
    """The name of a Host header's value, without its port: ``[::1]:8000`` → ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether a Host header's value names this server.

    >>> [host_allowed(h, ["chain.example", "*.lab.example"]) for h in ("localhost:8000", "[::1]:80", "127.0.0.7", "a.lab.example", "attacker.example")]
    [True, True, True, True, False]
    """
    name = _name(host)
    if not name:
        return False
    try:
        if ipaddress.ip_address(name).is_loopback:
            return True
    except ValueError:
        pass
    for entry in (*DEFAULT_HOSTS, *allowed):
        entry = _name(entry)
        if entry == "*" or entry == name or (entry.startswith("*.") and name.endswith(entry[1:])):
            return True
    return False


class HostCheckMiddleware:
    """403, in the API's error shape, for a request whose Host is not allowed."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]):
        self.app = app
        self.allowed = tuple(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"host"), "")
        if host_allowed(host, self.allowed):
            await self.app(scope, receive, send)
            return
        shown = host[:100] or "(none)"
        message = (f"Host {shown!r} is not allowed: this server answers to localhost, 127.0.0.1, ::1"
                   f"{', ' + ', '.join(self.allowed) if self.allowed else ''}; to serve it under that name too, "
                   f"add it to {ALLOWED_HOSTS_ENV} (comma-separated)")
        body = json.dumps({"error": {"type": "Forbidden", "message": message}}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
