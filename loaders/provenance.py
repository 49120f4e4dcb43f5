"""What the store records of a dataset it loads: its id, when, and the hash of its content.

The id is what the user gives (``--name``), else the dataset's folder or file name without its
suffix (``data/textile`` → ``textile``, ``shengze.xlsx`` → ``shengze``): the same dataset loaded
again is the same dataset, and ``chainx unload textile`` names it as the user knows it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from pathlib import PurePath

from graph.errors import InvalidParameter
from graph.model import GraphData

__all__ = ["dataset_id_of", "content_hash", "now", "check_dataset_id"]

_ID = re.compile(r"^[^\x00-\x1f/\\]{1,200}$")


def check_dataset_id(value: str, parameter: str = "name") -> str:
    """``value`` as a dataset id: 1 to 200 characters, no slash, backslash or control character."""
    text = value.strip()
    if not _ID.match(text):
        raise InvalidParameter(parameter, f"a dataset name is 1 to 200 characters without '/', '\\' or control characters, not {value!r}")
    return text


def dataset_id_of(source: str, given: str | None = None) -> str:
    """``given`` (checked), else the last part of ``source`` without its suffix.

    >>> dataset_id_of("data/textile/"), dataset_id_of("towns/shengze.xlsx"), dataset_id_of("x.zip", "town")
    ('textile', 'shengze', 'town')
    """
    if given is not None:
        return check_dataset_id(given)
    path = PurePath(source.replace("\\", "/").rstrip("/") or "dataset")
    return check_dataset_id(path.stem if path.suffix.lower() in (".zip", ".xlsx", ".xlsm") else path.name)


def content_hash(data: GraphData) -> str:
    """SHA-256 of the nodes and relationships as validated, in a canonical order: the same
    content read from a folder, a workbook or a zip hashes the same.

    >>> from graph.model import Node
    >>> a = GraphData([Node("Stage", "s", "纺丝", {"b": 1, "a": 2}), Node("Stage", "t", "T")], [])
    >>> b = GraphData([Node("Stage", "t", "T"), Node("Stage", "s", "纺丝", {"a": 2, "b": 1})], [])
    >>> content_hash(a) == content_hash(b)
    True
    """
    digest = hashlib.sha256()
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode
    for node in sorted(data.nodes, key=lambda n: n.id):
        digest.update(encode(["n", node.label, node.id, node.name, node.props]).encode())
        digest.update(b"\n")
    for rel in sorted(data.relationships, key=lambda r: r.identity):
        digest.update(encode(["r", *rel.identity, rel.props]).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def now() -> str:
    """The time now, UTC, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
