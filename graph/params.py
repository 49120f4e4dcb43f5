"""Every report parameter, defined once: its name, type, bounds, default and help.

The command line (chainx/options.py) and the HTTP API (api/params.py) build their options and
query parameters from these definitions, and the analyses check the values they are given
against the same ones (:meth:`Param.check`), so a bound is the same whether a person types it, a
client sends it or a notebook passes it. tests/arch/test_params.py asks both edges for each
parameter's bounds and compares.

>>> TOP_CANDIDATES.check(3), TOP_CANDIDATES.minimum, TOP_CANDIDATES.maximum
(3, 0, 100)
>>> MIN_FIRMS.check(0)
Traceback (most recent call last):
...
graph.errors.InvalidParameter: min_firms: must be a whole number from 1 to 10000, not 0
>>> split_list(" shengze, tianmen ,,")
['shengze', 'tianmen']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .checks import number, whole_number
from .errors import InvalidParameter

__all__ = [
    "Param", "split_list", "PARAMS",
    "REGION", "REGIONS", "VIEW_REGIONS", "HEATMAP_REGIONS", "HEATMAP_TOP", "PANORAMA_TOP", "MIN_FIRMS", "CRITICAL_MIN_FIRMS", "TOP_CANDIDATES", "LISTING_TOP", "HHI_THRESHOLD",
    "CENTRALITY_TOP", "SAMPLES", "SEED", "COMMUNITY_SEED", "TIES_TOP", "TIE_TYPES", "GROUPS", "DEPTH", "NEIGHBOR_LIMIT", "SEARCH_LIMIT",
    "SEARCH_OFFSET", "ENGINE", "MAX_SECONDS", "MAX_SECONDS_ENV", "MAX_TIES_SECONDS", "MAX_TIES_SECONDS_ENV", "MAX_LISTED_ITEMS",
    "MAX_LISTED_ITEMS_ENV", "budget", "REMOVE", "SCOPE", "SCOPE_DEPTH", "SOURCE", "SINK", "ROLLUP", "PAIRS", "CHAIN", "CHAIN_SCOPE", "VIA", "PATH_VIA",
    "DIRECTED", "THROUGH_REGIONS",
    "FORMAT", "FILE_FORMATS", "RESPONSE_FORMAT", "SECTION", "OUTPUT", "XLSX_MEDIA_TYPE",
    "DRY_RUN", "UPDATE_EXISTING", "REGION_LEVEL", "MEASURE", "PRESENCE", "RELATED_TOP", "PEERS", "COMPARE_PEERS",
    "AS_OF", "DIFF_FROM", "DIFF_TO", "LANG",
    "BRIEFING_TOP", "BRIEFING_PEERS", "BRIEFING_FORMATS", "BRIEFING_FORMAT", "BRIEFING_OUTPUT", "BRIEFING_MEDIA_TYPES",
]

# Reports over the chain list everything on a chain of up to FULL_LISTING_STAGES top-level stages
# (the bundled textile chain has 31) and, by default, the DEFAULT_TOP items that matter most on a
# larger one (chainkg: ~50,000); their counts always cover everything.
FULL_LISTING_STAGES = 500
DEFAULT_TOP = 200
_LISTING_RULE = f"default: all on a chain of up to {FULL_LISTING_STAGES} top-level stages, else {DEFAULT_TOP}"


@dataclass(frozen=True)
class Param:
    """One report parameter. ``kind`` is int, float, str, bool or "list" (comma-separated text,
    :func:`split_list`); ``minimum`` / ``maximum`` bound a number, or a list's length or a text's
    length; ``default`` None means optional with no value. ``flag`` and ``short`` name it on the
    command line (default ``--name-with-dashes``)."""

    name: str
    kind: Any
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    flag: str | None = None
    short: str | None = None
    example: str | None = None
    choices: tuple[str, ...] | None = None  # the values a text parameter takes

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> Any:
        """``value`` when it is within this parameter's bounds (None when it may be absent),
        else InvalidParameter naming it."""
        if value is None and self.default is None:
            return None
        if self.kind is int:
            return whole_number(self.name, value, int(self.minimum if self.minimum is not None else 1),
                                None if self.maximum is None else int(self.maximum))
        if self.kind is float:
            return number(self.name, value, self.minimum, self.maximum)
        if self.kind == "list":
            items = split_list(value) if isinstance(value, str) else list(value)
            if not (self.minimum or 0) <= len(items) <= (self.maximum or len(items)):
                raise InvalidParameter(self.name, f"give {self._count_rule()} {self.name}, not {len(items)}")
            return items
        if self.choices is not None and value not in self.choices:
            raise InvalidParameter(self.name, f"must be one of {', '.join(self.choices)}, not {value!r}")
        return value

    def _count_rule(self) -> str:
        low, high = int(self.minimum or 0), int(self.maximum) if self.maximum is not None else None
        if high is None:
            return f"at least {low}"
        return f"{low} to {high}" if low != high else f"{low}"


def budget(param: Param, env: str, given: Any = None) -> Any:
    """A cost limit: ``given`` when not None, else the environment variable ``env``, else
    ``param``'s default; checked against ``param``'s bounds (InvalidParameter naming ``env`` for
    a bad environment value).

    >>> budget(MAX_LISTED_ITEMS, "CHAINX_TEST_UNSET_LIMIT"), budget(MAX_LISTED_ITEMS, "CHAINX_TEST_UNSET_LIMIT", 5)
    (20000, 5)
    """
    import os

    if given is not None:
        return param.check(given)
    text = os.environ.get(env, "").strip()
    if not text:
        return param.default
    try:
        return param.check(param.kind(text))
    except (ValueError, InvalidParameter):
        low, high = f"{param.minimum:g}", f"{param.maximum:g}"
        raise InvalidParameter(env, f"must be a number from {low} to {high}, not {text!r}") from None


def split_list(value: str | Iterable[str]) -> list[str]:
    """Items of a comma-separated value, or of several (a repeated option, a repeated query
    parameter), each trimmed, empty ones dropped, the order kept."""
    parts = [value] if isinstance(value, str) else list(value)
    return [item.strip() for part in parts for item in str(part).split(",") if item.strip()]


REGION = Param("region", str, None, "Region id; its sub-regions count as part of it.", 1, 200, short="-r", example="tianmen")
REGIONS = Param("regions", "list", None, "Region ids, comma-separated (or repeated): shengze,tianmen.", 1, 20, example="shengze,tianmen")
VIEW_REGIONS = Param("regions", "list", None, "Two to four region ids, comma-separated: shengze,tianmen.", 2, 4, example="shengze,tianmen")
# the heat map compares its regions through the compare report, hence its bound
HEATMAP_REGIONS = Param("regions", "list", None, "Heat map rows: region ids, comma-separated (default: the regions holding the most "
                        "enterprises, up to --top-regions).", 1, REGIONS.maximum, example="shengze,tianmen")
HEATMAP_TOP = Param("top_regions", int, 20, "Heat map without --regions: this many regions, those holding the most enterprises.",
                    1, REGIONS.maximum)
# a page a person reads (and prints): the gaps report's listing, cut to what fits on it
PANORAMA_TOP = Param("top", int, 60, "Panorama: draw the this many gaps with the highest scores and the this many stages with the "
                     "most local enterprises (the gaps report's top); the rest is counted as left out.", 1, 500)
MIN_FIRMS = Param("min_firms", int, 2, "A stage with fewer local enterprises than this is weak.", 1, 10_000)
CRITICAL_MIN_FIRMS = Param("min_firms", int, 1, "Also flag what leaves a stage with fewer firms than this.", 1, 10_000)
TOP_CANDIDATES = Param("top_candidates", int, 5, "Enterprises elsewhere to suggest per gap (0 for none).", 0, 100)
LISTING_TOP = Param("top", int, None, f"List at most this many items of each list ({_LISTING_RULE}).", 1, 100_000)
HHI_THRESHOLD = Param("hhi_threshold", float, 0.5, "A stage whose capacity concentration (HHI, 0 to 1) exceeds this is single-source.", 0, 1)
CENTRALITY_TOP = Param("top", int, 20, "How many rows.", 1, 1000)
# one sample cannot estimate the sampled node's own value (NetworkX returns NaN), hence 2
SAMPLES = Param("k", int, None, "Betweenness only: sample this many source nodes (at least 2) instead of all.", 2, 1_000_000, flag="--k")
SEED = Param("seed", int, None, "Seed of any random sampling, for repeatable results (default 0).", 0, 2**32 - 1)
COMMUNITY_SEED = Param("seed", int, 0, "Seed of the Louvain community detection.", 0, 2**32 - 1)
TIES_TOP = Param("top", int, 20, "Pairs and brokers to list.", 1, 1000)
TIE_TYPES = Param("tie_types", "list", None, "Firm ties to use, comma-separated (or repeated): COOPERATES_WITH, COMPETES_WITH, "
                  "INVESTS_IN, CONTROLS, JOINT_VENTURE, ACQUIRED (default: all); counted by ties, followed and drawn by the ego view "
                  "(every other relationship type is).", 1, 6, example="COOPERATES_WITH,INVESTS_IN")
GROUPS = Param("groups", bool, False, "Roll each control group (a parent company and its subsidiaries, by CONTROLS) up into one: "
               "firm ties per group (ties inside a group left out), gap candidates one per group (its best-scoring member).")
DEPTH = Param("depth", int, 1, "How many relationships away.", 1, 3)
NEIGHBOR_LIMIT = Param("limit", int, 1000, "At most this many nodes, nearest first.", 1, 10_000)
SEARCH_LIMIT = Param("limit", int, 20, "At most this many matches.", 1, 1000)
SEARCH_OFFSET = Param("offset", int, 0, "Skip this many matches (paging).", 0, 10_000_000)
ENGINE = Param("engine", str, "auto", "What computes the values: chainx (in this process, by NetworkX's definitions), gds "
               "(inside the Neo4j server, by Graph Data Science: the graph stays there), or auto (gds on a Neo4j store with "
               "CHAINX_NEO4J_GDS=1 whose server has it, else chainx).", choices=("auto", "chainx", "gds"))
MAX_SECONDS = Param("max_seconds", float, 60.0, "Refuse an exact betweenness, closeness or harmonic run estimated to take longer "
                    "than this many seconds, unless forced.", 1e-9, 86_400)
MAX_SECONDS_ENV = "CHAINX_MAX_CENTRALITY_SECONDS"
# Cost limits of the other costly reads (issue 15): each refuses (TooExpensive, a 422) with its
# estimate and how to narrow the request. The API sets them from its Settings (the same CHAINX_*
# names), the command line and a notebook from the environment (:func:`budget`).
MAX_TIES_SECONDS = Param("max_ties_seconds", float, 60.0, "Refuse a ties report (or the ties view) estimated to take longer than "
                         "this many seconds.", 1e-9, 86_400)
MAX_TIES_SECONDS_ENV = "CHAINX_MAX_TIES_SECONDS"
MAX_LISTED_ITEMS = Param("max_listed_items", int, 20_000, "Refuse a bottlenecks report whose top would list more than this many "
                         "items (each with its reasons); ask for a smaller top.", 1, 10_000_000)
MAX_LISTED_ITEMS_ENV = "CHAINX_MAX_LISTED_ITEMS"
SCOPE = Param("scope", str, "auto", "Which part of the chain to read: region (the stages the region's enterprises operate in and their "
              "FEEDS neighbourhood), whole, or auto (region on a chain of more than "
              f"{FULL_LISTING_STAGES} top-level stages, else whole).", choices=("auto", "whole", "region"))
SCOPE_DEPTH = Param("scope_depth", int, 2, "Region scope: FEEDS steps upstream and downstream of the region's stages.", 1, 10)
SOURCE = Param("source", str, None, "Chain scope by its ends: the stage it starts from (with --to).", 1, 500, flag="--from", example="原油")
SINK = Param("sink", str, None, "Chain scope by its ends: the stage it ends at (with --from).", 1, 500, flag="--to", example="服装")
REGION_LEVEL = Param("level", str, None, "Relatedness: compare against the regions of this level (town, city, ...); default: the regions "
                     "enterprises are located in.", 1, 50, example="city")
MEASURE = Param("measure", str, "enterprises", "Relatedness: what a region has in a stage: enterprises (a count), capacity or revenue.",
                1, 20, choices=("enterprises", "capacity", "revenue"))
PRESENCE = Param("presence", str, "rca", "Relatedness: a stage is present in a region by RCA >= 1 (rca) or by any activity (any).",
                 1, 10, choices=("rca", "any"))
RELATED_TOP = Param("top", int, 20, "Feasible stages to list.", 1, 10_000)
PEERS = Param("peers", int, 5, "Peer regions to list (0 for none).", 0, 1000)
COMPARE_PEERS = Param("peers", int, 0, "Also list each region's most similar regions by stage profile (cosine), this many (0 for none).",
                      0, 100)
ROLLUP = Param("rollup", str, "auto", "Sub-stages: roll up into their top-level stage (top), not at all (none), or auto (top, except "
               "into broad categories with more than 50 stages below them).", choices=("auto", "top", "none"))
VIA = Param("via", str, "all", "What a path walks: supply (SUPPLIES between enterprises), chain (FEEDS between stages), ties "
            "(collaboration), or all relationships.", choices=("all", "supply", "chain", "ties"))
PATH_VIA = Param("via", str, "auto", "What a path walks: auto (between two stages, FEEDS the way they point, downstream or "
                 "else upstream, when they join them; otherwise every relationship), supply, chain, ties, or all.",
                 choices=("auto", "all", "supply", "chain", "ties"))
DIRECTED = Param("directed", bool, False, "Follow relationships only the way they point (supply or chain).")
THROUGH_REGIONS = Param("through_regions", bool, False, "Let a path pass through regions (by default it never does: two firms "
                        "in one province are not a supply route).")
REMOVE = Param("remove", "list", None, "Enterprise or stage ids to take out, comma-separated (or repeated).", 1, 1000)
DRY_RUN = Param("dry_run", bool, False, "Validate and report what the load would change (every changed property of every node "
                "already in the store), writing nothing.")
UPDATE_EXISTING = Param("update_existing", bool, False, "Let the dataset rewrite the definitions (name, aliases, description, source) "
                        "of stages the store already holds; without it they are kept and the report lists them.")

LANG = Param("lang", str, None, "Language of reasons and table headers: zh (Chinese, the English field name beside each header) "
             "or en; default the setting CHAINX_LANG, else zh when most stages of the chain read have Chinese names, else en. "
             "JSON keys are the same in both.", choices=("zh", "en"))

# How a report is presented. The command line prints a table by default and takes every format;
# the API answers JSON by default (or as Accept asks) and takes the file formats only.
FORMAT = Param("format", str, "table", "Output format: table (for the terminal), json, csv, or xlsx (an Excel workbook, with --output).",
               short="-f", choices=("table", "json", "csv", "xlsx"))
FILE_FORMATS = ("json", "csv", "xlsx")
RESPONSE_FORMAT = Param("format", str, None, "json, csv (one table of the report: section) or xlsx (an Excel workbook, a sheet per "
                        "table); by default as the Accept header asks, else json.", choices=FILE_FORMATS)
SECTION = Param("section", str, None, "CSV only: which table of the report (default its first), e.g. candidates of a gaps report.", 1, 100)
OUTPUT = Param("output", str, None, "Write the report to this file instead of the terminal: .xlsx (a sheet per table), .csv (UTF-8 "
               "with a BOM, which Excel needs to read Chinese) or .json; the suffix gives the format unless --format does.",
               1, 4096, short="-o")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AS_OF = Param("as_of", str, None, "Read the graph as it stood on this day (YYYY-MM-DD): only what held then, by since/until.", 10, 10,
               example="2024-06-30")
DIFF_FROM = Param("from", str, None, "The earlier day compared (YYYY-MM-DD).", 10, 10, flag="--from", example="2021-06-30")
DIFF_TO = Param("to", str, None, "The later day compared (YYYY-MM-DD).", 10, 10, flag="--to", example="2024-06-30")

CHAIN = Param("chain", str, None, "Read a chain the store holds (chains.csv, or saved with chainx chains save), by its id or name; "
              "overrides scope.", 1, 200, example="polyester_garments")

# The briefing a promotion office hands up (chainx report, GET /regions/{id}/report): one document
# assembled from the gaps, bottlenecks and ties reports (graph.analysis.briefing, viz.report).
BRIEFING_TOP = Param("top", int, 10, "Gaps to show, and bottlenecks of each kind.", 1, 100)
BRIEFING_PEERS = Param("peers", "list", None, "Peer regions to compare with, stage by stage on the same chain scope: names or ids, "
                       "comma-separated: shengze,wujiang.", 1, 10, example="shengze")
BRIEFING_FORMATS = ("html", "docx", "pdf", "xlsx")
BRIEFING_FORMAT = Param("format", str, None, "html (self-contained, printable), docx (Word), pdf (the HTML printed by headless "
                        "Chromium), xlsx (its tables as a workbook) or json; by default the output file's suffix, over HTTP as "
                        "the Accept header asks, else html.", choices=(*BRIEFING_FORMATS, "json"))
BRIEFING_OUTPUT = Param("output", str, None, "The document to write: R.html, R.docx, R.pdf or R.xlsx (the suffix gives the format "
                        "unless --format does).", 1, 4096, short="-o")
BRIEFING_MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "xlsx": XLSX_MEDIA_TYPE, "json": "application/json",
                        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}

# The parameters of every report that reads the chain (gaps, compare, bottlenecks, what-if, the
# chain and compare views): the part of it to read, and how sub-stages roll up.
PAIRS = Param("pairs", str, "keep", "Two-way FEEDS pairs (A feeds B and B feeds A): keep both links (a cycle of two, one link of the "
              "chain), or break them: keep the link that runs down the tiers (upstream → midstream → downstream), and between "
              "stages of one tier the link with the larger weight; a pair neither tells apart loses both links.", choices=("keep", "break"))
CHAIN_SCOPE = {"scope": SCOPE, "scope_depth": SCOPE_DEPTH, "source": SOURCE, "sink": SINK, "rollup": ROLLUP, "pairs": PAIRS, "chain": CHAIN}

# every parameter by (report, name): what the edges are built from and what the test compares

PARAMS: dict[str, dict[str, Param]] = {
    "gaps": {"region": REGION, "min_firms": MIN_FIRMS, "top_candidates": TOP_CANDIDATES, "top": LISTING_TOP, "lang": LANG, "groups": GROUPS,
             **CHAIN_SCOPE},
    "compare": {"regions": REGIONS, "min_firms": MIN_FIRMS, "top": LISTING_TOP, "peers": COMPARE_PEERS, "lang": LANG, **CHAIN_SCOPE},
    "bottlenecks": {"region": REGION, "hhi_threshold": HHI_THRESHOLD, "min_firms": CRITICAL_MIN_FIRMS, "top": LISTING_TOP, "lang": LANG,
                    **CHAIN_SCOPE},
    "whatif": {"remove": REMOVE, "region": REGION, "min_firms": CRITICAL_MIN_FIRMS, "lang": LANG, **CHAIN_SCOPE},
    "centrality": {"region": REGION, "top": CENTRALITY_TOP, "k": SAMPLES, "seed": SEED, "engine": ENGINE},
    "related": {"region": REGION, "level": REGION_LEVEL, "measure": MEASURE, "presence": PRESENCE, "top": RELATED_TOP, "peers": PEERS,
                "lang": LANG, **CHAIN_SCOPE},
    "ties": {"seed": COMMUNITY_SEED, "top": TIES_TOP, "tie_types": TIE_TYPES, "groups": GROUPS, "lang": LANG},
    "neighbors": {"depth": DEPTH, "limit": NEIGHBOR_LIMIT, "via": VIA},
    "path": {"via": PATH_VIA, "directed": DIRECTED, "through_regions": THROUGH_REGIONS},
    "search": {"limit": SEARCH_LIMIT},
    "report": {"region": REGION, "min_firms": MIN_FIRMS, "top_candidates": TOP_CANDIDATES, "top": BRIEFING_TOP, "peers": BRIEFING_PEERS,
               "lang": LANG, **CHAIN_SCOPE},
    "view chain": {"region": REGION, "min_firms": MIN_FIRMS, "top_candidates": TOP_CANDIDATES, **CHAIN_SCOPE},
    "view compare": {"regions": VIEW_REGIONS, "min_firms": MIN_FIRMS},
    "view panorama": {"region": REGION, "min_firms": MIN_FIRMS, "top": PANORAMA_TOP, **CHAIN_SCOPE},
    "view heatmap": {"regions": HEATMAP_REGIONS, "top_regions": HEATMAP_TOP, "min_firms": MIN_FIRMS, **CHAIN_SCOPE},
    "view ego": {"depth": DEPTH, "tie_types": TIE_TYPES},
    "view ties": {"seed": COMMUNITY_SEED},
    "load": {"dry_run": DRY_RUN, "update_existing": UPDATE_EXISTING},
}
