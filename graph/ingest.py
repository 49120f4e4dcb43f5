"""Load a dataset into a store: read, validate against what the store holds, write atomically.

The CLI's ``chainx load`` and the API's ``POST /datasets`` both come through here, so they accept
and refuse exactly the same inputs.
"""

from __future__ import annotations

from pathlib import Path

from loaders import StoreContext, read_dataset, validate

from .model import GraphData
from .store.base import GraphStore, Progress, WriteSummary

__all__ = ["store_context", "load_path", "load_data"]


def store_context(store: GraphStore, replace: bool = False) -> StoreContext:
    """What a new dataset may refer to in ``store`` (nothing, when it will replace the graph)."""
    if replace:
        return StoreContext()
    part_of = [(r.source, r.target) for r in store.relationships(["PART_OF"])]
    return StoreContext(store.id_labels(), part_of)


def load_data(store: GraphStore, data: GraphData, *, replace: bool = False, progress: Progress | None = None) -> WriteSummary:
    return store.write(data, replace=replace, progress=progress)


def load_path(store: GraphStore, path: str | Path, *, replace: bool = False, progress: Progress | None = None) -> tuple[GraphData, WriteSummary]:
    """Validate the dataset at ``path`` and write it to ``store``; DatasetError leaves the store
    untouched."""
    data = validate(read_dataset(path), store_context(store, replace))
    return data, store.write(data, replace=replace, progress=progress)
