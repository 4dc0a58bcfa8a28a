"""Labels in English and Chinese, the escaping of text bound for the page, and the legend.

Every label is a :class:`planner.outputs.report_text.Phrase`: a count's noun and verb agree with it in English
(``{n} {n:station|stations}`` reads "1 station", "2 stations"); Chinese has no plural.

Every string that comes from OSM or a user file goes through :func:`_text`
(HTML-escaped, and safe inside the JavaScript template literals folium writes).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np

from planner.errors import InputError
from planner.outputs.maps.style import AREA_STEPS, AREA_STYLE, COLOURS
from planner.outputs.report_text import Phrase

# names with a leading underscore are for the other modules of planner.outputs.maps
__all__ = ["LABELS", "Labels", "_labels", "_legend_html", "_rows_html", "_text"]

#: the labels of one language: ``LABELS[lang]``
Labels = Mapping[str, str]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "proposed": "Proposed station",
        "proposed_layer": "Proposed stations",
        "proposed_centre_layer": "Proposed community centres",
        "proposed_grid_layer": "Proposed grid stations",
        "existing": "Existing station",
        "existing_layer": "Existing stations",
        "existing_tiered_layer": "Existing stations",
        "proposed_centre": "Proposed community centre",
        "proposed_grid": "Proposed grid station",
        "existing_centre": "Existing community centre",
        "existing_grid": "Existing grid station",
        "areas": "{minutes:g}-minute walk",
        "areas_legend": "{minutes:g}-minute walking area",
        "covered": "Home within the walk",
        "uncovered": "Home not covered",
        "homes_covered": "Homes covered",
        "homes_uncovered": "Homes not covered",
        "heat_layer": "Uncovered population (heat map)",
        "heat": "Uncovered residents",
        "candidates_layer": "Candidate sites",
        "candidate": "Candidate site",
        "network_layer": "Walking network",
        "basemap": "Streets",
        "population_covered": "Population within {minutes:g} min",
        "population": "Population",
        "share_of_all": "Share of all residents",
        "site_id": "Site",
        "kind": "Type",
        "status": "Status",
        "legend": "Legend",
        "nearest": "nearest candidate: {name}, {minutes:.1f} min",
        "no_candidate": "no candidate within an hour's walk",
        "tier": "Tier",
        "centre": "Community centre",
        "grid": "Grid station",
        "summary": "{stations} {stations:station|stations} {stations:covers|cover} {covered:,.0f} of {total:,.0f} "
        "residents ({share:.1%})",
        "summary_title": "Plan summary",
        "summary_stations": "Stations",
        "summary_stations_value": "{stations} ({proposed} proposed, {existing} existing)",
        "summary_total": "Residents",
        "summary_before": "Covered before",
        "summary_after": "Covered after",
        "summary_share": "Share covered",
        "summary_walk": "Walk",
        "summary_walk_value": "{minutes:g} min",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "osm_data": "Streets, homes and sites: &copy; OpenStreetMap contributors (ODbL)",
        "area_layer": "Areas by share covered",
        "boundary_layer": "Planning boundary",
        "area_name": "Area",
        "area_covered": "Population covered",
        "area_share": "Share covered",
        "area_legend": "Area, {share} covered",
        # the command line (planner plan / score / curve) and the charts (planner.plots)
        "cli_headline": "{n} {n:station|stations} ({model}, {status}) {n:covers|cover} {covered:,.0f} of {total:,.0f} "
        "residents ({share:.1%}) within {minutes:g} minutes' walk",
        "cli_not_optimal": "not proven optimal: {status}, gap {gap:.2%} (raise --time-limit)",
        "cli_stations": "stations (residents assigned: each covered home counted once, at its nearest station):",
        "cli_station": "  {name} [{tier}, {status}]: {population:,.0f}",
        "cli_more_stations": "  ... and {n:,} more (stations.csv)",
        "cli_tiers": "tiers: {centres:.0f} {centres:community centre|community centres} (within {minutes:g} min{cap}), "
        "{grid:.0f} {grid:grid station|grid stations}",
        "cli_tiers_cap": ", at most {n}",
        "cli_beyond_centre": "  {homes:,} {homes:home|homes} ({population:,.0f} residents) {homes:has|have} no "
        "possible community centre within {minutes:g} min",
        "cli_longest_walk": "longest walk to a station: {value:.1f} min",
        "cli_mean_minutes": "mean walk: {value:.1f} min",
        "cli_population_covered_twice": "covered twice: {value:,.0f} residents",
        "cli_smallest_gap_minutes": "closest two stations: {value:.1f} min apart",
        "cli_cost": "cost: {value:g}",
        "cli_pscp": "asked: at least {share:.1%} of residents ({target:,.0f}); proven fewest: {lower} "
        "{lower:station|stations} (the greedy plan needed {greedy})",
        "cli_raster": "population raster {name} ({units}, {placement}): {population:,.0f} people in {cells:,} "
        "{cells:cell|cells} inside the study area, {outside:,.0f} outside it",
        "cli_areas": "areas: {n:,}; {low:,} with less than half their residents covered{lowest} (areas.csv)",
        "cli_areas_lowest": " (lowest: {area}, {share:.1%})",
        "cli_outside_areas": "  {population:,.0f} residents live outside every area",
        "cli_unreachable": "{homes:,} {homes:home|homes} ({population:,.0f} residents) {homes:is|are} beyond a "
        "{minutes:g}-minute walk of every candidate site: no plan can cover {homes:it|them}",
        "cli_only_unusable": "{homes:,} {homes:home|homes} ({population:,.0f} residents) {homes:has|have} within a "
        "{minutes:g}-minute walk only grid-only sites that no possible community centre can serve",
        "cli_off_network": "{homes:,} {homes:home|homes} ({population:,.0f} residents) {homes:is|are} farther "
        "than {metres:g} m from every mapped street (counted as not covered)",
        "cli_left_out_rows": "the homes no plan can cover, most populous first:",
        "cli_no_street": "{reason} ({metres:,.0f} m)",
        "cli_nearest": "nearest candidate {name} at {minutes:.1f} min",
        "cli_unusable": "only {name} at {minutes:.1f} min, a grid-only site with no possible centre within reach",
        "cli_no_candidate": "no candidate within an hour",
        "cli_unreachable_row": "  {id}: {population:,.0f} residents, {near}",
        "cli_wrote": "wrote {path}",
        "cli_wrote_what": "wrote {path}  ({what})",
        "cli_wrote_sites": "wrote {path}  ({n} {n:site|sites})",
        "cli_value_centre": "centre",
        "cli_value_grid": "grid",
        "cli_value_proposed": "proposed",
        "cli_value_existing": "existing",
        "cli_value_new": "new",
        "cli_value_optimal": "optimal",
        "cli_value_time_limit": "time limit reached",
        "cli_curve_header": "    p     residents   of all  of reachable  status",
        "cli_needed_reachable": "stations needed, share of the residents some candidate reaches: ",
        "cli_needed_all": "stations needed, share of all residents: ",
        "cli_more_than": "more than {p}",
        "cli_never": "never (no plan reaches more than {ceiling:.1%})",
        "cli_rank_title": "Candidate sites ranked by residents within {minutes:g} minutes' walk",
        "cli_rank_caption": "worst home fixed: the home farthest from an existing station today that this site brings "
        "within {minutes:g} min; minutes now → from the site (none: no station within {horizon:g} min)",
        "cli_rank_columns": "rank|name|≤{minutes:g} min|≤10 min|≤15 min|new|greedy gain|overlap|worst home fixed",
        "cli_none": "none",
        "output_plan.html": "map",
        "output_report.html": "printable report (A4): question, assumptions, before / after, map, stations, curve",
        "output_stations.geojson": "proposed stations",
        "output_stations.csv": "station table: residents within and assigned, coordinates, cost",
        "output_stations.xlsx": "station table for Excel",
        "output_isochrones.geojson": "walking areas",
        "output_summary.json": "summary",
        "output_unreachable.csv": "homes no candidate reaches",
        "output_areas.csv": "population, share covered and nearest station per area",
        "output_plan.gpkg": "GIS layers: stations, walking areas, homes, areas, unreachable homes, sites weighed, "
        "what was left out",
        "output_shp": "the same layers as shapefiles (field names in fields.csv)",
        "output_plan.dxf": "CAD drawing: stations, walking areas (CRS on layer CRS)",
        "chart_all": "of all residents",
        "chart_reachable": "of the residents some candidate reaches",
        "chart_x": "stations (p)",
        "chart_y": "residents within {minutes:g} min (%)",
        "chart_title": "Coverage curve (exact optimum per p)",
    },
    "zh": {
        "proposed": "拟建网格站",
        "proposed_layer": "拟建网格站",
        "proposed_centre_layer": "拟建社区党群服务中心",
        "proposed_grid_layer": "拟建网格站",
        "existing": "现有网格站",
        "existing_layer": "现有网格站",
        "existing_tiered_layer": "现有站点",
        "proposed_centre": "拟建社区党群服务中心",
        "proposed_grid": "拟建网格站",
        "existing_centre": "现有社区党群服务中心",
        "existing_grid": "现有网格站",
        "areas": "{minutes:g}分钟步行服务圈",
        "areas_legend": "{minutes:g}分钟步行服务圈",
        "covered": "已覆盖小区住户",
        "uncovered": "未覆盖小区住户",
        "homes_covered": "已覆盖住户",
        "homes_uncovered": "未覆盖住户",
        "heat_layer": "未覆盖人口热力图",
        "heat": "未覆盖人口",
        "candidates_layer": "候选站点",
        "candidate": "候选站点",
        "network_layer": "步行路网",
        "basemap": "街道",
        "population_covered": "{minutes:g}分钟内服务人口",
        "population": "人口",
        "share_of_all": "占总人口比例",
        "site_id": "站点编号",
        "kind": "类型",
        "status": "状态",
        "legend": "图例",
        "nearest": "最近候选点：{name}，{minutes:.1f}分钟",
        "no_candidate": "一小时步行范围内无候选点",
        "tier": "层级",
        "centre": "社区党群服务中心",
        "grid": "网格站",
        "summary": "{stations}个站点覆盖{covered:,.0f}/{total:,.0f}名居民（{share:.1%}）",
        "summary_title": "规划概要",
        "summary_stations": "站点",
        "summary_stations_value": "{stations}个（拟建{proposed}个，现有{existing}个）",
        "summary_total": "总人口",
        "summary_before": "规划前覆盖",
        "summary_after": "规划后覆盖",
        "summary_share": "覆盖率",
        "summary_walk": "步行时间",
        "summary_walk_value": "{minutes:g}分钟",
        "zoom_in": "放大",
        "zoom_out": "缩小",
        "osm_data": "街道、住户与站点数据：&copy; OpenStreetMap 贡献者（ODbL）",
        "area_layer": "社区覆盖率",
        "boundary_layer": "规划范围",
        "area_name": "社区",
        "area_covered": "已覆盖人口",
        "area_share": "覆盖率",
        "area_legend": "覆盖率{share}的社区",
        "cli_headline": "{n}个站点（{model}，{status}）在步行{minutes:g}分钟内覆盖{covered:,.0f}名居民，"
        "占全部{total:,.0f}名居民的{share:.1%}",
        "cli_not_optimal": "未证明为最优解：{status}，差距{gap:.2%}（可调大 --time-limit）",
        "cli_stations": "站点（分配居民数：每户已覆盖住户只计一次，计入其最近的站点）：",
        "cli_station": "  {name}［{tier}，{status}］：{population:,.0f}人",
        "cli_more_stations": "  ……另有{n:,}个（见 stations.csv）",
        "cli_tiers": "分层：{centres:.0f}个社区党群服务中心（步行{minutes:g}分钟内{cap}），{grid:.0f}个网格站",
        "cli_tiers_cap": "，至多{n}个",
        "cli_beyond_centre": "  {homes:,}户住户（{population:,.0f}名居民）步行{minutes:g}分钟内没有可建社区党群服务中心的候选点",
        "cli_longest_walk": "到站点的最长步行：{value:.1f}分钟",
        "cli_mean_minutes": "平均步行：{value:.1f}分钟",
        "cli_population_covered_twice": "双重覆盖：{value:,.0f}名居民",
        "cli_smallest_gap_minutes": "最近两站相距：步行{value:.1f}分钟",
        "cli_cost": "费用：{value:g}",
        "cli_pscp": "要求：至少覆盖{share:.1%}的居民（{target:,.0f}人）；已证明至少需要{lower}个站点（贪心方案需要{greedy}个）",
        "cli_raster": "人口栅格 {name}（{units}，{placement}）：研究区内{cells:,}个栅格共{population:,.0f}人，"
        "区外{outside:,.0f}人",
        "cli_areas": "社区：{n:,}个，其中{low:,}个覆盖率不足一半{lowest}（见 areas.csv）",
        "cli_areas_lowest": "（最低：{area}，{share:.1%}）",
        "cli_outside_areas": "  {population:,.0f}名居民不在任何社区范围内",
        "cli_unreachable": "{homes:,}户住户（{population:,.0f}名居民）步行{minutes:g}分钟内没有任何候选点，任何方案都无法覆盖",
        "cli_only_unusable": "{homes:,}户住户（{population:,.0f}名居民）步行{minutes:g}分钟内仅有只能作网格站、"
        "且附近没有可作党群服务中心的站点",
        "cli_off_network": "{homes:,}户住户（{population:,.0f}名居民）距任何已测绘街道超过{metres:g}米（计为未覆盖）",
        "cli_left_out_rows": "任何方案都无法覆盖的住户（按人口从多到少）：",
        "cli_no_street": "{snap:g}米内无街道（最近的在{metres:,.0f}米外）",
        "cli_nearest": "最近候选点{name}，步行{minutes:.1f}分钟",
        "cli_unusable": "仅有{name}（步行{minutes:.1f}分钟），只能作网格站且附近没有可作党群服务中心的站点",
        "cli_no_candidate": "一小时步行范围内无候选点",
        "cli_unreachable_row": "  {id}：{population:,.0f}名居民，{near}",
        "cli_wrote": "已写入 {path}",
        "cli_wrote_what": "已写入 {path}（{what}）",
        "cli_wrote_sites": "已写入 {path}（{n}个站点）",
        "cli_value_centre": "社区党群服务中心",
        "cli_value_grid": "网格站",
        "cli_value_proposed": "拟建",
        "cli_value_existing": "现有",
        "cli_value_new": "新建",
        "cli_value_optimal": "最优解",
        "cli_value_time_limit": "达到时间限制",
        "cli_curve_header": "    p        居民数    占全部  占可达居民  求解状态",
        "cli_needed_reachable": "所需站点数（按候选点可达居民的覆盖率）：",
        "cli_needed_all": "所需站点数（按全部居民的覆盖率）：",
        "cli_more_than": "多于{p}个",
        "cli_never": "无法达到（任何方案最多覆盖{ceiling:.1%}）",
        "cli_rank_title": "按步行{minutes:g}分钟内居民数排序的候选站点",
        "cli_rank_caption": "改善最多的住户：目前离现有站点最远、且该站点能使其进入{minutes:g}分钟步行范围的住户；"
        "现在的步行分钟数 → 到该站点的分钟数（无：{horizon:g}分钟内没有站点）",
        "cli_rank_columns": "排名|名称|≤{minutes:g}分钟|≤10分钟|≤15分钟|新增|贪心增益|重叠|改善最多的住户",
        "cli_none": "无",
        "output_plan.html": "地图",
        "output_report.html": "可打印报告（A4）：问题、假设、规划前后、地图、站点、覆盖曲线",
        "output_stations.geojson": "拟建站点",
        "output_stations.csv": "站点表：服务范围内及分配的居民、坐标、费用",
        "output_stations.xlsx": "站点表（Excel）",
        "output_isochrones.geojson": "步行服务圈",
        "output_summary.json": "概要",
        "output_unreachable.csv": "候选点均不可达的住户",
        "output_areas.csv": "各社区的人口、覆盖率及最近站点",
        "output_plan.gpkg": "GIS图层：站点、步行服务圈、住户、社区、不可达住户、全部候选点、未纳入的住户与站点",
        "output_shp": "同样的图层（Shapefile，字段名见fields.csv）",
        "output_plan.dxf": "CAD图：站点、步行服务圈（坐标系见CRS图层）",
        "chart_all": "占全部居民",
        "chart_reachable": "占候选点可达的居民",
        "chart_x": "站点数（p）",
        "chart_y": "步行{minutes:g}分钟内的居民（%）",
        "chart_title": "覆盖曲线（每个p的精确最优解）",
    },
}
# every label formats as a Phrase: {n:station|stations} picks the singular for a count of 1
LABELS = {lang: {key: Phrase(text) for key, text in labels.items()} for lang, labels in LABELS.items()}


def _labels(lang: str) -> dict[str, str]:
    """The labels of ``lang``; :class:`InputError` for a language :data:`LABELS` does not have."""
    if lang not in LABELS:
        raise InputError(f"lang={lang!r}: expected one of {', '.join(LABELS)}")
    return LABELS[lang]


def _text(value: str) -> str:
    """HTML-escape ``value``; also escape what ends or interpolates the JS template literals folium wraps it in."""
    return html.escape(str(value)).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _rows_html(rows: list[tuple[str, str]]) -> str:
    """``label: value`` lines, both escaped by :func:`_text`, the label in bold."""
    return "<br>".join(f"<b>{_text(k)}</b>: {_text(v)}" for k, v in rows)


def _area_step_range(i: int) -> str:
    """The shares of step ``i`` of :data:`AREA_STEPS` as text: ``<50%``, ``50–80%``, ``≥95%``."""
    lo = AREA_STEPS[i][0]
    if i == len(AREA_STEPS) - 1:
        return f"≥{lo:.0%}"
    hi = AREA_STEPS[i + 1][0]
    return f"<{hi:.0%}" if i == 0 else f"{lo:.0%}–{hi:.0%}"


def _legend_item(colour: str, label: str, shape: str = "circle") -> str:
    """One legend line: a swatch (``circle``.

    ``square``, ``area`` outline or ``fill`` as the areas layer) and the escaped label.
    """
    radius = {"circle": "50%", "square": "3px", "area": "0", "fill": "0"}[shape]
    fill = {"area": f"{colour}33", "fill": f"{colour}{round(AREA_STYLE['fillOpacity'] * 255):02x}"}.get(shape, colour)
    border = {"area": f"1px solid {colour}", "fill": f"1px solid {AREA_STYLE['color']}"}.get(
        shape, "1px solid rgba(0,0,0,.45)"
    )
    return (
        f'<div><span class="planner-swatch" style="background:{fill};border:{border};border-radius:{radius}">'
        f"</span>{html.escape(label)}</div>"
    )


def _legend_html(
    t: Labels, minutes: float, *, by_tier: bool, tiered: bool, existing_centre: np.ndarray, areas: bool
) -> str:
    """The legend panel.

    ``by_tier``: the proposed stations are drawn in one layer per tier; ``tiered``: the plan has community
    centres; ``existing_centre``: per existing station, whether it is a community centre; ``areas``: the
    areas layer is drawn (one item per step of :data:`AREA_STEPS`).
    """
    items = []
    if by_tier:
        items += [
            _legend_item(COLOURS["centre"], t["proposed_centre_layer"], "square"),
            _legend_item(COLOURS["proposed"], t["proposed_grid_layer"]),
        ]
    else:
        items.append(_legend_item(COLOURS["proposed"], t["proposed"]))
    if existing_centre.any():
        items.append(_legend_item(COLOURS["existing_centre"], t["existing_centre"], "square"))
    if not len(existing_centre) or not existing_centre.all():
        items.append(_legend_item(COLOURS["existing"], t["existing_grid" if tiered else "existing"], "square"))
    items += [
        _legend_item(COLOURS["proposed"], t["areas_legend"].format(minutes=minutes), "area"),
        _legend_item(COLOURS["covered"], t["covered"]),
        _legend_item(COLOURS["uncovered"], t["uncovered"]),
        _legend_item("#fd8d3c", t["heat"]),
    ]
    if areas:
        items += [
            _legend_item(colour, t["area_legend"].format(share=_area_step_range(i)), "fill")
            for i, (_, colour) in enumerate(AREA_STEPS)
        ]
    return (
        '<div id="planner-legend" class="planner-panel" style="position:fixed;bottom:56px;left:12px;z-index:1000">'
        f"<b>{html.escape(t['legend'])}</b>{''.join(items)}</div>"
    )
