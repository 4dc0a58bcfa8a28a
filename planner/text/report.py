"""The committee report's words (``report.html``), English and Chinese side by side.

The phrases are plain text (the report escapes them after formatting, OSM names included). The Chinese follows
the map's glossary (:mod:`planner.text.map`): 党群服务中心 service centre, 社区 community, 网格站 grid station,
5分钟生活圈 5-minute life circle.
"""

from __future__ import annotations

__all__ = ["REPORT"]

#: the report's phrases: ``REPORT[key][lang]``
REPORT: dict[str, dict[str, str]] = {
    "title": {
        "en": "Service stations within a {minutes:g}-minute walk: plan report",
        "zh": "{minutes:g}分钟生活圈服务站点规划报告",
    },
    "footer": {
        "en": "Made by Station Planner from OpenStreetMap data (© OpenStreetMap contributors, ODbL). Undated on "
        "purpose: the same inputs give the same report, byte for byte.",
        "zh": "由 Station Planner 根据 OpenStreetMap 数据生成（© OpenStreetMap 贡献者，ODbL）。报告不注明日期："
        "相同输入生成逐字节相同的报告。",
    },
    "question_h": {"en": "The question", "zh": "规划问题"},
    "q_lscp": {
        "en": "Where should the fewest stations go so that every home some candidate site can reach is within a "
        "{minutes:g}-minute walk of one?",
        "zh": "以最少的站点，使候选站点可达的每一户居民都在某一站点{minutes:g}分钟步行范围内，站点应设在哪里？",
    },
    "q_mclp": {
        "en": "Where should {p} {p:station|stations} go so that the most residents are within a {minutes:g}-minute "
        "walk of one?",
        "zh": "设置{p}个站点，使{minutes:g}分钟步行范围内的居民最多，站点应设在哪里？",
    },
    "q_pscp": {
        "en": "Where should the fewest stations go so that at least {share:.4g} % of residents are within a "
        "{minutes:g}-minute walk of one?",
        "zh": "以最少的站点，使至少{share:.4g}%的居民处于某一站点{minutes:g}分钟步行范围内，站点应设在哪里？",
    },
    "q_budget": {
        "en": "Which stations, costing {budget:g} in all at most, put the most residents within a {minutes:g}-minute "
        "walk of one?",
        "zh": "在总费用不超过{budget:g}的前提下，选择哪些站点能使{minutes:g}分钟步行范围内的居民最多？",
    },
    "q_pmedian": {
        "en": "Where should {p} {p:station|stations} go so that residents walk the least in all (each to the "
        "nearest, within {minutes:g} minutes)?",
        "zh": "设置{p}个站点，使居民到最近站点的步行时间总和最小（{minutes:g}分钟以内），站点应设在哪里？",
    },
    "q_pcenter": {
        "en": "Where should {p} {p:station|stations} go so that the longest walk to the nearest one is as short as "
        "possible?",
        "zh": "设置{p}个站点，使居民到最近站点的最长步行时间尽可能短，站点应设在哪里？",
    },
    "q_backup": {
        "en": "With the fewest stations that put every reachable home within {minutes:g} minutes, which give the "
        "most residents a second station within the walk?",
        "zh": "在使全部可达住户处于{minutes:g}分钟步行范围内的最少站点中，"
        "哪种布局能让最多居民在步行范围内还有第二个站点？",
    },
    "q_pdispersion": {
        "en": "Where should {p} {p:station|stations} go, as far apart from each other as possible?",
        "zh": "设置{p}个站点，使站点之间相距尽可能远，站点应设在哪里？",
    },
    "q_tiers": {
        "en": "The 1+5+N plan: a community service centre within {tier_minutes:g} minutes' walk of every home and a "
        "grid station within {minutes:g} minutes (fewest centres first, then fewest grid stations).",
        "zh": "“1+5+N”布局：每户居民{tier_minutes:g}分钟步行可达社区党群服务中心，"
        "{minutes:g}分钟步行可达网格站（先使服务中心最少，再使网格站最少）。",
    },
    "q_existing": {
        "en": " The {n_existing} existing {n_existing:station is|stations are} kept.",
        "zh": "保留现有站点{n_existing}个。",
    },
    "q_capacity": {
        "en": " Each station serves at most {capacity:,.0f} residents.",
        "zh": "每个站点最多服务{capacity:,.0f}名居民。",
    },
    "answer": {
        "en": "Answer: {n} {n:station|stations} ({new} new, {existing} existing) {n:puts|put} {covered} of {total} "
        "residents ({share}) within the walk: {share_reach} of the {reachable} residents some site can reach.",
        "zh": "结论：{n}个站点（拟建{new}个，现有{existing}个）使{total}名居民中的{covered}名（{share}）"
        "处于步行范围内，占站点可达的{reachable}名居民的{share_reach}。",
    },
    "assumptions_h": {"en": "Assumptions", "zh": "基本假设"},
    "a_walk": {"en": "Walk", "zh": "步行范围"},
    "a_walk_value": {
        "en": "{minutes:g} minutes at {speed:g} km/h (about {metres:,.0f} m along streets and paths)",
        "zh": "{minutes:g}分钟，步速{speed:g}公里/小时（沿街道和步道约{metres:,.0f}米）",
    },
    "a_network": {"en": "Walking network", "zh": "步行路网"},
    "a_network_value": {
        "en": "{source}: {nodes:,} {nodes:junction|junctions}, {edges:,} {edges:street segment|street segments} "
        "(OpenStreetMap)",
        "zh": "{source}：{nodes:,}个路口，{edges:,}条路段（OpenStreetMap）",
    },
    "a_boundary": {"en": "Planning boundary", "zh": "规划范围"},
    "a_boundary_value": {
        "en": "{label}; left out as outside it: {homes:,} {homes:home|homes} ({pop} residents), {sites:,} "
        "{sites:site|sites}",
        "zh": "{label}；范围外未计入：{homes:,}处住户（{pop}人），{sites:,}个站点",
    },
    "a_demand": {"en": "Residents", "zh": "居民"},
    "a_demand_value": {
        "en": "{total} residents at {n:,} {n:home point|home points}, ",
        "zh": "{n:,}个住户点共{total}人，",
    },
    "m_buildings": {
        "en": "estimated from the floor area of OSM residential buildings",
        "zh": "按OpenStreetMap住宅建筑面积估算",
    },
    "m_buildings+landuse": {
        "en": "estimated from the floor area of OSM residential buildings; residential land use without buildings "
        "sampled on a grid",
        "zh": "按OpenStreetMap住宅建筑面积估算；无建筑的居住用地按网格取样",
    },
    "m_landuse": {"en": "OSM residential land use sampled on a grid", "zh": "OpenStreetMap居住用地按网格取样"},
    "m_buildings_untyped": {
        "en": "estimated from the floor area of OSM buildings of any type (few are tagged residential)",
        "zh": "按OpenStreetMap各类建筑面积估算（标注为住宅的建筑较少）",
    },
    "m_file": {"en": "from a population file", "zh": "来自人口文件"},
    "m_named": {"en": "{how} ({name})", "zh": "{how}（{name}）"},
    "m_areas": {
        "en": "census counts per area, spread over the homes of each area",
        "zh": "各社区普查人口分摊到社区内的住户",
    },
    "m_raster": {
        "en": "from the population raster {name} ({units}), placed on {placement}",
        "zh": "来自人口栅格{name}（{units}），落点方式：{placement}",
    },
    "a_candidates": {"en": "Candidate sites", "zh": "候选站点"},
    "s_file": {"en": "{n:,} from a file", "zh": "{n:,}处来自文件"},
    "s_named": {"en": "{n:,} from {name}", "zh": "{n:,}处来自{name}"},
    "s_osm": {"en": "{n:,} OpenStreetMap {n:place|places} ({kinds})", "zh": "{n:,}处OpenStreetMap地点（{kinds}）"},
    "list_sep": {"en": ", ", "zh": "、"},
    "a_existing": {"en": "Existing stations", "zh": "现有站点"},
    "a_existing_value": {"en": "{n:,}, kept in the plan", "zh": "{n:,}个，规划中予以保留"},
    "a_existing_named": {"en": "{n:,} from {name}, kept in the plan", "zh": "{n:,}个（来自{name}），规划中予以保留"},
    "none": {"en": "none", "zh": "无"},
    "a_model": {"en": "Model", "zh": "模型"},
    "model_lscp": {"en": "set covering (LSCP): fewest stations", "zh": "集合覆盖模型（LSCP）：站点最少"},
    "model_mclp": {"en": "maximal covering (MCLP), p = {p}", "zh": "最大覆盖模型（MCLP），p = {p}"},
    "model_pscp": {
        "en": "partial set covering (PSCP): fewest stations for {share:.4g} % of residents",
        "zh": "部分集合覆盖模型（PSCP）：覆盖{share:.4g}%居民的最少站点",
    },
    "model_budget": {
        "en": "maximal covering within a budget of {budget:g}",
        "zh": "预算约束下的最大覆盖，预算{budget:g}",
    },
    "model_pmedian": {"en": "p-median, p = {p}", "zh": "p-中位模型，p = {p}"},
    "model_pcenter": {"en": "p-centre, p = {p}", "zh": "p-中心模型，p = {p}"},
    "model_backup": {"en": "backup covering", "zh": "后备覆盖模型"},
    "model_pdispersion": {"en": "p-dispersion, p = {p}", "zh": "p-分散模型，p = {p}"},
    "model_tiers": {
        "en": "two tiers (1+5+N), centres within {tier_minutes:g} minutes{cap}",
        "zh": "两级布局（1+5+N），服务中心步行{tier_minutes:g}分钟{cap}",
    },
    "cap": {"en": ", at most {n}", "zh": "，最多{n}个"},
    "solver_optimal": {"en": "; exact optimum (HiGHS)", "zh": "；精确最优解（HiGHS求解）"},
    "solver_other": {
        "en": "; {status}, gap {gap} (HiGHS; the best plan found in the time allowed)",
        "zh": "；{status}，最优间隙{gap}（HiGHS在限定时间内找到的最好方案）",
    },
    "before_after_h": {"en": "Before and after", "zh": "规划前后对比"},
    "ba_before": {"en": "Existing stations only", "zh": "仅现有站点"},
    "ba_after": {"en": "With the plan", "zh": "实施规划后"},
    "ba_stations": {"en": "Stations", "zh": "站点数"},
    "ba_covered": {"en": "Residents covered", "zh": "覆盖居民"},
    "ba_share_all": {"en": "Share of all {total} residents", "zh": "占全部{total}名居民"},
    "ba_share_reach": {"en": "Share of the {reachable} reachable residents", "zh": "占{reachable}名可达居民"},
    "ba_note": {
        "en": "Reachable: residents with at least one candidate site or existing station within the walk; no plan "
        "can cover the others. The plan covers {gained} residents more than the existing stations alone.",
        "zh": "可达居民：步行范围内至少有一个候选站点或现有站点的居民；其余居民任何方案都无法覆盖。"
        "本规划比仅靠现有站点多覆盖{gained}名居民。",
    },
    "map_h": {"en": "The plan on the map", "zh": "规划布局图"},
    "map_alt": {
        "en": "Map of the plan: streets, walking areas, homes and numbered stations",
        "zh": "规划布局图：街道、步行服务圈、住户和编号站点",
    },
    "key_proposed": {"en": "New station (number: row of the station table)", "zh": "拟建站点（编号即站点表序号）"},
    "key_existing": {"en": "Existing station", "zh": "现有站点"},
    "key_centre": {"en": "Square: community service centre", "zh": "方形：社区党群服务中心"},
    "key_walk": {"en": "{minutes:g}-minute walking area", "zh": "{minutes:g}分钟步行服务圈"},
    "key_covered": {"en": "Home within the walk", "zh": "已覆盖住户"},
    "key_uncovered": {"en": "Home not covered", "zh": "未覆盖住户"},
    "key_street": {"en": "Street or path", "zh": "街道与步道"},
    "map_caption": {
        "en": "North is up; the black bar at the lower left is {bar:,.0f} m long. Drawn offline from the plan's own "
        "OpenStreetMap streets (no map tiles).",
        "zh": "上北下南；左下角黑色比例尺长{bar:,.0f}米。根据规划所用的OpenStreetMap街道离线绘制（无在线底图）。",
    },
    "stations_h": {"en": "Stations ({n})", "zh": "站点一览（{n}个）"},
    "c_no": {"en": "No.", "zh": "序号"},
    "c_name": {"en": "Name", "zh": "名称"},
    "c_tier": {"en": "Tier", "zh": "层级"},
    "c_status": {"en": "Status", "zh": "状态"},
    "c_within": {"en": "Residents within {minutes:g} min", "zh": "{minutes:g}分钟内居民"},
    "c_assigned": {"en": "Residents assigned", "zh": "分配居民"},
    "c_far": {"en": "Farthest walk (min)", "zh": "最远步行（分钟）"},
    "c_cost": {"en": "Cost", "zh": "费用"},
    "tier_centre": {"en": "Community service centre", "zh": "社区党群服务中心"},
    "tier_grid": {"en": "Grid station", "zh": "网格站"},
    "status_new": {"en": "new", "zh": "拟建"},
    "status_existing": {"en": "existing", "zh": "现有"},
    "total": {"en": "Total", "zh": "合计"},
    "stations_note": {
        "en": "Residents within: everyone within the walk of the station (walking areas overlap, so this column does "
        "not add up). Residents assigned: each covered home counted once, at its nearest station; they add up "
        "to the {covered} residents covered. Farthest walk: to the farthest home assigned.",
        "zh": "步行范围内居民：该站点步行范围内的全部居民（服务圈相互重叠，此列不能相加）。分配居民："
        "每户已覆盖住户只计一次，计入其最近站点；合计等于已覆盖的{covered}名居民。最远步行："
        "到所分配最远住户的步行时间。",
    },
    "areas_h": {"en": "By area", "zh": "分社区统计"},
    "c_area": {"en": "Area", "zh": "社区"},
    "c_residents": {"en": "Residents", "zh": "居民"},
    "c_homes": {"en": "Homes", "zh": "住户点"},
    "c_covered": {"en": "Covered", "zh": "已覆盖"},
    "c_share": {"en": "Share covered", "zh": "覆盖率"},
    "c_nearest": {"en": "Nearest station", "zh": "最近站点"},
    "c_walk": {"en": "Walk (min)", "zh": "步行（分钟）"},
    "outside": {"en": "(outside every area)", "zh": "（不在任何社区内）"},
    "area_partly": {
        "en": "{name} (partly outside the planning boundary: {share} of its residents inside)",
        "zh": "{name}（部分在规划范围以外：{share}的居民在范围内）",
    },
    "area_beyond": {
        "en": "{name} (outside the planning boundary: none of its residents in the plan)",
        "zh": "{name}（在规划范围以外：无居民纳入本方案）",
    },
    "areas_note": {
        "en": "Walk: the shortest walk from any home of the area to a station of the plan.",
        "zh": "步行：社区内任一住户到规划站点的最短步行时间。",
    },
    "left_out_h": {"en": "Homes left out, and why", "zh": "未覆盖住户及原因"},
    "left_out_none": {
        "en": "Every home has a candidate site within a {minutes:g}-minute walk.",
        "zh": "每户居民{minutes:g}分钟步行范围内都有候选站点。",
    },
    "left_out_intro": {
        "en": "{n:,} {n:home|homes} ({pop} residents) {n:has|have} no candidate site within a {minutes:g}-minute "
        "walk, so no plan can cover {n:it|them}:",
        "zh": "{n:,}处住户（{pop}人）{minutes:g}分钟步行范围内没有候选站点，任何方案都无法覆盖：",
    },
    "c_reason": {"en": "Reason", "zh": "原因"},
    "r_street": {
        "en": "No street or path within {m:g} m (off the walking network)",
        "zh": "{m:g}米内无街道或步道（不在步行路网上）",
    },
    "r_candidate": {
        "en": "No candidate site within {minutes:g} minutes' walk",
        "zh": "{minutes:g}分钟步行范围内无候选站点",
    },
    "r_unusable": {
        "en": "Only grid-only sites within {minutes:g} minutes' walk, with no possible community centre within "
        "{tier:g} minutes of them",
        "zh": "步行{minutes:g}分钟内仅有只能作网格站的站点，且其{tier:g}分钟内没有可作党群服务中心的站点",
    },
    "left_out_list_h": {
        "en": "The {shown} most populous of the {n:,} (all in unreachable.csv)",
        "zh": "{n:,}处中人口最多的{shown}处（全部见 unreachable.csv）",
    },
    "left_out_list_all": {
        "en": "All {n:,}, most populous first (also in unreachable.csv)",
        "zh": "全部{n:,}处，按人口从多到少（亦见 unreachable.csv）",
    },
    "c_home": {"en": "Home", "zh": "住户点"},
    "home_named": {"en": "{name} ({id})", "zh": "{name} ({id})"},
    "c_nearest_candidate": {"en": "Nearest candidate", "zh": "最近候选站点"},
    "beyond": {"en": "none within {look:g} min", "zh": "{look:g}分钟内无"},
    "left_out_choice": {
        "en": "A further {n:,} {n:home|homes} ({pop} residents) could be reached from a candidate site but "
        "{n:is|are} not within the walk of the {stations} {stations:station|stations} chosen.",
        "zh": "另有{n:,}处住户（{pop}人）有候选站点可达，但不在所选{stations}个站点的步行范围内。",
    },
    "curve_h": {"en": "Coverage curve", "zh": "覆盖曲线"},
    "curve_intro": {
        "en": "The most residents any p stations put within the walk, solved exactly (maximal covering, HiGHS) for p "
        "= {lo} to {hi}, existing stations always among them, each p within {seconds:g} s; ",
        "zh": "任意p个站点在步行范围内最多能覆盖的居民，对p = {lo}至{hi}精确求解（最大覆盖模型，HiGHS），"
        "现有站点始终保留，每个p限时{seconds:g}秒；",
    },
    "curve_all": {"en": "{n} is this plan's number of stations.", "zh": "{n}为本规划的站点数。"},
    "curve_capped": {
        "en": "the curve stops after {steps} {steps:value|values} of p (this plan has {n} {n:station|stations}) to "
        "keep the report quick; planner curve draws it further.",
        "zh": "为保证报告生成速度，曲线只求解{steps}个p值（本规划共{n}个站点）；planner curve 可求解更多。",
    },
    "needed": {
        "en": "Stations needed for 80 %, 90 %, 95 % and 100 % of the reachable residents: {a}, {b}, {c}, {d}.",
        "zh": "覆盖80%、90%、95%和100%可达居民所需站点数：{a}、{b}、{c}、{d}。",
    },
    "more_than": {"en": "more than {n}", "zh": "超过{n}个"},
    "curve_plan_mark": {"en": " The ring marks this plan.", "zh": "圆圈标出本规划。"},
    "curve_short": {
        "en": "p = {ps}: time limit reached; the best found is shown.",
        "zh": "p = {ps}：达到时间上限，显示找到的最好方案。",
    },
    "c_p": {"en": "Stations (p)", "zh": "站点数（p）"},
    "c_share_all": {"en": "Share of all residents", "zh": "占全部居民"},
    "c_share_reach": {"en": "Share of reachable residents", "zh": "占可达居民"},
    "svg_title": {"en": "Coverage curve", "zh": "覆盖曲线"},
    "svg_x_axis": {"en": "Stations (p)", "zh": "站点数（p）"},
    "svg_y_axis": {"en": "Residents within {minutes:g} min", "zh": "{minutes:g}分钟内居民比例"},
    "svg_all": {"en": "Share of all residents", "zh": "占全部居民比例"},
    "svg_reachable": {"en": "Share of reachable residents", "zh": "占可达居民比例"},
}
