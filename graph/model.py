"""The domain model: node kinds, relationship types, and the in-memory graph data they form.

Everything that crosses the loader → store boundary is a :class:`GraphData`: plain nodes and
relationships keyed by ids. Ids are unique across all node kinds of a graph, so an id names one
thing whatever its kind ("hengli" is either an enterprise or a stage, never both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from graph.errors import InvalidParameter

__all__ = [
    "Label",
    "RelType",
    "LABELS",
    "REL_TYPES",
    "FIRM_TIES",
    "SYMMETRIC_TIES",
    "Node",
    "Relationship",
    "GraphData",
    "check_label",
    "check_rel_type",
    "a_kind",
]


class Label(str, Enum):
    STAGE = "Stage"
    ENTERPRISE = "Enterprise"
    INSTITUTE = "Institute"
    PARK = "Park"
    REGION = "Region"
    CHAIN = "Chain"  # a named chain: a set of stages (chains.csv, or saved by chainx chains save)

    def __str__(self) -> str:  # so f-strings and JSON show "Stage", not "Label.STAGE"
        return self.value


class RelType(str, Enum):
    FEEDS = "FEEDS"  # Stage → Stage: source's output is an input of target
    PART_OF = "PART_OF"  # sub-stage → stage, region → parent region
    OPERATES_IN = "OPERATES_IN"  # Enterprise → Stage
    SUPPLIES = "SUPPLIES"  # Enterprise → Enterprise
    LOCATED_IN = "LOCATED_IN"  # Enterprise → Park/Region, Park → Region, Institute → Region
    COLLABORATES_WITH = "COLLABORATES_WITH"  # Enterprise → Institute
    RESEARCHES = "RESEARCHES"  # Institute → Stage
    # firm ties (issue 19): what public chain graphs hold between enterprises beyond supply
    COOPERATES_WITH = "COOPERATES_WITH"  # Enterprise → Enterprise (a cooperation; either way round)
    COMPETES_WITH = "COMPETES_WITH"  # Enterprise → Enterprise (either way round)
    INVESTS_IN = "INVESTS_IN"  # investor → investee
    CONTROLS = "CONTROLS"  # parent → subsidiary (控股 / 母公司): the control groups
    JOINT_VENTURE = "JOINT_VENTURE"  # Enterprise → Enterprise: the two run a joint venture
    ACQUIRED = "ACQUIRED"  # acquirer → acquired
    INCLUDES = "INCLUDES"  # Chain → Stage: a member stage of the chain

    def __str__(self) -> str:
        return self.value


# The allow-lists. Labels and relationship types are the only identifiers that ever reach a
# query as text (Cypher cannot take them as parameters), so every one is checked against these.
LABELS: tuple[str, ...] = tuple(label.value for label in Label)
REL_TYPES: tuple[str, ...] = tuple(rel.value for rel in RelType)

# Which (source label, target label) pairs each relationship type may join.
REL_ENDPOINTS: dict[str, set[tuple[str, str]]] = {
    "FEEDS": {("Stage", "Stage")},
    "PART_OF": {("Stage", "Stage"), ("Region", "Region")},
    "OPERATES_IN": {("Enterprise", "Stage")},
    "SUPPLIES": {("Enterprise", "Enterprise")},
    "LOCATED_IN": {
        ("Enterprise", "Park"),
        ("Enterprise", "Region"),
        ("Park", "Region"),
        ("Institute", "Region"),
    },
    "COLLABORATES_WITH": {("Enterprise", "Institute")},
    "RESEARCHES": {("Institute", "Stage")},
    **{rel: {("Enterprise", "Enterprise")} for rel in ("COOPERATES_WITH", "COMPETES_WITH", "INVESTS_IN", "CONTROLS", "JOINT_VENTURE", "ACQUIRED")},
    "INCLUDES": {("Chain", "Stage")},
}

# The firm ties, in the order reports list them; the symmetric ones mean the same either way round.
FIRM_TIES: tuple[str, ...] = ("COOPERATES_WITH", "COMPETES_WITH", "INVESTS_IN", "CONTROLS", "JOINT_VENTURE", "ACQUIRED")
SYMMETRIC_TIES: frozenset[str] = frozenset({"COOPERATES_WITH", "COMPETES_WITH", "JOINT_VENTURE"})


def a_kind(label: str) -> str:
    """The label with its article, for messages: "a Stage", "an Enterprise"."""
    return f"{'an' if label[:1] in 'AEIOU' else 'a'} {label}"


def check_label(label: str) -> str:
    """Return ``label`` if it is a known node label, else raise InvalidParameter (allow-list).

    A user's ``--kind`` / ``?kind=`` reaches the stores through here, so the refusal is one of
    the tool's own errors: a clear line in the CLI, a 422 in the API.
    """
    if label not in LABELS:
        raise InvalidParameter("kind", f"unknown node kind {label!r}; expected one of {', '.join(LABELS)}")
    return label


def check_rel_type(rel_type: str) -> str:
    """Return ``rel_type`` if it is a known relationship type, else raise InvalidParameter."""
    if rel_type not in REL_TYPES:
        raise InvalidParameter(
            "type", f"unknown relationship type {rel_type!r}; expected one of {', '.join(REL_TYPES)}"
        )
    return rel_type


@dataclass(frozen=True)
class Node:
    label: str
    id: str
    name: str
    props: dict = field(default_factory=dict, compare=True, hash=False)

    def as_dict(self) -> dict:
        return {"kind": self.label, "id": self.id, "name": self.name, **self.props}


@dataclass(frozen=True)
class Relationship:
    """A typed, directed relationship between two nodes given by id.

    ``key`` tells apart parallel relationships of one type between the same two nodes (two ties
    of different kinds, two supplies of different stages); it is "" when there can be only one.
    """

    type: str
    source: str
    target: str
    key: str = ""
    props: dict = field(default_factory=dict, compare=True, hash=False)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.type, self.source, self.target, self.key)


@dataclass
class GraphData:
    """Nodes and relationships in memory, as loaders produce them and stores accept them."""

    nodes: list[Node] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    # node id → the properties a loader filled in by default (a stage's tier when its row gives
    # none): not something the dataset says, so they never overwrite a stored node's values
    defaults: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)

    def label_of(self) -> dict[str, str]:
        return {node.id: node.label for node in self.nodes}

    def __len__(self) -> int:
        return len(self.nodes) + len(self.relationships)
