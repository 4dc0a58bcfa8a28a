"""The plan's geometry as the data of the map's layers.

The streets as lines, footprints (and the planning boundary) as polygons, areas as a GeoJSON document of their shares
covered.

Coordinates are moved to WGS-84 (and to GCJ-02 for Gaode's tiles) and rounded to keep the page small.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import Transformer

from planner.errors import InputError
from planner.io.datums import wgs84_to_gcj02
from planner.outputs.maps.gcj02 import to_map_datum
from planner.outputs.maps.labels import Labels, html_text, rows_html
from planner.outputs.maps.style import AREA_STEPS, COLOURS
from planner.reach.arrays import street_lines

# names with a leading underscore are for the other modules of planner.outputs.maps
__all__ = [
    "AREA_COLUMNS",
    "MAX_FOOTPRINTS",
    "area_features",
    "basemap_polygons",
    "footprint_polygons",
    "network_parts",
]

#: above this many footprints the offline basemap draws only those in the walking areas' bounding box;
#: the cap in force is the package's, ``planner.outputs.maps.MAX_FOOTPRINTS`` (read at each map, so callers may set it there)
MAX_FOOTPRINTS = 20_000

#: columns :func:`plan_map` reads from ``areas``
AREA_COLUMNS = ("area", "population", "population_covered", "covered_share")


# ----------------------------------------------------------------- streets


def network_parts(network: nx.MultiDiGraph, gcj02: bool, digits: int = 6) -> list[list[list[float]]]:
    """Every street of a projected network once (two-way pairs merged), as ``[[lat, lon], ...]`` lists."""
    coords = street_lines(network)
    sizes = [len(xy) for xy in coords]
    if not coords:
        return []
    xy = np.concatenate(coords)
    crs = network.graph.get("crs")
    if crs is not None and not str(crs).upper().endswith("4326"):
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    else:
        lon, lat = xy[:, 0], xy[:, 1]
    if gcj02:
        lon, lat = wgs84_to_gcj02(lon, lat)
    latlon = np.round(np.column_stack([lat, lon]), digits).tolist()
    parts: list[list[list[float]]] = []
    start = 0
    for n in sizes:
        parts.append(latlon[start : start + n])
        start += n
    return parts


# ----------------------------------------------------------------- footprints and the boundary


def footprint_polygons(
    shapes: gpd.GeoDataFrame | None,
    *,
    gcj02: bool = False,
    tolerance_m: float = 1.0,
    digits: int = 6,
    within: Sequence[float] | None = None,
) -> dict[str, list[Any]]:
    """
    Footprints as light Leaflet polygons for the offline basemap.

    Each shape is simplified with ``tolerance_m`` (in metres, topology kept), moved
    to WGS-84 (and to GCJ-02 when asked), its coordinates rounded to ``digits``
    decimals and each ring's closing point dropped (Leaflet closes rings itself).

    Parameters
    ----------
    shapes
        Polygons with a ``kind`` column (``"building"`` or ``"landuse"``), as
        returned by :func:`planner.load_demand` with ``footprints=True``; a shape
        with no ``kind`` counts as a building.
    gcj02
        Shift the coordinates by :func:`wgs84_to_gcj02`.
    tolerance_m
        Simplification tolerance in metres (0: none).
    digits
        Decimals kept of each latitude and longitude.
    within
        Optional ``(west, south, east, north)`` in ``shapes``' CRS: only the shapes
        that intersect this box are kept.

    Returns
    -------
    dict
        ``{"building": polygons, "landuse": polygons}``; ``polygons`` is a list of
        polygons (one per part of a multi-polygon), each a list of rings (exterior
        first), each a list of ``[lat, lon]``.
    """
    out: dict[str, list[Any]] = {"building": [], "landuse": []}
    if shapes is None or not len(shapes):
        return out
    if shapes.crs is None:
        shapes = shapes.set_crs("EPSG:4326")  # like every other layer without a CRS
    crs = shapes.crs
    geoms = shapes.geometry.values
    if crs is not None and crs.is_geographic:
        # simplify in metres: a local UTM zone
        local = shapes.estimate_utm_crs()
        geoms = shapes.geometry.to_crs(local).values
        crs = local
    kinds = shapes["kind"].astype(str).to_numpy() if "kind" in shapes else np.full(len(shapes), "building")
    keep = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)
    if within is not None:
        keep &= shapely.intersects(np.asarray(shapes.geometry.values), shapely.box(*within))
    geoms, kinds = geoms[keep], kinds[keep]
    if tolerance_m > 0:
        geoms = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    if not len(xy):
        return out
    if crs is not None and not crs.equals("EPSG:4326"):
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    else:
        lon, lat = xy[:, 0], xy[:, 1]
    if gcj02:
        lon, lat = wgs84_to_gcj02(lon, lat)
    latlon = np.round(np.column_stack([lat, lon]), digits)
    # drop each ring's closing point, then split the coordinates ring by ring
    last = np.r_[ring_of[1:] != ring_of[:-1], True]
    latlon, ring_of = latlon[~last], ring_of[~last]
    starts = np.searchsorted(ring_of, np.arange(len(rings) + 1))
    rows = latlon.tolist()
    polygons: list[list] = [[] for _ in range(len(parts))]
    for r in range(len(rings)):
        polygons[ring_part[r]].append(rows[starts[r] : starts[r + 1]])
    part_kind = kinds[owner]
    for p, kind in enumerate(part_kind):
        out.setdefault(str(kind), []).append(polygons[p])
    return out


def basemap_polygons(
    footprints: gpd.GeoDataFrame | None, isochrones: gpd.GeoDataFrame, gcj02: bool
) -> dict[str, list[Any]]:
    """Land use first, then buildings (drawing order); capped at :data:`MAX_FOOTPRINTS` (see :func:`plan_map`).

    Called by :func:`plan_map` through one builder: the warning names the line that called :func:`plan_map`.
    """
    cap = MAX_FOOTPRINTS
    if footprints is None or not len(footprints):
        return {}
    within = None
    if len(footprints) > cap and len(isochrones):
        both_crs = footprints.crs is not None and isochrones.crs is not None
        iso = isochrones.to_crs(footprints.crs) if both_crs else isochrones
        within = tuple(iso.total_bounds)
    shapes = footprint_polygons(footprints, gcj02=gcj02, within=within)
    if within is not None:
        drawn = len(shapes.get("building", [])) + len(shapes.get("landuse", []))
        warnings.warn(
            f"offline basemap: {len(footprints):,} footprints are more than {cap:,}; drew the "
            f"{drawn:,} polygons in the walking areas' bounding box only",
            stacklevel=4,
        )
    return {kind: shapes.get(kind, []) for kind in ("landuse", "building")}


# ----------------------------------------------------------------- areas by share covered


def _number(value: Any) -> float:
    """``value`` as a float; NaN for missing or non-numeric values."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _area_step(share: float) -> int:
    """Index in :data:`AREA_STEPS` of the step ``share`` falls in; -1 when it is missing."""
    if not np.isfinite(share):
        return -1
    bounds = [lo for lo, _ in AREA_STEPS]
    return max(int(np.searchsorted(bounds, share, side="right")) - 1, 0)


def area_features(
    areas: gpd.GeoDataFrame, gcj02: bool, t: Labels, digits: int = 7
) -> tuple[dict[str, Any], np.ndarray | None]:
    """The areas as a GeoJSON FeatureCollection for :class:`_Areas`.

    (fill colour, tooltip and popup per area) and their ``(west, south, east, north)`` in the map's coordinates
    (``None`` when none is drawn).

    Areas with no geometry (or an empty one) are left out; coordinates are rounded to ``digits`` decimals.
    """
    missing = [c for c in AREA_COLUMNS if c not in areas]
    if missing:
        raise InputError(f"areas: missing column(s) {', '.join(missing)} (expected {', '.join(AREA_COLUMNS)})")
    gdf = to_map_datum(areas, gcj02)
    geoms = np.asarray(gdf.geometry.values)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    gdf = gdf[keep]
    geoms = shapely.transform(geoms[keep], lambda xy: np.round(xy, digits))
    features = []
    for geom, name, pop, cov, share in zip(
        geoms, gdf["area"].astype(str), gdf["population"], gdf["population_covered"], gdf["covered_share"]
    ):
        pop, cov, share = _number(pop), _number(cov), _number(share)
        step = _area_step(share)
        shown = f"{share:.1%}" if np.isfinite(share) else "–"
        rows = [
            (t["area_name"], name),
            (t["population"], f"{pop:,.0f}" if np.isfinite(pop) else "–"),
            (t["area_covered"], f"{cov:,.0f}" if np.isfinite(cov) else "–"),
            (t["area_share"], shown),
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "fill": AREA_STEPS[step][1] if step >= 0 else COLOURS["area_missing"],
                    "tooltip": html_text(f"{name}: {shown}"),
                    "popup": rows_html(rows),
                },
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    bounds = shapely.total_bounds(geoms) if len(geoms) else None
    return {"type": "FeatureCollection", "features": features}, bounds
