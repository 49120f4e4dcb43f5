"""Response and request models: the API's documented shapes (OpenAPI at /openapi.json).

They describe what graph/ returns; nothing is computed here. Report models allow extra fields so
a field an analysis adds reaches clients before it is described here.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from graph import params as P
from graph.analysis.centrality import GRAPHS, METRICS
from graph.model import LABELS

from .params import field_bounds

__all__ = [
    "Kind", "Metric", "GraphName",
    "ProblemOut", "ErrorDetail", "ErrorResponse", "error_responses",
    "Health", "Stats",
    "NodeOut", "NodeSearch", "NodeRef", "Neighbors", "PathOut",
    "GapsReport", "CompareReport",
    "BottlenecksReport", "WhatIfRequest", "WhatIfReport",
    "CentralityReport", "WriteBackRequest", "WriteBackResult",
    "TiesReport", "UploadResult",
]

# Enums built from graph/'s allow-lists, so a new label or metric reaches the API by itself.
Kind = Enum("Kind", {label: label for label in LABELS}, type=str)
Metric = Enum("Metric", {metric: metric for metric in METRICS}, type=str)
GraphName = Enum("GraphName", {name: name for name in GRAPHS}, type=str)

Number = int | float


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Report(BaseModel):
    model_config = ConfigDict(extra="allow")


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
    409: "The store refused the operation",
    413: "Request body or upload too large",
    422: "Invalid parameter, or a computation too expensive to run",
    500: "Internal error (a bug; details in the server log)",
    503: "The graph store is unavailable",
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
    status: Literal["ok"]
    store: Literal["embedded", "neo4j"]
    version: str = Field(description="Changes whenever the graph changes.")


class Stats(Model):
    nodes: dict[str, int]
    relationships: dict[str, int]
    total_nodes: int
    total_relationships: int


# -- nodes and paths -------------------------------------------------------------------------
class NodeOut(Model):
    id: str
    kind: str
    name: str
    props: dict[str, Any]


class NodeSearch(Model):
    total: int = Field(description="Matches in all, before paging.")
    limit: int
    offset: int
    results: list[NodeOut]


class NodeRef(Model):
    id: str
    name: str
    kind: str | None


class NeighborNode(NodeRef):
    distance: int


class RelationshipRef(Model):
    source: str
    type: str
    target: str
    key: str


class Neighbors(Report):
    node: NodeRef
    depth: int
    kind: str | None
    total: int
    truncated: bool
    nodes: list[NeighborNode]
    relationships: list[RelationshipRef]


class PathStep(Model):
    source: str
    type: str
    target: str
    forward: bool = Field(description="True when the relationship points along the path.")


class PathOut(Report):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    length: int
    nodes: list[NodeRef]
    steps: list[PathStep]
    text: str


# -- gaps ------------------------------------------------------------------------------------
class StageCoverage(Report):
    stage: str
    name: str
    tier: str | None
    status: Literal["missing", "weak", "present"]
    local_enterprises: int
    sub_stages: list[str]


class Candidate(Report):
    enterprise: str
    name: str
    region: str | None
    score: float
    supply_ties: int
    shared_institutes: int
    size: float
    reasons: list[str]


class Gap(Report):
    stage: str
    name: str
    status: Literal["missing", "weak"]
    kind: Literal["break", "extension", "absent", "strengthen"]
    score: float
    upstream_local: int
    downstream_local: int
    betweenness: float
    reasons: list[str]
    candidates: list[Candidate]


class GapsReport(Report):
    region: str
    region_name: str
    min_firms: int
    completeness: float
    completeness_weighted: float
    local_enterprises: int
    counts: dict[str, int]
    stages: list[StageCoverage]
    gaps: list[Gap]
    gaps_total: int = Field(description="Every gap of the region; `gaps` lists the top ones when the chain is large.")
    listing: dict[str, Any] = Field(description="What `gaps` and `stages` list: top, complete, gaps_listed, stages_listed, rule.")
    stage_betweenness: dict[str, Any] = Field(description="How the B of the scores was computed: method (exact or sampled), k, seed, engine, note.")


class RegionCoverage(Model):
    status: Literal["missing", "weak", "present"]
    local_enterprises: int


class CompareRow(BaseModel):
    """One stage; besides the fields below, one ``{status, local_enterprises}`` per region id."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, RegionCoverage] = Field(init=False)

    stage: str
    name: str
    tier: str | None
    present_in: list[str]
    lacking_in: list[str]


class CompareReport(Report):
    regions: list[str]
    min_firms: int
    completeness: dict[str, float]
    stages: list[CompareRow]
    stages_total: int
    stages_listed: int
    top: int | None = Field(description="How many stages were listed at most (null: all).")


# -- bottlenecks -----------------------------------------------------------------------------
class BottleneckItem(Report):
    """A chokepoint stage, a single-source stage or a critical enterprise (fields by kind)."""

    kind: Literal["chokepoint", "single_source", "critical_enterprise"]
    node: str
    name: str
    score: Number
    reasons: list[str]


class BottlenecksReport(Report):
    region: str | None
    scope: str
    hhi_threshold: float
    min_firms: int
    sources: list[str]
    end_products: list[str]
    counts: dict[str, int]
    listed: dict[str, Any] = Field(description="Items listed per kind (`counts` counts them all), top, complete.")
    critical_screening: dict[str, Any] = Field(description="Suspects of being critical, and how many got the full cascade.")
    items: list[BottleneckItem]


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


class Disrupted(Report):
    enterprise: str
    name: str
    region: str | None
    in_scope: bool
    lost: list[str] = Field(description="Stages it no longer gets any supplier of.")


class StageChange(Report):
    stage: str
    name: str


class WhatIfReport(Report):
    region: str | None
    scope: str
    min_firms: int
    removed: list[NodeRef]
    enterprises: list[Disrupted]
    stages_lost: list[StageChange]
    stages_weakened: list[StageChange]
    stages_downstream: list[StageChange]
    score: Number
    reasons: list[str]


# -- centrality ------------------------------------------------------------------------------
class CentralityRow(Model):
    rank: int
    node: str
    name: str
    kind: str | None
    value: Number


class CentralityReport(Report):
    metric: str
    graph: str
    kind: str | None
    region: str | None
    exact: bool
    k: int | None
    seed: int | None
    total: int
    engine: str = Field(description="What computed the values: networkx, or on a large projection igraph, scipy or numpy (NetworkX's definitions and numbers).")
    note: str
    rows: list[CentralityRow]


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


# -- ties ------------------------------------------------------------------------------------
class TiesSummary(Report):
    enterprises: int
    institutes: int
    ties: int
    enterprises_with_ties: int
    institutes_with_ties: int
    communities: int


class TieRow(Report):
    name: str
    region: str | None
    ties: int
    tie_kinds: dict[str, int]
    partners: list[str]
    reasons: list[str]


class Community(Report):
    community: int
    size: int
    hub: str
    hub_name: str
    enterprises: list[str]
    institutes: list[str]
    reasons: list[str]


class Broker(Report):
    node: str
    name: str
    kind: str | None
    betweenness: float
    constraint: float | None  # None when undefined: no peer in its own kind's projection
    reasons: list[str]


class ResearchGap(Report):
    stage: str
    name: str
    tier: str | None
    enterprises: int
    researched_by: list[str]
    reasons: list[str]


class TiesReport(Report):
    institute: str | None
    seed: int
    summary: TiesSummary
    institutes: list[TieRow]
    enterprises: list[TieRow]
    projections: dict[str, dict[str, Any]]
    communities: list[Community]
    brokers: list[Broker]
    brokers_method: dict[str, Any]
    research_gaps: list[ResearchGap]
    focus: dict[str, Any] | None = None


# -- datasets --------------------------------------------------------------------------------
class UploadResult(Model):
    nodes: int = Field(description="Nodes in the uploaded dataset.")
    relationships: int = Field(description="Relationships in the uploaded dataset.")
    changed: bool = Field(description="Whether the graph changed (loading the same data twice changes nothing).")
    replaced: bool
    version: str = Field(description="The store's version after the load.")
