"""Exploring the graph: find nodes, look one up, what lies around it, how two connect."""

from __future__ import annotations

import sys
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from graph import params as P
from graph.analysis.paths import explained_path, neighbors
from graph.model import Node
from graph.regions import region_descendants
from graph.reports import report_model
from graph.store import reads

from ..deps import ReportsDep, StoreDep
from ..models import Kind, NodeDetail, NodeSearch, error_responses
from ..params import FILE_RESPONSES, FormatQuery, query
from ..snapshot import SnapshotRoute

__all__ = ["router"]

router = APIRouter(route_class=SnapshotRoute, tags=["nodes"], responses=error_responses(422, 500, 503))

NodeId = Annotated[str, Path(min_length=1, max_length=500, description="The node's id.", examples=["e_hengli_group"])]


def node_out(node: Node) -> dict:
    return {"id": node.id, "kind": node.label, "name": node.name, "props": node.props}


def _in_region(node: Node, regions: set[str]) -> bool:
    # Regions are in a region by their place in the tree; everything else by its region property.
    return node.id in regions if node.label == "Region" else node.props.get("region") in regions


@router.get("/nodes", response_model=NodeSearch, responses=error_responses(404))
def search_nodes(
    store: StoreDep,
    q: Annotated[str, Query(max_length=200, description="Text in the id, name, English name or an alias.", examples=["涤纶", "weaving"])] = "",
    kind: Annotated[Kind | None, Query(description="Only nodes of this kind.")] = None,
    region: Annotated[str | None, Query(max_length=200, description="Only nodes in this region or below it.", examples=["shengze"])] = None,
    limit: Annotated[int, query(P.SEARCH_LIMIT)] = P.SEARCH_LIMIT.default,
    offset: Annotated[int, query(P.SEARCH_OFFSET)] = P.SEARCH_OFFSET.default,
) -> dict:
    """Search nodes by name or alias, Chinese or English; best matches first, paged, with the total."""
    label = kind.value if kind else None
    if region is None:
        total, page = store.search(q, label=label, limit=limit, offset=offset)
    else:
        regions = region_descendants(store, region)
        _, hits = store.search(q, label=label, limit=sys.maxsize)
        found = [node for node in hits if _in_region(node, regions)]
        total, page = len(found), found[offset : offset + limit]
    return {"total": total, "limit": limit, "offset": offset, "results": [node_out(n) for n in page]}


# Before the plain node route: ids may hold slashes (a path parameter), so the longer pattern
# must get the first chance at .../neighbors.
@router.get("/nodes/{kind}/{node_id:path}/neighbors", response_model=report_model(neighbors), responses={**error_responses(404), **FILE_RESPONSES})
def get_neighbors(
    request: Request,
    store: StoreDep,
    reports: ReportsDep,
    kind: Kind,
    node_id: NodeId,
    depth: Annotated[int, query(P.DEPTH)] = P.DEPTH.default,
    only: Annotated[Kind | None, Query(description="List only neighbours of this kind.")] = None,
    limit: Annotated[int, query(P.NEIGHBOR_LIMIT)] = P.NEIGHBOR_LIMIT.default,
    via: Annotated[str, query(P.VIA)] = P.VIA.default,
    format: FormatQuery = None,
) -> Response:
    """The nodes within ``depth`` relationships of a node, nearest first."""
    reads.get_node(store, node_id, kind.value)  # 404 when the id is not of this kind
    return reports.present(request, format, neighbors, node_id, depth=depth, kind=only.value if only else None, limit=limit, via=via)


@router.get("/nodes/{kind}/{node_id:path}", response_model=NodeDetail, responses=error_responses(404))
def get_node(store: StoreDep, kind: Kind, node_id: NodeId) -> dict:
    """One node with all its properties and the datasets that state it (``sources``, in load
    order; absent where the store does not record them)."""
    node = reads.get_node(store, node_id, kind.value)
    out = node_out(node)
    sources = store.provenance.sources([node.id]).get(node.id)
    if sources is not None:
        out["sources"] = sources
    return out


@router.get("/paths", response_model=report_model(explained_path), responses={**error_responses(404), **FILE_RESPONSES})
def get_path(
    request: Request,
    reports: ReportsDep,
    source: Annotated[str, Query(alias="from", min_length=1, max_length=500, description="Id, name or alias of the node to start from.",
                                 examples=["e_hengli_group"])],
    target: Annotated[str, Query(alias="to", min_length=1, max_length=500, description="Id, name or alias of the node to reach.", examples=["px"])],
    via: Annotated[str, query(P.PATH_VIA)] = P.PATH_VIA.default,
    directed: Annotated[bool, query(P.DIRECTED)] = P.DIRECTED.default,
    through_regions: Annotated[bool, query(P.THROUGH_REGIONS)] = P.THROUGH_REGIONS.default,
    format: FormatQuery = None,
) -> Response:
    """A shortest path between two nodes, each step with its relationship and direction."""
    return reports.present(request, format, explained_path, source, target, via=via, directed=directed, through_regions=through_regions)
