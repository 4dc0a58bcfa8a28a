"""The what-if page's words (``plan.html`` with ``--whatif``): its panel, tooltips, legend and layers.

The page's script (``whatif.js``) holds no words of its own: it gets these, formatted by the page, in its data
(names and ids are escaped by the script). One entry per key, English and Chinese side by side.
"""

from __future__ import annotations

__all__ = ["WHATIF"]

#: the what-if page's phrases: ``WHATIF[key][lang]``
WHATIF: dict[str, dict[str, str]] = {
    "title": {"en": "What if", "zh": "方案推演"},
    "hint": {
        "en": "Click a candidate to make it a station, a station to remove it.",
        "zh": "点击候选站点即设为站点，点击站点即移除。",
    },
    "stations": {"en": "Stations", "zh": "站点"},
    "stations_value": {"en": "{n} ({added} added, {removed} removed)", "zh": "{n}个（新增{added}个，移除{removed}个）"},
    "covered": {"en": "Residents covered", "zh": "覆盖人口"},
    "covered_value": {"en": "{covered} of {total}", "zh": "{covered} / {total}"},
    "share": {"en": "Share of all residents", "zh": "占总人口比例"},
    "gained": {"en": "Newly covered (vs. proposed plan)", "zh": "较推荐方案新增覆盖"},
    "lost": {"en": "Newly uncovered (vs. proposed plan)", "zh": "较推荐方案失去覆盖"},
    "station": {"en": "Station", "zh": "站点"},
    "assigned": {"en": "Residents (nearest)", "zh": "就近分配人口"},
    "reset": {"en": "Back to the proposed plan", "zh": "恢复推荐方案"},
    "csv": {"en": "Download this plan (CSV)", "zh": "下载当前方案（CSV）"},
    "geojson": {"en": "Download this plan (GeoJSON)", "zh": "下载当前方案（GeoJSON）"},
    "tip_candidate": {
        "en": "Candidate: {name} · click to add: +{n} residents",
        "zh": "候选站点：{name} · 点击新增，增加覆盖{n}人",
    },
    "tip_proposed": {
        "en": "Proposed station: {name} · click to remove: −{n} residents",
        "zh": "拟建网格站：{name} · 点击移除，失去覆盖{n}人",
    },
    "tip_added": {
        "en": "Added station: {name} · click to remove: −{n} residents",
        "zh": "新增站点：{name} · 点击移除，失去覆盖{n}人",
    },
    "tip_existing": {
        "en": "Existing station: {name} · click to remove: −{n} residents",
        "zh": "现有网格站：{name} · 点击移除，失去覆盖{n}人",
    },
    "tip_removed": {
        "en": "Existing station, removed: {name} · click to restore: +{n} residents",
        "zh": "现有网格站（已移除）：{name} · 点击恢复，增加覆盖{n}人",
    },
    "tip_dropped": {
        "en": "Proposed station, removed: {name} · click to restore: +{n} residents",
        "zh": "拟建网格站（已移除）：{name} · 点击恢复，增加覆盖{n}人",
    },
    "proposed": {"en": "Proposed station", "zh": "拟建网格站"},
    "added": {"en": "Added station", "zh": "新增站点"},
    "existing": {"en": "Existing station", "zh": "现有网格站"},
    "removed": {"en": "Existing station, removed", "zh": "现有网格站（已移除）"},
    "dropped": {"en": "Proposed station, removed", "zh": "拟建网格站（已移除）"},
    "candidate": {"en": "Candidate site", "zh": "候选站点"},
    "sites_layer": {"en": "Stations and candidates (click)", "zh": "站点与候选站点（可点击）"},
    "walk_layer": {"en": "{minutes:g}-minute walk", "zh": "{minutes:g}分钟步行服务圈"},
    "homes_layer": {"en": "Homes", "zh": "住户"},
}
