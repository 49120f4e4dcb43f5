"""Load a dataset into a store: read, validate against what the store holds, write atomically.

The CLI's ``chainx load``, ``chainx import`` and the API's ``POST /datasets`` all come through
here, so they accept and refuse exactly the same inputs. A loaded dataset is first overlaid on the
stages the store holds (loaders/overlay.py: a town's enterprises attach to an imported national
chain by stage id, name or alias); an imported one is already in the store's ids.
"""

from __future__ import annotations

from pathlib import Path

from loaders import StoreContext, read_dataset, validate
from loaders.overlay import OverlayReport, overlay
from loaders.read import RawDataset

from .model import GraphData
from .store.base import GraphStore, Progress, WriteSummary

__all__ = ["store_context", "load_path", "load_data", "prepare"]


def store_context(store: GraphStore, replace: bool = False) -> StoreContext:
    """What a new dataset may refer to in ``store`` (nothing, when it will replace the graph)."""
    if replace:
        return StoreContext()
    part_of = [(r.source, r.target) for r in store.relationships(["PART_OF"])]
    return StoreContext(store.id_labels(), part_of)


def load_data(store: GraphStore, data: GraphData, *, replace: bool = False, progress: Progress | None = None) -> WriteSummary:
    return store.write(data, replace=replace, progress=progress)


def prepare(store: GraphStore, raw: RawDataset, *, replace: bool = False, match_stages: bool = True) -> tuple[GraphData, OverlayReport]:
    """Validate ``raw`` against what ``store`` holds, first matching its stage references to the
    store's stages by id, name and alias (``match_stages``; never when replacing the graph).
    Raises DatasetError; writes nothing."""
    report = OverlayReport()
    if match_stages and not replace:
        raw, report = overlay(raw, store.nodes(["Stage"]))
    return validate(raw, store_context(store, replace)), report


def load_path(store: GraphStore, path: str | Path, *, replace: bool = False, progress: Progress | None = None,
              name: str | None = None) -> tuple[GraphData, WriteSummary]:
    """Validate the dataset at ``path`` and write it to ``store``; DatasetError leaves the store
    untouched. ``name``: what problems call the file (an upload's own name; see read_dataset)."""
    data, _ = prepare(store, read_dataset(path, name=name), replace=replace)
    return data, store.write(data, replace=replace, progress=progress)
