"""The map's layers, one builder each.

The offline basemap, stations by status and tier, walking areas, the planning boundary, areas by share covered, homes,
the heat map of the uncovered, candidate sites and the walking network; and the summary panel.

Each builder adds its :class:`folium.FeatureGroup` (the layer control lists it) to the map; the order
of the calls in :func:`plan_map` is the order of the layers on the page.
"""

from __future__ import annotations

import html
import json
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from planner.outputs.maps.elements import Areas, HeatLayer, Lines, Points, Polygons, Shapes, popup
from planner.outputs.maps.gcj02 import to_map_datum
from planner.outputs.maps.labels import Labels, html_text
from planner.outputs.maps.leaflet import heat_links
from planner.outputs.maps.shapes import basemap_polygons, footprint_polygons
from planner.outputs.maps.style import AREA_STYLE, COLOURS, MapStyle

# names with a leading underscore are for the other modules of planner.outputs.maps
__all__ = [
    "area_layer",
    "basemap_layer",
    "boundary_layer",
    "candidate_layer",
    "existing_layer",
    "heat_layer",
    "home_layers",
    "network_layer",
    "proposed_layers",
    "summary_panel",
    "walk_layer",
]


def basemap_layer(
    fmap: folium.Map,
    style: MapStyle,
    footprints: gpd.GeoDataFrame | None,
    isochrones: gpd.GeoDataFrame,
    net_parts: list[list[list[float]]],
) -> None:
    """The offline vector basemap: land use and buildings as light filled polygons, the streets over them."""
    t = style.labels
    group = folium.FeatureGroup(name=t["basemap"], control=False, show=True)
    for kind, polygons in basemap_polygons(footprints, isochrones, style.gcj02).items():
        if polygons:
            fill = COLOURS[kind]
            edge = (
                {"stroke": True, "color": COLOURS["building_edge"], "weight": 0.5, "opacity": 1.0}
                if kind == "building"
                else {"stroke": False}
            )
            Polygons(
                polygons,
                {
                    **edge,
                    "fill": True,
                    "fillColor": fill,
                    "fillOpacity": 1.0,
                    "interactive": False,
                    "pane": "planner-basemap",
                    "smoothFactor": 1.0,
                    "className": f"planner-basemap-{kind}",
                },
            ).add_to(group)
    Lines(
        net_parts,
        {
            "color": COLOURS["basemap"],
            "weight": 1.6,
            "opacity": 1.0,
            "interactive": False,
            "pane": "planner-basemap",
            "smoothFactor": 1.5,
            "attribution": t["osm_data"],
            "className": "planner-basemap",
        },
    ).add_to(group)
    group.add_to(fmap)


def proposed_layers(
    fmap: folium.Map, style: MapStyle, proposed: gpd.GeoDataFrame, total: float, *, tiered: bool
) -> bool:
    """The proposed stations, one layer per tier present (centres first).

    ``True`` when drawn by tier (more than one tier, or community centres only), else one layer "Proposed stations".
    """
    t = style.labels
    tiers = proposed["tier"].astype(str).to_numpy() if "tier" in proposed else np.full(len(proposed), "grid")
    present = [x for x in ("centre", "grid") if (tiers == x).any()] + sorted(set(tiers) - {"centre", "grid"})
    by_tier = len(present) > 1 or present[:1] == ["centre"]
    for tier in present or ["grid"]:
        name = t.get(f"proposed_{tier}_layer", t["proposed_layer"]) if by_tier else t["proposed_layer"]
        group = folium.FeatureGroup(name=html.escape(name), show=True)
        sel = proposed[tiers == tier] if len(proposed) else proposed
        _station_markers(sel, group, t, style.minutes, total, "proposed", tiered=tiered)
        group.add_to(fmap)
    return by_tier


def existing_layer(
    fmap: folium.Map,
    style: MapStyle,
    existing: gpd.GeoDataFrame,
    existing_centre: np.ndarray,
    total: float,
    *,
    tiered: bool,
) -> None:
    """The existing stations (``existing_centre``: which are community centres), when there are any."""
    if not len(existing):
        return
    t = style.labels
    name = t["existing_tiered_layer" if existing_centre.any() else "existing_layer"]
    group = folium.FeatureGroup(name=html.escape(name), show=True)
    _station_markers(existing, group, t, style.minutes, total, "existing", tiered=tiered)
    group.add_to(fmap)


def walk_layer(fmap: folium.Map, style: MapStyle, isochrones: gpd.GeoDataFrame) -> None:
    """The walking areas, one GeoJSON document (the layer is there, empty, without any)."""
    walk = folium.FeatureGroup(name=html.escape(style.labels["areas"].format(minutes=style.minutes)), show=True)
    if len(isochrones):
        iso = to_map_datum(isochrones, style.gcj02)[["site_id", "geometry"]].copy()
        iso["site_id"] = iso["site_id"].astype(str).map(html_text)
        Shapes(
            _geojson_dict(iso),
            {
                "color": COLOURS["proposed"],
                "weight": 1,
                "opacity": 0.6,
                "fillColor": COLOURS["proposed"],
                "fillOpacity": 0.12,
                "interactive": False,
                "pane": "planner-areas",
            },
        ).add_to(walk)
    walk.add_to(fmap)


def _geojson_dict(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """``json.loads(frame.to_json(drop_id=True))`` without writing and parsing the JSON text in between.

    The page writes the dictionary as JSON again; tuples come out as the lists the text would
    have given, and every number is the same float. A frame in another CRS than EPSG:4326
    gets a ``crs`` member from ``to_json``: it takes the text's way.
    """
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        return json.loads(frame.to_json(drop_id=True))
    return frame.to_geo_dict(drop_id=True)


def boundary_layer(fmap: folium.Map, style: MapStyle, boundary: BaseGeometry) -> None:
    """The planning boundary (WGS-84) as a dashed outline."""
    outline = gpd.GeoDataFrame({"kind": ["boundary"]}, geometry=[boundary], crs="EPSG:4326")
    rings = footprint_polygons(outline, gcj02=style.gcj02, tolerance_m=2.0).get("boundary", [])
    group = folium.FeatureGroup(name=html.escape(style.labels["boundary_layer"]), show=True)
    Polygons(
        rings,
        {
            "color": "#252525",
            "weight": 2.5,
            "opacity": 0.9,
            "dashArray": "8 6",
            "fill": False,
            "interactive": False,
            "className": "planner-boundary",
        },
    ).add_to(group)
    group.add_to(fmap)


def area_layer(fmap: folium.Map, style: MapStyle, area_data: dict[str, Any]) -> None:
    """The areas by share covered (``area_data`` from :func:`_area_features`), in their clickable pane."""
    group = folium.FeatureGroup(name=html.escape(style.labels["area_layer"]), show=True)
    Areas(area_data, {**AREA_STYLE, "fill": True, "pane": "planner-area-share", "className": "planner-area"}).add_to(
        group
    )
    group.add_to(fmap)


def _nearest(unreachable: pd.DataFrame | None, t: Labels) -> dict[str, str]:
    """Per ``demand_id`` no candidate reaches: its nearest candidate as text (unescaped)."""
    nearest = {}
    if unreachable is not None:
        for row in unreachable.itertuples(index=False):
            if row.nearest_site_name is None or not np.isfinite(row.nearest_minutes):
                nearest[str(row.demand_id)] = t["no_candidate"]
            else:
                nearest[str(row.demand_id)] = t["nearest"].format(
                    name=row.nearest_site_name, minutes=row.nearest_minutes
                )
    return nearest


def home_layers(
    fmap: folium.Map, style: MapStyle, demand: gpd.GeoDataFrame, covered: np.ndarray, unreachable: pd.DataFrame | None
) -> None:
    """Homes covered and homes not covered, two layers of dots sized by population.

    A home no candidate reaches names its nearest candidate in the tooltip.
    """
    t = style.labels
    nearest = _nearest(unreachable, t)
    for flag, key_, layer in ((True, "covered", "homes_covered"), (False, "uncovered", "homes_uncovered")):
        group = folium.FeatureGroup(name=html.escape(t[layer]), show=True)
        sel = demand[covered == flag]
        rows = []
        for x, y, p, did in zip(sel.geometry.x, sel.geometry.y, sel["population"], sel["demand_id"].astype(str)):
            tip = f"{t[key_]} · {t['population']} {p:,.0f}"
            if did in nearest:
                tip += " · " + nearest[did]
            radius = round(float(min(3.0 + np.sqrt(max(p, 0.0)) / 4.0, 9.0)), 2)
            rows.append([round(y, 7), round(x, 7), radius, html_text(tip)])
        Points(
            rows,
            {
                "color": "#ffffff",
                "weight": 1,
                "fill": True,
                "fillColor": COLOURS[key_],
                "fillOpacity": 0.9,
                "className": f"planner-home planner-home-{key_}",
            },
        ).add_to(group)
        group.add_to(fmap)


def heat_layer(fmap: folium.Map, style: MapStyle, demand: gpd.GeoDataFrame, covered: np.ndarray) -> None:
    """The uncovered population as a heat map.

    The leaflet.heat plugin online; offline, graded glowing circles (no plugin needs fetching).
    """
    group = folium.FeatureGroup(name=html.escape(style.labels["heat_layer"]), show=True)
    unc = demand[~covered]
    if len(unc):
        weight = unc["population"].to_numpy(float)
        weight = weight / weight.max() if weight.max() > 0 else np.ones(len(unc))
        lat, lon = unc.geometry.y.to_numpy(), unc.geometry.x.to_numpy()
        if style.offline:
            for scale, colour, opacity in ((1.0, "#fecc5c", 0.18), (0.65, "#fd8d3c", 0.22), (0.35, "#e31a1c", 0.3)):
                rows = [
                    [round(a, 7), round(b, 7), round(float(scale * (40 + 140 * np.sqrt(w))), 1), None]
                    for a, b, w in zip(lat, lon, weight)
                ]
                Points(
                    rows,
                    {
                        "stroke": False,
                        "fill": True,
                        "fillColor": colour,
                        "fillOpacity": opacity,
                        "interactive": False,
                        "pane": "planner-heat",
                        "className": "planner-heat",
                    },
                    kind="circle",
                ).add_to(group)
        else:
            heat = HeatLayer(
                [[float(a), float(b), float(w)] for a, b, w in zip(lat, lon, weight)],
                radius=28,
                blur=22,
                min_opacity=0.35,
                max_zoom=16,
                control=False,
            )
            heat_links(heat, style.inline_assets)
            heat.add_to(group)
    group.add_to(fmap)


def candidate_layer(fmap: folium.Map, style: MapStyle, candidates: gpd.GeoDataFrame) -> None:
    """The candidate sites, a layer off by default."""
    t = style.labels
    group = folium.FeatureGroup(name=html.escape(t["candidates_layer"]), show=False)
    cand = to_map_datum(candidates, style.gcj02)
    kinds = cand["kind"].astype(str) if "kind" in cand else [""] * len(cand)
    rows = []
    for x, y, name, sid, kind in zip(
        cand.geometry.x, cand.geometry.y, cand["name"].astype(str), cand["site_id"].astype(str), kinds
    ):
        tip = f"{t['candidate']}: {name} · {t['site_id']} {sid}" + (f" · {kind}" if kind else "")
        rows.append([round(y, 7), round(x, 7), 4, html_text(tip)])
    Points(
        rows,
        {
            "color": COLOURS["candidate"],
            "weight": 1.5,
            "fill": True,
            "fillColor": "#ffffff",
            "fillOpacity": 1.0,
            "className": "planner-candidate",
        },
    ).add_to(group)
    group.add_to(fmap)


def network_layer(fmap: folium.Map, style: MapStyle, net_parts: list[list[list[float]]]) -> None:
    """The walking network, a layer off by default."""
    group = folium.FeatureGroup(name=html.escape(style.labels["network_layer"]), show=False)
    Lines(
        net_parts,
        {
            "color": COLOURS["network"],
            "weight": 1,
            "opacity": 0.8,
            "interactive": False,
            "pane": "planner-network",
            "className": "planner-network",
        },
    ).add_to(group)
    group.add_to(fmap)


def _station_markers(
    gdf: gpd.GeoDataFrame,
    group: folium.FeatureGroup,
    t: Labels,
    minutes: float,
    total: float,
    status: str,
    *,
    tiered: bool = False,
) -> None:
    """One DivIcon marker per station (class ``planner-station``) with a tooltip and a popup of its figures.

    With ``tiered`` (the plan has community centres), the tooltip and the popup's first row name each
    station by its status and tier (``t["proposed_centre"]``, ``t["existing_grid"]``, ...); else by its
    status alone (``t["proposed"]``, ``t["existing"]``).
    """
    if not len(gdf):
        return
    kinds = gdf["kind"].astype(str) if "kind" in gdf else [""] * len(gdf)
    tiers = gdf["tier"].astype(str) if "tier" in gdf else ["grid"] * len(gdf)
    column = "population_within" if "population_within" in gdf else "population_covered"  # a user frame may use either
    pops = gdf[column] if column in gdf else [np.nan] * len(gdf)
    for x, y, name, sid, pop, kind, row_tier in zip(
        gdf.geometry.x, gdf.geometry.y, gdf["name"].astype(str), gdf["site_id"].astype(str), pops, kinds, tiers
    ):
        tier_class = row_tier if row_tier in ("centre", "grid") else "other"
        size = 20 if tier_class == "centre" else 16
        icon = folium.DivIcon(
            html="",
            icon_size=(size, size),
            icon_anchor=(size // 2, size // 2),
            class_name=f"planner-station planner-{status} planner-tier-{tier_class}",
        )
        label = t[f"{status}_{tier_class}"] if tiered and tier_class != "other" else t[status]
        rows = [
            (label, name),
            (t["site_id"], sid),
            (t["tier"], t.get(row_tier, row_tier) if row_tier in ("centre", "grid") else row_tier),
        ]
        if kind and kind != "nan":
            rows.append((t["kind"], kind))
        if pop is not None and np.isfinite(float(pop)):
            rows.append((t["population_covered"].format(minutes=minutes), f"{float(pop):,.0f}"))
            if total > 0:
                rows.append((t["share_of_all"], f"{float(pop) / total:.1%}"))
        marker = folium.Marker([float(y), float(x)], icon=icon, tooltip=folium.Tooltip(html_text(f"{label}: {name}")))
        marker.add_child(popup(rows))
        marker.add_to(group)


def summary_panel(
    t: Labels,
    summary: dict[str, Any] | None,
    st_existing: np.ndarray,
    n_existing: int,
    pop: np.ndarray,
    covered: np.ndarray,
    covered_before: np.ndarray | None,
    total: float,
    minutes: float,
) -> str:
    """The summary panel: stations, residents, covered before and after, share covered, the walk.

    The figures come from ``summary`` when given, else from ``pop``, ``covered`` and ``total``.
    """
    n_total = int(summary["n_stations"]) if summary else len(st_existing)
    n_ex = int(st_existing.sum()) if len(st_existing) and st_existing.any() else int(n_existing)
    after = float(summary["population_covered"]) if summary else float(pop[covered].sum())
    total = float(summary.get("population_total", total)) if summary else total
    before = float(pop[np.asarray(covered_before, bool)].sum()) if covered_before is not None and len(pop) else 0.0

    def share(v: float) -> float:
        return v / total if total else 0.0

    rows = [
        (
            t["summary_stations"],
            t["summary_stations_value"].format(stations=n_total, proposed=n_total - n_ex, existing=n_ex),
        ),
        (t["summary_total"], f"{total:,.0f}"),
        (t["summary_before"], f"{before:,.0f} ({share(before):.1%})"),
        (t["summary_after"], f"{after:,.0f} ({share(after):.1%})"),
        (t["summary_share"], f"{share(after):.1%}"),
        (t["summary_walk"], t["summary_walk_value"].format(minutes=minutes)),
    ]
    body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return (
        '<div id="planner-summary" class="planner-panel" style="position:fixed;top:12px;left:56px;z-index:1000">'
        f"<b>{html.escape(t['summary_title'])}</b><table>{body}</table></div>"
    )
