"""The data contract (dataset v1): which files a dataset may hold and what their columns mean.

Offices keep their workbooks in Chinese: every file (sheet) and column has Chinese aliases
beside its English name (环节 for stages, 编号 for id, 所在地区 for region, ...), matched after
trimming and case folding. README's table lists them; :func:`file_for` and :meth:`FileSpec.column_for`
are the only places that resolve them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["Column", "FileSpec", "FILES", "FILE_ORDER", "TIERS", "TIER_ALIASES", "FIRM_TIE_FILES", "COLUMN_TYPES", "EXTRA_TYPES", "file_for", "fold"]


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    # text | float | int | date (ISO, 2024-03-01) | list ("a;b;c") | ref:<Label> | refs:<Label>
    # (several references, "a;b", each checked)
    type: str = "text"
    # for numbers: the smallest allowed value, and whether it is itself allowed
    minimum: float | None = None
    exclusive_minimum: bool = False
    # other header names for it, as Chinese workbooks write them
    aliases: tuple[str, ...] = ()
    # a list column whose every item is the id of a node of this label ("a;b;c" of stage ids)
    items_ref: str | None = None


@dataclass(frozen=True)
class FileSpec:
    name: str  # e.g. "stages.csv"
    columns: tuple[Column, ...]
    # the label of the nodes this file defines (None for files of relationships)
    label: str | None = None
    # other sheet or file names for it (without .csv)
    aliases: tuple[str, ...] = ()

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".csv")

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def column_for(self, header: str) -> str | None:
        """The contract's name of the column a header names (its name or an alias), else None.

        >>> FILES["enterprises.csv"].column_for(" 所在地区 "), FILES["enterprises.csv"].column_for("Region")
        ('region', 'region')
        """
        folded = fold(header)
        return next((c.name for c in self.columns if folded == c.name or folded in map(fold, c.aliases)), None)

    def header_names(self) -> list[str]:
        """Every header this file understands: the column names, then their aliases."""
        return [c.name for c in self.columns] + [alias for c in self.columns for alias in c.aliases]


def fold(text: str) -> str:
    """A header or sheet name as it is compared: without a BOM, trimmed, width- and case-folded
    (Excel on Chinese Windows may write full-width letters: ＩＤ is id)."""
    return unicodedata.normalize("NFKC", text.replace("\ufeff", "")).strip().casefold()


def _ref(name: str, label: str, required: bool = False, aliases: tuple[str, ...] = (), several: bool = False) -> Column:
    return Column(name, required=required, type=f"{'refs' if several else 'ref'}:{label}", aliases=aliases)


def is_list(column: Column | None) -> bool:
    """Whether ``column``'s cells are ``;``-separated items (a list, or several references)."""
    return column is not None and (column.type == "list" or column.type.startswith("refs:"))


def referred_label(column: Column) -> str | None:
    """The label ``column`` refers to (one reference or several), None for no reference."""
    kind, _, label = column.type.partition(":")
    return label if kind in ("ref", "refs") else None


_ID = ("编号", "代码", "标识")
_NAME = ("名称",)


# Every node and relationship may say when it held: from ``since`` to ``until`` (ISO dates, both
# inclusive; a missing one is open-ended). graph.store.asof reads them.
_TIME = (Column("since", type="date", aliases=("起始日期", "开始日期", "自")), Column("until", type="date", aliases=("截止日期", "结束日期", "至")))

# The firm ties between enterprises (graph.model.FIRM_TIES): file, the aliases of its two columns,
# and the file's own aliases. FIRM_TIE_FILES says which relationship type each holds.
_FIRM_TIE_FILES = (
    ("cooperations.csv", ("企业", "企业一", "甲方"), ("合作企业", "企业二", "乙方"), ("企业合作", "合作企业", "企业间合作")),
    ("competitions.csv", ("企业", "企业一"), ("竞争企业", "竞争对手", "企业二"), ("竞争", "竞争关系", "竞争对手")),
    ("investments.csv", ("投资方", "投资企业"), ("被投资方", "被投资企业"), ("投资", "投资关系", "对外投资")),
    ("controls.csv", ("母公司", "控股方", "控股股东"), ("子公司", "被控股方"), ("控股", "控股关系", "母子公司")),
    ("joint_ventures.csv", ("企业", "企业一", "合资方"), ("合资伙伴", "企业二"), ("合资", "合资关系")),
    ("acquisitions.csv", ("收购方", "并购方"), ("被收购方", "被并购方"), ("并购", "收购", "并购关系")),
)
FIRM_TIE_FILES: dict[str, str] = {
    "COOPERATES_WITH": "cooperations.csv",
    "COMPETES_WITH": "competitions.csv",
    "INVESTS_IN": "investments.csv",
    "CONTROLS": "controls.csv",
    "JOINT_VENTURE": "joint_ventures.csv",
    "ACQUIRED": "acquisitions.csv",
}

_POSITIVE = {"minimum": 0.0, "exclusive_minimum": True}
_NON_NEGATIVE = {"minimum": 0.0}

FILES: dict[str, FileSpec] = {
    spec.name: spec
    for spec in [
        FileSpec(
            "stages.csv",
            (
                Column("id", required=True, aliases=_ID + ("环节编号",)),
                Column("name", required=True, aliases=_NAME + ("环节", "环节名称")),
                Column("tier", aliases=("层级", "链位", "位置")),
                # several parents, ";"-separated: a product is often a sub-category of two (复合微生物肥料
                # of both 生物肥料 and 微生物肥料); each becomes a PART_OF
                _ref("parent", "Stage", aliases=("上级", "上级环节", "父环节"), several=True),
                Column("aliases", type="list", aliases=("别名", "又名")),
                Column("description", aliases=("描述", "说明", "简介")),
                *_TIME,
            ),
            label="Stage",
            aliases=("环节", "阶段", "产业链环节", "链条环节"),
        ),
        FileSpec(
            "chains.csv",
            (
                Column("id", required=True, aliases=_ID + ("链编号", "产业链编号")),
                Column("name", required=True, aliases=_NAME + ("产业链", "产业链名称", "链名称")),
                # the chain's member stages, or its source and sink stages (the stages on
                # near-shortest FEEDS paths between them, graph.scope.between): one or the other
                Column("stages", type="list", items_ref="Stage", aliases=("环节", "成员环节", "包含环节")),
                _ref("source", "Stage", aliases=("起点", "起点环节", "源头环节")),
                _ref("sink", "Stage", aliases=("终点", "终点环节", "末端环节")),
                Column("description", aliases=("描述", "说明", "简介")),
                *_TIME,
            ),
            label="Chain",
            aliases=("产业链", "链条", "产业链条"),
        ),
        FileSpec(
            "stage_links.csv",
            (
                _ref("source", "Stage", required=True, aliases=("上游", "上游环节", "来源")),
                _ref("target", "Stage", required=True, aliases=("下游", "下游环节", "去向")),
                Column("weight", type="float", **_POSITIVE, aliases=("权重",)),
                *_TIME,
            ),
            aliases=("环节关系", "上下游", "上下游关系", "环节联系"),
        ),
        FileSpec(
            "regions.csv",
            (
                Column("id", required=True, aliases=_ID + ("地区编号",)),
                Column("name", required=True, aliases=_NAME + ("地区", "地区名称")),
                _ref("parent", "Region", aliases=("上级", "上级地区")),
                Column("level", aliases=("级别", "层级", "行政级别")),
                *_TIME,
            ),
            label="Region",
            aliases=("地区", "区域", "行政区"),
        ),
        FileSpec(
            "parks.csv",
            (
                Column("id", required=True, aliases=_ID + ("园区编号",)),
                Column("name", required=True, aliases=_NAME + ("园区", "园区名称")),
                _ref("region", "Region", required=True, aliases=("地区", "所在地区", "所属地区")),
                Column("kind", aliases=("类型", "类别")),
                *_TIME,
            ),
            label="Park",
            aliases=("园区", "产业园区", "开发区"),
        ),
        FileSpec(
            "enterprises.csv",
            (
                Column("id", required=True, aliases=_ID + ("企业编号", "统一社会信用代码")),
                Column("name", required=True, aliases=_NAME + ("企业", "企业名称")),
                _ref("region", "Region", required=True, aliases=("地区", "所在地区", "所属地区")),
                _ref("park", "Park", aliases=("园区", "所在园区", "所属园区")),
                Column("revenue_cny", type="float", **_NON_NEGATIVE, aliases=("营收", "营业收入", "营收（元）", "营业收入（元）")),
                Column("employees", type="int", **_NON_NEGATIVE, aliases=("员工", "员工数", "职工人数", "从业人数")),
                Column("founded", type="int", aliases=("成立年份", "成立时间")),
                Column("tags", type="list", aliases=("标签",)),
                Column("patents", type="int", **_NON_NEGATIVE, aliases=("专利", "专利数", "专利数量")),
                *_TIME,
            ),
            label="Enterprise",
            aliases=("企业", "企业名录", "企业名单"),
        ),
        FileSpec(
            "enterprise_stages.csv",
            (
                _ref("enterprise", "Enterprise", required=True, aliases=("企业", "企业编号")),
                _ref("stage", "Stage", required=True, aliases=("环节", "环节编号")),
                Column("capacity", type="float", **_NON_NEGATIVE, aliases=("产能",)),
                Column("unit", aliases=("单位",)),
                *_TIME,
            ),
            aliases=("企业环节", "企业所属环节", "经营环节"),
        ),
        FileSpec(
            "supplies.csv",
            (
                _ref("supplier", "Enterprise", required=True, aliases=("供应商", "供方")),
                _ref("customer", "Enterprise", required=True, aliases=("客户", "需方")),
                _ref("stage", "Stage", aliases=("环节", "产品环节")),
                Column("volume", type="float", **_NON_NEGATIVE, aliases=("数量", "供应量", "金额")),
                *_TIME,
            ),
            aliases=("供应", "供应关系", "供货关系", "配套关系"),
        ),
        FileSpec(
            "institutes.csv",
            (
                Column("id", required=True, aliases=_ID + ("机构编号",)),
                Column("name", required=True, aliases=_NAME + ("机构", "机构名称")),
                Column("kind", aliases=("类型", "类别")),
                _ref("region", "Region", aliases=("地区", "所在地区", "所属地区")),
                Column("patents", type="int", **_NON_NEGATIVE, aliases=("专利", "专利数", "专利数量")),
                *_TIME,
            ),
            label="Institute",
            aliases=("机构", "科研机构", "院校", "高校院所"),
        ),
        FileSpec(
            "ties.csv",
            (
                _ref("enterprise", "Enterprise", required=True, aliases=("企业", "企业编号")),
                _ref("institute", "Institute", required=True, aliases=("机构", "机构编号")),
                Column("kind", aliases=("类型", "合作方式")),
                Column("year", type="int", aliases=("年份",)),
                Column("weight", type="float", **_POSITIVE, aliases=("权重",)),
                *_TIME,
            ),
            aliases=("合作", "产学研合作", "校企合作"),
        ),
        FileSpec(
            "institute_stages.csv",
            (
                _ref("institute", "Institute", required=True, aliases=("机构", "机构编号")),
                _ref("stage", "Stage", required=True, aliases=("环节", "环节编号")),
                *_TIME,
            ),
            aliases=("机构环节", "研究方向"),
        ),
        *(
            FileSpec(
                name,
                (
                    _ref("source", "Enterprise", required=True, aliases=source),
                    _ref("target", "Enterprise", required=True, aliases=target),
                    Column("weight", type="float", **_POSITIVE, aliases=("权重", "金额", "比例")),
                    *_TIME,
                ),
                aliases=aliases,
            )
            for name, source, target, aliases in _FIRM_TIE_FILES
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
    "chains.csv",
    "stage_links.csv",
    "enterprise_stages.csv",
    "supplies.csv",
    "ties.csv",
    "institute_stages.csv",
    *FIRM_TIE_FILES.values(),
)

# dataset.json may type the columns beyond the contract: {"column_types": {"enterprises.csv":
# {"pagerank": "float"}}} (an export writes it, so written-back numbers load back as numbers)
COLUMN_TYPES = "column_types"
EXTRA_TYPES = ("float", "int", "list", "text")

TIERS = ("upstream", "midstream", "downstream", "support")
# how Chinese workbooks name the tiers (配套 / 支撑: supporting services)
TIER_ALIASES = {"上游": "upstream", "中游": "midstream", "下游": "downstream", "配套": "support", "支撑": "support"}


def file_for(name: str) -> str | None:
    """The contract's file that a file or sheet name stands for (by its name or an alias, with or
    without .csv), else None.

    >>> file_for("环节"), file_for("Stages.CSV"), file_for("企业.csv"), file_for("notes")
    ('stages.csv', 'stages.csv', 'enterprises.csv', None)
    """
    folded = fold(name).removesuffix(".csv").strip()
    return next((spec.name for spec in FILES.values() if folded == spec.stem or folded in map(fold, spec.aliases)), None)
