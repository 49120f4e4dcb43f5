"""Regions: the PART_OF tree of regions, and which enterprises are "in" a region.

An enterprise is in region R when its region is R or a descendant of R (Shengze is in Wujiang,
Suzhou and Jiangsu).
"""

from __future__ import annotations

from collections import defaultdict

from .names import resolve
from .reach import reachable
from .store.base import GraphStore
from .store.queries import queries

__all__ = ["region_tree", "region_descendants", "enterprises_in", "check_region"]


def region_tree(store: GraphStore) -> dict[str, list[str]]:
    """parent region id → child region ids."""
    labels = {n.id for n in store.nodes(["Region"])}
    children: dict[str, list[str]] = defaultdict(list)
    # PART_OF links of the regions only, by query: a national chain has tens of thousands of
    # stage PART_OF links that say nothing about regions
    for rel in store.incident(labels, ["PART_OF"]) if labels else ():
        if rel.source in labels:
            children[rel.target].append(rel.source)
    return dict(children)


def check_region(store: GraphStore, region: str) -> str:
    """The id of the region ``region`` names (its id, or its exact name, English name or alias:
    :func:`graph.names.resolve`); NotFound naming it, with the nearest names, otherwise."""
    return resolve(store, region, ["Region"], parameter="region", what="region")


def region_descendants(store: GraphStore, region: str) -> set[str]:
    """``region`` (an id or a name) and every region below it, as ids."""
    region = check_region(store, region)
    return reachable(region_tree(store), region) | {region}


def enterprises_in(store: GraphStore, region: str) -> set[str]:
    """Ids of the enterprises located in ``region`` or below it."""
    return queries(store).enterprise_ids(region_descendants(store, region))
