"""Labels in English and Chinese, the escaping of text bound for the page, and the legend.

Every string that comes from OSM or a user file goes through :func:`_text`
(HTML-escaped, and safe inside the JavaScript template literals folium writes).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np

from ..errors import InputError
from .style import AREA_STEPS, AREA_STYLE, COLOURS

# names with a leading underscore are for the other modules of planner.maps
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
        "summary": "{stations} stations cover {covered:,.0f} of {total:,.0f} residents ({share:.1%})",
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
    },
}


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
