"""The plan map: :func:`plan_map` draws a :class:`planner.Plan`; :func:`draw_map` draws any :class:`MapContent`.

:func:`draw_map` checks its options into a :class:`MapStyle`, prepares the stations and homes, and calls one builder
per layer (:mod:`planner.outputs.maps.layers`), then adds the legend and the summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from branca.element import Figure
from shapely.geometry.base import BaseGeometry

from planner.errors import InputError
from planner.network.boundary import planning_area
from planner.outputs.maps.gcj02 import to_map_datum
from planner.outputs.maps.labels import legend_html
from planner.outputs.maps.layers import (
    area_layer,
    basemap_layer,
    boundary_layer,
    candidate_layer,
    existing_layer,
    heat_layer,
    home_layers,
    network_layer,
    proposed_layers,
    summary_panel,
    walk_layer,
)
from planner.outputs.maps.leaflet import BASEMAPS, ZoomControl, check_basemap, page_assets, tile_layers
from planner.outputs.maps.shapes import area_features, network_parts
from planner.outputs.maps.style import MapStyle
from planner.outputs.maps.whatif import WhatIf, whatif_inputs, whatif_layers, whatif_legend
from planner.outputs.summary import plan_summary
from planner.result import Plan
from planner.text import words

__all__ = ["MapContent", "draw_map", "plan_map", "stable_ids"]


@dataclass(frozen=True)
class _Stations:
    """The stations and homes of a plan in the map's coordinates (EPSG:4326, or GCJ-02 for Gaode)."""

    #: every chosen station, and per station whether it is an existing one
    stations: gpd.GeoDataFrame
    station_existing: np.ndarray
    #: the proposed stations
    proposed: gpd.GeoDataFrame
    #: the existing stations, with their figures and tier from ``stations``
    existing: gpd.GeoDataFrame
    #: per existing station: a community centre
    existing_centre: np.ndarray
    #: any station, proposed or existing, is a community centre: stations are named by status and tier
    tiered: bool
    #: the demand points (homes)
    demand: gpd.GeoDataFrame


@dataclass(frozen=True)
class MapContent:
    """
    What a plan map shows: the stations, their walking areas, the homes and the optional layers.

    :func:`plan_map` makes it from a :class:`planner.Plan`; a script with its own stations and areas makes it by hand
    and draws it with :func:`draw_map`.

    Attributes
    ----------
    stations
        Chosen stations with ``site_id``, ``name``, ``population_within`` (or ``population_covered``) and
        optionally ``existing`` (bool), ``tier`` (centre / grid) and ``kind``.
        Existing ones are drawn in the existing layer, the rest by tier. When
        any station, proposed or existing, is a ``"centre"``, the tooltips and
        popups name every station by status and tier ("Proposed community
        centre", "Existing grid station"; 拟建社区党群服务中心, 现有网格站, ...)
        and the legend has an item for existing community centres when there
        are any; with grid stations only, "Proposed station" / "Existing
        station" (拟建网格站 / 现有网格站).
    isochrones
        Their walking areas (one polygon per station).
    demand
        Demand points with ``demand_id`` and ``population``.
    covered
        Boolean per demand row: within the walk of a chosen station.
    existing
        Existing stations with ``site_id`` and ``name`` (their own layer; figures
        come from the matching row of ``stations``).
    minutes
        The walking limit, for labels.
    summary
        Optional dict with ``n_stations``, ``population_covered``,
        ``population_total`` and ``covered_share`` (else computed from
        ``demand`` and ``covered``).
    unreachable
        Optional table from :func:`planner.reach.unreachable.diagnose_unreachable`: homes no
        candidate reaches get their nearest candidate in the tooltip.
    candidates
        Optional candidate sites (``site_id``, ``name``, ``kind``): a layer, off
        by default.
    network
        Optional projected walking network: a layer, off by default, and the
        offline vector basemap.
    covered_before
        Optional boolean per demand row: covered by existing stations alone
        (the summary's "before"); none covered when omitted.
    footprints
        Optional polygons with ``kind`` (``"building"`` / ``"landuse"``), as
        :func:`planner.load_demand` returns them with ``footprints=True``: drawn
        offline only (tiles show buildings online), as light grey filled polygons
        under the streets (land use lighter, under the buildings), simplified by
        :func:`footprint_polygons`. A plan from a demand file has none: only the
        streets are drawn. Above :data:`MAX_FOOTPRINTS` shapes, only those in the
        bounding box of ``isochrones`` are drawn (all of them when there are no
        walking areas), with a warning.
    areas
        Optional polygons (any CRS; none means EPSG:4326) with the columns of
        :data:`AREA_COLUMNS`: ``area`` (name), ``population``,
        ``population_covered`` and ``covered_share`` (0 to 1). Drawn as a layer
        shown by default ("Areas by share covered" / 社区覆盖率), under the walking
        areas and the stations, each filled by its share in the colour steps of
        :data:`AREA_STEPS` (grey without a share), with a tooltip "name: share"
        and a popup of its name, population, population covered and share; the
        legend gets one item per step. Shifted to GCJ-02 like every overlay with
        ``basemap="gaode"``; the map's view includes them.
    boundary
        Optional planning boundary (a shapely polygon, WGS-84): a dashed outline
        layer ("Planning boundary" / 规划范围).
    whatif
        Optional :class:`~planner.outputs.maps.whatif.WhatIf` data: the stations, walking areas and homes are drawn by the
        page's what-if script instead (click a site to add or remove it; ``window.stationPlanner``), with its panel
        and legend in place of the summary panel, the heat map and the candidate layer.
    """

    stations: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    covered: np.ndarray
    existing: gpd.GeoDataFrame | None = None
    minutes: float = 5.0
    summary: dict[str, Any] | None = None
    unreachable: pd.DataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None
    network: nx.MultiDiGraph | None = None
    covered_before: np.ndarray | None = None
    footprints: gpd.GeoDataFrame | None = None
    areas: gpd.GeoDataFrame | None = None
    boundary: BaseGeometry | None = None
    whatif: WhatIf | None = None


def plan_map(
    plan: Plan,
    *,
    lang: str = "en",
    offline: bool = False,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    inline_assets: bool = False,
    whatif: bool = False,
) -> folium.Map:
    """
    The Folium map of a plan: its stations, walking areas, homes, areas, boundary and figures.

    Parameters
    ----------
    plan
        A plan of :func:`planner.plan`.
    lang
        ``"en"`` or ``"zh"``.
    offline, inline_assets
        ``offline``: one self-contained page, Leaflet inlined, the plan's streets and footprints as the basemap (a
        ``basemap`` other than ``osm`` tiled over them); ``inline_assets``: Leaflet inlined only.
    basemap, tianditu_key
        Tile service (``osm``, ``carto``, ``tianditu``, ``gaode``) and the Tianditu key.
    whatif
        Click to add and remove stations in the browser (:func:`planner.outputs.maps.whatif_inputs`).

    Returns
    -------
    folium.Map
        As :func:`draw_map` draws it.
    """
    is_existing = plan.existing
    content = MapContent(
        plan.stations,
        plan.isochrones,
        plan.demand,
        plan.solution.covered,
        existing=plan.sites[is_existing],
        minutes=plan.minutes,
        summary=plan_summary(plan),
        unreachable=plan.unreachable,
        candidates=plan.sites[~is_existing],
        network=plan.network,
        covered_before=plan.ledger.before,
        footprints=plan.footprints,
        areas=plan.areas,
        boundary=planning_area(plan.network),
        whatif=whatif_inputs(plan) if whatif else None,
    )
    view: dict[str, Any] = {"offline": offline, "basemap": basemap, "tianditu_key": tianditu_key}
    return draw_map(content, lang=lang, inline_assets=inline_assets, **view)


def draw_map(
    content: MapContent,
    *,
    lang: str = "en",
    offline: bool = False,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    inline_assets: bool = False,
) -> folium.Map:
    """
    Draw a plan's layers (:class:`MapContent`) on a Folium map.

    Parameters
    ----------
    content
        What the map shows (see :class:`MapContent`).
    lang
        ``"en"`` or ``"zh"``: every label, legend and popup.
    offline
        Inline Leaflet (as ``inline_assets``) and draw ``network`` and ``footprints``
        as a light basemap: the file renders with no network. With the default
        ``basemap="osm"`` no tiles are loaded; with another basemap its tiles are
        laid over the drawn streets wherever the network reaches them.
    basemap
        ``"osm"`` (default), ``"carto"``, ``"tianditu"`` or ``"gaode"``. With
        ``"gaode"`` (GCJ-02 tiles) every overlay is shifted by :func:`wgs84_to_gcj02`.
    tianditu_key
        Key for Tianditu tiles (else the ``TIANDITU_KEY`` environment variable).
    inline_assets
        Write Leaflet's JavaScript and CSS (from ``django-js-lib-leaflet``) and the
        Leaflet.heat plugin (from folium) into the page: no CDN is asked, only the
        basemap's tiles (``basemap="gaode"`` works in mainland China).

    Returns
    -------
    folium.Map
        Layers, a layer control, a legend and a summary panel.

    Raises
    ------
    InputError
        Unknown ``lang`` or ``basemap``, Tianditu without a key,
        ``covered`` of the wrong length, ``areas`` without one of its columns.
    """
    c = content
    style = _map_style(
        lang, c.minutes, offline=offline, basemap=basemap, tianditu_key=tianditu_key, inline_assets=inline_assets
    )
    covered = np.asarray(c.covered, dtype=bool)
    if len(covered) != len(c.demand):
        raise InputError(f"covered: {len(covered)} values for {len(c.demand)} demand points")
    data = _stations(c.stations, c.demand, c.existing, style.gcj02)
    area_data, area_bounds = area_features(c.areas, style.gcj02, style.labels) if c.areas is not None else (None, None)
    west, south, east, north = _view(data, area_bounds)
    fmap = _new_map(style, [(south + north) / 2, (west + east) / 2], area_share=area_data is not None)
    net_parts = network_parts(c.network, style.gcj02) if c.network is not None else []
    if style.offline:
        basemap_layer(fmap, style, c.footprints, c.isochrones, net_parts)
    if style.tiles:
        tile_layers(fmap, basemap, style.tianditu_key, lang, style.labels["osm_data"], credit_osm=not style.offline)
    legend, panel = _overlays(fmap, style, c, data, covered, area_data)
    if net_parts:
        network_layer(fmap, style, net_parts)

    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    root = cast(Figure, fmap.get_root())
    root.html.add_child(folium.Element(legend), name="planner_legend")
    if panel is not None:
        root.html.add_child(folium.Element(panel), name="planner_summary")
    stable_ids(root)
    return fmap


def _overlays(
    fmap: folium.Map, style: MapStyle, c: MapContent, data: _Stations, covered: np.ndarray, area_data: Any
) -> tuple[str, str | None]:
    """Add the plan's layers over the basemap, in drawing order; return the legend and the summary panel (HTML)."""
    t = style.labels
    dem = data.demand
    total = float(dem["population"].sum()) if len(dem) else 0.0
    if c.whatif is None:
        by_tier = proposed_layers(fmap, style, data.proposed, total, tiered=data.tiered)
        existing_layer(fmap, style, data.existing, data.existing_centre, total, tiered=data.tiered)
        walk_layer(fmap, style, c.isochrones)
    if c.boundary is not None:
        boundary_layer(fmap, style, c.boundary)
    if area_data is not None:
        area_layer(fmap, style, area_data)
    if c.whatif is not None:
        whatif_layers(fmap, style, c.whatif, c.demand)
        return whatif_legend(style.lang, c.minutes), None
    home_layers(fmap, style, dem, covered, c.unreachable)
    heat_layer(fmap, style, dem, covered)
    if c.candidates is not None and len(c.candidates):
        candidate_layer(fmap, style, c.candidates)
    legend = legend_html(
        t,
        c.minutes,
        by_tier=by_tier,
        tiered=data.tiered,
        existing_centre=data.existing_centre,
        areas=area_data is not None,
    )
    pop = dem["population"].to_numpy(float) if len(dem) else np.zeros(0)
    panel = summary_panel(
        t, c.summary, data.station_existing, len(data.existing), pop, covered, c.covered_before, total, c.minutes
    )
    return legend, panel


def stable_ids(root: Any) -> None:
    """
    Number every element of a folium page in tree order instead of folium's random ids.

    branca gives each element a random 32-hex id, so two runs of the same plan wrote
    different pages; ids numbered breadth-first from the root make ``plan.html`` the same
    bytes for the same plan (call it after the last element is added).
    """
    seen: set[int] = set()
    queue = [root]
    order = []
    while queue:
        element = queue.pop(0)
        if id(element) in seen:
            continue
        seen.add(id(element))
        order.append(element)
        queue.extend(getattr(element, "_children", {}).values())
    for i, element in enumerate(order):
        element._id = f"{i:032x}"


def _map_style(
    lang: str, minutes: float, *, offline: bool, basemap: str, tianditu_key: str | None, inline_assets: bool = False
) -> MapStyle:
    """The options of :func:`plan_map`, checked.

    :class:`InputError` for an unknown language or basemap, Tianditu without a usable key.
    """
    t = words(lang, "map")
    key = check_basemap(basemap, tianditu_key, offline=offline, inline_assets=inline_assets)
    return MapStyle(
        labels=t,
        lang=lang,
        minutes=minutes,
        offline=offline,
        basemap=basemap,
        tianditu_key=key,
        gcj02=BASEMAPS[basemap]["gcj02"],
        inline_assets=inline_assets or offline,
    )


def _stations(
    stations: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, existing: gpd.GeoDataFrame | None, gcj02: bool
) -> _Stations:
    """Stations and homes in the map's coordinates.

    The existing stations (``existing``, else the rows of ``stations`` marked ``existing``) take their figures and tier
    from the matching row of ``stations``.
    """
    st = to_map_datum(stations, gcj02)
    dem = to_map_datum(demand, gcj02)
    st_existing = st["existing"].to_numpy(bool) if "existing" in st else np.zeros(len(st), bool)
    proposed = st[~st_existing]
    if existing is not None:
        ex = to_map_datum(existing, gcj02)
    else:
        ex = st[st_existing]
    if len(ex):
        # existing stations take their figures and tier from the matching row of ``stations``
        figures = st.set_index(st["site_id"].astype(str))
        ex = ex.copy()
        sid = ex["site_id"].astype(str)
        column = "population_within" if "population_within" in figures else "population_covered"
        if "population_within" not in ex and "population_covered" not in ex and column in figures:
            ex[column] = sid.map(figures[column]).to_numpy() if len(figures) else np.nan
        if "tier" not in ex and "tier" in figures:
            ex["tier"] = sid.map(figures["tier"]).to_numpy()
    # a plan "has tiers" when any station, proposed or existing, is a community centre: then every
    # station is named by its status and tier ("Proposed grid station", "Existing community centre")
    ex_centre = ex["tier"].astype(str).to_numpy() == "centre" if "tier" in ex else np.zeros(len(ex), bool)
    tiered = bool(ex_centre.any()) or ("tier" in st and bool((st["tier"].astype(str) == "centre").any()))
    return _Stations(
        stations=st,
        station_existing=st_existing,
        proposed=proposed,
        existing=ex,
        existing_centre=ex_centre,
        tiered=tiered,
        demand=dem,
    )


def _view(data: _Stations, area_bounds: np.ndarray | None) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of the stations, homes and areas (the world when there are none)."""
    pts = [g.total_bounds for g in (data.stations, data.demand, data.existing) if len(g)]
    pts += [area_bounds] if area_bounds is not None else []
    bounds = np.array(pts or [[-180, -85, 180, 85]])
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()
    return west, south, east, north


def _new_map(style: MapStyle, location: list[float], *, area_share: bool) -> folium.Map:
    """An empty map at ``location`` with the zoom buttons in the map's language.

    Leaflet's files, the planner's CSS and the panes: basemap under everything, areas / heat / network under the homes,
    and (``area_share``) the areas by share covered, over the basemap, under the walking areas, and clickable.
    """
    t = style.labels
    fmap = folium.Map(location=location, zoom_start=15, tiles=None, control_scale=True, zoom_control=False)
    ZoomControl(t["zoom_in"], t["zoom_out"]).add_to(fmap)
    page_assets(fmap, style.inline_assets, style.offline)
    # the drawn basemap under Leaflet's tile pane (200): an offline page's tiles cover it where they load
    for name, z in (("planner-basemap", 150), ("planner-areas", 350), ("planner-heat", 360), ("planner-network", 370)):
        folium.map.CustomPane(name, z_index=z, pointer_events=False).add_to(fmap)
    if area_share:
        folium.map.CustomPane("planner-area-share", z_index=340, pointer_events=True).add_to(fmap)
    return fmap
