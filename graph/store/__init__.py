"""Stores: where the graph lives. ``open_store`` picks the implementation from the address."""

from __future__ import annotations

import os
from pathlib import Path

from .base import GraphStore, WriteSummary

__all__ = ["GraphStore", "WriteSummary", "open_store", "default_store_uri", "is_bolt_uri"]

DEFAULT_STORE = "chainx.db"
BOLT_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def default_store_uri() -> str:
    return os.environ.get("CHAINX_STORE") or DEFAULT_STORE


def is_bolt_uri(uri: str) -> bool:
    return uri.lower().startswith(BOLT_SCHEMES)


def open_store(uri: str | None = None, *, create: bool = False) -> GraphStore:
    """Open the store at ``uri``: a Bolt/Neo4j address, or the path of an embedded SQLite file.

    ``create`` makes a new embedded file when none exists (loading does; reading does not, so
    a mistyped path is an error instead of an empty graph).
    """
    uri = uri or default_store_uri()
    if is_bolt_uri(uri):
        from .neo4j import Neo4jStore

        return Neo4jStore.from_env(uri)
    from .sqlite import SqliteStore

    return SqliteStore(Path(uri), create=create)
