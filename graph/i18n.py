"""The message catalogue: every sentence and table header a report shows, in Chinese and English.

A text is named by a key and rendered by :func:`message` in one language with its parameters
(``str.format`` fields), so a sentence is written once per language here and nowhere else; code
asks for ``message("gap.none", lang, region=..., where=...)``. tests/graph/test_i18n.py checks that
every key has both languages with the same fields, and that every key the code asks for is here.

Which language (:func:`choose_lang`): the one asked for (``--lang``, ``lang=``, Accept-Language),
else the setting ``CHAINX_LANG``, else ``zh`` when more than half of the names given (the stages of
the chain a report reads) hold a Chinese character, else ``en``.

Table headers: the JSON keys stay the machine-readable English field names in every language;
a table, CSV or workbook shows ``col.<field>`` of the catalogue (:func:`header`): in English the
field name itself, in Chinese the Chinese with the field name beside it, so a reader of a sheet
can still find the JSON field.

>>> message("listing.more", "en", names="a, b", more=3)
'a, b and 3 more'
>>> message("listing.more", "zh", names="甲、乙", more=3)
'甲、乙等另外3个'
>>> header("local_enterprises", "zh"), header("local_enterprises", "en")
('本地企业数 local_enterprises', 'local_enterprises')
>>> choose_lang(None, ["印染", "织造", "cotton"], env={})
'zh'
>>> choose_lang("en", ["印染"], env={"CHAINX_LANG": "zh"})
'en'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from .errors import InvalidParameter
from .params import LANG

__all__ = ["LANGS", "LANG_ENV", "CATALOGUE", "HEADERS", "message", "header", "label", "choose_lang", "accepted_lang", "joined"]

LANGS = LANG.choices
LANG_ENV = "CHAINX_LANG"
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# -- sentences -------------------------------------------------------------------------------------
_EN = {
    "scope.region": "Scope: the stages the region's enterprises operate in and those up to {depth} FEEDS steps up or down: {stages:,} of {of:,}",
    "scope.endpoints": "Scope: the stages on near-shortest FEEDS paths from {source} to {sink}: {stages:,} of {of:,}",
    "scope.chain": "Scope: the chain {name} ({chain}): {stages:,} of {of:,} stages",
    "scope.widen": " (to widen: {widen})",
    "scope.cycles": "FEEDS cycles: {count} in scope ({stages} stages; largest {size}: {names}); a cycle counts as one link.",
    # lists of names in a sentence (graph.analysis.reasons.listing)
    "listing.sep": ", ",
    "listing.more": "{names} and {more} more",
    "and": " and ",
    # a gap's reasons (graph.analysis.gaps)
    "gap.where": "{name} ({stage})",
    "gap.where_sub_one": "{name} ({stage}) or its 1 sub-stage",
    "gap.where_sub": "{name} ({stage}) or its {n} sub-stages",
    "gap.strengthen": "Only {count} enterprise(s) in {region} operate in {where} ({firms}), fewer than min_firms={min_firms} "
                      "(强链 strengthen).",
    "gap.none": "No enterprise in {region} operates in {where}.",
    "gap.break": "{region} has {up} enterprise(s) upstream (in {above}) and {down} downstream (in {below}): the local chain is "
                 "broken here (补链 break).",
    "gap.extension_up": "{region} has {firms} enterprise(s) upstream only (in {stages}): attracting this stage extends the local "
                        "chain downstream (延链 extension).",
    "gap.extension_down": "{region} has {firms} enterprise(s) downstream only (in {stages}): attracting this stage extends the local "
                          "chain upstream (延链 extension).",
    "gap.absent": "{region} has no enterprise upstream or downstream of it along FEEDS links (absent).",
    "gap.cycle": "{name} sits on a FEEDS cycle of {size} stages with {others}: the cycle counts as one link of the chain, so the "
                 "{n} enterprise(s) of {region} in its other stages are counted neither upstream nor downstream of it.",
    "gap.estimated": " (estimated from {k} sampled source stages, seed {seed}: the chain has {stages:,} top-level stages)",
    "gap.score": "score = (D + U + B) / 3 = ({down}/{total} + {up}/{total} + {b:.4f}) / 3 = {score:.4f}: D and U are the shares "
                 "of {region}'s {total} enterprises in the chain that sit downstream and upstream, B the stage's betweenness in "
                 "the stage graph{estimated}.",
    "gap.density_low": "density ω = {omega:.4f} (mean {mean:.4f} over the stages {region} lacks): the places that have this "
                       "stage seldom have {region}'s stages, so it is not feasible by relatedness.",
    "gap.density_high": "density ω = {omega:.4f}, at least the mean {mean:.4f} over the stages {region} lacks: the places that "
                        "have this stage tend to have {region}'s stages too, so it is feasible by relatedness.{best}",
    "gap.density_best": " Central to the chain and feasible by relatedness: a best 补链 target.",
    # a candidate's reasons
    "cand.operates": "Operates in {gap} ({stage}) in {where}, outside {region}.",
    "cand.supplies": "supplies {n} of {region}'s enterprises ({names})",
    "cand.buys": "buys from {n} ({names})",
    "cand.already": "Already {parts}: S = {s}.",
    "cand.no_supply": "No SUPPLIES ties with {region}'s enterprises: S = 0.",
    "cand.institutes": "Works with {i} institute(s) that {region}'s enterprises also work with ({names}): I = {i}.",
    "cand.no_institute": "Shares no institute with {region}'s enterprises: I = 0.",
    "cand.revenue": "revenue {revenue:,.0f} CNY (largest among candidates {largest:,.0f})",
    "cand.employees": "{employees:,.0f} employees (largest {largest:,.0f})",
    "cand.no_size": "revenue and employees not given",
    "cand.size": "Size: {size}: Z = {z:.4f}.",
    "cand.fit": "Operates in {n} other stage(s) of this chain (the most among candidates: {most}), {inside} of its {stages} "
                "stage(s) in it: F = {f:.4f}.",
    "cand.revenue_share": "{share:.1%} of its revenue is in {gap} and its sub-stages (the largest share among candidates: "
                          "{largest:.1%}): C = {c:.4f}.",
    "cand.capacity": "States a capacity of {capacity:,.4g} {unit} in {gap} and its sub-stages (the largest among candidates in that unit: "
                     "{largest:,.4g}; capacities compare only within one unit): C = {c:.4f}.",
    "cand.no_unit": "(no unit given)",
    "cand.no_capacity": "States no capacity or revenue share in {gap}: C = 0.",
    "cand.tag": "{tag} ({n} of them, rarity {rarity:.2f})",
    "cand.tags": "Shares tags with the {n} tagged enterprises of {region}'s stages (in {region} and elsewhere): {tags}; Σ share × "
                 "rarity = {raw:.3f}, the best candidate {best:.3f}: T = {t:.4f}.",
    "cand.no_tags": "Shares no tag with the enterprises of {region}'s stages: T = 0.",
    "cand.untagged": "Has no tags: T = 0.",
    "cand.score": "score = 2·S + I + Z + C + 2·T + F = 2×{s} + {i} + {z:.4f} + {c:.4f} + 2×{t:.4f} + {f:.4f} = {score:.4f}.",
    "cand.group": "Stands for the control group of {head} ({size} enterprises); its best-scoring member here of {n}: {names}.",
    # the terminal's lines around a gaps table (chainx gaps)
    "gaps.summary": "{region_name} ({region}): {present} of {stages} stages present, {weak} weak, {missing} missing; completeness "
                    "{completeness:.3f} (score-weighted {weighted:.3f})",
    "gaps.listed_gaps": "Listed {shown:,} of {total:,} gaps (--top to change).",
    "gaps.listed_stages": "Listed {shown:,} of {total:,} stages (--top to change).",
    "gaps.b_note": "B in the scores: {note}.",
    # bottlenecks and what-if (graph.analysis.bottlenecks)
    "bn.whole": "the whole graph",
    "bn.dominates": "Every FEEDS path from the source stages ({sources}) to {sinks} passes through it: removing it cuts {cut} of "
                    "{total} end-product stages off from every source.",
    "bn.articulation": "Removing it splits the stage graph into {parts} parts ({sizes} stages): {cut} stage(s) lose their link to "
                       "the largest part (articulation point).",
    "bn.chokepoint_score": "score = max({cut}/{total}, {share:.4f}) = {score:.4f}.",
    "bn.local": "{scope} has {count} enterprise(s) in it.",
    "bn.sole_supplier": "It is the only supplier of {purchases}.",
    "bn.supply_to": "{stage} to {buyer}",
    "bn.only_firm": "It is the only firm in {scope} operating in {stage}.",
    "bn.below_min": "Without it {stage} has {left} firm(s) in {scope}, fewer than min_firms={min_firms}.",
    "bn.critical_score": "score = {firms} enterprise(s) losing supply + {lost} stage(s) lost + {weakened} weakened = {score}.",
    "bn.lose_supplier": "{total} enterprise(s) lose every supplier of a stage they buy ({names})",
    "bn.lose_in_scope": ", {n} of them in {scope}.",
    "bn.end": ".",
    "bn.stages_lost": "{n} stage(s) are left with no firm in {scope}: {names}.",
    "bn.weakened": "{name} ({before}→{after} firms)",
    "bn.stages_weakened": "{n} stage(s) drop below min_firms in {scope}: {names}.",
    "bn.stages_downstream": "{n} stage(s) downstream lose a local input: {names}.",
    "bn.only_one": "Only one enterprise in {scope} operates in it: {name}.",
    "bn.no_unit": "no unit given",
    "bn.capacity_shares": "Capacity shares ({unit}): {shares}; HHI = Σ share² = {index:.4f}.",
    "bn.units_differ": "capacities in different units",
    "bn.not_stated": "capacity not stated for every firm",
    "bn.equal_shares": "{n} firm(s), {why}: equal shares, HHI = 1/{n} = {index:.4f}.",
    "bn.exceeds": "HHI {index:.4f} exceeds the threshold {threshold}.",
    "bn.depend": "{n} stage(s) FEEDS-downstream of it, with {firms} firm(s) in {scope}, depend on it.",
    "bn.hhi_score": "score = HHI = {index:.4f}.",
    "bn.rule_all": "the full cascade for every suspect ({n})",
    "bn.rule_some": "the full cascade for the {followed} of {n:,} suspects with the most purchases and stages they alone hold up "
                    "(a cheap count for every suspect first); the others are not listed",
    "bn.listed": "Listed at most {top:,} of each kind (--top to change).",
    "bn.screening": "Critical enterprises: {rule}.",
    "cmp.completeness": "completeness: {regions}",
    "cmp.peers": "Peers (cosine similarity of the stage profiles):",
    "wi.removed": "Removed: {names}.",
    "wi.idle": "{names} had no firm in {scope}: removing it takes nothing away there.",
    "wi.nothing": "Nothing else loses supply.",
    "wi.detail_lost": "{region}; lost: {stages}",
    "wi.detail_firms": "firms {before} → {after}",
    "wi.detail_inputs": "inputs lost: {stages}",
    # relatedness (graph.analysis.related)
    "rel.none": "No enterprise of {region} in {name} ({stage}).",
    "rel.density": "density ω = {omega:.4f}: the share of {name}'s proximity to every stage that {region} holds (present by {rule})",
    "rel.nearest": "; nearest held: {names}.",
    "rel.no_nearest": "; {region} holds no stage ever found with it.",
    "rel.feeds": "FEEDS links to {region}'s stages: {links}.",
    "rel.rule_level": "the {n:,} regions of level {level}, each with its sub-regions",
    "rel.rule_located": "the regions enterprises are located in, with {name}'s sub-regions counted in it",
    "rel.peer_measure": "cosine similarity of the regions' stage profiles (x per stage)",
    "rel.few_regions": "fewer than 3 regions: proximity rests on almost no co-location, read density as a sketch",
    "rel.head": "{region_name} ({region}): activity in {held} of {stages} stages, {present} present (by {presence}); matrix of "
                "{regions} regions ({rule})",
    "rel.note": "Note: {note}.",
    "rel.listed": "Listed {shown:,} of {total:,} stages without activity (--top to change).",
    "rel.peers": "Peers ({measure}): {peers}",
    # enterprise–institute ties (graph.analysis.ties)
    "ties.row_enterprises_one": "1 tie with 1 enterprise: {kinds}",
    "ties.row_enterprises_many_one": "{ties} ties with 1 enterprise: {kinds}",
    "ties.row_enterprises_many": "{ties} ties with {n} enterprises: {kinds}",
    "ties.row_institutes_one": "1 tie with 1 institute: {kinds}",
    "ties.row_institutes_many_one": "{ties} ties with 1 institute: {kinds}",
    "ties.row_institutes_many": "{ties} ties with {n} institutes: {kinds}",
    "ties.community_one_one": "1 enterprise and 1 institute around {hub}",
    "ties.community_one_many": "1 enterprise and {institutes} institutes around {hub}",
    "ties.community_many_one": "{enterprises} enterprises and 1 institute around {hub}",
    "ties.community_many_many": "{enterprises} enterprises and {institutes} institutes around {hub}",
    "ties.inside": "{internal} of {touching} links of its members stay inside it",
    "ties.betweenness": "betweenness {value:.4f} (#{rank} of {of}): share of shortest paths between other organisations in the ties "
                        "graph that pass through it",
    "ties.among_enterprises": "enterprises linked by shared institutes",
    "ties.among_institutes": "institutes linked by shared enterprises",
    "ties.constraint_one": "Burt constraint {value:.4f} (#{rank} lowest of its kind) among {among}: low when its 1 peer are not "
                           "linked to one another",
    "ties.constraint_many": "Burt constraint {value:.4f} (#{rank} lowest of its kind) among {among}: low when its {peers} peers are "
                            "not linked to one another",
    "ties.untied_one": "its only enterprise has no tie with any institute",
    "ties.untied_many": "none of its {n} enterprises has a tie with any institute",
    "ties.researched_one": "1 institute researches it: {names} (candidates for matchmaking)",
    "ties.researched_many": "{n} institutes research it: {names} (candidates for matchmaking)",
    "ties.not_researched": "no institute in the data researches it either",
    # the briefing a promotion office hands up (viz/report.py)
    "brief.title": "Industrial-chain briefing: {region_name}",
    "brief.meta": "Region {region_name} ({region}) · data version {version} · made on {date} · chainx {chainx}",
    "brief.summary": "Summary",
    "brief.summary_text": "Of the {stages} top-level stages of the chain read, {region_name} has {present} present, {weak} weak and "
                          "{missing} missing (completeness {completeness:.1%}, score-weighted {weighted:.1%}); {enterprises} "
                          "enterprises and {institutes} institutes are located in it.",
    "brief.measure": "Measure",
    "brief.value": "Value",
    "brief.stages": "Top-level stages in scope",
    "brief.present": "Present",
    "brief.weak": "Weak",
    "brief.missing": "Missing",
    "brief.completeness": "Completeness",
    "brief.enterprises": "Enterprises in the region",
    "brief.institutes": "Institutes in the region",
    "brief.panorama": "The chain panorama",
    "brief.panorama_text": "Each top-level stage of the chain read, by tier, and its status in {region_name} (in brackets: "
                            "its enterprises there).",
    "brief.map_caption": "The chain map: upstream on the left, downstream on the right, support stages below; an arrow: one stage "
                         "feeds another; the colour: the stage's status in {region_name} (in brackets: its enterprises there).",
    "brief.peers": "Comparison with peer regions",
    "brief.peers_text": "{region_name} beside {peers}, stage by stage on the same part of the chain: the {shown} stages of {total} "
                        "with the most enterprises of these regions together, in chain order (status, and enterprises in "
                        "brackets); the completeness counts every stage.",
    "brief.status": "Status",
    "brief.tier_upstream": "Upstream",
    "brief.tier_midstream": "Midstream",
    "brief.tier_downstream": "Downstream",
    "brief.tier_support": "Support",
    "brief.tier_none": "Other",
    "brief.status_present": "present",
    "brief.status_weak": "weak",
    "brief.status_missing": "missing",
    "brief.gaps": "Top gaps and whom to attract",
    "brief.gaps_text": "The {shown} highest-scored of {total} gaps of {region_name}, with the enterprises elsewhere most worth attracting for each.",
    "brief.no_gaps": "{region_name} has no gap in the chain read.",
    "brief.kind_break": "break 补链",
    "brief.kind_extension": "extension 延链",
    "brief.kind_absent": "absent",
    "brief.kind_strengthen": "strengthen 强链",
    "brief.why": "Why",
    "brief.no_candidates": "No candidate elsewhere operates in this stage.",
    "brief.bottlenecks": "Bottlenecks",
    "brief.bottlenecks_text": "Where the chain can snap ({scope}): the first {top} of each kind; {counts}.",
    "brief.no_bottlenecks": "No bottleneck was found.",
    "brief.bkind_chokepoint": "chokepoint stage",
    "brief.bkind_single_source": "single-source stage",
    "brief.bkind_critical_enterprise": "critical enterprise",
    "brief.ties": "Enterprise–university ties",
    "brief.ties_text": "The whole graph holds {ties} ties between {enterprises_with_ties} of {enterprises} enterprises and "
                       "{institutes_with_ties} of {institutes} institutes, in {communities} communities; {local} of "
                       "those enterprises are in {region_name}.",
    "brief.parameters": "Parameters used",
    "brief.method": "Method",
    "brief.method_text": "A stage is present when at least min_firms of the region's enterprises operate in it, weak when fewer "
                         "do, missing when none does. A missing stage is a break (补链) when the region has enterprises both "
                         "upstream and downstream of it along FEEDS links, an extension (延链) when on one side only, absent "
                         "otherwise. Gap score = (D + U + B) / 3: the shares of the region's enterprises downstream and upstream, "
                         "and the stage's betweenness in the stage graph. Candidate score = 2·S + I + Z + C + 2·T + F: supply ties "
                         "with the region's enterprises, institutes shared with them, size, capacity (or revenue share) in the stage, "
                         "tags shared with the enterprises of the region's stages, and fit with the chain. Bottlenecks: "
                         "chokepoints are stages whose removal cuts most source-to-product routes, single sources stages whose "
                         "capacity is concentrated (HHI above the threshold), critical enterprises those whose removal leaves "
                         "stages without a supplier. Every figure comes from the gaps, bottlenecks and ties reports of chainx on "
                         "the data version above.",
}

_ZH = {
    "scope.region": "范围：本地区企业所在的环节及其上下游 {depth} 步（FEEDS）以内的环节，共 {stages:,} 个（全链 {of:,} 个）",
    "scope.endpoints": "范围：从 {source} 到 {sink} 的近最短 FEEDS 路径上的环节，共 {stages:,} 个（全链 {of:,} 个）",
    "scope.chain": "范围：产业链 {name}（{chain}）的环节，共 {stages:,} 个（全链 {of:,} 个）",
    "scope.widen": "（扩大范围：{widen}）",
    "scope.cycles": "FEEDS 循环：范围内 {count} 个（涉及 {stages} 个环节；最大的含 {size} 个：{names}）；一个循环计为链条的一环。",
    "listing.sep": "、",
    "listing.more": "{names}等另外{more}个",
    "and": "，并",
    "gap.where": "{name}（{stage}）",
    "gap.where_sub_one": "{name}（{stage}）及其1个子环节",
    "gap.where_sub": "{name}（{stage}）及其{n}个子环节",
    "gap.strengthen": "{region}仅有{count}家企业从事{where}（{firms}），少于 min_firms={min_firms}（强链 strengthen）。",
    "gap.none": "{region}没有企业从事{where}。",
    "gap.break": "{region}上游有{up}家企业（{above}），下游有{down}家（{below}）：本地链条在此断开（补链 break）。",
    "gap.extension_up": "{region}仅上游有{firms}家企业（{stages}）：引进该环节可向下游延伸本地链条（延链 extension）。",
    "gap.extension_down": "{region}仅下游有{firms}家企业（{stages}）：引进该环节可向上游延伸本地链条（延链 extension）。",
    "gap.absent": "{region}沿 FEEDS 关系在其上下游均无企业（空白 absent）。",
    "gap.cycle": "{name}位于一个{size}个环节的 FEEDS 环上（另有{others}）：该环计为链条的一环，因此{region}在环上其他环节的"
                 "{n}家企业既不计入其上游，也不计入其下游。",
    "gap.estimated": "（由{k}个抽样源环节估计，随机种子 {seed}：该链共有{stages:,}个顶层环节）",
    "gap.score": "得分 score = (D + U + B) / 3 = ({down}/{total} + {up}/{total} + {b:.4f}) / 3 = {score:.4f}：D、U 为{region}链上"
                 "{total}家企业中位于其下游、上游的比例，B 为该环节在环节图中的介数中心性{estimated}。",
    "gap.density_low": "关联密度 ω = {omega:.4f}（{region}所缺环节的平均值为 {mean:.4f}）：拥有该环节的地方很少同时拥有{region}的"
                       "环节，按关联度看引进不可行。",
    "gap.density_high": "关联密度 ω = {omega:.4f}，不低于{region}所缺环节的平均值 {mean:.4f}：拥有该环节的地方往往也拥有{region}的"
                        "环节，按关联度看引进可行。{best}",
    "gap.density_best": "居于链条中间且按关联度可行：首选的补链目标。",
    "cand.operates": "在{where}从事{gap}（{stage}），位于{region}之外。",
    "cand.supplies": "向{region}的{n}家企业供货（{names}）",
    "cand.buys": "从{n}家采购（{names}）",
    "cand.already": "已{parts}：S = {s}。",
    "cand.no_supply": "与{region}的企业无 SUPPLIES 供货关系：S = 0。",
    "cand.institutes": "与{i}家{region}企业也合作的机构合作（{names}）：I = {i}。",
    "cand.no_institute": "与{region}的企业无共同合作机构：I = 0。",
    "cand.revenue": "营业收入 {revenue:,.0f} 元（候选企业中最高 {largest:,.0f}）",
    "cand.employees": "员工 {employees:,.0f} 人（最多 {largest:,.0f}）",
    "cand.no_size": "未提供营业收入和员工数",
    "cand.size": "规模：{size}：Z = {z:.4f}。",
    "cand.fit": "还从事本链其他{n}个环节（候选企业中最多：{most}），其{stages}个环节中有{inside}个在本链内：F = {f:.4f}。",
    "cand.revenue_share": "其营业收入的{share:.1%}来自{gap}及其子环节（候选企业中最高：{largest:.1%}）：C = {c:.4f}。",
    "cand.capacity": "在{gap}及其子环节的产能为 {capacity:,.4g} {unit}（候选企业中同一单位最高：{largest:,.4g}；产能只在同一单位内比较）：C = {c:.4f}。",
    "cand.no_unit": "（未注明单位）",
    "cand.no_capacity": "未提供在{gap}的产能或营收占比：C = 0。",
    "cand.tag": "{tag}（{n}家，稀有度 {rarity:.2f}）",
    "cand.tags": "与{region}所在环节中{n}家有标签的企业（{region}内外）有共同标签：{tags}；Σ 占比 × 稀有度 = {raw:.3f}，"
                 "候选企业中最高 {best:.3f}：T = {t:.4f}。",
    "cand.no_tags": "与{region}所在环节的企业无共同标签：T = 0。",
    "cand.untagged": "无标签：T = 0。",
    "cand.score": "得分 score = 2·S + I + Z + C + 2·T + F = 2×{s} + {i} + {z:.4f} + {c:.4f} + 2×{t:.4f} + {f:.4f} = {score:.4f}。",
    "cand.group": "代表{head}的控股集团（{size}家企业）：该集团在此环节的{n}家候选企业中得分最高者：{names}。",
    "gaps.summary": "{region_name}（{region}）：{stages}个环节中{present}个具备、{weak}个薄弱、{missing}个缺失；完整度 "
                    "{completeness:.3f}（按得分加权 {weighted:.3f}）",
    "gaps.listed_gaps": "列出{total:,}个缺口中的{shown:,}个（用 --top 调整）。",
    "gaps.listed_stages": "列出{total:,}个环节中的{shown:,}个（用 --top 调整）。",
    "gaps.b_note": "得分中的 B：{note}。",
    "bn.whole": "全图",
    "bn.dominates": "从源头环节（{sources}）到{sinks}的每条 FEEDS 路径都经过它：去掉它，{total}个终端产品环节中有{cut}个"
                    "与所有源头断开。",
    "bn.articulation": "去掉它，环节图分裂为{parts}块（各{sizes}个环节）：{cut}个环节与最大的一块失去联系（割点）。",
    "bn.chokepoint_score": "得分 score = max({cut}/{total}, {share:.4f}) = {score:.4f}。",
    "bn.local": "{scope}有{count}家企业从事该环节。",
    "bn.sole_supplier": "它是{purchases}的唯一供应商。",
    "bn.supply_to": "供给{buyer}的{stage}",
    "bn.only_firm": "它是{scope}唯一从事{stage}的企业。",
    "bn.below_min": "没有它，{scope}从事{stage}的企业只剩{left}家，少于 min_firms={min_firms}。",
    "bn.critical_score": "得分 score = {firms}家企业断供 + {lost}个环节消失 + {weakened}个环节变弱 = {score}。",
    "bn.lose_supplier": "{total}家企业失去所购某环节的全部供应商（{names}）",
    "bn.lose_in_scope": "，其中{n}家在{scope}。",
    "bn.end": "。",
    "bn.stages_lost": "{n}个环节在{scope}不再有企业：{names}。",
    "bn.weakened": "{name}（{before}→{after}家）",
    "bn.stages_weakened": "{n}个环节在{scope}降到 min_firms 以下：{names}。",
    "bn.stages_downstream": "下游{n}个环节失去本地投入：{names}。",
    "bn.only_one": "{scope}只有一家企业从事该环节：{name}。",
    "bn.no_unit": "未注明单位",
    "bn.capacity_shares": "产能份额（{unit}）：{shares}；HHI = Σ 份额² = {index:.4f}。",
    "bn.units_differ": "产能单位不一",
    "bn.not_stated": "并非每家企业都注明了产能",
    "bn.equal_shares": "{n}家企业，{why}：按均等份额计，HHI = 1/{n} = {index:.4f}。",
    "bn.exceeds": "HHI {index:.4f} 超过阈值 {threshold}。",
    "bn.depend": "沿 FEEDS 位于其下游的{n}个环节（{scope}有{firms}家企业）依赖于它。",
    "bn.hhi_score": "得分 score = HHI = {index:.4f}。",
    "bn.rule_all": "对每个嫌疑企业（{n}家）推演完整的连锁影响",
    "bn.rule_some": "对{n:,}家嫌疑企业中独家供货与独撑环节最多的{followed}家推演完整的连锁影响（先对每家做简单计数）；其余不列出",
    "bn.listed": "每类最多列出{top:,}个（用 --top 调整）。",
    "bn.screening": "关键企业：{rule}。",
    "cmp.completeness": "完整度：{regions}",
    "cmp.peers": "相似地区（按环节构成的余弦相似度）：",
    "wi.removed": "去掉：{names}。",
    "wi.idle": "{names}在{scope}没有企业：去掉它在当地不减少任何东西。",
    "wi.nothing": "没有其他企业断供。",
    "wi.detail_lost": "{region}；断供：{stages}",
    "wi.detail_firms": "企业 {before} → {after} 家",
    "wi.detail_inputs": "失去投入：{stages}",
    "rel.none": "{region}没有企业从事{name}（{stage}）。",
    "rel.density": "关联密度 ω = {omega:.4f}：{name}与{region}所拥有环节（按 {rule} 计为具备）的邻近度之和占其全部邻近度的比例",
    "rel.nearest": "；最邻近的已有环节：{names}。",
    "rel.no_nearest": "；{region}的环节从未与它同时出现。",
    "rel.feeds": "与{region}已有环节的 FEEDS 关系：{links}。",
    "rel.rule_level": "{level}级的{n:,}个地区，各含其下级地区",
    "rel.rule_located": "有企业所在的各地区，{name}的下级地区计入{name}",
    "rel.peer_measure": "各地区环节构成（每个环节的 x）的余弦相似度",
    "rel.few_regions": "地区少于3个：邻近度几乎没有共现依据，关联密度仅供参考",
    "rel.head": "{region_name}（{region}）：{stages}个环节中有活动{held}个、具备{present}个（按 {presence}）；矩阵含{regions}个地区"
                "（{rule}）",
    "rel.note": "注意：{note}。",
    "rel.listed": "列出{total:,}个无活动环节中的{shown:,}个（用 --top 调整）。",
    "rel.peers": "相似地区（{measure}）：{peers}",
    "ties.row_enterprises_one": "与1家企业有1条合作关系：{kinds}",
    "ties.row_enterprises_many_one": "与1家企业有{ties}条合作关系：{kinds}",
    "ties.row_enterprises_many": "与{n}家企业有{ties}条合作关系：{kinds}",
    "ties.row_institutes_one": "与1家机构有1条合作关系：{kinds}",
    "ties.row_institutes_many_one": "与1家机构有{ties}条合作关系：{kinds}",
    "ties.row_institutes_many": "与{n}家机构有{ties}条合作关系：{kinds}",
    "ties.community_one_one": "以{hub}为核心的1家企业和1家机构",
    "ties.community_one_many": "以{hub}为核心的1家企业和{institutes}家机构",
    "ties.community_many_one": "以{hub}为核心的{enterprises}家企业和1家机构",
    "ties.community_many_many": "以{hub}为核心的{enterprises}家企业和{institutes}家机构",
    "ties.inside": "成员的{touching}条关系中有{internal}条在社区内部",
    "ties.betweenness": "介数 {value:.4f}（{of}个中排第{rank}）：合作关系图中其他组织之间的最短路径经过它的比例",
    "ties.among_enterprises": "因共同合作机构而相连的企业",
    "ties.among_institutes": "因共同合作企业而相连的机构",
    "ties.constraint_one": "在{among}中的 Burt 约束 {value:.4f}（同类中第{rank}低）：其1个同伴之间互不相连时约束低",
    "ties.constraint_many": "在{among}中的 Burt 约束 {value:.4f}（同类中第{rank}低）：其{peers}个同伴之间互不相连时约束低",
    "ties.untied_one": "该环节唯一的企业与任何机构都没有合作关系",
    "ties.untied_many": "该环节的{n}家企业都与任何机构没有合作关系",
    "ties.researched_one": "有1家机构研究该环节：{names}（可牵线搭桥）",
    "ties.researched_many": "有{n}家机构研究该环节：{names}（可牵线搭桥）",
    "ties.not_researched": "数据中也没有机构研究该环节",
    "brief.title": "{region_name}产业链招商简报",
    "brief.meta": "地区：{region_name}（{region}）· 数据版本 {version} · 生成日期 {date} · chainx {chainx}",
    "brief.summary": "概况",
    "brief.summary_text": "在所读链条的{stages}个顶层环节中，{region_name}具备{present}个、薄弱{weak}个、缺失{missing}个"
                          "（完整度 {completeness:.1%}，按得分加权 {weighted:.1%}）；区内有企业{enterprises}家、科研院所与高校{institutes}家。",
    "brief.measure": "指标",
    "brief.value": "数值",
    "brief.stages": "范围内顶层环节",
    "brief.present": "具备",
    "brief.weak": "薄弱",
    "brief.missing": "缺失",
    "brief.completeness": "完整度",
    "brief.enterprises": "区内企业",
    "brief.institutes": "区内科研院所与高校",
    "brief.panorama": "产业链全景",
    "brief.panorama_text": "所读链条的每个顶层环节按上中下游排列，及其在{region_name}的状态（括号内为区内企业数）。",
    "brief.map_caption": "产业链图：左为上游、右为下游，配套环节在下方；箭头表示上一环节供给下一环节；颜色表示该环节在{region_name}的状态（括号内为区内企业数）。",
    "brief.peers": "与对标地区比较",
    "brief.peers_text": "{region_name}与{peers}在同一链条范围上逐环节比较：列出{total}个环节中这些地区企业合计最多的{shown}个，按链条顺序"
                        "（状态，括号内为企业数）；完整度按全部环节计。",
    "brief.status": "状态",
    "brief.tier_upstream": "上游",
    "brief.tier_midstream": "中游",
    "brief.tier_downstream": "下游",
    "brief.tier_support": "配套",
    "brief.tier_none": "其他",
    "brief.status_present": "具备",
    "brief.status_weak": "薄弱",
    "brief.status_missing": "缺失",
    "brief.gaps": "重点缺口与招商对象",
    "brief.gaps_text": "{region_name}共{total}个缺口中得分最高的{shown}个，以及每个缺口最值得引进的外地企业。",
    "brief.no_gaps": "{region_name}在所读链条上没有缺口。",
    "brief.kind_break": "补链 break",
    "brief.kind_extension": "延链 extension",
    "brief.kind_absent": "空白 absent",
    "brief.kind_strengthen": "强链 strengthen",
    "brief.why": "理由",
    "brief.no_candidates": "外地没有从事该环节的候选企业。",
    "brief.bottlenecks": "瓶颈与风险",
    "brief.bottlenecks_text": "链条可能断裂之处（{scope}）：每类列前{top}个；{counts}。",
    "brief.no_bottlenecks": "未发现瓶颈。",
    "brief.bkind_chokepoint": "卡点环节",
    "brief.bkind_single_source": "单一来源环节",
    "brief.bkind_critical_enterprise": "关键企业",
    "brief.ties": "企业与高校院所合作",
    "brief.ties_text": "全图共有{ties}条合作关系，涉及{enterprises}家企业中的{enterprises_with_ties}家和{institutes}家机构中的"
                       "{institutes_with_ties}家，分为{communities}个合作社区；其中{region_name}有{local}家企业与高校院所有合作。",
    "brief.parameters": "所用参数",
    "brief.method": "方法说明",
    "brief.method_text": "区内至少有 min_firms 家企业从事的环节为具备，少于此数为薄弱，没有则为缺失。缺失环节若沿 FEEDS 关系"
                         "在其上下游均有本地企业，为补链（break）；仅一侧有，为延链（extension）；否则为空白（absent）。缺口得分 = "
                         "(D + U + B) / 3：区内企业位于其下游、上游的比例，及该环节在环节图中的介数中心性。候选企业得分 = "
                         "2·S + I + Z + C + 2·T + F：与区内企业的供货关系、共同合作机构、规模、在该环节的产能（或营收占比）、"
                         "与区内所在环节企业的共同标签与链条契合度。瓶颈：卡点环节为去掉后切断"
                         "最多原料到产品路径的环节；单一来源环节为产能集中度（HHI）超过阈值的环节；关键企业为去掉后使某些"
                         "环节失去供应商的企业。所有数字均来自 chainx 在上述数据版本上的缺口、瓶颈与合作报告。",
}

# -- table headers: the Chinese of each field a table shows (English: the field name itself) ---------
HEADERS: dict[str, str] = {
    "kind": "类型", "name": "名称", "count": "数量", "distance": "距离", "id": "编号", "step": "步", "source": "起点",
    "type": "关系", "target": "终点", "forward": "正向",
    "loaded_from": "来源", "loaded_at": "载入时间", "content_hash": "内容哈希", "nodes": "节点数", "relationships": "关系数",
    "stage": "环节", "status": "状态", "score": "得分", "upstream_local": "本地上游企业", "downstream_local": "本地下游企业",
    "candidates": "候选企业", "reasons": "理由", "gap": "缺口环节", "gap_name": "缺口名称", "rank": "排名",
    "enterprise": "企业", "region": "地区", "supply_ties": "供货关系 S", "shared_institutes": "共同机构 I", "size": "规模 Z",
    "chain_stages": "本链其他环节", "chain_fit": "链条契合 F",
    "capacity_share": "环节产能 C", "tag_affinity": "标签契合 T", "tier": "层级", "local_enterprises": "本地企业数",
    "why": "原因", "effect": "影响", "detail": "详情", "node": "节点", "value": "值", "measure": "指标",
    "institute": "机构", "ties": "关系数", "enterprises": "企业数", "institutes": "机构数", "tie_kinds": "关系类型",
    "projection": "投影", "a": "甲方", "a_name": "甲方名称", "b": "乙方", "b_name": "乙方名称", "shared": "共同数", "via": "经由",
    "community": "社区", "hub_name": "核心名称", "betweenness": "介数", "constraint": "约束", "betweenness_rank": "介数排名",
    "constraint_rank": "约束排名", "researched_by": "研究机构", "shared_enterprises": "共同企业",
    "internal_links": "内部关系", "external_links": "外部关系", "members": "集团成员", "firms": "关联企业数",
    "density": "关联密度", "feasible": "可行", "feeds_links": "FEEDS 关系数", "change": "变化", "moved": "变动", "of": "所属",
    "opportunity_gain": "机会增益", "pci": "复杂度", "present": "具备", "rank_from": "原排名", "rank_to": "新排名",
    "rca": "显示性比较优势", "related": "关联", "shared_stages": "共同环节", "similarity": "相似度", "stages": "环节数",
    "ubiquity": "普遍度", "what": "内容",
}

# -- enum values in a table cell: the Chinese of each (English: the value itself). The JSON keeps
# the English value in every language (it is the API's enum); a table, CSV or workbook shows val.<value>
VALUES: dict[str, str] = {
    # a stage's status, a gap's kind (graph.reports.Status, Gap.kind)
    "missing": "缺失", "weak": "薄弱", "present": "具备",
    "break": "补链", "extension": "延链", "strengthen": "强链", "absent": "空白",
    # a stage's tier (loaders.contract.TIERS)
    "upstream": "上游", "midstream": "中游", "downstream": "下游", "support": "配套",
    # a bottleneck's kind (graph.analysis.bottlenecks.KINDS), a what-if effect
    "chokepoint": "卡点环节", "single_source": "单一来源", "critical_enterprise": "关键企业",
    "enterprise_loses_supply": "企业断供", "stage_lost": "环节消失", "stage_weakened": "环节变弱", "stage_downstream": "下游受影响",
    # what a stats row or a diff row counts
    "node": "节点", "relationship": "关系", "gap": "缺口", "bottleneck": "瓶颈",
    # a node's label (graph.model.Label)
    "Stage": "环节", "Enterprise": "企业", "Institute": "机构", "Park": "园区", "Region": "地区", "Chain": "产业链",
}

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {**_EN, **{f"col.{field}": field for field in HEADERS}, **{f"val.{value}": value for value in VALUES}},
    "zh": {**_ZH, **{f"col.{field}": f"{zh} {field}" for field, zh in HEADERS.items()}, **{f"val.{value}": zh for value, zh in VALUES.items()}},
}


def message(key: str, lang: str, /, **params) -> str:
    """The text of ``key`` in ``lang`` (zh or en), its fields filled from ``params``."""
    return CATALOGUE[lang][key].format(**params)


def header(field: str, lang: str) -> str:
    """The header a table shows for the field ``field`` (col.<field>); a field the catalogue does
    not name (a comparison's region id) as it is."""
    return CATALOGUE[lang].get(f"col.{field}", field)


def label(value, lang: str):
    """How a table cell shows the enum value ``value`` (val.<value>): in Chinese its Chinese, in
    English (and a value the catalogue does not name, or not a string) as it is.

    >>> label("break", "zh"), label("break", "en"), label(3, "zh")
    ('补链', 'break', 3)
    """
    return CATALOGUE[lang].get(f"val.{value}", value) if isinstance(value, str) else value


def joined(items: Iterable[str], lang: str) -> str:
    """Items one after another as the language lists them (``a, b`` / ``甲、乙``)."""
    return message("listing.sep", lang).join(items)


def choose_lang(lang: str | None, names: Iterable[str], env: Mapping[str, str] | None = None) -> str:
    """The language of a report: ``lang`` when given, else the setting CHAINX_LANG, else zh when
    more than half of ``names`` (the stages read) hold a Chinese character, else en."""
    if LANG.check(lang) is not None:
        return lang
    setting = (os.environ if env is None else env).get(LANG_ENV, "").strip().lower()
    if setting:
        if setting not in LANGS:
            raise InvalidParameter("lang", f"the setting {LANG_ENV} must be one of {', '.join(LANGS)}, not {setting!r}")
        return setting
    names = list(names)
    chinese = sum(1 for name in names if _CJK.search(name or ""))
    return "zh" if names and chinese * 2 > len(names) else "en"


def accepted_lang(accept_language: str | None) -> str | None:
    """zh or en: the first of them an Accept-Language header prefers (by q), None when it names
    neither.

    >>> accepted_lang("en-GB;q=0.8, zh-CN"), accepted_lang("fr"), accepted_lang("*")
    ('zh', None, None)
    """
    ranked = []
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _, rest = part.strip().partition(";")
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGS and q > 0:
            ranked.append((-q, order, primary))
    return min(ranked)[2] if ranked else None
