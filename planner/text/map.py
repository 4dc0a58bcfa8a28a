"""The interactive map's words (``plan.html``): layers, legend, tooltips, the summary panel.

One entry per key, English and Chinese side by side. The Chinese follows the glossary of the planners' own
documents: 网格站 grid station, 社区党群服务中心 community (Party-masses) service centre, 社区 community,
步行服务圈 walking area.
"""

from __future__ import annotations

__all__ = ["MAP"]

#: the map's phrases: ``MAP[key][lang]``
MAP: dict[str, dict[str, str]] = {
    "proposed": {"en": "Proposed station", "zh": "拟建网格站"},
    "proposed_layer": {"en": "Proposed stations", "zh": "拟建网格站"},
    "proposed_centre_layer": {"en": "Proposed community centres", "zh": "拟建社区党群服务中心"},
    "proposed_grid_layer": {"en": "Proposed grid stations", "zh": "拟建网格站"},
    "existing": {"en": "Existing station", "zh": "现有网格站"},
    "existing_layer": {"en": "Existing stations", "zh": "现有网格站"},
    "existing_tiered_layer": {"en": "Existing stations", "zh": "现有站点"},
    "proposed_centre": {"en": "Proposed community centre", "zh": "拟建社区党群服务中心"},
    "proposed_grid": {"en": "Proposed grid station", "zh": "拟建网格站"},
    "existing_centre": {"en": "Existing community centre", "zh": "现有社区党群服务中心"},
    "existing_grid": {"en": "Existing grid station", "zh": "现有网格站"},
    "areas": {"en": "{minutes:g}-minute walk", "zh": "{minutes:g}分钟步行服务圈"},
    "areas_legend": {"en": "{minutes:g}-minute walking area", "zh": "{minutes:g}分钟步行服务圈"},
    "covered": {"en": "Home within the walk", "zh": "已覆盖小区住户"},
    "uncovered": {"en": "Home not covered", "zh": "未覆盖小区住户"},
    "homes_covered": {"en": "Homes covered", "zh": "已覆盖住户"},
    "homes_uncovered": {"en": "Homes not covered", "zh": "未覆盖住户"},
    "heat_layer": {"en": "Uncovered population (heat map)", "zh": "未覆盖人口热力图"},
    "heat": {"en": "Uncovered residents", "zh": "未覆盖人口"},
    "candidates_layer": {"en": "Candidate sites", "zh": "候选站点"},
    "candidate": {"en": "Candidate site", "zh": "候选站点"},
    "network_layer": {"en": "Walking network", "zh": "步行路网"},
    "basemap": {"en": "Streets", "zh": "街道"},
    "population_covered": {"en": "Population within {minutes:g} min", "zh": "{minutes:g}分钟内服务人口"},
    "population": {"en": "Population", "zh": "人口"},
    "share_of_all": {"en": "Share of all residents", "zh": "占总人口比例"},
    "site_id": {"en": "Site", "zh": "站点编号"},
    "kind": {"en": "Type", "zh": "类型"},
    "status": {"en": "Status", "zh": "状态"},
    "legend": {"en": "Legend", "zh": "图例"},
    "nearest": {"en": "nearest candidate: {name}, {minutes:.1f} min", "zh": "最近候选点：{name}，{minutes:.1f}分钟"},
    "no_candidate": {"en": "no candidate within an hour's walk", "zh": "一小时步行范围内无候选点"},
    "tier": {"en": "Tier", "zh": "层级"},
    "centre": {"en": "Community centre", "zh": "社区党群服务中心"},
    "grid": {"en": "Grid station", "zh": "网格站"},
    "summary": {
        "en": "{stations} {stations:station|stations} {stations:covers|cover} {covered:,.0f} of {total:,.0f} "
        "residents ({share:.1%})",
        "zh": "{stations}个站点覆盖{covered:,.0f}/{total:,.0f}名居民（{share:.1%}）",
    },
    "summary_title": {"en": "Plan summary", "zh": "规划概要"},
    "summary_stations": {"en": "Stations", "zh": "站点"},
    "summary_stations_value": {
        "en": "{stations} ({proposed} proposed, {existing} existing)",
        "zh": "{stations}个（拟建{proposed}个，现有{existing}个）",
    },
    "summary_total": {"en": "Residents", "zh": "总人口"},
    "summary_before": {"en": "Covered before", "zh": "规划前覆盖"},
    "summary_after": {"en": "Covered after", "zh": "规划后覆盖"},
    "summary_share": {"en": "Share covered", "zh": "覆盖率"},
    "summary_walk": {"en": "Walk", "zh": "步行时间"},
    "summary_walk_value": {"en": "{minutes:g} min", "zh": "{minutes:g}分钟"},
    "zoom_in": {"en": "Zoom in", "zh": "放大"},
    "zoom_out": {"en": "Zoom out", "zh": "缩小"},
    "osm_data": {
        "en": "Streets, homes and sites: &copy; OpenStreetMap contributors (ODbL)",
        "zh": "街道、住户与站点数据：&copy; OpenStreetMap 贡献者（ODbL）",
    },
    "area_layer": {"en": "Areas by share covered", "zh": "社区覆盖率"},
    "boundary_layer": {"en": "Planning boundary", "zh": "规划范围"},
    "area_name": {"en": "Area", "zh": "社区"},
    "area_covered": {"en": "Population covered", "zh": "已覆盖人口"},
    "area_share": {"en": "Share covered", "zh": "覆盖率"},
    "area_legend": {"en": "Area, {share} covered", "zh": "覆盖率{share}的社区"},
}
