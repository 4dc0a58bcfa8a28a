"""Stage 5: the map a planner presents.

:func:`plan_map` draws proposed stations, their walking areas, homes coloured by
whether they are covered, and existing stations on a Folium map with a layer
control and a legend. Every string that comes from OSM or a user file is
HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np

LABELS = {
    "en": {
        "proposed": "Proposed station",
        "proposed_layer": "Proposed stations",
        "existing": "Existing station",
        "existing_layer": "Existing stations",
        "areas": "{minutes:g}-minute walk",
        "covered": "Home within the walk",
        "uncovered": "Home not covered",
        "homes_covered": "Homes covered",
        "homes_uncovered": "Homes not covered",
        "population_covered": "Population within {minutes:g} min",
        "population": "Population",
        "site_id": "Site",
        "legend": "Legend",
        "nearest": "nearest candidate: {name}, {minutes:.1f} min",
        "no_candidate": "no candidate within an hour's walk",
        "tier": "Tier",
        "centre": "Community centre",
        "grid": "Grid station",
        "summary": "{stations} stations cover {covered:,.0f} of {total:,.0f} residents ({share:.1%})",
    },
    "zh": {
        "proposed": "拟建网格站",
        "proposed_layer": "拟建网格站",
        "existing": "现有网格站",
        "existing_layer": "现有网格站",
        "areas": "{minutes:g}分钟步行服务圈",
        "covered": "已覆盖小区住户",
        "uncovered": "未覆盖小区住户",
        "homes_covered": "已覆盖住户",
        "homes_uncovered": "未覆盖住户",
        "population_covered": "{minutes:g}分钟内服务人口",
        "population": "人口",
        "site_id": "站点编号",
        "legend": "图例",
        "nearest": "最近候选点：{name}，{minutes:.1f}分钟",
        "no_candidate": "一小时步行范围内无候选点",
        "tier": "层级",
        "centre": "社区党群服务中心",
        "grid": "网格站",
        "summary": "{stations}个网格站覆盖{covered:,.0f}/{total:,.0f}名居民（{share:.1%}）",
    },
}

COLOURS = {"proposed": "#d7301f", "existing": "#2c7fb8", "covered": "#1a9850", "uncovered": "#7b3294"}


def _labels(lang: str) -> dict[str, str]:
    from .errors import InputError

    if lang not in LABELS:
        raise InputError(f"lang={lang!r}: expected one of {', '.join(LABELS)}")
    return LABELS[lang]


def _text(value: str) -> str:
    """HTML-escape ``value``; also escape what ends or interpolates the JS template literals folium wraps it in."""
    return html.escape(value).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _popup(rows: list[tuple[str, str]]) -> folium.Popup:
    body = "<br>".join(f"<b>{_text(k)}</b>: {_text(v)}" for k, v in rows)
    return folium.Popup(folium.Html(body, script=True), max_width=320)


def plan_map(
    stations: gpd.GeoDataFrame,
    isochrones: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    covered: np.ndarray,
    *,
    existing: gpd.GeoDataFrame | None = None,
    minutes: float = 5.0,
    summary: dict | None = None,
    lang: str = "en",
    unreachable=None,
) -> folium.Map:
    """
    Draw a plan.

    Parameters
    ----------
    stations
        Proposed stations with ``site_id``, ``name``, ``population_covered``.
    isochrones
        Their walking areas (one polygon per station).
    demand
        Demand points with ``population``.
    covered
        Boolean per demand row.
    existing
        Existing stations with ``site_id`` and ``name`` (drawn in their own layer).
    minutes
        The walking limit, for labels.
    summary
        Optional dict with ``n_stations``, ``population_covered``,
        ``population_total`` and ``covered_share`` for the summary line.
    lang
        ``"en"`` or ``"zh"``.
    unreachable
        Optional table from :func:`planner.pipeline.diagnose_unreachable`: homes no
        candidate reaches get their nearest candidate in the tooltip.

    Returns
    -------
    folium.Map
        OpenStreetMap tiles with attribution, a layer control and a legend.
    """
    t = _labels(lang)
    pts = [g.to_crs("EPSG:4326") for g in (stations, demand) if len(g)]
    bounds = np.array([g.total_bounds for g in pts] or [[-180, -85, 180, 85]])
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=15, tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(fmap)

    areas = folium.FeatureGroup(name=t["areas"].format(minutes=minutes), show=True)
    if len(isochrones):
        iso = isochrones.to_crs("EPSG:4326")[["site_id", "geometry"]].copy()
        iso["site_id"] = iso["site_id"].astype(str).map(html.escape)
        folium.GeoJson(
            iso.to_json(drop_id=True),
            style_function=lambda _: {"color": COLOURS["proposed"], "weight": 1, "fillColor": COLOURS["proposed"], "fillOpacity": 0.12},
        ).add_to(areas)
    areas.add_to(fmap)

    dem = demand.to_crs("EPSG:4326")
    nearest = {}
    if unreachable is not None:
        for row in unreachable.itertuples(index=False):
            if row.nearest_site_name is None or not np.isfinite(row.nearest_minutes):
                nearest[str(row.demand_id)] = t["no_candidate"]
            else:
                nearest[str(row.demand_id)] = t["nearest"].format(name=row.nearest_site_name, minutes=row.nearest_minutes)
    for flag, key, layer in ((True, "covered", "homes_covered"), (False, "uncovered", "homes_uncovered")):
        group = folium.FeatureGroup(name=t[layer], show=True)
        sel = dem[np.asarray(covered) == flag]
        for x, y, pop, did in zip(sel.geometry.x, sel.geometry.y, sel["population"], sel["demand_id"].astype(str)):
            tip = f"{t[key]} · {t['population']} {pop:,.0f}"
            if did in nearest:
                tip += " · " + nearest[did]
            folium.CircleMarker(
                [y, x], radius=3, color=COLOURS[key], fill=True, fill_opacity=0.8, weight=1,
                tooltip=_text(tip),
            ).add_to(group)
        group.add_to(fmap)

    if existing is not None and len(existing):
        group = folium.FeatureGroup(name=t["existing_layer"], show=True)
        ex = existing.to_crs("EPSG:4326")
        for x, y, name, sid in zip(ex.geometry.x, ex.geometry.y, ex["name"].astype(str), ex["site_id"].astype(str)):
            folium.Marker(
                [y, x], icon=folium.Icon(color="blue", icon="home"), tooltip=_text(name),
                popup=_popup([(t["existing"], name), (t["site_id"], sid)]),
            ).add_to(group)
        group.add_to(fmap)

    group = folium.FeatureGroup(name=t["proposed_layer"], show=True)
    st = stations.to_crs("EPSG:4326")
    tiers = st["tier"].astype(str) if "tier" in st else np.full(len(st), "grid")
    for x, y, name, sid, pop, tier in zip(st.geometry.x, st.geometry.y, st["name"].astype(str), st["site_id"].astype(str),
                                          st["population_covered"], tiers):
        folium.Marker(
            [y, x], icon=folium.Icon(color="darkred" if tier == "centre" else "red", icon="star" if tier == "centre" else "flag"),
            tooltip=_text(name),
            popup=_popup([(t["proposed"], name), (t["site_id"], sid), (t["tier"], t.get(tier, tier)),
                          (t["population_covered"].format(minutes=minutes), f"{pop:,.0f}")]),
        ).add_to(group)
    group.add_to(fmap)

    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    items = [
        (COLOURS["proposed"], t["proposed"]),
        (COLOURS["existing"], t["existing"]),
        (COLOURS["covered"], t["covered"]),
        (COLOURS["uncovered"], t["uncovered"]),
    ]
    lines = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
        f'background:{c};margin-right:6px"></span>{html.escape(label)}</div>'
        for c, label in items
    )
    extra = ""
    if summary:
        extra = "<div style='margin-top:6px;max-width:240px'>" + html.escape(
            t["summary"].format(
                stations=summary["n_stations"], covered=summary["population_covered"],
                total=summary["population_total"], share=summary["covered_share"],
            )
        ) + "</div>"
    legend = (
        '<div id="planner-legend" style="position:fixed;bottom:24px;left:12px;z-index:1000;background:white;'
        'padding:8px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif">'
        f"<b>{html.escape(t['legend'])}</b>{lines}{extra}</div>"
    )
    fmap.get_root().html.add_child(folium.Element(legend))
    return fmap
