"""The committee report's phrases, English and Chinese: one table, ``TEXT[lang][key]``, formatted with ``format``.

The phrases are plain text (the report escapes them after formatting, OSM names included). The Chinese follows the
map's glossary (:mod:`planner.outputs.maps.labels`): 党群服务中心 service centre, 社区 community, 网格站 grid station,
5分钟生活圈 5-minute life circle.

Every phrase is a :class:`Phrase`, whose ``format`` also makes a count's noun and verb agree with it in English:
a field whose format holds ``|`` gives the words before it for 1 and those after it otherwise, so
``{n} {n:station|stations} {n:covers|cover}`` reads "1 station covers", "2 stations cover". Chinese has no plural.
The map's and the command line's labels (:data:`planner.outputs.maps.LABELS`) are phrases too.
"""

from __future__ import annotations

import string
from typing import Any

__all__ = ["TEXT", "Phrase"]


class _CountFormatter(string.Formatter):
    """:meth:`str.format`, except that a field ``{n:one|other}`` gives ``one`` when ``n == 1``, else ``other``."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            one, other = format_spec.split("|", 1)
            return one if value == 1 else other
        return super().format_field(value, format_spec)


_COUNTS = _CountFormatter()


class Phrase(str):
    """
    A phrase of the report, the map or the command line: a string whose ``format`` agrees words with counts.

    ``Phrase("{n} {n:station|stations}").format(n=1)`` is ``"1 station"``, with ``n=2`` ``"2 stations"``: a field
    whose format spec holds ``|`` is replaced by the words before the bar when its value equals 1 and by those
    after it otherwise (the value itself is not printed). Every other field formats as :meth:`str.format` does.
    """

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:
        """The phrase with its fields filled in, nouns and verbs agreeing with their counts."""
        return _COUNTS.vformat(self, args, kwargs)

    def format_map(self, mapping: Any) -> str:
        """:meth:`format` with the values of ``mapping`` (anything indexable by name, as for :meth:`str.format_map`)."""
        return _COUNTS.vformat(self, (), mapping)


TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Service stations within a {minutes:g}-minute walk: plan report",
        "footer": "Made by Station Planner from OpenStreetMap data (© OpenStreetMap contributors, ODbL). Undated on "
        "purpose: the same inputs give the same report, byte for byte.",
        "question_h": "The question",
        "q_lscp": "Where should the fewest stations go so that every home some candidate site can reach is within a "
        "{minutes:g}-minute walk of one?",
        "q_mclp": "Where should {p} {p:station|stations} go so that the most residents are within a {minutes:g}-minute "
        "walk of one?",
        "q_pscp": "Where should the fewest stations go so that at least {share:.4g} % of residents are within a "
        "{minutes:g}-minute walk of one?",
        "q_budget": "Which stations, costing {budget:g} in all at most, put the most residents within a "
        "{minutes:g}-minute walk of one?",
        "q_pmedian": "Where should {p} {p:station|stations} go so that residents walk the least in all (each to the "
        "nearest, within {minutes:g} minutes)?",
        "q_pcenter": "Where should {p} {p:station|stations} go so that the longest walk to the nearest one is as short "
        "as possible?",
        "q_backup": "With the fewest stations that put every reachable home within {minutes:g} minutes, which give the "
        "most residents a second station within the walk?",
        "q_pdispersion": "Where should {p} {p:station|stations} go, as far apart from each other as possible?",
        "q_tiers": "The 1+5+N plan: a community service centre within {tier_minutes:g} minutes' walk of every home and "
        "a grid station within {minutes:g} minutes (fewest centres first, then fewest grid stations).",
        "q_existing": " The {n_existing} existing {n_existing:station is|stations are} kept.",
        "q_capacity": " Each station serves at most {capacity:,.0f} residents.",
        "answer": "Answer: {n} {n:station|stations} ({new} new, {existing} existing) {n:puts|put} {covered} of {total} "
        "residents ({share}) within the walk: {share_reach} of the {reachable} residents some site can reach.",
        "assumptions_h": "Assumptions",
        "a_walk": "Walk",
        "a_walk_value": "{minutes:g} minutes at {speed:g} km/h (about {metres:,.0f} m along streets and paths)",
        "a_network": "Walking network",
        "a_network_value": "{source}: {nodes:,} {nodes:junction|junctions}, {edges:,} "
        "{edges:street segment|street segments} (OpenStreetMap)",
        "a_boundary": "Planning boundary",
        "a_boundary_value": "{label}; left out as outside it: {homes:,} {homes:home|homes} ({pop} residents), "
        "{sites:,} {sites:site|sites}",
        "a_demand": "Residents",
        "a_demand_value": "{total} residents at {n:,} {n:home point|home points}, ",
        "m_buildings": "estimated from the floor area of OSM residential buildings",
        "m_buildings+landuse": "estimated from the floor area of OSM residential buildings; residential land use "
        "without buildings sampled on a grid",
        "m_landuse": "OSM residential land use sampled on a grid",
        "m_buildings_untyped": "estimated from the floor area of OSM buildings of any type (few are tagged residential)",
        "m_file": "from a population file",
        "m_named": "{how} ({name})",
        "m_areas": "census counts per area, spread over the homes of each area",
        "m_raster": "from the population raster {name} ({units}), placed on {placement}",
        "a_candidates": "Candidate sites",
        "s_file": "{n:,} from a file",
        "s_named": "{n:,} from {name}",
        "s_osm": "{n:,} OpenStreetMap {n:place|places} ({kinds})",
        "list_sep": ", ",
        "a_existing": "Existing stations",
        "a_existing_value": "{n:,}, kept in the plan",
        "a_existing_named": "{n:,} from {name}, kept in the plan",
        "none": "none",
        "a_model": "Model",
        "model_lscp": "set covering (LSCP): fewest stations",
        "model_mclp": "maximal covering (MCLP), p = {p}",
        "model_pscp": "partial set covering (PSCP): fewest stations for {share:.4g} % of residents",
        "model_budget": "maximal covering within a budget of {budget:g}",
        "model_pmedian": "p-median, p = {p}",
        "model_pcenter": "p-centre, p = {p}",
        "model_backup": "backup covering",
        "model_pdispersion": "p-dispersion, p = {p}",
        "model_tiers": "two tiers (1+5+N), centres within {tier_minutes:g} minutes{cap}",
        "cap": ", at most {n}",
        "solver_optimal": "; exact optimum (HiGHS)",
        "solver_other": "; {status}, gap {gap} (HiGHS; the best plan found in the time allowed)",
        "before_after_h": "Before and after",
        "ba_item": "",
        "ba_before": "Existing stations only",
        "ba_after": "With the plan",
        "ba_stations": "Stations",
        "ba_covered": "Residents covered",
        "ba_share_all": "Share of all {total} residents",
        "ba_share_reach": "Share of the {reachable} reachable residents",
        "ba_note": "Reachable: residents with at least one candidate site or existing station within the walk; no "
        "plan can cover the others. The plan covers {gained} residents more than the existing stations alone.",
        "map_h": "The plan on the map",
        "map_alt": "Map of the plan: streets, walking areas, homes and numbered stations",
        "key_proposed": "New station (number: row of the station table)",
        "key_existing": "Existing station",
        "key_centre": "Square: community service centre",
        "key_walk": "{minutes:g}-minute walking area",
        "key_covered": "Home within the walk",
        "key_uncovered": "Home not covered",
        "key_street": "Street or path",
        "map_caption": "North is up; the black bar at the lower left is {bar:,.0f} m long. Drawn offline from the "
        "plan's own OpenStreetMap streets (no map tiles).",
        "stations_h": "Stations ({n})",
        "c_no": "No.",
        "c_name": "Name",
        "c_tier": "Tier",
        "c_status": "Status",
        "c_within": "Residents within {minutes:g} min",
        "c_assigned": "Residents assigned",
        "c_far": "Farthest walk (min)",
        "c_cost": "Cost",
        "tier_centre": "Community service centre",
        "tier_grid": "Grid station",
        "status_new": "new",
        "status_existing": "existing",
        "total": "Total",
        "stations_note": "Residents within: everyone within the walk of the station (walking areas overlap, so this "
        "column does not add up). Residents assigned: each covered home counted once, at its nearest station; they add "
        "up to the {covered} residents covered. Farthest walk: to the farthest home assigned.",
        "areas_h": "By area",
        "c_area": "Area",
        "c_residents": "Residents",
        "c_homes": "Homes",
        "c_covered": "Covered",
        "c_share": "Share covered",
        "c_nearest": "Nearest station",
        "c_walk": "Walk (min)",
        "outside": "(outside every area)",
        "area_partly": "{name} (partly outside the planning boundary: {share} of its residents inside)",
        "area_beyond": "{name} (outside the planning boundary: none of its residents in the plan)",
        "areas_note": "Walk: the shortest walk from any home of the area to a station of the plan.",
        "left_out_h": "Homes left out, and why",
        "left_out_none": "Every home has a candidate site within a {minutes:g}-minute walk.",
        "left_out_intro": "{n:,} {n:home|homes} ({pop} residents) {n:has|have} no candidate site within a "
        "{minutes:g}-minute walk, so no plan can cover {n:it|them}:",
        "c_reason": "Reason",
        "r_street": "No street or path within {m:g} m (off the walking network)",
        "r_candidate": "No candidate site within {minutes:g} minutes' walk",
        "r_unusable": "Only grid-only sites within {minutes:g} minutes' walk, with no possible community centre "
        "within {tier:g} minutes of them",
        "left_out_list_h": "The {shown} most populous of the {n:,} (all in unreachable.csv)",
        "left_out_list_all": "All {n:,}, most populous first (also in unreachable.csv)",
        "c_home": "Home",
        "c_nearest_candidate": "Nearest candidate",
        "beyond": "none within {look:g} min",
        "left_out_choice": "A further {n:,} {n:home|homes} ({pop} residents) could be reached from a candidate site "
        "but {n:is|are} not within the walk of the {stations} {stations:station|stations} chosen.",
        "curve_h": "Coverage curve",
        "curve_intro": "The most residents any p stations put within the walk, solved exactly (maximal covering, "
        "HiGHS) for p = {lo} to {hi}, existing stations always among them, each p within {seconds:g} s; ",
        "curve_all": "{n} is this plan's number of stations.",
        "curve_capped": "the curve stops after {steps} {steps:value|values} of p (this plan has {n} "
        "{n:station|stations}) to keep the report quick; planner curve draws it further.",
        "needed": "Stations needed for 80 %, 90 %, 95 % and 100 % of the reachable residents: {a}, {b}, {c}, {d}.",
        "more_than": "more than {n}",
        "curve_plan_mark": " The ring marks this plan.",
        "curve_short": "p = {ps}: time limit reached; the best found is shown.",
        "c_p": "Stations (p)",
        "c_share_all": "Share of all residents",
        "c_share_reach": "Share of reachable residents",
        "svg_title": "Coverage curve",
        "svg_x_axis": "Stations (p)",
        "svg_y_axis": "Residents within {minutes:g} min",
        "svg_all": "Share of all residents",
        "svg_reachable": "Share of reachable residents",
    },
    "zh": {
        "title": "{minutes:g}分钟生活圈服务站点规划报告",
        "footer": "由 Station Planner 根据 OpenStreetMap 数据生成（© OpenStreetMap 贡献者，ODbL）。"
        "报告不注明日期：相同输入生成逐字节相同的报告。",
        "question_h": "规划问题",
        "q_lscp": "以最少的站点，使候选站点可达的每一户居民都在某一站点{minutes:g}分钟步行范围内，站点应设在哪里？",
        "q_mclp": "设置{p}个站点，使{minutes:g}分钟步行范围内的居民最多，站点应设在哪里？",
        "q_pscp": "以最少的站点，使至少{share:.4g}%的居民处于某一站点{minutes:g}分钟步行范围内，站点应设在哪里？",
        "q_budget": "在总费用不超过{budget:g}的前提下，选择哪些站点能使{minutes:g}分钟步行范围内的居民最多？",
        "q_pmedian": "设置{p}个站点，使居民到最近站点的步行时间总和最小（{minutes:g}分钟以内），站点应设在哪里？",
        "q_pcenter": "设置{p}个站点，使居民到最近站点的最长步行时间尽可能短，站点应设在哪里？",
        "q_backup": "在使全部可达住户处于{minutes:g}分钟步行范围内的最少站点中，哪种布局能让最多居民在步行范围内还有第二个站点？",
        "q_pdispersion": "设置{p}个站点，使站点之间相距尽可能远，站点应设在哪里？",
        "q_tiers": "“1+5+N”布局：每户居民{tier_minutes:g}分钟步行可达社区党群服务中心，"
        "{minutes:g}分钟步行可达网格站（先使服务中心最少，再使网格站最少）。",
        "q_existing": "保留现有站点{n_existing}个。",
        "q_capacity": "每个站点最多服务{capacity:,.0f}名居民。",
        "answer": "结论：{n}个站点（拟建{new}个，现有{existing}个）使{total}名居民中的{covered}名（{share}）处于步行范围内，"
        "占站点可达的{reachable}名居民的{share_reach}。",
        "assumptions_h": "基本假设",
        "a_walk": "步行范围",
        "a_walk_value": "{minutes:g}分钟，步速{speed:g}公里/小时（沿街道和步道约{metres:,.0f}米）",
        "a_network": "步行路网",
        "a_network_value": "{source}：{nodes:,}个路口，{edges:,}条路段（OpenStreetMap）",
        "a_boundary": "规划范围",
        "a_boundary_value": "{label}；范围外未计入：{homes:,}处住户（{pop}人），{sites:,}个站点",
        "a_demand": "居民",
        "a_demand_value": "{n:,}个住户点共{total}人，",
        "m_buildings": "按OpenStreetMap住宅建筑面积估算",
        "m_buildings+landuse": "按OpenStreetMap住宅建筑面积估算；无建筑的居住用地按网格取样",
        "m_landuse": "OpenStreetMap居住用地按网格取样",
        "m_buildings_untyped": "按OpenStreetMap各类建筑面积估算（标注为住宅的建筑较少）",
        "m_file": "来自人口文件",
        "m_named": "{how}（{name}）",
        "m_areas": "各社区普查人口分摊到社区内的住户",
        "m_raster": "来自人口栅格{name}（{units}），落点方式：{placement}",
        "a_candidates": "候选站点",
        "s_file": "{n:,}处来自文件",
        "s_named": "{n:,}处来自{name}",
        "s_osm": "{n:,}处OpenStreetMap地点（{kinds}）",
        "list_sep": "、",
        "a_existing": "现有站点",
        "a_existing_value": "{n:,}个，规划中予以保留",
        "a_existing_named": "{n:,}个（来自{name}），规划中予以保留",
        "none": "无",
        "a_model": "模型",
        "model_lscp": "集合覆盖模型（LSCP）：站点最少",
        "model_mclp": "最大覆盖模型（MCLP），p = {p}",
        "model_pscp": "部分集合覆盖模型（PSCP）：覆盖{share:.4g}%居民的最少站点",
        "model_budget": "预算约束下的最大覆盖，预算{budget:g}",
        "model_pmedian": "p-中位模型，p = {p}",
        "model_pcenter": "p-中心模型，p = {p}",
        "model_backup": "后备覆盖模型",
        "model_pdispersion": "p-分散模型，p = {p}",
        "model_tiers": "两级布局（1+5+N），服务中心步行{tier_minutes:g}分钟{cap}",
        "cap": "，最多{n}个",
        "solver_optimal": "；精确最优解（HiGHS求解）",
        "solver_other": "；{status}，最优间隙{gap}（HiGHS在限定时间内找到的最好方案）",
        "before_after_h": "规划前后对比",
        "ba_item": "",
        "ba_before": "仅现有站点",
        "ba_after": "实施规划后",
        "ba_stations": "站点数",
        "ba_covered": "覆盖居民",
        "ba_share_all": "占全部{total}名居民",
        "ba_share_reach": "占{reachable}名可达居民",
        "ba_note": "可达居民：步行范围内至少有一个候选站点或现有站点的居民；其余居民任何方案都无法覆盖。"
        "本规划比仅靠现有站点多覆盖{gained}名居民。",
        "map_h": "规划布局图",
        "map_alt": "规划布局图：街道、步行服务圈、住户和编号站点",
        "key_proposed": "拟建站点（编号即站点表序号）",
        "key_existing": "现有站点",
        "key_centre": "方形：社区党群服务中心",
        "key_walk": "{minutes:g}分钟步行服务圈",
        "key_covered": "已覆盖住户",
        "key_uncovered": "未覆盖住户",
        "key_street": "街道与步道",
        "map_caption": "上北下南；左下角黑色比例尺长{bar:,.0f}米。根据规划所用的OpenStreetMap街道离线绘制（无在线底图）。",
        "stations_h": "站点一览（{n}个）",
        "c_no": "序号",
        "c_name": "名称",
        "c_tier": "层级",
        "c_status": "状态",
        "c_within": "{minutes:g}分钟内居民",
        "c_assigned": "分配居民",
        "c_far": "最远步行（分钟）",
        "c_cost": "费用",
        "tier_centre": "社区党群服务中心",
        "tier_grid": "网格站",
        "status_new": "拟建",
        "status_existing": "现有",
        "total": "合计",
        "stations_note": "步行范围内居民：该站点步行范围内的全部居民（服务圈相互重叠，此列不能相加）。"
        "分配居民：每户已覆盖住户只计一次，计入其最近站点；合计等于已覆盖的{covered}名居民。最远步行：到所分配最远住户的步行时间。",
        "areas_h": "分社区统计",
        "c_area": "社区",
        "c_residents": "居民",
        "c_homes": "住户点",
        "c_covered": "已覆盖",
        "c_share": "覆盖率",
        "c_nearest": "最近站点",
        "c_walk": "步行（分钟）",
        "outside": "（不在任何社区内）",
        "area_partly": "{name}（部分在规划范围以外：{share}的居民在范围内）",
        "area_beyond": "{name}（在规划范围以外：无居民纳入本方案）",
        "areas_note": "步行：社区内任一住户到规划站点的最短步行时间。",
        "left_out_h": "未覆盖住户及原因",
        "left_out_none": "每户居民{minutes:g}分钟步行范围内都有候选站点。",
        "left_out_intro": "{n:,}处住户（{pop}人）{minutes:g}分钟步行范围内没有候选站点，任何方案都无法覆盖：",
        "c_reason": "原因",
        "r_street": "{m:g}米内无街道或步道（不在步行路网上）",
        "r_candidate": "{minutes:g}分钟步行范围内无候选站点",
        "r_unusable": "步行{minutes:g}分钟内仅有只能作网格站的站点，且其{tier:g}分钟内没有可作党群服务中心的站点",
        "left_out_list_h": "{n:,}处中人口最多的{shown}处（全部见 unreachable.csv）",
        "left_out_list_all": "全部{n:,}处，按人口从多到少（亦见 unreachable.csv）",
        "c_home": "住户点",
        "c_nearest_candidate": "最近候选站点",
        "beyond": "{look:g}分钟内无",
        "left_out_choice": "另有{n:,}处住户（{pop}人）有候选站点可达，但不在所选{stations}个站点的步行范围内。",
        "curve_h": "覆盖曲线",
        "curve_intro": "任意p个站点在步行范围内最多能覆盖的居民，对p = {lo}至{hi}精确求解（最大覆盖模型，HiGHS），"
        "现有站点始终保留，每个p限时{seconds:g}秒；",
        "curve_all": "{n}为本规划的站点数。",
        "curve_capped": "为保证报告生成速度，曲线只求解{steps}个p值（本规划共{n}个站点）；planner curve 可求解更多。",
        "needed": "覆盖80%、90%、95%和100%可达居民所需站点数：{a}、{b}、{c}、{d}。",
        "more_than": "超过{n}个",
        "curve_plan_mark": "圆圈标出本规划。",
        "curve_short": "p = {ps}：达到时间上限，显示找到的最好方案。",
        "c_p": "站点数（p）",
        "c_share_all": "占全部居民",
        "c_share_reach": "占可达居民",
        "svg_title": "覆盖曲线",
        "svg_x_axis": "站点数（p）",
        "svg_y_axis": "{minutes:g}分钟内居民比例",
        "svg_all": "占全部居民比例",
        "svg_reachable": "占可达居民比例",
    },
}
# every phrase formats as a Phrase: {n:station|stations} picks the singular for a count of 1
TEXT = {lang: {key: Phrase(text) for key, text in phrases.items()} for lang, phrases in TEXT.items()}
