"""Names where ids are asked for: a person types 天门市, Tianmen or ＰＴＡ, not ``tianmen`` or ``p:PTA``.

:func:`resolve` takes an id, or an exact name, English name or alias of one node, compared after
Unicode NFKC folding (全角 ＰＴＡ is PTA) and case folding, with spaces collapsed: the rule the
loaders use to match a town's stages to the store's (loaders/overlay.py). A text naming several
nodes is refused with each of them listed (kind, id, name); a text naming none gets the nearest
names the store has.

>>> from graph.model import GraphData, Node
>>> from graph.store.sqlite import SqliteStore
>>> store = SqliteStore(":memory:", create=True)
>>> _ = store.write(GraphData(nodes=[Node("Region", "tianmen", "天门市", {"name_en": "Tianmen"}),
...                                  Node("Stage", "p:PTA", "精对苯二甲酸", {"aliases": ["PTA"]})]))
>>> resolve(store, "Tianmen", ["Region"]), resolve(store, "天门市"), resolve(store, "ＰＴＡ", ["Stage"])
('tianmen', 'tianmen', 'p:PTA')
>>> resolve(store, "天门", ["Region"], what="region")
Traceback (most recent call last):
graph.errors.NotFound: unknown region '天门'; did you mean 天门市 (tianmen)?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .cache import VersionedCache
from .errors import InvalidParameter, NotFound
from .model import Node
from .store.base import GraphStore, fold, name_forms
from .store.queries import queries

__all__ = ["resolve", "fold", "MAX_SUGGESTIONS"]

MAX_SUGGESTIONS = 5
# Nearest names by edit similarity are looked for among at most this many names of the kind
# asked (difflib compares the text with each); above, only the store's substring search suggests.
_FUZZY_NAMES = 20_000
# How alike (difflib's ratio) a name must be to be suggested: a typo of one character in five
# (weavng → weaving, 0.92; 盛泽 → 盛泽镇, 0.8) is, an unrelated word sharing a few letters
# (atlantis → dalian, 0.57) is not
FUZZY_CUTOFF = 0.75

_indexes = VersionedCache("name index", size=8)


def _index(store: GraphStore, labels: tuple[str, ...] | None) -> dict[str, dict[str, Node]]:
    """folded id, name, English name or alias → {id: node}, for nodes of ``labels``."""
    def build():
        index: dict[str, dict[str, Node]] = {}
        for node in store.nodes(list(labels) if labels else None):
            for name in name_forms(node):
                if name.strip():
                    index.setdefault(fold(name), {})[node.id] = node
        return index

    return _indexes.get(store, (labels,), build)


def resolve(store: GraphStore, text: str, labels: Iterable[str] | None = None, *, parameter: str | None = None,
            what: str | None = None) -> str:
    """The id of the node ``text`` names: its id, else its exact name, English name or alias.

    ``labels`` limits the kinds looked at; ``parameter`` names the parameter in an error (an
    ambiguous text is an InvalidParameter of it); ``what`` words "unknown <what> 'text'" (default:
    "no node with id or name").
    """
    labels = tuple(labels) if labels else None
    text = str(text)
    direct = next(iter(store.nodes(list(labels) if labels else None, ids=[text])), None)
    if direct is not None:
        return direct.id
    # the store finds the nodes of that folded name (SQLite keeps every node's names folded, one
    # query); the whole name index is built only to suggest names when none matches
    matches = {node.id: node for node in queries(store).named(fold(text), labels)}
    if len(matches) == 1:
        return next(iter(matches))
    if matches:
        listed = "; ".join(f"{n.name} ({n.label} {n.id})" for n in sorted(matches.values(), key=lambda n: (n.label, n.id))[:20])
        more = f" and {len(matches) - 20} more" if len(matches) > 20 else ""
        raise InvalidParameter(parameter or "id", f"{text!r} names {len(matches)} nodes: {listed}{more}; give the id")
    head = f"unknown {what} {text!r}" if what else f"no node with id or name {text!r}"
    near = _suggestions(store, text, labels)
    raise NotFound(head + (f"; did you mean {', '.join(f'{n.name} ({n.id})' for n in near)}?" if near else ""))


def _suggestions(store: GraphStore, text: str, labels: tuple[str, ...] | None) -> list[Node]:
    found: dict[str, Node] = {}
    for label in labels or (None,):
        for node in store.search(text, label=label, limit=MAX_SUGGESTIONS)[1]:
            found.setdefault(node.id, node)
    index = _index(store, labels)
    if len(found) < MAX_SUGGESTIONS and len(index) <= _FUZZY_NAMES:
        for name in difflib.get_close_matches(fold(text), list(index), n=MAX_SUGGESTIONS, cutoff=FUZZY_CUTOFF):
            for node in sorted(index[name].values(), key=lambda n: n.id):
                found.setdefault(node.id, node)
    return list(found.values())[:MAX_SUGGESTIONS]
