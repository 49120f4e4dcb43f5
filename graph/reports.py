"""The reports: one typed definition of what each analysis returns.

Each analysis of :mod:`graph.analysis` returns one of these models; the CLI prints it (its
tables and CSV come from the :class:`Table` definitions below), the API returns it as its
``response_model`` (the OpenAPI schema shows these names), and the views read it.

Every model forbids fields it does not declare, so a field an analysis adds must be described
here first. The one exception is :class:`CompareRow`, whose columns are the region ids asked for;
those extra fields are typed (each a :class:`RegionCoverage`).

The analyses build their rows with ``model_construct`` (no validation: a national gaps report has
tens of thousands of rows, built from values the analysis computed itself); the tests validate
every report once (``Model.model_validate(report.to_dict())``). ``to_dict`` gives the report as
the plain JSON-able dict the CLI and the API show: aliases as keys (``from``), optional parts
the analysis left out (a ties report's ``focus`` without an institute) left out.

>>> row = CentralityRow.model_construct(rank=1, node="a", name="A", kind="Stage", value=0.5)
>>> CentralityReport.tables["rows"].render(CentralityReport.model_construct(rows=[row]))
(['rank', 'node', 'name', 'kind', 'value'], [[1, 'a', 'A', 'Stage', 0.5]])
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from .i18n import header, joined, label, message

__all__ = [
    "Column", "Table", "Model", "Report",
    "Stats", "FeedsCycle", "FeedsCycles", "DatasetRow", "DatasetsReport", "UnloadReport", "DiffItem", "RankMove", "DiffCounts", "DiffReport",
    "NodeRef", "NeighborNode", "RelationshipRef", "Neighbors", "PathStep", "PathOut",
    "StageCoverage", "Candidate", "Gap", "GapCounts", "GapsListing", "Scope", "CycleListing", "Cycles", "StageBetweenness", "GapsReport",
    "RegionCoverage", "CompareRow", "CompareReport",
    "Chokepoint", "Share", "SingleSource", "Disrupted", "StageChange", "DownstreamStage", "Cascade",
    "CriticalEnterprise", "BottleneckItem", "BottlenecksListed", "CriticalScreening", "BottlenecksReport",
    "WhatIfReport",
    "CentralityRow", "CentralityReport",
    "TiesSummary", "InstituteTies", "EnterpriseTies", "Pair", "Projection", "Projections", "Community",
    "Broker", "BrokersMethod", "ResearchGap", "SharedInstitute", "FocusStage", "Focus", "FirmTieRow", "FirmTies", "TiesReport",
    "RelatedMatrix", "RelatedStage", "FeasibleStage", "PeerRegion", "RelatedReport",
    "BriefingReport",
    "REPORTS", "report_model",
]

Number = int | float


@dataclass(frozen=True)
class Column:
    """One column of a table: its header and how a row gives its cell; ``enum``: the cell is an
    enum value (a status, a kind), shown in the report's language (:func:`graph.i18n.label`)."""

    header: str
    value: Callable[[Any], Any]
    enum: bool = False


# the fields whose values are enums: a table shows them in the report's language
_ENUM_FIELDS = {"status", "kind", "tier"}


def _field(name: str) -> Column:
    return Column(name, lambda row: getattr(row, name), enum=name in _ENUM_FIELDS)


def _fields(*names: str) -> list[Column]:
    return [_field(name) for name in names]


@dataclass(frozen=True)
class Table:
    """One section of a report as a table: its rows, and its columns.

    ``columns`` (and ``csv_columns``, when CSV shows more or other cells than the terminal table)
    is a list of :class:`Column`, or a function of the report giving one (a comparison has a
    column per region).
    """

    rows: Callable[[Any], Iterable[Any]]
    columns: Sequence[Column] | Callable[[Any], Sequence[Column]]
    csv_columns: Sequence[Column] | Callable[[Any], Sequence[Column]] | None = None

    def render(self, report: Any, *, csv: bool = False) -> tuple[list[str], list[list[Any]]]:
        """(headers, rows of cells) of ``report``'s section; the headers in the report's language
        (:func:`graph.i18n.header`: the field names in English)."""
        columns = self.csv_columns if csv and self.csv_columns is not None else self.columns
        if callable(columns):
            columns = columns(report)
        lang = getattr(report, "_lang", "en")
        return ([header(c.header, lang) for c in columns],
                [[label(c.value(row), lang) if c.enum else c.value(row) for c in columns] for row in self.rows(report)])


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Report(Model):
    """A report an analysis returns."""

    tables: ClassVar[dict[str, Table]] = {}
    # the language its reasons were written in, which its tables' headers follow (graph.i18n); not
    # part of the JSON, whose keys are the same in every language
    _lang: str = PrivateAttr(default="en")

    def to_dict(self) -> dict[str, Any]:
        """The report as the plain dict its JSON shows (aliases as keys, parts left out unset)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


def _joined(values: Iterable[Any]) -> str:
    return " | ".join(str(v) for v in values)


# -- stats -----------------------------------------------------------------------------------
class FeedsCycle(Model):
    size: int = Field(description="Stages on the cycle.")
    stages: list[str] = Field(description="Its first stages, in id order.")
    names: list[str] = Field(description="Their names.")


class FeedsCycles(Model):
    """The FEEDS strongly connected components of more than one stage (every stage, none rolled
    up), largest first: on them every stage is both upstream and downstream of every other."""

    count: int
    stages: int = Field(description="Stages on any cycle.")
    largest: list[FeedsCycle] = Field(description="The largest cycles (at most a few), largest first.")

    def line(self) -> str:
        """The one line a load and ``chainx stats`` print."""
        if not self.count:
            return "FEEDS cycles: none"
        first = self.largest[0]
        names = ", ".join(first.names) + (", ..." if first.size > len(first.names) else "")
        others = "; then " + ", ".join(f"{c.size:,}" for c in self.largest[1:]) if len(self.largest) > 1 else ""
        return (f"FEEDS cycles: {self.count:,} ({self.stages:,} stages on them; largest {first.size:,} stages: {names}{others}): "
                "each counts as one link of the chain in gaps, bottlenecks and what-if")


class Stats(Report):
    nodes: dict[str, int]
    relationships: dict[str, int]
    total_nodes: int
    total_relationships: int
    cycles: FeedsCycles = Field(description="The FEEDS cycles of the stages.")

    tables: ClassVar[dict[str, Table]] = {
        "counts": Table(
            lambda r: [("node", k, v) for k, v in r.nodes.items()] + [("relationship", k, v) for k, v in r.relationships.items()],
            [Column("kind", lambda t: t[0], enum=True), Column("name", lambda t: t[1]), Column("count", lambda t: t[2])],
        ),
    }


# -- datasets (provenance) -------------------------------------------------------------------
class DatasetRow(Model):
    id: str
    source: str
    kind: str
    loaded_at: str
    content_hash: str
    nodes: int
    relationships: int


class DatasetsReport(Report):
    """The datasets loaded into the store, in the order they were first loaded."""

    datasets: list[DatasetRow]

    tables: ClassVar[dict[str, Table]] = {
        # "source" is a path's start among the headers: the dataset's is where it was loaded from
        "datasets": Table(lambda r: r.datasets,
                          [_field("id"), Column("loaded_from", lambda row: row.source), *_fields("kind", "loaded_at", "nodes", "relationships")],
                          [_field("id"), Column("loaded_from", lambda row: row.source),
                           *_fields("kind", "loaded_at", "content_hash", "nodes", "relationships")]),
    }


class UnloadReport(Model):
    """What unloading a dataset removed, what stayed because other datasets state it, and what
    of that was put back as it was or kept (one line each). The answer of a write, as the upload's
    is, not a report of the graph."""

    dataset: str
    removed_nodes: int
    removed_relationships: int
    shared_nodes: int
    shared_relationships: int
    reverted: int
    kept: list[str]
    version: str


# -- nodes and paths -------------------------------------------------------------------------
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

    tables: ClassVar[dict[str, Table]] = {"nodes": Table(lambda r: r.nodes, _fields("distance", "id", "kind", "name"))}


class PathStep(Model):
    source: str
    type: str
    target: str
    forward: bool = Field(description="True when the relationship points along the path.")


class PathOut(Report):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    via: str = Field(description="What the path walked (auto: chain between two stages FEEDS joins, else all).")
    directed: bool = Field(description="Whether relationships were followed only the way they point.")
    length: int
    nodes: list[NodeRef]
    steps: list[PathStep]
    text: str

    tables: ClassVar[dict[str, Table]] = {
        "steps": Table(
            lambda r: enumerate(r.steps, start=1),
            [Column("step", lambda s: s[0])] + [Column(name, lambda s, name=name: getattr(s[1], name)) for name in ("source", "type", "target", "forward")],
        ),
    }


# -- gaps ------------------------------------------------------------------------------------
Status = Literal["missing", "weak", "present"]


class StageCoverage(Model):
    stage: str
    name: str
    tier: str | None
    status: Status
    local_enterprises: int
    sub_stages: list[str]


class Candidate(Model):
    enterprise: str
    name: str
    region: str | None
    score: float
    supply_ties: int = Field(description="S: the region's enterprises it supplies or buys from.")
    shared_institutes: int = Field(description="I: institutes it shares with the region's enterprises.")
    size: float = Field(description="Z: its revenue and staff against the stage's largest candidate, in [0, 1].")
    capacity: float | None = Field(default=None, description="The capacity it states in the stage and its sub-stages (OPERATES_IN "
                                   "capacity, summed), in capacity_unit; None when it states none.")
    capacity_unit: str | None = Field(default=None, description="The unit of capacity (chainkg: revenue_share, the share of its revenue).")
    capacity_share: float = Field(default=0.0, description="C: capacity over the largest any candidate of the stage states in the same "
                                  "unit, in [0, 1] (capacities compare only within one unit).")
    shared_tags: list[str] = Field(default_factory=list, description="Its tags that enterprises of the region's stages also carry "
                                   "(in the region or elsewhere), the most common first.")
    tag_affinity: float = Field(default=0.0, description="T: how many tags it shares, on average, with an enterprise of the region's "
                                "stages, over the most any candidate of the stage shares, in [0, 1].")
    chain_stages: int = Field(description="Other top-level stages of the chain read that it operates in.")
    chain_fit: float = Field(description="F: chain_stages over the most any candidate of the stage has, in [0, 1].")
    group: str | None = Field(default=None, description="With groups: the head of its control group (CONTROLS), which it stands for "
                              "as the group's best-scoring candidate of the stage.")
    group_members: list[str] = Field(default_factory=list, description="With groups: the group's candidates of the stage it stands for.")
    reasons: list[str]


class CandidateSignals(Model):
    """Which signals of the candidate score the data held at all: a ranking on chain fit alone
    says less than one on supply ties."""

    supply_ties: bool = Field(description="The region's enterprises have SUPPLIES relationships.")
    shared_institutes: bool = Field(description="The region's enterprises collaborate with institutes.")
    size: bool = Field(description="Some candidate has a revenue or a staff count.")
    capacity: bool = Field(default=False, description="Some candidate states a capacity (or revenue share) in its stage.")
    capacity_units: list[str] = Field(default_factory=list, description="The units those capacities are in: C compares a candidate "
                                      "only with those of its stage stating the same unit.")
    tags: bool = Field(default=False, description="Some candidate shares a tag with the enterprises of the region's stages.")
    chain_fit: bool = Field(description="Always: every candidate's OPERATES_IN links give it.")


class Gap(Model):
    stage: str
    name: str
    status: Literal["missing", "weak"]
    kind: Literal["break", "extension", "absent", "strengthen"]
    score: float
    upstream_local: int
    downstream_local: int
    betweenness: float
    cycle: int = Field(description="Stages of the FEEDS cycle the stage sits on (0: on none).")
    density: float = Field(description="Relatedness density ω of the stage for the region (graph.analysis.related).")
    feasible: bool = Field(description="ω > 0 and at least the mean ω of the stages the region lacks.")
    reasons: list[str]
    candidates: list[Candidate]


class GapCounts(Model):
    stages: int
    missing: int
    weak: int
    present: int


class GapsListing(Model):
    top: int | None = Field(description="How many gaps were listed at most (null: all).")
    complete: bool
    gaps_listed: int
    stages_listed: int
    rule: str


class StageBetweenness(Model):
    method: Literal["exact", "sampled"]
    k: int | None
    seed: int | None
    engine: str
    stages: int
    exact_up_to: int
    note: str


class Scope(Model):
    """The part of the chain a report read, and how it was chosen (:class:`graph.scope.Scope`)."""

    kind: Literal["whole", "region", "endpoints", "chain"]
    stages: int = Field(description="Top-level stages in the scope.")
    of: int = Field(description="Top-level stages of the whole chain.")
    rollup: str = Field(description="How sub-stages were rolled up.")
    depth: int | None = Field(description="Region scope: FEEDS steps up and down from the region's stages.")
    source: str | None = Field(description="Endpoints scope: the stage the chain starts from.")
    sink: str | None = Field(description="Endpoints scope: the stage the chain ends at.")
    rule: str = Field(description="What the scope holds, in one sentence.")
    widen: str | None = Field(description="How to read more of the chain (null: it is all read).")
    chain: str | None = Field(default=None, description="Chain scope: the id of the chain of the store read.")
    chain_name: str | None = Field(default=None, description="Chain scope: its name.")
    pairs: str = Field(default="keep", description="Two-way FEEDS pairs kept, or broken by the rule of the pairs parameter.")


class CycleListing(Model):
    size: int
    stages: list[str] = Field(description="Its first stages.")
    names: list[str]
    local_enterprises: int


class Cycles(Model):
    """The FEEDS cycles of the chain read: each counts as one link of it."""

    count: int
    stages: int = Field(description="Stages on any cycle.")
    largest: list[CycleListing]


_GAP_COLUMNS = [*_fields("stage", "name", "status", "kind", "score", "upstream_local", "downstream_local", "density", "feasible")]


# a gap's candidates one per row, each with its signals (S, I, Z of the score): (gap, rank, candidate)
_CANDIDATE_COLUMNS = [Column("gap", lambda t: t[0].stage), Column("gap_name", lambda t: t[0].name), Column("rank", lambda t: t[1]),
                      *(Column(name, lambda t, name=name: getattr(t[2], name))
                        for name in ("enterprise", "name", "region", "score", "supply_ties", "shared_institutes", "size", "capacity_share", "tag_affinity",
                                     "chain_stages", "chain_fit"))]


def _candidate_cells(gap: Gap) -> list[str]:
    return [f"{c.name} ({c.enterprise}, {c.score:.2f})" for c in gap.candidates]


class GapsReport(Report):
    region: str
    region_name: str
    min_firms: int
    completeness: float
    completeness_weighted: float
    local_enterprises: int
    counts: GapCounts
    stages: list[StageCoverage]
    gaps: list[Gap]
    gaps_total: int = Field(description="Every gap of the region; `gaps` lists the top ones when the chain is large.")
    listing: GapsListing = Field(description="What `gaps` and `stages` list, and by which rule.")
    stage_betweenness: StageBetweenness = Field(description="How the B of the scores was computed.")
    chain_scope: Scope = Field(description="The part of the chain read: every figure is of it.")
    cycles: Cycles
    candidate_signals: CandidateSignals
    # who the counts of local_enterprises are, per top-level stage: for the chain view, not
    # part of the JSON (a national chain has tens of thousands of stages)
    _firms: dict[str, set[str]] = PrivateAttr(default_factory=dict)

    def firms_in(self, stage: str) -> set[str]:
        """The region's enterprises in ``stage`` (a top-level stage), when the analysis made this
        report (a report read back from JSON does not know them)."""
        return self._firms.get(stage, set())

    tables: ClassVar[dict[str, Table]] = {
        "gaps": Table(
            lambda r: r.gaps,
            [*_GAP_COLUMNS, Column("candidates", _candidate_cells)],
            # a spreadsheet gets the candidates one per row (their own table), to sort and filter
            csv_columns=[*_GAP_COLUMNS, Column("reasons", lambda g: _joined(g.reasons))],
        ),
        "candidates": Table(
            lambda r: [(gap, rank, c) for gap in r.gaps for rank, c in enumerate(gap.candidates, start=1)],
            _CANDIDATE_COLUMNS, csv_columns=[*_CANDIDATE_COLUMNS, Column("reasons", lambda t: _joined(t[2].reasons))],
        ),
        "stages": Table(lambda r: r.stages, _fields("stage", "name", "tier", "status", "local_enterprises")),
    }


class RegionCoverage(Model):
    status: Status
    local_enterprises: int


class CompareRow(BaseModel):
    """One stage; besides the fields below, one ``{status, local_enterprises}`` per region id."""

    # the region ids are the extra fields, each typed: the one model that allows extras
    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, RegionCoverage] = Field(init=False)

    stage: str
    name: str
    tier: str | None
    present_in: list[str]
    lacking_in: list[str]

    def coverage(self, region: str) -> RegionCoverage:
        """The stage's status and local enterprises in ``region``."""
        return self.__pydantic_extra__[region]


def _compare_columns(report: CompareReport) -> list[Column]:
    lang = report._lang
    return [*_fields("stage", "name"), *(Column(r, lambda row, r=r: f"{label(row.coverage(r).status, lang)} ({row.coverage(r).local_enterprises})")
                                         for r in report.regions)]


def _compare_csv_columns(report: CompareReport) -> list[Column]:
    columns = _fields("stage", "name", "tier")
    for r in report.regions:
        columns.append(Column(f"{r}_status", lambda row, r=r: row.coverage(r).status, enum=True))
        columns.append(Column(f"{r}_firms", lambda row, r=r: row.coverage(r).local_enterprises))
    return columns


class PeerRegion(Model):
    region: str
    name: str
    similarity: float = Field(description="Cosine similarity of the stage profiles.")
    shared_stages: int = Field(description="Stages both have activity in.")
    stages: int = Field(description="Stages the peer has activity in.")


class CompareReport(Report):
    regions: list[str]
    min_firms: int
    completeness: dict[str, float]
    stages: list[CompareRow]
    stages_total: int
    stages_listed: int
    top: int | None = Field(description="How many stages were listed at most (null: all).")
    chain_scope: Scope = Field(description="The part of the chain read: every figure is of it.")
    peers: dict[str, list[PeerRegion]] | None = Field(
        default=None, description="With peers > 0: per region, the regions most like it (cosine of the stage profiles).")

    tables: ClassVar[dict[str, Table]] = {
        "stages": Table(lambda r: r.stages, _compare_columns, csv_columns=_compare_csv_columns),
        "peers": Table(lambda r: [(region, rank, p) for region, found in (r.peers or {}).items() for rank, p in enumerate(found, start=1)],
                       [Column("of", lambda t: t[0]), Column("rank", lambda t: t[1]),
                        *(Column(name, lambda t, name=name: getattr(t[2], name)) for name in ("region", "name", "similarity", "shared_stages", "stages"))]),
    }


# -- bottlenecks -----------------------------------------------------------------------------
class Chokepoint(Model):
    kind: Literal["chokepoint"]
    node: str
    name: str
    score: float
    reasons: list[str]
    dominates: list[str] = Field(description="End-product stages every FEEDS path from the sources to passes through it.")
    articulation_point: bool
    parts: list[int] = Field(description="Sizes of the parts the stage graph splits into without it, largest first.")
    local_enterprises: int | None = Field(default=None, description="The region's enterprises in it (with a region only).")


class Share(Model):
    enterprise: str
    share: float


class SingleSource(Model):
    kind: Literal["single_source"]
    node: str
    name: str
    score: float
    reasons: list[str]
    enterprises: int
    hhi: float
    basis: Literal["capacity", "firm_count"]
    shares: list[Share]
    downstream_stages: int = Field(description="Stages FEEDS-downstream of it with firms in scope.")
    downstream_firms: int = Field(description="The firms of those stages (each once): what depends on it, which orders equal scores.")


class Disrupted(Model):
    enterprise: str
    name: str
    region: str | None
    in_scope: bool
    lost: list[str] = Field(description="Stages it no longer gets any supplier of.")


class StageChange(Model):
    stage: str
    name: str
    before: int = Field(description="Firms in it before.")
    after: int = Field(description="Firms in it after.")


class DownstreamStage(Model):
    stage: str
    name: str
    enterprises: int = Field(description="Its firms still active.")
    inputs_lost: list[str]


class Cascade(Model):
    supplies_cut: int
    enterprises_total: int
    enterprises_in_scope: int
    enterprises: list[Disrupted]
    stages_lost: list[StageChange]
    stages_weakened: list[StageChange]
    stages_downstream: list[DownstreamStage]


class CriticalEnterprise(Model):
    kind: Literal["critical_enterprise"]
    node: str
    name: str
    score: float
    region: str | None
    reasons: list[str]
    cascade: Cascade
    downstream_firms: int = Field(description="Firms of the stages downstream that lose an input: orders equal scores.")


BottleneckItem = Annotated[Union[Chokepoint, SingleSource, CriticalEnterprise], Field(discriminator="kind")]


class BottlenecksListed(Model):
    top: int | None
    complete: bool
    chokepoint: int
    single_source: int
    critical_enterprise: int


class CriticalScreening(Model):
    suspects: int
    cascades: int
    limit: int
    complete: bool
    rule: str


_ITEM_COLUMNS = _fields("kind", "node", "name", "score")


class BottlenecksReport(Report):
    region: str | None
    scope: str = Field(description="Where the items were looked for: the region's name, or the whole graph.")
    chain_scope: Scope = Field(description="The part of the chain read: every figure is of it.")
    cycles: Cycles = Field(description="The FEEDS cycles of the chain read: each counted as one link by the dominators and the cascades.")
    hhi_threshold: float
    min_firms: int
    sources: list[str]
    end_products: list[str]
    counts: dict[str, int]
    listed: BottlenecksListed = Field(description="Items listed per kind (`counts` counts them all), top, complete.")
    critical_screening: CriticalScreening = Field(description="Suspects of being critical, and how many got the full cascade.")
    items: list[BottleneckItem]

    tables: ClassVar[dict[str, Table]] = {
        "items": Table(
            lambda r: r.items,
            [*_ITEM_COLUMNS, Column("why", lambda i: i.reasons[0])],
            csv_columns=[*_ITEM_COLUMNS, Column("reasons", lambda i: _joined(i.reasons))],
        ),
    }


def _effects(report: WhatIfReport) -> list[tuple[str, str, str, str]]:
    lang = report._lang
    rows = [("enterprise_loses_supply", e.enterprise, e.name, message("wi.detail_lost", lang, region=e.region, stages=joined(e.lost, lang)))
            for e in report.enterprises]
    rows += [("stage_lost", r.stage, r.name, message("wi.detail_firms", lang, before=r.before, after=r.after)) for r in report.stages_lost]
    rows += [("stage_weakened", r.stage, r.name, message("wi.detail_firms", lang, before=r.before, after=r.after)) for r in report.stages_weakened]
    rows += [("stage_downstream", r.stage, r.name, message("wi.detail_inputs", lang, stages=joined(r.inputs_lost, lang)))
             for r in report.stages_downstream]
    return rows


class WhatIfReport(Report):
    region: str | None
    scope: str = Field(description="Where the cascade was followed: the region's name, or the whole graph.")
    chain_scope: Scope = Field(description="The part of the chain read: every figure is of it.")
    cycles: Cycles = Field(description="The FEEDS cycles of the chain read: each counted as one link by the dominators and the cascades.")
    min_firms: int
    removed: list[NodeRef]
    supplies_cut: int
    enterprises_total: int
    enterprises_in_scope: int
    enterprises: list[Disrupted]
    stages_lost: list[StageChange]
    stages_weakened: list[StageChange]
    stages_downstream: list[DownstreamStage]
    score: int
    reasons: list[str]

    tables: ClassVar[dict[str, Table]] = {
        "effects": Table(_effects, [Column(h, lambda t, i=i: t[i], enum=h == "effect") for i, h in enumerate(("effect", "id", "name", "detail"))]),
    }


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
    engine: str = Field(description="What computed the values: networkx, or on a large projection igraph, scipy or numpy (NetworkX's definitions "
                        "and numbers), or gds (Graph Data Science inside the Neo4j server; the note says where its definition differs).")
    threads: int = Field(1, description="How many processes computed the values (exact and sampled shortest-path measures on a large "
                         "projection share their searches among the cores, at most CHAINX_THREADS); 1 otherwise.")
    note: str
    rows: list[CentralityRow]

    tables: ClassVar[dict[str, Table]] = {"rows": Table(lambda r: r.rows, _fields("rank", "node", "name", "kind", "value"))}


# -- ties ------------------------------------------------------------------------------------
class TiesSummary(Model):
    enterprises: int
    institutes: int
    ties: int
    enterprises_with_ties: int
    institutes_with_ties: int
    communities: int


class InstituteTies(Model):
    institute: str
    name: str
    region: str | None
    ties: int
    enterprises: int = Field(description="How many enterprises it has ties with.")
    tie_kinds: dict[str, int]
    partners: list[str]
    reasons: list[str]


class EnterpriseTies(Model):
    enterprise: str
    name: str
    region: str | None
    ties: int
    institutes: int = Field(description="How many institutes it has ties with.")
    tie_kinds: dict[str, int]
    partners: list[str]
    reasons: list[str]


class Pair(Model):
    a: str
    a_name: str
    b: str
    b_name: str
    shared: int
    via: list[str]


class Projection(Model):
    nodes: int
    linked: int
    edges: int | None
    top_pairs: list[Pair]
    note: str | None = Field(default=None, description="Why the pairs are not listed (a projection too large), when they are not.")


class Projections(Model):
    enterprise: Projection
    institute: Projection


class Community(Model):
    community: int
    size: int
    hub: str
    hub_name: str
    enterprises: list[str]
    institutes: list[str]
    internal_links: int
    external_links: int
    reasons: list[str]


class Broker(Model):
    node: str
    name: str
    kind: str | None
    betweenness: float
    constraint: float | None  # None when undefined: no peer in its own kind's projection
    betweenness_rank: int
    constraint_rank: int
    reasons: list[str]


class BrokersMethod(Model):
    betweenness: str
    constraint: str
    candidates: int


class ResearchGap(Model):
    stage: str
    name: str
    tier: str | None
    enterprises: int
    researched_by: list[str]
    reasons: list[str]


class SharedInstitute(Model):
    institute: str
    name: str
    shared_enterprises: int


class FocusStage(Model):
    stage: str
    name: str
    enterprises: int


class Focus(Model):
    institute: str
    name: str
    enterprises: int
    shared_institutes: list[SharedInstitute]
    stages: list[FocusStage]


class FirmTieRow(Model):
    enterprise: str = Field(description="The enterprise, or with groups the head of its control group.")
    name: str
    members: list[str] = Field(description="With groups: the group's enterprises (the head first); else the enterprise alone.")
    ties: int
    firms: int = Field(description="How many other enterprises (or groups) it has these ties with.")
    tie_kinds: dict[str, int] = Field(description="Ties per type; TYPE← counts those pointing at it (invested in, controlled, acquired).")
    partners: list[str]
    reasons: list[str]


class FirmTies(Model):
    tie_types: list[str] = Field(description="The firm-tie types counted.")
    groups: bool = Field(description="Whether control groups are rolled up into one.")
    counts: dict[str, int] = Field(description="Relationships of each type counted (without those inside a group).")
    inside_groups: int = Field(description="Ties between two members of one control group, left out with groups.")
    group_count: int = Field(description="Control groups of two or more enterprises in the data.")
    rows: list[FirmTieRow]


def _kinds_cell(kinds: dict[str, int]) -> str:
    return "; ".join(f"{kind} {count}" for kind, count in kinds.items())


class TiesReport(Report):
    institute: str | None
    seed: int
    summary: TiesSummary
    institutes: list[InstituteTies]
    enterprises: list[EnterpriseTies]
    projections: Projections
    communities: list[Community]
    brokers: list[Broker]
    brokers_method: BrokersMethod
    research_gaps: list[ResearchGap]
    firm_ties: FirmTies = Field(description="Ties between enterprises: cooperation, competition, investment, control, joint ventures, "
                                "acquisitions (tie_types), per enterprise or per control group (groups).")
    focus: Focus | None = Field(default=None, description="With an institute only.")

    tables: ClassVar[dict[str, Table]] = {
        "summary": Table(lambda r: r.summary.model_dump().items(), [Column("measure", lambda kv: kv[0]), Column("value", lambda kv: kv[1])]),
        "institutes": Table(lambda r: r.institutes, [*_fields("institute", "name", "region", "ties", "enterprises"),
                                                     Column("tie_kinds", lambda row: _kinds_cell(row.tie_kinds))]),
        "enterprises": Table(lambda r: r.enterprises, [*_fields("enterprise", "name", "region", "ties", "institutes"),
                                                       Column("tie_kinds", lambda row: _kinds_cell(row.tie_kinds))]),
        "projections": Table(
            lambda r: [(name, pair) for name in Projections.model_fields for pair in getattr(r.projections, name).top_pairs],
            [Column("projection", lambda t: t[0])] + [Column(n, lambda t, n=n: getattr(t[1], n)) for n in ("a", "a_name", "b", "b_name", "shared", "via")],
        ),
        "communities": Table(lambda r: r.communities, _fields("community", "size", "hub_name", "institutes", "enterprises",
                                                              "internal_links", "external_links")),
        "brokers": Table(lambda r: r.brokers, _fields("node", "name", "kind", "betweenness", "constraint", "betweenness_rank", "constraint_rank")),
        "research_gaps": Table(lambda r: r.research_gaps, _fields("stage", "name", "tier", "enterprises", "researched_by")),
        "firm_ties": Table(lambda r: r.firm_ties.rows, [*_fields("enterprise", "name", "members", "ties", "firms"),
                                                        Column("tie_kinds", lambda row: _kinds_cell(row.tie_kinds))]),
        "focus": Table(lambda r: r.focus.shared_institutes, _fields("institute", "name", "shared_enterprises")),
    }


class RelatedMatrix(Model):
    """The region × stage matrix a relatedness report rests on."""

    regions: int = Field(description="Rows: the regions compared.")
    stages: int = Field(description="Columns: the top-level stages of the chain scope.")
    present: int = Field(description="Stages present in the region (M = 1).")
    held: int = Field(description="Stages the region has any activity in (x > 0).")
    rule: str = Field(description="Which regions the rows are.")
    peer_measure: str = Field(description="How peer regions are measured.")
    note: str = Field(description="A caution about the matrix, empty when none.")


class RelatedStage(Model):
    stage: str
    name: str
    value: float = Field(description="x: what the region has in the stage (the measure).")
    rca: float
    present: bool = Field(description="M = 1.")
    ubiquity: int = Field(description="Regions the stage is present in.")
    density: float
    pci: float | None
    opportunity_gain: float


class FeasibleStage(Model):
    rank: int
    stage: str
    name: str
    density: float = Field(description="ω: the share of the stage's proximity the region already holds.")
    ubiquity: int
    pci: float | None
    opportunity_gain: float
    related: list[str] = Field(description="The region's present stages nearest to it by proximity, nearest first.")
    related_names: list[str]
    feeds_links: list[str] = Field(description="FEEDS links between it and stages the region has activity in.")
    reasons: list[str]


class RelatedReport(Report):
    region: str
    region_name: str
    measure: str
    presence: str
    eci: float | None = Field(description="The region's economic complexity index (null when not defined).")
    matrix: RelatedMatrix
    feasible: list[FeasibleStage] = Field(description="Stages the region has no activity in, by density (highest first).")
    feasible_total: int
    stages: list[RelatedStage]
    peers: list[PeerRegion]
    chain_scope: Scope
    # the stage space (stage ids, proximity matrix) for the view; not part of the JSON
    _space: tuple = PrivateAttr(default=((), None))

    tables: ClassVar[dict[str, Table]] = {
        "feasible": Table(
            lambda r: r.feasible,
            [*_fields("rank", "stage", "name", "density", "ubiquity", "pci", "opportunity_gain"),
             Column("related", lambda f: _joined(f.related_names[:5]))],
            csv_columns=[*_fields("rank", "stage", "name", "density", "ubiquity", "pci", "opportunity_gain"),
                         Column("related", lambda f: _joined(f.related)), Column("feeds_links", lambda f: _joined(f.feeds_links)),
                         Column("reasons", lambda f: _joined(f.reasons))],
        ),
        "peers": Table(lambda r: r.peers, _fields("region", "name", "similarity", "shared_stages", "stages")),
        "stages": Table(lambda r: r.stages, _fields("stage", "name", "value", "rca", "present", "ubiquity", "density", "pci", "opportunity_gain")),
    }


# -- diff --------------------------------------------------------------------------------------
class DiffItem(Model):
    change: Literal["appeared", "disappeared", "opened", "closed", "moved"]
    kind: str = Field(description="A node's label, a relationship's type, gap or a bottleneck's kind.")
    id: str = Field(description="A node's or stage's id; a relationship's source->target.")
    name: str


class RankMove(Model):
    node: str
    name: str
    rank_from: int | None = Field(description="Its degree-centrality rank on `from` (None: not in the graph then).")
    rank_to: int | None
    moved: int = Field(description="rank_from - rank_to: up is positive; a node absent on one date counts from one past the last rank.")


class DiffCounts(Model):
    nodes_appeared: int
    nodes_disappeared: int
    relationships_appeared: int
    relationships_disappeared: int
    gaps_closed: int
    gaps_opened: int
    bottlenecks_appeared: int
    bottlenecks_gone: int


class DiffReport(Report):
    date_from: str = Field(alias="from")
    date_to: str = Field(alias="to")
    region: str | None
    counts: DiffCounts
    nodes: list[DiffItem]
    relationships: list[DiffItem]
    gaps: list[DiffItem] = Field(description="Gaps of `region` closed or opened (empty without a region).")
    bottlenecks: list[DiffItem]
    ranks: list[RankMove] = Field(description="The nodes whose degree-centrality rank moved most.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    tables: ClassVar[dict[str, Table]] = {
        "changes": Table(lambda r: [("node", i) for i in r.nodes] + [("relationship", i) for i in r.relationships]
                         + [("gap", i) for i in r.gaps] + [("bottleneck", i) for i in r.bottlenecks],
                         [Column("what", lambda t: t[0]), Column("change", lambda t: t[1].change), Column("kind", lambda t: t[1].kind),
                          Column("id", lambda t: t[1].id), Column("name", lambda t: t[1].name)]),
        "ranks": Table(lambda r: r.ranks, _fields("node", "name", "rank_from", "rank_to", "moved")),
    }


# -- briefing ----------------------------------------------------------------------------------
class MapStage(Model):
    """A top-level stage on the briefing's chain map, where :func:`graph.views_data.chain_layout` puts it."""

    stage: str
    name: str
    tier: str | None
    status: Literal["present", "weak", "missing"]
    local_enterprises: int
    column: int = Field(description="Upstream → downstream: the longest FEEDS path reaching the stage.")
    row: int
    band: Literal["main", "support"]


class ChainMap(Model):
    """The chain map of the briefing: the gaps report's stages, placed, and the FEEDS links among them."""

    stages: list[MapStage]
    links: list[tuple[str, str]] = Field(description="FEEDS links (supplier, buyer) among the stages drawn.")


class BriefingReport(Report):
    """The document a promotion office hands up for one region: the gaps, bottlenecks and ties
    reports, as the analyses made them, and the few things picked from them (graph.analysis.briefing)."""

    region: str
    region_name: str
    data_version: str = Field(description="The store's data version the reports were computed at.")
    institutes: int = Field(description="Institutes located in the region or below it.")
    top: int = Field(description="Gaps shown, and bottlenecks of each kind.")
    parameters: dict[str, Any] = Field(description="The parameters the briefing was made with.")
    gaps: GapsReport
    top_gaps: list[Gap] = Field(description="The first `top` gaps of the gaps report (highest score first).")
    bottlenecks: BottlenecksReport
    top_bottlenecks: list[BottleneckItem] = Field(description="The first `top` items of each kind of the bottlenecks report.")
    ties: TiesSummary = Field(description="The whole graph's enterprise–institute ties (the ties report's summary).")
    region_ties: list[EnterpriseTies] = Field(description="The ties report's rows of the region's enterprises.")
    region_names: dict[str, str] = Field(description="The name of each region a candidate is located in, or a peer is, by id.")
    chain_map: ChainMap = Field(description="The region's chain map: the gaps report's stages placed as the chain view places them.")
    peers: CompareReport | None = Field(default=None, description="With peers: the compare report of the region and its peers on the "
                                        "same chain scope, its rows cut to the `top` stages with the most enterprises of them together.")

    tables: ClassVar[dict[str, Table]] = {
        "stages": Table(lambda r: r.gaps.stages, _fields("stage", "name", "tier", "status", "local_enterprises")),
        "gaps": Table(lambda r: r.top_gaps, [*_GAP_COLUMNS, Column("reasons", lambda g: _joined(g.reasons))]),
        "candidates": Table(
            lambda r: [(gap, rank, c) for gap in r.top_gaps for rank, c in enumerate(gap.candidates, start=1)],
            [*_CANDIDATE_COLUMNS, Column("reasons", lambda t: _joined(t[2].reasons))],
        ),
        "bottlenecks": Table(lambda r: r.top_bottlenecks, [*_ITEM_COLUMNS, Column("reasons", lambda i: _joined(i.reasons))]),
        "ties": Table(lambda r: r.region_ties, [*_fields("enterprise", "name", "region", "ties", "institutes"),
                                                Column("tie_kinds", lambda row: _kinds_cell(row.tie_kinds))]),
        "peers": Table(lambda r: r.peers.stages if r.peers else [], lambda r: _compare_columns(r.peers) if r.peers else _fields("stage", "name")),
    }


#: Every report model, for the tests that check them all.
REPORTS: tuple[type[Report], ...] = (
    Stats, DatasetsReport, Neighbors, PathOut, GapsReport, CompareReport, BottlenecksReport, WhatIfReport, CentralityReport, TiesReport,
    RelatedReport, DiffReport, BriefingReport,
)


@functools.cache  # an API request asks it twice: evaluating the annotations took 0.6 ms of a cached answer's 3
def report_model(func: Callable[..., Any]) -> type[Report]:
    """The report model an analysis function returns (its return annotation).

    >>> from graph.analysis.gaps import gaps
    >>> report_model(gaps).__name__
    'GapsReport'
    """
    model = typing.get_type_hints(func).get("return")
    if not (isinstance(model, type) and issubclass(model, Report)):
        raise TypeError(f"{func.__qualname__} is not annotated to return a report (it says {model!r})")
    return model
