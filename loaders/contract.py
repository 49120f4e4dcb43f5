"""The data contract (dataset v1): which files a dataset may hold and what their columns mean."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Column", "FileSpec", "FILES", "FILE_ORDER"]


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    # text | float | int | list ("a;b;c") | ref:<Label>
    type: str = "text"
    # for numbers: the smallest allowed value, and whether it is itself allowed
    minimum: float | None = None
    exclusive_minimum: bool = False


@dataclass(frozen=True)
class FileSpec:
    name: str  # e.g. "stages.csv"
    columns: tuple[Column, ...]
    # the label of the nodes this file defines (None for files of relationships)
    label: str | None = None

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".csv")

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _ref(name: str, label: str, required: bool = False) -> Column:
    return Column(name, required=required, type=f"ref:{label}")


_POSITIVE = {"minimum": 0.0, "exclusive_minimum": True}
_NON_NEGATIVE = {"minimum": 0.0}

FILES: dict[str, FileSpec] = {
    spec.name: spec
    for spec in [
        FileSpec(
            "stages.csv",
            (
                Column("id", required=True),
                Column("name", required=True),
                Column("tier"),
                _ref("parent", "Stage"),
                Column("aliases", type="list"),
                Column("description"),
            ),
            label="Stage",
        ),
        FileSpec(
            "stage_links.csv",
            (
                _ref("source", "Stage", required=True),
                _ref("target", "Stage", required=True),
                Column("weight", type="float", **_POSITIVE),
            ),
        ),
        FileSpec(
            "regions.csv",
            (
                Column("id", required=True),
                Column("name", required=True),
                _ref("parent", "Region"),
                Column("level"),
            ),
            label="Region",
        ),
        FileSpec(
            "parks.csv",
            (
                Column("id", required=True),
                Column("name", required=True),
                _ref("region", "Region", required=True),
                Column("kind"),
            ),
            label="Park",
        ),
        FileSpec(
            "enterprises.csv",
            (
                Column("id", required=True),
                Column("name", required=True),
                _ref("region", "Region", required=True),
                _ref("park", "Park"),
                Column("revenue_cny", type="float", **_NON_NEGATIVE),
                Column("employees", type="int", **_NON_NEGATIVE),
                Column("founded", type="int"),
                Column("tags", type="list"),
            ),
            label="Enterprise",
        ),
        FileSpec(
            "enterprise_stages.csv",
            (
                _ref("enterprise", "Enterprise", required=True),
                _ref("stage", "Stage", required=True),
                Column("capacity", type="float", **_NON_NEGATIVE),
                Column("unit"),
            ),
        ),
        FileSpec(
            "supplies.csv",
            (
                _ref("supplier", "Enterprise", required=True),
                _ref("customer", "Enterprise", required=True),
                _ref("stage", "Stage"),
                Column("volume", type="float", **_NON_NEGATIVE),
            ),
        ),
        FileSpec(
            "institutes.csv",
            (
                Column("id", required=True),
                Column("name", required=True),
                Column("kind"),
                _ref("region", "Region"),
            ),
            label="Institute",
        ),
        FileSpec(
            "ties.csv",
            (
                _ref("enterprise", "Enterprise", required=True),
                _ref("institute", "Institute", required=True),
                Column("kind"),
                Column("year", type="int"),
                Column("weight", type="float", **_POSITIVE),
            ),
        ),
        FileSpec(
            "institute_stages.csv",
            (
                _ref("institute", "Institute", required=True),
                _ref("stage", "Stage", required=True),
            ),
        ),
    ]
}

# Node files before the relationship files that refer to them; regions before parks before
# enterprises, so references can be resolved in one pass.
FILE_ORDER: tuple[str, ...] = (
    "stages.csv",
    "regions.csv",
    "parks.csv",
    "enterprises.csv",
    "institutes.csv",
    "stage_links.csv",
    "enterprise_stages.csv",
    "supplies.csv",
    "ties.csv",
    "institute_stages.csv",
)

TIERS = ("upstream", "midstream", "downstream", "support")
