"""Load a dataset into a store: read, validate against what the store holds, write atomically.

The CLI's ``chainx load``, ``chainx import`` and the API's ``POST /datasets`` all come through
here, so they accept and refuse exactly the same inputs. A loaded dataset is first overlaid on the
stages the store holds (loaders/overlay.py: a town's enterprises attach to an imported national
chain by stage id, name or alias); an imported one is already in the store's ids.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from pathlib import Path

from graph.model import GraphData
from graph.store.base import GraphStore, Progress, WriteSummary
from graph.store.queries import queries

from .overlay import OverlayReport, overlay
from .read import RawDataset, read_dataset
from .validate import StoreContext, validate

__all__ = ["store_context", "load_path", "prepare", "gc_paused"]


def store_context(store: GraphStore, replace: bool = False) -> StoreContext:
    """What a new dataset may refer to in ``store`` (nothing, when it will replace the graph)."""
    if replace:
        return StoreContext()
    part_of = [(r.source, r.target) for r in store.relationships(["PART_OF"])]
    return StoreContext(queries(store).id_labels(), part_of)


def prepare(store: GraphStore, raw: RawDataset, *, replace: bool = False, match_stages: bool = True) -> tuple[GraphData, OverlayReport]:
    """Validate ``raw`` against what ``store`` holds, first matching its stage references to the
    store's stages by id, name and alias (``match_stages``; never when replacing the graph).
    Raises DatasetError; writes nothing."""
    report = OverlayReport()
    if match_stages and not replace:
        raw, report = overlay(raw, store.nodes(["Stage"]))
    return validate(raw, store_context(store, replace)), report


def load_path(store: GraphStore, path: str | Path, *, replace: bool = False, progress: Progress | None = None,
              name: str | None = None, encoding: str | None = None) -> tuple[GraphData, WriteSummary]:
    """Validate the dataset at ``path`` and write it to ``store``; DatasetError leaves the store
    untouched. ``name``: what problems call the file (an upload's own name; see read_dataset);
    ``encoding``: its CSV files' encoding when not UTF-8 or GB18030 Chinese."""
    with gc_paused():
        data, _ = prepare(store, read_dataset(path, name=name, encoding=encoding), replace=replace)
        return data, store.write(data, replace=replace, progress=progress)


_gc_lock = threading.Lock()
_gc_depth = 0  # loads in progress (the API's threads may load at once); the last one resumes
_gc_resume = False


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector for a load (nested and threaded uses count).

    A load allocates millions of small objects (cells, records, nodes, relationships) that form
    no cycles; the collector would walk them again and again as they pile up, a fifth of the
    load's time on a national dataset. Pausing changes no result: whatever is cyclic is
    collected when it resumes.
    """
    global _gc_depth, _gc_resume
    with _gc_lock:
        if _gc_depth == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_resume:
                gc.enable()
