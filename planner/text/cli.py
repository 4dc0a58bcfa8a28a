"""The command line's words: the lines ``planner plan``, ``curve``, ``score`` and ``optimize`` print.

One entry per key, English and Chinese side by side. The options' help texts stay in English in the commands'
decorators; errors and warnings are English (they name options, files and columns).
"""

from __future__ import annotations

__all__ = ["CLI"]

#: the command line's phrases: ``CLI[key][lang]``
CLI: dict[str, dict[str, str]] = {
    "headline": {
        "en": "{n} {n:station|stations} ({model}, {status}) {n:covers|cover} {covered:,.0f} of {total:,.0f} "
        "residents ({share:.1%}) within {minutes:g} minutes' walk",
        "zh": "{n}个站点（{model}，{status}）在步行{minutes:g}分钟内覆盖{covered:,.0f}名居民，"
        "占全部{total:,.0f}名居民的{share:.1%}",
    },
    "not_optimal": {
        "en": "not proven optimal: {status}, gap {gap:.2%} (raise --time-limit)",
        "zh": "未证明为最优解：{status}，差距{gap:.2%}（可调大 --time-limit）",
    },
    "stations": {
        "en": "stations (residents assigned: each covered home counted once, at its nearest station):",
        "zh": "站点（分配居民数：每户已覆盖住户只计一次，计入其最近的站点）：",
    },
    "station": {
        "en": "  {name} [{tier}, {status}]: {population:,.0f}",
        "zh": "  {name}［{tier}，{status}］：{population:,.0f}人",
    },
    "more_stations": {"en": "  ... and {n:,} more (stations.csv)", "zh": "  ……另有{n:,}个（见 stations.csv）"},
    "tiers": {
        "en": "tiers: {centres:.0f} {centres:community centre|community centres} (within {minutes:g} min{cap}), "
        "{grid:.0f} {grid:grid station|grid stations}",
        "zh": "分层：{centres:.0f}个社区党群服务中心（步行{minutes:g}分钟内{cap}），{grid:.0f}个网格站",
    },
    "tiers_cap": {"en": ", at most {n}", "zh": "，至多{n}个"},
    "beyond_centre": {
        "en": "  {homes:,} {homes:home|homes} ({population:,.0f} residents) {homes:has|have} no possible community "
        "centre within {minutes:g} min",
        "zh": "  {homes:,}户住户（{population:,.0f}名居民）步行{minutes:g}分钟内没有可建社区党群服务中心的候选点",
    },
    "longest_walk": {"en": "longest walk to a station: {value:.1f} min", "zh": "到站点的最长步行：{value:.1f}分钟"},
    "mean_minutes": {"en": "mean walk: {value:.1f} min", "zh": "平均步行：{value:.1f}分钟"},
    "population_covered_twice": {"en": "covered twice: {value:,.0f} residents", "zh": "双重覆盖：{value:,.0f}名居民"},
    "smallest_gap_minutes": {
        "en": "closest two stations: {value:.1f} min apart",
        "zh": "最近两站相距：步行{value:.1f}分钟",
    },
    "cost": {"en": "cost: {value:g}", "zh": "费用：{value:g}"},
    "pscp": {
        "en": "asked: at least {share:.1%} of residents ({target:,.0f}); proven fewest: {lower} "
        "{lower:station|stations} (the greedy plan needed {greedy})",
        "zh": "要求：至少覆盖{share:.1%}的居民（{target:,.0f}人）；"
        "已证明至少需要{lower}个站点（贪心方案需要{greedy}个）",
    },
    "raster": {
        "en": "population raster {name} ({units}, {placement}): {population:,.0f} people in {cells:,} "
        "{cells:cell|cells} inside the study area, {outside:,.0f} outside it",
        "zh": "人口栅格 {name}（{units}，{placement}）：研究区内{cells:,}个栅格共{population:,.0f}人，"
        "区外{outside:,.0f}人",
    },
    "areas": {
        "en": "areas: {n:,}; {low:,} with less than half their residents covered{lowest} (areas.csv)",
        "zh": "社区：{n:,}个，其中{low:,}个覆盖率不足一半{lowest}（见 areas.csv）",
    },
    "areas_lowest": {"en": " (lowest: {area}, {share:.1%})", "zh": "（最低：{area}，{share:.1%}）"},
    "outside_areas": {
        "en": "  {population:,.0f} residents live outside every area",
        "zh": "  {population:,.0f}名居民不在任何社区范围内",
    },
    "unreachable": {
        "en": "{homes:,} {homes:home|homes} ({population:,.0f} residents) {homes:is|are} beyond a {minutes:g}-minute "
        "walk of every candidate site: no plan can cover {homes:it|them}",
        "zh": "{homes:,}户住户（{population:,.0f}名居民）步行{minutes:g}分钟内没有任何候选点，任何方案都无法覆盖",
    },
    "only_unusable": {
        "en": "{homes:,} {homes:home|homes} ({population:,.0f} residents) {homes:has|have} within a "
        "{minutes:g}-minute walk only grid-only sites that no possible community centre can serve",
        "zh": "{homes:,}户住户（{population:,.0f}名居民）步行{minutes:g}分钟内仅有只能作网格站、"
        "且附近没有可作党群服务中心的站点",
    },
    "off_network": {
        "en": "{homes:,} {homes:home|homes} ({population:,.0f} residents) {homes:is|are} farther than {metres:g} m "
        "from every mapped street (counted as not covered)",
        "zh": "{homes:,}户住户（{population:,.0f}名居民）距任何已测绘街道超过{metres:g}米（计为未覆盖）",
    },
    "left_out_rows": {
        "en": "the homes no plan can cover, most populous first:",
        "zh": "任何方案都无法覆盖的住户（按人口从多到少）：",
    },
    "no_street": {
        "en": "no street within {snap:g} m ({metres:,.0f} m)",
        "zh": "{snap:g}米内无街道（最近的在{metres:,.0f}米外）",
    },
    "nearest": {"en": "nearest candidate {name} at {minutes:.1f} min", "zh": "最近候选点{name}，步行{minutes:.1f}分钟"},
    "unusable": {
        "en": "only {name} at {minutes:.1f} min, a grid-only site with no possible centre within reach",
        "zh": "仅有{name}（步行{minutes:.1f}分钟），只能作网格站且附近没有可作党群服务中心的站点",
    },
    "no_candidate": {"en": "no candidate within an hour", "zh": "一小时步行范围内无候选点"},
    "unreachable_row": {
        "en": "  {id}: {population:,.0f} residents, {near}",
        "zh": "  {id}：{population:,.0f}名居民，{near}",
    },
    "wrote": {"en": "wrote {path}", "zh": "已写入 {path}"},
    "wrote_what": {"en": "wrote {path}  ({what})", "zh": "已写入 {path}（{what}）"},
    "wrote_sites": {"en": "wrote {path}  ({n} {n:site|sites})", "zh": "已写入 {path}（{n}个站点）"},
    "value_centre": {"en": "centre", "zh": "社区党群服务中心"},
    "value_grid": {"en": "grid", "zh": "网格站"},
    "value_proposed": {"en": "proposed", "zh": "拟建"},
    "value_existing": {"en": "existing", "zh": "现有"},
    "value_new": {"en": "new", "zh": "新建"},
    "value_optimal": {"en": "optimal", "zh": "最优解"},
    "value_time_limit": {"en": "time limit reached", "zh": "达到时间限制"},
    "curve_header": {
        "en": "    p     residents   of all  of reachable  status",
        "zh": "    p        居民数    占全部  占可达居民  求解状态",
    },
    "needed_reachable": {
        "en": "stations needed, share of the residents some candidate reaches: ",
        "zh": "所需站点数（按候选点可达居民的覆盖率）：",
    },
    "needed_all": {"en": "stations needed, share of all residents: ", "zh": "所需站点数（按全部居民的覆盖率）："},
    "more_than": {"en": "more than {p}", "zh": "多于{p}个"},
    "never": {
        "en": "never (no plan reaches more than {ceiling:.1%})",
        "zh": "无法达到（任何方案最多覆盖{ceiling:.1%}）",
    },
    "rank_title": {
        "en": "Candidate sites ranked by residents within {minutes:g} minutes' walk",
        "zh": "按步行{minutes:g}分钟内居民数排序的候选站点",
    },
    "rank_caption": {
        "en": "worst home fixed: the home farthest from an existing station today that this site brings within "
        "{minutes:g} min; minutes now → from the site (none: no station within {horizon:g} min)",
        "zh": "改善最多的住户：目前离现有站点最远、且该站点能使其进入{minutes:g}分钟步行范围的住户；现在的步行分钟数 "
        "→ 到该站点的分钟数（无：{horizon:g}分钟内没有站点）",
    },
    "rank_columns": {
        "en": "rank|name|≤{minutes:g} min|≤10 min|≤15 min|new|greedy gain|overlap|worst home fixed",
        "zh": "排名|名称|≤{minutes:g}分钟|≤10分钟|≤15分钟|新增|贪心增益|重叠|改善最多的住户",
    },
    "none": {"en": "none", "zh": "无"},
    # the account's blocks (planner.outputs.account.account_blocks), a home named by its compound
    "account_heading": {"en": "{heading}: [{columns}]", "zh": "{heading}： [{columns}]"},
    "account_row": {"en": "  {label}: {figures}", "zh": "  {label}：{figures}"},
    "home_named": {"en": "{name} ({id})", "zh": "{name} ({id})"},
    # planner curve's table and its stations needed; planner score's worst home fixed
    "curve_row": {
        "en": "p={p:>3}  {covered:>12,.0f}  {share:7.1%}  {reachable:12.1%}  {status}",
        "zh": "p={p:>3}  {covered:>12,.0f}  {share:7.1%}  {reachable:12.1%}  {status}",
    },
    "needed_item": {"en": "{share}: {p}", "zh": "{share}: {p}"},
    "rank_fixed": {"en": "{home}\n{now} → {site:.1f}", "zh": "{home}\n{now} → {site:.1f}"},
    "rank_not_fixed": {"en": "-", "zh": "-"},
    # planner optimize (a cost matrix of the user's own: no --lang, the English is printed)
    "optimize_result": {
        "en": "{model}: {n} sites, objective {objective:,.4g} ({status}), covered {covered:,.0f} of {total:,.0f}",
        "zh": "{model}：{n}个站点，目标值{objective:,.4g}（{status}），覆盖{covered:,.0f}/{total:,.0f}",
    },
    # the files planner plan writes, as it lists them
    "output_plan.html": {"en": "map", "zh": "地图"},
    "output_report.html": {
        "en": "printable report (A4): question, assumptions, before / after, map, stations, curve",
        "zh": "可打印报告（A4）：问题、假设、规划前后、地图、站点、覆盖曲线",
    },
    "output_stations.geojson": {"en": "proposed stations", "zh": "拟建站点"},
    "output_stations.csv": {
        "en": "station table: residents within and assigned, coordinates, cost",
        "zh": "站点表：服务范围内及分配的居民、坐标、费用",
    },
    "output_stations.xlsx": {"en": "station table for Excel", "zh": "站点表（Excel）"},
    "output_isochrones.geojson": {"en": "walking areas", "zh": "步行服务圈"},
    "output_summary.json": {"en": "summary", "zh": "概要"},
    "output_unreachable.csv": {"en": "homes no candidate reaches", "zh": "候选点均不可达的住户"},
    "output_areas.csv": {
        "en": "population, share covered and nearest station per area",
        "zh": "各社区的人口、覆盖率及最近站点",
    },
    "output_plan.gpkg": {
        "en": "GIS layers: stations, walking areas, homes, areas, unreachable homes, sites weighed, what was left out",
        "zh": "GIS图层：站点、步行服务圈、住户、社区、不可达住户、全部候选点、未纳入的住户与站点",
    },
    "output_shp": {
        "en": "the same layers as shapefiles (field names in fields.csv)",
        "zh": "同样的图层（Shapefile，字段名见fields.csv）",
    },
    "output_plan.dxf": {
        "en": "CAD drawing: stations, walking areas (CRS on layer CRS)",
        "zh": "CAD图：站点、步行服务圈（坐标系见CRS图层）",
    },
}
