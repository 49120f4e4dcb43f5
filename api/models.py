"""The API's own shapes (errors, health, node search, request bodies, upload results), and the
reports of :mod:`graph.reports` re-exported: the documented shapes of /openapi.json.

Nothing is computed here, and no report is described twice: the routes' ``response_model`` is
the report model the analysis returns.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from graph import params as P
from graph.analysis.centrality import GRAPHS, METRICS
from graph.model import LABELS
from graph.reports import (
    BottlenecksReport,
    CentralityReport,
    CompareReport,
    FeedsCycles,
    GapsReport,
    Neighbors,
    NodeRef,
    PathOut,
    Stats,
    TiesReport,
    WhatIfReport,
)

from .params import field_bounds

__all__ = [
    "Kind", "Metric", "GraphName",
    "ProblemOut", "ErrorDetail", "ErrorResponse", "error_responses",
    "Health", "Stats",
    "NodeOut", "NodeDetail", "NodeSearch", "NodeRef", "Neighbors", "PathOut",
    "GapsReport", "CompareReport",
    "BottlenecksReport", "WhatIfRequest", "WhatIfReport",
    "CentralityReport", "WriteBackRequest", "WriteBackResult",
    "TiesReport", "UploadResult", "PropertyChange", "RelationshipChange", "KeptDefinition",
]

# Enums built from graph/'s allow-lists, so a new label or metric reaches the API by itself.
Kind = Enum("Kind", {label: label for label in LABELS}, type=str)
Metric = Enum("Metric", {metric: metric for metric in METRICS}, type=str)
GraphName = Enum("GraphName", {name: name for name in GRAPHS}, type=str)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- errors ----------------------------------------------------------------------------------
class ProblemOut(Model):
    file: str
    line: int | None
    column: str | None
    message: str


class ErrorDetail(Model):
    type: str = Field(description="NotFound, InvalidParameter, TooExpensive, DatasetError, ValidationError, "
                                  "Unauthorized, Forbidden, PayloadTooLarge, StoreUnavailable, ...")
    message: str
    parameter: str | None = Field(default=None, description="The request parameter at fault, when one is.")
    problems: list[ProblemOut] | None = Field(default=None, description="Every problem of a rejected dataset.")


class ErrorResponse(Model):
    error: ErrorDetail


_ERROR_DESCRIPTIONS = {
    400: "Malformed request body",
    401: "Missing or wrong API key",
    403: "Writes are disabled (no CHAINX_API_KEY on the server)",
    404: "No such node, region or path",
    406: "The format asked for cannot be made on this server (a PDF needs Chromium)",
    409: "The store refused the operation",
    413: "Request body or upload too large",
    422: "Invalid parameter, or a computation too expensive to run",
    500: "Internal error (a bug; details in the server log)",
    503: "The graph store is unavailable, or busy with a load (Retry-After), or a process computing the report ended (out of memory)",
    507: "The store's disk is full; nothing was written",
}


def error_responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI ``responses`` entries for these error statuses, all in the error shape.

    Errors are JSON even on routes whose success is another type (HTML views, CSV): FastAPI
    documents a ``model`` under the route's own media type, so application/json is named too.
    """
    return {
        code: {
            "model": ErrorResponse,
            "description": _ERROR_DESCRIPTIONS[code],
            # a fresh dict each: FastAPI adds the route's media type into it
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
        }
        for code in codes
    }


# -- meta ------------------------------------------------------------------------------------
class Health(Model):
    status: Literal["ok", "busy"] = Field(description="busy: another connection holds the store (a load); reads answer 503 until it is done.")
    store: Literal["embedded", "neo4j"]
    version: str = Field(description="Changes whenever the graph changes; while busy, the last one read.")
    message: str | None = Field(default=None, description="Why the store is busy.")


# -- nodes and paths -------------------------------------------------------------------------
class NodeOut(Model):
    id: str
    kind: str
    name: str
    props: dict[str, Any]


class NodeDetail(NodeOut):
    sources: list[str] | None = Field(default=None, description="The datasets that state the node, in load order (GET /datasets).")


class NodeSearch(Model):
    total: int = Field(description="Matches in all, before paging.")
    limit: int
    offset: int
    results: list[NodeOut]


# -- bottlenecks -----------------------------------------------------------------------------
class WhatIfRequest(Model):
    remove: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        min_length=int(P.REMOVE.minimum), max_length=int(P.REMOVE.maximum), description="Ids of the enterprises and stages to take out.",
        examples=[["e_hengli_group"]],
    )
    region: str | None = Field(default=None, **field_bounds(P.REGION))
    min_firms: int = Field(default=P.CRITICAL_MIN_FIRMS.default, **field_bounds(P.CRITICAL_MIN_FIRMS))
    scope: str = Field(default=P.SCOPE.default, **field_bounds(P.SCOPE))
    scope_depth: int = Field(default=P.SCOPE_DEPTH.default, **field_bounds(P.SCOPE_DEPTH))
    source: str | None = Field(default=None, **field_bounds(P.SOURCE))
    sink: str | None = Field(default=None, **field_bounds(P.SINK))
    rollup: str = Field(default=P.ROLLUP.default, **field_bounds(P.ROLLUP))
    pairs: str = Field(default=P.PAIRS.default, **field_bounds(P.PAIRS))
    chain: str | None = Field(default=None, **field_bounds(P.CHAIN))
    lang: Literal[P.LANG.choices] | None = Field(default=None, description=P.LANG.help)


# -- centrality ------------------------------------------------------------------------------
class WriteBackRequest(Model):
    metric: Metric
    graph: GraphName = GraphName("all")
    k: int | None = Field(default=None, **field_bounds(P.SAMPLES))
    seed: int | None = Field(default=None, **field_bounds(P.SEED))


class WriteBackResult(Model):
    metric: str
    graph: str
    property: str = Field(description="The node property the values were stored under.")
    nodes: int = Field(description="How many nodes got the property.")
    version: str = Field(description="The store's version after the write.")


# -- datasets --------------------------------------------------------------------------------
class PropertyChange(Model):
    kind: str
    id: str
    name: str = Field(description="The node's name as the store had it.")
    property: str
    old: Any = Field(description="The store's value (null: the node had none).")
    new: Any = Field(description="The dataset's value.")


class RelationshipChange(Model):
    type: str
    source: str
    target: str
    key: str
    property: str
    old: Any
    new: Any


class KeptDefinition(Model):
    kind: str
    id: str
    name: str
    property: str = Field(description="name, aliases, description or source of a stage the store held.")
    store: Any = Field(description="The value kept.")
    dataset: Any = Field(description="What the dataset says (written with update_existing=true).")


class UploadResult(Model):
    nodes: int = Field(description="Nodes in the uploaded dataset.")
    relationships: int = Field(description="Relationships in the uploaded dataset.")
    changed: bool = Field(description="Whether the graph changed, or with dry_run would change (loading the same data twice changes nothing).")
    replaced: bool
    version: str = Field(description="The store's version after the load (with dry_run, as it is: nothing was written).")
    dry_run: bool = False
    dataset: str | None = Field(None, description="The dataset's id in the store (GET /datasets): the uploaded file's name without its suffix.")
    unchanged: bool = Field(False, description="The dataset is loaded with the same content already: nothing was written.")
    new_nodes: int = Field(0, description="Nodes of the dataset the store did not hold.")
    new_relationships: int = Field(0, description="Relationships of the dataset the store did not hold.")
    changed_properties: list[PropertyChange] = Field(default_factory=list, description="Every property of a node the store held that the "
                                                                                        "dataset changed (old → new).")
    changed_relationships: list[RelationshipChange] = Field(default_factory=list)
    kept: list[KeptDefinition] = Field(default_factory=list, description="Stage definitions the dataset would have rewritten, kept.")
    overlay: dict[str, list[dict[str, Any]]] = Field(default_factory=dict, description="The dataset's stage references matched to the "
                                                                                     "store's stages (matched, new_stages, unmatched, ambiguous).")
    cycles: FeedsCycles | None = Field(None, description="The FEEDS cycles of the store's stages after the load (dry_run: as they would be).")
