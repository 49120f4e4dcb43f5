"""Load a dataset into a store: read, validate against what the store holds, write atomically.

The CLI's ``chainx load``, ``chainx import`` and the API's ``POST /datasets`` all come through
here, so they accept and refuse exactly the same inputs. A loaded dataset is first overlaid on the
stages the store holds (loaders/overlay.py: a town's enterprises attach to an imported national
chain by stage id, name or alias); an imported one is already in the store's ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from graph.analysis.stages import cycles_of, feeds_cycles
from graph.collector import gc_paused
from graph.errors import StoreChanged
from graph.model import GraphData
from graph.projection import projection
from graph.reports import FeedsCycles
from graph.store.base import Dataset, GraphStore, Progress, WriteSummary
from graph.store.queries import queries

from .existing import ExistingReport, merge_existing
from .overlay import OverlayReport, overlay
from .provenance import content_hash, dataset_id_of, now
from .read import RawDataset, read_dataset
from .validate import StoreContext, validate

__all__ = ["store_context", "load", "load_path", "load_report", "prepare", "Loaded", "LOAD_TRIES"]

# How many times a load validates and tries to write while other writes keep getting in first.
LOAD_TRIES = 5


def store_context(store: GraphStore, replace: bool = False) -> StoreContext:
    """What a new dataset may refer to in ``store`` (nothing, when it will replace the graph)."""
    if replace:
        return StoreContext()
    part_of = [(r.source, r.target) for r in store.relationships(["PART_OF"])]
    controls = [(r.target, r.source) for r in store.relationships(["CONTROLS"])]
    return StoreContext(queries(store).id_labels(), part_of, controls)


def prepare(store: GraphStore, raw: RawDataset, *, replace: bool = False, match_stages: bool = True) -> tuple[GraphData, OverlayReport]:
    """Validate ``raw`` against what ``store`` holds, first matching its stage references to the
    store's stages by id, name and alias (``match_stages``; never when replacing the graph).
    Raises DatasetError; writes nothing."""
    report = OverlayReport()
    if match_stages and not replace:
        raw, report = overlay(raw, store.nodes(["Stage"]))
    return validate(raw, store_context(store, replace)), report


@dataclass
class Loaded:
    """What a load did (or, dry, would do): the data written, the store's summary of the write,
    the overlay, and what it changed in nodes and relationships the store held."""

    data: GraphData
    summary: WriteSummary
    overlay: OverlayReport
    existing: ExistingReport
    dry_run: bool = False
    # the dataset as the store records it; unchanged: it was loaded before with the same content, so nothing was written
    dataset: Dataset | None = None
    unchanged: bool = False
    # the FEEDS cycles of the store's stages after the load (dry: as it would be after it)
    cycles: FeedsCycles = field(default_factory=lambda: FeedsCycles.model_construct(count=0, stages=0, largest=[]))


def load(store: GraphStore, raw: RawDataset, *, replace: bool = False, match_stages: bool = True, update_existing: bool = False,
         dry_run: bool = False, progress: Progress | None = None, on_validated: Callable[[GraphData], None] | None = None,
         dataset_id: str | None = None, kind: str = "load") -> Loaded:
    """Validate ``raw`` against ``store`` and write it, as one step against one version.

    Validation reads the store (the ids and labels it holds, its stages, its parent links); the
    write then checks under its own lock that the store is still at the version validation read
    (``expect_version``). When another load got in between, nothing is written and the dataset
    is validated again against the new graph, up to :data:`LOAD_TRIES` times; so two concurrent
    loads never both write onto a graph one of them was not checked against. A replace reads
    nothing of the store and needs no check. ``on_validated(data)`` is called before each write
    (the CLI says what it is about to write; tests hold a load there).

    Nodes and relationships the store holds are merged with what the dataset says
    (loaders/existing.py; ``update_existing`` lets it rewrite stages' definitions). ``dry_run``
    validates and reports all of that and writes nothing.

    The store records the load as dataset ``dataset_id`` (default: the dataset's folder or file
    name, see provenance.dataset_id_of) with the hash of the data as validated; a dataset the
    store holds with the same hash is "unchanged" and nothing is written (not even its time).
    """
    dataset_id = dataset_id_of(raw.source, dataset_id)
    for attempt in range(1, LOAD_TRIES + 1):
        version = None if replace else store.version()  # read before anything it vouches for
        data, report = prepare(store, raw, replace=replace, match_stages=match_stages)
        digest = content_hash(data)
        dataset = Dataset(dataset_id, raw.source, kind, now(), digest, len(data.nodes), len(data.relationships))
        if not replace and any(d.id == dataset_id and d.content_hash == digest for d in store.provenance.datasets()):
            summary = WriteSummary(len(data.nodes), len(data.relationships), False, False)
            return Loaded(data, summary, report, ExistingReport(len(data.nodes), len(data.relationships)), dry_run, dataset, True,
                          feeds_cycles(store))
        data, existing = merge_existing(store, data, replace=replace, update_existing=update_existing)
        if dry_run:
            return Loaded(data, WriteSummary(len(data.nodes), len(data.relationships), existing.changes_graph, replace), report, existing, True,
                          dataset, cycles=_cycles_after(store, data, replace))
        if on_validated is not None:
            on_validated(data)
        try:
            summary = store.write(data, replace=replace, progress=progress, expect_version=version, dataset=dataset)
        except StoreChanged:
            if attempt == LOAD_TRIES:
                raise StoreChanged(f"{store.uri} changed {LOAD_TRIES} times while the dataset was validated "
                                   "(other loads are writing to it); nothing was loaded: try again") from None
            continue
        return Loaded(data, summary, report, existing, dataset=dataset, cycles=feeds_cycles(store))
    raise AssertionError("unreachable")


def _cycles_after(store: GraphStore, data: GraphData, replace: bool) -> FeedsCycles:
    """The FEEDS cycles the store's stages would have with ``data`` written (a dry run)."""
    graph = nx.DiGraph() if replace else projection(store, "chain").copy()
    graph.add_nodes_from((n.id, {"name": n.name}) for n in data.nodes if n.label == "Stage")
    graph.add_edges_from((r.source, r.target) for r in data.relationships if r.type == "FEEDS")
    return cycles_of(graph)


def load_path(store: GraphStore, path: str | Path, *, replace: bool = False, progress: Progress | None = None,
              name: str | None = None, encoding: str | None = None,
              on_validated: Callable[[GraphData], None] | None = None) -> tuple[GraphData, WriteSummary]:
    """Validate the dataset at ``path`` and write it to ``store`` (see :func:`load`); DatasetError
    leaves the store untouched. ``name``: what problems call the file (an upload's own name;
    see read_dataset); ``encoding``: its CSV files' encoding when not UTF-8 or GB18030 Chinese."""
    loaded = load_report(store, path, replace=replace, progress=progress, name=name, encoding=encoding, on_validated=on_validated)
    return loaded.data, loaded.summary


def load_report(store: GraphStore, path: str | Path, *, replace: bool = False, update_existing: bool = False, dry_run: bool = False,
                progress: Progress | None = None, name: str | None = None, encoding: str | None = None,
                on_validated: Callable[[GraphData], None] | None = None, dataset_id: str | None = None) -> Loaded:
    """:func:`load_path` with everything :func:`load` reports (the overlay, the changes to what
    the store held), and its ``update_existing`` and ``dry_run``. The dataset's id: ``dataset_id``,
    else the file or folder name (``name``'s, for an upload)."""
    with gc_paused():
        return load(store, read_dataset(path, name=name, encoding=encoding), replace=replace, update_existing=update_existing, dry_run=dry_run,
                    progress=progress, on_validated=on_validated, dataset_id=dataset_id_of(name or str(path), dataset_id))
