"""Stage 2c: areas (社区, communities) and the people counted in them.

A planner's census comes per area: community boundaries with a population each.
:func:`load_areas` reads such a layer; :func:`spread_population` turns each area's
count into homes without collapsing it to one point (so coverage is never
all-or-nothing per community); :func:`assign_areas` names the area of any home
(OSM or a points file, for ``--areas``); :func:`nearest_by_area` gives each area's nearest chosen
station, beside the residents of the plan's account (:mod:`planner.ledger`) in ``areas.csv``.

The spreading rule, per area, first that applies:

``building``
    OSM maps enough homes to stand for the area: the residential buildings inside
    (the ones :func:`planner.load_demand` makes homes of, by the same tags) would
    house at least :data:`MIN_BUILDING_SHARE` of the area's count at
    :attr:`planner.config.Defaults.floor_area_per_person_m2` per resident. The
    count is shared by floor area (footprint x levels).
``landuse``
    Residential land use covers at least :data:`MIN_LANDUSE_SHARE` of the area:
    the count is shared evenly over a grid of points
    (:attr:`~planner.config.Defaults.landuse_spacing_m`) inside that land use.
``grid``
    Otherwise an even :data:`GRID_M` grid clipped to the area.

An area gets at least one home (a point on its surface) and keeps its count
exactly: its homes' populations sum to it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely

from planner.config import DEFAULTS
from planner.errors import InputError

__all__ = [
    "GRID_M",
    "MIN_BUILDING_SHARE",
    "MIN_LANDUSE_SHARE",
    "OUTSIDE",
    "assign_areas",
    "load_areas",
    "nearest_by_area",
    "nearest_station",
    "spread_population",
]

log = logging.getLogger(__name__)

#: the share of an area's census count its mapped residential buildings must be
#: able to house (floor area / floor area per person) for the count to be spread
#: over them; below it OSM is taken to map too few of the area's homes
MIN_BUILDING_SHARE = 0.5
#: the share of an area residential land use must cover for the count to be spread
#: over that land use
MIN_LANDUSE_SHARE = 0.25
#: spacing of the even grid an area's count is spread over when OSM maps neither
GRID_M = 50.0
#: the ``area`` of homes outside every area of ``--areas`` (a row of ``areas.csv``)
OUTSIDE = "(outside every area)"


def load_areas(
    source: str | os.PathLike,
    *,
    crs: str | None = None,
    name_column: str | None = None,
    population: bool = False,
    population_column: str | None = None,
    what: str = "areas",
) -> gpd.GeoDataFrame:
    """
    Read areas (community boundaries): polygons with a name and, for demand, a population.

    Parameters
    ----------
    source
        A GeoJSON, GPKG or shapefile of polygons (any CRS; see
        :func:`planner.io.read_points` for encodings, aliases and datums).
    crs
        Datum or CRS of the coordinates when the file declares none or a
        geographic one (``"gcj02"``...).
    name_column
        The column holding the area names, when its header is none of the aliases
        (``名称`` / ``NAME``...). Without names, areas are called ``area-001``...
    population
        Require a ``population`` column (aliases ``人口`` / ``常住人口``...).
    population_column
        The column holding the population, when its header is none of the aliases.
    what
        What the file is, for messages.

    Returns
    -------
    areas
        EPSG:4326 polygons with ``area`` (unique names, file order; a repeated name
        gets `` (2)``, `` (3)``... with a warning) and, with ``population``,
        ``population`` (float).

    Raises
    ------
    InputError
        Unreadable file, points or lines instead of polygons, a missing or invalid
        population.
    """
    import warnings

    from planner.io import read_points

    gdf = read_points(
        source,
        what=what,
        numeric=("population",) if population else (),
        crs=crs,
        name_column=name_column,
        population_column=population_column,
        polygons=True,
    )
    kinds = gdf.geometry.geom_type.to_numpy()
    wrong = ~np.isin(kinds, ("Polygon", "MultiPolygon"))
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise InputError(
            f"{source}: row {i + 1} is a {kinds[i]}, not an area; expected polygons (community "
            f"boundaries) in every row of {what}"
        )
    geoms = shapely.make_valid(gdf.geometry.values)
    geoms = np.array([_polygonal(g) for g in geoms], dtype=object)
    empty = shapely.is_empty(geoms) | (shapely.area(geoms) == 0)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise InputError(f"{source}: row {i + 1} is an empty or zero-area polygon; expected an area")
    if "name" in gdf:
        names = gdf["name"].astype(object).where(gdf["name"].notna(), "").astype(str).str.strip()
        names = names.where(names != "", pd.Series([f"area-{i + 1:03d}" for i in range(len(gdf))]))
    else:
        names = pd.Series([f"area-{i + 1:03d}" for i in range(len(gdf))])
    seen = names.groupby(names).cumcount().to_numpy()
    if (seen > 0).any():
        repeated = sorted(set(names[seen > 0]))
        warnings.warn(
            f"{source}: area names appear more than once ({', '.join(map(repr, repeated[:3]))}); "
            "repeats are numbered ' (2)', ' (3)'...",
            UserWarning,
            stacklevel=2,
        )
        names = pd.Series([n if k == 0 else f"{n} ({k + 1})" for n, k in zip(names, seen)])
    out = {"area": names.to_numpy(object)}
    if population:
        out["population"] = gdf["population"].to_numpy(float)
    return gpd.GeoDataFrame(out, geometry=list(geoms), crs="EPSG:4326")


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a (made valid) geometry."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if shapely.get_type_id(g) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def spread_population(
    areas: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    landuse: npt.ArrayLike | None,
    *,
    landuse_spacing_m: float = DEFAULTS.landuse_spacing_m,
    grid_m: float = GRID_M,
) -> gpd.GeoDataFrame:
    """
    Homes for each area's population, by the rule of this module's docstring.

    Parameters
    ----------
    areas
        Polygons in a projected CRS (metres) with ``area`` and ``population``.
    buildings
        OSM homes (points, same CRS) with ``population``: the residents
        :func:`planner.load_demand` estimates from floor area (its weight here).
    landuse
        Residential land-use polygons (same CRS).
    landuse_spacing_m, grid_m
        Grid spacings inside land use and over a whole area.

    Returns
    -------
    homes
        Points with ``demand_id`` (``<area number>-<kind letter><n>``),
        ``population``, ``method`` (``"areas"``), ``kind`` (``building``,
        ``landuse`` or ``grid``) and ``area``; each area's populations sum to its
        count.
    """
    geoms = areas.geometry.values
    census = areas["population"].to_numpy(float)
    n = len(areas)
    # buildings: the first area containing each building's point
    b_pts = buildings.geometry.values if len(buildings) else np.zeros(0, dtype=object)
    b_pop = buildings["population"].to_numpy(float) if len(buildings) else np.zeros(0)
    b_idx, a_idx = shapely.STRtree(geoms).query(b_pts, predicate="within") if len(b_pts) else (np.zeros(0, int),) * 2
    order = np.lexsort((a_idx, b_idx))
    b_idx, a_idx = b_idx[order], a_idx[order]
    first = np.ones(len(b_idx), bool)
    first[1:] = b_idx[1:] != b_idx[:-1]
    b_idx, a_idx = b_idx[first], a_idx[first]
    capacity = np.bincount(a_idx, weights=b_pop[b_idx], minlength=n)
    by_buildings = (capacity > 0) & (capacity >= MIN_BUILDING_SHARE * census)
    # land use: its share of each remaining area
    land = np.asarray(landuse, dtype=object) if landuse is not None else np.zeros(0, dtype=object)
    land_in = np.full(n, None, dtype=object)
    if len(land):
        merged = shapely.union_all(shapely.make_valid(land))
        rest = np.flatnonzero(~by_buildings)
        inter = shapely.intersection(geoms[rest], merged)
        share = shapely.area(inter) / shapely.area(geoms[rest])
        ok = share >= MIN_LANDUSE_SHARE
        land_in[rest[ok]] = inter[ok]
    by_landuse = ~by_buildings & np.array([g is not None for g in land_in])
    parts = []
    numbers = np.arange(1, n + 1)
    if by_buildings.any():
        keep = by_buildings[a_idx]
        bi, ai = b_idx[keep], a_idx[keep]
        w = b_pop[bi]
        parts.append(_homes(ai, b_pts[bi], w, census, numbers, "building"))
    if by_landuse.any():
        ai, pts = _grid_points(land_in[by_landuse], np.flatnonzero(by_landuse), landuse_spacing_m)
        parts.append(_homes(ai, pts, np.ones(len(ai)), census, numbers, "landuse"))
    by_grid = ~by_buildings & ~by_landuse
    if by_grid.any():
        ai, pts = _grid_points(geoms[by_grid], np.flatnonzero(by_grid), grid_m)
        parts.append(_homes(ai, pts, np.ones(len(ai)), census, numbers, "grid"))
    homes = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"demand_id": [], "population": [], "kind": [], "area_index": [], "geometry": []})
    )
    homes["area"] = areas["area"].to_numpy(object)[homes["area_index"].to_numpy(int)]
    homes["method"] = "areas"
    homes = gpd.GeoDataFrame(homes.drop(columns="area_index"), geometry="geometry", crs=areas.crs)
    log.info(
        "areas: %d by buildings, %d by land use, %d by grid; %d homes",
        int(by_buildings.sum()),
        int(by_landuse.sum()),
        int(by_grid.sum()),
        len(homes),
    )
    return homes[["demand_id", "population", "method", "kind", "area", "geometry"]]


def _grid_points(
    polys: Iterable[shapely.Geometry], owners: np.ndarray, spacing: float
) -> tuple[np.ndarray, np.ndarray]:
    """Grid points (anchored at multiples of ``spacing``) inside each polygon; one on the surface of a polygon none falls in."""
    idx, pts = [], []
    for owner, poly in zip(owners, polys):
        minx, miny, maxx, maxy = shapely.bounds(poly)
        xs = np.arange(np.floor(minx / spacing) * spacing + spacing / 2, maxx, spacing)
        ys = np.arange(np.floor(miny / spacing) * spacing + spacing / 2, maxy, spacing)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        inside = shapely.contains_xy(poly, gx, gy) if len(gx) else np.zeros(0, bool)
        if inside.any():
            pts.append(shapely.points(gx[inside], gy[inside]))
            idx.append(np.full(int(inside.sum()), owner))
        else:
            pts.append(np.array([shapely.point_on_surface(poly)], dtype=object))
            idx.append(np.array([owner]))
    return np.concatenate(idx), np.concatenate(pts)


def _homes(
    area_idx: np.ndarray,
    points: Iterable[shapely.Geometry],
    weights: np.ndarray,
    census: np.ndarray,
    numbers: np.ndarray,
    kind: str,
) -> pd.DataFrame:
    """Share each area's count over its points in proportion to ``weights``."""
    area_idx = np.asarray(area_idx, int)
    total = np.bincount(area_idx, weights=weights, minlength=len(census))
    population = census[area_idx] * weights / total[area_idx]
    order = np.lexsort((np.arange(len(area_idx)), area_idx))
    rank = np.empty(len(area_idx), int)
    run = np.ones(len(area_idx), bool)
    run[1:] = area_idx[order][1:] != area_idx[order][:-1]
    starts = np.maximum.accumulate(np.where(run, np.arange(len(area_idx)), 0))
    rank[order] = np.arange(len(area_idx)) - starts
    ids = [f"area{numbers[a]:03d}-{kind[0]}{k + 1:05d}" for a, k in zip(area_idx, rank)]
    return pd.DataFrame(
        {"demand_id": ids, "population": population, "kind": kind, "area_index": area_idx, "geometry": list(points)}
    )


def assign_areas(homes: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    """
    The area of each home: the first area (file order) containing it, else :data:`OUTSIDE`.

    Parameters
    ----------
    homes
        Points (any CRS).
    areas
        Polygons with ``area`` (any CRS).

    Returns
    -------
    names
        One name per home.
    """
    polys = areas.to_crs(homes.crs).geometry.values
    h_idx, a_idx = shapely.STRtree(polys).query(homes.geometry.values, predicate="intersects")
    best = np.full(len(homes), len(polys), np.int64)
    np.minimum.at(best, h_idx, a_idx)
    names = np.append(areas["area"].to_numpy(object), OUTSIDE)
    return names[best]


def nearest_by_area(
    k: np.ndarray, m: int, walk_to_station: np.ndarray, station: np.ndarray, stations: gpd.GeoDataFrame
) -> pd.DataFrame:
    """
    Per area, the chosen station of the shortest walk from any of its homes (first home in order on ties).

    Parameters
    ----------
    k, m
        Per home, its area's row (0 to ``m - 1``), and the number of areas.
    walk_to_station, station
        Per home, the walk in minutes to its nearest chosen station (``inf``: none within the search) and
        that station's row in ``stations`` (-1: none).
    stations
        The chosen stations with ``site_id`` and ``name``.

    Returns
    -------
    table
        ``m`` rows: ``nearest_station`` (name), ``nearest_station_id`` and ``nearest_station_minutes`` (empty
        where no station is within the search).
    """
    walk = np.asarray(walk_to_station, float)
    best = np.full(m, np.inf)
    np.minimum.at(best, k, walk)
    which = np.full(m, -1, np.int64)
    hit = np.isfinite(walk) & (walk == best[k])
    rows = np.flatnonzero(hit)
    firsts = rows[np.unique(k[rows], return_index=True)[1]] if len(rows) else rows
    which[k[firsts]] = np.asarray(station)[firsts]
    ids = stations["site_id"].astype(str).to_numpy()
    st_names = stations["name"].astype(str).to_numpy()
    return pd.DataFrame(
        {
            "nearest_station": np.where(which >= 0, st_names[np.maximum(which, 0)] if len(ids) else "", None),  # type: ignore[arg-type]
            "nearest_station_id": np.where(which >= 0, ids[np.maximum(which, 0)] if len(ids) else "", None),  # type: ignore[arg-type]
            "nearest_station_minutes": np.round(np.where(np.isfinite(best), best, np.nan), 2),
        }
    )


def nearest_station(
    network: nx.MultiDiGraph,
    homes: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    minutes_matrix: sp.csr_matrix,
    selected: np.ndarray,
    *,
    look_minutes: float,
    progress: Callable[[str, float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """
    Per home, the walk to its nearest chosen station and that station's position in ``selected``.

    Reads the plan's coverage matrix first; homes with no chosen station in it are
    searched again up to ``look_minutes`` (walking is two-way: from the stations).

    Parameters
    ----------
    network, homes, sites
        The plan's.
    minutes_matrix
        The plan's sparse minutes, homes x sites.
    selected
        Columns of the chosen stations.
    look_minutes
        How far to search for homes beyond the matrix.
    progress
        Optional callback.

    Returns
    -------
    walk, station
        ``inf`` / -1 where no chosen station is within ``look_minutes``.
    """
    from planner.reach.matrix import coverage

    selected = np.asarray(selected, np.int64)
    walk = np.full(len(homes), np.inf)
    station = np.full(len(homes), -1, np.int64)
    if not len(selected):
        return walk, station
    sub = minutes_matrix.tocsc()[:, selected].tocsr()
    _fill_nearest(sub, walk, station, np.arange(len(homes)))
    missing = np.flatnonzero(~np.isfinite(walk))
    if len(missing):
        if progress:
            progress(f"areas: nearest station of {len(missing):,} homes beyond the walk", 0.0)
        far = coverage(network, homes.iloc[missing], sites.iloc[selected], minutes=look_minutes).minutes.tocsr()
        _fill_nearest(far, walk, station, missing)
    return walk, station


def _fill_nearest(matrix: sp.spmatrix, walk: np.ndarray, station: np.ndarray, rows: np.ndarray) -> None:
    """Row minima of a sparse matrix of walks into ``walk`` / ``station`` at ``rows`` (rows without any untouched)."""
    from planner.reach.matrix import nearest_entries

    column, best = nearest_entries(matrix)
    found = column >= 0
    walk[rows[found]] = best[found]
    station[rows[found]] = column[found]
