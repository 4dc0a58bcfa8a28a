"""Stage 2a: where people live.

:func:`load_demand` returns demand points with a ``population``. Three methods,
chosen automatically for OSM sources and reported in the ``method`` column:

``buildings``
    Residential buildings (``building`` in :attr:`Defaults.residential_building_types`):
    population = footprint area x levels / floor area per person.
``buildings+landuse`` (or ``landuse`` when no building qualifies)
    Compounds (小区) are often mapped only as ``landuse=residential``, common in
    Chinese county towns: every residential land-use polygon that holds no home is
    sampled on a grid of :attr:`Defaults.landuse_spacing_m`; population = area x
    :attr:`Defaults.landuse_density_per_ha`. Where residential buildings are sparse
    (fewer than :attr:`Defaults.min_residential_buildings`), untyped buildings
    (``building=yes``) inside residential land use count as homes first.
``buildings_untyped``
    Residential buildings sparse and no residential land use: residential and
    untyped buildings, populated as in ``buildings``.

A user file (CSV with ``lon``, ``lat``, ``population``; GeoJSON / GPKG with a
``population`` column) gives method ``file``.

With ``footprints=True`` :func:`load_demand` also returns the shapes read on the way
(every building polygon, and the residential land use sampled for homes) so that
the offline map can draw them as its basemap without reading OSM again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from planner.config import DEFAULTS, check_positive
from planner.demand.raster import is_raster, read_raster_demand
from planner.errors import DataError, InputError
from planner.io import read_points
from planner.network.boundary import split_by_boundary
from planner.network.osm import OSMSource, read_features
from planner.network.sources import network_source
from planner.reach.snapping import check_datum, drop_far_points

if TYPE_CHECKING:
    from geopandas.array import GeometryArray

__all__ = ["footprint_frame", "landuse_points", "load_demand"]

log = logging.getLogger(__name__)


def load_demand(
    source: str | os.PathLike | None = None,
    *,
    network: nx.MultiDiGraph,
    floor_area_per_person_m2: float = DEFAULTS.floor_area_per_person_m2,
    landuse_density_per_ha: float = DEFAULTS.landuse_density_per_ha,
    landuse_spacing_m: float = DEFAULTS.landuse_spacing_m,
    min_residential_buildings: int = DEFAULTS.min_residential_buildings,
    max_snap_m: float = DEFAULTS.max_snap_m,
    progress: Callable[[str, float], None] | None = None,
    footprints: bool = False,
    crs: str | None = None,
    population_column: str | None = None,
    raster_mode: str = "buildings",
    raster_units: str | None = None,
    raster_band: int | None = None,
) -> gpd.GeoDataFrame | tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """
    Estimate where people live.

    Parameters
    ----------
    source
        ``None`` to read residential buildings / land use from the network's own OSM
        source, or a CSV / Excel / GeoJSON / GPKG / shapefile of points with
        ``population``, or a GIS file of areas (community boundaries, 社区) with a
        census ``population`` each: every area's count is spread over homes inside
        it (residential buildings, residential land use or an even grid, see
        :mod:`planner.demand.areas`), kept exactly, its name in the homes' ``area``
        column and ``method`` ``"areas"``.
    network
        The walking network (its CRS is used; points too far from it are dropped).
    floor_area_per_person_m2, landuse_density_per_ha, landuse_spacing_m, min_residential_buildings
        See :class:`planner.config.Defaults`.
    max_snap_m
        Points farther than this from every street are kept, with a warning:
        they count in every population total and as not covered (column
        ``street_m`` holds each point's distance to its nearest street).
    progress
        Optional callback ``progress(message, fraction)``.
    crs
        Datum or CRS of the file's coordinates: ``None`` / ``"wgs84"``, ``"gcj02"``
        (Amap / Gaode / Tencent), ``"bd09"`` (Baidu) or a pyproj CRS such as
        ``"EPSG:4547"`` (see :func:`planner.io.read_points`). With ``None``, WGS-84
        points in China that sit markedly closer to the streets read as GCJ-02 or
        BD-09 get a warning naming the option.
    population_column
        The file's column holding the population, when its header is none of
        :data:`planner.config.COLUMN_ALIASES` (``--population-column``).
    raster_mode, raster_units, raster_band
        For a population raster (``.tif`` / ``.tiff`` / ``.vrt``: WorldPop, GHS-POP):
        ``"buildings"`` (each cell's people on the OSM residential buildings in it,
        by floor area; cells without one at their centre) or ``"cells"``; ``"count"``
        or ``"density"`` (people per km2; default from the metadata); the band of a
        multi-band file. See :mod:`planner.demand.raster`; ``demand.attrs["raster"]``
        describes the raster read (name, resolution, population inside and outside
        the study area). For a file of areas, ``demand.attrs["areas"]`` holds them
        (EPSG:4326, with ``area`` and ``population``; see :func:`planner.load_areas`).
    footprints
        Also return the polygons read on the way, for a map's basemap (see below).
        The demand points are the same either way.

    Returns
    -------
    demand
        Points in the network's CRS with ``demand_id`` (str), ``population`` (float),
        ``method`` and ``kind`` (``building``, ``landuse`` or ``file``), ordered by
        ``demand_id``.
    shapes
        Only with ``footprints=True``: polygons in the network's CRS with ``kind``
        (see :func:`footprint_frame`). For the OSM methods, every building polygon
        of the source (``kind="building"``, homes or not; none for the ``landuse``
        method when the source maps no building) and the residential land-use
        polygons that were sampled for homes because they hold no residential
        building (``kind="landuse"``: all of them for the ``landuse`` method, none
        for ``buildings`` and ``buildings_untyped``). For a user file nothing is
        read, so ``shapes`` is empty. Shapes are not filtered by distance to the
        network.

    Raises
    ------
    InputError
        Unreadable file or wrong columns.
    DataError
        No homes in the area, or every point off the network.
    """
    osm_options: dict[str, Any] = {
        "floor_area_per_person_m2": check_positive("floor_area_per_person_m2", floor_area_per_person_m2),
        "landuse_density_per_ha": check_positive("landuse_density_per_ha", landuse_density_per_ha),
        "landuse_spacing_m": check_positive("landuse_spacing_m", landuse_spacing_m),
        "min_residential_buildings": min_residential_buildings,
    }
    net_crs = network.graph["crs"]
    if source is None:
        src = network_source(network)
        if progress:
            progress(f"reading residential buildings from {src.label}", 0.0)
        demand, shapes = _from_osm(src, net_crs, **osm_options)
        return _finish(demand, shapes, source, network, max_snap_m, progress, footprints)
    if is_raster(source):
        demand, shapes, info = _from_raster(
            source, network, osm_options, progress, mode=raster_mode, units=raster_units, band=raster_band
        )
        out = _finish(demand, shapes, source, network, max_snap_m, progress, footprints)
        frame: gpd.GeoDataFrame = out[0] if footprints else out
        frame.attrs["raster_outside"] = info.pop("outside_records")  # rows of plan.gpkg's left_out layer
        frame.attrs["raster"] = info
        return out
    gdf = read_points(
        source, what="demand", numeric=("population",), crs=crs, population_column=population_column, polygons=True
    )
    if _are_areas(source, gdf):
        demand, shapes, areas = _from_areas(source, network, crs, population_column, osm_options, progress)
        out = _finish(demand, shapes, source, network, max_snap_m, progress, footprints)
        (out[0] if footprints else out).attrs["areas"] = areas  # type: ignore[union-attr]  # out[0] with footprints
        return out
    demand = _from_points(source, gdf, network, crs)
    return _finish(demand, footprint_frame([], [], net_crs), source, network, max_snap_m, progress, footprints)


def _from_raster(
    source: str | os.PathLike,
    network: nx.MultiDiGraph,
    osm_options: dict,
    progress: Callable[[str, float], None] | None,
    *,
    mode: str,
    units: str | None,
    band: int | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, Any]]:
    """Homes from a population raster (see :mod:`planner.demand.raster`), the basemap shapes, the raster's account.

    With ``mode="buildings"`` and an OSM network, each cell's people go to the
    residential buildings :func:`load_demand` would make homes of.
    """
    crs = network.graph["crs"]
    buildings = None
    shapes = footprint_frame([], [], crs)
    if mode == "buildings" and "source_kind" in network.graph:
        buildings, shapes, _ = _osm_buildings(network, crs, osm_options, progress)
    if progress:
        progress(f"reading population raster {source}", 0.3)
    demand, info = read_raster_demand(source, network, mode=mode, units=units, band=band, buildings=buildings)
    return demand, shapes, info


def _are_areas(source: str | os.PathLike, gdf: gpd.GeoDataFrame) -> bool:
    """Whether a demand file holds areas (polygons) rather than points; raises :class:`InputError` for a mix."""
    polygonal = gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if polygonal.any() and not polygonal.all():
        i = int(np.flatnonzero(polygonal != polygonal[0])[0])
        raise InputError(
            f"{source}: row {i + 1} is a {gdf.geometry.geom_type.iloc[i]} but row 1 a "
            f"{gdf.geometry.geom_type.iloc[0]}; expected demand as points or as areas, not both"
        )
    return bool(polygonal.any())


def _from_points(
    source: str | os.PathLike, gdf: gpd.GeoDataFrame, network: nx.MultiDiGraph, declared: str | None
) -> gpd.GeoDataFrame:
    """Homes from a file of points with ``population`` (method and kind ``file``), in the network's CRS.

    The points' datum is checked against the streets first (see
    :func:`planner.reach.snapping.check_datum`); ids are ``d000000``... when the
    file has no ``demand_id``.
    """
    check_datum(network, gdf, what="demand points", source=source, option="demand", declared=declared)
    crs = network.graph["crs"]
    ids = gdf["demand_id"].astype(str) if "demand_id" in gdf else pd.Series([f"d{i:06d}" for i in range(len(gdf))])
    return gpd.GeoDataFrame(
        {
            "demand_id": ids.to_numpy(),
            "population": gdf["population"].to_numpy(float),
            "method": "file",
            "kind": "file",
            # the compound's name (小区名称), when the file gives one: named in the outputs beside its id
            **({"name": gdf["name"].to_numpy(object)} if "name" in gdf else {}),
        },
        geometry=gdf.geometry.to_crs(crs).values,
        crs=crs,
    )


def _finish(
    demand: gpd.GeoDataFrame,
    shapes: gpd.GeoDataFrame,
    source: str | os.PathLike | None,
    network: nx.MultiDiGraph,
    max_snap_m: float,
    progress: Callable[[str, float], None] | None,
    footprints: bool,
) -> gpd.GeoDataFrame | tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Unique ids, distance to the streets, id order; the return value of :func:`load_demand`."""
    if demand["demand_id"].duplicated().any():
        dup = demand.loc[demand["demand_id"].duplicated(), "demand_id"].iloc[0]
        error = InputError if source is not None else DataError
        raise error(
            f"{source if source is not None else 'demand'}: demand_id {dup!r} appears more than once; expected unique ids"
        )
    demand, outside = split_by_boundary(network, demand, "homes")
    demand = drop_far_points(network, demand, what="demand", max_snap_m=max_snap_m, keep=True)
    demand = demand.sort_values("demand_id", kind="stable").reset_index(drop=True)
    if "boundary" in network.graph:
        demand.attrs["outside_boundary"] = outside
    if source is not None:
        demand.attrs["file"] = os.path.basename(os.fspath(source))  # named in the summary and the report
    if progress:
        progress(f"demand: {len(demand):,} points, population {demand['population'].sum():,.0f}", 1.0)
    return (demand, shapes) if footprints else demand


def _osm_buildings(
    network: nx.MultiDiGraph,
    crs: pyproj.CRS | str,
    osm_options: dict,
    progress: Callable[[str, float], None] | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, GeometryArray]:
    """The OSM residential buildings :func:`load_demand` would make homes of (their estimated residents.

    Floor-area weights), the basemap shapes, and every residential land-use polygon.
    """
    src = network_source(network)
    if progress:
        progress(f"reading residential buildings from {src.label}", 0.0)
    osm, shapes, landuse = _from_osm(src, crs, quiet_empty=True, **osm_options)
    return osm[(osm["kind"] == "building").to_numpy()], shapes, landuse


def _from_areas(
    source: str | os.PathLike,
    network: nx.MultiDiGraph,
    crs: str | None,
    population_column: str | None,
    osm_options: dict,
    progress: Callable[[str, float], None] | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Homes spread over a polygon layer's census counts (see :mod:`planner.demand.areas`); also the areas (EPSG:4326)."""
    from planner.demand.areas import load_areas, spread_population

    areas = load_areas(source, crs=crs, population=True, population_column=population_column, what="demand areas")
    net_crs = network.graph["crs"]
    if "source_kind" in network.graph:
        buildings, shapes, landuse = _osm_buildings(network, net_crs, osm_options, progress)
    else:
        log.warning("the network carries no OSM source: areas are spread over an even grid")
        buildings, landuse, shapes = gpd.GeoDataFrame(geometry=[], crs=net_crs), [], footprint_frame([], [], net_crs)
    homes = spread_population(
        areas.to_crs(net_crs), buildings, landuse, landuse_spacing_m=osm_options["landuse_spacing_m"]
    )
    return homes, shapes, areas


def footprint_frame(buildings: npt.ArrayLike, landuse: npt.ArrayLike, crs: pyproj.CRS | str) -> gpd.GeoDataFrame:
    """
    The basemap shapes of :func:`load_demand` as one frame: buildings, then land use.

    Parameters
    ----------
    buildings, landuse
        Polygon geometries (GeoSeries, arrays or lists); other geometry types are
        left out.
    crs
        Their CRS.

    Returns
    -------
    shapes
        A GeoDataFrame with ``kind`` (``"building"`` or ``"landuse"``) and
        ``geometry``, indexed from 0.
    """
    parts = []
    for kind, geoms in (("building", buildings), ("landuse", landuse)):
        geoms = np.asarray(geoms, dtype=object)
        if len(geoms):
            geoms = geoms[np.isin(shapely.get_type_id(geoms), (3, 6))]  # Polygon, MultiPolygon
        parts.append(gpd.GeoDataFrame({"kind": np.full(len(geoms), kind)}, geometry=list(geoms), crs=crs))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)


def _levels(buildings: pd.DataFrame) -> np.ndarray:
    btype = buildings["building"].astype(str).str.lower()
    default = btype.map(DEFAULTS.default_levels).fillna(DEFAULTS.default_levels["yes"]).to_numpy(float)
    if "building:levels" not in buildings:
        return default
    raw = pd.to_numeric(
        buildings["building:levels"].astype(str).str.extract(r"([0-9]+(?:\.[0-9]+)?)")[0], errors="coerce"
    )
    levels = raw.to_numpy(float)
    ok = np.isfinite(levels) & (levels >= 1) & (levels <= 200)
    return np.where(ok, levels, default)


def _building_points(buildings: gpd.GeoDataFrame, floor_area_per_person_m2: float) -> gpd.GeoDataFrame:
    polys = buildings[buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    area = polys.geometry.area.to_numpy()
    population = area * _levels(polys) / floor_area_per_person_m2
    ids = [f"b-{t}-{i}" for t, i in zip(polys["osm_type"].astype(str), polys["osm_id"].astype("int64"))]
    return gpd.GeoDataFrame(
        {"demand_id": ids, "population": population, "kind": "building"},
        geometry=polys.geometry.representative_point().values,
        crs=polys.crs,
    )


def landuse_points(polys: gpd.GeoDataFrame, density_per_ha: float, spacing: float) -> gpd.GeoDataFrame:
    """
    Homes sampled on a grid inside residential land-use polygons.

    The grid is anchored at multiples of ``spacing`` (one lattice for all the
    polygons); a point inside two overlapping polygons belongs to the first, and
    a polygon smaller than a grid cell gets one point on its surface.

    Parameters
    ----------
    polys
        Polygons with ``osm_type`` and ``osm_id``, in a metric CRS.
    density_per_ha
        Residents per hectare.
    spacing
        Metres between grid points.

    Returns
    -------
    homes
        Points with ``demand_id`` (``l-<type>-<id>-<n>``), ``population`` (each
        polygon's area x density shared by its points) and ``kind`` ``landuse``.
    """
    geoms = polys.geometry.values
    minx, miny = polys.total_bounds[:2]
    x0 = np.floor(minx / spacing) * spacing + spacing / 2
    y0 = np.floor(miny / spacing) * spacing + spacing / 2
    # one grid per polygon (its own box, never the box of them all: land use spread over a
    # province would make billions of points), all on the same lattice
    ix_parts, iy_parts, owner_parts = [], [], []
    for i, (bx0, by0, bx1, by1) in enumerate(shapely.bounds(geoms)):
        ix = np.arange(max(0, int(np.floor((bx0 - x0) / spacing))), int(np.ceil((bx1 - x0) / spacing)) + 1)
        iy = np.arange(max(0, int(np.floor((by0 - y0) / spacing))), int(np.ceil((by1 - y0) / spacing)) + 1)
        gx, gy = (a.ravel() for a in np.meshgrid(ix, iy))
        inside = shapely.contains_xy(geoms[i], x0 + gx * spacing, y0 + gy * spacing) if len(gx) else np.zeros(0, bool)
        ix_parts.append(gx[inside])
        iy_parts.append(gy[inside])
        owner_parts.append(np.full(int(inside.sum()), i))
    gx = np.concatenate(ix_parts) if ix_parts else np.zeros(0, np.int64)
    gy = np.concatenate(iy_parts) if iy_parts else np.zeros(0, np.int64)
    poly_idx = np.concatenate(owner_parts) if owner_parts else np.zeros(0, np.int64)
    # lattice order (rows of y, then x), and a point inside two overlapping polygons belongs to the first one
    order = np.lexsort((poly_idx, gx, gy))
    gx, gy, poly_idx = gx[order], gy[order], poly_idx[order]
    keep = np.ones(len(gx), bool)
    keep[1:] = (gx[1:] != gx[:-1]) | (gy[1:] != gy[:-1])
    gx, gy, poly_idx = gx[keep], gy[keep], poly_idx[keep]
    counts = np.bincount(poly_idx, minlength=len(geoms))
    # polygons smaller than one grid cell still get one point
    empty = np.flatnonzero(counts == 0)
    pts = np.concatenate([shapely.points(x0 + gx * spacing, y0 + gy * spacing), shapely.point_on_surface(geoms[empty])])
    owner = np.concatenate([poly_idx, empty])
    counts[empty] = 1
    population = shapely.area(geoms)[owner] / 10_000.0 * density_per_ha / counts[owner]
    osm_type = polys["osm_type"].astype(str).to_numpy()[owner]
    osm_id = polys["osm_id"].astype("int64").to_numpy()[owner]
    ids = [f"l-{t}-{i}-{n:04d}" for n, (t, i) in enumerate(zip(osm_type, osm_id))]
    return gpd.GeoDataFrame(
        {"demand_id": ids, "population": population, "kind": "landuse"}, geometry=pts, crs=polys.crs
    )


def _from_osm(
    src: OSMSource,
    crs: pyproj.CRS | str,
    *,
    floor_area_per_person_m2: float,
    landuse_density_per_ha: float,
    landuse_spacing_m: float,
    min_residential_buildings: int,
    quiet_empty: bool = False,
) -> tuple[gpd.GeoDataFrame | GeometryArray, ...]:
    """OSM homes (points with estimated residents) and the basemap shapes read on the way.

    With ``quiet_empty`` (for spreading areas over them) no homes is not an error, and
    every residential land-use polygon is returned as a third item.
    """
    buildings = read_features(src, {"building": True}).to_crs(crs)
    if "building" not in buildings:
        buildings["building"] = pd.Series(dtype=str)
    btype = buildings["building"].astype(str).str.lower()
    residential = buildings[btype.isin(DEFAULTS.residential_building_types).to_numpy()]
    untyped = buildings[(btype == "yes").to_numpy()]
    sparse = len(residential) < min_residential_buildings
    landuse = read_features(src, {"landuse": ["residential"]}).to_crs(crs)
    if "landuse" in landuse:
        landuse = landuse[(landuse["landuse"] == "residential").to_numpy()]
    landuse = landuse[landuse.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    all_landuse = landuse.geometry.values
    method = "buildings"
    if len(landuse):
        if sparse and len(untyped):
            # untyped buildings (building=yes) inside residential land use are homes too
            inside = shapely.STRtree(landuse.geometry.values).query(
                untyped.geometry.representative_point().values, predicate="within"
            )[0]
            residential = pd.concat([residential, untyped.iloc[np.unique(inside)]])
        homes = _building_points(residential, floor_area_per_person_m2)
        # compounds mapped only as land use (no home inside) are sampled on a grid
        if len(homes):
            has_home = shapely.STRtree(homes.geometry.values).query(landuse.geometry.values, predicate="contains")[0]
            landuse = landuse[~np.isin(np.arange(len(landuse)), has_home)]
        if len(landuse):
            sampled = landuse_points(landuse, landuse_density_per_ha, landuse_spacing_m)
            demand = pd.concat([homes, sampled], ignore_index=True)
            method = "buildings+landuse" if len(homes) else "landuse"
        else:
            demand = homes
    elif sparse:
        untyped_too = buildings[btype.isin((*DEFAULTS.residential_building_types, "yes")).to_numpy()]
        demand, method = _building_points(untyped_too, floor_area_per_person_m2), "buildings_untyped"
    else:
        demand = _building_points(residential, floor_area_per_person_m2)
    sampled_landuse = landuse.geometry.values if method in ("buildings+landuse", "landuse") else []
    shapes = footprint_frame(buildings.geometry.values, sampled_landuse, crs)
    demand = gpd.GeoDataFrame(demand, geometry="geometry", crs=crs)
    demand = demand[demand["population"] > 0]
    if len(demand) == 0 and not quiet_empty:
        raise DataError(
            f"{src.label}: no residential buildings or residential land use found; "
            "pass a population file with --demand (CSV: lon, lat, population)"
        )
    demand["method"] = method
    log.info("demand: %d points by %s", len(demand), method)
    demand = demand[["demand_id", "population", "method", "kind", "geometry"]]
    return (demand, shapes, all_landuse) if quiet_empty else (demand, shapes)
